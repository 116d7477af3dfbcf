"""The store: documents, sentences, label events, models and codebooks.

One SQLite file by default, or any SQLAlchemy URL (a team may point it at
PostgreSQL: ``postgresql://user@host/db``, with ``pip install 'stance[postgres]'``).
The file is found from, in order: the ``db`` argument (``--db``), the
``STANCE_DB`` environment variable, else ``stance.db`` in the per-user data
folder (``platformdirs.user_data_dir("stance")``).

SQLite runs in WAL mode (readers never block the writer), with a busy
timeout, ``synchronous=FULL`` and write transactions that take the write lock
up front (``BEGIN IMMEDIATE``), so several analysts' processes can write at
once without losing anything and a crash loses at most the write in flight.
The schema is versioned: each migration is recorded in ``schema_migrations``
and a database made by a newer stance is refused rather than damaged.

Label events are append-only. Nothing here deletes or rewrites a label: a
correction is a new event, a changed document keeps its old sentences (marked
inactive) and their labels, and labels of sentences whose text did not change
are carried over to the new version.

What the rest of stance calls
-----------------------------

An illustration (not run)::

    store = open_store("labels.db")           # or Store(url); use as a context manager
    report, corpus = store.ingest_paths(["seeds/"])
    store.annotate(Annotation(text, topics=("ai",), frames=("competition",),
                              primary_frame="competition", sentence_id=sid),
                   annotator="alice", codebook=codebook)

- ``current_labels() -> dict[sentence_id, Annotation]``: the human labels
  that override predictions (``Tagger.tag(..., overrides=...)``). Per
  sentence and kind: the latest adjudication if there is one, else the
  latest human decision. A sentence a human marked as boilerplate comes with
  no topics and no frames. Conflicts stay listed in ``conflicts()``.
- ``boilerplate_overrides() -> dict[sentence_id, bool]``: sentences a human
  marked as boilerplate (True) or as content despite the cleaner (False).
- ``human_annotations() -> list[Annotation]``: the same decisions as a list in
  document order, for training (boilerplate-marked sentences left out; a
  superseded sentence whose labels were carried to its new version counts
  there only, here, in ``conflicts()`` and in exports; a decision carried
  and then orphaned counts once, at the version active last). For
  each sentence's context, ``documents()`` and ``sentences(doc_ids=...)``
  give the stored documents and their sentences in order.
- ``annotate(annotation, annotator=, codebook=, adjudication=)`` records one
  complete decision; ``add_event`` / ``add_events`` / ``mark_boilerplate``
  record single events (rule and model labels too, with their ``origin``).
- ``import_files(paths, annotator=, codebook=)`` / ``export_annotations(path)``:
  annotation files (``stance.annotations``); a fresh store that imports an
  export resolves every sentence as this one does, and exports it again
  byte for byte.
- ``annotator_annotations()``: each person's latest decisions as file rows,
  in the order they were made (adjudications as annotator
  ``adjudication:NAME``, boilerplate marks, and the kinds a row decides);
  what ``stance annotations export`` writes.
- ``conflicts()``: sentences where annotators' latest decisions differ, with
  what each said and the adjudication, if any.
- ``stale_labels(codebook)``: sentences whose deciding label was made under
  another codebook (``label_events.codebook_version`` holds the codebook's
  fingerprint; the ``codebooks`` table maps it to name and version).
- ``record_model(card) -> version`` / ``models()`` / ``latest_model()``: model
  cards (dicts as ``LabelModel.card``; a ``path`` key, if given, is kept).
- ``save_scores(model_version, label_ids, sentence_ids, probs, thresholds)``,
  ``unscored(model_version)`` and ``score_table(model_version)``: model
  probabilities stored once per model, for the active-learning queue
  (``stance.active``).
- ``sentences(...)``: stored sentences as ``Sentence`` records.

Label events (table ``label_events``): ``sentence_id``, ``kind`` (``topics``,
``frames``, ``primary_frame``, ``boilerplate``), ``labels`` (a JSON list of
ids; for ``boilerplate`` one reason, or none for "not boilerplate"),
``annotator``, ``origin`` (``human``, ``rule`` or ``model:<version>``),
``adjudication`` (an adjudicator's ruling between annotators),
``created_at`` (UTC ISO time), ``codebook_version``, ``note`` and
``carried_from`` (the original event, when carried to a new document version).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text
from sqlalchemy.engine import Connection, Engine

from stance.active import sentence_uncertainty, threshold_array
from stance.annotations import ADJUDICATION_PREFIX, DECISION_KINDS, ROW_KINDS, Annotation, holding, read_annotations, standing, unknown_ids_fix, write_annotations
from stance.cache import DB_ENV, default_path
from stance.corpus import DEFAULT_MAX_BYTES, Corpus, Document, Note, Problem, Source, iter_corpus, read_file, source_for_file
from stance.errors import StanceError
from stance.segment import Sentence, iter_sentences, normalise_text

KINDS = ROW_KINDS  # what a label event decides: the three kinds of labels, and a person's boilerplate mark
HUMAN = "human"
RULE = "rule"
BUSY_TIMEOUT_S = 60
INGEST_BATCH = 20_000  # sentences per write transaction while ingesting
SCORE_CHUNK = 20_000  # sentences per stored block of model scores
_IN_CHUNK = 900  # ids per IN (...) list

# --- the schema --------------------------------------------------------------

metadata = MetaData()

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("applied_at", String(40), nullable=False),
)

sources = Table(
    "sources", metadata,
    Column("source_id", String(200), primary_key=True),
    Column("name", Text, nullable=False, default=""),
    Column("outlet", Text, nullable=False, default=""),
    Column("kind", Text, nullable=False, default=""),
    Column("country", Text, nullable=False, default=""),
    Column("language", Text, nullable=False, default=""),
    Column("date", String(40), nullable=False, default=""),
)

documents = Table(
    "documents", metadata,
    Column("doc_id", String(40), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("path", Text, nullable=False),
    # Where the document lives (absolute path, or table file + row id): a new
    # text at the same location is a new version of the same document.
    Column("location", Text, nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("date", String(40), nullable=False, default=""),
    Column("text", Text, nullable=False),
    Column("meta", Text, nullable=False, default="{}"),
    Column("active", Boolean, nullable=False, default=True),
    Column("superseded_by", String(40), nullable=True),
    Column("ingested_at", String(40), nullable=False),
    Column("n_sentences", Integer, nullable=False, default=0),
)
Index("ix_documents_location", documents.c.location)
Index("ix_documents_active", documents.c.active)

sentences = Table(
    "sentences", metadata,
    Column("sentence_id", String(40), primary_key=True),
    Column("doc_id", String(40), ForeignKey("documents.doc_id"), nullable=False),
    Column("source", String(200), nullable=False),
    Column("idx", Integer, nullable=False),
    Column("paragraph", Integer, nullable=False),
    Column("start_char", Integer, nullable=False),
    Column("end_char", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("norm_key", String(40), nullable=False),  # hash of the normalised text: matching by text
    Column("heading", Boolean, nullable=False),
    Column("boilerplate", Boolean, nullable=False),
    Column("boilerplate_reason", String(64), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
)
Index("ix_sentences_doc", sentences.c.doc_id, sentences.c.idx)
Index("ix_sentences_norm", sentences.c.norm_key)

label_events = Table(
    "label_events", metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("sentence_id", String(40), ForeignKey("sentences.sentence_id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("labels", Text, nullable=False),
    Column("annotator", String(200), nullable=False),
    Column("origin", String(200), nullable=False),
    Column("adjudication", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
    Column("codebook_version", String(64), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("carried_from", Integer, nullable=True),
)
Index("ix_label_events_sentence", label_events.c.sentence_id, label_events.c.kind)
Index("ix_label_events_origin", label_events.c.origin, label_events.c.sentence_id)
# A human event is carried to a sentence at most once (re-ingesting is idempotent).
Index("ux_label_events_carried", label_events.c.sentence_id, label_events.c.carried_from, unique=True)

codebooks = Table(
    "codebooks", metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("version", String(64), nullable=False),
    Column("toml", Text, nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

models = Table(
    "models", metadata,
    Column("model_id", Integer, primary_key=True, autoincrement=True),
    Column("version", String(200), nullable=False, unique=True),
    Column("created_at", String(40), nullable=False),
    Column("codebook_version", String(64), nullable=False, default=""),
    Column("n_examples", Integer, nullable=False, default=0),
    Column("path", Text, nullable=False, default=""),
    Column("card", Text, nullable=False),
)

score_runs = Table(
    "score_runs", metadata,
    Column("model_version", String(200), primary_key=True),
    Column("label_ids", Text, nullable=False),  # JSON list: the column order of every probs blob
    Column("thresholds", Text, nullable=False),  # JSON list, same order
    Column("rescored", Boolean, nullable=False, default=False),  # some sentence was scored twice
    Column("created_at", String(40), nullable=False),
)

# Model probabilities, stored once per model: a block of up to 20,000
# sentences per row (ids, sources and a float32 matrix), so that reading a
# million sentences' scores for the queue is a few hundred rows, not a
# million, and the selection runs in numpy.
score_chunks = Table(
    "score_chunks", metadata,
    Column("chunk_id", Integer, primary_key=True, autoincrement=True),
    Column("model_version", String(200), nullable=False),
    Column("n", Integer, nullable=False),
    Column("sentence_ids", Text, nullable=False),  # newline-separated
    Column("sources", Text, nullable=False),  # JSON list of the block's source ids
    Column("source_codes", LargeBinary, nullable=False),  # n int32: each sentence's index into ``sources``
    Column("probs", LargeBinary, nullable=False),  # n x len(label_ids) float32 little-endian
    Column("uncertainty", LargeBinary, nullable=False),  # n float32: stance.active.sentence_uncertainty
    Column("created_at", String(40), nullable=False),
)
Index("ix_score_chunks_model", score_chunks.c.model_version, score_chunks.c.chunk_id)

# Which documents a model has scored (the queue scores the rest first).
scored_documents = Table(
    "scored_documents", metadata,
    Column("doc_id", String(40), ForeignKey("documents.doc_id"), primary_key=True),
    Column("model_version", String(200), primary_key=True),
)

V1_TABLES = (sources, documents, sentences, label_events, codebooks, models, score_runs, score_chunks, scored_documents)


def _migration_1(conn: Connection) -> None:
    metadata.create_all(conn, tables=list(V1_TABLES))


# (version, what it does, the function). Append, never edit: a database
# records which of these it has had.
MIGRATIONS = ((1, "documents, sentences, label events, codebooks, models, scores", _migration_1),)
SCHEMA_VERSION = MIGRATIONS[-1][0]


# --- the records --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelEvent:
    """One append-only label decision: who said what about one kind of label of one sentence."""

    sentence_id: str
    kind: str  # one of KINDS
    labels: tuple[str, ...]
    annotator: str
    origin: str = HUMAN  # "human" | "rule" | "model:<version>"
    adjudication: bool = False
    note: str = ""
    codebook_version: str = ""
    created_at: str = ""
    event_id: int | None = None
    carried_from: int | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """One annotator's latest word on one kind of label of one sentence."""

    sentence_id: str
    source: str
    kind: str
    annotator: str
    labels: tuple[str, ...]
    adjudication: bool
    note: str
    codebook_version: str
    created_at: str
    event_id: int

    @property
    def order(self) -> tuple[str, int]:
        return (self.created_at, self.event_id)


