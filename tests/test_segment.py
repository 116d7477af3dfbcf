"""Segmentation on the real seeds and on hard cases."""

import csv
import json

import pytest

from stance.cli import main
from stance.corpus import Document, doc_id_for
from stance.segment import MAX_SENTENCE_CHARS, normalise_text, segment, sentence_id_for, split_spans


def doc(text: str) -> Document:
    return Document(doc_id=doc_id_for(text), source="t", path="t.txt", title="", date="", text=text)


def texts(text: str) -> list[str]:
    return [s.text for s in segment(doc(text))]


NAMED = {
    "coppens": [
        "On May 14, 2024, President Biden announced plans to impose new tariff increases on $18 billion worth of Chinese imports under section 301 of the Trade Act of 1974.",
        "The U.S. aims to significantly raise tariffs on a dozen strategic products from China, targeting industries where Chinese companies have out-innovated U.S. brands or surpassed American production capacity.",
        "Contemporary Amperex Technology Co. Ltd. (CATL) is now the world's largest producer of electric vehicle (EV) batteries, holding a 37.4% share of the global EV battery market.",
    ],
    "merics": [
        "Developed by a team of fresh graduates at DeepSeek (深度求素 in Mandarin), the model outdoes the industry's best models, like OpenAI's proprietary o1, on several reasoning, coding and math benchmarks.",
        "The company Chairman, Yu Liang, and CEO,\n\nZhu Jiusheng, have both resigned from their posts.",
    ],
    "outlet": [
        "Of particular note, there was a significant growth of 27.5% in the export of chip manufacturing equipment.",
        "“The notable surge in Japan’s exports to China indicates that Japanese businesses are opting not to align with the decoupling measures pursued by the US.”",
        "Zhang further emphasizes that strengthening bilateral economic and trade cooperation aligns with the fundamental interests of the people in both countries.",
    ],
}


@pytest.mark.parametrize("source", NAMED)
def test_named_sentences_come_out_whole(seed_sentences, source):
    got = {s.text for s in seed_sentences[source]}
    for sentence in NAMED[source]:
        assert sentence in got


def test_offsets_slice_the_original_text_exactly(seed_sentences, seed_docs):
    for source, sentences in seed_sentences.items():
        text = seed_docs[source].text
        for s in sentences:
            assert text[s.start : s.end] == s.text
        assert [s.index for s in sentences] == list(range(len(sentences)))
        assert all(a.end <= b.start for a, b in zip(sentences, sentences[1:]))


def test_ids_are_stable_and_unique(seeds, seed_sentences):
    again = {d.source: segment(d) for d in seeds.documents}
    for source, sentences in seed_sentences.items():
        ids = [s.sentence_id for s in sentences]
        assert ids == [s.sentence_id for s in again[source]]
        assert len(set(ids)) == len(ids)


def test_ids_hash_the_normalised_text_and_its_occurrence(seeds):
    # Whatever the white space and letters: tabs, double spaces, a line break inside a
    # sentence, a dotted capital I (two characters lower-cased), a capital sigma.
    odd = doc(
        "Tariffs rose.\tExports  fell. Tariffs rose. The talks\nresumed.\n\n"
        "İstanbul hosted them. ΟΔΟΣ was closed. Tariffs rose.\n"
    )
    for document in [*seeds.documents, odd]:
        seen: dict[str, int] = {}
        for s in segment(document):
            norm = normalise_text(s.text)
            assert s.sentence_id == sentence_id_for(document.doc_id, norm, seen.get(norm, 0)), s.text
            seen[norm] = seen.get(norm, 0) + 1
    assert [s.text for s in segment(odd)].count("Tariffs rose.") == 3


def test_an_edit_elsewhere_keeps_a_sentence_id():
    before = segment(doc("Tariffs rose. Exports fell. Talks resumed."))
    after = segment(doc("Tariffs rose sharply. Exports fell. Talks resumed."))
    # The doc id changes with the content, so ids are per document version;
    # the same text in the same document version always gets the same id.
    assert before[1].text == after[1].text
    assert segment(doc("Tariffs rose. Exports fell."))[1].sentence_id == segment(doc("Tariffs rose. Exports fell."))[1].sentence_id


