"""The store at scale: ingest, stored scores, the active-learning queue, label writes.

    .venv/bin/python bench/bench_store.py [N_SENTENCES] [--db PATH]

Ingests about N (default 1,000,000) sentences of varied real text (see
corpus_gen.py) into a fresh SQLite store, stores a probability per label for
every content sentence (random numbers standing in for a model: the queue
reads stored scores, it does not run the model), then times:

- a queue of 50 (uncertainty + TF-IDF diversity + per-source turns), with
  and without ``--topic`` / ``--source`` — the target is under 5 s;
- writing label events one transaction each, as analysts do;
- ``current_labels()`` over 10,000 annotated sentences.

Re-running with the same --db reuses the ingested store.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_gen import documents  # noqa: E402

from stance.active import build_queue, score_store  # noqa: E402
from stance.annotations import Annotation  # noqa: E402
from stance.codebook import load_codebook  # noqa: E402
from stance.store import open_store  # noqa: E402


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--db", help="store file (default: a temporary one)")
    args = parser.parse_args()
    db = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="stance-bench-")) / "bench.db"
    codebook = load_codebook()
    labels = codebook.label_ids
    store = open_store(db)

    if store.count_sentences() < args.n:
        start = time.perf_counter()
        report = store.ingest(documents(args.n, seed=11))
        took = time.perf_counter() - start
        print(f"ingest: {report.sentences:,} sentences in {report.added:,} documents, {took:.1f} s ({report.sentences / took:,.0f} sentences/s, segmentation included)")
    total = store.count_sentences()
    print(f"store: {total:,} active sentences, {db.stat().st_size / 1e6:,.0f} MB at {db}")

    start = time.perf_counter()
    again = store.ingest(documents(20_000, seed=11))
    print(f"re-ingest of unchanged documents ({again.unchanged} documents, ~20,000 sentences): {time.perf_counter() - start:.2f} s, {again.added} added")

    if store.score_run("bench-model") is None:
        rng = np.random.default_rng(5)

        def predict(sentences):
            # skewed like a real model's output: most labels confidently absent
            return rng.beta(0.4, 2.5, size=(len(sentences), len(labels))).astype(np.float32)

        start = time.perf_counter()
        scored = score_store(store, predict, "bench-model", labels, batch=20_000)
        print(f"stored scores: {scored:,} sentences x {len(labels)} labels in {time.perf_counter() - start:.1f} s (random numbers for a model)")

    took, table = timed(lambda: store.score_table("bench-model"), repeat=1)
    sources = sorted(table.sources)
    print(f"reading every stored score: {took:.2f} s ({len(table.ids):,} sentences)")
    for what, kwargs in (
        ("queue of 50", {}),
        ("queue of 50 --source", {"source": sources[0]}),
        ("queue of 50 --topic export_controls", {"topic": "export_controls", "frame_ids": codebook.frame_ids}),
    ):
        took, items = timed(lambda: build_queue(store, 50, model_version="bench-model", **kwargs))
        spread = len({i.source for i in items})
        print(f"{what}: {took:.2f} s (median of 3) from {total:,} sentences; {len(items)} items from {spread} sources")

    sample = [s for s in store.sentences(source=sources[0])[:10_000]]
    start = time.perf_counter()
    for s in sample[:500]:
        store.add_event(s.sentence_id, "topics", ["ai"], annotator="bench")
    took = time.perf_counter() - start
    print(f"label events, one transaction each: {500 / took:,.0f} per second")
    start = time.perf_counter()
    store.import_annotations(
        [("bench", i, Annotation(s.text, ("ai",), ("competition",), "competition", s.sentence_id, annotator="bench2")) for i, s in enumerate(sample)],
        annotator="bench2",
    )
    print(f"import of {len(sample):,} annotations (one transaction): {time.perf_counter() - start:.2f} s")
    took, labels_now = timed(store.current_labels)
    print(f"current_labels() with {len(labels_now):,} annotated sentences: {took:.2f} s")
    took, _ = timed(lambda: build_queue(store, 50, model_version="bench-model"))
    print(f"queue of 50 after 10,000 annotations: {took:.2f} s")


if __name__ == "__main__":
    main()
