"""How fast are stance.tone (and stance.speaker), and the libraries tone replaces?

    .venv/bin/python bench/bench_tone.py [--seeds DIR] [--repeat N]

Sentences come from the bundled seed documents, cut at sentence-final
punctuation and line breaks (headings and list lines of fewer than 8 words
are left out), so they are the mix of lengths and punctuation that the tagger
sees. Every figure is the best of --repeat runs, in CPU time of this process
(one core; other load on the machine does not count):

- libraries: TextBlob(s).sentiment plus VADER's polarity_scores(s), the two
  calls that tone() answers for;
- tone, cold: every memo emptied first, so every word is new (the first
  sentences of a corpus);
- tone, warm: the same sentences again (vocabulary already seen, which is
  most words of a corpus once a few documents are in);
- speaker: speaker(text, previous) as the tagger calls it, and speakers() over
  the sentences in order, with its per-sentence cache emptied before each run.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stance import speaker as speaker_module  # noqa: E402
from stance import tone as tone_module  # noqa: E402

_DEFAULT_SEEDS = Path("/work/shared/seeds")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def seed_sentences(seeds: Path, min_words: int = 8) -> list[str]:
    sentences: list[str] = []
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for part in _SENTENCE_END.split(text):
            part = part.strip()
            if len(part.split()) >= min_words:
                sentences.append(part)
    return sentences


def best_rate(run: Callable[[], None], count: int, repeat: int, before: Callable[[], None]) -> float:
    """Sentences per second of the fastest of `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        before()
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return count / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=Path, default=_DEFAULT_SEEDS)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    sentences = seed_sentences(args.seeds)
    if not sentences:
        sys.exit(f"no sentences of 8+ words in {args.seeds}/*.txt")
    words = sum(len(s.split()) for s in sentences) / len(sentences)
    print(f"{len(sentences)} seed sentences, {words:.1f} words on average")

    from textblob import TextBlob
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()

    def libraries() -> None:
        for s in sentences:
            TextBlob(s).sentiment
            analyzer.polarity_scores(s)

    def ours() -> None:
        tone_module.tones(sentences)

    def nothing() -> None:
        pass

    def empty_memos() -> None:
        # A fresh start: lexicons reloaded, so no token has been seen.
        tone_module._lexicons.cache_clear()
        tone_module.tone("warm up the lexicons")

    previous = [None, *sentences[:-1]]

    def voices() -> None:
        for text, before in zip(sentences, previous):
            speaker_module.speaker(text, before)

    def document_voices() -> None:
        speaker_module.speakers(sentences)

    def empty_cache() -> None:
        speaker_module._analyse.cache_clear()

    ours()  # load lexicons before timing
    n = len(sentences)
    rows = [
        ("libraries (TextBlob + VADER)", best_rate(libraries, n, 3, nothing)),
        ("tone, cold memo", best_rate(ours, n, args.repeat, empty_memos)),
        ("tone, warm memo", best_rate(ours, n, args.repeat, nothing)),
        ("speaker(text, previous)", best_rate(voices, n, args.repeat, empty_cache)),
        ("speakers(document)", best_rate(document_voices, n, args.repeat, empty_cache)),
    ]
    for name, rate in rows:
        print(f"{name:32s} {rate:10,.0f} sentences/s")


if __name__ == "__main__":
    main()