def test_headings_are_separate_units(seed_sentences):
    merics = seed_sentences["merics"]
    heading = next(s for s in merics if s.text == "#### DeepSeek model revs up US-China AI race")
    assert heading.heading
    nxt = merics[heading.index + 1]
    assert nxt.text.startswith("The Nasdaq plummeted") and not nxt.heading
    outlet = seed_sentences["outlet"]
    title = next(s for s in outlet if s.text == "Mainland Demands Full Accounting from Taiwan Over Fishermen Deaths")
    assert title.heading and outlet[title.index + 1].text.startswith("A spokesman")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The U.S. raised tariffs by 3.5%. China responded.", ["The U.S. raised tariffs by 3.5%.", "China responded."]),
        ("Dr. Li met Mr. Smith on Jan. 5. They agreed.", ["Dr. Li met Mr. Smith on Jan. 5.", "They agreed."]),
        ("Funds, e.g. the Big Fund, raised US$47.5 billion. Others did not.", ["Funds, e.g. the Big Fund, raised US$47.5 billion.", "Others did not."]),
        ("See No. 5 in the list. It matters.", ["See No. 5 in the list.", "It matters."]),
        ("He said: “We will fight.” The talks ended.", ["He said: “We will fight.”", "The talks ended."]),
        ("Wait... then what? Nothing happened!", ["Wait... then what?", "Nothing happened!"]),
        ("Gregory C. Allen wrote it. Emily Benson agreed.", ["Gregory C. Allen wrote it.", "Emily Benson agreed."]),
        ("这是第一句。这是第二句。", ["这是第一句。", "这是第二句。"]),
        ("The startup (深度求索) won. It grew.", ["The startup (深度求索) won.", "It grew."]),
        ("Exports rose to the U.S. The EU lagged.", ["Exports rose to the U.S.", "The EU lagged."]),
    ],
)
def test_hard_cases(text, expected):
    assert [text[a:b] for a, b in split_spans(text)] == expected


def test_bullets_and_lines_without_final_punctuation():
    got = texts("Key points\n- Tariffs rise to 25%\n- Chips face new controls\n\nBeijing objected.\n")
    assert got == ["Key points", "- Tariffs rise to 25%", "- Chips face new controls", "Beijing objected."]


def test_hard_wrapped_lines_are_joined():
    text = "The Commerce Department announced on Monday that it would expand the\nlist of restricted chipmaking tools. Beijing protested.\n"
    assert texts(text) == [
        "The Commerce Department announced on Monday that it would expand the\nlist of restricted chipmaking tools.",
        "Beijing protested.",
    ]


def test_a_capital_after_an_unpunctuated_line_joins_only_a_hard_wrap():
    # A long line cut mid-sentence continues even before a capital ("Monday");
    # a short unpunctuated line before a capital is a title of its own.
    wrapped = "The Commerce Department said that new rules would take effect next\nMonday across the industry.\n"
    assert texts(wrapped) == ["The Commerce Department said that new rules would take effect next\nMonday across the industry."]
    titled = "Chips and tariffs\nBeijing objected to the rules.\n"
    assert texts(titled) == ["Chips and tariffs", "Beijing objected to the rules."]


