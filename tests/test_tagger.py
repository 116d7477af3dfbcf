"""Tagging real seed sentences, custom codebooks, and refusing tampered models."""

from __future__ import annotations

import gc
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from stance.annotations import Annotation, read_annotations, write_annotations
from stance.cli import main
from stance.codebook import load_codebook, parse_codebook
from stance.corpus import SEEDS_DIR
from stance.model import CUED_FRAME_FLOOR, Example, LabelModel, ModelError, card_digest, decide_labels, out_of_fold, train_model
from stance.segment import Sentence
from stance.tagger import GC_THRESHOLD, Tagger, default_model, fewer_collections, load_tagger


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



def test_a_human_labelled_sentence_shows_evidence_for_the_humans_labels(tmp_path):
    # The model gives this sentence trade_tariffs, economy and economic_gain; an analyst says health and
    # rights_values. Its evidence used to explain the model's labels, which the row no longer carries,
    # and say nothing of the human's (the dashboard then read "no cue fired; the model's text features").
    from stance.corpus import read_corpus
    from stance.segment import segment
    from stance.tagger import tag_stored, with_human_labels

    doc = read_corpus().documents[2]
    sentences = segment(doc)
    target = next(s for s in sentences if s.text.startswith("This finding underscores the resilience"))
    human = Annotation(text=target.text, topics=("health", "trade_tariffs"), frames=("rights_values",), primary_frame="rights_values", annotator="ana")
    tagger = Tagger(default_model())
    model = next(t for t in tagger.tag_document(doc, sentences) if t.sentence_id == target.sentence_id)
    assert "economic_gain" in model.frames and "rights_values" not in model.frames
    t = next(t for t in tagger.tag_document(doc, sentences, overrides={target.sentence_id: human}) if t.sentence_id == target.sentence_id)
    assert set(t.evidence) == {"health", "trade_tariffs", "rights_values"}
    assert t.evidence["health"] == ["human: ana"] and t.evidence["rights_values"] == ["human: ana"]
    assert t.evidence["trade_tariffs"] == ["human: ana", *model.evidence["trade_tariffs"]]  # the model agreed: what it saw
    # the dashboard's path (the store's tagging, then the human labels) says the same
    from stance.store import open_store

    store = open_store(str(tmp_path / "s.db"))
    store.ingest([doc])
    stored = next(iter(tag_stored(store, tagger).values()))
    shown = next(x for x in with_human_labels(stored, {target.sentence_id: human}) if x.sentence_id == target.sentence_id)
    assert shown.evidence == t.evidence


def test_the_dashboard_shows_who_labelled_a_sentence_the_model_gave_nothing(tmp_path):
    # stance tag said 'human: ana' for a human label on a sentence without model evidence (a heading the
    # model leaves unlabelled, or a line an analyst marked as content); the dashboard's path showed {}.
    from stance.corpus import read_corpus
    from stance.segment import segment
    from stance.tagger import with_human_labels

    doc = read_corpus().documents[0]
    sentences = segment(doc)
    tagger = Tagger(default_model())
    plain = tagger.tag_document(doc, sentences)
    bare = next(t for t in plain if not t.boilerplate and not t.evidence)
    human = {bare.sentence_id: Annotation(text=bare.text, sentence_id=bare.sentence_id, topics=("ai",), annotator="ana")}
    direct = next(t for t in tagger.tag_document(doc, sentences, overrides=human) if t.sentence_id == bare.sentence_id)
    shown = next(t for t in with_human_labels(plain, human) if t.sentence_id == bare.sentence_id)
    assert direct.evidence == shown.evidence == {"ai": ["human: ana"]}
    flagged = next(t for t in plain if t.boilerplate)
    human = {flagged.sentence_id: Annotation(text=flagged.text, sentence_id=flagged.sentence_id, topics=("ai",), annotator="ana")}
    content = next(t for t in with_human_labels(plain, human, {flagged.sentence_id: False}) if t.sentence_id == flagged.sentence_id)
    assert content.topics == ("ai",) and content.evidence == {"ai": ["human: ana"]}
    unexplained = tagger.tag_document(doc, sentences, explain=False)
    assert next(t for t in with_human_labels(unexplained, human, {flagged.sentence_id: False}, explain=False)
                if t.sentence_id == flagged.sentence_id).evidence == {}


