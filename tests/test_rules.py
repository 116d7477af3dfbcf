"""Cue rules: which label a sentence gets, why, and how each cue behaves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from stance.codebook import load_codebook, parse_codebook
from stance.rules import CueHit, RuleSet, RuleStats, analyse, start_keys


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet(load_codebook())


def labels_of(rules: RuleSet, text: str) -> dict[str, int]:
    """Non-zero votes of one sentence, by label id."""
    row = rules.votes([text]).toarray()[0]
    return {label: int(v) for label, v in zip(rules.label_ids, row) if v}


def voted_for(rules: RuleSet, text: str) -> set[str]:
    return {label for label, v in labels_of(rules, text).items() if v > 0}


# --- realistic sentences (written for these tests, in the styles the tool meets) ----------


def test_entity_list_is_export_controls(rules):
    text = "Washington added 140 Chinese firms to the entity list on Monday."
    assert "export_controls" in voted_for(rules, text)
    hit = next(h for h in rules.hits(text) if h.label == "export_controls")
    start = text.index("entity list")
    assert hit == CueHit("export_controls", "entity list", start, start + len("entity list"), 1)
    assert text[hit.start : hit.end] == "entity list"


def test_pretext_editorial_is_sovereignty_not_security_risk(rules):
    text = "Beijing firmly opposes the US using national security as a pretext to suppress Chinese companies."
    votes = labels_of(rules, text)
    assert votes["sovereignty"] == 1
    assert votes["security_risk"] == -1  # vetoed, although "national security" fired
    fired = {(h.label, h.vote, text[h.start : h.end]) for h in rules.hits(text)}
    assert ("security_risk", 1, "national security") in fired
    assert ("security_risk", -1, "pretext") in fired


def test_scare_quotes_veto_the_security_lens(rules):
    assert labels_of(rules, 'They label Chinese cranes a "national security" problem.').get("security_risk") == -1
    assert labels_of(rules, "Chinese cranes pose a national security risk, lawmakers warned.")["security_risk"] == 1


@pytest.mark.parametrize(
    ("text", "expected", "not_expected"),
    [
        (
            # a plain report of a measure: its topics, and state_role (an official decision;
            # the state_role pass), but no other frame
            "The Commerce Department tightened restrictions on sales of advanced AI chips to China.",
            {"export_controls", "semiconductors", "ai", "state_role"},
            {"trade_tariffs", "security_risk", "cooperation"},
        ),
        (
            "The EU imposed countervailing duties on Chinese electric vehicles after an anti-subsidy probe.",
            {"trade_tariffs", "clean_tech"},
            {"export_controls"},
        ),
        (
            "Tariffs will raise prices for consumers and hurt American farmers.",
            {"trade_tariffs", "economic_cost"},
            {"economic_gain"},
        ),
        (
            "SMIC is producing 7nm chips without access to EUV lithography machines.",
            {"semiconductors", "self_reliance"},
            set(),
        ),
        (
            "Mutually beneficial cooperation serves the fundamental interests of both peoples.",
            {"cooperation"},
            {"security_risk"},
        ),
        (
            "The real risk is that the standoff could escalate into a military conflict.",
            {"security_risk"},
            {"cooperation"},
        ),
        (
            "Chinese start-ups are racing to catch up with OpenAI in the fierce AI race.",
            {"ai", "competition"},
            set(),
        ),
        (
            "The Taiwan Affairs Office sternly demanded an apology from the DPP authorities.",
            {"taiwan", "sovereignty"},
            set(),
        ),
        (
            "The detention of Uyghurs in Xinjiang may amount to crimes against humanity.",
            {"human_rights", "rights_values"},
            set(),
        ),
        (
            "China's manufacturing PMI fell to 49.1 as factory activity contracted.",
            {"economy", "economic_cost"},
            {"economic_gain"},
        ),
        (
            "Researchers unveiled the world's first quantum chip made with a record-breaking yield.",
            {"science", "semiconductors", "innovation"},
            set(),
        ),
        ("Subscribe to our newsletter for weekly updates.", set(), {"ai", "economy", "cooperation"}),
        ("Tariffs became a bargaining chip in the talks.", {"trade_tariffs"}, {"semiconductors"}),
        ("Let us hope the weather holds.", set(), {"geopolitics", "export_controls"}),
        (
            "The Bureau of Industry and Security published the rule on Friday.",
            {"export_controls"},
            {"security_risk"},
        ),
    ],
)
def test_realistic_sentences(rules, text, expected, not_expected):
    got = voted_for(rules, text)
    assert expected <= got, f"missing {expected - got}"
    assert not (not_expected & got), f"unexpected {not_expected & got}"


# Cues written from the codebook's definitions for the genres the tool meets (state-media
# statements, government fact sheets, think-tank analysis, tech news): each case is a
# sentence written for this test, with the labels it must get and the ones it must not.
@pytest.mark.parametrize(
    ("text", "expected", "not_expected"),
    [
        # state media: mocking a security claim is blame (sovereignty), not a security lens
        ("The so-called national security concerns are nothing but an excuse to contain China's development.",
         {"sovereignty"}, {"security_risk"}),
        ("We urge the US side to stop stigmatizing Chinese companies.", {"sovereignty"}, set()),
        ("China will resolutely safeguard its sovereignty, security and development interests.",
         {"sovereignty"}, {"security_risk"}),
        ("The Foreign Ministry spokesperson said China firmly opposes the move.", {"sovereignty"}, {"state_role"}),
        ("The DPP authorities must stop their separatist provocations.", {"taiwan", "sovereignty"}, {"state_role"}),
        # fact sheets
        ("The Administration will pursue trade that puts American workers and businesses first.", {"sovereignty"}, set()),
        ("These investments will bring manufacturing back to America and create good-paying jobs.",
         {"self_reliance"}, set()),
        # self-reliance
        ("Beijing pledged to achieve self-sufficiency in advanced chips by 2030.", {"self_reliance"}, set()),
        ("Chinese fabs are switching to domestic equipment suppliers wherever they can.", {"self_reliance"}, set()),
        # cooperation
        ("The two sides agreed to deepen dialogue and mutually beneficial cooperation.", {"cooperation"}, set()),
        ("China stands ready to work with the EU to expand green and digital partnership.", {"cooperation"}, set()),
        ("Tokyo agreed to align its export controls with those of Washington.", {"cooperation", "export_controls"}, set()),
        ("A fragmented global AI ecosystem would hurt everyone.", {"cooperation"}, set()),
        ("Unilateral controls are less effective because buyers turn to suppliers elsewhere.", set(), {"sovereignty"}),
        # competition
        ("The United States still holds a commanding lead in frontier AI compute.", {"competition"}, set()),
        ("Chinese memory makers still cannot match Samsung at the leading edge.", {"competition"}, set()),
        ("China now accounts for about 80 percent of global solar module production.", {"competition"}, set()),
        # economic cost
        ("The new rules could cost American toolmakers billions of dollars a year.", {"economic_cost"}, set()),
        ("Cloud providers warn of heavy compliance costs under the new reporting rule.", {"economic_cost"}, set()),
        ("The new fab will cost about $20 billion to build.", set(), {"economic_cost"}),
        # a trade war named is a topic; a war as such is the security lens
        ("The trade war has now entered its second year.", {"trade_tariffs"}, {"security_risk", "geopolitics"}),
        # geopolitics is the relationship as such, not a trade war named
        ("Trade tensions weighed on soybean exports.", {"trade_tariffs"}, {"geopolitics"}),
        ("The trade war has soured relations between Washington and Beijing.", {"trade_tariffs", "geopolitics"}, set()),
        ("A war over Taiwan would devastate the region.", {"security_risk", "taiwan"}, set()),
        # innovation: precision
        ("The researchers successfully developed a photonic chip that runs at room temperature.", {"innovation"}, set()),
        ("The novel coronavirus spread quickly in early 2020.", {"health"}, {"innovation"}),
        ("The Great Leap Forward ended in famine.", set(), {"innovation"}),
        # state role: precision and the state's own drive
        ("Premier Li Qiang met the visiting German chancellor in Beijing.", set(), {"state_role"}),
        ("US officials declined to comment on the report.", set(), {"state_role"}),
        ("The EU opened an anti-subsidy probe into Chinese wind turbines.", {"trade_tariffs", "state_role"}, set()),
        ("Local governments are handing out computing vouchers to subsidise AI start-ups.", {"ai", "state_role"}, set()),
        # what a state body decides, orders, rules or investigates is state_role, plainly
        # reported too (the state_role pass); a state as a party to diplomacy is not
        ("The Commerce Department added 12 firms to the Entity List on Tuesday.", {"export_controls", "state_role"}, set()),
        ("From April, exporters will need a licence to ship these tools.", {"state_role"}, set()),
        ("The White House released the text of the executive order.", {"state_role"}, set()),
        ("The Trump administration's envoy arrived in Geneva on Sunday.", set(), {"state_role"}),
        ("The two governments held talks in Geneva.", set(), {"state_role"}),
        ("Beijing accused Washington of bullying.", set(), {"state_role"}),
        ("China's exports rose 8% in May.", set(), {"state_role"}),
        ("Beijing ordered local governments to cut support for chip projects.", {"state_role"}, set()),
        # topics: precision
        ("The health of the bilateral relationship depends on mutual respect.", {"cooperation"}, {"health"}),
        ("Patient capital from state funds has flowed into robotics start-ups.", {"state_role"}, {"health"}),
        ("Data centres already account for a growing share of China's electricity consumption.", {"ai"}, {"economy"}),
        ("The provincial fund will invest 10 billion yuan in chip design firms.", {"semiconductors"}, {"economy"}),
        ("The yuan weakened past 7.3 per dollar after the tariff announcement.", {"economy", "trade_tariffs"}, set()),
        ("Alibaba's cloud division grew revenue 13 percent in the quarter.", {"economy"}, set()),
        ("Members of the national AI industry alliance pledged to share data.", {"ai"}, {"geopolitics"}),
        ("Western sanctions on Russia have pushed Moscow closer to Beijing.", {"geopolitics"}, set()),
        ("The unification of technical standards would lower costs for carmakers.", set(), {"taiwan"}),
    ],
)
def test_genre_cues(rules, text, expected, not_expected):
    got = voted_for(rules, text)
    assert expected <= got, f"missing {expected - got}"
    assert not (not_expected & got), f"unexpected {not_expected & got}"


# --- votes: shape, order and veto semantics -------------------------------------------------

BOOK = """
[[topics]]
id = "chips"
cues = ["chip", "semiconduct*"]
negative_cues = ["bargaining chip"]

