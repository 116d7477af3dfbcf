"""How well careful readers of the codebook alone score on ../shared/devset.

    .venv/bin/python bench/eval_devset_readers.py [DEVSET_DIR]

The frame aim (macro-F1 0.55 against the development set's gold) only means
something next to what a careful reader reaches there. Two readings of the
development documents, each by readers who had nothing but
``../shared/codebook.md`` and the documents' sentences in order (they never saw
the gold, the scorer, the tagger's output or this project), are kept in
``bench/reading/devset-codebook-reader-{1,2}.jsonl``: document, character
offsets and labels only, never the text, so nothing in them can be trained on
or copied into cues. Nothing in the tagger reads them.

Printed: each reading scored by the development set's own scorer like the
tagger (with a 95% bootstrap interval), the two readings against each other,
the tagger (``stance tag``, default model) against the gold and against each
reading, and frames per sentence for all of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from eval_devset import bootstrap, scorer

ROOT = Path(__file__).resolve().parents[1]
READINGS = {
    f"reading {n}": ROOT / "bench" / "reading" / f"devset-codebook-reader-{n}.jsonl" for n in (1, 2)
}


def with_text(path: Path, raw: dict[str, str]) -> list[dict]:
    """A reading's records with each sentence's text put back from its document."""
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for record in records:
        record["text"] = raw[record["doc"]][record["start"] : record["end"]]
    return records


def as_gold(records: list[dict]) -> list[dict]:
    """A reading in the gold file's shape, so the scorer can take it as the truth."""
    return [
        {"doc": r["doc"], "start": r["start"], "end": r["end"], "topics": r["topics"], "frames": r["frames"]}
        for r in records
        if not r["boilerplate"]
    ]


def frames_per_sentence(records: list[dict]) -> float:
    content = [r for r in records if not r.get("boilerplate")]
    return sum(len(r["frames"]) for r in content) / len(content)


def against(score: ModuleType, truth: list[dict], tags: list[dict], raw: dict[str, str]) -> tuple[float, float, float]:
    """Topic micro-F1, frame macro-F1 and stance Spearman of tags scored against truth."""
    spans = score.locate(tags, raw)
    topics = score.score(truth, spans, "topics", sorted({x for g in truth for x in g["topics"]}))[1]
    frames = score.score(truth, spans, "frames", sorted({x for g in truth for x in g["frames"]}))[2]
    return topics, frames, score.doc_stance(truth, spans)["spearman"]


def per_frame(score: ModuleType, truth: list[dict], tags: list[dict], raw: dict[str, str]) -> dict[str, float]:
    spans = score.locate(tags, raw)
    rows = score.score(truth, spans, "frames", sorted({x for g in truth for x in g["frames"]}))[0]
    return {label: row["f1"] for label, row in rows.items()}


def main() -> None:
    devset = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "devset"
    if not (devset / "score.py").is_file():
        sys.exit(f"no devset at {devset}")
    score = scorer(devset)
    raw = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "docs").glob("*.txt")}
    gold = score.load_jsonl(devset / "gold.jsonl")
    readings = {name: with_text(path, raw) for name, path in READINGS.items()}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tags.jsonl"
        subprocess.run([sys.executable, "-m", "stance.cli", "tag", str(devset / "docs"), "--format", "jsonl", "-o", str(out)], check=True)
        tagger = score.load_jsonl(out)
        intervals = {}
        for name, records in readings.items():
            path = Path(tmp) / f"{name}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
            intervals[name] = bootstrap(score, devset, path)

    print("frames per content sentence: gold "
          f"{sum(len(g['frames']) for g in gold if not g['boilerplate']) / sum(not g['boilerplate'] for g in gold):.2f}, "
          + ", ".join(f"{name} {frames_per_sentence(r):.2f}" for name, r in readings.items())
          + f", tagger {frames_per_sentence(tagger):.2f}")
    print("\nscored against the gold (topic micro-F1 / frame macro-F1 / stance Spearman):")
    for name, records in [*readings.items(), ("tagger", tagger)]:
        t, f, rho = against(score, gold, records, raw)
        print(f"  {name:10s} {t:.3f} / {f:.3f} / {rho:.2f}   {intervals.get(name, '')}")
    print("\nframe F1 against the gold, per frame:")
    table = {name: per_frame(score, gold, records, raw) for name, records in [*readings.items(), ("tagger", tagger)]}
    print("  " + f"{'frame':14s}" + "".join(f"{name:>11s}" for name in table))
    for label in next(iter(table.values())):
        print("  " + f"{label:14s}" + "".join(f"{table[name][label]:11.2f}" for name in table))
    print("\nagainst each other (the row's labels as the truth):")
    names = list(readings)
    for truth_name in names:
        truth = as_gold(readings[truth_name])
        for name, records in [*((n, readings[n]) for n in names if n != truth_name), ("tagger", tagger)]:
            t, f, rho = against(score, truth, records, raw)
            print(f"  {name:10s} against {truth_name}: {t:.3f} / {f:.3f} / {rho:.2f}")


if __name__ == "__main__":
    main()