def test_a_topic_its_own_cue_gives_is_not_said_to_come_from_its_paragraph(tagged_seeds):
    # "GPUs" is a cue of semiconductors in this very sentence: the evidence used to add "from its
    # paragraph, heading or previous sentence", as if the neighbours had given it.
    t = find(tagged_seeds, "With the cost of inference dropping tenfold each year, the proliferation of GPUs")
    assert "semiconductors" in t.topics and "cue: GPU" in t.evidence["semiconductors"]
    assert not any(w.startswith("context: from") for w in t.evidence["semiconductors"])
    # Across the seeds: a topic its own cue gives never says it came from the context, and a topic
    # the neighbours gave says so first.
    lent = 0
    for tagged in tagged_seeds.values():
        for topic in tagged.topics:
            said = tagged.evidence.get(topic, [])
            context = [i for i, w in enumerate(said) if w.startswith("context: from")]
            if any(w.startswith("cue: ") for w in said):
                assert not context, (tagged.text, topic, said)
            elif context:
                assert context == [0], (tagged.text, topic, said)
                lent += 1
    assert lent >= 10, lent


def test_a_backdrop_topic_is_never_taken_from_the_neighbours(tagged_seeds):
    # The default codebook keeps geopolitics and economy to the sentences whose own words give them
    # (from_context = false); the seeds' export controls, chips and AI still flow between neighbours.
    lent = {}
    for tagged in tagged_seeds.values():
        for topic in tagged.topics:
            if tagged.evidence.get(topic, [""])[0].startswith("context: from"):
                lent[topic] = lent.get(topic, 0) + 1
    assert not lent.keys() & {"geopolitics", "economy"}, lent
    assert len(lent) >= 3, lent


def test_from_context_false_keeps_a_topic_to_the_sentence_that_names_it():
    texts = ["Chip curbs strain the world order.", "Nobody said more."]
    sentences = [Sentence(f"t#{i}", "t", "test", "t.txt", i, 0, 0, len(x), x, False, False, None) for i, x in enumerate(texts)]
    inputs = [Example(x, doc="t", paragraph=0, index=i) for i, x in enumerate(texts)]
    for toml, second in ((FROM_CONTEXT, ("chips",)), (FROM_CONTEXT.replace("from_context = false\n", ""), ("chips", "order"))):
        codebook = parse_codebook(toml)
        # The cues alone, lending as a trained model does: what the second sentence gets is only what it is lent.
        tagger = Tagger(LabelModel(codebook, None, (), {label: 0.5 for label in codebook.label_ids}, {"version": "cues"}, inherit=True))
        first, after = tagger.tag(sentences, inputs)
        assert set(first.topics) == {"chips", "order"}
        assert after.topics == second, after.scores
        assert all(after.evidence[topic][0].startswith("context: from") for topic in second)


def test_thresholds_are_chosen_on_topics_lent_as_tagging_lends_them():
    # Training picks each threshold on out-of-fold probabilities after the neighbours lent theirs:
    # a topic kept from context must be picked on its own probabilities, as it will be tagged.
    examples, label_sets = [], []
    for i in range(30):  # the first sentence names both topics, the second neither
        examples += [Example(f"Chip curbs strain the world order {i}.", doc=f"d{i}", paragraph=0, index=0),
                     Example(f"Officials met on day {i}.", doc=f"d{i}", paragraph=0, index=1)]
        label_sets += [frozenset({"chips", "order"}), frozenset({"chips"} if i % 2 else set())]
    for toml, order_lent in ((FROM_CONTEXT, False), (FROM_CONTEXT.replace("from_context = false\n", ""), True)):
        codebook = parse_codebook(toml)
        lent, own = (out_of_fold(codebook, examples, label_sets, folds=3, inherit=inherit) for inherit in (True, False))
        chips, order = codebook.label_ids.index("chips"), codebook.label_ids.index("order")
        assert (lent[1::2, chips] > own[1::2, chips]).all()
        assert bool((lent[1::2, order] > own[1::2, order]).all()) is order_lent
        assert np.array_equal(lent[::2, order], own[::2, order])


FROM_CONTEXT = """
[[topics]]
id = "chips"
cues = ["chip"]
[[topics]]
id = "order"
cues = ["world order"]
from_context = false
[[frames]]
id = "rivalry"
"""


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


def test_a_frame_with_cues_that_none_fired_needs_the_model_to_be_sure():
    book = parse_codebook(CUSTOM.replace('cues = ["cost", "jobs"]', ""))  # "economy" has no cues
    probs = np.array([[0.5, 0.5], [CUED_FRAME_FLOOR, CUED_FRAME_FLOOR], [0.1, 0.1]])
    votes = np.array([[0, 0], [0, 0], [1, 0]], dtype=np.int8)  # a "conflict" cue fired in the third
    thresholds = {"conflict": 0.3, "economy": 0.3}
    decided = decide_labels(probs, thresholds, book, (), votes)
    assert decided[:, 0].tolist() == [False, True, True]  # below the floor; at it; its own cue
    assert decided[:, 1].tolist() == [True, True, False]  # no cues to fall back on: its threshold alone
    # the model alone (no votes) and the encoder's blend (frame_floor=0) keep the thresholds
    assert decide_labels(probs, thresholds, book)[:, 0].tolist() == [True, True, False]
    assert decide_labels(probs, thresholds, book, (), votes, frame_floor=0.0)[:, 0].tolist() == [True, True, True]


