"""Random sequences of edits, ingests, labels and exports on a real store, checked after every step.

Each seed writes a few small documents (text files, a table with an ``id``
column, a table whose rows live at their lines), edits them the way people do
(a sentence inserted, deleted, edited, two swapped, an old version restored),
ingests all or some of them, and has three annotators and an adjudicator label
active sentences and mark boilerplate. After every step the store must keep
what its docstrings promise (see ``_check``). A failure names its seed and
step: ``STANCE_FUZZ_SEEDS=300 pytest tests/test_store_fuzz.py`` runs more
(``STANCE_FUZZ_FIRST`` chooses the first seed).
"""

from __future__ import annotations

import os
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pytest

from stance.annotations import DECISION_KINDS, ROW_KINDS, Annotation, holding, standing, write_annotations
from stance.codebook import load_codebook
from stance.store import HUMAN, LabelEvent, Store, open_store

CODEBOOK = load_codebook()
FIRST_SEED = int(os.environ.get("STANCE_FUZZ_FIRST", "0"))
SEEDS = int(os.environ.get("STANCE_FUZZ_SEEDS", "4"))
STEPS = int(os.environ.get("STANCE_FUZZ_STEPS", "40"))
ANNOTATORS = ("alice", "bob", "carol")
SENTENCES = (
    "Chips are scarce.", "Tariffs rose again.", "Beijing answered quickly.", "Export controls tightened.",
    "Talks resumed in Geneva.", "Markets fell sharply.", "Officials praised cooperation.", "Firms moved factories abroad.",
)
WORDS = ("today", "again", "abroad", "slowly", "at last")
NAMES = ("Oslo", "Lima", "Kyiv", "Pune", "Hue", "Rome", "Baku", "Doha", "Suva", "Riga", "Bern", "Oran")


@dataclass
class Table:
    """A table of rows, each (key, sentences): with ``keyed`` an ``id`` column names each row, else its line."""

    path: Path
    keyed: bool
    rows: list[tuple[str, list[str]]] = field(default_factory=list)

    def text(self) -> str:
        if self.keyed:
            return "id,text\n" + "".join(f"{key},{_row_text(key, sents)}\n" for key, sents in self.rows)
        return "text,source\n" + "".join(f"{_row_text(key, sents)},feed\n" for key, sents in self.rows)


@dataclass
class World:
    """The files as the annotators' folder holds them, the store, and what the store has said so far."""

    rng: random.Random
    folder: Path
    store: Store
    notes: dict[Path, list[str]]  # a text file -> its sentences (its first names the file: no two files share a text)
    tables: list[Table]
    names: list[str]  # keys no row has had yet
    versions: dict[Path, list[str]] = field(default_factory=lambda: defaultdict(list))  # every text a file had
    events: dict[int, LabelEvent] = field(default_factory=dict)  # every label event the store has shown
    seen_active: dict[str, int] = field(default_factory=dict)  # document id -> the last check that saw it active
    exports: int = 0

    def files(self) -> list[Path]:
        return [*self.notes, *(t.path for t in self.tables)]


def _row_text(key: str, sentences: list[str]) -> str:
    """A row's text: its own first sentence (no two rows share a text, so none is a copy of another), then the rest."""
    return " ".join([f"Entry {key}.", *sentences])


def _world(tmp_path: Path, seed: int) -> World:
    rng = random.Random(seed)
    folder = tmp_path / "docs"
    folder.mkdir()
    notes = {folder / f"note{n}.txt": [f"This is note {n}.", *rng.sample(SENTENCES, 3)] for n in range(3)}
    tables = [Table(folder / "keyed.csv", True), Table(folder / "lines.csv", False)]
    names = iter(rng.sample(NAMES, len(NAMES)))
    for table in tables:
        table.rows = [(next(names), rng.sample(SENTENCES, 2)) for _ in range(3)]
    world = World(rng, folder, open_store(tmp_path / "labels.db"), notes, tables, list(names))
    for path in world.files():
        _write(world, path)
    return world


