"""stance.tone must give exactly the numbers of TextBlob's and VADER's own APIs."""

from __future__ import annotations

import random
import re

import pytest
from textblob import TextBlob
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from stance.corpus import SEEDS_DIR
from stance.tone import Tone, tone, tones

TOLERANCE = 1e-9  # the fast path repeats the libraries' float operations exactly

# Cut independently of stance.segment, and generously: every line and
# sentence of the seeds, headings and link lists included.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    files = sorted(SEEDS_DIR.glob("*.txt"))
    assert files, f"no seed documents in {SEEDS_DIR}"
    texts = [f.read_text(encoding="utf-8") for f in files]
    return [p.strip() for text in texts for p in _SENTENCE_END.split(text) if p.strip()]


@pytest.fixture(scope="module")
def vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def _library(text: str, vader: SentimentIntensityAnalyzer) -> Tone:
    blob = TextBlob(text).sentiment
    return Tone(blob.polarity, blob.subjectivity, vader.polarity_scores(text)["compound"])


def _mismatches(texts: list[str], vader: SentimentIntensityAnalyzer) -> list[tuple[str, Tone, Tone]]:
    wrong = []
    for text in texts:
        ours, theirs = tone(text), _library(text, vader)
        if not (
            abs(ours.polarity - theirs.polarity) <= TOLERANCE
            and abs(ours.subjectivity - theirs.subjectivity) <= TOLERANCE
            and abs(ours.compound - theirs.compound) <= TOLERANCE
        ):
            wrong.append((text, ours, theirs))
    return wrong


def test_every_seed_sentence_scores_as_the_libraries_do(seed_lines, vader):
    assert len(seed_lines) > 300
    assert _mismatches(seed_lines, vader) == []
    # ... and again once every word is memoised
    assert _mismatches(seed_lines, vader) == []


EDGE_CASES = [
    # negation and modifiers (pattern), negation scope (VADER)
    "This is not good.",
    "This is not a good idea.",
    "This is really not good.",
    "This is not really good at all.",
    "Never so good, never this bad.",
    "It was without doubt the best result, not the worst.",
    "There is no good or bad answer, nor any easy one.",
    "No problems, no worries, no way.",
    "At least it works; the least bad option; very least effort.",
    "It is kind of bad and sort of good, kind of.",
    "The results were extremely good but hardly surprising.",
    "BUT the results were GREAT, and the rest was TERRIBLE.",
    "THIS IS ALL CAPS AND GREAT",
    "I don't like it, I can't stand it, it isn't fair, won't work.",
    "It’s China’s 'good' plan, don’t you think?",
    # punctuation emphasis
    "Great!!! Really great!",
    "Is this good?? Or bad???",
    "Wow!!!!! Terrible!!!!!",
    # emoticons and sarcasm, which TextBlob rewrites after tokenizing
    "Nice work :) really",
    "That was bad :-( sadly",
    "Oh sure, a great plan (!) indeed.",
    "See figure 8) for the results.",
    "It follows: (1) cheap, (2) good.",
    "I <3 this xD and XD",
    "Box D and fox D are fine.",
    "°o° wow o.O",
    # emojis, which VADER spells out first
    "Great news 😀 for everyone 👍",
    "Bad news😡today",
    # idioms and special cases (VADER)
    "The new chip is the bomb, the shit, a real kiss of death for rivals.",
    "Yeah right, a beating heart of the industry, to die for.",
    "Just enough, the upper hand, cut the mustard.",
    # abbreviations, ellipses and odd spacing (pattern tokenizer)
    "The U.S. and e.g. Mr. Smith... were good.",
    "Good.... Bad... fine.",
    "tabs\tand  double  spaces   are\tgood",
    "A first paragraph.\n\nA second, terrible one.",
    "line one is good\nline two is bad",
    "END-OF-SENTENCE is a good marker",
    "",
    "   ",
    "!",
    "good",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_score_as_the_libraries_do(text, vader):
    assert _mismatches([text], vader) == []


def test_shuffled_sentences_score_as_the_libraries_do(seed_lines, vader):
    # Real seed words in random order, salted with every kind of token a
    # rule looks at; the fixed seed keeps the test repeatable.
    words = [w for s in seed_lines for w in s.split()]
    salt = (
        "not no never n't don't isn't very really extremely kind of sort but BUT GREAT "
        "terrible good bad ! !! ? ?? :) :-( (!) ( ! ) 8) <3 xD : ( ) - D o . ... 😀 ♥ "
        "least at the bomb without doubt so this or nor ' \" “ ” ’s U.S. e.g. Mr. "
        "can't stand kiss death to die yeah right just enough hardly most LOVE NOT :'( o.O"
    ).split()
    rng = random.Random(20240522)
    texts = []
    for _ in range(400):
        count = rng.randint(1, 30)
        tokens = [rng.choice(salt) if rng.random() < 0.4 else rng.choice(words) for _ in range(count)]
        texts.append(" ".join(tokens))
    assert _mismatches(texts, vader) == []


def test_a_negative_seed_sentence_is_negative():
    t = tone(
        "The incident occurred on February 14, when a mainland fishing boat was violently "
        "rammed and capsized by Taiwanese Coast Guard vessels off the island, resulting in fatalities."
    )
    assert t.polarity < 0
    assert t.compound < -0.5


def test_a_positive_seed_sentence_is_positive():
    t = tone("His efforts are positively transforming the world and the planet.")
    assert t.polarity > 0
    assert t.compound > 0


def test_a_plain_report_is_neutral():
    t = tone('"European firms ought to factor this into their expectations for 2025."')
    assert t == Tone(0.0, 0.0, 0.0)


def test_tones_keeps_order():
    texts = ["This is great.", "This is terrible.", "This is a table."]
    assert tones(texts) == [tone(t) for t in texts]
    assert tones(iter(texts)) == tones(texts)
    assert tones([]) == []


def test_tones_refuses_a_single_string():
    with pytest.raises(TypeError, match="single str"):
        tones("This is great.")


def test_tone_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="expects a str, got bytes"):
        tone(b"This is great.")  # type: ignore[arg-type]