class _Payload:
    """Unpickling this would write a file: proof that a loader ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def _small_model(tmp_path: Path) -> Path:
    codebook = parse_codebook(CUSTOM)
    examples = [Example(f"they clash {i}") for i in range(6)] + [Example(f"cost of jobs {i}") for i in range(6)]
    sets = [frozenset({"conflict"})] * 6 + [frozenset({"economy"})] * 6
    return train_model(codebook, examples, sets).save(tmp_path / "m")


def _forge(directory):
    """Reseal a model's card after its files were edited, as a forger would: the checks behind the
    checksums must still refuse what was edited."""
    card = json.loads((directory / "model.json").read_text())
    card["files"] = {name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
                     for name in ("linear.json", "linear.npz") if (directory / name).is_file()}
    card["sha256"] = card_digest(card)
    (directory / "model.json").write_text(json.dumps(card))


def test_tampered_model_is_refused_cleanly(tmp_path):
    import numpy as np

    directory = _small_model(tmp_path)
    assert LabelModel.load(directory).learned
    assert LabelModel.load(directory / "model.json").learned  # the card's path names its folder
    arrays = directory / "linear.npz"
    good_bytes = arrays.read_bytes()
    with np.load(arrays) as stored:
        good = {name: stored[name] for name in stored.files}
    # An object array: np.save pickles it, and loading would unpickle it.
    marker = tmp_path / "pwned.txt"
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    with open(arrays, "wb") as out:
        np.savez(out, **dict(good, coef=payload))
        _forge(directory)
    with pytest.raises(ModelError, match="tampered"):
        LabelModel.load(directory)
    assert not marker.exists()
    # Arrays that do not fit the vocabulary, or the card's labels.
    for bad in (dict(good, coef=good["coef"][:-1]), dict(good, coef=good["coef"][:, :1], intercept=good["intercept"][:1])):
        with open(arrays, "wb") as out:
            np.savez(out, **bad)
            _forge(directory)
        with pytest.raises(ModelError):
            LabelModel.load(directory)
    for damaged in (b"not an archive at all", good_bytes[:1000]):  # the second: a copy cut short
        arrays.write_bytes(damaged)
        _forge(directory)
        with pytest.raises(ModelError, match="damaged"):
            LabelModel.load(directory)
    card = json.loads((directory / "model.json").read_text())
    for bad in (dict(card, learned=card["learned"] + ["zzz"]), dict(card, thresholds={**card["thresholds"], "conflict": float("nan")})):
        (directory / "model.json").write_text(json.dumps(bad))
        _forge(directory)
        with pytest.raises(ModelError, match="do not fit together"):
            LabelModel.load(directory)
    (directory / "model.json").write_text(json.dumps(card))
    arrays.write_bytes(good_bytes)
    (directory / "linear.json").write_text("{ not json")
    with pytest.raises(ModelError, match="damaged") as caught:
        LabelModel.load(directory)
    assert caught.value.path.endswith("linear.json")
    (directory / "linear.json").unlink()  # a folder copied in part used to be "damaged" and named by the other file
    with pytest.raises(ModelError, match="incomplete: linear.json is missing"):
        LabelModel.load(directory)



def test_a_model_file_the_user_may_not_read_is_said_so_not_called_tampered(tmp_path, monkeypatch):
    directory = _small_model(tmp_path)
    real = Path.read_bytes

    def refused(path):  # as the OS answers a user without read permission (root is never refused)
        if path.name == "linear.npz":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", refused)
    with pytest.raises(ModelError, match="cannot read linear.npz: permission denied") as caught:
        LabelModel.load(directory)
    assert "tampered" not in str(caught.value) and "chmod" in caught.value.fix


def test_a_tampered_model_card_is_refused_when_loaded_not_a_traceback_when_tagging(tmp_path, capsys):
    directory = _small_model(tmp_path)
    doc = tmp_path / "a.txt"
    doc.write_text("They clash over jobs.\n")
    card = json.loads((directory / "model.json").read_text())
    for key, bad in (("exclusive", ["bogus"]), ("exclusive", "topics"), ("uses_cues", "no"), ("inherits_topics", 1)):
        (directory / "model.json").write_text(json.dumps(dict(card, **{key: bad})))
        _forge(directory)
        with pytest.raises(ModelError, match="card is damaged"):
            LabelModel.load(directory)
        assert main(["tag", str(doc), "--model", str(directory), "--format", "csv"]) == 1
        assert "model.json: the model card is damaged" in capsys.readouterr().err


def test_a_token_pattern_edited_in_the_model_is_refused_never_compiled(tmp_path, capsys):
    # linear.json holds the regex that splits sentences into words: an edited one could fail to
    # compile (a traceback) or backtrack for ever on some sentence (tagging would hang).
    directory = _small_model(tmp_path)
    doc = tmp_path / "a.txt"
    doc.write_text("They clash over jobs.\n")
    described = json.loads((directory / "linear.json").read_text())
    for pattern in ("(", r"(\w+\s?)+$"):
        described["blocks"][0]["token_pattern"] = pattern
        (directory / "linear.json").write_text(json.dumps(described))
        _forge(directory)
        with pytest.raises(ModelError, match="token pattern"):
            LabelModel.load(directory)
        assert main(["tag", str(doc), "--model", str(directory), "--format", "csv"]) == 1
        assert "linear.json is damaged or was tampered with" in capsys.readouterr().err
    described["blocks"][0]["token_pattern"] = r"(?u)\b\w\w+\b"  # what models trained before numbers were left out hold
    (directory / "linear.json").write_text(json.dumps(described))
    _forge(directory)
    assert LabelModel.load(directory).learned


def test_a_model_whose_numbers_are_not_finite_or_whose_idf_is_gone_is_refused(tmp_path):
    # Each of these used to load and tag: every score null (NaN), or 1.0 (infinity), or words
    # weighed without their IDF, the labels quietly other than the trained model's.
    import numpy as np

    directory = _small_model(tmp_path)
    arrays = directory / "linear.npz"
    with np.load(arrays) as stored:
        good = {name: stored[name] for name in stored.files}
    for bad in (
        dict(good, coef=np.full_like(good["coef"], np.nan)),
        dict(good, intercept=np.full_like(good["intercept"], np.inf)),
        dict(good, idf_0=np.full_like(good["idf_0"], -np.inf)),
        {name: array for name, array in good.items() if name != "idf_0"},
        dict(good, idf_7=good["idf_0"]),
    ):
        with open(arrays, "wb") as out:
            np.savez(out, **bad)
            _forge(directory)
        with pytest.raises(ModelError, match="tampered"):
            LabelModel.load(directory)
    with open(arrays, "wb") as out:
        np.savez(out, **good)
    described = json.loads((directory / "linear.json").read_text())
    described["blocks"][0]["weight"] = float("nan")
    (directory / "linear.json").write_text(json.dumps(described))
    _forge(directory)
    with pytest.raises(ModelError, match="tampered"):
        LabelModel.load(directory)


def test_a_model_file_edited_after_training_is_refused_by_name_and_a_relaid_card_still_loads(tmp_path, capsys):
    # Each of these edits used to load and tag with labels the training never gave: a term swapped
    # in the vocabulary, a coefficient of 1e308, a threshold lowered in the card.
    import numpy as np

    directory = _small_model(tmp_path)
    doc = tmp_path / "a.txt"
    doc.write_text("They clash over jobs.\n")
    originals = {name: (directory / name).read_bytes() for name in ("model.json", "linear.json", "linear.npz")}
    card = json.loads(originals["model.json"])
    (directory / "model.json").write_text(json.dumps(card))  # laid out on one line: the same content
    assert LabelModel.load(directory).thresholds == card["thresholds"]
    whole = re.sub(r"(?<=[:\[ ])(-?\d+)\.0(?=[,\n\]}])", r"\1", json.dumps(card, indent=1))  # jq writes 1.0 as 1
    assert whole != json.dumps(card, indent=1)
    (directory / "model.json").write_bytes(b"\xef\xbb\xbf" + whole.encode())  # and Notepad adds a BOM
    assert LabelModel.load(directory).thresholds == card["thresholds"]

    described = json.loads(originals["linear.json"])
    terms = described["blocks"][0]["terms"]
    terms[0], terms[1] = terms[1], terms[0]
    with np.load(directory / "linear.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["coef"][0, 0] = 1e308
    packed = tmp_path / "edited.npz"
    np.savez(packed, **arrays)
    lowered = dict(card, thresholds={label: 0.01 for label in card["thresholds"]})
    for name, edited in (("linear.json", json.dumps(described).encode()), ("linear.npz", packed.read_bytes()),
                         ("model.json", json.dumps(lowered, indent=2).encode())):
        (directory / name).write_bytes(edited)
        with pytest.raises(ModelError, match="changed after training") as caught:
            LabelModel.load(directory)
        assert caught.value.path == str(directory / name)
        assert main(["tag", str(doc), "--model", str(directory), "--format", "csv"]) == 1
        assert f"{name}: " in capsys.readouterr().err
        (directory / name).write_bytes(originals[name])
    assert LabelModel.load(directory).learned

    # Behind the checksums, for a card resealed by hand: numbers as strings, a codebook that is not one.
    (directory / "model.json").write_text(json.dumps(dict(card, thresholds={label: "0.5" for label in card["thresholds"]})))
    _forge(directory)
    with pytest.raises(ModelError, match="card is damaged.*not a number"):
        LabelModel.load(directory)
    (directory / "model.json").write_text(json.dumps(dict(card, codebook="[[frames]\nid = ")))
    _forge(directory)
    with pytest.raises(ModelError, match="card's codebook is damaged") as caught:
        LabelModel.load(directory)
    assert caught.value.fix == "retrain the model"

    # A card without a seal: saved before stance sealed its models.
    (directory / "model.json").write_text(json.dumps({key: value for key, value in card.items() if key not in ("sha256", "files")}))
    with pytest.raises(ModelError, match="older stance.*checksums") as caught:
        LabelModel.load(directory)
    assert "stance train" in caught.value.fix


def test_a_model_saved_by_an_older_stance_says_to_retrain(tmp_path):
    directory = _small_model(tmp_path)
    (directory / "linear.npz").unlink()
    (directory / "linear.json").unlink()
    (directory / "pipeline.skops").write_bytes(b"PK")
    with pytest.raises(ModelError, match="older stance") as caught:
        LabelModel.load(directory)
    assert "stance train" in str(caught.value.fix)


def test_a_topic_cue_in_a_short_unfamiliar_sentence_is_enough(tmp_path):
    table = tmp_path / "items.csv"
    table.write_text("id,text\n1,The US added firms to the entity list.\n2,The weather was mild in Lisbon.\n")
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(table), "-o", str(out)]) == 0
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    assert "export_controls" in rows[0]["topics"]
    assert any("entity list" in e for e in rows[0]["evidence"]["export_controls"])
    assert rows[1]["topics"] == []


def test_the_tag_time_model_gives_the_pipelines_own_numbers(seeds, tmp_path):
    """Linear (plain arrays, no scikit-learn) against the fitted pipeline it came from,
    on the seeds' sentences with their contexts, and again after a save and a load."""
    import numpy as np
    import scipy.sparse as sp

    from stance.annotations import bundled_annotation_files
    from stance.model import Linear, fit_pipeline, frame, label_matrix, learnable
    from stance.segment import segment
    from stance.tagger import examples_for

    codebook = load_codebook()
    annotations = read_annotations(bundled_annotation_files()[:1]).annotations
    train = [Example(a.text) for a in annotations]
    Y = label_matrix([frozenset(a.topics) | frozenset(a.frames) for a in annotations], codebook.label_ids)
    learned = learnable(codebook.label_ids, Y)
    pipeline = fit_pipeline(codebook, train, Y, learned)
    examples = [e for d in seeds.documents for e in examples_for(segment(d), d.title)]
    linear = Linear.from_pipeline(pipeline)
    slow = sp.csr_matrix(pipeline.named_steps["features"].transform(frame(examples)))
    expected = pipeline.predict_proba(frame(examples))
    linear.save(tmp_path)
    for model in (linear, Linear.load({name: (tmp_path / name).read_bytes() for name in ("linear.json", "linear.npz")})):
        fast = model.transform(examples)
        assert fast.shape == slow.shape and abs(fast - slow).max() < 1e-12
        assert np.abs(model.probabilities(fast) - expected).max() < 1e-12


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


