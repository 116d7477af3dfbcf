"""Retraining on 10,000 annotated sentences (5-fold thresholds + the final fit).

    .venv/bin/python bench/bench_retrain.py [N]

The annotations are varied real sentences: the seeds' annotated sentences with
their numbers and place names varied (corpus_gen), each keeping its labels.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_gen import _vary  # noqa: E402

from stance.annotations import read_annotations, seed_annotation_files  # noqa: E402
from stance.codebook import load_codebook  # noqa: E402
from stance.model import Example, train_model  # noqa: E402


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    codebook = load_codebook()
    seed = read_annotations(seed_annotation_files(), codebook).annotations
    rng = random.Random(3)
    picks = [rng.choice(seed) for _ in range(n)]
    examples = [Example(_vary(a.text, rng)) for a in picks]
    label_sets = [a.labels for a in picks]
    start = time.perf_counter()
    model = train_model(codebook, examples, label_sets)
    elapsed = time.perf_counter() - start
    print(f"retrain on {n:,} annotated sentences: {elapsed:.1f} s (cross-validated thresholds and metrics — 3 folds from 5,000 sentences up — then the final fit); "
          f"{len(model.learned)} labels learned")


if __name__ == "__main__":
    main()
