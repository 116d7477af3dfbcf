"""Whose voice: `stance tag`'s speaker against readers who judged it sentence by sentence.

    .venv/bin/python bench/eval_speaker.py

``bench/reading/speaker-reader.csv`` holds, for every bundled sentence (seeds
and ``training/``; ``file`` and ``row`` name its annotation row), the voice
(``author`` or ``quoted``) and the quoted speaker's name as written in the
sentence, given by readers who read each document whole and in order, from
the issue's definition alone, without seeing stance's output
(``training/README.md`` has their instructions). The script gives every
bundled document's sentences their speakers as `stance tag` does (whole
documents, in order; the speaker depends on nothing else) and prints, over those sentences: accuracy of the voice, precision,
recall and F1 of ``quoted``, and, where both say quoted and the reader names
the speaker, how often stance gives the same name (compared without case,
markdown and an article; one name inside the other, as "Raimondo" in "Gina
Raimondo", counts apart as partly the same). Then the kinds of text apart,
the two halves of the documents apart (``half``: the rules were mended
looking at the misses of the "mended" half only; the "held back" half
says how far that carries), and the misses and false alarms by the cue
that gave stance's voice.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from stance.annotations import TRAINING_DIR
from stance.corpus import SEEDS_DIR, read_corpus
from stance.segment import iter_sentences
from stance.speaker import Speaker, speakers
from stance.tagger import as_read

ROOT = Path(__file__).resolve().parents[1]
READING = ROOT / "bench" / "reading" / "speaker-reader.csv"


def kind_of(file: str) -> str:
    parts = Path(file).parts
    return "seeds" if parts[0] == "seeds" else parts[1]


def same_name(a: str, b: str) -> str:
    """"same", "part" (one inside the other) or "other"."""
    def norm(x: str) -> str:
        return re.sub(r"^(?:the|a|an)\s+", "", re.sub(r"[*_]", "", x).strip().lower())

    a, b = norm(a), norm(b)
    if a == b:
        return "same"
    return "part" if a and b and (a in b or b in a) else "other"


def main() -> None:
    with open(READING, encoding="utf-8", newline="") as f:
        gold = {row["sentence_id"]: row for row in csv.DictReader(f)}
    seen: dict[str, Speaker] = {}
    for document in read_corpus([SEEDS_DIR, TRAINING_DIR]).documents:
        sentences = list(iter_sentences(document))  # as `stance tag` reads a document: whole, in order
        for s, voice in zip(sentences, speakers([as_read(s.text) for s in sentences], [s.paragraph for s in sentences])):
            seen.setdefault(s.sentence_id, voice)
    rows = [(g, seen[sid]) for sid, g in gold.items() if sid in seen]
    print(f"{len(rows)} of {len(gold)} read sentences found in the bundled documents")
    groups = [("all", rows)]
    groups += [(kind, [(g, s) for g, s in rows if kind_of(g["file"]) == kind]) for kind in ("seeds", "government", "state-media", "think-tank")]
    groups += [(f"{half} half", [(g, s) for g, s in rows if g["half"] == half]) for half in ("mended", "held back")]
    for label, part in groups:
        if not part:
            continue
        tp = sum(g["voice"] == "quoted" and s.voice == "quoted" for g, s in part)
        fp = sum(g["voice"] != "quoted" and s.voice == "quoted" for g, s in part)
        fn = sum(g["voice"] == "quoted" and s.voice != "quoted" for g, s in part)
        accuracy = sum(g["voice"] == s.voice for g, s in part) / len(part)
        p, r = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        named = [same_name(g["name"], s.name or "") for g, s in part if g["voice"] == s.voice == "quoted" and g["name"]]
        names = Counter(named)
        print(f"{label:16s} {len(part):5d} sentences, {tp + fn:4d} quoted: voice accuracy {accuracy:.3f}; quoted P {p:.3f} R {r:.3f} F1 {f1:.3f}; "
              f"name of {len(named)} named quotes: same {names['same'] / max(len(named), 1):.2f}, partly {names['part'] / max(len(named), 1):.2f}")
    misses = Counter("quoted, stance author" for g, s in rows if g["voice"] == "quoted" and s.voice != "quoted")
    alarms = Counter(f"author, stance quoted by {s.cue}" for g, s in rows if g["voice"] != "quoted" and s.voice == "quoted")
    print("\nwhere they differ:", dict(misses + alarms))


if __name__ == "__main__":
    main()
