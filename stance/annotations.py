"""Annotation files: the one format used to import, export and train.

CSV (``;``-separated ids in a cell) or JSONL (lists), with columns:

=============== ========================================================
``text``        the sentence (required)
``topics``      topic ids, e.g. ``export_controls;semiconductors``
``frames``      frame ids, e.g. ``security_risk``
``primary_frame`` optional: the dominant frame, one of ``frames``
``sentence_id`` optional: matches a stored sentence exactly
``source``      optional: the source id
``annotator``   optional: who labelled it (the bundled seed labels: ``seed``);
                ``adjudication:NAME`` is NAME's ruling where annotators differ
``note``        optional: free text
``boilerplate_mark`` optional: a person marked the sentence boilerplate,
                for this reason (e.g. ``navigation``); its labels, if any,
                then do not count
``decides``     optional: which of ``topics``, ``frames``,
                ``primary_frame`` and ``boilerplate`` the row decides
                (``;``-separated). Empty: the first three; a row with a
                ``boilerplate_mark`` decides ``boilerplate``, and its
                labels only if it gives some; an adjudication row decides
                the kinds it fills (all three if it fills none), so that a
                ruling on the frames leaves the topics the annotators
                gave. ``decides`` ``boilerplate`` with an empty
                ``boilerplate_mark`` marks the sentence as content.
                Export writes it for every adjudication row.
=============== ========================================================

A sentence may have several rows (two annotators, an adjudication).
Training and scoring read one set of labels per sentence, as the store
resolves them (``resolve``): for each kind, the latest adjudication row
that decides it, else the latest row that decides it; "latest" is the
later in the files as given, which is the order ``stance annotations
export`` writes.

Reading checks every row against a codebook when one is given: an unknown
label id, a primary frame that is not among the frames, or a row without text
is reported with its file and line, and the other rows still go through.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from stance.corpus import Problem, cell_text, decode, kind_of, line_of, table_rows
from stance.errors import StanceError
from stance.export import FORMULA_STARTS, replacing
from stance.segment import normalise_text

COLUMNS = ("text", "topics", "frames", "primary_frame", "sentence_id", "source", "annotator", "note")
DECISION_KINDS = ("topics", "frames", "primary_frame")  # what one row decides (all three unless ``decides`` says)
ROW_KINDS = DECISION_KINDS + ("boilerplate",)  # all a row can decide
BOILERPLATE_MARK = "boilerplate_mark"  # the optional column: why a person marked the sentence boilerplate
# (not ``boilerplate`` or ``boilerplate_reason``: `stance tag` output has those, for the automatic flag)
NOT_A_REASON = frozenset({"no", "n", "false", "0", "none", "yes", "y", "true", "1"})  # yes/no in a boilerplate_mark cell
DECIDES = "decides"  # the optional column, written only where a row decides other than the three
ADJUDICATION_PREFIX = "adjudication:"  # an annotator cell ``adjudication:NAME``: NAME's ruling
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
    decides: tuple[str, ...] = DECISION_KINDS  # the kinds this row decides; the others it leaves to other rows
    boilerplate_mark: str | None = None  # where it decides ``boilerplate``: the reason, or "" for content

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self.topics) | frozenset(self.frames)

    @property
    def adjudication(self) -> bool:
        return self.annotator.startswith(ADJUDICATION_PREFIX)

    def labels_of(self, kind: str) -> tuple[str, ...]:
        """What the row says of one kind it can decide, as the store keeps it: ids, or one reason."""
        if kind in ("topics", "frames"):
            return self.topics if kind == "topics" else self.frames
        value = self.primary_frame if kind == "primary_frame" else self.boilerplate_mark
        return (value,) if value else ()

    @property
    def _says_decides(self) -> bool:
        """Whether a file must say what the row decides: an adjudication always (read without
        it, one decides only the kinds it fills), any other row where it is not the three."""
        return self.adjudication or self.decides != DECISION_KINDS

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
            BOILERPLATE_MARK: self.boilerplate_mark or "",
            DECIDES: ";".join(self.decides) if self._says_decides else "",
        }

    def to_json(self) -> dict:
        row = self.to_row()
        row["topics"] = list(self.topics)
        row["frames"] = list(self.frames)
        if not self.boilerplate_mark:
            del row[BOILERPLATE_MARK]
        if not self._says_decides:
            del row[DECIDES]
        else:
            row[DECIDES] = list(self.decides)
        return row


@dataclass
class AnnotationSet:
    """Annotations read from files, and the rows that could not be used."""

    annotations: list[Annotation] = field(default_factory=list)
    problems: list[StanceError] = field(default_factory=list)
    without_rows: list[str] = field(default_factory=list)  # files read whole that hold no row: a CSV header alone
    lines: list[int] = field(default_factory=list)  # where each of ``annotations`` starts in its file


class Decided(Protocol):
    """A decision on one kind of one sentence: a ruling or an annotator's word, and when."""

    @property
    def adjudication(self) -> bool: ...

    @property
    def order(self) -> Any: ...


