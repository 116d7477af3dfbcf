"""The compiled prefilter (stance/prefilter.py): it may only ever save work, never change a vote."""

from __future__ import annotations

import re
from re import _parser

import numpy as np
import pytest

from stance import prefilter
from stance.codebook import CUE_FLAGS, load_codebook, parse_codebook
from stance.rules import RuleSet
from stance.tagger import bundled_documents

needs_hyperscan = pytest.mark.skipif(not prefilter.available(), reason="Hyperscan has no wheel for this platform")

# Cues that use what the translation has to widen: lookbehind and lookahead,
# non-ASCII letters and punctuation, negated classes, case-sensitive groups,
# a back reference, anchors, and a plain phrase.
TRICKY = r"""
[[topics]]
id = "ai"
cues = ["AI", "re:(?<!open )\\bmodel\\b(?! card)", "re:\\bnaïve\\b", "re:\\b(?-i:US)[-–]China\\b", "détente"]
negative_cues = ["re:\\bso-called\\s+[\"“‘]?AI\\b"]

[[topics]]
id = "trade_tariffs"
cues = ["re:\\btariffs?\\b[^.;’]{0,20}\\bhike", "re:\\b(\\w+) and \\1\\b", "re:^Tariff", "re:\\b\\d+ ?%", "export control"]
"""

TEXTS = [
    "The model card is out.",
    "An open model, another model.",
    "A NAÏVE view; a naive view; a naïve one.",
    "The US–China race and the us-china race.",
    "Détente and DÉTENTE and detente.",
    "The so-called “AI” boom; the so-called AI boom; the so-called ‘AI’ boom.",
    "Tariffs on steel will hike prices; tariffs’ hike; tariffs; and then a hike.",
    "Tariffs ’rise’ hike in 2025.",
    "Tariffs — “big” hike ahead.",
    "trade and trade",
    "Tariff hikes ahead.",
    "A 25% tariff and a 25 % duty and ٣٠% elsewhere.",
    "Export‑Controls and export – controls and EXPORT CONTROLS.",
    "ſo-called AI and KEY and the ınternet",
    "İstanbul’s AI sector",
    "\x1cmodel\x1c and model\u00a0card",
    "",
]


def _pair(book, folder):
    plain, filtered = RuleSet(book), RuleSet(book)
    assert filtered.attach_prefilter(folder, build=True)
    assert filtered._prefilter is not None
    return plain, filtered


def _same_votes_and_spots(plain: RuleSet, filtered: RuleSet, texts: list[str]) -> None:
    spots_plain: list = []
    spots_filtered: list = []
    votes_plain = plain.votes(texts, spots_plain).toarray()
    votes_filtered = filtered.votes(texts, spots_filtered).toarray()
    for text, a, b, sa, sb in zip(texts, votes_plain, votes_filtered, spots_plain, spots_filtered):
        assert (a == b).all() and [s[:4] for s in sa] == [s[:4] for s in sb], text
        # the prefilter's spots keep which cues fired; the evidence is the same as matching them again
        if len(text.lower()) == len(text):  # else ("İ") the prefilter is not asked
            assert all(spot[4] for spot in sb) and all(spot[4] is None for spot in sa)
        voted = set(np.flatnonzero(a).tolist())
        for labels in (None, voted, set(list(voted)[:1])):
            assert plain.reasons_at(text, sa, labels) == filtered.reasons_at(text, sb, labels), text


@needs_hyperscan
def test_tricky_cues_vote_exactly_as_without_the_prefilter(tmp_path):
    plain, filtered = _pair(parse_codebook(TRICKY), tmp_path)
    _same_votes_and_spots(plain, filtered, TEXTS)
    assert plain.votes(TEXTS).nnz > 10  # the texts do exercise the cues


