"""The bundled frame labels against an independent reading from the codebook alone.

    .venv/bin/python bench/eval_reading.py

``bench/reading/frames-codebook-reader.csv`` holds the frames that
readers given nothing but ``../shared/codebook.md`` (and each document's
sentences in order) gave every bundled sentence, seeds included; its
``file`` and ``row`` name the annotation row it reads. Printed per frame: how
often each side gives it, how often both do, F1 and Cohen's kappa between
the two; then frames per sentence and frame macro-F1. It says whether the
bundled labels read the codebook more strictly or loosely than a reader of
the codebook alone, and for which frame (``training/README.md``).
"""

from __future__ import annotations

import csv
from pathlib import Path

from stance.agreement import cohen_kappa
from stance.codebook import load_codebook

ROOT = Path(__file__).resolve().parents[1]
READING = ROOT / "bench" / "reading" / "frames-codebook-reader.csv"


def frames(value: str) -> frozenset[str]:
    return frozenset(x for x in value.split(";") if x)


def main() -> None:
    bundled: dict[tuple[str, int], frozenset[str]] = {}
    reading: dict[tuple[str, int], frozenset[str]] = {}
    with open(READING, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            reading[row["file"], int(row["row"])] = frames(row["frames"])
    for name in sorted({file for file, _ in reading}):
        with open(ROOT / name, encoding="utf-8", newline="") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                if (name, line) in reading:
                    bundled[name, line] = frames(row["frames"])
    keys = sorted(reading)
    print(f"{len(keys)} sentences read; frames per sentence: bundled {sum(len(bundled[k]) for k in keys) / len(keys):.2f}, reader {sum(len(reading[k]) for k in keys) / len(keys):.2f}")
    print(f"{'frame':14s} {'bundled':>7s} {'reader':>6s} {'both':>5s} {'ratio':>5s} {'F1':>5s} {'kappa':>5s}")
    f1s = []
    for frame in load_codebook().frame_ids:
        ours = [frame in bundled[k] for k in keys]
        theirs = [frame in reading[k] for k in keys]
        both = sum(a and b for a, b in zip(ours, theirs))
        f1 = 2 * both / (sum(ours) + sum(theirs)) if sum(ours) + sum(theirs) else 1.0
        f1s.append(f1)
        kappa = cohen_kappa(ours, theirs)
        print(f"{frame:14s} {sum(ours):7d} {sum(theirs):6d} {both:5d} {sum(theirs) / max(sum(ours), 1):5.2f} {f1:5.2f} {kappa if kappa is None else round(kappa, 2)!s:>5s}")
    shared = sum(len(bundled[k] & reading[k]) for k in keys)
    print(f"frame macro-F1 {sum(f1s) / len(f1s):.3f}; of the bundled frame labels {shared / sum(len(bundled[k]) for k in keys):.1%} are the reader's too, "
          f"of the reader's {shared / sum(len(reading[k]) for k in keys):.1%} are bundled")


if __name__ == "__main__":
    main()
