"""Active learning: which sentences an analyst should label next.

A sentence is worth labelling when the model is unsure about it, when it is
unlike the other sentences already picked, and — so that one prolific
source does not eat the queue — sources take turns.

- **Uncertainty.** For each label, how close its probability is to the
  label's decision threshold: 1 at the threshold, 0 at 0 or 1
  (``label_uncertainty``). A sentence's uncertainty is the mean of its three
  least certain labels (``sentence_uncertainty``), so one shaky label counts
  but several count more.
- **Diversity.** Among the most uncertain candidates (a pool of about 20
  per slot), maximal marginal relevance over TF-IDF vectors: each pick
  maximises ``(1 - diversity) * uncertainty - diversity * (highest cosine
  similarity to a sentence already picked)``; identical texts are offered
  once.
- **Balance.** Sources take turns (round robin, the source with the most
  uncertain candidate first); a source with nothing left drops out.

Boilerplate, sentences of superseded document versions, and sentences a
human already labelled are never offered.

The selection works on any probability matrix (``select``), so it can be fed
straight from the tagger (``queue_from_tagged``); at scale the probabilities
are stored once per model in blocks (``Store.save_scores``, filled by
``score_store``) and the queue reads them back in one go and selects in
numpy (``build_queue``; timed on a million sentences by
``bench/bench_store.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from stance.errors import StanceError
from stance.segment import Sentence, normalise_text
from stance.tagged import TaggedSentence

TOP_LABELS = 3  # a sentence's uncertainty: the mean of its least certain labels
POOL_PER_SLOT = 20  # candidates considered per queue slot
MIN_POOL = 500
DIVERSITY = 0.3


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A sentence worth labelling, and why: the labels the model is least sure of."""

    sentence_id: str
    source: str
    text: str
    uncertainty: float
    unsure: tuple[tuple[str, float], ...] = ()  # (label id, probability), least certain first
    suggested: tuple[str, ...] = ()  # the labels the model would give

    def to_row(self) -> dict:
        return {
            "sentence_id": self.sentence_id,
            "source": self.source,
            "uncertainty": round(self.uncertainty, 3),
            "unsure_about": ", ".join(f"{label} {p:.2f}" for label, p in self.unsure),
            "suggested": ";".join(self.suggested),
            "text": self.text,
        }


def label_uncertainty(probs: np.ndarray, thresholds: np.ndarray | float = 0.5) -> np.ndarray:
    """Per label: 1 where the probability sits on the threshold, falling linearly to 0 at 0 and at 1."""
    p = np.asarray(probs, dtype=np.float32)
    t = np.broadcast_to(np.asarray(thresholds, dtype=np.float32), p.shape[-1:] if p.ndim else ())
    span = np.where(p >= t, 1.0 - t, t)
    return np.clip(1.0 - np.abs(p - t) / np.maximum(span, 1e-6), 0.0, 1.0)


def sentence_uncertainty(probs: np.ndarray, thresholds: np.ndarray | float = 0.5, top: int = TOP_LABELS) -> np.ndarray:
    """Per sentence: the mean uncertainty of its ``top`` least certain labels."""
    u = label_uncertainty(probs, thresholds)
    if u.ndim != 2 or u.shape[1] == 0:
        return np.zeros(len(u), dtype=np.float32)
    k = min(top, u.shape[1])
    return -np.partition(-u, k - 1, axis=1)[:, :k].mean(axis=1)


def focus_uncertainty(probs: np.ndarray, thresholds: np.ndarray, label_index: int, frame_columns: Sequence[int]) -> np.ndarray:
    """For ``--topic``: unsure whether the sentence is about the topic, or in it but unsure of its frames."""
    t = np.asarray(thresholds, dtype=np.float32)
    p = np.asarray(probs[:, label_index], dtype=np.float32)
    about = label_uncertainty(p[:, None], t[label_index : label_index + 1])[:, 0]
    inside = np.minimum(p / max(float(t[label_index]), 1e-6), 1.0)
    if len(frame_columns):
        columns = list(frame_columns)
        framing = sentence_uncertainty(probs[:, columns], t[columns])
    else:
        framing = np.zeros(len(p), dtype=np.float32)
    return np.maximum(about, inside * framing)


