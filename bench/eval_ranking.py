"""Held out by kind: do the documents rank on the stance axis as careful readers rank them?

    .venv/bin/python bench/eval_ranking.py

For each kind of ``training/`` (government, state media, think tank) a
model is trained as ``stance train`` trains one, on the seeds and the other
two kinds, and tags that kind's documents, as ``bench/eval_heldout.py``
does. Each document's stance index (cooperation against security_risk, as
``stance compare`` computes it) is then worked out from the tagger's
frames and from each of four sets of labels of the same sentences: the
bundled labels, the two independent readings from the codebook alone
(``bench/reading/``), and their majority (a frame where two of the three
give it). Printed: Spearman's rank correlation between each pair, over the
documents where both sides frame at least ``MIN_FRAMED`` sentences either
way; the two readings against each other say how closely careful readers
rank the same documents.
"""

from __future__ import annotations

import csv
from itertools import combinations
from pathlib import Path

import numpy as np
from eval_heldout import KINDS, training_examples
from scipy.stats import spearmanr

from stance.annotations import TRAINING_DIR, read_annotations
from stance.codebook import load_codebook
from stance.compare import stance_index
from stance.corpus import read_corpus
from stance.model import train_model
from stance.tagger import Tagger

ROOT = Path(__file__).resolve().parents[1]
READINGS = {"first reading": ROOT / "bench" / "reading" / "frames-codebook-reader.csv", "second reading": ROOT / "bench" / "reading" / "frames-codebook-reader-2.csv"}
AXIS = ("cooperation", "security_risk")
MIN_FRAMED = (3, 10)

Frames = dict[str, frozenset[str]]


def read_frames() -> dict[str, Frames]:
    """sentence id -> frames, for the bundled labels, each reading and their majority."""
    out: dict[str, Frames] = {}
    for name, path in READINGS.items():
        with open(path, encoding="utf-8", newline="") as f:
            out[name] = {row["sentence_id"]: frozenset(x for x in row["frames"].split(";") if x) for row in csv.DictReader(f)}
    files = sorted(TRAINING_DIR.glob("*/annotations-*.csv"))
    out["bundled"] = {a.sentence_id: frozenset(a.frames) for a in read_annotations(files).annotations if a.sentence_id}
    voters = [out["bundled"], *(out[name] for name in READINGS)]
    shared = set.intersection(*(set(v) for v in voters))
    out["majority"] = {sid: frozenset(f for f in AXIS if sum(f in v[sid] for v in voters) >= 2) for sid in shared}
    return out


def document_index(frames: list[frozenset[str]]) -> tuple[float, int]:
    """The stance index of one document's sentences, and how many are framed either way."""
    positive = sum(AXIS[0] in f and AXIS[1] not in f for f in frames)
    negative = sum(AXIS[1] in f and AXIS[0] not in f for f in frames)
    both = sum(AXIS[0] in f and AXIS[1] in f for f in frames)
    r = stance_index(np.array([positive]), np.array([negative]), np.array([both]))
    return float(r["index"][0]), int(r["n"][0])


def main() -> None:
    codebook = load_codebook()
    labels = read_frames()
    sides = ["tagger", "bundled", *READINGS, "majority"]
    indices: dict[str, list[tuple[float, int]]] = {side: [] for side in sides}
    for kind in KINDS:
        examples, label_sets, sources = training_examples(codebook, kind)
        tagger = Tagger(train_model(codebook, examples, label_sets, sources=sources))
        for document in read_corpus([TRAINING_DIR / kind]).documents:
            tagged = [t for t in tagger.tag_document(document, explain=False) if not t.boilerplate and t.sentence_id in labels["majority"]]
            indices["tagger"].append(document_index([frozenset(t.frames) for t in tagged]))
            for side in sides[1:]:
                indices[side].append(document_index([labels[side][t.sentence_id] for t in tagged]))
    print(f"{len(indices['tagger'])} documents of {', '.join(KINDS)}, each tagged by a model that never saw its kind")
    for least in MIN_FRAMED:
        print(f"\ndocuments where both sides frame at least {least} sentences cooperation or security_risk:")
        for a, b in combinations(sides, 2):
            pairs = [(x, y) for (x, nx), (y, ny) in zip(indices[a], indices[b]) if nx >= least and ny >= least]
            rho = spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic
            print(f"  {a:14s} ~ {b:14s} Spearman {rho:.3f} over {len(pairs)} documents")


if __name__ == "__main__":
    main()
