"""The dashboard, page by page, on the bundled seeds (Streamlit AppTest).

One store per module (a temporary ``STANCE_DB``), seeded by the app itself
on first run, tagged once and shared by every test here; the model cache
lives in a temporary ``STANCE_CACHE`` shared by the whole test run.
"""

from __future__ import annotations

import html
from pathlib import Path

import pyarrow
import pytest
from streamlit.testing.v1 import AppTest

from stance.store import open_store

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
TIMEOUT = 600  # the first run may train the default model and tag the seeds on a busy machine
SEED_SOURCES = {"Pascal Coppens", "MERICS", "Chinese outlet"}


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    """A fresh store for this module and the test run's shared model cache, set only while these tests run."""
    db = tmp_path_factory.mktemp("app") / "stance.db"
    cache = tmp_path_factory.getbasetemp().parent / "stance-cache"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STANCE_DB", str(db))
        mp.setenv("STANCE_CACHE", str(cache))
        mp.delenv("STANCE_ANNOTATOR", raising=False)
        yield db


def run(page: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cards(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if 'class="stance-card"' in m.value]


def column_cards(at: AppTest) -> dict[str, list[str]]:
    """The side-by-side view: each source column's heading and its sentence cards."""
    out = {}
    for column in at.columns:
        heads = [m.value for m in column.markdown if "stance-colhead" in m.value]
        if heads:
            name = heads[0].split("<p class='stance-colhead'>")[1].split("</p>")[0]
            out[html.unescape(name)] = [m.value for m in column.markdown if 'class="stance-card"' in m.value]
    return out


def widget(elements, prefix: str):
    found = [w for w in elements if (w.key or "").startswith(prefix)]
    assert found, f"no widget with a key starting {prefix!r}"
    return found[0]


# --- every page renders, with its key widgets ------------------------------------------------


def test_overview_shows_the_sources_their_counts_and_the_charts(app_env):
    at = run()
    sources = at.dataframe[0].value
    assert set(sources["source"]) == {"coppens", "merics", "outlet"}
    assert (sources["content"] > 0).all()
    assert [m.label for m in at.metric][:4] == ["Sources", "Documents", "Content sentences", "Labelled by a human"]
    assert at.metric[0].value == "3"
    assert len(at.get("vega_lite_chart")) >= 3  # coverage, stance, frame mix
    assert any("Export controls" in m.value for m in at.markdown)  # the difference tests' readings


def test_compare_puts_the_three_sources_side_by_side_on_export_controls(app_env):
    at = run("compare")
    assert at.selectbox(key="compare_topic").value == "export_controls"
    assert set(at.pills(key="compare_sources").value) == {"coppens", "merics", "outlet"}
    assert at.segmented_control(key="compare_voice").value == "all"
    assert at.multiselect(key="compare_frames").value == []
    assert at.slider(key="compare_confidence").value == 0.0
    columns = column_cards(at)
    assert set(columns) == SEED_SOURCES
    assert all(columns[name] for name in SEED_SOURCES), {k: len(v) for k, v in columns.items()}
    text = " ".join(columns["MERICS"])
    assert "export controls" in text.lower()
    assert any("stance-tag" in c for c in columns["MERICS"])  # frames as coloured tags
    assert any(e.value.startswith("Export controls & tech restrictions:") for e in at.info)  # the test's reading
    assert len(at.get("vega_lite_chart")) == 2  # stance with intervals, frame mix


def test_a_topic_change_updates_the_side_by_side_view(app_env):
    at = run("compare")
    before = column_cards(at)
    assert not any("President Biden announced plans" in c for cs in before.values() for c in cs)
    at.selectbox(key="compare_topic").set_value("trade_tariffs").run()
    assert not at.exception
    after = column_cards(at)
    assert set(after) == SEED_SOURCES
    assert any("President Biden announced plans" in c for c in after["Pascal Coppens"])
    assert after != before
    assert at.subheader[0].value == "Trade & tariffs"


def test_compare_filters_narrow_the_columns_not_the_statistics(app_env):
    at = run("compare")
    everything = sum(len(v) for v in column_cards(at).values())
    reading = [e.value for e in at.info]
    at.multiselect(key="compare_frames").set_value(["security_risk"]).run()
    narrowed = column_cards(at)
    assert 0 < sum(len(v) for v in narrowed.values()) < everything
    assert all("Security &amp; risk" in c for cs in narrowed.values() for c in cs)
    assert [e.value for e in at.info] == reading
    at.segmented_control(key="compare_voice").set_value("quoted").run()
    assert not at.exception
    assert all("quoted" in c.split("stance-meta")[1][:200] for cs in column_cards(at).values() for c in cs)


def test_explore_searches_the_sentences(app_env):
    at = run("explore")
    assert len(at.dataframe[0].value) > 200
    at.text_input(key="explore_text").set_value('"EXPORT controls" chips').run()
    found = at.dataframe[0].value
    assert 0 < len(found) < 10
    assert all("export controls" in s.lower() and "chips" in s.lower() for s in found["sentence"])
    at.text_input(key="explore_text").set_value("").run()
    at.selectbox(key="explore_topic").set_value("human_rights").run()
    at.selectbox(key="explore_speaker").set_value("author").run()
    assert not at.exception
    rows = at.dataframe[0].value
    assert 0 < len(rows) < 10 and all("Human rights" in t for t in rows["topics"])
    assert at.multiselect(key="explore_sources").value == [] and at.selectbox(key="explore_frame").value is None


def test_annotating_through_the_page_records_the_labels_in_the_store(app_env):
    at = run("annotate", annotator="page-tester")
    save = at.button(key="annotate_save")
    assert not save.disabled
    assert any(p.proto.text.startswith("Sentence 1 of") for p in at.get("progress"))
    topics = widget(at.pills, "ann-topics-")
    sid = topics.key.removeprefix("ann-topics-")
    topics.set_value(["ai"])
    widget(at.pills, "ann-frames-").set_value(["competition"])
    at.run()
    widget(at.radio, f"ann-primary-{sid}").set_value("competition")
    at.text_input(key=f"ann-note-{sid}").set_value("checked in the test")
    at.button(key="annotate_save").click().run()
    assert not at.exception
    assert any(p.proto.text.startswith("Sentence 2 of") for p in at.get("progress"))

    with open_store(str(app_env)) as store:  # what any other process sees
        label = store.current_labels()[sid]
    assert (label.topics, label.frames, label.primary_frame) == (("ai",), ("competition",), "competition")
    assert label.annotator == "page-tester" and label.note == "checked in the test"

    at.switch_page("app_pages/explore.py").run()  # the human label is what the rest of the app shows
    at.selectbox(key="explore_labelled").set_value("human").run()
    assert list(at.dataframe[0].value["labelled by"]) == ["page-tester"]
    again = run("annotate", annotator="page-tester", annotate_worklist=[sid])  # opened again, it shows what was saved
    assert again.text_input(key=f"ann-note-{sid}").value == "checked in the test"


def test_retraining_waits_for_something_new_to_learn(tmp_path, monkeypatch, app_env):
    monkeypatch.setenv("STANCE_DB", str(tmp_path / "team.db"))
    at = run("annotate", annotator="page-tester")
    assert at.button(key="annotate_retrain").disabled  # no label yet: it would train the same model again
    widget(at.pills, "ann-topics-").set_value(["ai"])
    at.button(key="annotate_save").click().run()
    assert not at.button(key="annotate_retrain").disabled


def test_annotate_without_a_name_cannot_save(app_env):
    at = run("annotate")
    assert at.button(key="annotate_save").disabled
    assert any("Annotator" in w.value for w in at.warning)


def test_codebook_page_shows_labels_and_refuses_a_broken_codebook(app_env):
    at = run("codebook")
    assert [t.label for t in at.tabs] == ["Labels", "Edit", "Model", "Cue rules", "Learning curve"]
    topics = at.dataframe[0].value
    assert "export_controls" in set(topics["id"])
    kept = topics.set_index("id")["from context"]  # the backdrop topics, which no neighbour lends
    assert kept["geopolitics"].startswith("no") and kept["export_controls"] == "yes"
    area = at.text_area[0]
    assert "export_controls" in area.value
    area.set_value(area.value.replace('id = \'cooperation\'', 'id = \'export_controls\'', 1)).run()
    at.button(key="codebook_check").click().run()
    assert not at.exception
    assert any("export_controls" in e.value for e in at.error), [e.value for e in at.error]
    assert not (app_env.parent / "codebook.toml").exists()  # nothing saved


def test_sources_page_offers_every_export(app_env):
    at = run("sources")
    assert at.file_uploader[0].accept_multiple_files
    labels = [b.label for b in at.get("download_button")]
    for wanted in ("CSV", "Excel (XLSX)", "JSONL", "Parquet", "JSON", "HTML report", "Stance PNG", "Frame mix SVG", "Coverage PNG"):
        assert wanted in labels, labels


# --- uploads: every file on its own, document text never runs ----------------------------------


HOSTILE = (b"<script>alert('owned')</script> The export controls on advanced chips were tightened again, "
           b"and the entity list grew longer.\n\n<img src=x onerror=\"alert('owned')\"> Export controls keep biting.\n")


def test_an_uploaded_document_with_html_and_script_is_shown_as_text(tmp_path, monkeypatch, app_env):
    monkeypatch.setenv("STANCE_DB", str(tmp_path / "upload.db"))  # its own store: the other tests keep three sources
    at = run("sources")
    at.file_uploader[0].set_value([("hostile.txt", HOSTILE, "text/plain"), ("empty.txt", b"", "text/plain"),
                                   ("notes.md", b"# Notes\n\nTariffs on EVs rose again this month.\n", "text/markdown"),
                                   ("pasted.txt", b"Export controls on chips\x00 were tightened.\n", "text/plain")])
    at.run()
    at.button(key="upload_add").click().run()
    assert not at.exception
    assert [s.value.split(":")[0] for s in at.success] == ["hostile.txt", "notes.md", "pasted.txt"]
    assert any("empty.txt" in e.value and "empty" in e.value for e in at.error)  # the bad file, named, alone
    assert [w.value for w in at.warning] == ["pasted.txt:1: dropped 1 stray NUL character (\\x00); the rest was read — save the file again without it"]
    assert not any(str(tmp_path) in m.value or "/uploads/" in m.value for m in [*at.error, *at.warning])  # the file's name, not the server's path
    shown = [m.value for m in at.markdown if "stance-card" in m.value]
    assert any("&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt;" in m for m in shown)
    assert any("&lt;img src=x onerror=" in m for m in shown)
    everything = " ".join(m.value for m in at.markdown)
    assert "<script" not in everything and "<img" not in everything

    at.switch_page("app_pages/compare.py").run()
    columns = column_cards(at)
    assert "hostile" in columns and columns["hostile"]
    assert all("<script" not in c and "<img" not in c for c in columns["hostile"])
    assert any("&lt;img src=x onerror=" in c for c in columns["hostile"])
    with open_store(str(tmp_path / "upload.db")) as store:
        assert {"hostile", "notes", "coppens", "merics", "outlet"} <= set(store.sources())


def _disagreeing(db: str, said: dict[str, tuple]) -> str:
    """A store of the seeds where annotators label its first content sentence, each as ``said``:
    name -> (topics, frames, primary frame); that sentence's id."""
    from stance.annotations import Annotation

    with open_store(db) as store:
        store.ingest_paths(["seeds"])
        sid = next(s.sentence_id for s in store.sentences() if not s.boilerplate and not s.heading)
        for who, (topics, frames, primary) in said.items():
            store.annotate(Annotation("", topics, frames, primary, sid, None, who))
    return sid


def test_a_primary_frame_is_adjudicated_among_the_frames_that_count(tmp_path, monkeypatch, app_env):
    db = str(tmp_path / "team.db")
    monkeypatch.setenv("STANCE_DB", db)
    both = ("competition", "security_risk")
    sid = _disagreeing(db, {"alice": (("ai",), both, "competition"), "bob": (("ai",), both, "security_risk")})
    at = run("annotate", annotator="carol")
    ruling = widget(at.pills, f"adjudicate-{sid}-primary_frame")
    assert set(ruling.options) == {"Rivalry & competition", "Security & risk"}  # not every frame: one outside these would not hold
    ruling.set_value("competition").run()
    at.button(key="annotate_adjudicate").click().run()
    assert not at.exception
    with open_store(db) as store:
        assert store.current_labels()[sid].primary_frame == "competition"


def test_a_disagreement_is_listed_and_adjudicated_on_the_annotate_page(tmp_path, monkeypatch, app_env):
    from stance.annotations import Annotation

    db = str(tmp_path / "team.db")
    monkeypatch.setenv("STANCE_DB", db)
    at = run("annotate", annotator="alice")
    sid = widget(at.pills, "ann-topics-").key.removeprefix("ann-topics-")
    widget(at.pills, "ann-topics-").set_value(["ai"])
    at.button(key="annotate_save").click().run()
    with open_store(db) as store:  # a colleague, from the command line, says otherwise
        alice = store.current_labels()[sid]
        store.annotate(Annotation(alice.text, ("economy", "ai"), alice.frames, alice.primary_frame, sid, None, "bob"))
    at.run()
    assert widget(at.pills, f"adjudicate-{sid}-topics").value == ["ai"]  # what both gave stands unless unpicked
    assert any(e.label.startswith("Disagreements to adjudicate: 1 open") for e in at.expander), [e.label for e in at.expander]
    agreement = at.dataframe[-1].value  # per label; undefined scores are empty, so the table converts for the browser
    assert {"alpha", "kappa alice|bob"} <= set(agreement.columns) and agreement["alpha"].dtype.kind == "f"
    pyarrow.Table.from_pandas(agreement)
    widget(at.pills, f"adjudicate-{sid}-topics").set_value(["economy"]).run()
    at.button(key="annotate_adjudicate").click().run()
    assert not at.exception
    assert any(e.label.startswith("Disagreements to adjudicate: 0 open, 1 settled") for e in at.expander)
    with open_store(db) as store:
        assert store.current_labels()[sid].topics == ("economy",)
        assert [(c.kind, c.adjudicated, c.adjudicator) for c in store.conflicts()] == [("topics", ("economy",), "alice")]


def test_the_agreement_table_is_worked_out_once_per_state_of_the_labels(tmp_path, monkeypatch, app_env):
    """The Annotate page reruns on every click; the agreement reads every decision of the store
    (8 s a rerun on a store of 17,000 labelled sentences): it is worked out again only when a label changes."""
    import stance.agreement
    from stance.annotations import Annotation

    db = str(tmp_path / "team.db")
    monkeypatch.setenv("STANCE_DB", db)
    sid = _disagreeing(db, {"alice": (("ai",), (), None), "bob": (("economy",), (), None)})
    worked_out = []
    real = stance.agreement.agreement
    monkeypatch.setattr(stance.agreement, "agreement", lambda *a, **k: worked_out.append(1) or real(*a, **k))
    at = run("annotate", annotator="carol")
    at.run()
    at.run()
    assert len(worked_out) == 1 and "kappa alice|bob" in at.dataframe[-1].value.columns
    with open_store(db) as store:
        store.annotate(Annotation("", ("ai",), (), None, sid, None, "carol"))
    at.run()
    assert len(worked_out) == 2 and "kappa alice|carol" in at.dataframe[-1].value.columns


# --- the annotate loop from a browser's point of view: the name in the address, marks shown as saved ----------


def run_named(page: str, name: str) -> AppTest:
    """A page opened with the annotator's name in the page address, as the browser keeps it (bound to the sidebar's box)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["annotator"] = name
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_annotate_these_on_explore_opens_annotate_with_the_name_kept(app_env):
    # Before, st.switch_page cleared the page address, which Streamlit refuses while the name is bound to it:
    # "Cannot clear query parameters - the following are bound to widgets: 'annotator'" instead of the Annotate page.
    at = run_named("explore", "explorer")
    at.text_input(key="explore_text").set_value('"export controls" chips').run()
    n = len(at.dataframe[0].value)
    at.button(key="explore_annotate_all").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Annotate"
    assert any(i.value.startswith(f"Annotating {n} sentence") for i in at.info)
    assert at.session_state["annotator"] == "explorer" and not at.button(key="annotate_save").disabled


def test_a_sentence_marked_boilerplate_shows_as_marked_and_can_be_made_content_again(tmp_path, monkeypatch, app_env):
    # Before, the checkbox showed the automatic flag only: a sentence a person had marked boilerplate came back
    # unticked (and saving it kept the mark), a flagged one a person had called content came back ticked (and
    # saving it marked it boilerplate again).
    db = str(tmp_path / "marks.db")
    monkeypatch.setenv("STANCE_DB", db)
    at = run("annotate", annotator="alice")
    sid = widget(at.pills, "ann-topics-").key.removeprefix("ann-topics-")
    at.checkbox(key=f"ann-boiler-{sid}").check().run()
    at.button(key="annotate_save").click().run()
    with open_store(db) as store:
        assert store.boilerplate_overrides() == {sid: True}
        flagged = next(s for s in store.sentences() if s.boilerplate)

    again = run_named("explore", "bob")  # a colleague opens both as a list, in a fresh session
    again.session_state["annotate_worklist"] = [sid, flagged.sentence_id]
    again.switch_page("app_pages/annotate.py").run()
    box = again.checkbox(key=f"ann-boiler-{sid}")
    assert box.value  # the mark, as saved
    box.uncheck().run()
    widget(again.pills, f"ann-topics-{sid}").set_value(["ai"]).run()
    again.button(key="annotate_save").click().run()
    assert not again.exception
    with open_store(db) as store:  # content again, with the topic given
        assert store.boilerplate_overrides()[sid] is False and store.current_labels()[sid].topics == ("ai",)

    f = flagged.sentence_id
    assert again.checkbox(key=f"ann-boiler-{f}").value  # flagged automatically
    again.checkbox(key=f"ann-boiler-{f}").uncheck().run()
    again.button(key="annotate_save").click().run()
    again.button(key="annotate_restart").click().run()  # the list is done: from its start, to the flagged one
    again.button(key="annotate_skip").click().run()
    assert again.checkbox(key=f"ann-boiler-{f}").value is False  # a person said content: shown as content
    with open_store(db) as store:
        assert store.boilerplate_overrides()[f] is False


def test_the_primary_frame_chosen_stays_when_a_frame_is_added(tmp_path, monkeypatch, app_env):
    # Before, the radio was redrawn for each set of frames and went back to the model's primary frame.
    monkeypatch.setenv("STANCE_DB", str(tmp_path / "primary.db"))
    at = run("annotate", annotator="alice")
    sid = widget(at.pills, "ann-topics-").key.removeprefix("ann-topics-")
    widget(at.pills, f"ann-frames-{sid}").set_value(["security_risk", "sovereignty"]).run()
    widget(at.radio, f"ann-primary-{sid}").set_value("sovereignty").run()
    widget(at.pills, f"ann-frames-{sid}").set_value(["security_risk", "sovereignty", "competition"]).run()
    assert widget(at.radio, f"ann-primary-{sid}-security_risk-sovereignty-competition").value == "sovereignty"
    at.button(key="annotate_save").click().run()
    with open_store(str(tmp_path / "primary.db")) as store:
        assert store.current_labels()[sid].primary_frame == "sovereignty"


def test_annotation_files_are_imported_and_exported_on_the_sources_page(tmp_path, monkeypatch, app_env):
    # Before, the dashboard had no way in or out for annotation files: only the command line.
    db = str(tmp_path / "files.db")
    monkeypatch.setenv("STANCE_DB", db)
    at = run("annotate", annotator="carol")  # seeds the store
    with open_store(db) as store:
        first = next(s for s in store.sentences() if not s.boilerplate)
    good = f'text,topics,frames,primary_frame\n"{first.text}",ai,competition,competition\n"No such sentence here.",ai,,\n'
    at.switch_page("app_pages/sources.py").run()
    at.file_uploader(key="labels-uploader-0").set_value([("labels.csv", good.encode(), "text/csv")]).run()
    at.button(key="labels_import").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["2 rows: 1 recorded, 0 already in the store, 1 unmatched"]
    assert any(w.value.startswith("labels.csv:3: ") for w in at.warning), [w.value for w in at.warning]  # as uploaded
    with open_store(db) as store:
        label = store.current_labels()[first.sentence_id]
    assert (label.topics, label.frames, label.annotator) == (("ai",), ("competition",), "carol")

    bad = f'text,topics,frames\n"{first.text}",no_such_topic,\n'
    at.file_uploader(key="labels-uploader-1").set_value([("bad.csv", bad.encode(), "text/csv")]).run()
    at.button(key="labels_import").click().run()
    assert any(e.value.startswith("Nothing imported: bad.csv:2: ") and "no_such_topic" in e.value for e in at.error), [e.value for e in at.error]
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("CSV") == 3 and labels.count("JSONL") == 2  # the tagged sentences, the comparison, the human labels


def test_the_evidence_table_shows_a_veto_that_took_a_label_away():
    # "excuses" vetoes security_risk in this seed sentence: stance tag's evidence says so, but the
    # dashboard's table showed the eight most probable labels only, and a vetoed label is at 0.
    from app_pages.common import label_evidence
    from stance.tagger import tag_paths

    tagged, _ = tag_paths()
    t = next(t for t in tagged if t.text.startswith("However, they continue making excuses to shirk responsibility"))
    assert t.evidence["security_risk"] == ["veto: excuse"] and t.scores["security_risk"] == 0.0
    rows = label_evidence(t.scores, t.evidence, {})
    assert {"label": "security_risk", "probability": 0.0, "cues and features": "veto: excuse"} in rows
    assert len(rows) == 9 and [r["probability"] for r in rows[:8]] == sorted(t.scores.values(), reverse=True)[:8]