def exact(text: str) -> list[str]:
    """The sentences of ``text``, each checked to be the document's own slice."""
    sentences = segment(doc(text))
    assert all(text[s.start : s.end] == s.text for s in sentences)
    return [s.text for s in sentences]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Xinjiang exports fell sharply. Ürümqi officials blamed the US entity list. Élysée officials praised win-win cooperation.",
            ["Xinjiang exports fell sharply.", "Ürümqi officials blamed the US entity list.", "Élysée officials praised win-win cooperation."],
        ),
        ("Die Zölle auf E-Autos steigen. Österreich stimmt dagegen.", ["Die Zölle auf E-Autos steigen.", "Österreich stimmt dagegen."]),
        ("Вашингтон ввёл новые пошлины. Москва осудила это решение.", ["Вашингтон ввёл новые пошлины.", "Москва осудила это решение."]),
        ("Οι δασμοί αυξήθηκαν. Η Αθήνα ζήτησε διάλογο.", ["Οι δασμοί αυξήθηκαν.", "Η Αθήνα ζήτησε διάλογο."]),
        # An opening quote or bracket before the capital.
        (
            "Brussels approved the duties. «Élysée officials were not consulted,» a diplomat said. „Österreich stimmt dagegen.“",
            ["Brussels approved the duties.", "«Élysée officials were not consulted,» a diplomat said.", "„Österreich stimmt dagegen.“"],
        ),
        # Scripts without case: Arabic, Hebrew, Devanagari, Thai.
        ("فرضت واشنطن رسوما جديدة على الصين. قالت بكين إنها سترد.", ["فرضت واشنطن رسوما جديدة على الصين.", "قالت بكين إنها سترد."]),
        ("ארצות הברית הטילה מכסים על סין. בייג'ינג הגיבה בחריפות.", ["ארצות הברית הטילה מכסים על סין.", "בייג'ינג הגיבה בחריפות."]),
        ("अमेरिका ने चीन पर शुल्क बढ़ाए. चीन ने जवाबी कदम उठाए.", ["अमेरिका ने चीन पर शुल्क बढ़ाए.", "चीन ने जवाबी कदम उठाए."]),
        ("สหรัฐขึ้นภาษีสินค้าจีน. ปักกิ่งตอบโต้ทันที.", ["สหรัฐขึ้นภาษีสินค้าจีน.", "ปักกิ่งตอบโต้ทันที."]),
        # An emoji, a byte-order mark (two files pasted together), a zero-width space.
        ("Exports of chips to China fell 20%. 📉 Analysts expect more cuts.", ["Exports of chips to China fell 20%.", "📉 Analysts expect more cuts."]),
        ("Exports fell. \ufeffBeijing protested.", ["Exports fell.", "\ufeffBeijing protested."]),
        ("Exports fell. \u200bBeijing protested.", ["Exports fell.", "\u200bBeijing protested."]),
        # The invisible marks of writing direction, pasted from a right-to-left page: they joined two sentences.
        ("Exports fell. \u202eBeijing protested.", ["Exports fell.", "\u202eBeijing protested."]),
        ("Exports fell. \u200fBeijing protested.", ["Exports fell.", "\u200fBeijing protested."]),
        ("Exports fell. \u2067Beijing protested.\u2069", ["Exports fell.", "\u2067Beijing protested.\u2069"]),
        # The full-width full stop used like 。, but not in a full-width decimal.
        ("美国提高了关税．中国表示将采取反制措施．", ["美国提高了关税．", "中国表示将采取反制措施．"]),
        ("出口增长３．５％．进口下降．", ["出口增长３．５％．", "进口下降．"]),
        # Their own full stops: the Devanagari danda, the Arabic question mark, the Urdu full stop.
        ("अमेरिका ने चीन पर शुल्क बढ़ाए। चीन ने जवाबी कदम उठाए।", ["अमेरिका ने चीन पर शुल्क बढ़ाए।", "चीन ने जवाबी कदम उठाए।"]),
        ("هل سترد الصين؟ قالت بكين إنها سترد.", ["هل سترد الصين؟", "قالت بكين إنها سترد."]),
        ("امریکہ نے محصولات بڑھائے۔ چین نے جواب دیا۔", ["امریکہ نے محصولات بڑھائے۔", "چین نے جواب دیا۔"]),
        # A Latin acronym in a script without case ("AI", "US") does not make the line a heading in capitals.
        ("美国限制AI芯片出口。中国表示反对。", ["美国限制AI芯片出口。", "中国表示反对。"]),
        ("미국은 AI 반도체 수출통제를 강화했다. 중국은 반발했다.", ["미국은 AI 반도체 수출통제를 강화했다.", "중국은 반발했다."]),
        ("فرضت الولايات المتحدة قيودا على رقائق AI. الصين تعارض.", ["فرضت الولايات المتحدة قيودا على رقائق AI.", "الصين تعارض."]),
    ],
)
def test_sentences_open_at_a_capital_or_caseless_letter_of_any_script(text, expected):
    assert exact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A lower-case letter of any script continues the sentence.
        "Импорт вырос на 3 млн. тонн, т. е. на треть.",
        "Exports rose by approx. 20%. élysée officials, in lower case, are not a new sentence here.",
        # The abbreviation rules hold before any capital: after "U.S." a name continues,
        # and so does the name after an initial.
        "The U.S. Élysée summit ended without a deal.",
        "Janez Š. Žagar wrote the report.",
    ],
)
def test_no_new_sentence_before_a_lower_case_letter_or_after_an_abbreviation(text):
    assert exact(text) == [text]


