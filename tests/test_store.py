"""The store: labels survive restarts, re-ingestion, changed documents, concurrent writers and crashes."""

from __future__ import annotations

import json
import multiprocessing
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from stance.annotations import Annotation, read_annotations, resolve, seed_annotation_files
from stance.codebook import load_codebook, parse_codebook
from stance.errors import StanceError
from stance.store import SCHEMA_VERSION, AnnotationFileError, Store, label_events, open_store, resolve_url

CODEBOOK = load_codebook()
FIRST = "Export controls on chips are tightening."
MIDDLE = "Beijing answered with its own measures."
LAST = "Tariffs on electric vehicles rose again."


@pytest.fixture
def db(tmp_path):
    return tmp_path / "labels.db"


@pytest.fixture
def seeded(db):
    store = open_store(db)
    store.ingest_paths(["seeds"])
    yield store
    store.close()


def _sid(store: Store, text: str, source: str | None = None) -> str:
    found = store.match_text(text, source)
    assert len(found) == 1, (text, found)
    return found[0]


def _label(store, sid, annotator, topics=(), frames=(), primary=None, note="", **kw):
    store.annotate(Annotation("", tuple(topics), tuple(frames), primary, sid, annotator=annotator, note=note), codebook=CODEBOOK, **kw)


# --- opening ---------------------------------------------------------------------


def test_sqlite_file_is_wal_with_a_busy_timeout_and_recorded_migrations(db):
    store = open_store(db)
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    assert [m[0] for m in store.migrations()] == [1] and store.schema_version == SCHEMA_VERSION
    store.close()
    assert open_store(db).migrations() == store.migrations()  # reopening runs nothing again


def test_where_the_store_lives(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_DB", str(tmp_path / "env.db"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'env.db'}"
    assert resolve_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_url("postgresql://me@host/stance") == "postgresql+psycopg://me@host/stance"
    monkeypatch.delenv("STANCE_DB")
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *a, **k: str(tmp_path / "data"))
    assert resolve_url(None) == f"sqlite:///{tmp_path / 'data' / 'stance.db'}"


def test_a_newer_schema_or_a_foreign_file_is_refused_not_damaged(tmp_path, db):
    open_store(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 'now')")
    with pytest.raises(StanceError, match="newer than this stance"):
        open_store(db)
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StanceError) as info:
        open_store(junk)
    assert str(junk) in str(info.value)



def test_a_folder_or_a_database_stance_cannot_store_in_is_said_with_what_to_give(tmp_path):
    # A folder used to give sqlite's "unable to open database file"; a mysql:// URL the fix "pip install 'stance[postgres]'".
    with pytest.raises(StanceError, match="this is a folder") as info:
        open_store(tmp_path)
    assert f"--db {tmp_path / 'stance.db'}" in str(info.value)
    with pytest.raises(StanceError, match="SQLite file or a postgresql:// URL"):
        open_store("mysql://me@host/stance")

# --- ingesting ---------------------------------------------------------------------