def _write(world: World, path: Path) -> None:
    table = next((t for t in world.tables if t.path == path), None)
    text = table.text() if table else " ".join(world.notes[path]) + "\n"
    path.write_text(text, encoding="utf-8")
    world.versions[path].append(text)


# --- edits ---------------------------------------------------------------------------


def _edit_sentences(rng: random.Random, sents: list[str], keep_first: bool) -> str:
    """Change a list of sentences in place as a person would; returns what was done."""
    lo = 1 if keep_first else 0
    what = rng.choice(("insert", "delete", "edit", "swap", "recase"))
    if what == "insert" or len(sents) - lo < 2 and what in ("delete", "swap"):
        sents.insert(rng.randint(lo, len(sents)), rng.choice(SENTENCES + tuple(sents[lo:])))  # a sentence may occur twice
        return "insert"
    i = rng.randrange(lo, len(sents))
    if what == "delete":
        del sents[i]
    elif what == "edit":
        sents[i] = sents[i][:-1] + f" {rng.choice(WORDS)}."
    elif what == "recase":  # the same text to matching: its labels carry
        sents[i] = sents[i].upper() if not sents[i].isupper() else sents[i].capitalize()
    else:
        j = rng.choice([k for k in range(lo, len(sents)) if k != i])
        sents[i], sents[j] = sents[j], sents[i]
    return what


def _edit_note(world: World) -> str:
    path = world.rng.choice(list(world.notes))
    if world.rng.random() < 0.2 and len(world.versions[path]) > 1:  # an edit undone: its old version comes back
        text = world.rng.choice(world.versions[path][:-1])
        world.notes[path] = _split(text)
        _write(world, path)
        return f"restore {path.name}"
    what = _edit_sentences(world.rng, world.notes[path], keep_first=True)
    _write(world, path)
    return f"{what} in {path.name}"


def _split(text: str) -> list[str]:
    """A note's sentences as written (each ends with '.', one space apart)."""
    return [s + "." for s in text.strip().removesuffix(".").split(". ")]


def _edit_table(world: World) -> str:
    rng, table = world.rng, world.rng.choice(world.tables)
    what = rng.choice(("row", "row", "insert", "delete", "swap", "restore"))
    if what == "restore" and len(world.versions[table.path]) > 1:
        old = rng.choice(world.versions[table.path][:-1])
        table.rows = _rows_of(old, table.keyed)
    elif what == "insert" and world.names:
        table.rows.insert(rng.randint(0, len(table.rows)), (world.names.pop(), rng.sample(SENTENCES, 2)))
    elif what == "delete" and len(table.rows) > 1:
        del table.rows[rng.randrange(len(table.rows))]
    elif what == "swap" and len(table.rows) > 1:
        i, j = rng.sample(range(len(table.rows)), 2)
        table.rows[i], table.rows[j] = table.rows[j], table.rows[i]
    else:
        key, sents = rng.choice(table.rows)
        what = "row " + _edit_sentences(rng, sents, keep_first=False) if sents else "row insert"
        if not sents:
            sents.append(rng.choice(SENTENCES))
    _write(world, table.path)
    return f"{what} in {table.path.name}"


def _rows_of(text: str, keyed: bool) -> list[tuple[str, list[str]]]:
    """A table's rows back from its text, as ``Table.text`` wrote them."""
    rows = []
    for line in text.splitlines()[1:]:
        row = line.split(",")[1] if keyed else line.split(",")[0]
        first, *rest = _split(row)
        rows.append((first.removeprefix("Entry ").removesuffix("."), rest))
    return rows


# --- the store's side ----------------------------------------------------------------


def _ingest(world: World) -> str:
    if world.rng.random() >= 0.3:  # mostly every file, as `stance ingest DIR` reads them
        return _ingest_all(world)
    files = world.files()
    world.store.ingest_paths(world.rng.sample(files, world.rng.randint(1, len(files) - 1)))
    return "ingest some"


