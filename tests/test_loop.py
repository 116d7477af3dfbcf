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