@dataclass(frozen=True, slots=True)
class Conflict:
    """Annotators' latest decisions on one kind of label of one sentence differ."""

    sentence_id: str
    source: str
    text: str
    kind: str
    by_annotator: dict[str, tuple[str, ...]]
    adjudicated: tuple[str, ...] | None = None
    adjudicator: str | None = None

    def to_json(self) -> dict:
        return {
            "sentence_id": self.sentence_id,
            "source": self.source,
            "text": self.text,
            "kind": self.kind,
            "annotations": {a: list(v) for a, v in sorted(self.by_annotator.items())},
            "adjudicated": list(self.adjudicated) if self.adjudicated is not None else None,
            "adjudicator": self.adjudicator,
        }


@dataclass(frozen=True, slots=True)
class Orphan:
    """An annotated sentence whose text is gone from the new version of its document."""

    sentence_id: str
    doc_id: str
    path: str
    source: str
    text: str
    annotators: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.path}: no longer has the sentence labelled by {', '.join(self.annotators)}: {self.text[:100]!r} ({self.sentence_id})"


@dataclass
class DocumentChange:
    """A document that came back with new text at the same location."""

    path: str
    old_doc_id: str
    new_doc_id: str
    carried: int = 0  # annotated sentences whose labels moved to the new version
    orphaned: list[Orphan] = field(default_factory=list)


@dataclass
class IngestReport:
    added: int = 0  # new documents
    unchanged: int = 0  # documents already stored as they are
    sentences: int = 0  # sentences added
    changed: list[DocumentChange] = field(default_factory=list)
    # Documents whose text is stored already under another source or path: a text is its id, so a
    # syndicated story is kept once, under the first. Said, since the second source then lacks it.
    copies: list[str] = field(default_factory=list)
    redescribed: int = 0  # of the unchanged, documents with a new title or date (a row moved to another line, a date put right)

    @property
    def carried(self) -> int:
        return sum(c.carried for c in self.changed)

    @property
    def orphaned(self) -> list[Orphan]:
        return [o for c in self.changed for o in c.orphaned]

    def lines(self) -> list[str]:
        out = [
            f"{self.added} new document{'s' if self.added != 1 else ''} ({self.sentences} sentence{'s' if self.sentences != 1 else ''}), "
            f"{self.unchanged} unchanged" + (f" ({self.redescribed} with a new title or date)" if self.redescribed else "") + f", {len(self.changed)} changed"
            + (f", {len(self.copies)} cop{'ies' if len(self.copies) != 1 else 'y'} of a stored document" if self.copies else "")
        ]
        out.extend(f"copy, not stored again: {copy}" for copy in self.copies)
        for change in self.changed:
            out.append(f"changed: {change.path}: labels of {change.carried} sentence(s) kept, {len(change.orphaned)} orphaned")
        out.extend(f"orphaned (kept, not deleted): {o}" for o in self.orphaned)
        return out


@dataclass
class ImportReport:
    rows: int = 0  # rows read
    recorded: int = 0  # decisions recorded (rows that changed something)
    unchanged: int = 0  # rows already in the store as they are (importing twice changes nothing)
    overruled: int = 0  # rows whose every decision the same person makes again further down the file
    unmatched: list[StanceError] = field(default_factory=list)  # rows with no stored sentence, by file and line

    def lines(self) -> list[str]:
        return [
            f"{self.rows} rows: {self.recorded} recorded, {self.unchanged} already in the store, "
            + (f"{self.overruled} decided again further down the file, " if self.overruled else "")
            + f"{len(self.unmatched)} unmatched"
        ]


# --- opening ----------------------------------------------------------------


