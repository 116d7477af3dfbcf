"""`stance tag` end to end: read, clean, segment, tag, tone, write JSONL.

    .venv/bin/python bench/bench_tag.py [N_SENTENCES] [--encoder] [--repeated] [--runs=N]

Writes a generated corpus of varied real text (corpus_gen.py, nearly every
sentence distinct; with ``--repeated``, the seeds' sentences recurring, which
the tagger's vote cache makes cheaper) as .txt files, then times
`stance tag FOLDER --format jsonl -o FILE` in a fresh process on one
core, after the default model is built and the cue prefilter compiled (each a
one-off, reported apart; a first big run compiles the prefilter itself).
Then start-up alone: `stance tag` on one sentence, five fresh processes.
With ``--runs=N``, each setting runs N times and the best and median are
reported too: on a shared machine runs vary by 10-20%.
With ``--encoder``, times `stance tag --encoder` instead (with evidence), after
the default encoder is fine-tuned (reported apart; give a few thousand sentences).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus_gen import documents  # noqa: E402

from stance.model import ruleset_for  # noqa: E402
from stance.tagger import cache_dir, default_encoder, default_model  # noqa: E402


def main() -> None:
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = int(numbers[0]) if numbers else 200_000
    encoder = "--encoder" in flags
    runs = next((int(f.split("=", 1)[1]) for f in flags if f.startswith("--runs=")), 1)
    start = time.perf_counter()
    model = default_model()
    print(f"default model ready in {time.perf_counter() - start:.1f} s (trained once, then cached)")
    start = time.perf_counter()
    if ruleset_for(model.codebook.to_toml()).attach_prefilter(cache_dir() / "cues", build=True):
        print(f"cue prefilter ready in {time.perf_counter() - start:.1f} s (compiled once, then cached; see stance/prefilter.py)")
    else:
        print("no cue prefilter (Hyperscan is not installed): cue rules run on re alone")
    if encoder:
        import torch

        torch.set_num_threads(os.cpu_count() or 1)  # the one-off fine-tune on every core; tagging below on one
        start = time.perf_counter()
        default_encoder()
        print(f"default encoder ready in {time.perf_counter() - start:.1f} s (fine-tuned once, then cached)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        for doc in documents(target, distinct="--repeated" not in flags):
            (folder / f"{Path(doc.path).stem}.txt").write_text(doc.text, encoding="utf-8")
        for extra in ([["--encoder"]] if encoder else [[], ["--no-evidence"]]):
            times = []
            for _ in range(runs):
                # Each run in a fresh process, as a user runs it: start-up, imports and
                # loading the model count, and no cache is warm from the run before.
                out = Path(tmp) / "tags.jsonl"
                start = time.perf_counter()
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                run = subprocess.run([sys.executable, "-m", "stance.cli", "tag", str(folder), "--format", "jsonl", "-o", str(out), *extra])
                elapsed = time.perf_counter() - start
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (used.ru_utime + used.ru_stime) - (before.ru_utime + before.ru_stime)
                with open(out, encoding="utf-8") as f:
                    texts = [json.loads(line)["text"] for line in f]
                n = len(texts)
                times.append(elapsed)
                print(f"stance tag {' '.join(extra)}: {n:,} sentences ({len(set(texts)):,} distinct) in {elapsed:.1f} s = {n / elapsed:,.0f} sentences/s end to end "
                      f"(CPU {cpu:.1f} s = {n / cpu:,.0f}/s; exit {run.returncode}); peak memory {used.ru_maxrss / 1024:.0f} MB", flush=True)
            if runs > 1:
                print(f"  best of {runs}: {n / min(times):,.0f}/s, median {n / statistics.median(times):,.0f}/s")
        # Start-up alone, what every run pays before its first sentence: one sentence, a fresh process each time.
        one = Path(tmp) / "one.txt"
        one.write_text("The ministry said the new export controls take effect on Monday.\n", encoding="utf-8")
        starts = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "stance.cli", "tag", str(one), "--format", "jsonl", "-o", str(Path(tmp) / "one.jsonl")], check=True)
            starts.append(time.perf_counter() - start)
        print(f"stance tag on one sentence (start-up): median {statistics.median(starts):.2f} s, best {min(starts):.2f} s of 5 runs")


if __name__ == "__main__":
    main()