[[frames]]
id = "risk"
cues = ["risk", "threat"]
negative_cues = ["pretext"]

[[frames]]
id = "numbers"
cues = ['re:\\d+ ?nm\\b']
"""


@pytest.fixture(scope="module")
def small() -> RuleSet:
    return RuleSet(parse_codebook(BOOK))


def test_votes_matrix_shape_order_and_values(small):
    texts = [
        "New chip plants carry risk.",  # chips +1, risk +1
        "A bargaining chip, not a semiconductor story.",  # veto beats two positive hits
        "The threat is a pretext.",  # risk vetoed
        "A pretext alone.",  # a veto with no positive hit still votes -1
        "Nothing here.",
        "TSMC's 3 nm process.",  # a cue that must be searched, not looked up
    ]
    m = small.votes(texts)
    assert sp.issparse(m) and m.format == "csr"
    assert m.shape == (6, 3) and m.dtype == np.int8
    assert small.label_ids == ("chips", "risk", "numbers")  # topics, then frames
    assert m.toarray().tolist() == [
        [1, 1, 0],
        [-1, 0, 0],
        [0, -1, 0],
        [0, -1, 0],
        [0, 0, 0],
        [0, 0, 1],
    ]


def test_votes_rejects_a_bare_string(small):
    with pytest.raises(TypeError, match="sequence of sentences"):
        small.votes("one sentence")


def test_empty_inputs(small):
    assert small.votes([]).shape == (0, 3)
    empty = RuleSet(parse_codebook('[[frames]]\nid = "x"\n'))
    assert empty.votes(["anything at all"]).toarray().tolist() == [[0]]
    assert empty.hits("anything at all") == []


def test_hits_say_which_cue_fired_and_where(small):
    text = "Semiconductors: a chip, a threat."
    hits = small.hits(text)
    assert [(h.label, h.cue, text[h.start : h.end], h.vote) for h in hits] == [
        ("chips", "semiconduct*", "Semiconductors", 1),
        ("chips", "chip", "chip", 1),
        ("risk", "threat", "threat", 1),
    ]


def test_votes_agree_with_hits_on_the_default_codebook(rules):
    texts = [
        "Beijing firmly opposes the US using national security as a pretext.",
        "İstanbul hosted talks on export controls and US tariffs.",  # lower() changes length here
        "The E.U. and the U.S. coordinate on chip export restrictions; Nvidia's H20 is affected.",
        "China's GDP grew 5 percent, beating the government's target, while exports surged.",
        "“National security” is invoked to justify the so-called de-risking.",
        "AI-powered chatbots, LLMs and 3-nanometre chips",
    ]
    votes = rules.votes(texts).toarray()
    for row, text in zip(votes, texts):
        expected = np.zeros(len(rules.label_ids), dtype=int)
        for h in rules.hits(text):
            i = rules.label_ids.index(h.label)
            expected[i] = -1 if h.vote == -1 or expected[i] == -1 else 1
        assert row.tolist() == expected.tolist(), text


def test_evidence_shows_each_piece_of_text_once_and_never_a_pattern(rules):
    # Seed sentences where several cues of one label fire on the same words: the evidence used to say
    # 'cue: "government subsidies"' twice and 'cue: "subsidies"' besides, and "cue: EV" once per
    # mention; a word cue ending in '*' was shown as the pattern ("cue: semiconduct*").
    text = ("Section 301 authorizes a US President to take tariff actions to address Chinese trade practices "
            "like government subsidies and overcapacity.")
    why = rules.evidence_of(text, rules.hits(text))["state_role"]
    assert why.count('cue: "government subsidies"') == 1 and 'cue: "subsidies"' not in why
    assert len(why) == len(set(why))
    text = ("Contemporary Amperex Technology Co. Ltd. (CATL) is now the world's largest producer of electric "
            "vehicle (EV) batteries, holding a 37.4% share of the global EV battery market.")
    why = rules.evidence_of(text, rules.hits(text))["clean_tech"]
    assert why.count("cue: EV") == 1 and len(why) == len(set(why))
    assert not ({"cue: electric vehicle", 'cue: "electric vehicle"'} <= set(why))  # one span, one reason
    text = "Japan's exports of semiconductor manufacturing equipment to China surged."
    why = rules.evidence_of(text, rules.hits(text))["semiconductors"]
    assert 'cue: "semiconductor"' in why and not any("*" in w for w in why)
    # a match across a wrapped line is shown on one line, not with the line break inside its quotes
    text = "Beijing condemned the new export controls on advanced\nsemiconductors as illegitimate."
    assert 'cue: "controls on advanced semiconductors"' in rules.evidence_of(text, rules.hits(text))["export_controls"]
    # a veto and a cue on the same words are different reasons: both stay
    text = "The so-called de-risking is simply decoupling under another name."
    why = rules.evidence_of(text, rules.hits(text))["security_risk"]
    assert 'veto: "so-called de-risking"' in why and any(w.startswith("cue: ") for w in why)


def test_reasons_from_the_spots_equal_a_full_search(rules, seed_sentences):
    # The tagger explains labels from the spots its votes recorded; a full
    # search, cue by cue, must find exactly the same evidence.
    texts = [s.text for sentences in seed_sentences.values() for s in sentences] + [
        "İstanbul hosted talks on export controls and US tariffs.",
        "“National security” is invoked to justify the so-called de-risking.",
    ]
    spots: list = []
    votes = rules.votes(texts, spots).toarray()
    assert len(spots) == len(texts)
    fired = 0
    for text, row, where in zip(texts, votes, spots):
        assert rules.reasons_at(text, where) == rules.evidence_of(text, rules.hits(text)), text
        voted = set(np.flatnonzero(row).tolist())
        assert rules.reasons_at(text, where, voted) == rules.evidence_of(text, rules.hits(text, voted)), text
        some = set(list(voted)[:1])
        assert rules.reasons_at(text, where, some) == rules.evidence_of(text, rules.hits(text, some)), text
        fired += bool(where)
    assert fired > len(texts) / 2  # most seed sentences have some cue


def test_raw_regexes_sharing_a_group_name_still_work():
    book = parse_codebook(
        "[[frames]]\nid = \"x\"\ncues = ['re:\\b(?P<w>chips?) ban', 're:\\b(?P<w>chip) curbs']\n"
        "[[frames]]\nid = \"y\"\ncues = ['re:\\b(chip)s? (war)']\n"
    )
    rules = RuleSet(book)
    assert rules.votes(["A chip ban.", "Chip curbs.", "A chip war.", "chips"]).toarray().tolist() == [
        [1, 0],
        [1, 0],
        [0, 1],
        [0, 0],
    ]


def test_a_regex_cue_starting_with_flags_for_the_whole_pattern_fires():
    # `re` takes (?a), (?x), (?s) only at the very start of a pattern, and cues are tried
    # inside a bigger one: a cue written so loaded, then made `stance tag` fail with a traceback
    # ("global flags not at the start of the expression").
    book = parse_codebook(
        "[[frames]]\nid = \"x\"\ncues = ['re:(?a)\\btariffs?\\b', 're:(?x) \\b trade \\s+ war  # spaced out', 'chip']\n"
        "[[frames]]\nid = \"y\"\ncues = ['re:(?s)\\bchina.{0,3}curbs']\n"
    )
    rules = RuleSet(book)
    texts = ["New tariffs.", "A trade war.", "China\ncurbs.", "Nothing here."]
    assert rules.votes(texts).toarray().tolist() == [[1, 0], [1, 0], [0, 1], [0, 0]]
    text = "A trade  war on tariffs."
    assert [text[h.start : h.end] for h in rules.hits(text)] == ["trade  war", "tariffs"]


def test_every_default_cue_is_looked_up_by_its_first_word(rules):
    # A cue the index cannot file is searched across every sentence, which
    # costs several microseconds each: write regex cues that start with \\b and letters.
    assert "0 searched" in repr(rules)


def test_start_keys():
    assert start_keys(r"(?<!\w)(?:export(?:s|ed)?)\s+controls?") == frozenset({"expo"})
    assert start_keys(r"\bchips?\b") == frozenset({"chip"})
    assert start_keys(r"(?-i:\bAI\b)") == frozenset({"ai"})
    assert start_keys(r"chip") is None  # may start inside "microchip"
    assert start_keys(r"\d+ ?nm") is None
    assert start_keys(r"[\"“]national security") is None


# --- analyse: coverage, overlaps, conflicts, accuracy -----------------------------------------


def test_analyse_reports_each_cue_like_lfanalysis(small):
    texts = ["chip risk", "chip threat", "bargaining chip", "a risk", "nothing"]
    gold = [{"chips", "risk"}, {"chips"}, set(), {"risk"}, set()]
    stats = {(s.label, s.cue): s for s in analyse(small, texts, gold)}
    assert len(stats) == 7  # every cue, fired or not
    chip = stats[("chips", "chip")]
    assert isinstance(chip, RuleStats)
    assert (chip.vote, chip.hits, chip.coverage) == (1, 3, 0.6)
    assert chip.conflicts == pytest.approx(0.2)  # met its veto in "bargaining chip"
    assert (chip.correct, chip.incorrect) == (2, 1)
    assert chip.accuracy == pytest.approx(2 / 3)
    veto = stats[("chips", "bargaining chip")]
    assert (veto.vote, veto.hits, veto.accuracy, veto.conflicts) == (-1, 1, 1.0, 0.2)
    threat = stats[("risk", "threat")]
    assert threat.accuracy == 0.0  # gold says the second sentence is not framed as risk
    risk = stats[("risk", "risk")]
    assert risk.overlaps == 0.0 and risk.accuracy == 1.0
    unused = stats[("chips", "semiconduct*")]
    assert (unused.hits, unused.coverage, unused.accuracy) == (0, 0.0, None)


def test_analyse_overlaps_and_without_gold(small):
    stats = {s.cue: s for s in analyse(small, ["chip semiconductors", "chip"])}
    assert stats["chip"].overlaps == 0.5  # another chips cue fired in one of two sentences
    assert stats["chip"].accuracy is None and stats["chip"].correct is None
    with pytest.raises(ValueError, match="one set per text"):
        analyse(small, ["a", "b"], [set()])


# The frame cue pass: broad words give a frame only where the wording carries the lens.
@pytest.mark.parametrize(
    ("text", "frame", "given"),
    [
        ("The executive order tightens the screening of outbound investment in Chinese AI firms.", "economic_gain", False),
        ("The fund is Beijing's main investment vehicle for the chip industry.", "economic_gain", False),
        ("The new plant will attract foreign investment and create thousands of good jobs.", "economic_gain", True),
        ("Both sides held constructive talks and agreed to deepen cooperation.", "cooperation", True),
        ("Michael Kratsios directs the White House Office of Science and Technology Policy.", "state_role", False),
        ("Washington has still to produce a chip policy that is clear and consistent.", "state_role", True),
        # The cooperation, sovereignty, economic_gain and economic_cost passes: what both readings of the codebook alone give.
        ("Both sides held talks in Geneva.", "cooperation", True),  # dialogue, even reported plainly
        ("Exports grew 8% in May.", "economic_gain", True),  # growth, even as a figure
        ("Consumer prices grew 8% in May.", "economic_gain", False),  # prices rising are no gain
        ("Tesla is building a $5 billion factory in Shanghai.", "economic_gain", True),
        ("The investigation took aim at Chinese chipmakers.", "sovereignty", True),
        ("Beijing retaliated with tariffs on American soybeans.", "sovereignty", True),
        ("Shares of the chipmaker fell 7% after the announcement.", "economic_cost", True),  # a decline, as a figure
        ("Tariffs on solar panels fell to 10% last year.", "economic_cost", False),  # tariffs falling are no cost
    ],
)
def test_broad_frame_words_need_the_lens(rules, text, frame, given):
    assert (frame in voted_for(rules, text)) is given


def test_a_phrase_is_filed_as_its_first_word_alone_would_be(codebook):
    """RuleSet analyses a phrase's first word, not the whole phrase (``_phrase_head``): the same words and keys."""
    from stance.codebook import cue_regex, phrase_words
    from stance.rules import _analyse_regex, _phrase_head

    phrases = [cue for label in codebook.labels for cue in (*label.cues, *label.negative_cues) if phrase_words(cue) is not None]
    assert len(phrases) > 1000
    for cue in phrases:
        assert _analyse_regex(cue_regex(cue)) == _analyse_regex(_phrase_head(phrase_words(cue))), cue


