"""The bundled frame labels against two independent readings from the codebook alone.

    .venv/bin/python bench/eval_reading.py

``bench/reading/frames-codebook-reader.csv`` and ``frames-codebook-reader-2.csv``
hold the frames that two sets of readers, given nothing but
``../shared/codebook.md`` (and each document's sentences in order), gave every
bundled sentence, seeds included, each set without seeing the other's; their
``file`` and ``row`` name the annotation row they read. Printed for each pair
of the three (bundled, first reading, second reading): per frame how often
each side gives it, how often both do, F1 and Cohen's kappa; then frames per
sentence and frame macro-F1. It says whether the bundled labels read the
codebook more strictly or loosely than readers of the codebook alone, for
which frame, and how far two such readers are apart (``training/README.md``).
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

from stance.agreement import cohen_kappa
from stance.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]
READINGS = {
    "first reading": ROOT / "bench" / "reading" / "frames-codebook-reader.csv",
    "second reading": ROOT / "bench" / "reading" / "frames-codebook-reader-2.csv",
}

Labels = dict[tuple[str, int], frozenset[str]]


def frames(value: str) -> frozenset[str]:
    return frozenset(x for x in value.split(";") if x)


def read_reading(path: Path) -> Labels:
    with open(path, encoding="utf-8", newline="") as f:
        return {(row["file"], int(row["row"])): frames(row["frames"]) for row in csv.DictReader(f)}


def read_bundled(keys: set[tuple[str, int]]) -> Labels:
    bundled: Labels = {}
    for name in sorted({file for file, _ in keys}):
        with open(ROOT / name, encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if (name, line) in keys:
                    bundled[name, line] = frames(row["frames"])
    return bundled


def compare(names: tuple[str, str], ours: Labels, theirs: Labels, frame_ids: list[str]) -> None:
    keys = sorted(ours)
    a, b = names
    print(f"\n{a} against {b}: frames per sentence {sum(len(ours[k]) for k in keys) / len(keys):.2f} and {sum(len(theirs[k]) for k in keys) / len(keys):.2f}")
    print(f"{'frame':14s} {a[:7]:>7s} {b[:7]:>7s} {'both':>5s} {'ratio':>5s} {'F1':>5s} {'kappa':>5s}")
    f1s = []
    for frame in frame_ids:
        x = [frame in ours[k] for k in keys]
        y = [frame in theirs[k] for k in keys]
        both = sum(p and q for p, q in zip(x, y))
        f1 = 2 * both / (sum(x) + sum(y)) if sum(x) + sum(y) else 1.0
        f1s.append(f1)
        kappa = cohen_kappa(x, y)
        print(f"{frame:14s} {sum(x):7d} {sum(y):7d} {both:5d} {sum(y) / max(sum(x), 1):5.2f} {f1:5.2f} {kappa if kappa is None else round(kappa, 2)!s:>5s}")
    shared = sum(len(ours[k] & theirs[k]) for k in keys)
    print(f"frame macro-F1 {sum(f1s) / len(f1s):.3f}; of {a}'s frame labels {shared / sum(len(ours[k]) for k in keys):.1%} are {b}'s too, "
          f"of {b}'s {shared / sum(len(theirs[k]) for k in keys):.1%} are {a}'s")


def main() -> None:
    labels = {name: read_reading(path) for name, path in READINGS.items()}
    keys = set.intersection(*(set(reading) for reading in labels.values()))
    labels = {"bundled": read_bundled(keys), **{name: {k: reading[k] for k in keys} for name, reading in labels.items()}}
    print(f"{len(keys)} sentences read by both readings")
    frame_ids = list(load_codebook().frame_ids)
    for a, b in combinations(labels, 2):
        compare((a, b), labels[a], labels[b], frame_ids)


if __name__ == "__main__":
    main()