def resolve_url(db: str | os.PathLike | None = None, *, create: bool = True) -> str:
    """The SQLAlchemy URL for ``db`` (a path or URL), ``$STANCE_DB``, or the default file.

    Without ``create`` (a command that only reads labels), a SQLite file that is not there is a
    mistyped path, not a new store: StanceError.
    """
    raw = str(db) if db not in (None, "") else os.environ.get(DB_ENV) or str(default_path())
    if raw == ":memory:":
        return "sqlite://"
    if "://" in raw:
        for prefix in ("postgres://", "postgresql://"):
            if raw.startswith(prefix):  # we ship the psycopg 3 driver (extra "postgres")
                return "postgresql+psycopg://" + raw[len(prefix):]
        return raw
    path = Path(raw).expanduser()
    if path.is_dir():  # sqlite would only say "unable to open database file"
        raise StanceError("the store is a file, and this is a folder", path=str(path), fix=f"give a file in it, e.g. --db {path / 'stance.db'}")
    if not create and not path.is_file():
        raise StanceError("no annotation store here", path=str(path), fix="check --db / STANCE_DB (`stance ingest` and `stance annotations import` make a store)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StanceError(f"cannot create the folder for the store ({exc.strerror})", path=str(path.parent), fix="give another path with --db") from None
    return f"sqlite:///{path.resolve()}"


def open_store(db: str | os.PathLike | None = None, *, create: bool = True) -> "Store":
    """Open (creating, unless ``create`` is false, and migrating if needed) the store at ``db``,
    ``$STANCE_DB`` or the default file."""
    return Store(db, create=create)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _chunks(items: Sequence, size: int = _IN_CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def norm_key(text: str) -> str:
    """The key of a sentence's normalised text (how a sentence is matched by text)."""
    return hashlib.blake2b(normalise_text(text).encode("utf-8"), digest_size=8).hexdigest()


def location_of(document: Document) -> str:
    """Where a document lives: a new text here is a new version of the same document."""
    path = os.path.abspath(document.path)
    row_id = dict(document.meta).get("row_id")
    if row_id:  # a row of a table with an id column: the id, not the line, names it
        path = re.sub(r":\d+$", "", path) + "#" + row_id
    return path


def _one_per_location(documents_: Iterable[Document], corpus: Corpus) -> Iterator[Document]:
    """``documents_`` but a row of a table whose id an earlier row has: both would live at one
    location, each ingest retiring the other (a problem in ``corpus``, named by its line)."""
    first: dict[str, str] = {}
    for document in documents_:
        location = location_of(document)
        if location in first:
            path, _, line = document.path.rpartition(":")
            corpus.problems.append(Problem(
                path, f"the row's id {dict(document.meta)['row_id']!r} is also the id of {first[location]}: the store knows a table's rows by their ids",
                "give each row its own id", int(line)))
            continue
        first[location] = document.path
        yield document


def _labels_json(labels: Iterable[str]) -> str:
    return json.dumps(list(labels), ensure_ascii=False)


def _document_row(document: Document, location: str, n_sentences: int) -> dict:
    return {
        "doc_id": document.doc_id, "source": document.source, "path": document.path, "location": location,
        "text": document.text, **_described(document), "active": True,
        "superseded_by": None, "ingested_at": _now(), "n_sentences": n_sentences,
    }


def _described(document: Document) -> dict:
    """What is told of a document besides its text (its id is its text's: a new title or date is the same document)."""
    return {"title": document.title, "date": document.date, "meta": json.dumps(dict(document.meta), ensure_ascii=False)}


def _sentence_row(s: Sentence) -> dict:
    return {
        "sentence_id": s.sentence_id, "doc_id": s.doc_id, "source": s.source, "idx": s.index,
        "paragraph": s.paragraph, "start_char": s.start, "end_char": s.end, "text": s.text,
        "norm_key": norm_key(s.text), "heading": s.heading, "boilerplate": s.boilerplate,
        "boilerplate_reason": s.boilerplate_reason, "active": True,
    }


class Store:
    """The annotation store (see the module docstring). Open one per process."""

    def __init__(self, db: str | os.PathLike | None = None, *, create: bool = True) -> None:
        self.url = resolve_url(db, create=create)
        self._codebooks_seen: set[str] = set()
        self._resolved_at: tuple[tuple, tuple, list] | None = None  # (the labels' and documents' state, ``_resolved()`` then, ``decisions()`` then)
        try:
            self.engine = _engine(self.url)
            self._migrate()
        except sa.exc.DBAPIError as exc:
            raise self._error(exc, "cannot open the store") from None

    # --- plumbing ---

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def where(self) -> str:
        """The store's location for messages (no password)."""
        return self.engine.url.render_as_string(hide_password=True)

    def _error(self, exc: Exception, what: str) -> StanceError:
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        if "locked" in detail or "busy" in detail:
            fix = "another stance is writing for a long time; try again"
        elif "not a database" in detail:
            fix = "--db must name a stance store (a SQLite file stance made) or a database URL"
        else:
            fix = "check --db / STANCE_DB"
        return StanceError(f"{what} ({detail})", path=self.where, fix=fix)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction: all of it lands, or none of it."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(stance_write=True)
                with conn.begin():
                    yield conn
        except sa.exc.OperationalError as exc:
            raise self._error(exc, "cannot write to the store") from None

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def _migrate(self) -> None:
        with self._write() as conn:
            if self.dialect == "postgresql":  # serialise concurrent first opens
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(73170001)"))
            inspector = sa.inspect(conn)
            tables = set(inspector.get_table_names())
            if "schema_migrations" not in tables and tables - {t.name for t in metadata.sorted_tables}:
                raise StanceError(
                    "this database has tables but is not a stance store", path=self.where,
                    fix="give another path or URL with --db",
                )
            schema_migrations.create(conn, checkfirst=True)
            applied = set(conn.execute(sa.select(schema_migrations.c.version)).scalars())
            if applied and max(applied) > SCHEMA_VERSION:
                raise StanceError(
                    f"the store has schema version {max(applied)}, newer than this stance knows ({SCHEMA_VERSION})",
                    path=self.where, fix="upgrade stance",
                )
            for version, name, migrate in MIGRATIONS:
                if version not in applied:
                    migrate(conn)
                    conn.execute(schema_migrations.insert().values(version=version, name=name, applied_at=_now()))

    def migrations(self) -> list[tuple[int, str, str]]:
        """The migrations this database has had: (version, name, applied_at)."""
        with self._read() as conn:
            rows = conn.execute(sa.select(schema_migrations).order_by(schema_migrations.c.version))
            return [tuple(r) for r in rows]

    @property
    def schema_version(self) -> int:
        return max((m[0] for m in self.migrations()), default=0)

    # --- documents and sentences ---

    def ingest(self, documents_: Iterable[Document], source_info: Mapping[str, Source] | None = None) -> IngestReport:
        """Store documents and their sentences.

        An unchanged document changes nothing. A new text at a known location
        is a new version: the old one is kept but inactive, the labels of
        every sentence whose text did not change move to the new sentence,
        and the annotated sentences whose text is gone are reported as
        orphaned (their labels stay in the store). A text that moved to
        another location (a row of a table with a row inserted above it) is
        the same document, not replaced. Documents are written in batches
        of whole documents, one transaction each; the old versions are
        retired once every document has been seen.
        """
        report = IngestReport()
        # The documents this ingest found in their source, stored before or by it: one that moved is not retired
        # where it was, and only the first copy of a text says what it is titled and dated.
        seen: set[str] = set()
        replaced: list[tuple[list[str], Document]] = []  # (what a location held, its new text)
        batch: list[tuple[Document, list[Sentence]]] = []
        size = 0
        for document in documents_:
            sents = list(iter_sentences(document))
            batch.append((document, sents))
            size += len(sents)
            if size >= INGEST_BATCH:
                self._ingest_batch(batch, source_info or {}, report, seen, replaced)
                batch, size = [], 0
        if batch:
            self._ingest_batch(batch, source_info or {}, report, seen, replaced)
        if replaced:
            with self._write() as conn:
                for previous, document in replaced:
                    gone = [doc_id for doc_id in previous if doc_id not in seen]
                    if gone:
                        conn.execute(documents.update().where(documents.c.doc_id.in_(gone)).values(active=False, superseded_by=document.doc_id))
                        conn.execute(sentences.update().where(sentences.c.doc_id.in_(gone)).values(active=False))
                        report.changed.append(self._carry(conn, gone, document))
        return report

    def ingest_paths(self, paths: Iterable[str | Path], *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[IngestReport, Corpus]:
        """Read everything under ``paths`` and ingest it; problems land in the returned corpus."""
        corpus = Corpus()
        report = self.ingest(_one_per_location(iter_corpus(list(paths), corpus, max_bytes=max_bytes), corpus), corpus.sources)
        if corpus.sources:
            self._save_sources(corpus.sources.values())
        return report, corpus

    def ingest_file(self, path: str | Path, *, source: Source | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[IngestReport, Corpus]:
        """Read one file (an upload) as ``source`` and ingest it; its problems land in the returned corpus.

        Without ``source`` the file is its own source, named after it. Rows of
        a table that name their own source keep it. A source the store does
        not know yet is added; ``source``, when given, is saved as given.
        """
        path = Path(path)
        chosen = source or source_for_file(path)
        corpus = Corpus()
        for item in read_file(path, source=chosen, max_bytes=max_bytes):
            if isinstance(item, Problem):
                corpus.problems.append(item)
                continue
            if isinstance(item, Note):
                corpus.notes.append(item)
                continue
            corpus.sources.setdefault(item.source, chosen if item.source == chosen.id else Source(id=item.source, name=item.source))
            corpus.documents.append(item)
        report = self.ingest(_one_per_location(corpus.documents, corpus), corpus.sources)
        known = self.sources()
        self._save_sources(s for sid, s in corpus.sources.items() if sid not in known or (source is not None and sid == source.id))
        return report, corpus

    def update_sources(self, items: Iterable[Source]) -> None:
        """Add sources, or replace the metadata (name, outlet, kind, country, language, date) of known ones."""
        self._save_sources(items)

    def _save_sources(self, items: Iterable[Source]) -> None:
        with self._write() as conn:
            known = set(conn.execute(sa.select(sources.c.source_id)).scalars())
            for s in items:
                values = dict(name=s.name, outlet=s.outlet, kind=s.kind, country=s.country, language=s.language, date=s.date)
                if s.id in known:
                    conn.execute(sources.update().where(sources.c.source_id == s.id).values(**values))
                else:
                    conn.execute(sources.insert().values(source_id=s.id, **values))

    def _ingest_batch(self, batch: list[tuple[Document, list[Sentence]]], source_info: Mapping[str, Source], report: IngestReport,
                      seen: set[str], replaced: list[tuple[list[str], Document]]) -> None:
        with self._write() as conn:
            stored: dict[str, bool] = {}
            held_as: dict[str, tuple[str, str, str]] = {}  # doc_id -> (source, path, location) it is stored under
            described: dict[str, dict] = {}  # doc_id -> its stored title, date and meta
            for chunk in _chunks([d.doc_id for d, _ in batch]):
                query = sa.select(documents.c.doc_id, documents.c.active, documents.c.source, documents.c.path, documents.c.location,
                                  documents.c.title, documents.c.date, documents.c.meta)
                for doc_id, active, source, path, location, title, date, meta in conn.execute(query.where(documents.c.doc_id.in_(chunk))):
                    stored[doc_id] = bool(active)
                    held_as[doc_id] = (source, path, location)
                    described[doc_id] = {"title": title, "date": date, "meta": meta}
            located = [(document, sents, location_of(document)) for document, sents in batch]
            active_at: dict[str, list[str]] = defaultdict(list)
            for chunk in _chunks(sorted({loc for _, _, loc in located})):
                query = sa.select(documents.c.doc_id, documents.c.location).where(documents.c.location.in_(chunk), documents.c.active.is_(True))
                for doc_id, loc in conn.execute(query):
                    active_at[loc].append(doc_id)
            doc_rows: list[dict] = []
            sentence_rows: list[dict] = []

            def flush() -> None:
                if doc_rows:
                    conn.execute(documents.insert(), doc_rows)
                if sentence_rows:
                    conn.execute(sentences.insert(), sentence_rows)
                doc_rows.clear()
                sentence_rows.clear()

            for document, sents, location in located:
                if stored.get(document.doc_id):
                    source, path, was_at = held_as[document.doc_id]
                    if source == document.source:  # its own source's text, here or moved: nothing new
                        report.unchanged += 1
                        if document.doc_id not in seen:  # a second copy of the text in this ingest neither moves nor retitles it
                            seen.add(document.doc_id)
                            now, before = _described(document), described[document.doc_id]
                            values = now if now != before else {}  # the same text with a new title, date or row id
                            if was_at != location:  # moved (a row inserted above it): it lives here now
                                values = dict(values, location=location, path=document.path)
                                held_as[document.doc_id] = (source, document.path, location)
                            if values:
                                conn.execute(documents.update().where(documents.c.doc_id == document.doc_id).values(**values, ingested_at=_now()))
                                report.redescribed += (now["title"], now["date"]) != (before["title"], before["date"])
                        # What else is active here (the row that was on this line; a version an ingest that
                        # stopped midway left active) is replaced by this text, unless it turns up elsewhere.
                        previous = [doc_id for doc_id in active_at[location] if doc_id != document.doc_id]
                        active_at[location] = [document.doc_id]
                        if previous:
                            replaced.append((previous, document))
                    else:
                        report.copies.append(f"{document.path} ({document.source}) has the same text as {path} ({source}), which is kept")
                    continue
                previous = [doc_id for doc_id in active_at[location] if doc_id != document.doc_id]
                if document.doc_id in stored:  # an older text came back: the stored version is active again
                    conn.execute(documents.update().where(documents.c.doc_id == document.doc_id)
                                 .values(active=True, superseded_by=None, location=location, path=document.path, ingested_at=_now(),
                                         **_described(document)))
                    conn.execute(sentences.update().where(sentences.c.doc_id == document.doc_id).values(active=True))
                else:
                    doc_rows.append(_document_row(document, location, len(sents)))
                    sentence_rows.extend(_sentence_row(s) for s in sents)
                    report.added += 1
                    report.sentences += len(sents)
                stored[document.doc_id] = True
                held_as[document.doc_id] = (document.source, document.path, location)
                seen.add(document.doc_id)
                active_at[location] = [document.doc_id]
                if previous:
                    replaced.append((previous, document))  # retired at the end, unless its text turns up elsewhere
            flush()

    def _keyed_sentences(self, conn: Connection, doc_ids: Sequence[str]) -> dict[tuple[str, int], tuple[str, str]]:
        """(normalised-text key, occurrence) -> (sentence id, text), as sentence ids are derived."""
        out: dict[tuple[str, int], tuple[str, str]] = {}
        seen: dict[tuple[str, str], int] = defaultdict(int)
        rows = conn.execute(
            sa.select(sentences.c.sentence_id, sentences.c.doc_id, sentences.c.norm_key, sentences.c.text)
            .where(sentences.c.doc_id.in_(doc_ids)).order_by(sentences.c.doc_id, sentences.c.idx)
        )
        for sid, doc_id, key, text in rows:
            occurrence = seen[(doc_id, key)]
            seen[(doc_id, key)] += 1
            out.setdefault((key, occurrence), (sid, text))
        return out

    def _carry(self, conn: Connection, previous: list[str], document: Document) -> DocumentChange:
        change = DocumentChange(path=document.path, old_doc_id=previous[0], new_doc_id=document.doc_id)
        e, s = label_events, sentences
        events = conn.execute(
            sa.select(e, s.c.doc_id, s.c.text, s.c.source)
            .join(s, s.c.sentence_id == e.c.sentence_id)
            .where(s.c.doc_id.in_(previous), e.c.origin == HUMAN)
            .order_by(e.c.created_at, e.c.event_id)
        ).all()
        if not events:
            return change
        old_keys = {sid: key for key, (sid, _) in self._keyed_sentences(conn, previous).items()}
        new_by_key = self._keyed_sentences(conn, [document.doc_id])
        targets = {old: new_by_key[key][0] for old, key in old_keys.items() if key in new_by_key}
        # What the new sentences already hold, by original event (a reverted
        # edit brings back sentences that still have their own events).
        already = set()
        for chunk in _chunks(sorted(set(targets.values()))):
            query = sa.select(e.c.sentence_id, sa.func.coalesce(e.c.carried_from, e.c.event_id)).where(e.c.sentence_id.in_(chunk))
            already.update((sid, root) for sid, root in conn.execute(query))
        copies, carried, orphans = [], set(), {}
        for ev in events:
            target = targets.get(ev.sentence_id)
            if target is None:
                o = orphans.setdefault(ev.sentence_id, (ev, []))
                if ev.annotator not in o[1]:
                    o[1].append(ev.annotator)
                continue
            root = ev.carried_from or ev.event_id
            carried.add(ev.sentence_id)
            if (target, root) in already:
                continue
            already.add((target, root))
            copies.append({
                "sentence_id": target, "kind": ev.kind, "labels": ev.labels, "annotator": ev.annotator, "origin": ev.origin,
                "adjudication": ev.adjudication, "created_at": ev.created_at, "codebook_version": ev.codebook_version,
                "note": ev.note, "carried_from": root,
            })
        if copies:
            conn.execute(e.insert(), copies)
        change.carried = len(carried)
        change.orphaned = [
            Orphan(sid, ev.doc_id, document.path, ev.source, ev.text, tuple(who)) for sid, (ev, who) in orphans.items()
        ]
        return change

    def sentences(
        self,
        *,
        source: str | None = None,
        doc_ids: Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
        active_only: bool = True,
    ) -> list[Sentence]:
        """Stored sentences: all, of one source, of some documents (in document order) or by id."""
        s, d = sentences, documents
        query = sa.select(
            s.c.sentence_id, s.c.doc_id, s.c.source, d.c.path, s.c.idx, s.c.paragraph, s.c.start_char, s.c.end_char,
            s.c.text, s.c.heading, s.c.boilerplate, s.c.boilerplate_reason,
        ).join(d, d.c.doc_id == s.c.doc_id)
        if active_only:
            query = query.where(s.c.active.is_(True))
        if source is not None:
            query = query.where(s.c.source == source)
        order = (s.c.source, d.c.path, s.c.doc_id, s.c.idx)
        out: list[Sentence] = []
        with self._read() as conn:
            if ids is None and doc_ids is None:
                rows = conn.execute(query.order_by(*order)).all()
            else:
                rows = []
                column = s.c.sentence_id if ids is not None else s.c.doc_id
                wanted = list(dict.fromkeys(ids if ids is not None else doc_ids))
                for chunk in _chunks(wanted):
                    rows.extend(conn.execute(query.where(column.in_(chunk)).order_by(*order)).all())
                if doc_ids is not None:
                    rows.sort(key=lambda r: (r[2], r[3], r[1], r[4]))
        for r in rows:
            out.append(Sentence(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], bool(r[9]), bool(r[10]), r[11]))
        return out

    def documents(self, *, active_only: bool = True) -> list[Document]:
        d = documents
        query = sa.select(d.c.doc_id, d.c.source, d.c.path, d.c.title, d.c.date, d.c.text, d.c.meta)
        if active_only:
            query = query.where(d.c.active.is_(True))
        with self._read() as conn:
            rows = conn.execute(query.order_by(d.c.source, d.c.path, d.c.doc_id)).all()
        return [Document(r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6]).items())) for r in rows]

    def count_sentences(self, *, active_only: bool = True) -> int:
        query = sa.select(sa.func.count()).select_from(sentences)
        if active_only:
            query = query.where(sentences.c.active.is_(True))
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def sources(self) -> dict[str, Source]:
        with self._read() as conn:
            rows = conn.execute(sa.select(sources)).all()
        return {r.source_id: Source(r.source_id, r.name, r.outlet, r.kind, r.country, r.language, r.date) for r in rows}

    def match_text(self, text: str, source: str | None = None) -> list[str]:
        """Active sentences whose normalised text is ``text``'s (optionally of one source)."""
        with self._read() as conn:
            return self._match_text(conn, text, source)

    def _match_text(self, conn: Connection, text: str, source: str | None) -> list[str]:
        return [sid for sid, stored_in in self._text_matches(conn, text) if not source or stored_in == source]

    def _text_matches(self, conn: Connection, text: str) -> list[tuple[str, str]]:
        """(sentence id, source) of the active sentences whose normalised text is ``text``'s."""
        query = sa.select(sentences.c.sentence_id, sentences.c.text, sentences.c.source).where(
            sentences.c.norm_key == norm_key(text), sentences.c.active.is_(True)
        )
        wanted = normalise_text(text)
        return [(sid, source) for sid, stored, source in conn.execute(query.order_by(sentences.c.sentence_id)) if normalise_text(stored) == wanted]

    def orphans(self) -> list[Orphan]:
        """Annotated sentences of superseded documents whose labels did not carry to an active sentence."""
        e, s, d = label_events, sentences, documents
        with self._read() as conn:
            rows = conn.execute(
                sa.select(e.c.event_id, e.c.carried_from, e.c.annotator, s.c.sentence_id, s.c.doc_id, d.c.path, s.c.source, s.c.text,
                          s.c.active, d.c.ingested_at)
                .join(s, s.c.sentence_id == e.c.sentence_id).join(d, d.c.doc_id == s.c.doc_id)
                .where(s.c.active.is_(False), e.c.origin == HUMAN).order_by(e.c.event_id)
            ).all()
            rows = self._counting(conn, rows, everything=False)
        found: dict[str, tuple] = {}
        for r in rows:
            entry = found.setdefault(r.sentence_id, (r, []))
            if r.annotator not in entry[1]:
                entry[1].append(r.annotator)
        return [Orphan(sid, r.doc_id, r.path, r.source, r.text, tuple(who)) for sid, (r, who) in found.items()]

    def _counting(self, conn: Connection, rows: Sequence, *, everything: bool) -> list:
        """Of human label event rows (with ``event_id``, ``carried_from``, ``sentence_id``, ``active`` and
        their document's ``ingested_at``), those that count: every one on an active sentence; of a decision
        no active sentence holds (an orphan's), the copy on the version that was active last, once. Carried
        from version to version and then orphaned, it was counted, listed and exported once per version.
        ``everything``: the rows are every human event (else the holders are looked up)."""
        roots = [r.carried_from or r.event_id for r in rows]
        held = {root for root, r in zip(roots, rows) if r.active} if everything else self._held_roots(conn, sorted(set(roots)))
        last: dict[int, tuple] = {}  # root -> (ingested_at, event_id) of its copy on the version active last
        for root, r in zip(roots, rows):
            if not r.active and root not in held:
                last[root] = max(last.get(root, ("", 0)), (r.ingested_at, r.event_id))
        return [r for root, r in zip(roots, rows) if r.active or (root in last and last[root][1] == r.event_id)]

    @staticmethod
    def _held_roots(conn: Connection, roots: Sequence[int] | None = None) -> set[int]:
        """Human label events (by their original event) that an active sentence holds, as
        made there or carried to it; of ``roots`` only, when given."""
        e, s = label_events, sentences
        root = sa.func.coalesce(e.c.carried_from, e.c.event_id)
        query = sa.select(root).join(s, s.c.sentence_id == e.c.sentence_id).where(s.c.active.is_(True), e.c.origin == HUMAN)
        if roots is None:
            return set(conn.execute(query).scalars())
        held: set[int] = set()
        for chunk in _chunks(list(roots)):
            held.update(conn.execute(query.where(sa.or_(e.c.event_id.in_(chunk), e.c.carried_from.in_(chunk)))).scalars())
        return held

    # --- label events ---

    def record_codebook(self, codebook) -> str:
        """Keep a copy of ``codebook``; returns its fingerprint (what label events record)."""
        fingerprint = codebook.fingerprint or norm_key(codebook.to_toml())
        if fingerprint in self._codebooks_seen:
            return fingerprint
        with self._write() as conn:
            exists = conn.execute(sa.select(codebooks.c.fingerprint).where(codebooks.c.fingerprint == fingerprint)).first()
            if exists is None:
                conn.execute(codebooks.insert().values(
                    fingerprint=fingerprint, name=codebook.name, version=str(codebook.version),
                    toml=codebook.to_toml(), recorded_at=_now(),
                ))
        self._codebooks_seen.add(fingerprint)
        return fingerprint

    def codebooks(self) -> list[dict]:
        with self._read() as conn:
            rows = conn.execute(sa.select(codebooks).order_by(codebooks.c.recorded_at)).all()
        return [dict(r._mapping) for r in rows]

    def add_events(self, events: Iterable[LabelEvent]) -> int:
        """Append label events in one transaction; returns how many."""
        rows = [self._event_row(ev) for ev in events]
        if not rows:
            return 0
        with self._write() as conn:
            self._check_sentences(conn, {r["sentence_id"] for r in rows})
            conn.execute(label_events.insert(), rows)
        return len(rows)

    def add_event(self, sentence_id: str, kind: str, labels: Iterable[str], *, annotator: str, origin: str = HUMAN,
                  adjudication: bool = False, note: str = "", codebook_version: str = "") -> int:
        """Append one label event; returns its id."""
        row = self._event_row(LabelEvent(sentence_id, kind, tuple(labels), annotator, origin, adjudication, note, codebook_version))
        with self._write() as conn:
            self._check_sentences(conn, {sentence_id})
            return int(conn.execute(label_events.insert().values(**row)).inserted_primary_key[0])

    def _event_row(self, ev: LabelEvent) -> dict:
        if ev.kind not in KINDS:
            raise StanceError(f"unknown label kind {ev.kind!r}", fix=f"use one of {', '.join(KINDS)}")
        if ev.kind in ("primary_frame", "boilerplate") and len(ev.labels) > 1:
            raise StanceError(f"a {ev.kind} event holds at most one label, got {', '.join(ev.labels)}")
        if not ev.annotator.strip():
            raise StanceError("a label event needs an annotator", fix="give --annotator NAME (or set STANCE_ANNOTATOR)")
        return {
            "sentence_id": ev.sentence_id, "kind": ev.kind, "labels": _labels_json(ev.labels), "annotator": ev.annotator,
            "origin": ev.origin, "adjudication": bool(ev.adjudication), "created_at": ev.created_at or _now(),
            "codebook_version": ev.codebook_version, "note": ev.note, "carried_from": ev.carried_from,
        }

    def _check_sentences(self, conn: Connection, ids: set[str]) -> None:
        found: set[str] = set()
        for chunk in _chunks(sorted(ids)):
            found.update(conn.execute(sa.select(sentences.c.sentence_id).where(sentences.c.sentence_id.in_(chunk))).scalars())
        missing = ids - found
        if missing:
            raise StanceError(
                f"no stored sentence with id {', '.join(sorted(missing)[:5])}",
                path=self.where, fix="ingest the document first (`stance ingest PATH`)",
            )

    def annotate(self, annotation: Annotation, *, annotator: str | None = None, codebook=None,
                 adjudication: bool = False, origin: str = HUMAN) -> int:
        """Record one complete decision (topics, frames, primary frame) on a stored sentence.

        ``annotation.sentence_id`` must name a stored sentence. With a
        codebook, unknown label ids are refused and the codebook's
        fingerprint is recorded with the events.
        """
        if not annotation.sentence_id:
            raise StanceError("the annotation has no sentence_id", fix="use import_annotations to match sentences by text")
        return self.add_events(self._decision_events(annotation, annotator or annotation.annotator, codebook, adjudication, origin))

    def _decision_events(self, a: Annotation, annotator: str, codebook, adjudication: bool, origin: str, created_at: str = "") -> list[LabelEvent]:
        version = ""
        if codebook is not None:
            _check_labels(a, codebook)
            version = self.record_codebook(codebook)
        created_at = created_at or _now()
        return [
            LabelEvent(a.sentence_id or "", kind, a.labels_of(kind), annotator, origin, adjudication, a.note, version, created_at)
            for kind in a.decides
        ]

    def mark_boilerplate(self, sentence_id: str, boilerplate: bool = True, *, annotator: str, reason: str = "boilerplate", note: str = "") -> int:
        """A human says the sentence is (or is not) boilerplate; the automatic flag is not touched."""
        return self.add_event(sentence_id, "boilerplate", (reason or "boilerplate",) if boilerplate else (), annotator=annotator, note=note)

    def events(self, sentence_id: str | None = None, *, origin: str | None = None) -> list[LabelEvent]:
        """Label events in the order they were made."""
        e = label_events
        query = sa.select(e)
        if sentence_id is not None:
            query = query.where(e.c.sentence_id == sentence_id)
        if origin is not None:
            query = query.where(e.c.origin == origin)
        with self._read() as conn:
            rows = conn.execute(query.order_by(e.c.created_at, e.c.event_id)).all()
        return [
            LabelEvent(r.sentence_id, r.kind, tuple(json.loads(r.labels)), r.annotator, r.origin, bool(r.adjudication),
                       r.note, r.codebook_version, r.created_at, r.event_id, r.carried_from)
            for r in rows
        ]

    def count_events(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(label_events)).scalar_one())

    def labelled_count(self, *, annotator: str | None = None, since: str | None = None) -> int:
        """Sentences with a human label event (by ``annotator``, made at or after the ISO time ``since``)."""
        e = label_events
        query = sa.select(sa.func.count(sa.distinct(e.c.sentence_id))).where(e.c.origin == HUMAN)
        if annotator is not None:
            query = query.where(e.c.annotator == annotator)
        if since is not None:
            query = query.where(e.c.created_at >= since)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def revision(self) -> dict[str, str]:
        """Cheap fingerprints of what the store holds, one per part: ``documents``, ``labels``, ``sources``, ``models``.

        A part's value changes whenever that part changes (a document is
        ingested or superseded, a label event is added, source metadata is
        edited, a model is recorded), so a cache keyed by it is never stale.
        """
        d, e, m = documents, label_events, models
        with self._read() as conn:
            docs = conn.execute(sa.select(sa.func.count(), sa.func.max(d.c.ingested_at)).where(d.c.active.is_(True))).one()
            events = conn.execute(sa.select(sa.func.count(), sa.func.max(e.c.event_id))).one()
            model = conn.execute(sa.select(sa.func.count(), sa.func.max(m.c.model_id))).one()
            meta = conn.execute(sa.select(sources).order_by(sources.c.source_id)).all()
        digest = hashlib.blake2b(json.dumps([list(r) for r in meta]).encode("utf-8"), digest_size=6).hexdigest()
        return {
            "documents": f"{docs[0]}:{docs[1] or ''}",
            "labels": f"{events[0]}:{events[1] or 0}",
            "sources": digest,
            "models": f"{model[0]}:{model[1] or 0}",
        }

    # --- decisions ---

    def _human(self, conn: Connection, ids: Sequence[str] | None = None) -> tuple[list[Decision], dict[str, tuple]]:
        """Each annotator's latest decision per sentence and kind; and the sentences' (text, source, doc, idx).

        A decision counts at one sentence (``_counting``): a superseded sentence whose labels were
        carried to an active version is read at that version only; counted twice, it would be
        trained on twice and its conflicts listed twice.
        """
        e, s, d = label_events, sentences, documents
        query = (
            sa.select(e.c.event_id, e.c.sentence_id, e.c.kind, e.c.labels, e.c.annotator, e.c.adjudication,
                      e.c.note, e.c.codebook_version, e.c.created_at, s.c.source, s.c.active, e.c.carried_from, d.c.ingested_at)
            .join(s, s.c.sentence_id == e.c.sentence_id).join(d, d.c.doc_id == s.c.doc_id)
            .where(e.c.origin == HUMAN)
        )
        rows: list = []
        if ids is None:
            rows = self._counting(conn, conn.execute(query).all(), everything=True)
        else:
            for chunk in _chunks(list(ids)):
                rows.extend(conn.execute(query.where(e.c.sentence_id.in_(chunk))).all())
            roots = sorted({r.carried_from or r.event_id for r in rows if not r.active})
            kept = set()
            for chunk in _chunks(roots):  # where else those decisions are, to know where they count
                found = conn.execute(query.where(s.c.active.is_(False), sa.or_(e.c.event_id.in_(chunk), e.c.carried_from.in_(chunk)))).all()
                kept.update(r.event_id for r in self._counting(conn, found, everything=False))
            rows = [r for r in rows if r.active or r.event_id in kept]
        rows.sort(key=lambda r: (r.created_at, r.event_id))
        latest: dict[tuple, Decision] = {}
        for r in rows:
            latest[(r.sentence_id, r.kind, r.annotator, bool(r.adjudication))] = Decision(
                r.sentence_id, r.source, r.kind, r.annotator, tuple(json.loads(r.labels)), bool(r.adjudication),
                r.note, r.codebook_version, r.created_at, r.event_id,
            )
        wanted = sorted({dec.sentence_id for dec in latest.values()})
        info: dict[str, tuple] = {}
        query = sa.select(s.c.sentence_id, s.c.text, s.c.source, d.c.path, s.c.doc_id, s.c.idx).join(d, d.c.doc_id == s.c.doc_id)
        for chunk in _chunks(wanted):
            for r in conn.execute(query.where(s.c.sentence_id.in_(chunk))):
                info[r[0]] = tuple(r[1:])
        return list(latest.values()), info

    def decisions(self) -> list[Decision]:
        """Each annotator's (and adjudicator's) latest human decision per sentence and kind."""
        self._resolved()
        return list(self._resolved_at[2])  # read with the resolved labels, and kept as long as they are

    def _resolved(self) -> tuple[dict[str, dict[str, Decision]], list[Conflict], dict[str, tuple]]:
        """Each sentence's deciding decision per kind, the conflicts, and the sentences' places.
        Kept until a label event is added or a document ingested, moved or reactivated (each of
        which stamps its ``ingested_at``), by this process or another:
        a dashboard page asks for the labels, the conflicts and the marks on every click."""
        e, d = label_events, documents
        with self._read() as conn:
            state = (conn.execute(sa.select(sa.func.count(), sa.func.max(e.c.event_id))).one(),
                     conn.execute(sa.select(sa.func.count(), sa.func.max(d.c.ingested_at))).one())
            kept = self._resolved_at
            if kept is not None and kept[0] == state:
                return kept[1]
            decided, info = self._human(conn)
        groups: dict[tuple[str, str], list[Decision]] = defaultdict(list)
        for dec in decided:
            groups[(dec.sentence_id, dec.kind)].append(dec)
        winners: dict[str, dict[str, Decision]] = defaultdict(dict)
        conflicts: list[Conflict] = []
        for (sid, kind), group in groups.items():
            winners[sid][kind] = holding(group)
            said = [g for g in group if not g.adjudication]
            ruling = winners[sid][kind] if winners[sid][kind].adjudication else None
            if kind != "boilerplate" and len({frozenset(g.labels) for g in said}) > 1:
                text, source = info[sid][0], info[sid][1]
                conflicts.append(Conflict(
                    sid, source, text, kind, {g.annotator: g.labels for g in said},
                    ruling.labels if ruling else None, ruling.annotator if ruling else None,
                ))
        conflicts.sort(key=lambda c: (_order(info, c.sentence_id), DECISION_KINDS.index(c.kind)))
        self._resolved_at = (state, (winners, conflicts, info), decided)
        return self._resolved_at[1]

    def current_labels(self) -> dict[str, Annotation]:
        """The human labels that override predictions, by sentence id (see the module docstring)."""
        winners, _, info = self._resolved()
        out: dict[str, Annotation] = {}
        for sid in sorted(winners, key=lambda sid: _order(info, sid)):
            kinds = winners[sid]
            out[sid] = standing(info[sid][0], sid, info[sid][1], {k: (d.labels, d.annotator, d.note, d.order) for k in KINDS if (d := kinds.get(k))})
        return out

    def human_annotations(self) -> list[Annotation]:
        """Every human-labelled sentence's current labels, in document order: the training set."""
        boiler = self.boilerplate_overrides()
        return [a for sid, a in self.current_labels().items() if not boiler.get(sid, False)]

    def boilerplate_overrides(self) -> dict[str, bool]:
        """Sentences a human marked as boilerplate (True) or as content (False)."""
        winners, _, _ = self._resolved()
        return {sid: bool(k["boilerplate"].labels) for sid, k in winners.items() if "boilerplate" in k}

    def conflicts(self) -> list[Conflict]:
        """Where annotators' latest decisions differ, in document order (adjudicated ones too)."""
        return list(self._resolved()[1])

    def stale_labels(self, codebook) -> dict[str, str]:
        """Sentences whose deciding human label was made under another codebook: sentence id -> its fingerprint."""
        fingerprint = codebook.fingerprint or norm_key(codebook.to_toml())
        winners, _, _ = self._resolved()
        out = {}
        for sid, kinds in winners.items():
            for k in DECISION_KINDS:
                if k in kinds and kinds[k].codebook_version and kinds[k].codebook_version != fingerprint:
                    out[sid] = kinds[k].codebook_version
                    break
        return out

    def annotator_annotations(self, *, source: str | None = None) -> list[Annotation]:
        """Each annotator's own latest decisions, in document order and, within a sentence,
        in the order they were made (what export writes; importing it resolves as here).

        Adjudications come as annotator ``adjudication:NAME``. Decisions that one person
        made together are one row; a row that decides other than the three kinds of labels
        (an adjudication of one kind, a boilerplate mark) names them in ``decides``.
        """
        with self._read() as conn:
            decided, info = self._human(conn)
        by_sentence: dict[str, list[Decision]] = defaultdict(list)
        for dec in decided:
            if source is None or info[dec.sentence_id][1] == source:
                by_sentence[dec.sentence_id].append(dec)
        out = []
        for sid in sorted(by_sentence, key=lambda sid: _order(info, sid)):
            runs: list[list[Decision]] = []  # consecutive decisions of one person, with one note
            for dec in sorted(by_sentence[sid], key=lambda g: g.order):
                last = runs[-1][-1] if runs else None
                if last and (last.annotator, last.adjudication, last.note) == (dec.annotator, dec.adjudication, dec.note) and _one_row(runs[-1], dec):
                    runs[-1].append(dec)
                else:
                    runs.append([dec])
            for run in runs:
                kinds = {dec.kind: dec for dec in run}
                primary = kinds["primary_frame"].labels[0] if kinds.get("primary_frame") and kinds["primary_frame"].labels else None
                out.append(Annotation(
                    text=info[sid][0],
                    topics=kinds["topics"].labels if "topics" in kinds else (),
                    frames=kinds["frames"].labels if "frames" in kinds else (),
                    primary_frame=primary, sentence_id=sid, source=info[sid][1],
                    annotator=(ADJUDICATION_PREFIX if run[0].adjudication else "") + run[0].annotator,
                    note=run[0].note, decides=tuple(k for k in KINDS if k in kinds),
                    boilerplate_mark=(kinds["boilerplate"].labels or ("",))[0] if "boilerplate" in kinds else None,
                ))
        return out

    # --- annotation files ---

    def import_annotations(self, rows: Iterable[tuple[str, int | None, Annotation]], *, annotator: str, codebook=None) -> ImportReport:
        """Record annotation rows ``(file, line, Annotation)`` in one transaction.

        A row matches its stored sentence by ``sentence_id`` (a superseded
        version's: the sentence as it stands now in its document; an orphan's
        stays with the orphan), else by normalised text (within its source, if
        the row names one; every active sentence with that text). Rows that match nothing are reported
        with their file and line. A row the store already holds (the same
        annotator's latest decision, same labels and note) changes nothing,
        so importing a file twice is the same as importing it once; where
        the file has the same person decide a kind twice, the later row is
        their word and the earlier is not recorded. An empty
        ``annotator`` cell means ``annotator``; ``adjudication:NAME`` records
        NAME's adjudication.
        """
        report = ImportReport()
        rows = list(rows)
        report.rows = len(rows)
        version = self.record_codebook(codebook) if codebook is not None else ""
        with self._write() as conn:
            known: dict[str, tuple[bool, str]] = {}  # id -> (active, text)
            given = sorted({a.sentence_id for _, _, a in rows if a.sentence_id})
            s = sentences
            for chunk in _chunks(given):
                known.update((sid, (bool(active), text)) for sid, active, text in conn.execute(
                    sa.select(s.c.sentence_id, s.c.active, s.c.text).where(s.c.sentence_id.in_(chunk))))
            matched: list[tuple[Annotation, list[str]]] = []
            for path, line, a in rows:
                if not a.annotator:  # the default names who said it (``adjudication:NAME`` too, as the cell would)
                    a = dataclasses.replace(a, annotator=annotator)
                if a.sentence_id in known:
                    active, stored = known[a.sentence_id]
                    if active and normalise_text(stored) != normalise_text(a.text):
                        # An id is its text: another text beside it is a row whose cells were shifted (a column
                        # sorted on its own, a text pasted over), and its labels would land on another sentence.
                        report.unmatched.append(StanceError(
                            f"sentence_id {a.sentence_id} is the stored sentence {stored[:60]!r}, not the row's text {a.text[:60]!r}",
                            path=path, line=line, fix="correct the sentence_id or the text (an empty sentence_id matches by text)",
                        ))
                        continue
                    # The id of a superseded version: the label goes to the sentence as it stands now, where there is one.
                    now = [] if active else self._standing_as(conn, a.sentence_id)
                    matched.append((a, now or [a.sentence_id]))
                    continue
                found = self._text_matches(conn, a.text)
                ids = [sid for sid, stored_in in found if not a.source or stored_in == a.source]
                if not ids:
                    elsewhere = sorted({stored_in for _, stored_in in found})
                    if elsewhere:  # the text is stored, under another source than the row names
                        report.unmatched.append(StanceError(
                            f"the text is stored under source {', '.join(elsewhere)}, not {a.source!r}: {a.text[:80]!r}", path=path, line=line,
                            fix="correct the row's source column, or leave it empty to match the text in any source",
                        ))
                        continue
                    why = "no stored sentence has this id or text" if a.sentence_id else "no stored sentence has this text"
                    report.unmatched.append(StanceError(
                        f"{why}: {a.text[:80]!r}", path=path, line=line,
                        fix="ingest its document first (`stance ingest PATH`), or correct the text or sentence_id",
                    ))
                    continue
                matched.append((a, ids))
            decided, _ = self._human(conn, sorted({sid for _, ids in matched for sid in ids}))
            current: dict[tuple[str, str, bool], dict[str, Decision]] = defaultdict(dict)
            for dec in decided:
                current[(dec.sentence_id, dec.annotator, dec.adjudication)][dec.kind] = dec
            new_rows = []
            stamp = _now()
            last: dict[tuple[str, str, bool, str], int] = {}  # the file's last row on each person's word, per sentence and kind
            for i, (a, ids) in enumerate(matched):
                for sid in ids:
                    last.update({(sid, a.annotator.removeprefix(ADJUDICATION_PREFIX), a.adjudication, k): i for k in a.decides})
            for i, (a, ids) in enumerate(matched):
                who = a.annotator.removeprefix(ADJUDICATION_PREFIX)
                adjudication = a.adjudication
                changed, later = False, True
                for sid in ids:
                    # A kind the same person decides again further down the file is that row's to record: only
                    # the latest word counts, and recording both would make a second import record both again.
                    live = tuple(k for k in a.decides if last[(sid, who, adjudication, k)] == i)
                    later = later and not live
                    have = current.get((sid, who, adjudication), {})
                    if not live or _same_decision(have, dataclasses.replace(a, decides=live)):
                        continue
                    changed = True
                    events = self._decision_events(_with_id(dataclasses.replace(a, decides=live), sid), who, None, adjudication, HUMAN, stamp)
                    for ev in events:
                        row = self._event_row(ev)
                        row["codebook_version"] = version
                        new_rows.append(row)
                        have[ev.kind] = Decision(sid, a.source or "", ev.kind, who, ev.labels, adjudication, a.note, version, stamp, 0)
                    current[(sid, who, adjudication)] = have
                if changed:
                    report.recorded += 1
                elif later:
                    report.overruled += 1
                else:
                    report.unchanged += 1
            if new_rows:
                conn.execute(label_events.insert(), new_rows)
        return report

    def _standing_as(self, conn: Connection, sentence_id: str) -> list[str]:
        """A superseded sentence as it stands now: its text (the same occurrence) in the active version
        of its own document, where ingesting carried its labels; none if its labels count where they
        are (an orphan: its text is gone) or the text is gone. Not the same text in another document
        of the source: an export's row of an orphan put its labels there, so importing one's own
        export changed the store."""
        e, s, d = label_events, sentences, documents
        roots = set(conn.execute(sa.select(sa.func.coalesce(e.c.carried_from, e.c.event_id))
                                 .where(e.c.sentence_id == sentence_id, e.c.origin == HUMAN)).scalars())
        if roots - self._held_roots(conn, sorted(roots)):
            return []
        doc_id: str | None = conn.execute(sa.select(s.c.doc_id).where(s.c.sentence_id == sentence_id)).scalar_one()
        place = next(key for key, (sid, _) in self._keyed_sentences(conn, [doc_id]).items() if sid == sentence_id)
        seen: set[str] = set()
        while doc_id is not None and doc_id not in seen:  # superseded_by leads, version by version, to the active one
            seen.add(doc_id)
            active, after = conn.execute(sa.select(d.c.active, d.c.superseded_by).where(d.c.doc_id == doc_id)).one()
            if active:
                found = self._keyed_sentences(conn, [doc_id]).get(place)
                return [found[0]] if found else []
            doc_id = after
        return []

    def import_files(self, paths: Iterable[str | Path], *, annotator: str, codebook=None) -> ImportReport:
        """Read annotation files (``stance.annotations`` format) and import them.

        Any bad row (unknown label id, no text, a primary frame not among the
        frames, unreadable file) refuses the whole import with every problem
        listed by file and line, so a typo never half-imports a file.
        """
        rows, problems = read_annotation_rows(paths, codebook)
        if problems:
            raise AnnotationFileError(problems)
        return self.import_annotations(rows, annotator=annotator, codebook=codebook)

    def export_annotations(self, path: str | Path, *, source: str | None = None) -> int:
        """Write every annotator's latest decisions to CSV or JSONL (by suffix); returns the row count."""
        suffix = Path(path).suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise StanceError(f"cannot export annotations as '{suffix or '(no suffix)'}'", path=str(path), fix="name the file .csv or .jsonl")
        rows = self.annotator_annotations(source=source)
        write_annotations(rows, path)
        return len(rows)

    # --- models ---

    def record_model(self, card: Mapping) -> str:
        """Keep a model card (as ``LabelModel.card``, optionally with ``path``); returns its version."""
        card = dict(card)
        version = str(card.get("version") or f"model-{_now()}")
        card["version"] = version
        with self._write() as conn:
            if conn.execute(sa.select(models.c.model_id).where(models.c.version == version)).first() is not None:
                return version
            conn.execute(models.insert().values(
                version=version, created_at=str(card.get("trained_at") or _now()),
                codebook_version=str(card.get("codebook_fingerprint") or card.get("codebook_version") or ""),
                n_examples=int(card.get("examples") or 0), path=str(card.get("path") or ""),
                card=json.dumps(card, ensure_ascii=False, default=str),
            ))
        return version

    def models(self) -> list[dict]:
        """Model cards, newest first, each with ``model_id`` and ``recorded`` fields added."""
        with self._read() as conn:
            rows = conn.execute(sa.select(models).order_by(models.c.model_id.desc())).all()
        out = []
        for r in rows:
            card = json.loads(r.card)
            card.setdefault("path", r.path)
            card["model_id"] = r.model_id
            out.append(card)
        return out

    def latest_model(self) -> dict | None:
        found = self.models()
        return found[0] if found else None

    # --- model scores, for the queue ---

    def save_scores(self, model_version: str, label_ids: Sequence[str], sentence_ids: Sequence[str], probs: np.ndarray,
                    thresholds: Mapping[str, float] | Sequence[float] | None = None) -> int:
        """Store a model's probabilities (rows: ``sentence_ids``, columns: ``label_ids``).

        Give whole documents' content sentences (as ``stance.active.score_store``
        does): their documents count as scored by ``model_version``. Scoring a
        sentence again replaces its earlier scores. Blocks of 20,000 sentences
        are written one transaction each, so analysts' label writes never wait
        long behind them. Returns how many sentences were stored.
        """
        probs = np.asarray(probs, dtype="<f4")
        if probs.shape != (len(sentence_ids), len(label_ids)):
            raise ValueError(f"probs has shape {probs.shape}, expected ({len(sentence_ids)}, {len(label_ids)})")
        t = threshold_array(label_ids, thresholds)
        uncertainty = sentence_uncertainty(probs, t).astype("<f4")
        with self._write() as conn:
            run = conn.execute(sa.select(score_runs.c.label_ids).where(score_runs.c.model_version == model_version)).first()
            if run is None:
                conn.execute(score_runs.insert().values(
                    model_version=model_version, label_ids=json.dumps(list(label_ids)),
                    thresholds=json.dumps([float(x) for x in t]), rescored=False, created_at=_now(),
                ))
            elif json.loads(run[0]) != list(label_ids):
                raise StanceError(f"model {model_version} was scored before with other labels", fix="score with the same label order")
        where: dict[str, tuple[str, str]] = {}  # sentence id -> (doc id, source)
        scored_before: set[str] = set()
        with self._read() as conn:
            for chunk in _chunks(list(sentence_ids)):
                query = sa.select(sentences.c.sentence_id, sentences.c.doc_id, sentences.c.source).where(sentences.c.sentence_id.in_(chunk))
                where.update((sid, (doc_id, source)) for sid, doc_id, source in conn.execute(query))
            docs = sorted({doc_id for doc_id, _ in where.values()})
            for chunk in _chunks(docs):
                scored_before.update(conn.execute(sa.select(scored_documents.c.doc_id).where(
                    scored_documents.c.doc_id.in_(chunk), scored_documents.c.model_version == model_version)).scalars())
        written = 0
        marked: set[str] = set()  # documents this call marked as scored
        for start in range(0, len(sentence_ids), SCORE_CHUNK):
            ids = list(sentence_ids[start : start + SCORE_CHUNK])
            keep = [i for i, sid in enumerate(ids) if sid in where]
            if not keep:
                continue
            rows = start + np.array(keep)
            names = sorted({where[ids[i]][1] for i in keep})
            code = {name: k for k, name in enumerate(names)}
            fresh = sorted({where[ids[i]][0] for i in keep} - scored_before - marked)
            with self._write() as conn:
                conn.execute(score_chunks.insert().values(
                    model_version=model_version, n=len(keep), sentence_ids="\n".join(ids[i] for i in keep),
                    sources=json.dumps(names, ensure_ascii=False),
                    source_codes=np.array([code[where[ids[i]][1]] for i in keep], dtype="<i4").tobytes(),
                    probs=np.ascontiguousarray(probs[rows]).tobytes(),
                    uncertainty=np.ascontiguousarray(uncertainty[rows]).tobytes(), created_at=_now(),
                ))
                if fresh:
                    conn.execute(scored_documents.insert(), [{"doc_id": d, "model_version": model_version} for d in fresh])
                if scored_before:  # documents scored again: reading must let the latest scores win
                    conn.execute(score_runs.update().where(score_runs.c.model_version == model_version).values(rescored=True))
            marked.update(fresh)
            written += len(keep)
        return written

    def score_run(self, model_version: str | None = None) -> tuple[str, tuple[str, ...], np.ndarray] | None:
        """(model version, label ids, thresholds) of the given or latest scored model."""
        query = sa.select(score_runs)
        query = query.where(score_runs.c.model_version == model_version) if model_version else query.order_by(score_runs.c.created_at.desc())
        with self._read() as conn:
            row = conn.execute(query.limit(1)).first()
        if row is None:
            return None
        return row.model_version, tuple(json.loads(row.label_ids)), np.array(json.loads(row.thresholds), dtype=np.float32)

    def unscored(self, model_version: str) -> dict[str, int]:
        """Active documents ``model_version`` has not scored: doc id -> its number of sentences."""
        d, x = documents, scored_documents
        done = sa.select(x.c.doc_id).where(x.c.doc_id == d.c.doc_id, x.c.model_version == model_version).exists()
        query = sa.select(d.c.doc_id, d.c.n_sentences).where(d.c.active.is_(True), ~done).order_by(d.c.doc_id)
        with self._read() as conn:
            return {doc_id: int(n) for doc_id, n in conn.execute(query)}

    def drop_scores(self, *, keep: str) -> None:
        """Forget every model's stored scores but ``keep``'s (scores are derived data, unlike labels)."""
        with self._write() as conn:
            conn.execute(score_chunks.delete().where(score_chunks.c.model_version != keep))
            conn.execute(scored_documents.delete().where(scored_documents.c.model_version != keep))
            conn.execute(score_runs.delete().where(score_runs.c.model_version != keep))

    def score_table(self, model_version: str) -> "ScoreTable | None":
        """Every stored score of ``model_version`` as arrays, and the sentences the queue must skip."""
        with self._read() as conn:
            run = conn.execute(sa.select(score_runs).where(score_runs.c.model_version == model_version)).first()
            if run is None:
                return None
            label_ids = tuple(json.loads(run.label_ids))
            ids: list[np.ndarray] = []
            codes: list[np.ndarray] = []
            blobs: list[bytes] = []
            unsure: list[bytes] = []
            names: dict[str, int] = {}
            c = score_chunks.c
            query = sa.select(c.sentence_ids, c.sources, c.source_codes, c.probs, c.uncertainty).where(
                c.model_version == model_version).order_by(c.chunk_id)
            for chunk_ids, chunk_sources, chunk_codes, blob, u in conn.execute(query):
                ids.append(np.array(chunk_ids.split("\n")))
                to_global = np.array([names.setdefault(name, len(names)) for name in json.loads(chunk_sources)], dtype=np.int32)
                codes.append(to_global[np.frombuffer(bytes(chunk_codes), dtype="<i4")])
                blobs.append(bytes(blob))
                unsure.append(bytes(u))
            d, s, e = documents, sentences, label_events
            skip = set(conn.execute(sa.select(e.c.sentence_id).where(e.c.origin == HUMAN).distinct()).scalars())
            inactive = list(conn.execute(sa.select(d.c.doc_id).where(d.c.active.is_(False))).scalars())
            for chunk in _chunks(inactive):
                skip.update(conn.execute(sa.select(s.c.sentence_id).where(s.c.doc_id.in_(chunk))).scalars())
        id_array = np.concatenate(ids) if ids else np.array([], dtype=str)
        stale = None
        if run.rescored:  # a sentence scored twice: its latest scores win
            latest = {sid: i for i, sid in enumerate(id_array.tolist())}
            stale = np.ones(len(id_array), dtype=bool)
            stale[np.fromiter(latest.values(), dtype=np.int64, count=len(latest))] = False
        return ScoreTable(
            model_version=model_version, label_ids=label_ids,
            thresholds=np.array(json.loads(run.thresholds), dtype=np.float32),
            ids=id_array, sources=tuple(names),
            source_codes=np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32),
            probs=np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(id_array), len(label_ids)),
            uncertainty=np.frombuffer(b"".join(unsure), dtype="<f4"), skip=skip, stale=stale,
        )