def test_a_chinese_phrase_cue_fires_inside_running_chinese_text():
    book = parse_codebook('[[topics]]\nid = "export_controls"\ncues = ["出口管制", "export control"]\n[[frames]]\nid = "cooperation"\ncues = ["合作"]\n')
    rules = RuleSet(book)
    assert rules.votes(["美国对中国实施出口管制。", "中美两国应加强合作。", "No controls here."]).toarray().tolist() == [[1, 0], [0, 1], [0, 0]]
    assert [(h.label, h.start, h.end) for h in rules.hits("中美两国应加强合作。")] == [("cooperation", 7, 9)]
    assert rules.votes(["Export controls, not cooperation."]).toarray().tolist() == [[1, 0]]  # English cues still need whole words


def test_a_korean_cue_fires_with_the_particle_korean_writes_onto_it(tmp_path):
    book = parse_codebook('[[topics]]\nid = "export_controls"\ncues = ["수출통제", "export control"]\n[[frames]]\nid = "security_risk"\ncues = ["국가안보"]\n')
    texts = ["미국은 수출통제를 강화했다.", "반도체는 국가안보의 문제다.", "수출통제 강화", "무역통제를 말했다.", "수출통제X 없음.", "Export controls."]
    want = [[1, 0], [0, 1], [1, 0], [0, 0], [0, 0], [1, 0]]  # not inside another word, not run on into Latin
    rules = RuleSet(book)
    spots: list = []
    assert rules.votes(texts, spots).toarray().tolist() == want
    assert rules.reasons_at(texts[0], spots[0]) == {"export_controls": ["cue: 수출통제"]}
    if rules.attach_prefilter(tmp_path, build=True):  # the compiled prefilter's path gives the same votes
        assert rules.votes(texts * 50).toarray().tolist() == want * 50


def test_a_cue_mixing_latin_and_chinese_fires_where_chinese_writes_it():
    book = parse_codebook('[[topics]]\nid = "semiconductors"\ncues = ["AI芯片", "chip出口"]\n')
    rules = RuleSet(book)
    texts = ["美国限制AI芯片出口。", "美国限制 AI芯片。", "中国 chip出口增长", "The MAI芯片 brand.", "Nothing here."]
    assert rules.votes(texts).toarray().ravel().tolist() == [1, 1, 1, 0, 0]  # "MAI" is another Latin word
