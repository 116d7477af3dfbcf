"""The loop end to end: corrections in the store override everywhere and teach the model."""

from __future__ import annotations

import json

import pytest

from stance.annotations import Annotation
from stance.cli import main
from stance.model import Example, LabelModel
from stance.store import open_store

TARGET = "Of particular note, there was a significant growth of 27.5% in the export of chip manufacturing equipment."


@pytest.fixture()
def store(tmp_path):
    db = tmp_path / "stance.db"
    assert main(["ingest", "--db", str(db)]) == 0
    with open_store(db) as s:
        sid = next(x.sentence_id for x in s.sentences() if x.text == TARGET)
        s.annotate(Annotation(text=TARGET, topics=("health",), frames=("rights_values",), primary_frame="rights_values", sentence_id=sid), annotator="ana")
    return db, sid


def test_human_labels_override_in_tag_compare_and_export(store, tmp_path):
    db, sid = store
    tags = tmp_path / "tags.jsonl"
    assert main(["tag", "--db", str(db), "-o", str(tags)]) == 0
    row = next(json.loads(l) for l in tags.read_text().splitlines() if json.loads(l)["sentence_id"] == sid)
    assert row["topics"] == ["health"] and row["labelled_by"] == "human:ana"

    out = tmp_path / "all.jsonl"
    assert main(["export", "--db", str(db), "-o", str(out)]) == 0
    row = next(json.loads(l) for l in out.read_text().splitlines() if json.loads(l)["sentence_id"] == sid)
    assert row["topics"] == ["health"]

    table = tmp_path / "cmp.json"
    assert main(["compare", "--db", str(db), "--topic", "health", "--format", "json", "-o", str(table)]) == 0
    rows = json.loads(table.read_text())
    assert any(sid in r["sentence_ids"] for r in rows if r["group"] == "outlet")


def test_retraining_with_a_correction_moves_the_corrected_sentence(store, tmp_path):
    db, sid = store
    before, after = tmp_path / "before", tmp_path / "after"
    assert main(["train", "-o", str(before)]) == 0
    assert main(["train", "--db", str(db), "-o", str(after)]) == 0
    example = [Example(TARGET)]
    old, new = LabelModel.load(before), LabelModel.load(after)
    labels = old.codebook.label_ids
    p_old, p_new = old.predict_proba(example)[0], new.predict_proba(example)[0]
    # The bundled label was trade_tariffs;semiconductors with no frame; the correction says health, rights_values.
    for label in ("health", "rights_values"):
        assert p_new[labels.index(label)] > p_old[labels.index(label)] + 1e-3, label
    assert p_new[labels.index("trade_tariffs")] < p_old[labels.index("trade_tariffs")] - 1e-3
    with open_store(db) as s:
        assert s.latest_model()["version"] == new.version


def test_the_store_model_follows_a_codebook_saved_anew_and_keeps_the_human_labels(store, tmp_path):
    """The dashboard's codebook editor: a new name and version re-describe the store's model, which
    then tags (and records labels) under them; new cues retrain it with the store's labels, not
    without them (it fell back to the bundled-only model, and the labels were left out)."""
    from stance.codebook import load_codebook
    from stance.tagger import default_model, retrain, store_tagger

    db, sid = store
    models = tmp_path / "models"
    with open_store(db) as s:
        # never retrained: the default model, until the analyst retrains (Annotate counts every label as new)
        assert store_tagger(s, models_dir=models).model.version == default_model().version and not s.models()
        trained = retrain(s, models)
        default = load_codebook().to_toml()
        renamed = tmp_path / "renamed.toml"
        renamed.write_text(default.replace("name = 'stance default'\nversion = '1'", "name = 'ours'\nversion = '2'", 1))
        tagger = store_tagger(s, renamed, models_dir=models)
        assert tagger.model.version == trained.version and (tagger.codebook.name, tagger.codebook.version) == ("ours", "2")
        assert len(s.models()) == 1

        cued = tmp_path / "cued.toml"
        cued.write_text(default.replace("version = '1'", "version = '3'", 1).replace("cues = [", "cues = [\n  'chip manufacturing equipment',", 1))
        assert load_codebook(cued).labelling != load_codebook().labelling
        tagger = store_tagger(s, cued, models_dir=models)
        assert tagger.model.version in {m["version"] for m in s.models()} and tagger.model.version != trained.version
        labels, example = tagger.codebook.label_ids, [Example(TARGET)]
        with_ana, bundled_only = tagger.model.predict_proba(example)[0], default_model(cued).predict_proba(example)[0]
        assert with_ana[labels.index("health")] > bundled_only[labels.index("health")] + 1e-3  # ana's correction was learned
        assert store_tagger(s, cued).model.version == tagger.model.version  # found again, not retrained
