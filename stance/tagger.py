"""Composes the steps: sentences in, tagged sentences out.

For each document: segment -> context (heading, title, neighbours) -> cue
votes -> model probabilities -> (the optional encoder's, averaged in) ->
thresholds -> primary frame -> evidence -> tone -> speaker. Boilerplate gets no labels. Human labels (``overrides``, by
sentence id) win over predictions wherever they exist.

The default model is trained from the bundled annotations (seeds/, training/) on first use
and cached in the user's cache folder, keyed by the annotations, the
codebook and the code, so it is rebuilt when any of them changes and never
committed as a binary.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from stance import __version__
from stance.annotations import TRAINING_DIR, Annotation, Resolution, bundled_annotation_files, read_annotations, resolve
from stance.cache import cache_dir
from stance.codebook import Codebook, load_codebook
from stance.corpus import SEEDS_DIR, Corpus, Document, iter_corpus, read_corpus
from stance.errors import StanceError
from stance.model import CONTEXT_SEPARATOR, Example, inherit_topics, LabelModel, ModelError, cached_votes, decide_labels, ruleset_for, train_model
from stance.rules import Spot
from stance.segment import Sentence, iter_sentences, normalise_text
from stance.speaker import Speaker, speakers
from stance.tagged import TaggedSentence
from stance.tone import tones

CONTEXT_BEFORE = 2  # sentences before that count as context
CONTEXT_AFTER = 1
BATCH_SENTENCES = 4000  # documents are tagged in batches of about this many sentences
GC_THRESHOLD = 50_000  # allocations between young collections while tagging (Python's default: 700)


# What the labels read is the text as a reader sees it: characters that do not show but would split
# a word for the cues and the model ("Tar\u00adiffs" with a soft hyphen from a web page or PDF,
# zero-width spaces and joiners, a stray byte-order mark) are left out, and full-width Latin
# ("ＥＸＰＯＲＴ　ＣＯＮＴＲＯＬＳ") is read as ASCII. A sentence's own text and offsets keep them.
_FULL_WIDTH = [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]  # digits and Latin letters, not CJK punctuation
_AS_READ = {**dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff")), **{c: c - 0xFEE0 for c in _FULL_WIDTH}, 0x3000: " "}
_READ_OTHERWISE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")  # one C scan: translate() looks up every character


def as_read(text: str) -> str:
    """``text`` as the labels read it (see ``_AS_READ``); ASCII text as it is.

    >>> as_read("Tar\u00adiffs on ＥＶｓ")
    'Tariffs on EVs'
    """
    return text if text.isascii() or not _READ_OTHERWISE.search(text) else text.translate(_AS_READ)


def examples_for(sentences: Sequence[Sentence], title: str = "") -> list[Example]:
    """Each sentence as a model input: its text, its context and its place.

    The context is the section heading, the document title and the
    neighbouring content sentences, separated by newlines.
    """
    out = []
    heading, section = "", -1
    content = [i for i, s in enumerate(sentences) if not s.boilerplate and not s.heading]
    position = {i: k for k, i in enumerate(content)}
    texts = [as_read(s.text) for s in sentences]  # once each, then shared by the contexts
    title = as_read(title)
    for i, s in enumerate(sentences):
        if s.heading and not s.boilerplate:
            heading, section = texts[i].strip("#*_ "), s.index
        k = position.get(i)
        near = []
        if k is not None:
            near = [texts[content[j]] for j in range(max(0, k - CONTEXT_BEFORE), min(len(content), k + CONTEXT_AFTER + 1)) if j != k]
        parts = [heading, title, *near] if heading != title else [heading, *near]
        out.append(
            Example(
                text=texts[i],
                context=CONTEXT_SEPARATOR.join(p for p in parts if p),
                doc=s.doc_id,
                paragraph=s.paragraph,
                section=section,
                index=s.index,
            )
        )
    return out


class Tagger:
    """Tags sentences with a codebook and a trained model (see the module docstring)."""

    def __init__(self, model: LabelModel, encoder=None) -> None:
        """``encoder``: an optional ``stance.encoder.SentenceEncoder`` whose probabilities are
        averaged with the model's, each label then given at 0.5 (``stance.encoder.blend``)."""
        self.model = model
        self.encoder = encoder
        self.codebook = model.codebook
        self._toml = model.codebook.to_toml()
        self.rules = ruleset_for(self._toml)
        self.rules.attach_prefilter(cache_dir() / "cues")  # a compiled prefilter for big runs, when Hyperscan is installed

    def tag_document(
        self,
        document: Document,
        sentences: Sequence[Sentence] | None = None,
        overrides: Mapping[str, Annotation] | None = None,
        explain: bool = True,
    ) -> list[TaggedSentence]:
        sentences = list(sentences if sentences is not None else iter_sentences(document))
        return self.tag(sentences, examples_for(sentences, document.title), overrides=overrides, explain=explain)

    def tag(
        self,
        sentences: Sequence[Sentence],
        inputs: Sequence[Example] | None = None,
        overrides: Mapping[str, Annotation] | None = None,
        explain: bool = True,
        voices: Sequence[Speaker] | None = None,
    ) -> list[TaggedSentence]:
        """Tag sentences of one or more documents, each document's sentences in order.

        ``inputs`` come from ``examples_for`` per document; without them the
        sentences are taken as one document. ``voices``: their speakers, when
        worked out over more of the document than ``sentences`` hold.
        """
        if inputs is None:
            inputs = examples_for(sentences)
        labels = self.codebook.label_ids
        n_topics = len(self.codebook.topic_ids)
        keep = [i for i, s in enumerate(sentences) if not s.boilerplate]
        examples = [inputs[i] for i in keep]
        texts = [e.text for e in examples]
        spots: list[list[Spot]] = []
        votes_dense = cached_votes(self._toml, texts, spots)
        X = self.model.transform(examples)
        probs = self.model.predict_proba(examples, votes_dense, X)
        own = probs
        if self.model.inherit:
            probs = inherit_topics(probs, examples, self.codebook.context_topic_columns)
        encoded = None
        if self.encoder is not None and examples:
            from stance.encoder import blend

            encoded = self.encoder.predict_proba(examples)
            cues = votes_dense if self.model.use_cues else None

            def decide(p: np.ndarray) -> np.ndarray:
                # Each label at 0.5, frames too: the encoder brings evidence of its own, and the
                # floor for frames without a cue (CUED_FRAME_FLOOR) was measured for the model alone.
                return decide_labels(blend(p, encoded, cues), {}, self.codebook, self.model.exclusive, cues, frame_floor=0.0)

            lent, probs = probs, blend(probs, encoded, cues)  # lent: after the neighbours lent topics, before the encoder
        else:
            def decide(p: np.ndarray) -> np.ndarray:
                return self.model.decide(p, votes_dense)

            lent = probs
        decided = decide(lent)
        # For evidence only: a topic came from the sentence's neighbours where it is given only with what
        # they lent; one its own cue or its own probability gives says nothing of its paragraph.
        inherited = lent > own
        if explain and inherited.any():
            inherited &= decided & ~decide(own)
        all_tones = tones(s.text for s in sentences)
        features: dict[str, list[list[str]]] = {}
        if explain and examples:
            for j, label in enumerate(labels):
                rows = np.flatnonzero(decided[:, j])
                if len(rows):
                    tops = self.model.top_features(X[rows] if X is not None else None, label)
                    features[label] = dict(zip(rows.tolist(), tops))
        row_of = {i: r for r, i in enumerate(keep)}
        # Whole-matrix steps once, rather than row by row below.
        chosen = _columns_by_row(decided)
        if not explain:
            explained = None
        elif self.model.use_cues:
            explained = _columns_by_row((votes_dense < 0) | ((votes_dense > 0) & decided))
        else:  # a model trained --no-cues: no cue weighed, so none is shown as a reason
            explained = [[] for _ in range(len(keep))]
        rounded = np.round(probs, 4).tolist()
        exact = probs.tolist()
        out = []
        voices = voices if voices is not None else _voices(sentences)
        make = TaggedSentence._make  # positional: the fields of Sentence, then the labels, tone and voice
        for i, s in enumerate(sentences):
            tone = all_tones[i]
            who = voices[i]
            voice = (tone.polarity, tone.subjectivity, tone.compound, who.voice, who.name)
            r = row_of.get(i)
            if r is None:
                out.append(make((*s, (), (), None, {}, {}, "none", *voice)))
                continue
            row = rounded[r]
            topics = tuple(labels[j] for j in chosen[r] if j < n_topics)
            frame_cols = [j for j in chosen[r] if j >= n_topics]
            frames = tuple(labels[j] for j in frame_cols)
            primary = labels[max(frame_cols, key=exact[r].__getitem__)] if frame_cols else None
            scores = dict(zip(labels, row))
            evidence: dict[str, list[str]] = {}
            if explained is not None:
                # Every label given says why: its cues, the model's strongest
                # features, and whether it came from the sentence's neighbours.
                evidence = self.rules.reasons_at(examples[r].text, spots[r], explained[r]) if explained[r] else {}
                for j in chosen[r]:
                    why = evidence.setdefault(labels[j], [])
                    if inherited[r, j]:  # first: it is what gave the label, not the sentence's own features
                        why.append(FROM_NEIGHBOURS)
                    why.extend(features.get(labels[j], {}).get(r, []))
                    if encoded is not None:
                        why.append(f"encoder: probability {encoded[r, j]:.2f}")
                    if labels[j] in self.model.constants:  # nothing learned: say so, not a bare probability
                        why.append(f"model: on {self.model.constants[labels[j]]:.0%} of its training sentences")
                    if not why:
                        why.append(f"model: probability {row[j]:.2f}")
            labelled_by = "model"
            human = overrides.get(s.sentence_id) if overrides else None
            if human is not None:
                human = in_codebook(human, self.codebook)
                topics, frames, primary = human.topics, human.frames, human.primary_frame
                labelled_by = f"human:{human.annotator or 'unknown'}"
                if explained is not None:
                    evidence = human_evidence(evidence, human)
            out.append(make((*s, topics, frames, primary, scores, evidence, labelled_by, *voice)))
        return out


