"""Cleaning on the real seeds: boilerplate flagged with a reason, content untouched."""

from stance.clean import classify_line, flag_lines, sentence_boilerplate


def by_text(sentences):
    return {s.text: s for s in sentences}


def test_linkedin_comments_and_commenter_titles_are_flagged(seed_sentences):
    coppens = by_text(seed_sentences["coppens"])
    assert coppens["6moGreat articles Pascal!"].boilerplate_reason == "social_comment"
    assert coppens["6moPl correct $18 trillion to $18 billion"].boilerplate_reason == "social_comment"
    assert coppens["TUM MBA, China, Strategy, Technical Compliance"].boilerplate_reason == "commenter_title"
    assert coppens["Recommended by LinkedIn"].boilerplate_reason == "platform"
    assert coppens["Subscribe to ‘This Month in China newsletter to get mailed to your inbox."].boilerplate_reason == "subscribe"


def test_content_around_boilerplate_stays_unflagged(seed_sentences):
    coppens = by_text(seed_sentences["coppens"])
    # The sentences right before and after "Recommended by LinkedIn" are the author's.
    after = next(t for t in coppens if t.startswith("I highly recommend watching Robin Zheng's speech"))
    before = next(t for t in coppens if t.startswith("If we are serious about combating climate change"))
    assert not coppens[after].boilerplate and not coppens[before].boilerplate
    content = [s for s in seed_sentences["coppens"] if not s.boilerplate and not s.heading]
    assert len(content) > 130


def test_merics_contents_link_lists_editorial_and_address(seed_sentences):
    merics = seed_sentences["merics"]
    reasons = {s.text: s.boilerplate_reason for s in merics}
    assert reasons["DeepSeek model revs up US-China AI race\t2"] == "table_of_contents"
    assert reasons["- Interconnect: <u>DeepSeeks three idiosyncratic advantages</u>"] == "link_list"
    assert reasons["#### Media coverage and sources:"] == "link_list"
    assert reasons["Claudia Wessling Director Communications and Publications, MERICS"] == "editorial"
    address = next(s for s in merics if "Alte Jakobstraße" in s.text)
    assert address.boilerplate
    promo = next(s for s in merics if "shares his takes" in s.text)
    assert promo.boilerplate_reason == "podcast_promo"
    # ... while the analysis around them is content.
    analysis = next(s for s in merics if "is not a lesson on the failure of export controls" in s.text)
    assert not analysis.boilerplate
    economy = next(s for s in merics if s.text.startswith("China's economy ended 2024"))
    assert not economy.boilerplate


def test_outlet_share_this_post_and_section_markers(seed_sentences):
    outlet = seed_sentences["outlet"]
    assert outlet[-1].text == "Share This Post" and outlet[-1].boilerplate_reason == "platform"
    markers = [s for s in outlet if s.text in {"01", "02", "03"}]
    assert len(markers) == 3 and all(s.heading for s in markers)
    assert sum(1 for s in outlet if s.boilerplate) <= 3


def test_headings_are_recognised():
    assert classify_line("# TOP STORY").heading
    assert classify_line("HOW CHINA MADE A DIFFERENCE THIS MONTH").heading
    assert classify_line("Mainland Demands Full Accounting from Taiwan Over Fishermen Deaths").heading
    assert classify_line("02").heading
    assert not classify_line("The report underscores how the trade restrictions imposed by the United States.").heading


def test_toc_needs_neighbours():
    lines = ["Revenue grew in 2024 by 12", "", "The market is 15"]
    assert all(f.boilerplate is None for f in flag_lines(lines))


def test_a_line_is_flagged_the_same_whatever_its_neighbours_hold():
    # Triggers are looked for in all of a document's short lines at once; a long
    # line is short once its surrounding white space is stripped.
    padded = "   Follow us on LinkedIn" + " " * 300
    lines = ["x" * 300, padded, "An ordinary sentence about tariffs."]
    flags = flag_lines(lines)
    assert flags[1] == classify_line(padded) and flags[1].boilerplate == "platform"
    assert flags[0].boilerplate is None and flags[2].boilerplate is None


def test_case_insensitive_patterns_fold_the_long_s():
    # "ſ" matches "s" case-insensitively, though it lower-cases to itself.
    assert sentence_boilerplate("He ſhares his takes on tariffs.") == "podcast_promo"
    assert sentence_boilerplate("He shares his take on tariffs.") is None


def test_listening_to_reason_is_not_a_podcast_promotion():
    # An editorial's "listen to ... reason" was once dropped as a podcast promotion.
    assert sentence_boilerplate("The talks might have allowed the US to listen to at least a bit of reason.") is None
    assert sentence_boilerplate("Washington should listen to its allies.") is None
    assert sentence_boilerplate("Listen to the full episode on our website.") == "podcast_promo"
    assert sentence_boilerplate("Listen now wherever you get your podcasts.") == "podcast_promo"


def test_a_markdown_files_front_matter_is_boilerplate_and_prose_between_rules_is_not():
    # A blog post's YAML header ("tags: - export controls") was tagged as content.
    post = ["---", 'title: "US tightens chip export controls"', "date: 2025-01-15", "tags:", "  - export controls",
            "  - AI", "---", "", "# Chips", "", "Tariffs hurt consumers."]
    flags = flag_lines(post)
    assert [f.boilerplate for f in flags[:7]] == ["front_matter"] * 7
    assert flags[8].heading and flags[8].boilerplate is None and flags[10] == flag_lines(["Tariffs hurt consumers."])[0]
    hugo = ["+++", 'title = "Chips"', "[params]", 'region = "EU"', "+++", "Tariffs hurt consumers."]
    assert [f.boilerplate for f in flag_lines(hugo)] == ["front_matter"] * 5 + [None]
    ruled = ["---", "Tariffs hurt consumers. China objected.", "---", "More text."]  # rules around prose, not fields
    assert [f.boilerplate for f in flag_lines(ruled)] == ["rule", None, "rule", None]
    unclosed = ["---", "title: Chips", "", "Tariffs hurt consumers."]
    assert [f.boilerplate for f in flag_lines(unclosed)] == ["rule", None, None, None]


def test_a_line_that_only_divides_is_boilerplate_and_never_glued_to_the_next_sentence():
    # "---" ends in a hyphen, so the segmenter carried it into the next paragraph's first sentence.
    from stance.corpus import Document
    from stance.segment import segment

    for rule in ("---", "* * *", "=====", "___", " ~~~ "):
        assert classify_line(rule).boilerplate == "rule"
    for text in ("- tariffs", "--", "-- Reuters", "*** Tariffs rose ***", "== Section =="):
        assert classify_line(text).boilerplate != "rule"
    document = Document(doc_id="d", source="s", path="rule.md", title="t", date="", text="First para.\n\n---\n\nTariffs rose sharply. China objected.\n")
    assert [(s.text, s.boilerplate_reason) for s in segment(document)] == [
        ("First para.", None), ("---", "rule"), ("Tariffs rose sharply.", None), ("China objected.", None)]
