"""The bundled training set beyond the seeds (training/): readable, aligned with its documents, used by the default model."""

from __future__ import annotations

from collections import Counter

from stance.annotations import TRAINING_DIR, bundled_annotation_files, read_annotations, seed_annotation_files
from stance.codebook import load_codebook
from stance.corpus import read_corpus
from stance.segment import iter_sentences
from stance.tagger import bundled_examples

CODEBOOK = load_codebook()


def training_files():
    return [p for p in bundled_annotation_files() if p not in seed_annotation_files()]


def test_every_training_annotation_is_a_sentence_of_its_documents_with_codebook_labels():
    files = training_files()
    assert len(files) >= 3, f"expected the training sets under {TRAINING_DIR}"
    read = read_annotations(files, CODEBOOK)
    assert not read.problems, read.problems[:3]
    sentences = {}
    for document in read_corpus([TRAINING_DIR]).documents:
        for s in iter_sentences(document):
            sentences[s.sentence_id] = s
    matched = [a for a in read.annotations if a.sentence_id in sentences]
    # The segmenter may split a paraphrase differently now and then; nearly all must line up.
    assert len(matched) >= 0.95 * len(read.annotations)
    for a in matched:
        assert sentences[a.sentence_id].text == a.text
        assert not sentences[a.sentence_id].boilerplate
    kinds = Counter(a.source for a in read.annotations)
    assert len(kinds) >= 5, kinds  # several outlets, not one


def test_training_examples_carry_their_document_context():
    read = read_annotations(training_files(), CODEBOOK)
    examples, label_sets, sources = bundled_examples(read.annotations, CODEBOOK)
    placed = [e for e in examples if e.doc]
    assert len(placed) >= 0.95 * len(examples)
    assert sum(1 for e in placed if e.context) >= 0.9 * len(placed)
    assert sum(1 for s in label_sets if s) >= 0.9 * len(label_sets)


def test_the_default_model_trains_on_the_seeds_and_the_training_set():
    from stance.tagger import default_model

    card = default_model().card
    n_seed = len(read_annotations(seed_annotation_files(), CODEBOOK).annotations)
    n_training = len(read_annotations(training_files(), CODEBOOK).annotations)
    assert card["examples"] == n_seed + n_training
    assert {"merics", "whitehouse", "peoplesdaily", "csis"} <= set(card["sources"])


def test_an_edited_bundled_document_trains_a_new_default_model(tmp_path, monkeypatch):
    """The documents give the annotations their context: editing one must not leave a stale cached model."""
    import shutil

    import stance.annotations as annotations
    import stance.tagger as tagger

    seeds = tmp_path / "seeds"
    shutil.copytree(annotations.SEEDS_DIR, seeds)
    for module in (annotations, tagger):
        monkeypatch.setattr(module, "SEEDS_DIR", seeds)
        monkeypatch.setattr(module, "TRAINING_DIR", tmp_path / "no-training")
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tagger, "_LOADED", {})
    first = tagger.default_model()
    assert tagger.default_model() is first  # unchanged: the cached model
    document = next(seeds.glob("merics-*.txt"))
    document.write_text(document.read_text(encoding="utf-8") + "\n\nOne more paragraph on export controls.\n", encoding="utf-8")
    second = tagger.default_model()
    assert second is not first
    assert len(list((tmp_path / "cache" / "models").glob("default-*"))) == 2


def test_the_bundled_folders_read_without_a_problem():
    """Only documents, annotation files and READMEs lie in seeds/ and training/: anything else
    would be reported to every user whose first run trains the default model."""
    from stance.corpus import SEEDS_DIR

    corpus = read_corpus([SEEDS_DIR, TRAINING_DIR])
    assert corpus.problems == []
    assert len(corpus.documents) >= 83