FROM_NEIGHBOURS = "context: from its paragraph, heading or previous sentence"


def human_evidence(evidence: Mapping[str, list[str]], human: Annotation) -> dict[str, list[str]]:
    """The evidence of a sentence a human labelled: for each of the human's labels, who gave it
    ("human: alice"), then what the model saw for it (its cues and features where it gave the
    label too, a veto where one fired). The labels only the model gave are left out: they
    are not the sentence's labels.

    >>> human_evidence({"ai": ["cue: AI"], "trade_tariffs": ["word: tariffs"]},
    ...                Annotation(text="", topics=("ai", "geopolitics"), annotator="alice"))
    {'ai': ['human: alice', 'cue: AI'], 'geopolitics': ['human: alice']}
    """
    who = f"human: {human.annotator or 'unknown'}"
    return {label: [who, *evidence.get(label, [])] for label in (*human.topics, *human.frames)}


def _columns_by_row(matrix: np.ndarray) -> list[list[int]]:
    """The true columns of each row of a boolean matrix, as lists."""
    out: list[list[int]] = [[] for _ in range(len(matrix))]
    rows, cols = np.nonzero(matrix)
    for r, j in zip(rows.tolist(), cols.tolist()):
        out[r].append(j)
    return out


def _voices(sentences: Sequence[Sentence]):
    """Speakers document by document, so that a quotation is followed across sentences; each
    sentence read as the labels read it (``as_read``), so that a soft hyphen is not in a name."""
    out = []
    start = 0
    for i in range(1, len(sentences) + 1):
        if i == len(sentences) or sentences[i].doc_id != sentences[start].doc_id:
            doc = sentences[start:i]
            out.extend(speakers([as_read(s.text) for s in doc], [s.paragraph for s in doc]))
            start = i
    return out


