"""Compare sentence splitters on the seeds: agreement with stance's splits, and speed.

    .venv/bin/python bench/bench_splitters.py

Reference: the hand-checked sentence list of the seed annotations
(seeds/annotations-*.csv, one row per sentence as an annotator read it).
Each splitter runs on the same content blocks; we count how many reference
sentences it returns exactly, and its throughput.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pysbd
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

from stance.corpus import read_corpus
from stance.segment import _blocks, split_spans

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def blocks() -> list[str]:
    out = []
    for doc in read_corpus().documents:
        for b in _blocks(doc.text):
            if not b.flag.heading and b.flag.boilerplate is None:
                out.append(doc.text[b.start : b.end])
    return out


def reference() -> set[str]:
    ref = set()
    for path in SEEDS.glob("annotations-*.csv"):
        with open(path, encoding="utf-8", newline="") as f:
            ref.update(" ".join(r["text"].split()) for r in csv.DictReader(f))
    return ref


def main() -> None:
    paragraphs = blocks()
    ref = reference()
    punkt_params = PunktParameters()
    punkt_params.abbrev_types = {"u.s", "e.g", "i.e", "dr", "mr", "mrs", "no", "inc", "ltd", "co", "jan", "feb", "d.c"}
    punkt = PunktSentenceTokenizer(punkt_params)
    seg = pysbd.Segmenter(language="en", clean=False)
    splitters = {
        "stance (regex)": lambda t: [t[a:b] for a, b in split_spans(t)],
        "pysbd 0.3": lambda t: [s.strip() for s in seg.segment(t)],
        "NLTK Punkt (given abbreviations)": lambda t: punkt.tokenize(t),
    }
    content_ref = {r for r in ref if any(r in " ".join(p.split()) for p in paragraphs)}
    print("| splitter | reference sentences found whole | sentences/s |")
    print("|---|---|---|")
    for name, split in splitters.items():
        found = set()
        n = 0
        start = time.perf_counter()
        for _ in range(5):
            for p in paragraphs:
                pieces = split(p)
                n += len(pieces)
                found.update(" ".join(s.split()) for s in pieces)
        elapsed = time.perf_counter() - start
        hit = len(content_ref & found)
        print(f"| {name} | {hit}/{len(content_ref)} ({hit / len(content_ref):.0%}) | {n / elapsed:,.0f} |")


if __name__ == "__main__":
    main()
