"""Tagging real seed sentences, custom codebooks, and refusing tampered models."""

from __future__ import annotations

import gc
import json
import zipfile
from pathlib import Path

import pytest

from stance.annotations import Annotation, read_annotations, write_annotations
from stance.cli import main
from stance.codebook import load_codebook, parse_codebook
from stance.model import Example, LabelModel, ModelError, train_model
from stance.tagger import GC_THRESHOLD, Tagger, default_model, fewer_collections


@pytest.fixture(scope="module")
def tagged_seeds(tmp_path_factory):
    from stance.tagger import tag_paths

    tagged, _ = tag_paths()
    return {t.text: t for t in tagged}


def find(tagged, fragment):
    return next(t for text, t in tagged.items() if fragment in text)


def test_merics_deepseek_sentence_is_export_controls(tagged_seeds):
    t = find(tagged_seeds, "DeepSeek's breakthrough is not a lesson on the failure of export controls")
    assert "export_controls" in t.topics
    assert any(e.startswith("cue:") for e in t.evidence["export_controls"])


def test_outlet_decoupling_sentence_is_cooperation(tagged_seeds):
    t = find(tagged_seeds, "Japanese businesses are opting not to align with the decoupling measures pursued by the US")
    assert "cooperation" in t.frames


def test_boilerplate_gets_no_labels_and_tone_is_there(tagged_seeds):
    t = tagged_seeds["Share This Post"]
    assert t.boilerplate and t.topics == () and t.frames == () and t.labelled_by == "none"
    s = find(tagged_seeds, "harm American consumers and farmers")
    assert -1 <= s.polarity <= 1 and 0 <= s.subjectivity <= 1 and -1 <= s.compound <= 1
    assert set(s.scores) == set(load_codebook().label_ids)


def test_quoted_speaker_is_found(tagged_seeds):
    t = find(tagged_seeds, "Zhang further emphasizes")
    assert t.speaker == "quoted" and t.speaker_name and "Zhang" in t.speaker_name


def test_human_labels_override(tmp_path):
    from stance.corpus import read_corpus
    from stance.segment import segment

    doc = read_corpus().documents[2]
    sentences = segment(doc)
    target = next(s for s in sentences if s.text.startswith("This finding underscores the resilience"))
    override = {target.sentence_id: Annotation(text=target.text, topics=("health",), frames=("rights_values",), primary_frame="rights_values", annotator="ana")}
    tagger = Tagger(default_model())
    out = {t.sentence_id: t for t in tagger.tag_document(doc, sentences, overrides=override)}
    assert out[target.sentence_id].topics == ("health",)
    assert out[target.sentence_id].labelled_by == "human:ana"


CUSTOM = """
name = "headlines"
version = "1"
[[frames]]
id = "conflict"
name = "Conflict"
cues = ["clash", "fight"]
[[frames]]
id = "economy"
name = "Economic consequences"
cues = ["cost", "jobs"]
"""


def test_train_and_tag_on_a_small_custom_codebook(tmp_path):
    book = tmp_path / "book.toml"
    book.write_text(CUSTOM)
    rows = []
    for i in range(12):
        rows.append(Annotation(text=f"Parties clash over the budget, round {i}.", frames=("conflict",), annotator="x"))
        rows.append(Annotation(text=f"The plan will cost {i} thousand jobs in the region.", frames=("economy",), annotator="x"))
        rows.append(Annotation(text=f"Leaders fight bitterly while the bill costs taxpayers, part {i}.", frames=("conflict", "economy"), annotator="x"))
    labels = tmp_path / "labels.csv"
    write_annotations(rows, labels)
    out = tmp_path / "model"
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(out)]) == 0
    model = LabelModel.load(out)
    assert model.codebook.frame_ids == ("conflict", "economy")
    doc = tmp_path / "news.txt"
    doc.write_text("Senators clash again over spending. The closure will cost hundreds of jobs.\n")
    tags = tmp_path / "tags.jsonl"
    assert main(["tag", str(doc), "--codebook", str(book), "--model", str(out), "-o", str(tags)]) == 0
    got = [json.loads(l) for l in tags.read_text().splitlines()]
    assert "conflict" in got[0]["frames"] and "economy" in got[1]["frames"]