D = TypeVar("D", bound=Decided)


def holding(decisions: Sequence[D]) -> D:
    """Of one sentence's decisions on one kind, the one that holds: the latest
    adjudication if there is one, else the latest word (the store and files alike)."""
    rulings = [d for d in decisions if d.adjudication]
    return max(rulings or decisions, key=lambda d: d.order)


class _Row(NamedTuple):
    annotation: Annotation
    order: int  # its place in the files as given: a later row is a later word

    @property
    def adjudication(self) -> bool:
        return self.annotation.adjudication


@dataclass
class Resolution:
    """One set of labels per sentence, from rows that may label a sentence more than once."""

    annotations: list[Annotation]
    merged: int = 0  # sentences that had more than one row
    adjudicated: int = 0  # of those, sentences where an adjudication row decides a kind
    boilerplate: int = 0  # sentences left out: a person marked them boilerplate
    without_rows: list[str] = field(default_factory=list)  # files that held no row (``AnnotationSet.without_rows``)


def resolve(annotations: Sequence[Annotation]) -> Resolution:
    """Each sentence's labels as the store resolves them (``holding``, kind by kind),
    in the order the sentences first appear; a sentence is its ``sentence_id``, or its
    text (normalised) within its source; a row without an id is a word on the sentence of
    every row of its text that has one (in its source, if it names one), as importing
    matches it. A sentence with one row that decides the three kinds of labels keeps that
    row as it is; one a person marked boilerplate is left out, as the store leaves it out
    of training."""
    groups: dict[tuple[str, ...], list[_Row]] = defaultdict(list)
    with_id: dict[str, dict[tuple[str, str], None]] = defaultdict(dict)  # normalised text -> (sentence id, source) of rows that give one
    for a in annotations:
        if a.sentence_id:
            with_id[normalise_text(a.text)][(a.sentence_id, a.source or "")] = None
    for order, a in enumerate(annotations):
        if a.sentence_id:
            groups[(a.sentence_id,)].append(_Row(a, order))
            continue
        # a row without an id joins every sentence of its text (within its source, if it names one), as importing it would
        same = [(sid,) for sid, source in with_id.get(normalise_text(a.text), ()) if not a.source or source == a.source]
        for key in same or [("", normalise_text(a.text), a.source or "")]:
            groups[key].append(_Row(a, order))
    out = Resolution([])
    for rows in groups.values():
        if len(rows) == 1 and rows[0].annotation.decides == DECISION_KINDS and not rows[0].adjudication:  # the common case, kept as it is
            out.annotations.append(rows[0].annotation)
            continue
        out.merged += len(rows) > 1
        out.adjudicated += any(r.adjudication for r in rows)
        winners = {kind: holding(said) for kind in ROW_KINDS if (said := [r for r in rows if kind in r.annotation.decides])}
        if "boilerplate" in winners and winners["boilerplate"].annotation.boilerplate_mark:
            out.boilerplate += 1
            continue
        latest = max(rows, key=lambda r: (bool(r.annotation.sentence_id), r.order)).annotation  # the sentence's text and id
        out.annotations.append(standing(latest.text, latest.sentence_id, latest.source, {
            kind: (w.annotation.labels_of(kind), w.annotation.annotator.removeprefix(ADJUDICATION_PREFIX), w.annotation.note, w.order)
            for kind, w in winners.items()
        }))
    return out


