"""Cleaning + segmentation throughput on one core, and peak memory.

    .venv/bin/python bench/bench_segment.py [N_SENTENCES]

Builds a corpus of >= 1 million sentences from varied real text (see
corpus_gen.py), streams it through clean + segment and reports sentences per
second, by wall clock and by CPU time (on a machine shared with other jobs the
wall clock also counts their time), and the peak resident memory.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_gen import documents  # noqa: E402

from stance.segment import iter_sentences  # noqa: E402


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    docs = list(documents(20_000, seed=1))  # warm up the regexes
    for d in docs:
        for _ in iter_sentences(d):
            pass
    sentences = 0
    chars = 0
    generate = 0.0
    generate_cpu = 0.0
    start = time.perf_counter()
    start_cpu = time.process_time()
    stream = documents(target)
    while True:
        t0 = time.perf_counter()
        c0 = time.process_time()
        doc = next(stream, None)
        generate += time.perf_counter() - t0
        generate_cpu += time.process_time() - c0
        if doc is None:
            break
        chars += len(doc.text)
        for _ in iter_sentences(doc):
            sentences += 1
    elapsed = time.perf_counter() - start - generate
    # CPU time too: on a shared machine wall time also counts other jobs.
    cpu = time.process_time() - start_cpu - generate_cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"clean+segment: {sentences:,} sentences ({chars / 1e6:.0f} MB of text) in {elapsed:.1f} s "
          f"= {sentences / elapsed:,.0f} sentences/s on one core (CPU time {cpu:.1f} s = {sentences / cpu:,.0f} "
          f"sentences/s); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