def test_tampered_model_is_refused_cleanly(tmp_path):
    codebook = parse_codebook(CUSTOM)
    examples = [Example(f"they clash {i}") for i in range(6)] + [Example(f"cost of jobs {i}") for i in range(6)]
    sets = [frozenset({"conflict"})] * 6 + [frozenset({"economy"})] * 6
    model = train_model(codebook, examples, sets)
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "pipeline.skops"
    # Rewrite the archive's schema so that it asks to build os.system.
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    schema = json.loads(files["schema.json"])
    schema["__module__"] = "os"
    schema["__class__"] = "system"
    files["schema.json"] = json.dumps(schema).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)
    with pytest.raises(ModelError, match="does not trust"):
        LabelModel.load(tmp_path / "m")
    path.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="damaged"):
        LabelModel.load(tmp_path / "m")


def test_a_topic_cue_in_a_short_unfamiliar_sentence_is_enough(tmp_path):
    table = tmp_path / "items.csv"
    table.write_text("id,text\n1,The US added firms to the entity list.\n2,The weather was mild in Lisbon.\n")
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(table), "-o", str(out)]) == 0
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert "export_controls" in rows[0]["topics"]
    assert any("entity list" in e for e in rows[0]["evidence"]["export_controls"])
    assert rows[1]["topics"] == []


def test_fast_context_features_equal_the_pipelines(seeds):
    import scipy.sparse as sp

    from stance.model import frame
    from stance.segment import segment
    from stance.tagger import examples_for

    model = default_model()
    examples = [e for d in seeds.documents for e in examples_for(segment(d), d.title)]
    fast = model.transform(examples)
    slow = sp.csr_matrix(model.pipeline.named_steps["features"].transform(frame(examples)))
    assert fast.shape == slow.shape and abs(fast - slow).max() < 1e-12


def test_no_evidence_gives_the_same_labels(tmp_path):
    full, bare = tmp_path / "full.jsonl", tmp_path / "bare.jsonl"
    doc = "seeds/outlet-2024-02-22-newsletter.txt"
    assert main(["tag", doc, "-o", str(full)]) == 0
    assert main(["tag", doc, "--no-evidence", "-o", str(bare)]) == 0
    a = [json.loads(l) for l in full.read_text().splitlines()]
    b = [json.loads(l) for l in bare.read_text().splitlines()]
    assert [(r["topics"], r["frames"], r["primary_frame"]) for r in a] == [(r["topics"], r["frames"], r["primary_frame"]) for r in b]
    assert any(r["evidence"] for r in a) and not any(r["evidence"] for r in b)


def test_every_label_given_says_why(tagged_seeds):
    # Sentence-level evidence behind every number: no predicted label comes
    # without its cues, the model's features, or the neighbours it came from.
    labelled = [t for t in tagged_seeds.values() if t.labelled_by == "model" and (t.topics or t.frames)]
    assert labelled
    for t in labelled:
        for label in t.topics + t.frames:
            assert t.evidence.get(label), (t.text, label)
    inherited = [t for t in labelled if any(e.startswith("context: from") for why in t.evidence.values() for e in why)]
    assert inherited  # topics that flowed from a neighbour say so


def test_fewer_collections_while_tagging_then_as_before():
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with pytest.raises(RuntimeError):
        with fewer_collections():
            assert gc.get_threshold()[0] == GC_THRESHOLD and gc.get_freeze_count() > frozen
            raise RuntimeError("a failure while tagging")
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen


def test_fewer_collections_leaves_what_an_app_froze_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            pass
        assert gc.get_freeze_count() == frozen > 0
    finally:
        gc.unfreeze()