def select(
    texts: Sequence[str],
    sources: Sequence[str],
    uncertainty: Sequence[float],
    n: int,
    *,
    diversity: float = DIVERSITY,
) -> list[int]:
    """Pick ``n`` indices: uncertain, unlike each other, sources taking turns (see the module docstring)."""
    u = np.asarray(uncertainty, dtype=np.float64)
    if n <= 0 or len(u) == 0:
        return []
    # Identical texts (a repeated title, a re-posted paragraph) are offered once.
    first: dict[str, int] = {}
    for i in np.argsort(-u, kind="stable"):
        first.setdefault(normalise_text(texts[i]), int(i))
    keep = np.array(sorted(first.values()))
    similarity = _similarity([texts[i] for i in keep])
    nearest = np.zeros(len(keep))
    by_source: dict[str, list[int]] = {}
    for j in np.argsort(-u[keep], kind="stable"):
        by_source.setdefault(sources[keep[j]], []).append(int(j))
    turn = list(by_source)  # the source with the most uncertain candidate goes first
    left = {s: np.array(js) for s, js in by_source.items()}
    picked: list[int] = []
    while len(picked) < n and turn:
        for source in list(turn):
            candidates = left[source]
            if len(candidates) == 0:
                turn.remove(source)
                continue
            score = (1 - diversity) * u[keep[candidates]] - diversity * nearest[candidates]
            best = int(np.argmax(score))
            j = int(candidates[best])
            picked.append(int(keep[j]))
            left[source] = np.delete(candidates, best)
            nearest = np.maximum(nearest, similarity[j])
            if len(picked) == n:
                break
    return picked