def test_annotations_survive_a_restart(db, seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics", "trade_tariffs"], ["security_risk"], "security_risk", note="lens, not stance")
    seeded.close()
    reopened = open_store(db)
    label = reopened.current_labels()[sid]
    assert (label.topics, label.frames, label.primary_frame) == (("geopolitics", "trade_tariffs"), ("security_risk",), "security_risk")
    assert label.annotator == "alice" and label.note == "lens, not stance" and label.source == "coppens"
    assert reopened.events(sid)[0].codebook_version == CODEBOOK.fingerprint


def test_reingesting_unchanged_documents_changes_nothing(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"])
    before = (seeded.count_sentences(active_only=False), seeded.events(), seeded.current_labels())
    report, _ = seeded.ingest_paths(["seeds"])
    assert (report.added, report.unchanged, report.changed) == (0, 3, [])
    assert (seeded.count_sentences(active_only=False), seeded.events(), seeded.current_labels()) == before


def test_a_syndicated_story_in_two_sources_is_kept_once_and_the_copy_is_said(tmp_path, db, capsys):
    from stance.cli import main

    story = "Xinhua, Beijing. China's exports rose 7 percent in May. Officials hailed win-win cooperation.\n"
    (tmp_path / "xinhua.txt").write_text(story)
    (tmp_path / "chinadaily.txt").write_text(story)
    store = tmp_path / "s.db"
    assert main(["ingest", str(tmp_path / "xinhua.txt"), str(tmp_path / "chinadaily.txt"), "--db", str(store)]) == 0
    out = capsys.readouterr().out
    assert "1 new document (3 sentences), 0 unchanged, 0 changed, 1 copy of a stored document" in out
    assert "chinadaily.txt (chinadaily) has the same text as" in out and "xinhua.txt (xinhua), which is kept" in out
    assert main(["ingest", str(tmp_path / "chinadaily.txt"), "--db", str(store)]) == 0  # only a copy: read, not "nothing read"
    assert "0 unchanged, 0 changed, 1 copy" in capsys.readouterr().out
    (tmp_path / "moved").mkdir()
    (tmp_path / "moved" / "xinhua.txt").write_text(story)  # its own source's text at another path: no copy
    assert main(["ingest", str(tmp_path / "moved" / "xinhua.txt"), "--db", str(store)]) == 0
    assert "0 new documents (0 sentences), 1 unchanged, 0 changed\n" in capsys.readouterr().out


def _note(tmp_path: Path, db: Path) -> tuple[Store, Path, Path]:
    """A store holding one document of three sentences (FIRST, MIDDLE, LAST): the store, the file, its folder."""
    folder = tmp_path / "docs"
    folder.mkdir()
    doc = folder / "note.txt"
    doc.write_text(f"{FIRST} {MIDDLE} {LAST}\n", encoding="utf-8")
    store = open_store(db)
    store.ingest_paths([folder])
    return store, doc, folder


def test_a_changed_document_keeps_unchanged_sentences_labels_and_lists_orphans(tmp_path, db):
    store, doc, folder = _note(tmp_path, db)
    first, middle = _sid(store, FIRST), _sid(store, MIDDLE)
    _label(store, first, "alice", ["export_controls", "semiconductors"], ["security_risk"], "security_risk")
    _label(store, middle, "alice", ["geopolitics"], ["sovereignty"])
    store.mark_boilerplate(middle, False, annotator="bob")

    doc.write_text(f"{FIRST} Beijing answered quickly. {LAST} A new closing line.\n", encoding="utf-8")
    report, _ = store.ingest_paths([folder])
    assert report.added == 1 and len(report.changed) == 1
    change = report.changed[0]
    assert change.carried == 1
    assert [o.sentence_id for o in change.orphaned] == [middle]
    assert change.orphaned[0].annotators == ("alice", "bob") and "Beijing answered" in str(change.orphaned[0])

    new_first = _sid(store, FIRST)
    assert new_first != first  # sentence ids derive from the document's text
    labels = store.current_labels()
    assert labels[new_first].topics == ("export_controls", "semiconductors") and labels[new_first].annotator == "alice"
    assert labels[middle].topics == ("geopolitics",)  # the orphan's labels are kept, never deleted
    assert [o.sentence_id for o in store.orphans()] == [middle]
    assert middle not in {s.sentence_id for s in store.sentences()}  # but it is no longer an active sentence
    assert len(store.sentences(active_only=False)) == 3 + 4

    # The old text comes back: its sentences are active again, with their labels and the carried ones.
    events_before = len(store.events())
    doc.write_text(f"{FIRST} {MIDDLE} {LAST}\n", encoding="utf-8")
    report, _ = store.ingest_paths([folder])
    assert len(store.events()) == events_before  # nothing to carry back: the old sentences kept their events
    assert report.added == 0 and len(report.changed) == 1
    assert {s.sentence_id for s in store.sentences()} >= {first, middle}
    assert store.orphans() == []
    events_before = len(store.events())
    store.ingest_paths([folder])
    assert len(store.events()) == events_before  # re-ingesting again carries nothing twice


def test_labels_carried_to_a_new_version_count_once(tmp_path, db):
    """Training, conflicts, agreement and export read a carried sentence once: at its active version."""
    store, doc, folder = _note(tmp_path, db)
    first, middle = _sid(store, FIRST), _sid(store, MIDDLE)
    _label(store, first, "alice", ["export_controls"], ["security_risk"], "security_risk")
    _label(store, first, "bob", ["export_controls", "semiconductors"], ["security_risk"], "security_risk")
    _label(store, middle, "alice", ["geopolitics"], ["sovereignty"])
    doc.write_text(f"{FIRST} Beijing answered quickly. {LAST}\n", encoding="utf-8")
    store.ingest_paths([folder])
    new_first = _sid(store, FIRST)

    trained = [a.sentence_id for a in store.human_annotations()]
    assert sorted(trained) == sorted([new_first, middle])  # the carried sentence once, the orphan kept
    assert [c.sentence_id for c in store.conflicts()] == [new_first]
    assert {d.sentence_id for d in store.decisions()} == {new_first, middle}
    assert first not in {a.sentence_id for a in store.annotator_annotations()}
    # A file naming the old version's id labels the sentence as it stands now.
    report = store.import_annotations([("old.csv", 2, Annotation(FIRST, ("export_controls",), (), None, first, annotator="adjudication:carol", decides=("topics",)))], annotator="carol")
    assert report.recorded == 1 and store.current_labels()[new_first].topics == ("export_controls",)
    assert [c.sentence_id for c in store.conflicts()] == [new_first] and store.conflicts()[0].adjudicated == ("export_controls",)
    assert sorted(a.sentence_id for a in store.human_annotations()) == sorted(trained)


def test_labels_carried_to_a_version_that_then_loses_the_sentence_count_once(tmp_path, db):
    """Carried from version to version and then orphaned, a decision is on every superseded version
    that held it: it was listed as two orphans, trained on twice and exported twice. It counts at the
    version that was active last, the one it was orphaned from."""
    store, doc, folder = _note(tmp_path, db)
    _label(store, _sid(store, MIDDLE), "alice", ["geopolitics"], ["sovereignty"])
    doc.write_text(f"{FIRST} {MIDDLE}\n", encoding="utf-8")
    store.ingest_paths([folder])
    carried = _sid(store, MIDDLE)
    doc.write_text(f"{FIRST} Beijing answered quickly.\n", encoding="utf-8")
    store.ingest_paths([folder])
    assert [o.sentence_id for o in store.orphans()] == [carried]
    assert [a.sentence_id for a in store.human_annotations()] == [carried]
    assert [a.sentence_id for a in store.annotator_annotations()] == [carried]


def test_an_orphans_row_in_an_export_stays_with_the_orphan_not_its_text_in_another_document(tmp_path, db):
    """A file naming an old version's sentence labels the sentence as it stands now in that document;
    an orphan's text is gone from it. Matched by text across the source instead, an export's row of
    an orphan labelled another row that shares the sentence, so importing one's own export changed
    the store (and the next export)."""
    table = tmp_path / "items.csv"
    table.write_text(f"id,text\na,{FIRST} {LAST}\nb,{MIDDLE} {FIRST}\n", encoding="utf-8")
    store = open_store(db)
    store.ingest_paths([table])
    [a_first] = [s.sentence_id for s in store.sentences() if s.text == FIRST and s.start == 0]
    _label(store, a_first, "alice", ["export_controls"])
    table.write_text(f"id,text\na,{LAST}\nb,{MIDDLE} {FIRST}\n", encoding="utf-8")
    store.ingest_paths([table])
    assert [o.sentence_id for o in store.orphans()] == [a_first]
    out = tmp_path / "labels.csv"
    store.export_annotations(out)
    assert store.import_files([out], annotator="x", codebook=CODEBOOK).recorded == 0
    assert list(store.current_labels()) == [a_first]


def _rows(table: Path, *texts: str) -> Path:
    """``table`` written as a CSV of one source's rows without an id column: each lives at its line."""
    table.write_text("text,source\n" + "".join(f"{t},feed\n" for t in texts), encoding="utf-8")
    return table


def test_a_row_inserted_above_others_in_a_table_moves_them_and_replaces_nothing(tmp_path, db):
    """A table's rows without an id column live at their lines: inserting a row shifts every row
    below it. Those texts are the same documents, still active, still labelled; the line that
    held one before is not a change of it."""
    table = tmp_path / "items.csv"
    _rows(table, FIRST, MIDDLE, LAST)
    store = open_store(db)
    store.ingest_paths([table])
    first = _sid(store, FIRST)
    _label(store, first, "alice", ["export_controls"])

    _rows(table, "A row added on top about AI chips.", FIRST, MIDDLE, LAST)
    report, _ = store.ingest_paths([table])
    assert (report.added, report.unchanged, report.changed) == (1, 3, [])  # before: FIRST was retired, its row still there
    assert {s.text for s in store.sentences()} == {"A row added on top about AI chips.", FIRST, MIDDLE, LAST}
    assert store.current_labels()[first].topics == ("export_controls",) and store.orphans() == []

    # The moved rows live at their new lines: editing one there is a new version of it, labels carried.
    _rows(table, "A row added on top about AI chips.", f"{FIRST} Really.", MIDDLE, LAST)
    report, _ = store.ingest_paths([table])
    assert [(c.carried, len(c.orphaned)) for c in report.changed] == [(1, 0)]
    assert [s.text for s in store.sentences()].count(FIRST) == 1 and store.current_labels()[_sid(store, FIRST)].topics == ("export_controls",)


def test_a_new_title_or_date_of_the_same_text_is_taken_in(tmp_path, db):
    """A document is known by its text, so a date put right (or a row moved to another line, whose title
    is its line) used to be "unchanged" and kept what was stored before."""
    table = tmp_path / "items.csv"
    table.write_text(f"text,source,date,title\n{FIRST},feed,2023-01-05,Chips\n", encoding="utf-8")
    store = open_store(db)
    store.ingest_paths([table])
    _label(store, _sid(store, FIRST), "alice", ["export_controls"])
    table.write_text(f"text,source,date,title\n{FIRST},feed,2024-01-05,Chip controls\n", encoding="utf-8")
    report, _ = store.ingest_paths([table])
    assert (report.unchanged, report.redescribed, report.changed) == (1, 1, [])
    assert "0 new documents (0 sentences), 1 unchanged (1 with a new title or date), 0 changed" in report.lines()[0]
    assert [(d.title, d.date) for d in store.documents()] == [("Chip controls", "2024-01-05")]
    assert store.current_labels()[_sid(store, FIRST)].topics == ("export_controls",)
    report, _ = store.ingest_paths([table])
    assert (report.unchanged, report.redescribed) == (1, 0)  # told once

    _rows(table, FIRST, MIDDLE)
    store.ingest_paths([table])
    _rows(table, LAST, FIRST, MIDDLE)
    store.ingest_paths([table])
    assert sorted(d.title for d in store.documents()) == ["row 2", "row 3", "row 4"]  # each moved row is at its new line

    # One text on two rows: the first says what it is; re-ingesting moves and retitles nothing, time after time.
    twice = tmp_path / "twice.csv"
    twice.write_text(f"text,source,title\nTariffs rose on steel.,feed,One\nTariffs rose on steel.,feed,Two\n", encoding="utf-8")
    for _ in range(3):
        report, _ = store.ingest_paths([twice])
        assert report.redescribed == 0
        assert [(d.title, d.path) for d in store.documents() if "steel" in d.text] == [("One", f"{twice}:2")]


def test_two_rows_of_a_table_with_one_id_are_named_not_left_to_retire_each_other(tmp_path, db):
    # Both used to be stored at the table's id, the first retired by the second, and every later
    # ingest reported one of them "changed", its labelled sentences inactive.
    table = tmp_path / "items.csv"
    table.write_text(f"id,text\n1,{FIRST}\n1,{MIDDLE}\n2,{LAST}\n", encoding="utf-8")
    store = open_store(db)
    for _ in range(2):
        report, corpus = store.ingest_paths([table])
        assert report.changed == [] and {s.text for s in store.sentences()} == {FIRST, LAST}
        (problem,) = corpus.problems
        assert (problem.path, problem.line) == (str(table), 3) and f"the row's id '1' is also the id of {table}:2" in str(problem)


def test_a_row_edited_below_an_inserted_row_or_a_deleted_row_leaves_one_text_per_line(tmp_path, db):
    """A row that moved onto a line replaces what that line held (the row deleted above, an edited row
    that moved on): two texts were left active at one line, the old one counted in every comparison
    and never retired by later ingests."""
    table = tmp_path / "items.csv"
    _rows(table, FIRST, MIDDLE)
    store = open_store(db)
    store.ingest_paths([table])
    middle = _sid(store, MIDDLE)
    _label(store, middle, "alice", ["export_controls"])
    _rows(table, "A row added on top about AI chips.", FIRST, f"{MIDDLE} Really.")
    report, _ = store.ingest_paths([table])
    assert sorted(d.text for d in store.documents()) == sorted(["A row added on top about AI chips.", FIRST, f"{MIDDLE} Really."])
    assert [[o.sentence_id for o in c.orphaned] for c in report.changed] == [[middle]]  # said, its labels kept

    _rows(table, FIRST, f"{MIDDLE} Really.")  # the top row deleted
    store.ingest_paths([table])
    assert sorted(d.text for d in store.documents()) == sorted([FIRST, f"{MIDDLE} Really."])


def test_a_text_copied_into_another_source_does_not_keep_the_edited_version_active(tmp_path, db):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    (tmp_path / "a" / "story.txt").write_text(FIRST, encoding="utf-8")
    store = open_store(db)
    store.ingest_paths([tmp_path / "a"])
    _label(store, _sid(store, FIRST), "alice", ["export_controls"])
    (tmp_path / "a" / "story.txt").write_text(f"{FIRST} {LAST}", encoding="utf-8")
    (tmp_path / "b" / "syndicated.txt").write_text(FIRST, encoding="utf-8")  # another outlet runs the old text
    report, _ = store.ingest_paths([tmp_path / "a", tmp_path / "b"])
    assert [d.text for d in store.documents()] == [f"{FIRST} {LAST}"]
    assert [c.carried for c in report.changed] == [1]


def test_an_ingest_stopped_midway_is_completed_by_the_next(tmp_path, db, monkeypatch):
    """Old versions are retired at the end of an ingest, its batches committed one by one: one killed
    between them left old and new text active at one place, and running it again did not retire the old."""
    import stance.store as store_module

    table = tmp_path / "items.csv"
    _rows(table, FIRST, MIDDLE)
    store = open_store(db)
    store.ingest_paths([table])
    _label(store, _sid(store, FIRST), "alice", ["export_controls"])
    _rows(table, f"{FIRST} Really.", f"{MIDDLE} Really.")
    monkeypatch.setattr(store_module, "INGEST_BATCH", 1)
    batches = []
    real = Store._ingest_batch

    def killed_after_one(self, *args):
        if batches:
            raise KeyboardInterrupt
        batches.append(1)
        return real(self, *args)

    monkeypatch.setattr(Store, "_ingest_batch", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        store.ingest_paths([table])
    monkeypatch.setattr(Store, "_ingest_batch", real)
    report, _ = store.ingest_paths([table])
    assert sorted(d.text for d in store.documents()) == sorted([f"{FIRST} Really.", f"{MIDDLE} Really."])
    assert sorted(c.carried for c in report.changed) == [0, 1] and store.current_labels()[_sid(store, FIRST)].topics == ("export_controls",)


def test_rows_that_swap_lines_are_seen_by_the_kept_labels_and_the_dashboard(tmp_path, db):
    """A moved row's document changes place in the store without a new document or label: the
    resolved labels (kept until something changes) and the dashboard's revision must see it."""
    table = tmp_path / "items.csv"
    _rows(table, FIRST, MIDDLE)
    store = open_store(db)
    store.ingest_paths([table])
    for text in (FIRST, MIDDLE):
        _label(store, _sid(store, text), "alice", ["export_controls"])
    assert [a.text for a in store.current_labels().values()] == [FIRST, MIDDLE]
    revision = store.revision()
    _rows(table, MIDDLE, FIRST)
    store.ingest_paths([table])
    assert [a.text for a in store.current_labels().values()] == [MIDDLE, FIRST]
    assert [a.text for a in open_store(db).current_labels().values()] == [MIDDLE, FIRST]
    assert store.revision()["documents"] != revision["documents"]


# --- human decisions --------------------------------------------------------------


def test_latest_human_decision_wins_adjudication_decides_and_conflicts_stay_visible(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"], ["security_risk"])
    _label(seeded, sid, "bob", ["trade_tariffs"], ["security_risk"])
    assert seeded.current_labels()[sid].topics == ("trade_tariffs",)  # the latest human decision
    [conflict] = seeded.conflicts()
    assert (conflict.kind, conflict.by_annotator, conflict.adjudicated) == ("topics", {"alice": ("geopolitics",), "bob": ("trade_tariffs",)}, None)

    _label(seeded, sid, "carol", ["geopolitics", "trade_tariffs"], ["security_risk"], adjudication=True)
    _label(seeded, sid, "bob", ["economy"], ["security_risk"])  # a later word from an annotator
    label = seeded.current_labels()[sid]
    assert label.topics == ("geopolitics", "trade_tariffs") and label.annotator == "carol"
    [conflict] = seeded.conflicts()
    assert conflict.adjudicated == ("geopolitics", "trade_tariffs") and conflict.by_annotator["bob"] == ("economy",)
    assert seeded.human_annotations()[0].sentence_id == sid



def test_labels_resolved_once_are_kept_until_anyone_writes(db, seeded):
    """A dashboard asks for labels, conflicts and marks on every click: they are resolved once per
    change, and a write from another process (another analyst) is seen at once."""
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"])
    first = seeded._resolved()
    assert seeded._resolved() is first and seeded.current_labels()[sid].topics == ("geopolitics",)
    with open_store(db) as other:
        _label(other, sid, "bob", ["trade_tariffs"])
    assert seeded.current_labels()[sid].topics == ("trade_tariffs",) and len(seeded.conflicts()) == 1
    seeded.mark_boilerplate(sid, annotator="carol")
    assert seeded.boilerplate_overrides() == {sid: True} and seeded.human_annotations() == []


def test_model_and_rule_events_never_override(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    seeded.add_event(sid, "topics", ["ai"], annotator="tagger", origin="model:20250101-abc")
    seeded.add_event(sid, "frames", ["innovation"], annotator="cues", origin="rule")
    assert sid not in seeded.current_labels()
    assert [e.origin for e in seeded.events(sid)] == ["model:20250101-abc", "rule"]


def test_a_human_boilerplate_mark_clears_the_labels(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"])
    seeded.mark_boilerplate(sid, annotator="bob", reason="navigation")
    assert seeded.boilerplate_overrides() == {sid: True}
    label = seeded.current_labels()[sid]
    assert (label.topics, label.frames) == ((), ())
    assert sid not in {a.sentence_id for a in seeded.human_annotations()}


def test_bad_events_are_refused(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    with pytest.raises(StanceError, match="unknown topic id 'tarifs'"):
        _label(seeded, sid, "alice", ["tarifs"])
    with pytest.raises(StanceError, match="no stored sentence"):
        seeded.add_event("0000000000000000", "topics", ["ai"], annotator="alice")
    with pytest.raises(StanceError, match="unknown label kind"):
        seeded.add_event(sid, "tone", ["ai"], annotator="alice")
    assert seeded.count_events() == 0


def test_labels_from_another_codebook_are_marked_stale(seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"])
    assert seeded.stale_labels(CODEBOOK) == {}
    edited = parse_codebook(CODEBOOK.to_toml().replace("version = '1'", "version = '2'"))
    assert edited.version == "2"
    assert seeded.stale_labels(edited) == {sid: CODEBOOK.fingerprint}
    assert [c["fingerprint"] for c in seeded.codebooks()] == [CODEBOOK.fingerprint]


def test_model_cards_are_kept(seeded):
    card = {"version": "20250101-abc", "trained_at": "2025-01-01T10:00:00", "codebook_fingerprint": CODEBOOK.fingerprint,
            "examples": 274, "examples_per_label": {"ai": 12}, "cv_metrics": {"topics": {"micro_f1": 0.7}}, "path": "/models/a"}
    assert seeded.record_model(card) == "20250101-abc"
    assert seeded.record_model(card) == "20250101-abc"  # once
    seeded.record_model({**card, "version": "20250102-def"})
    assert [m["version"] for m in seeded.models()] == ["20250102-def", "20250101-abc"]
    assert seeded.latest_model()["examples_per_label"] == {"ai": 12} and seeded.latest_model()["path"] == "/models/a"


# --- concurrency and crashes ---------------------------------------------------------


def _writer(db, sentence_ids, name, count):
    store = open_store(db)  # one store per process
    for i in range(count):
        store.add_event(sentence_ids[i % len(sentence_ids)], "topics", ["ai"], annotator=name, note=f"{name}-{i}")
    store.close()


def _run_writers(db, ids, writers: int, count: int) -> None:
    """Start ``writers`` processes writing ``count`` events each, at once, and wait."""
    ctx = multiprocessing.get_context("fork")
    processes = [ctx.Process(target=_writer, args=(db, ids, f"analyst{k}", count)) for k in range(writers)]
    for w in processes:
        w.start()
    for w in processes:
        w.join(60)
        assert w.exitcode == 0


def test_concurrent_writers_lose_nothing(seeded, db):
    ids = [s.sentence_id for s in seeded.sentences(source="merics")[:40]]
    seeded.close()
    _run_writers(db, ids, 4, 60)
    notes = [e.note for e in open_store(db).events()]
    assert len(notes) == 240 and set(notes) == {f"analyst{k}-{i}" for k in range(4) for i in range(60)}


def _crash_mid_write(db, sentence_id):
    store = open_store(db)
    store.add_event(sentence_id, "topics", ["ai"], annotator="alice", note="committed")
    with store._write() as conn:
        conn.execute(label_events.insert(), [
            {"sentence_id": sentence_id, "kind": "topics", "labels": "[]", "annotator": "alice", "origin": "human",
             "adjudication": False, "created_at": "x", "codebook_version": "", "note": "in flight", "carried_from": None}
        ] * 50)
        os.kill(os.getpid(), signal.SIGKILL)  # the power goes out before the commit


def test_a_crash_mid_write_loses_only_the_write_in_flight(seeded, db):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    seeded.close()
    child = multiprocessing.get_context("fork").Process(target=_crash_mid_write, args=(db, sid))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    store = open_store(db)
    assert [e.note for e in store.events()] == ["committed"]
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.add_event(sid, "frames", ["security_risk"], annotator="bob")  # and the store still takes writes
    assert store.count_events() == 2


# --- annotation files --------------------------------------------------------------


def test_seed_annotations_import_idempotently_and_export_round_trips(tmp_path, seeded):
    report = seeded.import_files(seed_annotation_files(), annotator="me", codebook=CODEBOOK)
    assert (report.rows, report.recorded, report.unchanged, report.unmatched) == (274, 274, 0, [])
    events = seeded.count_events()
    again = seeded.import_files(seed_annotation_files(), annotator="me", codebook=CODEBOOK)
    assert (again.recorded, again.unchanged) == (0, 274) and seeded.count_events() == events
    for suffix in ("csv", "jsonl"):
        first, second = tmp_path / f"one.{suffix}", tmp_path / f"two.{suffix}"
        assert seeded.export_annotations(first) == 274
        fresh = open_store(tmp_path / f"fresh-{suffix}.db")
        fresh.ingest_paths(["seeds"])
        assert fresh.import_files([first], annotator="me", codebook=CODEBOOK).recorded == 274
        fresh.export_annotations(second)
        assert second.read_bytes() == first.read_bytes()
        assert seeded.import_files([first], annotator="me", codebook=CODEBOOK).recorded == 0


def test_export_keeps_every_annotator_and_adjudications(tmp_path, seeded):
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "bob", ["trade_tariffs"])
    _label(seeded, sid, "alice", ["geopolitics"])
    _label(seeded, sid, "carol", ["geopolitics"], adjudication=True)
    out = tmp_path / "labels.jsonl"
    seeded.export_annotations(out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["annotator"], r["topics"]) for r in rows] == [  # in the order they were made
        ("bob", ["trade_tariffs"]), ("alice", ["geopolitics"]), ("adjudication:carol", ["geopolitics"])]
    fresh = open_store(tmp_path / "fresh.db")
    fresh.ingest_paths(["seeds"])
    fresh.import_files([out], annotator="x", codebook=CODEBOOK)
    assert fresh.current_labels()[sid].annotator == "carol" and len(fresh.conflicts()) == 1


def test_an_export_resolves_as_the_store_does_when_imported_or_trained_on(tmp_path, seeded):
    """Adjudication is one kind at a time (the dashboard's way); the export says which kinds a row decides,
    and keeps the order decisions were made in, so a fresh store and training from the file both read the
    store's own labels: the agreed topics survive a ruling on frames, the later annotator wins, and a
    sentence a person marked boilerplate stays marked (and out of training)."""
    ruled = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    later = _sid(seeded, "#### DeepSeek model revs up US-China AI race")
    _label(seeded, ruled, "alice", ["trade_tariffs"], ["security_risk"], "security_risk")
    _label(seeded, ruled, "bob", ["trade_tariffs"], ["competition"], "competition", note="rivalry")
    seeded.add_event(ruled, "frames", ["competition", "security_risk"], annotator="carol", adjudication=True)
    seeded.add_event(ruled, "primary_frame", ["security_risk"], annotator="carol", adjudication=True)
    _label(seeded, later, "zoe", ["ai"], ["competition"], "competition")
    _label(seeded, later, "adam", ["ai"], ["innovation"], "innovation")  # later than zoe, though first by name
    marked = _sid(seeded, "Of particular note, there was a significant growth of 27.5% in the export of chip manufacturing equipment.")
    _label(seeded, marked, "zoe", ["economy"])
    seeded.mark_boilerplate(marked, annotator="adam", reason="filler")
    want = seeded.current_labels()
    assert [a.sentence_id for a in seeded.human_annotations()] == [ruled, later]
    assert (want[ruled].topics, want[ruled].frames, want[ruled].primary_frame) == (("trade_tariffs",), ("competition", "security_risk"), "security_risk")
    assert want[later].frames == ("innovation",)

    for suffix in ("csv", "jsonl"):
        out = tmp_path / f"labels.{suffix}"
        seeded.export_annotations(out)
        read = read_annotations([out], CODEBOOK)
        assert read.problems == [] and [a.decides for a in read.annotations if a.adjudication] == [("frames", "primary_frame")]
        assert [(a.decides, a.boilerplate_mark) for a in read.annotations if a.sentence_id == marked][-1] == (("boilerplate",), "filler")
        resolution = resolve(read.annotations)
        resolved = {a.sentence_id: (a.topics, a.frames, a.primary_frame) for a in resolution.annotations}
        assert resolved == {sid: (a.topics, a.frames, a.primary_frame) for sid, a in want.items() if sid != marked}
        assert resolution.boilerplate == 1
        fresh = open_store(tmp_path / f"fresh-{suffix}.db")
        fresh.ingest_paths(["seeds"])
        assert fresh.import_files([out], annotator="x", codebook=CODEBOOK).recorded == 7
        assert fresh.boilerplate_overrides() == {marked: True}
        got = fresh.current_labels()
        assert {sid: (a.topics, a.frames, a.primary_frame, a.annotator) for sid, a in got.items()} == {
            sid: (a.topics, a.frames, a.primary_frame, a.annotator) for sid, a in want.items()}
        assert fresh.import_files([out], annotator="x", codebook=CODEBOOK).recorded == 0  # importing twice changes nothing
        again = tmp_path / f"again.{suffix}"
        fresh.export_annotations(again)
        assert again.read_bytes() == out.read_bytes()


def test_a_ruling_on_the_primary_frame_outside_the_ruled_frames_exports_as_a_row_of_its_own(tmp_path, seeded):
    """The dashboard offers any frame for a primary-frame ruling: ruled after the frames, by the same
    adjudicator, it once shared their row, which reading refuses (primary frame not among the frames),
    so the whole export could not be imported or trained on."""
    sid = _sid(seeded, "#### DeepSeek model revs up US-China AI race")
    _label(seeded, sid, "alice", ["ai"], ["security_risk"], "security_risk")
    _label(seeded, sid, "bob", ["ai"], ["competition"], "competition")
    seeded.add_event(sid, "frames", ["competition"], annotator="carol", adjudication=True)
    seeded.add_event(sid, "primary_frame", ["security_risk"], annotator="carol", adjudication=True)
    out = tmp_path / "labels.csv"
    seeded.export_annotations(out)
    assert read_annotations([out], CODEBOOK).problems == []
    fresh = open_store(tmp_path / "fresh.db")
    fresh.ingest_paths(["seeds"])
    fresh.import_files([out], annotator="x", codebook=CODEBOOK)
    want, got = seeded.current_labels()[sid], fresh.current_labels()[sid]
    assert (got.frames, got.primary_frame) == (want.frames, want.primary_frame) == (("competition",), None)
    again = tmp_path / "again.csv"
    fresh.export_annotations(again)
    assert again.read_bytes() == out.read_bytes()


def test_a_ruling_added_to_an_export_by_text_alone_counts_in_training_as_on_import(tmp_path, seeded):
    """An analyst appends an adjudication row to an export without copying the sentence_id: importing
    matches it by text, so training on the file must read it as a word on that same sentence, not as
    another sentence beside the annotators' (one sentence, two examples, and the ruling not holding)."""
    sid = _sid(seeded, "#### DeepSeek model revs up US-China AI race")
    _label(seeded, sid, "alice", ["ai"], ["security_risk"], "security_risk")
    _label(seeded, sid, "bob", ["ai"], ["competition"], "competition")
    out = tmp_path / "labels.csv"
    seeded.export_annotations(out)
    with out.open("a", encoding="utf-8", newline="") as f:
        f.write("#### DeepSeek model revs up US-China AI race,ai,security_risk,security_risk,,,adjudication:me,\n")
    fresh = open_store(tmp_path / "fresh.db")
    fresh.ingest_paths(["seeds"])
    fresh.import_files([out], annotator="x", codebook=CODEBOOK)
    want = fresh.current_labels()[sid]
    resolved = resolve(read_annotations([out], CODEBOOK).annotations).annotations
    assert [(a.sentence_id, a.topics, a.frames, a.primary_frame) for a in resolved] == [
        (sid, want.topics, want.frames, want.primary_frame)] == [(sid, ("ai",), ("security_risk",), "security_risk")]


def test_training_from_a_file_with_a_store_leaves_out_a_sentence_the_store_marked_even_by_text(tmp_path, seeded):
    from stance.tagger import training_annotations

    text = "#### DeepSeek model revs up US-China AI race"
    seeded.mark_boilerplate(_sid(seeded, text), annotator="me", reason="navigation")
    path = tmp_path / "mine.csv"
    path.write_text(f"text,topics,frames\n{text},ai,competition\nTariffs rose sharply.,trade_tariffs,economic_cost\n", encoding="utf-8")
    annotations, problems, _ = training_annotations(seeded, [path], CODEBOOK)
    assert problems == [] and [a.text for a in annotations] == ["Tariffs rose sharply."]


def test_a_file_where_one_person_labels_a_sentence_twice_imports_twice_as_once(tmp_path, seeded):
    """The later row is the person's word (as training on the file reads it); recording the earlier one
    too made every import record both again, the store's events growing with each."""
    path = tmp_path / "mine.csv"
    path.write_text("text,topics,frames,annotator,decides\n"
                    "#### DeepSeek model revs up US-China AI race,ai,competition,alice,\n"
                    "#### DeepSeek model revs up US-China AI race,,innovation,alice,frames\n"  # alice's second thought on the frames
                    "#### DeepSeek model revs up US-China AI race,ai;science,,alice,topics\n", encoding="utf-8")
    seeded.import_files([path], annotator="x", codebook=CODEBOOK)
    events = seeded.count_events()
    assert seeded.import_files([path], annotator="x", codebook=CODEBOOK).recorded == 0 and seeded.count_events() == events
    got = seeded.current_labels()[_sid(seeded, "#### DeepSeek model revs up US-China AI race")]
    assert (got.topics, got.frames) == (("ai", "science"), ("innovation",))
    # A row whose every decision comes again further down is said to be so, not "already in the store".
    path.write_text("text,topics,frames,annotator\n"
                    "#### DeepSeek model revs up US-China AI race,economy,,bob\n"
                    "#### DeepSeek model revs up US-China AI race,ai,competition,bob\n", encoding="utf-8")
    report = seeded.import_files([path], annotator="x", codebook=CODEBOOK)
    assert (report.recorded, report.overruled, report.unchanged) == (1, 1, 0)
    assert report.lines() == ["2 rows: 1 recorded, 0 already in the store, 1 decided again further down the file, 0 unmatched"]


def test_import_matches_by_text_and_reports_unmatched_rows_by_line(tmp_path, seeded):
    path = tmp_path / "mine.csv"
    path.write_text(
        "text,topics,frames,primary_frame,sentence_id,source,annotator,note\n"
        # no id, text with other spacing and case: matched by normalised text
        '"the greater risk is that the US and China are heading  towards a full-blown economic war that could escalate into a GLOBAL geopolitical conflict.",geopolitics,security_risk,,,,,\n'
        "A sentence nobody ingested.,ai,,,,,,\n"
        "Another stranger.,ai,,,ffffffffffffffff,,,\n",
        encoding="utf-8",
    )
    report = seeded.import_files([path], annotator="dora", codebook=CODEBOOK)
    assert report.recorded == 1
    assert [(u.path, u.line) for u in report.unmatched] == [(str(path), 3), (str(path), 4)]
    assert "ingest" in str(report.unmatched[0])
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    assert seeded.current_labels()[sid].annotator == "dora"


def test_a_row_whose_id_is_another_stored_sentence_is_named_not_labelled_there(tmp_path, seeded):
    # A spreadsheet with one column sorted on its own: the id of one sentence beside the text of another
    # used to label the id's sentence, which the annotator never read.
    read = "Ironically, US export controls may be forcing China's traditionally wasteful innovation system to pursue efficiency amid scarcity."
    other = _sid(seeded, "#### DeepSeek model revs up US-China AI race")
    path = tmp_path / "shifted.csv"
    path.write_text(f'text,topics,frames,sentence_id\n"{read}",export_controls,innovation,{other}\n', encoding="utf-8")
    report = seeded.import_files([path], annotator="dora", codebook=CODEBOOK)
    assert report.recorded == 0 and other not in seeded.current_labels()
    (problem,) = report.unmatched
    assert (problem.path, problem.line) == (str(path), 2) and f"sentence_id {other} is the stored sentence '#### DeepSeek" in str(problem)


def test_import_rejects_unknown_label_ids_by_file_and_line_and_writes_nothing(tmp_path, seeded):
    path = tmp_path / "typos.jsonl"
    good = {"text": "x", "topics": ["ai"], "frames": [], "sentence_id": _sid(seeded, "#### DeepSeek model revs up US-China AI race")}
    path.write_text(
        json.dumps(good) + "\n\n" + json.dumps({"text": "y", "topics": ["tarifs"], "frames": []}) + "\n" + json.dumps({"text": "z", "topics": [], "frames": ["risk"]}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(AnnotationFileError) as info:
        seeded.import_files([path], annotator="me", codebook=CODEBOOK)
    problems = info.value.problems
    assert [(p.path, p.line) for p in problems] == [(str(path), 3), (str(path), 4)]
    assert "unknown topic id 'tarifs'" in str(problems[0]) and "trade_tariffs" in str(problems[0])  # the fix names the ids
    assert seeded.count_events() == 0


def test_import_of_a_csv_excel_saved_with_its_sep_line_names_true_lines(tmp_path, seeded):
    path = tmp_path / "excel.csv"
    path.write_text("sep=;\ntext;topics;frames\nx;ai;\ny;tarifs;\n", encoding="utf-8")
    with pytest.raises(AnnotationFileError) as info:
        seeded.import_files([path], annotator="me", codebook=CODEBOOK)
    assert [(p.path, p.line) for p in info.value.problems] == [(str(path), 4)]


def test_export_refuses_an_unknown_format(tmp_path, seeded):
    with pytest.raises(StanceError, match=r"\.csv or \.jsonl"):
        seeded.export_annotations(tmp_path / "labels.xlsx")


# --- PostgreSQL --------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    initdb = found[-1] if found else (Path(shutil.which("initdb")) if shutil.which("initdb") else None)
    return initdb.parent if initdb else None


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL server in a temporary folder, on a free port."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver is not installed (pip install 'stance[postgres]')")
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server on this machine (initdb not found)")
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
    folder = Path(tempfile.mkdtemp(prefix="stance-pg-"))
    if user:
        os.chown(folder, user.pw_uid, user.pw_gid)
    data = folder / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = dict(check=True, capture_output=True, user=user.pw_name if user else None)
    try:
        subprocess.run([bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "stance", "--no-sync"], **run)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run([bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", folder / "log", "-w", "start"], **run)
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')[:200]}")
    yield f"postgresql://stance@127.0.0.1:{port}/postgres"
    subprocess.run([bin_dir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True, user=run["user"])
    shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_store(postgres_url, tmp_path):
    from stance.active import build_queue, score_store

    store = open_store(postgres_url)
    assert store.dialect == "postgresql" and store.schema_version == SCHEMA_VERSION
    report, _ = store.ingest_paths(["seeds"])
    assert report.added == 3
    labels = CODEBOOK.label_ids
    assert score_store(store, lambda ss: np.random.default_rng(1).uniform(size=(len(ss), len(labels))), "m1", labels) == 274
    assert len({item.source for item in build_queue(store, 4)}) == 3
    assert store.import_files(seed_annotation_files(), annotator="me", codebook=CODEBOOK).recorded == 274
    sid = _sid(store, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(store, sid, "alice", ["geopolitics"], ["security_risk"], "security_risk")
    assert store.current_labels()[sid].annotator == "alice" and len(store.conflicts()) == 1

    ids = [s.sentence_id for s in store.sentences(source="outlet")[:10]]
    store.close()
    _run_writers(postgres_url, ids, 3, 25)
    store = open_store(postgres_url)  # reopening migrates nothing
    assert len([e for e in store.events() if e.annotator.startswith("analyst")]) == 75

    assert build_queue(store, 4) == []  # the seed annotations cover every content sentence

    out, again = tmp_path / "pg.csv", tmp_path / "pg2.csv"
    store.export_annotations(out)
    assert store.import_files([out], annotator="me", codebook=CODEBOOK).recorded == 0
    store.export_annotations(again)
    assert again.read_bytes() == out.read_bytes()
    store.close()


# --- the commands ------------------------------------------------------------------


def test_ingest_import_export_commands(tmp_path, capsys):
    from stance.cli import main

    db = str(tmp_path / "cli.db")
    assert main(["ingest", "seeds", "--db", db]) == 0
    assert "3 new documents" in capsys.readouterr().out
    assert main(["ingest", "seeds", "--db", db]) == 0
    assert "0 new documents (0 sentences), 3 unchanged, 0 changed" in capsys.readouterr().out

    files = [str(p) for p in seed_annotation_files()]
    assert main(["annotations", "import", *files, "--db", db]) == 0
    assert "274 recorded" in capsys.readouterr().out
    out = tmp_path / "all.csv"
    assert main(["annotations", "export", "-o", str(out), "--db", db]) == 0
    assert main(["annotations", "import", str(out), "--db", db]) == 0
    assert "0 recorded, 274 already in the store" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text("text,topics,frames\nTariffs rose.,trade_tariffs,\nChips.,chipz,\nTalks.,,coop\nNobody wrote this.,ai,\n", encoding="utf-8")
    assert main(["annotations", "import", str(bad), "--db", db]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3: unknown topic id 'chipz'" in err and f"{bad}:4: unknown frame id 'coop'" in err
    assert "nothing imported" in err and "Traceback" not in err

    unmatched = tmp_path / "unmatched.csv"
    unmatched.write_text("text,topics,frames\nNobody wrote this.,ai,\n", encoding="utf-8")
    assert main(["annotations", "import", str(unmatched), "--annotator", "eve", "--db", db]) == 1
    assert f"unmatched {unmatched}:2: no stored sentence has this text" in capsys.readouterr().err
    wrong_source = tmp_path / "wrong_source.csv"
    wrong_source.write_text("text,topics,frames,source\nThe greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.,geopolitics,,merics\n", encoding="utf-8")
    assert main(["annotations", "import", str(wrong_source), "--annotator", "eve", "--db", db]) == 1
    assert f"unmatched {wrong_source}:2: the text is stored under source coppens, not 'merics'" in capsys.readouterr().err


def test_human_labels_from_the_store_override_the_tagger(seeded):
    from stance.tagger import tag_paths

    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["health"], ["innovation"], "innovation")
    tagged, _ = tag_paths(["seeds"], store=seeded)
    [mine] = [t for t in tagged if t.sentence_id == sid]
    assert (mine.topics, mine.frames, mine.primary_frame, mine.labelled_by) == (("health",), ("innovation",), "innovation", "human:alice")
    assert all(t.labelled_by in ("model", "none") for t in tagged if t.sentence_id != sid)


def test_importing_with_an_adjudicator_as_the_default_annotator_records_adjudications(tmp_path, seeded):
    """`stance annotations import ruling.csv --annotator adjudication:carol`: rows with an empty
    annotator cell are carol's rulings, as a cell saying so would make them (they became carol's
    plain annotations, one more disagreeing voice, silently)."""
    text = "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict."
    sid = _sid(seeded, text)
    _label(seeded, sid, "alice", ["geopolitics"])
    _label(seeded, sid, "bob", ["trade_tariffs"])
    ruling = tmp_path / "ruling.csv"
    ruling.write_text(f'text,topics,frames\n"{text}",geopolitics,\n', encoding="utf-8")
    seeded.import_files([ruling], annotator="adjudication:carol", codebook=CODEBOOK)
    [conflict] = [c for c in seeded.conflicts() if c.kind == "topics"]
    assert (conflict.adjudicator, conflict.adjudicated) == ("carol", ("geopolitics",))
    assert seeded.import_files([ruling], annotator="adjudication:carol", codebook=CODEBOOK).recorded == 0


def test_decisions_are_read_with_the_resolved_labels_and_kept_as_long_as_they_are(db, seeded, monkeypatch):
    """The agreement reads decisions() after the labels and conflicts: it read every label event a
    second time (3 s on a store of 158,667 events), though nothing had changed."""
    sid = _sid(seeded, "The greater risk is that the US and China are heading towards a full-blown economic war that could escalate into a global geopolitical conflict.")
    _label(seeded, sid, "alice", ["geopolitics"])
    reads = []
    real = Store._human
    monkeypatch.setattr(Store, "_human", lambda self, *a: reads.append(1) or real(self, *a))
    seeded.current_labels(), seeded.conflicts()
    assert [d.labels for d in seeded.decisions() if d.kind == "topics"] == [("geopolitics",)] and len(reads) == 1
    with open_store(db) as other:
        _label(other, sid, "bob", ["trade_tariffs"])
    assert sorted(d.labels for d in seeded.decisions() if d.kind == "topics") == [("geopolitics",), ("trade_tariffs",)]
