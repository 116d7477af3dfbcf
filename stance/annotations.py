"""Annotation files: the one format used to import, export and train.

CSV (``;``-separated ids in a cell) or JSONL (lists), with columns:

=============== ========================================================
``text``        the sentence (required)
``topics``      topic ids, e.g. ``export_controls;semiconductors``
``frames``      frame ids, e.g. ``security_risk``
``primary_frame`` optional: the dominant frame, one of ``frames``
``sentence_id`` optional: matches a stored sentence exactly
``source``      optional: the source id
``annotator``   optional: who labelled it (the bundled seed labels: ``seed``)
``note``        optional: free text
=============== ========================================================

Reading checks every row against a codebook when one is given: an unknown
label id, a primary frame that is not among the frames, or a row without text
is reported with its file and line, and the other rows still go through.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stance.corpus import Problem, cell_text, decode, kind_of, line_of, table_rows
from stance.errors import StanceError
from stance.export import replacing

COLUMNS = ("text", "topics", "frames", "primary_frame", "sentence_id", "source", "annotator", "note")
REQUIRED = ("text", "topics", "frames")  # a file without a labels column would read as "no labels" and wipe real ones
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
# Training documents beyond the seeds, annotated the same way (see training/README.md).
TRAINING_DIR = Path(__file__).resolve().parent.parent / "training"


@dataclass(frozen=True, slots=True)
class Annotation:
    """One analyst's labels for one sentence."""

    text: str
    topics: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    primary_frame: str | None = None
    sentence_id: str | None = None
    source: str | None = None
    annotator: str = ""
    note: str = ""

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self.topics) | frozenset(self.frames)

    def to_row(self) -> dict[str, str]:
        """The flat CSV row; lists become ``;``-joined ids."""
        return {
            "text": self.text,
            "topics": ";".join(self.topics),
            "frames": ";".join(self.frames),
            "primary_frame": self.primary_frame or "",
            "sentence_id": self.sentence_id or "",
            "source": self.source or "",
            "annotator": self.annotator,
            "note": self.note,
        }

    def to_json(self) -> dict:
        row = self.to_row()
        row["topics"] = list(self.topics)
        row["frames"] = list(self.frames)
        return row


@dataclass
class AnnotationSet:
    """Annotations read from files, and the rows that could not be used."""

    annotations: list[Annotation] = field(default_factory=list)
    problems: list[StanceError] = field(default_factory=list)


def unknown_ids_fix(kind: str, allowed: Collection[str]) -> str:
    """The fix for a label id the codebook does not have (``kind``: "topic" or "frame")."""
    if not allowed:
        return f"this codebook has no {kind}s: leave the {kind}s column empty, or give the codebook these labels were made with (--codebook)"
    return f"use ids of the codebook: {', '.join(sorted(allowed))}"