def _ingest_all(world: World) -> str:
    world.store.ingest_paths([world.folder])
    _check_reingest_changes_nothing(world)
    return "ingest all"


def _labels(rng: random.Random) -> Annotation:
    topics = tuple(rng.sample(CODEBOOK.topic_ids, rng.randint(0, 2)))
    frames = tuple(rng.sample(CODEBOOK.frame_ids, rng.randint(0, 2)))
    primary = rng.choice(frames) if frames and rng.random() < 0.7 else None
    return Annotation("", topics, frames, primary)


def _annotate(world: World) -> str:
    rng = world.rng
    active = world.store.sentences()
    if not active:
        return "annotate nothing"
    sid = rng.choice(active).sentence_id
    a = _labels(rng)
    adjudication = rng.random() < 0.25
    if adjudication:  # a ruling on some kinds (the dashboard's way); the frames come along so the primary frame checks
        decides = tuple(k for k in DECISION_KINDS if rng.random() < 0.5) or ("frames",)
        a = Annotation("", a.topics, a.frames, a.primary_frame, decides=decides)
    who = rng.choice(ANNOTATORS)
    world.store.annotate(Annotation(a.text, a.topics, a.frames, a.primary_frame, sid, decides=a.decides, note=rng.choice(("", "", "hm"))),
                         annotator=who, codebook=CODEBOOK, adjudication=adjudication)
    return f"{'adjudicate' if adjudication else 'annotate'} {sid} by {who}"


def _mark(world: World) -> str:
    active = world.store.sentences()
    if not active:
        return "mark nothing"
    sid = world.rng.choice(active).sentence_id
    boilerplate = world.rng.random() < 0.6
    world.store.mark_boilerplate(sid, boilerplate, annotator=world.rng.choice(ANNOTATORS), reason=world.rng.choice(("navigation", "filler")))
    return f"mark {sid} {'boilerplate' if boilerplate else 'content'}"


def _export(world: World) -> str:
    _check_export_round_trip(world)
    return "export"


STEP_KINDS: tuple[tuple[Callable[[World], str], int], ...] = (
    (_edit_note, 12), (_edit_table, 10), (_ingest, 14), (_annotate, 20), (_mark, 5), (_export, 3),
)


# --- what must hold -------------------------------------------------------------------


class Word(NamedTuple):
    """One person's latest word on one kind of one sentence, as the reference reads it."""

    labels: tuple[str, ...]
    annotator: str
    adjudication: bool
    note: str
    order: tuple[str, int]


def _root(ev: LabelEvent) -> int:
    return ev.carried_from or ev.event_id  # type: ignore[return-value]


def _counted(world: World) -> dict[str, list[LabelEvent]]:
    """The human events that count, by sentence, as the docstrings say: every one on an active sentence;
    of a decision no active sentence holds (made there or carried), the copy on the version active last."""
    store = world.store
    doc_of = {s.sentence_id: s.doc_id for s in store.sentences(active_only=False)}
    active = {s.sentence_id for s in store.sentences()}
    human = store.events(origin=HUMAN)
    held = {_root(ev) for ev in human if ev.sentence_id in active}
    last: dict[int, LabelEvent] = {}
    for ev in human:
        if ev.sentence_id not in active and _root(ev) not in held:
            was = last.get(_root(ev))
            if was is None or world.seen_active.get(doc_of[ev.sentence_id], -1) >= world.seen_active.get(doc_of[was.sentence_id], -1):
                last[_root(ev)] = ev
    out: dict[str, list[LabelEvent]] = defaultdict(list)
    for ev in human:
        if ev.sentence_id in active or last.get(_root(ev)) == ev:
            out[ev.sentence_id].append(ev)
    return out


def _latest_words(events: list[LabelEvent]) -> dict[str, dict[tuple[str, bool], Word]]:
    """kind -> (annotator, adjudication) -> that person's latest word (events come in the order made)."""
    out: dict[str, dict[tuple[str, bool], Word]] = defaultdict(dict)
    for ev in events:
        out[ev.kind][(ev.annotator, ev.adjudication)] = Word(ev.labels, ev.annotator, ev.adjudication, ev.note, (ev.created_at, ev.event_id or 0))
    return out


