"""Score the tagger on ../shared/devset (never trained on): rules, model, combination.

    .venv/bin/python bench/eval_devset.py [DEVSET_DIR] [--encoder]

Runs `stance tag` on the development documents three ways and feeds each
output to the devset's own scorer (score.py), printing its summary lines.
With ``--encoder``, a fourth way too: the combination with the fine-tuned
encoder (`stance tag --encoder`; the default encoder is fine-tuned on first use).

Each run also gets a 95% bootstrap interval for topic micro-F1 and frame
macro-F1 (the gold sentences drawn again with replacement, 1,000 times, scored
by the scorer's own functions): how far the figures could move on another
draw of such sentences. Sentences of one document are alike, so the interval
is if anything too narrow.
"""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
STANCE = [sys.executable, "-m", "stance.cli"]
RESAMPLES = 1000


def scorer(devset: Path) -> ModuleType:
    """The development set's own score.py, imported."""
    spec = importlib.util.spec_from_file_location("devset_score", devset / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bootstrap(score: ModuleType, devset: Path, tags: Path) -> str:
    """95% intervals of topic micro-F1 and frame macro-F1 over gold sentences drawn with replacement."""
    gold = score.load_jsonl(devset / "gold.jsonl")
    raw = {p.stem: p.read_text(encoding="utf-8") for p in (devset / "docs").glob("*.txt")}
    spans = score.locate(score.load_jsonl(tags), raw)
    rng = random.Random(0)
    out = []
    for field, which in (("topics", 1), ("frames", 2)):
        labels = sorted({label for g in gold for label in g[field]})
        draws = sorted(score.score(rng.choices(gold, k=len(gold)), spans, field, labels)[which] for _ in range(RESAMPLES))
        out.append(f"{field} [{draws[int(0.025 * RESAMPLES)]:.3f}, {draws[int(0.975 * RESAMPLES) - 1]:.3f}]")
    return "bootstrap 95%: " + ", ".join(out)


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--encoder"]
    devset = Path(args[0]) if args else ROOT.parent / "shared" / "devset"
    if not (devset / "score.py").is_file():
        sys.exit(f"no devset at {devset}")
    score = scorer(devset)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "model-alone"
        subprocess.run([*STANCE, "train", "--no-cues", "-o", str(plain)], check=True, capture_output=True)
        runs = {
            "cue rules alone": ["--labeller", "rules"],
            "model alone": ["--model", str(plain)],
            "combination": [],
        }
        if "--encoder" in sys.argv[1:]:
            runs["combination with the encoder"] = ["--encoder"]
        for name, extra in runs.items():
            out = Path(tmp) / f"{name}.jsonl"
            subprocess.run([*STANCE, "tag", str(devset / "docs"), "--format", "jsonl", "-o", str(out), *extra], check=True)
            printed = subprocess.run([sys.executable, str(devset / "score.py"), str(out)], check=True, capture_output=True, text=True)
            print(f"== {name}")
            print(printed.stdout.strip())
            print(bootstrap(score, devset, out))


if __name__ == "__main__":
    main()
