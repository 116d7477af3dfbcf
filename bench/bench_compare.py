"""`stance compare` on a million tagged sentences read from an export, one core.

    .venv/bin/python bench/bench_compare.py [N_SENTENCES] [--keep DIR]

Builds an export of N (default 1,000,000) tagged sentences in the exact
format `stance export` writes: the seeds' real sentences with their hand-made
labels and real tone, spread over 20 sources with varied confidences and
speakers. Writes it as Parquet and as JSONL, then times the command

    stance compare EXPORT --topic export_controls --format json -o out.json

end to end (a fresh process: start-up, imports, reading, comparing, writing)
pinned to one core, plus an in-process breakdown of the Parquet run.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the seeds with their hand-made labels

import numpy as np  # noqa: E402

from seed_tagged import seed_tagged  # noqa: E402
from stance.codebook import load_codebook  # noqa: E402
from stance.export import EXPORT_COLUMNS, _export_schema, tagged_columns, write_parquet  # noqa: E402

ONE_CORE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "ARROW_NUM_THREADS": "1"}
TOPIC = "export_controls"


def build(n: int, folder: Path) -> dict[str, Path]:
    records, sources = seed_tagged()
    base = tagged_columns(list(records), sources, codebook_version="1", model_version="bench")
    rng = np.random.default_rng(7)
    pick = rng.integers(0, len(records), n)
    columns = {c: [base[c][i] for i in pick] for c in EXPORT_COLUMNS}
    k = np.arange(n)
    columns["sentence_id"] = [f"{i:016x}" for i in k]
    columns["source"] = [f"gen{i % 20}" for i in k]
    columns["source_name"] = [f"Source {i % 20}" for i in k]
    columns["kind"] = [("think tank", "author newsletter", "state-aligned outlet")[i % 3] for i in k]
    columns["doc_id"] = [f"doc{i // 150}" for i in k]
    columns["path"] = [f"gen/{i // 150}.txt" for i in k]
    columns["index"] = (k % 150).tolist()
    columns["confidence"] = np.round(rng.uniform(0.3, 1.0, n), 4).tolist()
    columns["speaker"] = np.where(rng.random(n) < 0.2, "quoted", "author").tolist()
    parquet = folder / "tagged.parquet"
    data = dict(columns)
    data["topics"] = [list(v) for v in data["topics"]]
    data["frames"] = [list(v) for v in data["frames"]]
    for c in ("scores", "evidence"):
        data[c] = [json.dumps(v or {}, sort_keys=True) for v in data[c]]
    write_parquet(data, parquet, schema=_export_schema())
    jsonl = folder / "tagged.jsonl"
    with open(jsonl, "w", encoding="utf-8") as out:
        names = list(EXPORT_COLUMNS)
        for values in zip(*(columns[c] for c in names)):
            row = dict(zip(names, values))
            row["topics"], row["frames"] = list(row["topics"]), list(row["frames"])
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"parquet": parquet, "jsonl": jsonl}


def run_cli(path: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `stance compare` process on one core.

    CPU time is reported too because a shared machine's other work stretches
    wall time; on an idle core the two agree.
    """
    env = {**os.environ, **ONE_CORE}
    command = [sys.executable, "-m", "stance.cli", "compare", str(path), "--topic", TOPIC, "--format", "json", "-o", str(out)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def breakdown(path: Path) -> dict[str, float]:
    import pyarrow as pa

    from stance.compare import NEEDED_COLUMNS, compare, read_export
    from stance.export import write_comparison

    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    codebook = load_codebook()
    t0 = time.perf_counter()
    table = read_export(path, codebook, columns=NEEDED_COLUMNS)
    t1 = time.perf_counter()
    result = compare(table, codebook, topic=TOPIC)
    t2 = time.perf_counter()
    with open(os.devnull, "w") as sink:
        json.dump(result.rows(), sink)
    t3 = time.perf_counter()
    n = int(sum(r["n"] for r in result.rows()))
    return {"read": t1 - t0, "compare": t2 - t1, "json rows": t3 - t2, "topic sentences": n, "rows": len(table)}


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 1_000_000
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="stance-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        files = build(n, folder)
        print(f"built {n:,} tagged sentences in {time.perf_counter() - t:.1f} s: "
              + ", ".join(f"{k} {p.stat().st_size / 1e6:.0f} MB" for k, p in files.items()))
        print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for kind, path in files.items():
            runs = [run_cli(path, folder / f"out-{kind}.json") for _ in range(3 if kind == "parquet" else 1)]
            wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
            print(f"stance compare {kind} --topic {TOPIC} --format json (one core, end to end): "
                  f"{wall:.2f} s wall, {cpu:.2f} s CPU (best of {len(runs)})")
        parts = breakdown(files["parquet"])
        print("in-process, parquet: " + ", ".join(f"{k} {v:.2f} s" if isinstance(v, float) else f"{k} {v:,}" for k, v in parts.items()))
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