def _check(world: World) -> None:
    store = world.store
    events = {ev.event_id: ev for ev in store.events()}
    # 1. Nothing is lost: every event shown before is still there, as it was.
    assert all(events.get(i) == ev for i, ev in world.events.items()), "a label event changed or vanished"
    world.events = events
    checks = max(world.seen_active.values(), default=0) + 1
    world.seen_active.update((d.doc_id, checks) for d in store.documents())
    active = {s.sentence_id: s for s in store.sentences()}
    everything = {s.sentence_id: s for s in store.sentences(active_only=False)}
    counted = _counted(world)
    labels = store.current_labels()
    orphans = {o.sentence_id for o in store.orphans()}
    # Every decision ever made counts somewhere: on an active sentence (made there or carried), else on an orphan.
    at = {_root(ev): ev.sentence_id for evs in counted.values() for ev in evs}
    for ev in events.values():
        if ev.origin == HUMAN:
            sid = at.get(_root(ev))
            assert sid in labels and (sid in active or sid in orphans), f"event {ev.event_id} on {ev.sentence_id} counts nowhere"
    assert orphans == {sid for sid in counted if sid not in active}, "orphans() is not the superseded sentences whose labels count"
    # 2. Counted once: the labels are exactly those of the sentences that count, and each decision counts at one sentence.
    assert set(labels) == set(counted), f"labelled sentences differ: {sorted(set(labels) ^ set(counted))}"
    assert {d.sentence_id for d in store.decisions()} == set(counted)
    assert {a.sentence_id for a in store.annotator_annotations()} == set(counted)
    assert {c.sentence_id for c in store.conflicts()} <= set(counted)
    _check_counted_once(counted, set(active), {sid: s.path for sid, s in everything.items()})
    # 3. Each sentence resolves as holding() and standing() say, from its latest words.
    decisions = {(d.sentence_id, d.kind, d.annotator, d.adjudication): (d.labels, d.note, d.event_id) for d in store.decisions()}
    want_decisions = {}
    want_conflicts = {}
    boilerplate = {}
    for sid, evs in counted.items():
        words = _latest_words(evs)
        for kind, by in words.items():
            for (who, adj), w in by.items():
                want_decisions[(sid, kind, who, adj)] = (w.labels, w.note, w.order[1])
            said = {who: w.labels for (who, adj), w in by.items() if not adj}
            ruling = holding(list(by.values()))
            if kind != "boilerplate" and len({frozenset(v) for v in said.values()}) > 1:
                want_conflicts[(sid, kind)] = (said, ruling.labels if ruling.adjudication else None, ruling.annotator if ruling.adjudication else None)
        held_words = {kind: holding(list(words[kind].values())) for kind in ROW_KINDS if kind in words}  # standing names people kind by kind
        want = standing(everything[sid].text, sid, everything[sid].source, {k: (w.labels, w.annotator, w.note, w.order) for k, w in held_words.items()})
        got = labels[sid]
        assert (got.topics, got.frames, got.primary_frame, got.annotator, got.note, got.text, got.source) == (
            want.topics, want.frames, want.primary_frame, want.annotator, want.note, want.text, want.source), f"{sid} resolves otherwise"
        if "boilerplate" in held_words:
            boilerplate[sid] = bool(held_words["boilerplate"].labels)
    assert decisions == want_decisions
    got_conflicts = {(c.sentence_id, c.kind): (c.by_annotator, c.adjudicated, c.adjudicator) for c in store.conflicts()}
    assert got_conflicts == want_conflicts
    assert store.boilerplate_overrides() == boilerplate
    assert [a.sentence_id for a in store.human_annotations()] == [sid for sid in labels if not boilerplate.get(sid)]


