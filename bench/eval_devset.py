"""Score the tagger on ../shared/devset (never trained on): rules, model, combination.

    .venv/bin/python bench/eval_devset.py [DEVSET_DIR] [--encoder]

Runs `stance tag` on the development documents three ways and feeds each
output to the devset's own scorer (score.py), printing its summary lines.
With ``--encoder``, a fourth way too: the combination with the fine-tuned
encoder (`stance tag --encoder`; the default encoder is fine-tuned on first use).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STANCE = [sys.executable, "-m", "stance.cli"]


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--encoder"]
    devset = Path(args[0]) if args else ROOT.parent / "shared" / "devset"
    if not (devset / "score.py").is_file():
        sys.exit(f"no devset at {devset}")
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
            score = subprocess.run([sys.executable, str(devset / "score.py"), str(out)], check=True, capture_output=True, text=True)
            print(f"== {name}")
            print(score.stdout.strip())


if __name__ == "__main__":
    main()