# --- the default model ------------------------------------------------------


def bundled_documents(folders: Sequence[Path] | None = None) -> Iterator[tuple[list[Sentence], str]]:
    """(sentences, title) of the documents in ``folders`` (default: the seeds and
    ``training/``): where bundled annotations find their context."""
    folders = [SEEDS_DIR, TRAINING_DIR] if folders is None else folders
    for document in read_corpus([p for p in folders if p.is_dir()]).documents:
        yield list(iter_sentences(document)), document.title


def index_context(documents: Iterable[tuple[list[Sentence], str]], by_id: dict, by_text: dict) -> None:
    """Each sentence's example (text, context, place) and source, by sentence id and by
    normalised text, from (sentences, title) per document; the first place seen wins."""
    for sentences, title in documents:
        for s, example in zip(sentences, examples_for(sentences, title)):
            by_id.setdefault(s.sentence_id, (example, s.source))
            by_text.setdefault(normalise_text(s.text), (example, s.source))


def bundled_examples(
    annotations: Sequence[Annotation], codebook: Codebook
) -> tuple[list[Example], list[frozenset[str]], list[str]]:
    """Training examples with their document context where the sentence is known.

    Annotations are matched to the sentences of the bundled documents (the
    seeds and ``training/``) by id, else by normalised text, so that each
    example carries its heading and neighbours.
    """
    by_id: dict[str, tuple[Example, str]] = {}
    by_text: dict[str, tuple[Example, str]] = {}
    index_context(bundled_documents(), by_id, by_text)
    return examples_from(annotations, codebook, by_id, by_text)