def test_a_year_or_a_count_is_no_word_of_the_model():
    """A number alone names its document, not its topic: "2024" had become evidence of
    innovation. Words that hold a number with letters ("5g", "h20") stay."""
    import re

    readable = [str(name) for name in default_model().linear.readable]
    assert not [name for name in readable if re.fullmatch(r"(word|context): [\d ]+", name) or re.search(r": (.* )?\d+( |$)", name)]
    assert "word: 5g" in readable and "word: h20" in readable


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
        # Still frozen (unfreezing would make it 0); frozen objects that died meanwhile leave the count.
        assert gc.get_freeze_count() > frozen // 2 > 0
    finally:
        gc.unfreeze()


def test_tagging_imports_neither_scikit_learn_nor_nltk(tmp_path):
    """Start-up: a `stance tag` run with a trained model loads none of the heavy libraries
    that training, or textblob's package, would bring in (each costs seconds a run), nor the
    store's database library (checking that -o is not the store only names its file)."""
    import subprocess
    import sys

    default_model()  # trained and cached where the child process will find it
    out = tmp_path / "tags.jsonl"
    code = (
        "import sys\n"
        "from stance.cli import main\n"
        f"assert main(['tag', 'seeds/outlet-2024-02-22-newsletter.txt', '-o', {str(out)!r}]) == 0\n"
        "print(' '.join(m for m in ('sklearn', 'nltk', 'pandas', 'skops', 'torch', 'textblob', 'sqlalchemy') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
    assert out.read_text().count("\n") > 30


def test_train_on_too_few_sentences_says_so_instead_of_scores(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    write_annotations([Annotation(text="China and the EU agreed to deepen cooperation.", frames=("cooperation",), annotator="x")], labels)
    out = tmp_path / "model"
    assert main(["train", "--annotations", str(labels), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "trained on 1 annotated sentence;" in said
    assert "too few to cross-validate (at least 10 are needed)" in said
    assert LabelModel.load(out).card["cv_metrics"] == {}


def test_a_model_given_another_codebook_says_how_they_differ(tmp_path, capsys):
    directory = _small_model(tmp_path)
    edited = tmp_path / "edited.toml"
    edited.write_text(CUSTOM.replace('"cost", "jobs"', '"cost", "jobs", "layoffs"') + '[[frames]]\nid = "morality"\nname = "Morality"\n')
    doc = tmp_path / "a.txt"
    doc.write_text("They clash over jobs.\n")
    assert main(["tag", str(doc), "--model", str(directory), "--codebook", str(edited)]) == 1
    err = capsys.readouterr().err
    assert "trained with another codebook (new labels: morality; changed cues: economy)" in err
    assert main(["tag", str(doc), "--model", str(directory), "--format", "csv"]) == 0  # the model's own codebook


def test_a_model_tags_under_its_codebook_reworded_and_with_a_new_axis(tmp_path, capsys):
    # Names, descriptions, the version and the axes change no label: an analyst who rewords a
    # label or adds an axis to compare keeps the model; one who changes cues retrains.
    directory = _small_model(tmp_path)
    reworded = tmp_path / "reworded.toml"
    reworded.write_text(
        CUSTOM.replace('version = "1"', 'version = "2"').replace('name = "Conflict"', 'name = "Conflict & clashes"\ndescription = "Fights."')
        + '[[axes]]\nid = "conflict_vs_economy"\npositive = "conflict"\nnegative = "economy"\n'
    )
    doc = tmp_path / "a.txt"
    doc.write_text("They clash over the budget.\n")
    out = tmp_path / "tags.jsonl"
    assert main(["tag", str(doc), "--model", str(directory), "--codebook", str(reworded), "-o", str(out)]) == 0
    assert json.loads(out.read_text().splitlines()[0])["frames"] == ["conflict"]
    table = tmp_path / "stance.csv"
    assert main(["compare", str(doc), "--model", str(directory), "--codebook", str(reworded), "--format", "csv", "-o", str(table)]) == 0
    assert "stance.conflict_vs_economy.index" in table.read_text().splitlines()[0]


NO_CUES = '[[topics]]\nid = "chips"\n[[topics]]\nid = "trade"\n[[frames]]\nid = "pro"\n[[frames]]\nid = "con"\n'


def _train_tag(tmp_path: Path, rows: list[Annotation], capsys) -> tuple[list[dict], str]:
    """Train on ``rows`` under the cue-less codebook, tag three sentences: (tags, train's notes)."""
    book, labels, out = tmp_path / "book.toml", tmp_path / "labels.csv", tmp_path / "model"
    book.write_text(NO_CUES)
    write_annotations(rows, labels)
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(out)]) == 0
    notes = capsys.readouterr().err
    doc, tags = tmp_path / "small.txt", tmp_path / "tags.jsonl"
    doc.write_text("The chip ban hurts Nvidia. Tariffs on steel rose to 25%. The weather was fine.\n")
    assert main(["tag", str(doc), "--model", str(out), "-o", str(tags)]) == 0
    return [json.loads(line) for line in tags.read_text().splitlines()], notes


def test_a_label_without_examples_or_cues_is_never_given_even_in_a_one_label_kind(tmp_path, capsys):
    # Every row has one topic and one frame: an exclusive kind, where the most probable label is
    # chosen. chips and pro have no example and no cue: probability 0, which must not win by order.
    rows = [Annotation(text=f"Tariffs on item {i} went up again this year.", topics=("trade",), frames=("con",), annotator="x") for i in range(30)]
    tags, notes = _train_tag(tmp_path, rows, capsys)
    assert all("chips" not in t["topics"] and "pro" not in t["frames"] for t in tags)
    assert "too few annotated sentences to learn chips (0), pro (0)" in notes and "so the model never gives them" in notes


def test_a_label_on_every_training_sentence_is_given_and_said_to_be_untold_apart(tmp_path, capsys):
    rows = [Annotation(text=f"Sentence number {i} about {'chips' if i % 2 else 'tariffs'}.", topics=("chips",) + (("trade",) if i % 2 == 0 else ()), frames=("pro",) if i % 3 else ("con",), annotator="x") for i in range(30)]
    tags, notes = _train_tag(tmp_path, rows, capsys)
    assert all("chips" in t["topics"] and t["scores"]["chips"] == 1.0 for t in tags)
    assert tags[2]["evidence"]["chips"] == ["model: on 100% of its training sentences"]
    assert "chips is on 30 of 30 annotated sentences, so nothing tells it apart" in notes


def test_training_on_sentences_without_any_label_or_with_an_empty_codebook_is_refused(tmp_path, capsys):
    book, labels, empty = tmp_path / "book.toml", tmp_path / "labels.csv", tmp_path / "empty.toml"
    book.write_text(NO_CUES)
    empty.write_text("")
    write_annotations([Annotation(text=f"Nothing to see in sentence {i}.", annotator="x") for i in range(12)], labels)
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(tmp_path / "m")]) == 1
    assert "none of the 12 annotated sentences carries a label of the codebook (chips, trade, pro, con)" in capsys.readouterr().err
    assert main(["evaluate", "--codebook", str(empty), "--annotations", str(labels)]) == 1
    assert "empty.toml: the codebook has no topics and no frames, so there is nothing to label" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()



