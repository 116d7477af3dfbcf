"""Segmentation on the real seeds and on hard cases."""

import pytest

from stance.corpus import Document, doc_id_for
from stance.segment import normalise_text, segment, sentence_id_for, split_spans


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