def store_examples(store, annotations: Sequence[Annotation], codebook: Codebook) -> tuple[list[Example], list[frozenset[str]], list[str]]:
    """Like ``bundled_examples``, with the context of the store's documents as well.

    Only the stored documents that hold an annotated sentence are read (two
    queries), so retraining costs the same on a large store as on a small one.
    An annotation that matches no stored sentence takes the bundled documents' context
    (by id, else text), else its text alone.
    """
    wanted = [a.sentence_id for a in annotations if a.sentence_id]
    doc_ids = sorted({s.doc_id for s in store.sentences(ids=wanted)}) if wanted else []
    titles = {d.doc_id: d.title for d in store.documents() if d.doc_id in set(doc_ids)}
    by_doc: dict[str, list[Sentence]] = {}
    for s in store.sentences(doc_ids=doc_ids) if doc_ids else []:
        by_doc.setdefault(s.doc_id, []).append(s)
    by_id: dict[str, tuple[Example, str]] = {}
    by_text: dict[str, tuple[Example, str]] = {}
    index_context(((sentences, titles.get(doc_id, "")) for doc_id, sentences in by_doc.items()), by_id, by_text)
    index_context(bundled_documents(), by_id, by_text)
    return examples_from(annotations, codebook, by_id, by_text)


def training_annotations(store=None, files: Sequence[str | Path] | None = None,
                         codebook: Codebook | None = None) -> tuple[list[Annotation], list[StanceError], Resolution]:
    """Annotations to train on: the files (default: the bundled annotations), one set of
    labels per sentence as the store resolves them (``annotations.resolve``), plus the
    store's human decisions; where both label a sentence, the store's decision wins, and a
    sentence the store has marked boilerplate is left out.
    Also the rows that could not be read, and how the files' rows were resolved."""
    codebook = codebook or load_codebook()
    # The bundled annotations were made with the default codebook: under another, the labels it
    # lacks are left out (``labels_left_out`` says which), the sentences and their other labels stay.
    read = read_annotations(files, codebook) if files else read_annotations(bundled_annotation_files())
    resolution = resolve(read.annotations)
    resolution.without_rows = read.without_rows
    annotations = resolution.annotations
    if store is not None:
        current = store.current_labels()  # marked boilerplate too: a file's row of such a sentence, by id or by text, is left out
        texts = {normalise_text(a.text) for a in current.values()}
        annotations = [a for a in annotations if a.sentence_id not in current and normalise_text(a.text) not in texts] + store.human_annotations()
    return annotations, read.problems, resolution


def examples_from(annotations, codebook, by_id, by_text):
    allowed = set(codebook.label_ids)
    examples, label_sets, sources = [], [], []
    for a in annotations:
        example, source = by_id.get(a.sentence_id or "") or by_text.get(normalise_text(a.text)) or (Example(as_read(a.text)), a.source or "")
        examples.append(example)
        label_sets.append(frozenset(l for l in a.labels if l in allowed))
        sources.append(a.source or source or "")
    return examples, label_sets, sources


_LOADED: dict[Path, LabelModel] = {}


def _default_directory(codebook: Codebook) -> Path:
    """Where the default model for ``codebook`` is cached.

    The key covers all that the model learns from: the annotations, the
    documents that give them their context, and the code that reads, splits
    and labels them; a change to any of these trains a new model.
    """
    key = hashlib.blake2b(digest_size=8)
    for folder in (SEEDS_DIR, TRAINING_DIR):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                key.update(str(path.relative_to(folder)).encode("utf-8") + b"\0" + path.read_bytes())
    key.update(codebook.to_toml().encode("utf-8"))
    key.update(__version__.encode())
    for module in ("model.py", "rules.py", "codebook.py", "tagger.py", "clean.py", "segment.py", "corpus.py", "annotations.py"):
        key.update((Path(__file__).parent / module).read_bytes())
    return cache_dir() / "models" / f"default-{key.hexdigest()}"