def test_a_model_trained_without_cues_shows_no_cue_as_evidence(tmp_path, capsys):
    book, labels, out = tmp_path / "book.toml", tmp_path / "labels.csv", tmp_path / "model"
    book.write_text(CUSTOM)
    rows = [Annotation(text=f"Parties clash over the budget, round {i}.", frames=("conflict",), annotator="x") for i in range(12)]
    rows += [Annotation(text=f"The plan will cost {i} thousand jobs.", frames=("economy",), annotator="x") for i in range(12)]
    write_annotations(rows, labels)
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(out), "--no-cues"]) == 0
    doc, tags = tmp_path / "news.txt", tmp_path / "tags.jsonl"
    doc.write_text("Senators clash again over spending.\n")
    assert main(["tag", str(doc), "--model", str(out), "-o", str(tags)]) == 0
    row = json.loads(tags.read_text().splitlines()[0])
    assert "conflict" in row["frames"] and not any(w.startswith(("cue:", "veto:")) for ws in row["evidence"].values() for w in ws)


def test_invisible_characters_and_full_width_latin_do_not_hide_a_cue(tmp_path):
    text = "Tar\u00adiffs on steel rose again. Washington tightened \uff25\uff38\uff30\uff2f\uff32\uff34\u3000\uff23\uff2f\uff2e\uff34\uff32\uff2f\uff2c\uff33 on chips.\n"
    doc, tags = tmp_path / "a.txt", tmp_path / "tags.jsonl"
    doc.write_text(text, encoding="utf-8")
    assert main(["tag", str(doc), "--labeller", "rules", "-o", str(tags)]) == 0
    rows = [json.loads(line) for line in tags.read_text(encoding="utf-8").splitlines()]
    assert "trade_tariffs" in rows[0]["topics"] and "export_controls" in rows[1]["topics"]
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)  # the sentences keep their characters
    assert "\u00ad" in rows[0]["text"]