@needs_hyperscan
def test_prefilter_reports_every_cue_that_fires_and_few_others(tmp_path):
    book = parse_codebook(TRICKY)
    _plain, filtered = _pair(book, tmp_path)
    index = {(c.label, c.cue, c.vote): i for i, c in enumerate(filtered.cues)}
    reported = fired = 0
    for text in TEXTS:
        candidates = set(filtered._prefilter.candidates(text))
        hits = {index[(h.label, h.cue, h.vote)] for h in filtered.hits(text)}
        assert hits <= candidates, text
        reported += len(candidates)
        fired += len(hits)
    assert reported <= 2 * fired


@needs_hyperscan
def test_default_codebook_on_the_bundled_documents(tmp_path):
    """Every bundled sentence (seeds and training/) votes exactly as with `re` alone."""
    texts = [s.text for sentences, _title in bundled_documents() for s in sentences]
    assert len(texts) > 2000
    plain, filtered = _pair(load_codebook(), tmp_path)
    _same_votes_and_spots(plain, filtered, texts)
    # a second RuleSet loads the cached database instead of compiling it
    again = RuleSet(load_codebook())
    assert again.attach_prefilter(tmp_path) and again._prefilter is not None


def test_image_keeps_offsets_and_what_re_sees():
    text = "China’s “de-risking” – naïve ſ K ı ٣\u00a0\x1c_"
    img = prefilter.image(text)
    assert len(img) == len(text) and img.isascii()
    for a, b in zip(text, img):
        for category in (r"\w", r"\d", r"\s"):
            assert bool(re.fullmatch(category, a)) == bool(re.fullmatch(category, b)), (a, category)
    assert prefilter.image("plain ASCII text.") == "plain ASCII text."


def test_every_character_that_folds_to_an_ascii_letter_becomes_it():
    """`re` with IGNORECASE reads "ſ" as "s" and the Kelvin sign as "k": the image must too."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    folding = [chr(c) for c in range(128, 0x30000) if letter.fullmatch(chr(c))]
    assert folding  # ſ, K, ı, İ at least
    for ch in folding:
        img = prefilter.image(ch)
        assert re.fullmatch(re.escape(img), ch, re.IGNORECASE), ch
        assert img in prefilter._ALL_IMAGES


def test_translation_widens_what_hyperscan_cannot_run():
    parse = lambda regex: _parser.parse(regex, CUE_FLAGS)  # noqa: E731
    assert prefilter.pcre(parse(r"(?<!open )\bmodel\b(?! card)")) == r"\bmodel\b"
    assert prefilter.pcre(parse(r"(?-i:US)–China")) == r"(?-i:US)\x7fChina"
    negated = prefilter.pcre(parse(r"[^.’]"))
    assert "\\x2e" in negated and "\\x78" in negated  # a non-ASCII letter's image stays outside "[^.’]"


@needs_hyperscan
def test_tampered_database_is_not_loaded(tmp_path):
    book = parse_codebook(TRICKY)
    _plain, filtered = _pair(book, tmp_path)
    (database,) = tmp_path.glob("*.hsdb")
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database.write_bytes(bytes(data))
    fresh = RuleSet(book)
    assert fresh.attach_prefilter(tmp_path) and fresh._prefilter is None  # refused; rebuilt by a big run


@needs_hyperscan
def test_a_big_run_compiles_and_caches_the_database(tmp_path, monkeypatch):
    monkeypatch.setattr(prefilter, "BUILD_AFTER", 10)
    book = parse_codebook(TRICKY)
    rules = RuleSet(book)
    rules.attach_prefilter(tmp_path)
    rules.votes(TEXTS[:5])
    assert rules._prefilter is None and not list(tmp_path.glob("*.hsdb"))
    rules.votes(TEXTS[5:])
    assert rules._prefilter is not None and len(list(tmp_path.glob("*.hsdb"))) == 1


def test_without_hyperscan_the_rules_use_re_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(prefilter, "_hs", None)
    rules = RuleSet(parse_codebook(TRICKY))
    assert rules.attach_prefilter(tmp_path) is False
    assert rules.votes(["An open model, another model."]).toarray().tolist() == [[1, 0]]