def test_a_vertical_tab_is_white_space_and_a_page_break_ends_a_line():
    assert exact("The ban\x0bhurts Nvidia and AMD.\n") == ["The ban\x0bhurts Nvidia and AMD."]
    # A page break ends a line: the page's running title is a unit of its own.
    assert exact("Export controls\x0bhurt Nvidia.\x0cChina Trade Outlook\x0cBeijing objected.\n") == [
        "Export controls\x0bhurt Nvidia.", "China Trade Outlook", "Beijing objected.",
    ]


def test_a_boundary_is_tried_only_where_a_run_of_stops_starts(tmp_path):
    # Trying one at each full stop of a run rescanned the rest of the run: 200,000 full stops in
    # a row took 30 s (quadratic). A candidate now starts only where the run starts; the three
    # long runs below take milliseconds (speed itself is the bench's, not asserted here).
    from stance.segment import _CANDIDATE

    text = "It fell" + "." * 50 + " Then it rose."
    assert _CANDIDATE.match(text, 7) is not None
    assert all(_CANDIDATE.match(text, i) is None for i in range(8, 57))
    path = tmp_path / "leaders.txt"
    path.write_text("." * 200_000 + "\n" + "!?" * 100_000 + "\n" + "…" * 200_000 + "\n", encoding="utf-8")
    out = tmp_path / "s.jsonl"
    assert main(["segment", str(path), "-o", str(out)]) == 0
    lengths = [len(json.loads(line)["text"]) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sum(lengths) == 600_000 and max(lengths) <= MAX_SENTENCE_CHARS  # cut to fit a cell (below)


def test_a_run_without_a_sentence_end_is_cut_to_fit_a_spreadsheet_cell(tmp_path):
    # 200 KB of words without a full stop (a transcript, a pasted blob) was one "sentence": its CSV
    # cell was more than Python's csv reader takes by default (131,072 characters) and a
    # spreadsheet's cell holds (Excel: 32,767). It is cut at white space, every piece in its place.
    words = " ".join(f"tariff{i % 97}" for i in range(25_000))
    text = f"The U.S. raised tariffs.\n\n{words}\n\nChina responded.\n"
    path, out = tmp_path / "blob.txt", tmp_path / "tags.csv"
    path.write_text(text, encoding="utf-8")
    assert main(["tag", str(path), "--labeller", "rules", "-o", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))  # the csv module's default field limit
    assert rows[0]["text"] == "The U.S. raised tariffs." and rows[-1]["text"] == "China responded."
    assert all(len(r["text"]) <= MAX_SENTENCE_CHARS for r in rows)
    assert all(text[int(r["start"]):int(r["end"])] == r["text"] for r in rows)
    assert " ".join(r["text"] for r in rows[1:-1]) == words  # cut between words, nothing lost