def test_invisible_characters_and_full_width_latin_do_not_reach_the_speaker_name(tmp_path):
    # A soft hyphen or zero-width space from a web page, a byte-order mark pasted in, full-width
    # Latin: the speaker is read as the labels read the sentence, not named "Ja\u00adnet Yellen"
    # (grouped apart from "Janet Yellen") nor cut to "Yellen".
    names = ["Ja\u00adnet Yellen", "Janet \u200bYellen", "\ufeffJanet Yellen", "Janet Yellen\u200d",
             "\uff2a\uff41\uff4e\uff45\uff54 \uff39\uff45\uff4c\uff4c\uff45\uff4e"]
    text = "".join(f'"The plan is bad for workers," said {name}.\n\n' for name in names)
    doc, tags = tmp_path / "a.txt", tmp_path / "tags.jsonl"
    doc.write_text(text, encoding="utf-8")
    assert main(["tag", str(doc), "--labeller", "rules", "-o", str(tags)]) == 0
    rows = [json.loads(line) for line in tags.read_text(encoding="utf-8").splitlines()]
    assert [(r["speaker"], r["speaker_name"]) for r in rows] == [("quoted", "Janet Yellen")] * len(names)
    assert all(text[r["start"]:r["end"]] == r["text"] for r in rows)  # the sentences keep their characters


