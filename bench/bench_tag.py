"""`stance tag` end to end: read, clean, segment, tag, tone, write JSONL.

    .venv/bin/python bench/bench_tag.py [N_SENTENCES]

Writes a generated corpus of varied real text (corpus_gen.py) as .txt files,
then times `stance tag FOLDER --format jsonl -o FILE` in this process on one
core, after the default model is built (its one-off training is reported apart).
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_gen import documents  # noqa: E402

from stance.cli import main as stance  # noqa: E402
from stance.tagger import default_model  # noqa: E402


def main() -> None:
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    start = time.perf_counter()
    default_model()
    print(f"default model ready in {time.perf_counter() - start:.1f} s (trained once, then cached)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for doc in documents(target):
            (folder / f"{Path(doc.path).stem}.txt").write_text(doc.text, encoding="utf-8")
        for extra in ([], ["--no-evidence"]):
            out = Path(tmp) / "tags.jsonl"
            start = time.perf_counter()
            code = stance(["tag", str(folder), "--format", "jsonl", "-o", str(out), *extra])
            elapsed = time.perf_counter() - start
            with open(out, encoding="utf-8") as f:
                n = sum(1 for _ in f)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"stance tag {' '.join(extra)}: {n:,} sentences in {elapsed:.1f} s = {n / elapsed:,.0f} sentences/s end to end "
                  f"(exit {code}); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