def standing(text: str, sentence_id: str | None, source: str | None, held: dict[str, tuple[tuple[str, ...], str, str, Any]]) -> Annotation:
    """A sentence's labels as they stand, from the decision that holds on each kind it has
    (``held``: kind -> (labels, who, note, order)), in the store and in files alike: a primary
    frame outside the frames is none, a boilerplate mark leaves no labels, and the annotation
    names everyone whose word holds, with the latest one's note."""
    topics = held["topics"][0] if "topics" in held else ()
    frames = held["frames"][0] if "frames" in held else ()
    primary = next(iter(held["primary_frame"][0]), None) if "primary_frame" in held else None
    if "boilerplate" in held and held["boilerplate"][0]:
        topics, frames, primary = (), (), None
    return Annotation(
        text=text, topics=topics, frames=frames, primary_frame=primary if primary in frames else None,
        sentence_id=sentence_id, source=source, annotator="+".join(dict.fromkeys(who for _, who, _, _ in held.values())),
        note=max(held.values(), key=lambda h: h[3])[2],
    )


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
        raise StanceError(f"'{column}' must be ids, not {kind_of(value)}", path=path, line=line,
                          fix='in a CSV, ids separated by ";" (export_controls;ai); in JSONL, a list (["export_controls", "ai"])')
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
    mark = row.get(BOILERPLATE_MARK)
    if isinstance(mark, bool) or str(mark or "").strip().lower() in NOT_A_REASON:
        # read as a reason, "no" or FALSE (a spreadsheet's) would mark the sentence and leave it out of training
        raise StanceError(
            f"'{BOILERPLATE_MARK}' is {json.dumps(mark) if isinstance(mark, bool) else repr(mark)}: the cell holds why a person marked the sentence boilerplate, not yes or no",
            path=path, line=line, fix=f"write the reason (e.g. navigation) to mark it, or leave '{BOILERPLATE_MARK}' empty",
        )
    boilerplate = _plain(row, BOILERPLATE_MARK, path, line).strip()
    annotator = _plain(row, "annotator", path, line)
    if annotator.startswith(ADJUDICATION_PREFIX) and not annotator.removeprefix(ADJUDICATION_PREFIX).strip():
        raise StanceError(f"the annotator is {annotator!r}: an adjudication names who made it", path=path, line=line,
                          fix=f"write {ADJUDICATION_PREFIX}NAME (e.g. {ADJUDICATION_PREFIX}ana), or leave the cell empty for a plain annotation")
    filled = tuple(k for k, given in (("topics", topics), ("frames", frames), ("primary_frame", primary)) if given)
    decides = _decides(row, path, line, boilerplate, filled, annotator.startswith(ADJUDICATION_PREFIX))
    given = {"topics": topics, "frames": frames, "primary_frame": (primary,) if primary else (), "boilerplate": boilerplate}
    undecided = [kind for kind in ROW_KINDS if given[kind] and kind not in decides]
    if undecided:
        raise StanceError(
            f"the row gives {' and '.join(undecided)} but its '{DECIDES}' cell leaves {'it' if len(undecided) == 1 else 'them'} out",
            path=path, line=line, fix=f"add {';'.join(undecided)} to '{DECIDES}', or leave that cell empty",
        )
    if primary and len(_ids(primary, path, line, "primary_frame")) > 1:
        raise StanceError(f"primary_frame {primary!r} names more than one frame", path=path, line=line,
                          fix="give the one frame the sentence leans on most (the others go in 'frames')")
    if primary and primary not in frames and "frames" in decides:
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
        annotator=annotator,
        note=str(row.get("note") or ""),
        decides=decides,
        boilerplate_mark=boilerplate if "boilerplate" in decides else None,
    )


def _decides(row: dict, path: str, line: int, boilerplate: str, filled: tuple[str, ...], adjudication: bool) -> tuple[str, ...]:
    """The kinds a row decides, in their usual order. An empty cell: the three kinds of
    labels; a row that marks the sentence boilerplate decides that, and its labels only
    if it gives some; an adjudication the kinds it fills (a ruling on the frames leaves
    the topics the annotators gave), or all three if it fills none."""
    named = _ids(row.get(DECIDES), path, line, DECIDES)
    unknown = [k for k in named if k not in ROW_KINDS]
    if unknown:
        raise StanceError(
            f"'{DECIDES}' names {', '.join(map(repr, unknown))}, which a row cannot decide", path=path, line=line,
            fix=f"name some of {', '.join(ROW_KINDS)} (separated by ';'), or leave it empty for the first three",
        )
    if named:
        return tuple(k for k in ROW_KINDS if k in named)
    if boilerplate:
        return ROW_KINDS if filled else ("boilerplate",)
    if adjudication and filled:
        return filled
    return DECISION_KINDS


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
            text = decode(path.read_bytes(), shown, binary_fix="save it as CSV (in Excel: Save As, CSV UTF-8) or as JSON Lines")
            if "\x00" in text:  # refused as before by line: documents drop stray NULs with a note, annotations have no notes
                raise StanceError("the file holds a NUL character (\\x00)", path=shown, line=line_of(text, text.index("\x00")),
                                  fix="save the file again without it")
            rows = list(table_rows(path, text, COLUMNS + (BOILERPLATE_MARK, DECIDES), REQUIRED))
            if not rows:
                result.without_rows.append(shown)
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
            text = row.get("text")
            if path.suffix.lower() != ".jsonl" and isinstance(text, str) and text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
                # the apostrophe stance's own CSVs put before a text a spreadsheet would run as a formula
                row = {**row, "text": text[1:]}
            try:
                result.annotations.append(_annotation(row, shown, n, known, topic_ids, frame_ids))
                result.lines.append(n)
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
    extra = tuple(c for c in (BOILERPLATE_MARK, DECIDES) if any(a.to_row()[c] for a in annotations))  # only where a row needs it
    with replacing(path) as part, open(part, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS + extra, extrasaction="ignore")
        writer.writeheader()
        for a in annotations:
            writer.writerow(a.to_row())