def test_a_document_longer_than_a_batch_is_tagged_in_slices_exactly_as_at_once(tmp_path, monkeypatch):
    import stance.tagger as tagger_module
    from stance.corpus import Corpus

    # A long document of the seeds' own sentences: headings, paragraphs, quotations running on
    # across sentences and boilerplate, so slice edges fall in every kind of place.
    # A run of boilerplate longer than a slice sits between two documents' worth of text.
    seeds = sorted(SEEDS_DIR.glob("*.txt"))
    doc = tmp_path / "long.txt"
    parts = [p.read_text(encoding="utf-8") for p in seeds]
    run = "".join(f"Contact: press{i}@example.com\n" for i in range(120))
    doc.write_text("\n\n".join([*parts, run, *parts]), encoding="utf-8")
    tagger = load_tagger()
    whole = list(tagger_module.iter_tagged([doc], Corpus(), tagger))
    assert len(whole) > 700 and sum(t.boilerplate for t in whole) > 120
    monkeypatch.setattr(tagger_module, "BATCH_SENTENCES", 37)
    sizes: list[int] = []
    tag = tagger.tag
    monkeypatch.setattr(tagger, "tag", lambda sentences, *a, **k: sizes.append(len(sentences)) or tag(sentences, *a, **k))
    sliced = list(tagger_module.iter_tagged([doc], Corpus(), tagger))
    assert sliced == whole
    assert max(sizes) <= 37 + 2 * tagger_module.SLICE_MARGIN  # the boilerplate run is not carried into every slice
    monkeypatch.setattr(tagger_module, "SLICE_MARGIN", 0)  # the margins are what keeps them equal
    assert list(tagger_module.iter_tagged([doc], Corpus(), tagger)) != whole