def default_model(codebook_path: str | Path | None = None) -> LabelModel:
    """The model trained on the bundled annotations (seeds and ``training/``), cached after first use."""
    codebook = load_codebook(codebook_path)
    directory = _default_directory(codebook)
    if directory in _LOADED:  # commands that tag and then write provenance ask twice
        return _LOADED[directory]
    if (directory / "model.json").is_file():
        try:
            _LOADED[directory] = LabelModel.load(directory)
            return _LOADED[directory]
        except ModelError:
            pass  # a damaged cache entry is rebuilt below
    annotations = bundled_annotations()
    examples, label_sets, sources = bundled_examples(annotations, codebook)
    model = train_model(codebook, examples, label_sets, sources=sources)
    model.card["labels_left_out"] = labels_left_out(codebook, annotations)  # said on every use, worked out once
    model.save(directory)
    _LOADED[directory] = model
    return model


def default_encoder(codebook_path: str | Path | None = None, progress: Callable[[int, int], None] | None = None):
    """The encoder fine-tuned on the bundled annotations, beside the default model's cache;
    fine-tuned on first use (a few minutes on two cores), then loaded."""
    from stance import encoder as encoder_module
    from stance.encoder import ENCODER_DIR, SentenceEncoder, fine_tune

    codebook = load_codebook(codebook_path)
    key = hashlib.blake2b((Path(__file__).parent / "encoder.py").read_bytes(), digest_size=6).hexdigest()
    directory = _default_directory(codebook) / f"{ENCODER_DIR}-{key}"
    try:
        return SentenceEncoder.load(directory, cache_dir())
    except ModelError:
        pass  # not fine-tuned yet, or a damaged cache entry: fine-tuned below
    examples, label_sets, _ = _bundled_training_set(codebook)
    encoder = fine_tune(codebook, examples, label_sets, cache_dir(), epochs=encoder_module.EPOCHS, progress=progress)
    encoder.save(directory)
    return encoder


def _bundled_training_set(codebook: Codebook) -> tuple[list[Example], list[frozenset[str]], list[str]]:
    """The bundled annotations (seeds and ``training/``) as examples with their context:
    what the default model and the default encoder learn from (under another codebook, with
    the labels it lacks left out)."""
    return bundled_examples(bundled_annotations(), codebook)


def bundled_annotations() -> list[Annotation]:
    """The bundled annotations (seeds and ``training/``), one row per sentence as they stand."""
    return resolve(read_annotations(bundled_annotation_files()).annotations).annotations


def labels_left_out(codebook: Codebook, annotations: Sequence[Annotation]) -> str | None:
    """What a model cannot learn from ``annotations`` (the bundled ones) under ``codebook``: the
    labels it lacks, with how many sentences carry each, said in one line; None when it has them all."""
    allowed = set(codebook.label_ids)
    missing = Counter(label for a in annotations for label in a.labels if label not in allowed)
    if not missing:
        return None
    listed = ", ".join(f"{label} ({n})" for label, n in missing.most_common())
    unlearned = [label for label in codebook.label_ids if not any(label in a.labels for a in annotations)]
    return (
        f"the bundled annotations use labels this codebook lacks, left out of what the model learns from them: {listed}"
        + (f"; and none of them carries {', '.join(unlearned)}, which only cues can give" if unlearned else "")
        + " — to learn your labels, annotate sentences with them and train a model (stance train --annotations FILE -o DIR)"
    )


def rules_only_tagger(codebook_path: str | Path | None = None) -> Tagger:
    """The cue rules alone, without a trained model (for comparison)."""
    codebook = load_codebook(codebook_path)
    return Tagger(LabelModel(codebook, None, (), {label: 0.5 for label in codebook.label_ids}, {"version": "rules-only"}, inherit=False))