@dataclass(frozen=True)
class ScoreTable:
    """A model's stored scores: row ``i`` is sentence ``ids[i]`` of source ``sources[source_codes[i]]``.

    ``skip``: sentence ids the queue must not offer (labelled by a human, or
    of a superseded document version); ``stale``: rows superseded by a later
    score of the same sentence (None when there are none).
    """

    model_version: str
    label_ids: tuple[str, ...]
    thresholds: np.ndarray
    ids: np.ndarray
    sources: tuple[str, ...]
    source_codes: np.ndarray
    probs: np.ndarray
    uncertainty: np.ndarray
    skip: set[str]
    stale: np.ndarray | None = None

    def offerable(self, i: int) -> bool:
        return not (self.stale is not None and self.stale[i]) and str(self.ids[i]) not in self.skip


# --- helpers ------------------------------------------------------------------


class AnnotationFileError(StanceError):
    """Annotation files with bad rows; ``problems`` lists each by file and line."""

    def __init__(self, problems: list[StanceError]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more bad row{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        super().__init__(first.message + more, path=first.path, line=first.line, fix=first.fix)
        self.problems = problems


def read_annotation_rows(paths: Iterable[str | Path], codebook=None) -> tuple[list[tuple[str, int | None, Annotation]], list[StanceError]]:
    """Annotation rows with their file and line, and the bad rows (``read_annotations`` checks them)."""
    rows: list[tuple[str, int | None, Annotation]] = []
    problems: list[StanceError] = []
    for raw in paths:
        path = Path(raw)
        found = read_annotations([path], codebook)
        problems.extend(found.problems)
        rows.extend((str(path), n, a) for n, a in zip(found.lines, found.annotations))
    return rows, problems


def _check_labels(a: Annotation, codebook) -> None:
    for kind, ids, allowed in (("topic", a.topics, codebook.topic_ids), ("frame", a.frames, codebook.frame_ids)):
        unknown = [i for i in ids if i not in allowed]
        if unknown:
            raise StanceError(f"unknown {kind} id {', '.join(map(repr, unknown))}", fix=unknown_ids_fix(kind, allowed))
    if a.primary_frame and a.primary_frame not in a.frames:
        raise StanceError(f"primary_frame {a.primary_frame!r} is not among the frames", fix="add it to the frames or leave it empty")


def _with_id(a: Annotation, sentence_id: str) -> Annotation:
    return dataclasses.replace(a, sentence_id=sentence_id)


def _same_decision(have: Mapping[str, Decision], a: Annotation) -> bool:
    """Does the annotator's latest decision say what ``a`` says, on every kind ``a`` decides?
    A kind it never decided reads as no labels (an export before ``decides`` wrote it so)."""
    decided = [have[k] for k in a.decides if k in have]
    if not decided:
        return False
    latest = max(decided, key=lambda g: g.order)
    return all(set(have[k].labels if k in have else ()) == set(a.labels_of(k)) for k in a.decides) and latest.note == a.note


def _one_row(run: Sequence[Decision], dec: Decision) -> bool:
    """Can ``dec`` share a file row with ``run``? Not where the row would name a primary frame
    outside its frames: reading refuses that row, though the store holds it (a ruling on the
    primary frame, then one on the frames), so it goes on a row of its own."""
    kinds = {d.kind: d.labels for d in (*run, dec)}
    primary, frames = kinds.get("primary_frame", ()), kinds.get("frames")
    return frames is None or not primary or primary[0] in frames


def _order(info: Mapping[str, tuple], sid: str) -> tuple:
    text, source, path, doc_id, idx = info.get(sid, ("", "", "", "", 0))
    return (source, path, doc_id, idx, sid)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        kwargs: dict = {"connect_args": {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = sa.pool.StaticPool
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:
            # We issue BEGIN ourselves (below): the sqlite3 module's own
            # transaction handling would defer the write lock and fail
            # instead of waiting when another process writes.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
            if not memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA cache_size = -65536")  # 64 MB: big ingests insert into large indexes
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the lock up front and wait their turn (busy
            # timeout); readers read a snapshot and never block.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("stance_write") else "BEGIN")

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        scheme = url.split(":", 1)[0]
        fix = "pip install 'stance[postgres]'" if scheme.startswith("postgresql") else "give a SQLite file or a postgresql:// URL: stance stores in those only"
        raise StanceError(f"no database driver for {scheme} ({exc.name} is not installed)", fix=fix) from None
    except sa.exc.ArgumentError as exc:
        raise StanceError(f"not a database URL ({exc})", fix="e.g. --db postgresql://user@host/stance or --db labels.db") from None