def test_votes_stay_right_when_the_vote_cache_fills_up(monkeypatch):
    # A run with more distinct sentences than the cache holds clears it; a batch holding both a
    # sentence voted on before and new ones must still get every sentence's votes (it was a KeyError).
    import stance.model as model_module

    toml = load_codebook().to_toml()
    model_module._VOTE_CACHE.pop(toml, None)
    monkeypatch.setattr(model_module, "VOTE_CACHE_SIZE", 3)
    first = model_module.cached_votes(toml, ["Tariffs rose.", "Chips are scarce."])
    spots: list = []
    again = model_module.cached_votes(toml, ["Chips are scarce.", "The entity list grew.", "AI models improve."], spots)
    assert (again[0] == first[1]).all() and len(spots) == 3
    assert again.any(axis=1).tolist() == [True, True, True]


def test_copies_of_one_sentence_are_not_cross_validated_as_if_they_were_many(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    write_annotations([Annotation(text="China and the EU agreed to deepen cooperation.", frames=("cooperation",), annotator="x")] * 12, labels)
    assert main(["train", "--annotations", str(labels), "-o", str(tmp_path / "m")]) == 0
    assert "1 different annotated sentence is too few to cross-validate" in capsys.readouterr().out
    card = LabelModel.load(tmp_path / "m").card
    assert card["cv_metrics"] == {} and card["cv_folds"] == 0


def test_a_model_saved_again_that_fails_half_way_leaves_the_old_one_whole(tmp_path):
    # Retraining into a model's folder used to replace the arrays before the card: a full disk or
    # Ctrl-C in between left the new arrays under the old card, and the model was refused as damaged.
    from stance.model import _part_path

    directory = _small_model(tmp_path)
    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    codebook = parse_codebook(CUSTOM)
    other = train_model(codebook, [Example(f"they clash again {i}") for i in range(8)] + [Example(f"jobs lost {i}") for i in range(8)],
                        [frozenset({"conflict"})] * 8 + [frozenset({"economy"})] * 8)
    blocker = _part_path(directory, "model.json")  # where the card is written first: a folder, so that writing it fails
    blocker.mkdir()
    with pytest.raises(OSError) as failed:
        other.save(directory)
    assert failed.value.filename == str(directory)
    blocker.rmdir()
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before  # nothing replaced, no part left behind
    assert LabelModel.load(directory).version != other.version
    other.save(directory)
    assert LabelModel.load(directory).version == other.version and sorted(p.name for p in directory.iterdir()) == sorted(before)