def load_tagger(
    codebook_path: str | Path | None = None,
    model_dir: str | Path | None = None,
    encoder: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Tagger:
    """The default model, or the one in ``model_dir``; with ``encoder``, its fine-tuned
    encoder as well (the default one is fine-tuned on first use, reporting ``progress``)."""
    if model_dir is not None:
        model = LabelModel.load(model_dir)
        if codebook_path is not None:
            wanted = load_codebook(codebook_path)
            if wanted.labelling != model.codebook.labelling:  # new names, descriptions or axes change no label
                raise StanceError(
                    f"the model was trained with another codebook ({_difference(model.codebook, wanted)})",
                    path=str(model_dir),
                    fix="leave --codebook out to tag with the model's own codebook, or retrain it with `stance train --codebook ...`",
                )
        return Tagger(model, model_encoder(model_dir, model) if encoder else None)
    return Tagger(default_model(codebook_path), default_encoder(codebook_path, progress) if encoder else None)


def _difference(trained: Codebook, given: Codebook) -> str:
    """How the given codebook differs from the one a model was trained with, in a few words."""
    old, new = {l.id: l for l in trained.topics + trained.frames}, {l.id: l for l in given.topics + given.frames}
    parts = []
    if new.keys() - old.keys():
        parts.append(f"new labels: {', '.join(sorted(new.keys() - old.keys()))}")
    if old.keys() - new.keys():
        parts.append(f"labels gone: {', '.join(sorted(old.keys() - new.keys()))}")
    changed = sorted(i for i in old.keys() & new.keys() if (old[i].cues, old[i].negative_cues) != (new[i].cues, new[i].negative_cues))
    if changed:
        parts.append(f"changed cues: {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}")
    lent = sorted(i for i in old.keys() & new.keys() if old[i].from_context != new[i].from_context)
    if lent:
        parts.append(f"changed from_context: {', '.join(lent)}")
    moved = [i for i in old if i in new and old[i].kind != new[i].kind]
    if moved:
        parts.append(f"now a {new[moved[0]].kind}: {', '.join(moved)}")
    return "; ".join(parts) or "its labels are in another order"


def model_encoder(model_dir: str | Path, model: LabelModel):
    """The encoder saved with the model in ``model_dir`` (``stance train --encoder``)."""
    from stance.encoder import CARD_FILE, ENCODER_DIR, SentenceEncoder

    directory = Path(model_dir) / ENCODER_DIR
    if not (directory / CARD_FILE).is_file():
        raise StanceError(
            "this model has no fine-tuned encoder", path=str(model_dir),
            fix="train it with `stance train --encoder ...`, or leave --encoder out",
        )
    encoder = SentenceEncoder.load(directory, cache_dir())
    if encoder.labels != tuple(model.codebook.label_ids):
        raise ModelError("the encoder was trained with another codebook than its model", path=str(directory), fix="retrain with `stance train --encoder`")
    if encoder.card.get("model_version", model.version) != model.version:
        raise ModelError(
            f"the encoder was fine-tuned with another training of this model ({encoder.card['model_version']}, not {model.version})",
            path=str(directory),
            fix="retrain with `stance train --encoder`",
        )
    return encoder


def iter_tagged(
    paths: Iterable[str | Path] | None,
    corpus: Corpus,
    tagger: Tagger,
    overrides: Mapping[str, Annotation] | None = None,
    max_bytes: int | None = None,
    explain: bool = True,
    boilerplate: Mapping[str, bool] | None = None,
) -> Iterator[TaggedSentence]:
    """Stream tagged sentences, documents batched so the model runs on big matrices. A store's
    human labels (``overrides``, ``Store.current_labels()``) and boilerplate marks
    (``Store.boilerplate_overrides()``) are applied as the dashboard applies them (``with_human_labels``)."""
    tagged = _model_tagged(paths, corpus, tagger, max_bytes, explain)
    if overrides is None and boilerplate is None:
        yield from tagged
        return
    for t in tagged:
        yield from with_human_labels((t,), overrides or {}, boilerplate, explain, tagger.codebook)


def _model_tagged(paths: Iterable[str | Path] | None, corpus: Corpus, tagger: Tagger, max_bytes: int | None, explain: bool) -> Iterator[TaggedSentence]:
    """The model's labels of everything under ``paths``, streamed."""
    kwargs = {"max_bytes": max_bytes} if max_bytes else {}
    sentences: list[Sentence] = []
    inputs: list[Example] = []
    with fewer_collections():
        for document in iter_corpus(list(paths or [SEEDS_DIR]), corpus, **kwargs):
            doc_sentences = list(iter_sentences(document))
            if len(doc_sentences) > BATCH_SENTENCES:
                if sentences:
                    yield from tagger.tag(sentences, inputs, explain=explain)
                    sentences, inputs = [], []
                yield from _tag_long(tagger, doc_sentences, examples_for(doc_sentences, document.title), explain)
                continue
            sentences.extend(doc_sentences)
            inputs.extend(examples_for(doc_sentences, document.title))
            if len(sentences) >= BATCH_SENTENCES:
                yield from tagger.tag(sentences, inputs, explain=explain)
                sentences, inputs = [], []
        if sentences:
            yield from tagger.tag(sentences, inputs, explain=explain)


# Content sentences tagged beyond each end of a long document's slice, so that every sentence of
# the slice sees the neighbours it inherits topics from (``inherit_topics``: paragraph mates at
# most 3 sentences away, a heading at most 2 above, the content sentence before) and tags as it
# would with the whole document at once.
SLICE_MARGIN = 8


def _tag_long(tagger: Tagger, sentences: list[Sentence], inputs: list[Example], explain: bool) -> Iterator[TaggedSentence]:
    """A document longer than a batch, tagged slice by slice: memory stays near that of one batch
    (a 200,000-sentence file: 589 MB, against 1.63 GB at once). Speakers are followed over the
    whole document, and each slice is tagged with margins it then drops."""
    voices = _voices(sentences)
    content = [i for i, s in enumerate(sentences) if not s.boilerplate]
    for start in range(0, len(sentences), BATCH_SENTENCES):
        end = min(start + BATCH_SENTENCES, len(sentences))
        # The margins are content sentences alone, however much boilerplate lies between (a slice
        # that took the range would carry a long run of boilerplate in every slice): topics flow
        # only between content sentences, placed by their index, so the gaps change nothing.
        first, last = bisect.bisect_left(content, start), bisect.bisect_left(content, end)
        before, after = content[max(0, first - SLICE_MARGIN) : first], content[last : last + SLICE_MARGIN]
        rows = [*before, *range(start, end), *after]
        tagged = tagger.tag([sentences[i] for i in rows], [inputs[i] for i in rows], explain=explain, voices=[voices[i] for i in rows])
        yield from tagged[len(before) : len(before) + end - start]


@contextmanager
def fewer_collections(threshold: int = GC_THRESHOLD) -> Iterator[None]:
    """Run the cyclic garbage collector less often while tagging in bulk (restored after).

    Tagging makes millions of small tuples, lists and dicts, and Python's
    collector runs after every 700 of them, each time walking the young
    ones and now and then every object alive: the loaded model, lexicons
    and the vote cache. That took 16% of a `stance tag` run. Objects alive
    at the start are frozen (never walked until the end) and the young
    generation is collected after ``threshold`` allocations instead. Little
    of what tagging makes is cyclic garbage, so memory does not grow for it.
    """
    before = gc.get_threshold()
    ours = gc.get_freeze_count() == 0  # an app that froze objects itself keeps them frozen
    if ours:
        gc.freeze()
    gc.set_threshold(threshold, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if ours:
            gc.unfreeze()


def tag_paths(
    paths: Sequence[str | Path] | None = None,
    *,
    codebook_path: str | Path | None = None,
    model_dir: str | Path | None = None,
    store=None,
    max_bytes: int | None = None,
) -> tuple[list[TaggedSentence], Corpus]:
    """Tag everything under ``paths`` (default: the seeds); the store's human labels win."""
    tagger = load_tagger(codebook_path, model_dir)
    overrides = store.current_labels() if store is not None else None
    marks = store.boilerplate_overrides() if store is not None else None
    corpus = Corpus()
    tagged = list(iter_tagged(paths, corpus, tagger, overrides, max_bytes, boilerplate=marks))
    return tagged, corpus


# --- the store: its documents tagged, its human labels, its models ----------


def tag_stored(
    store,
    tagger: Tagger,
    documents: Sequence[Document] | None = None,
    *,
    explain: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, list[TaggedSentence]]:
    """The model's labels for stored documents (default: every active one), by document id.

    Each document is tagged with its stored sentences, so the sentence ids
    are the store's. No human label is applied (see ``with_human_labels``),
    so the result stays valid while analysts annotate. ``progress(done, total)``
    is called after each document.
    """
    documents = list(store.documents() if documents is None else documents)
    out: dict[str, list[TaggedSentence]] = {}
    with fewer_collections():
        for start in range(0, len(documents), 50):  # one query per 50 documents
            batch = documents[start:start + 50]
            stored: dict[str, list[Sentence]] = {}
            for s in store.sentences(doc_ids=[d.doc_id for d in batch]):
                stored.setdefault(s.doc_id, []).append(s)
            for k, document in enumerate(batch, start + 1):
                out[document.doc_id] = tagger.tag_document(document, stored.get(document.doc_id, []), explain=explain)
                if progress:
                    progress(k, len(documents))
    return out


def with_human_labels(
    tagged: Iterable[TaggedSentence],
    overrides: Mapping[str, Annotation],
    boilerplate: Mapping[str, bool] | None = None,
    explain: bool = True,
    codebook: Codebook | None = None,
) -> list[TaggedSentence]:
    """Tagged sentences with the humans' labels in place of the model's, as ``Tagger.tag(overrides=...)`` gives.

    ``overrides`` is ``Store.current_labels()``; ``boilerplate`` is
    ``Store.boilerplate_overrides()``: a sentence a human marked as
    boilerplate becomes boilerplate without labels, one marked as content
    becomes content. The model's scores are kept; the evidence says who gave each of the
    human's labels and what the model saw for it (``human_evidence``), also where the model saw
    nothing (``explain``: as ``tagged`` was made; without it no evidence is given, as ``tag`` gives).
    With the ``codebook`` the sentences were tagged under, a human label it does not have is left out
    (``in_codebook``).
    """
    boilerplate = boilerplate or {}
    out = []
    for t in tagged:
        marked = boilerplate.get(t.sentence_id)
        human = overrides.get(t.sentence_id)
        if human is not None and codebook is not None:
            human = in_codebook(human, codebook)
        if marked is True:
            who = human.annotator if human is not None and human.annotator else "unknown"
            t = t._replace(boilerplate=True, boilerplate_reason="marked by a human", topics=(), frames=(),
                           primary_frame=None, evidence={}, labelled_by=f"human:{who}")
        elif marked is False and t.boilerplate:
            t = t._replace(boilerplate=False, boilerplate_reason=None)
        if human is not None and not t.boilerplate:
            t = t._replace(topics=human.topics, frames=human.frames, primary_frame=human.primary_frame,
                           evidence=human_evidence(t.evidence, human) if explain else t.evidence,
                           labelled_by=f"human:{human.annotator or 'unknown'}")
        out.append(t)
    return out


def in_codebook(human: Annotation, codebook: Codebook) -> Annotation:
    """A human's labels without the ids ``codebook`` does not have: labels made under a codebook
    that since renamed or retired one. The store keeps them; a tag gives only the codebook's labels
    (``stance compare`` reads no other), and the CLI says so (``_note_stale``)."""
    topics = tuple(t for t in human.topics if t in codebook.topic_ids)
    frames = tuple(f for f in human.frames if f in codebook.frame_ids)
    if (topics, frames) == (human.topics, human.frames):
        return human
    return dataclasses.replace(human, topics=topics, frames=frames, primary_frame=human.primary_frame if human.primary_frame in frames else None)


def store_tagger(store, codebook_path: str | Path | None = None, models_dir: str | Path | None = None) -> Tagger:
    """The store's latest model (``retrain``) when its folder exists and it labels as this codebook does
    (described by this codebook: its name, version, names and axes); else, with ``models_dir``, where the
    store's labels were trained on under another codebook, a model retrained there for this one, so that
    they carry over to a codebook with new cues or labels; else the default model (a store never
    retrained keeps it until the analyst retrains)."""
    codebook = load_codebook(codebook_path)
    for card in store.models():
        path = card.get("path")
        if not path or not (Path(path) / "model.json").is_file():
            continue
        try:
            model = LabelModel.load(path)
        except ModelError:
            continue
        if model.codebook.labelling == codebook.labelling:
            return Tagger(dataclasses.replace(model, codebook=codebook))
    if models_dir is not None and store.models() and store.labelled_count():
        return Tagger(retrain(store, models_dir, codebook_path))
    return Tagger(default_model(codebook_path))


def retrain(store, directory: str | Path, codebook_path: str | Path | None = None) -> LabelModel:
    """Train on the bundled annotations and the store's human labels (``training_annotations``);
    save under ``directory/<version>`` and record it in the store, where ``store_tagger`` finds it.

    The model card keeps its cross-validated metrics and ``path``.
    """
    codebook = load_codebook(codebook_path)
    annotations, _, _ = training_annotations(store, None, codebook)
    examples, label_sets, sources = store_examples(store, annotations, codebook)
    model = train_model(codebook, examples, label_sets, sources=sources)
    path = model.save(Path(directory) / model.version)
    store.record_model({**model.card, "path": str(path)})
    return model