def _check_counted_once(counted: dict[str, list[LabelEvent]], active: set[str], paths: dict[str, str]) -> None:
    """No decision counts at two sentences, but where the README says it may: on two active rows of a
    table without an ``id`` column (rows live at their lines: rows that swapped lines and changed in
    one save each took the labels of the sentence with their text that their new line held before)."""
    at: dict[int, set[str]] = defaultdict(set)
    for sid, evs in counted.items():
        for ev in evs:
            at[_root(ev)].add(sid)
    at_lines = {sid for sid in active if Path(paths[sid].rpartition(":")[0]).name == "lines.csv"}
    twice = {root: sids for root, sids in at.items() if len(sids) > 1 and not sids <= at_lines}
    assert not twice, f"decisions counted at more than one sentence: {twice}"


def _state(store: Store) -> tuple:
    return store.events(), store.current_labels(), sorted(s.sentence_id for s in store.sentences()), store.orphans()


def _check_reingest_changes_nothing(world: World) -> None:
    """5. Ingesting the files again, unchanged, changes nothing."""
    before = _state(world.store)
    report, _ = world.store.ingest_paths([world.folder])
    assert (report.added, report.changed) == (0, []), report.lines()
    assert _state(world.store) == before


def _check_export_round_trip(world: World) -> None:
    """4. Importing an export into the store that wrote it records nothing. Its rows of active
    sentences (an orphan has no sentence in a store of the current documents), imported into a fresh
    store holding the same documents, resolve as here; importing them twice records nothing the
    second time; and the fresh store exports them byte for byte."""
    store = world.store
    world.exports = n = world.exports + 1
    suffix = world.rng.choice(("csv", "jsonl"))
    out, current, again = (world.folder.parent / f"{name}-{n}.{suffix}" for name in ("export", "current", "again"))
    store.export_annotations(out)
    events = store.count_events()
    assert store.import_files([out], annotator="x", codebook=CODEBOOK).recorded == 0 and store.count_events() == events
    active = {s.sentence_id for s in store.sentences()}
    write_annotations([a for a in store.annotator_annotations() if a.sentence_id in active], current)
    with open_store(world.folder.parent / f"fresh-{n}.db") as fresh:
        fresh.ingest(store.documents())
        fresh.import_files([current], annotator="x", codebook=CODEBOOK)
        assert fresh.import_files([current], annotator="x", codebook=CODEBOOK).recorded == 0, "a second import recorded something"
        shown = lambda labels: {sid: (a.text, a.topics, a.frames, a.primary_frame, a.annotator, a.note) for sid, a in labels.items()}  # noqa: E731
        assert shown(fresh.current_labels()) == shown({sid: a for sid, a in store.current_labels().items() if sid in active})
        assert fresh.boilerplate_overrides() == {sid: b for sid, b in store.boilerplate_overrides().items() if sid in active}
        conflicts = lambda cs: [(c.sentence_id, c.kind, c.by_annotator, c.adjudicated, c.adjudicator) for c in cs]  # noqa: E731
        assert conflicts(fresh.conflicts()) == conflicts(c for c in store.conflicts() if c.sentence_id in active)
        fresh.export_annotations(again)
    assert again.read_bytes() == current.read_bytes()


# --- the test --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(FIRST_SEED, FIRST_SEED + SEEDS))
def test_random_edits_ingests_and_labels_keep_the_stores_promises(tmp_path: Path, seed: int) -> None:
    world = _world(tmp_path, seed)
    world.store.ingest_paths([world.folder])
    done: list[str] = []
    steps, weights = zip(*STEP_KINDS)
    try:
        for _ in range(STEPS):
            step = world.rng.choices(steps, weights)[0]
            done.append(step(world))
            _check(world)
        done.append(_ingest_all(world))
        _check(world)
        done.append(_export(world))
    except AssertionError as exc:
        raise AssertionError(f"seed {seed}, after: {'; '.join(done[-8:])}: {exc}") from exc
    finally:
        world.store.close()