def _similarity(texts: Sequence[str]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        X = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    except ValueError:  # nothing but stop words or empty texts
        return np.zeros((len(texts), len(texts)))
    return (X @ X.T).toarray()


def _unsure(probs_row: np.ndarray, u_row: np.ndarray, label_ids: Sequence[str], k: int = TOP_LABELS) -> tuple[tuple[str, float], ...]:
    order = np.argsort(-u_row, kind="stable")[:k]
    return tuple((label_ids[j], round(float(probs_row[j]), 3)) for j in order)


def _suggested(probs_row: np.ndarray, thresholds: np.ndarray, label_ids: Sequence[str]) -> tuple[str, ...]:
    return tuple(label_ids[j] for j in np.flatnonzero(probs_row >= thresholds))


def threshold_array(label_ids: Sequence[str], thresholds: Mapping[str, float] | Sequence[float] | None) -> np.ndarray:
    if thresholds is None:
        return np.full(len(label_ids), 0.5, dtype=np.float32)
    if isinstance(thresholds, Mapping):
        return np.array([float(thresholds.get(label, 0.5)) for label in label_ids], dtype=np.float32)
    return np.asarray(thresholds, dtype=np.float32)


def queue_from_probs(
    sentences: Sequence[Sentence | TaggedSentence],
    probs: np.ndarray,
    label_ids: Sequence[str],
    n: int = 20,
    *,
    thresholds: Mapping[str, float] | Sequence[float] | None = None,
    topic: str | None = None,
    source: str | None = None,
    frame_ids: Collection[str] = (),
    exclude: Collection[str] = (),
    diversity: float = DIVERSITY,
) -> list[QueueItem]:
    """The queue from sentences and their probability matrix (rows: sentences, columns: ``label_ids``).

    Boilerplate, sentences in ``exclude`` (already labelled) and, with
    ``source``, other sources' sentences are left out.
    """
    probs = np.asarray(probs, dtype=np.float32)
    if probs.shape != (len(sentences), len(label_ids)):
        raise ValueError(f"probs has shape {probs.shape}, expected ({len(sentences)}, {len(label_ids)})")
    t = threshold_array(label_ids, thresholds)
    keep = [
        i for i, s in enumerate(sentences)
        if not s.boilerplate and s.sentence_id not in exclude and (source is None or s.source == source)
    ]
    if not keep:
        return []
    P = probs[keep]
    score = _score(P, t, label_ids, topic, frame_ids)
    chosen = select([sentences[i].text for i in keep], [sentences[i].source for i in keep], score, n, diversity=diversity)
    U = label_uncertainty(P, t)
    return [
        QueueItem(sentences[keep[c]].sentence_id, sentences[keep[c]].source, sentences[keep[c]].text, float(score[c]),
                  _unsure(P[c], U[c], label_ids), _suggested(P[c], t, label_ids))
        for c in chosen
    ]


def queue_from_tagged(tagged: Sequence[TaggedSentence], label_ids: Sequence[str], n: int = 20, **kwargs) -> list[QueueItem]:
    """The queue straight from the tagger's output (``TaggedSentence.scores``)."""
    probs = np.array([[t.scores.get(label, 0.0) for label in label_ids] for t in tagged], dtype=np.float32).reshape(len(tagged), len(label_ids))
    return queue_from_probs(tagged, probs, label_ids, n, **kwargs)


def _score(P: np.ndarray, t: np.ndarray, label_ids: Sequence[str], topic: str | None, frame_ids: Collection[str]) -> np.ndarray:
    if topic is None:
        return sentence_uncertainty(P, t)
    if topic not in label_ids:
        raise StanceError(f"unknown label {topic!r}", fix=f"use one of {', '.join(label_ids)}")
    frames = [j for j, label in enumerate(label_ids) if label in frame_ids and label != topic]
    return focus_uncertainty(P, t, list(label_ids).index(topic), frames)


def build_queue(
    store,
    n: int = 20,
    *,
    topic: str | None = None,
    source: str | None = None,
    frame_ids: Collection[str] = (),
    model_version: str | None = None,
    diversity: float = DIVERSITY,
) -> list[QueueItem]:
    """The queue from the store's stored scores (latest scored model unless ``model_version``)."""
    run = store.score_run(model_version)
    if run is None:
        raise StanceError("the store has no model scores yet", path=store.where, fix="run `stance queue` with a model to score the stored sentences")
    table = store.score_table(run[0])
    t = table.thresholds
    score = table.uncertainty if topic is None else _score(table.probs, t, table.label_ids, topic, frame_ids)
    pool = _pool(table, score, n, source)
    if len(pool) == 0:
        return []
    ids = [str(table.ids[i]) for i in pool]
    sources = [table.sources[table.source_codes[i]] for i in pool]
    text_of = {s.sentence_id: s.text for s in store.sentences(ids=ids)}
    chosen = select([text_of.get(sid, "") for sid in ids], sources, score[pool], n, diversity=diversity)
    P = table.probs[pool]
    U = label_uncertainty(P, t)
    return [
        QueueItem(ids[c], sources[c], text_of.get(ids[c], ""), float(score[pool[c]]),
                  _unsure(P[c], U[c], table.label_ids), _suggested(P[c], t, table.label_ids))
        for c in chosen
    ]


def _pool(table, score: np.ndarray, n: int, source: str | None) -> np.ndarray:
    """The most uncertain offerable rows of each source: about ``POOL_PER_SLOT * n`` in all.

    One sort by (source, -score); each source's run is then walked from the
    top, skipping what may not be offered, until its share is full — so the
    work is a sort plus a walk over the pool, never a Python loop over every row.
    """
    size = max(POOL_PER_SLOT * n, MIN_POOL)
    if source is not None:
        if source not in table.sources:
            return np.zeros(0, dtype=np.int64)
        rows = np.flatnonzero(table.source_codes == table.sources.index(source))
        runs = [rows[np.argsort(-score[rows], kind="stable")]]
    else:
        order = np.lexsort((-score, table.source_codes))
        bounds = np.searchsorted(table.source_codes[order], np.arange(len(table.sources) + 1))
        runs = [order[bounds[k] : bounds[k + 1]] for k in range(len(table.sources))]
    share = max(size // max(len(runs), 1), 10)
    picked: list[int] = []
    for run in runs:
        taken = 0
        for i in run.tolist():
            if taken == share:
                break
            if table.offerable(i):
                picked.append(i)
                taken += 1
    return np.array(picked, dtype=np.int64)


def score_store(
    store,
    predict: Callable[[Sequence[Sentence]], np.ndarray],
    model_version: str,
    label_ids: Sequence[str],
    *,
    thresholds: Mapping[str, float] | Sequence[float] | None = None,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score the stored sentences ``model_version`` has not scored yet; returns how many.

    ``predict(sentences)`` gets whole documents' sentences, in order (so it
    can use their context), and returns their probabilities, shape
    ``(len(sentences), len(label_ids))``. Boilerplate is not scored. Each
    batch of documents is stored in its own transaction, so an interrupted
    run resumes where it stopped. Once every document is scored, other
    models' stored scores are dropped (they are derived data).
    """
    todo = store.unscored(model_version)
    done = 0
    pending: list[str] = []
    size = 0
    for doc_id, count in list(todo.items()) + [("", 0)]:
        if doc_id:
            pending.append(doc_id)
            size += count
        if pending and (size >= batch or not doc_id):
            chunk = store.sentences(doc_ids=pending)
            probs = np.asarray(predict(chunk), dtype=np.float32)
            keep = [i for i, s in enumerate(chunk) if not s.boilerplate]
            store.save_scores(model_version, label_ids, [chunk[i].sentence_id for i in keep], probs[keep], thresholds)
            done += len(keep)
            pending, size = [], 0
            if progress:
                progress(done)
    if store.score_run(model_version) is not None:
        store.drop_scores(keep=model_version)
    return done


def tagger_predictor(tagger) -> Callable[[Sequence[Sentence]], np.ndarray]:
    """``predict`` for ``score_store`` from a ``stance.tagger.Tagger``: each document's sentences tagged together
    (so each sentence has its context), probabilities read from ``TaggedSentence.scores``."""
    label_ids = tagger.codebook.label_ids

    def predict(sentences: Sequence[Sentence]) -> np.ndarray:
        out = np.zeros((len(sentences), len(label_ids)), dtype=np.float32)
        start = 0
        for end in range(1, len(sentences) + 1):
            if end == len(sentences) or sentences[end].doc_id != sentences[start].doc_id:
                for row, tagged in enumerate(tagger.tag(list(sentences[start:end]), explain=False), start=start):
                    out[row] = [tagged.scores.get(label, 0.0) for label in label_ids]
                start = end
        return out

    return predict
