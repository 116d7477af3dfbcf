"""A codebook stance has never seen, against a plain TF-IDF + logistic regression.

    .venv/bin/python bench/bench_custom_codebook.py [--codebook FILE --annotations FILE]

The task: one frame per text (the annotation's primary frame, else its only
frame) from a codebook with no cues, so only the trained model labels. Both
systems see the same 5 folds. stance goes through its own commands, as an
analyst would: for each fold, `stance train --codebook FILE --annotations
TRAIN.csv -o DIR`, then `stance tag TEST.csv --codebook FILE --model DIR`
on the held-out texts as a table, one document per row. A row split into
several sentences (a headline with a question) takes the frame given with
the highest probability in any of them. Printed: accuracy and macro-F1 out
of fold.

With no arguments: the primary frames of the bundled annotations (seeds and
``training/``) under a codebook of the default frames without their cues.

    .venv/bin/python bench/bench_custom_codebook.py --gvfc GVFC.csv

The Gun Violence Frame Corpus (Liu et al., 2019): news headlines on gun
violence, each with one of nine frames (the ``Q3 Theme1`` column; the
headline in ``news_title`` or ``headline_text``), under ``bench/gvfc.toml``.
It is not bundled (the README says where it was read).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import KFold

from stance.annotations import Annotation, bundled_annotation_files, read_annotations, write_annotations
from stance.cli import main as stance
from stance.codebook import load_codebook


def default_task(folder: Path) -> tuple[Path, list[Annotation]]:
    """The default frames without cues, and the bundled annotations that have a primary frame."""
    default = load_codebook()
    frames = "\n".join(f'[[frames]]\nid = "{f.id}"\nname = "{f.name}"\n' for f in default.frames)
    book = folder / "primary-frame.toml"
    book.write_text(f'name = "primary frame"\nversion = "1"\n{frames}', encoding="utf-8")
    annotations = [a for a in read_annotations(bundled_annotation_files(), default).annotations if a.primary_frame]
    return book, annotations


GVFC_CODEBOOK = Path(__file__).resolve().parent / "gvfc.toml"


def gvfc_task(path: Path) -> tuple[Path, list[Annotation]]:
    """GVFC's headlines, each with its first theme as its one frame."""
    frame_ids = load_codebook(GVFC_CODEBOOK).frame_ids  # in the corpus's order: theme 1 is the first
    annotations = []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            text = (row.get("news_title") or row.get("headline_text") or "").strip()
            theme = (row.get("Q3 Theme1") or "").strip()
            if not text or not theme.isdigit() or not 1 <= int(theme) <= len(frame_ids):
                print(f"{path}:{reader.line_num}: skipped: no headline, or 'Q3 Theme1' is not 1-{len(frame_ids)} ({theme!r})", file=sys.stderr)
                continue
            frame = frame_ids[int(theme) - 1]
            annotations.append(Annotation(text=text, frames=(frame,), primary_frame=frame, annotator="gvfc"))
    return GVFC_CODEBOOK, annotations


def label_of(a: Annotation) -> str | None:
    if a.primary_frame:
        return a.primary_frame
    return a.frames[0] if len(a.frames) == 1 else None


def run(args: list[str]) -> None:
    """One stance command, its own output kept out of the bench's."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        code = stance(args)
    if code != 0:
        raise SystemExit(f"stance {' '.join(args)} failed:\n{err.getvalue()}")


def stance_fold(book: Path, train: list[Annotation], test: list[str], folder: Path) -> list[str]:
    """`stance train` on ``train``, `stance tag` on ``test``: one frame per test text."""
    train_file, model, table, tags = folder / "train.csv", folder / "model", folder / "test.csv", folder / "tags.jsonl"
    write_annotations([Annotation(text=a.text, frames=(label_of(a),), primary_frame=label_of(a), annotator="bench") for a in train], train_file)
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows([i, text] for i, text in enumerate(test))
    with open(table, newline="", encoding="utf-8") as f:  # `stance tag` names a row by the line it starts on
        reader = csv.reader(f)
        next(reader)
        row_at, end = {}, reader.line_num
        for cells in reader:
            row_at[end + 1], end = int(cells[0]), reader.line_num
    run(["train", "--codebook", str(book), "--annotations", str(train_file), "-o", str(model)])
    run(["tag", str(table), "--codebook", str(book), "--model", str(model), "--no-evidence", "-o", str(tags)])
    frame_ids = load_codebook(book).frame_ids
    best: dict[int, tuple[float, str]] = {}  # row -> (probability, frame)
    for line in tags.read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        row = row_at[int(t["path"].rsplit(":", 1)[1])]
        given = t["frames"] or [max(frame_ids, key=lambda f: t["scores"].get(f, 0.0))]
        for frame in given:
            if row not in best or t["scores"].get(frame, 0.0) > best[row][0]:
                best[row] = (t["scores"].get(frame, 0.0), frame)
    missing = [i for i in range(len(test)) if i not in best]
    if missing:
        raise SystemExit(f"stance tag gave no sentence of {len(missing)} test texts, e.g. {test[missing[0]]!r}")
    return [best[i][1] for i in range(len(test))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", type=Path)
    parser.add_argument("--annotations", type=Path)
    parser.add_argument("--gvfc", type=Path, metavar="CSV", help="the Gun Violence Frame Corpus")
    args = parser.parse_args()
    if (args.codebook is None) != (args.annotations is None):
        parser.error("give both --codebook and --annotations, or neither")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.gvfc:
            book, annotations = gvfc_task(args.gvfc)
        elif args.codebook:
            book = args.codebook
            annotations = [a for a in read_annotations([args.annotations], load_codebook(book)).annotations if label_of(a)]
        else:
            book, annotations = default_task(folder)
        texts = np.array([a.text for a in annotations], dtype=object)
        y = np.array([label_of(a) for a in annotations], dtype=object)
        base = np.empty(len(y), dtype=object)
        ours = np.empty(len(y), dtype=object)
        for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(texts):
            vec = TfidfVectorizer()
            clf = LogisticRegression(max_iter=1000).fit(vec.fit_transform(texts[train]), y[train])
            base[test] = clf.predict(vec.transform(texts[test]))
            ours[test] = stance_fold(book, [annotations[i] for i in train], list(texts[test]), folder)

    print(f"{len(y)} texts, {len(set(y))} frames, 5-fold, no cues ({book.name})")
    print("| system | accuracy | macro-F1 |\n|---|---|---|")
    for name, pred in (("TF-IDF + logistic regression", base), ("`stance train` + `stance tag`", ours)):
        print(f"| {name} | {accuracy_score(y, pred):.3f} | {f1_score(y, pred, labels=sorted(set(y)), average='macro'):.3f} |")


if __name__ == "__main__":
    main()