def _ids(value, path: str, line: int, column: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = value.replace(",", ";").split(";")
    elif isinstance(value, list):
        parts = [str(v) for v in value]
    else:
        raise StanceError(f"column '{column}' must be ids separated by ';'", path=path, line=line, fix="e.g. export_controls;ai")
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def _plain(row: dict, column: str, path: str, line: int) -> str:
    """A one-value cell as text (``corpus.cell_text``): a list or an object is a mistake."""
    text = cell_text(row.get(column))
    if text is None:
        raise StanceError(f"'{column}' must be one value, not {kind_of(row.get(column))}", path=path, line=line, fix=f'give it as text, e.g. "{column}": "..."')
    return text


def _annotation(row: dict, path: str, line: int, known: frozenset[str] | None, topic_ids, frame_ids) -> Annotation:
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        raise StanceError(f"the row's text is {kind_of(text)}, not text", path=path, line=line, fix='give the sentence as a string, "text": "..."')
    if not text or not text.strip():
        raise StanceError("the row has no text", path=path, line=line, fix="fill in the sentence in the 'text' column")
    topics = _ids(row.get("topics"), path, line, "topics")
    frames = _ids(row.get("frames"), path, line, "frames")
    primary = _plain(row, "primary_frame", path, line) or None
    if known is not None:
        for column, ids, allowed in (("topics", topics, topic_ids), ("frames", frames, frame_ids)):
            unknown = [i for i in ids if i not in allowed]
            if unknown:
                raise StanceError(
                    f"unknown {column[:-1]} id{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}",
                    path=path,
                    line=line,
                    fix=unknown_ids_fix(column[:-1], allowed),
                )
    if primary and primary not in frames:
        raise StanceError(
            f"primary_frame '{primary}' is not among the row's frames",
            path=path,
            line=line,
            fix="add it to 'frames' or leave primary_frame empty",
        )
    return Annotation(
        text=text,
        topics=topics,
        frames=frames,
        primary_frame=primary,
        sentence_id=_plain(row, "sentence_id", path, line) or None,
        source=_plain(row, "source", path, line) or None,
        annotator=_plain(row, "annotator", path, line),
        note=str(row.get("note") or ""),
    )


def read_annotations(paths: Iterable[str | Path], codebook=None) -> AnnotationSet:
    """Read annotation files; with a codebook, check every label id against it."""
    known = None
    topic_ids: frozenset[str] = frozenset()
    frame_ids: frozenset[str] = frozenset()
    if codebook is not None:
        topic_ids = frozenset(codebook.topic_ids)
        frame_ids = frozenset(codebook.frame_ids)
        known = topic_ids | frame_ids
    result = AnnotationSet()
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        shown = str(path)
        if path.is_dir():
            result.problems.append(StanceError("this is a folder, not an annotation file", path=shown, fix=f"name the files in it, e.g. {path / '*.csv'}"))
            continue
        if path.resolve() in seen:  # read twice, every row would count twice
            result.problems.append(StanceError("this annotation file is named twice; it is read once", path=shown, fix="name each file once"))
            continue
        seen.add(path.resolve())
        try:
            text = decode(path.read_bytes(), shown)
            if "\x00" in text:  # refused as before by line: documents drop stray NULs with a note, annotations have no notes
                raise StanceError("the file holds a NUL character (\\x00)", path=shown, line=line_of(text, text.index("\x00")),
                                  fix="save the file again without it")
            rows = list(table_rows(path, text, COLUMNS, REQUIRED))
        except OSError as exc:
            result.problems.append(StanceError(f"cannot read the annotation file ({exc.strerror})", path=shown, fix="check the path and its permissions"))
            continue
        except UnicodeError as exc:
            result.problems.append(StanceError(f"undecodable bytes ({exc})", path=shown, fix="save it as UTF-8 text"))
            continue
        except StanceError as exc:
            result.problems.append(exc)
            continue
        machine = {n for n, row in (r for r in rows if not isinstance(r, Problem)) if str(row.get("labelled_by", "")).strip().lower() in ("model", "none")}
        if machine:
            # `stance tag` output: learning from or scoring against the model's own labels only echoes it.
            result.problems.append(StanceError(
                f"{len(machine)} of its rows carry the model's labels, not an annotator's (labelled_by model or none: `stance tag` output)",
                path=shown,
                line=min(machine),
                fix="keep only the rows a person checked, with labelled_by human:NAME (train and evaluate leave the others out; an import takes none of the file until then)",
            ))
        for item in rows:
            if isinstance(item, Problem):
                result.problems.append(StanceError(item.message, path=item.path, line=item.line, fix=item.fix))
                continue
            n, row = item
            if n in machine:
                continue
            try:
                result.annotations.append(_annotation(row, shown, n, known, topic_ids, frame_ids))
            except StanceError as exc:
                result.problems.append(exc)
    return result


def seed_annotation_files() -> list[Path]:
    """The bundled, hand-made annotations of the three seeds."""
    return sorted(SEEDS_DIR.glob("annotations-*.csv"))


def bundled_annotation_files() -> list[Path]:
    """What the default model trains on: the seed annotations and those of ``training/``."""
    return seed_annotation_files() + sorted(TRAINING_DIR.rglob("annotations-*.csv"))


def write_annotations(annotations: Sequence[Annotation], path: str | Path) -> None:
    """Write CSV or JSONL (by suffix) in the same format ``read_annotations`` reads."""
    if Path(path).suffix.lower() == ".jsonl":
        with replacing(path) as part, open(part, "w", encoding="utf-8") as out:
            for a in annotations:
                out.write(json.dumps(a.to_json(), ensure_ascii=False) + "\n")
        return
    with replacing(path) as part, open(part, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for a in annotations:
            writer.writerow(a.to_row())
