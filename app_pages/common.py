"""What the pages share: the store, the model, the tagged corpus, cached views, and how a sentence is drawn.

Not a page. Caching follows Streamlit's guidance:

- ``st.cache_resource`` holds the store (one per database), the tagger (one
  per codebook and model) and the tagged corpus: large, read-only and shared
  by every session, so it is never copied (``st.cache_data`` would unpickle
  tens of thousands of rows on every rerun);
- ``st.cache_data`` holds everything a page shows, keyed by plain arguments
  (the corpus key, a topic, the chosen sources, the voice...), so a topic
  seen once comes back at once and a new one costs one comparison.

The corpus key names one state of the store (its documents, human labels and
source metadata, from ``Store.revision()``) under one model and codebook;
when any of them changes the key changes and nothing stale is shown. The
model's labels are kept per document, so a new upload only tags the new
document. Long work (ingesting the seeds, training the default model,
tagging) runs inside ``st.status`` with a progress bar.

Every piece of document text that reaches HTML goes through ``esc``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from stance.charts import frame_colours, tag_style
from stance.codebook import Codebook, load_codebook
from stance.compare import (
    Comparison,
    SentenceTable,
    TermIndex,
    compare,
    find_sentences,
    neighbours,
    side_by_side,
    source_overview,
    term_index,
)
from stance.corpus import SEEDS_DIR, Source
from stance.errors import StanceError
from stance.store import Store, open_store, resolve_url
from stance.tagged import TaggedSentence
from stance.tagger import Tagger, store_tagger, tag_stored, with_human_labels

DEFAULT_TOPIC = "export_controls"
KEEP_CORPORA = 4  # states of the corpus kept in memory (sessions may briefly be on different ones)
CODEBOOK_FILE = "codebook.toml"  # the analysts' codebook, in the data folder; the default until one is saved


# --- where things live ---------------------------------------------------------------


def store_url() -> str:
    """The store: ``$STANCE_DB`` (a path or URL), else ``stance.db`` in the per-user data folder."""
    return resolve_url(None)


def data_dir(url: str | None = None) -> Path:
    """The folder beside the store for uploads, trained models and the edited codebook."""
    url = url or store_url()
    if url.startswith("sqlite:///"):
        folder = Path(url[len("sqlite:///"):]).parent
    else:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir("stance", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def codebook_path() -> Path | None:
    """The codebook saved on the Codebook page, or None for the default one."""
    path = data_dir() / CODEBOOK_FILE
    return path if path.is_file() else None


def codebook_key() -> str:
    path = codebook_path()
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest() if path else "default"


# --- the store, the model --------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return open_store(url)


def get_store() -> Store:
    return _open_store(store_url())


def seed_if_empty(store: Store) -> None:
    """On first run, read the bundled seeds into the store so that every page works with zero configuration."""
    if store.count_sentences(active_only=False):
        return
    with st.status("First run: reading the bundled seeds into the store…", expanded=True) as status:
        report, corpus = store.ingest_paths([SEEDS_DIR])
        for line in report.lines():
            st.write(line)
        status.update(label=f"Read the bundled seeds: {report.added} documents, {report.sentences} sentences", state="complete", expanded=False)


@st.cache_resource(show_spinner="Loading the model (the first time, it is trained from the bundled annotations: under a minute)…")
def _tagger(url: str, codebook_file: str, codebook_version: str, models: str) -> Tagger:
    return store_tagger(_open_store(url), codebook_file or None, models_dir=data_dir(url) / "models")


def get_tagger(store: Store) -> Tagger:
    path = codebook_path()
    return _tagger(store.url, str(path or ""), codebook_key(), store.revision()["models"])


def get_codebook() -> Codebook:
    return load_codebook(codebook_path())


# --- the tagged corpus -------------------------------------------------------------------


@dataclass(frozen=True)
class Predictions:
    """The model's labels of every active stored document (no human label applied)."""

    documents: dict[str, list[TaggedSentence]]  # doc id -> its sentences, in order
    by_id: dict[str, TaggedSentence]


@dataclass(frozen=True)
class Loaded:
    """One state of the corpus: the tagged table with human labels applied, and what made it."""

    key: str
    table: SentenceTable
    codebook: Codebook
    sources: dict[str, Source]
    model_version: str


@st.cache_resource(show_spinner=False)
def _prediction_cache() -> dict:
    return {}


@st.cache_resource(show_spinner=False)
def _corpora() -> OrderedDict:
    return OrderedDict()


def predictions(store: Store, tagger: Tagger) -> Predictions:
    """The model's labels for the store's documents; new documents are tagged here, with a progress bar."""
    revision = store.revision()["documents"]
    slot = _prediction_cache().setdefault((store.url, tagger.model.version, codebook_key()), {"revision": None, "docs": {}, "view": None})
    if slot["revision"] == revision and slot["view"] is not None:
        return slot["view"]
    documents = store.documents()
    missing = [d for d in documents if d.doc_id not in slot["docs"]]
    if missing:
        n = sum(len(d.text) for d in missing)
        holder = st.empty()  # the progress goes away once the page can show what it was waiting for
        with holder.status(f"Tagging {len(missing)} document{'s' if len(missing) != 1 else ''} ({n / 1000:,.0f}k characters)…", expanded=True):
            bar = st.progress(0.0)

            def progress(done: int, total: int) -> None:
                bar.progress(done / total, text=f"{done} of {total} documents")

            slot["docs"].update(tag_stored(store, tagger, missing, progress=progress))
        holder.empty()
    docs = {d.doc_id: slot["docs"][d.doc_id] for d in documents}
    view = Predictions(docs, {t.sentence_id: t for sentences in docs.values() for t in sentences})
    slot.update(revision=revision, view=view)
    return view


def register(table: SentenceTable, codebook: Codebook, sources: Mapping[str, Source], model_version: str, key: str) -> Loaded:
    """Keep a corpus state in memory under ``key`` (the cached views find it there)."""
    corpora = _corpora()
    loaded = Loaded(key, table, codebook, dict(sources), model_version)
    corpora[key] = loaded
    corpora.move_to_end(key)
    while len(corpora) > KEEP_CORPORA:
        corpora.popitem(last=False)
    return loaded


def load() -> Loaded:
    """The current corpus: the store's documents tagged by the model, human labels winning."""
    store = get_store()
    seed_if_empty(store)
    tagger = get_tagger(store)
    revision = store.revision()
    key = "|".join((store.url, tagger.model.version, codebook_key(), revision["documents"], revision["labels"], revision["sources"]))
    found = _corpora().get(key)
    if found is not None:
        return found
    model = predictions(store, tagger)
    tagged = with_human_labels(
        (t for sentences in model.documents.values() for t in sentences),
        store.current_labels(), store.boilerplate_overrides(), codebook=tagger.codebook,
    )
    sources = store.sources()
    table = SentenceTable.from_tagged(tagged, sources, tagger.codebook)
    return register(table, tagger.codebook, sources, tagger.model.version, key)


def corpus(key: str) -> Loaded:
    try:
        return _corpora()[key]
    except KeyError:
        raise RuntimeError("the corpus changed while this page was computing; reload the page") from None


# --- cached views: plain arguments in, small tables out ------------------------------------


def _mask(table: SentenceTable, sources: Sequence[str] | None):
    return None if sources is None else table.data["source"].astype(str).isin(list(sources)).to_numpy()


@st.cache_resource(show_spinner="Indexing the words of every sentence (once per corpus)…", max_entries=KEEP_CORPORA)
def term_index_view(key: str) -> TermIndex:
    """Every sentence's term counts, so that a topic's distinctive words need no new pass over its text."""
    return term_index(corpus(key).table)


@st.cache_data(show_spinner=False, max_entries=8)
def overview_view(key: str) -> Comparison:
    """Every topic, every source: coverage, frame mix, stance with intervals, one test per topic."""
    loaded = corpus(key)
    return dataclasses.replace(compare(loaded.table, loaded.codebook), table=None)


@st.cache_data(show_spinner=False, max_entries=8)
def sources_view(key: str) -> pd.DataFrame:
    return source_overview(corpus(key).table)


@st.cache_data(show_spinner=False, max_entries=128)
def stance_view(key: str, topic: str, sources: tuple[str, ...] | None, voice: str) -> Comparison:
    """One topic compared across the chosen sources: stance, frame mix, the test's reading, distinctive terms."""
    loaded = corpus(key)
    table, index, mask = loaded.table, term_index_view(key), _mask(loaded.table, sources)
    if mask is not None:
        table, index = table.select(mask), index.select(mask)
    result = compare(table, loaded.codebook, topic=topic, voice=voice, terms=True, term_index=index)
    return dataclasses.replace(result, table=None)


@st.cache_data(show_spinner=False, max_entries=128)
def columns_view(
    key: str, topic: str, sources: tuple[str, ...] | None, voice: str, frames: tuple[str, ...] | None, min_confidence: float,
    limit: int,
) -> dict[str, pd.DataFrame]:
    """Each chosen source's first ``limit`` sentences on the topic, in document order, filtered by frame and confidence
    (``frame.attrs["total"]``: how many in all)."""
    table = corpus(key).table
    mask = _mask(table, sources)
    return side_by_side(table if mask is None else table.select(mask), topic, voice=voice, frames=frames,
                        min_confidence=min_confidence, limit=limit)


@st.cache_data(show_spinner=False, max_entries=256)
def context_view(key: str, sentence_ids: tuple[str, ...], before: int = 2, after: int = 1) -> dict[str, tuple[list[str], list[str]]]:
    return neighbours(corpus(key).table, sentence_ids, before=before, after=after)


@st.cache_data(show_spinner=False, max_entries=64)
def search_view(
    key: str, text: str, sources: tuple[str, ...] | None, topic: str | None, frame: str | None, speaker: str,
    labelled_by: str, boilerplate: bool, limit: int,
) -> pd.DataFrame:
    return find_sentences(corpus(key).table, text=text, sources=sources, topic=topic, frame=frame, speaker=speaker,
                          labelled_by=labelled_by, boilerplate=boilerplate, limit=limit)


@st.cache_data(show_spinner=False, max_entries=64)
def sentence_view(key: str, sentence_id: str) -> dict | None:
    """One sentence's row (labels, scores, evidence, tone, speaker) as a plain dict."""
    data = corpus(key).table.data
    at = pd.Index(data["sentence_id"]).get_indexer([sentence_id])[0]
    if at < 0:
        return None
    table = corpus(key).table
    row = data.iloc[at]
    topics, frames = table.label_lists(np.array([at]))
    out = {c: row[c] for c in ("sentence_id", "doc_id", "source", "source_name", "path", "index", "paragraph", "text",
                               "primary_frame", "confidence", "labelled_by", "speaker", "speaker_name", "boilerplate",
                               "polarity", "subjectivity", "compound", "scores", "evidence") if c in row}
    out["topics"], out["frames"] = topics[0], frames[0]
    return out


def label_evidence(scores: Mapping[str, float], reasons: Mapping[str, Sequence[str]], names: Mapping[str, str], top: int = 8) -> list[dict]:
    """Rows of a sentence's evidence table: the ``top`` most probable labels, then every label a veto
    took away (at probability 0 it is never among them, and its veto is why it was not given)."""
    shown = sorted(scores, key=scores.get, reverse=True)[:top]
    shown += [k for k in scores if k not in shown and any(w.startswith("veto: ") for w in reasons.get(k, []))]
    return [{"label": names.get(k, k), "probability": scores[k], "cues and features": "; ".join(reasons.get(k, []))} for k in shown]


# --- drawing a sentence ---------------------------------------------------------------------


CSS = """
<style>
.stance-card{border:1px solid #e5e7eb;border-left:4px solid var(--stance-c,#cbd5e1);border-radius:6px;
  padding:.5rem .7rem .45rem;margin:0 0 .55rem;background:#fff}
.stance-meta{color:#6b7280;font-size:.76rem;margin-bottom:.2rem;letter-spacing:.01em}
.stance-text{font-size:.9rem;line-height:1.45;color:#111827}
.stance-focus{font-size:1.02rem;line-height:1.55;color:#111827;font-weight:500}
.stance-near{color:#9ca3af;font-size:.86rem;line-height:1.45;margin:.2rem 0}
.stance-tags{margin-top:.3rem}
.stance-tag{display:inline-block;border-radius:4px;padding:0 .4rem;margin:0 .25rem .2rem 0;font-size:.72rem;line-height:1.3rem;white-space:nowrap}
.stance-topic{display:inline-block;border:1px solid #d1d5db;color:#4b5563;border-radius:4px;padding:0 .35rem;
  margin:0 .25rem .2rem 0;font-size:.7rem;line-height:1.2rem;white-space:nowrap}
.stance-card details{font-size:.76rem;color:#374151;margin-top:.2rem}
.stance-card summary{cursor:pointer;color:#6b7280;display:inline-block;margin-right:.8rem}
.stance-card details[open] summary{color:#111827}
.stance-why li{margin:0}
.stance-thin{color:#b45309;font-weight:600}
.stance-legend .stance-tag{font-size:.74rem}
.stance-terms{font-size:.86rem;line-height:1.5;margin:.1rem 0 .5rem}
.stance-terms b{color:#111827}
.stance-colhead{font-weight:650;font-size:1.02rem;margin:0}
.stance-colmeta{color:#6b7280;font-size:.78rem;margin:0 0 .5rem}
</style>
"""


def inject_css() -> None:
    st.html(CSS)


def esc(text: object) -> str:
    """Document text as inert HTML: tags escaped, and nothing Streamlit's Markdown would read as maths or a break."""
    value = html.escape(str(text if text is not None else ""), quote=True)
    return value.replace("$", "&#36;").replace("\r", " ").replace("\n", " ")


def name_of(codebook: Codebook, label_id: str) -> str:
    try:
        return codebook.label(label_id).name
    except KeyError:
        return label_id


def frame_tag(codebook: Codebook, frame: str, colours: Mapping[str, str], score: float | None = None, primary: bool = False) -> str:
    colour = colours.get(frame, "#9ca3af")
    text = esc(name_of(codebook, frame))
    if score is not None:
        text += f" {score:.2f}"
    weight = ";font-weight:650" if primary else ""
    return f'<span class="stance-tag" style="{tag_style(colour)}{weight}" title="{esc(frame)}">{text}</span>'


def topic_tag(codebook: Codebook, topic: str) -> str:
    return f'<span class="stance-topic" title="{esc(topic)}">{esc(name_of(codebook, topic))}</span>'


def legend(codebook: Codebook, frames: Sequence[str] | None = None) -> str:
    colours = frame_colours(codebook.frame_ids)
    tags = "".join(frame_tag(codebook, f, colours) for f in (frames or codebook.frame_ids))
    return f'<div class="stance-legend">{tags}</div>'


def voice_text(speaker: str, speaker_name: object) -> str:
    if speaker == "quoted":
        return f"quoted: {speaker_name}" if isinstance(speaker_name, str) and speaker_name else "quoted"
    return "author"


def labeller_text(labelled_by: str, confidence: float) -> str:
    if labelled_by.startswith("human:"):
        return f"labelled by {labelled_by[len('human:'):]}"
    if labelled_by == "none":
        return "not labelled (boilerplate)"
    return f"model, confidence {confidence:.2f}"


def card_html(
    row: Mapping,
    codebook: Codebook,
    *,
    context: tuple[Sequence[str], Sequence[str]] | None = None,
    show_topics: Sequence[str] = (),
) -> str:
    """A sentence as a card: where it is, its text, its frames as coloured tags, and on demand its context and evidence.

    ``row`` has the columns of ``side_by_side`` (or ``find_sentences``); all
    its text is escaped. ``show_topics``: topics to show besides the frames.
    """
    colours = frame_colours(codebook.frame_ids)
    frames = list(row.get("frames") or [])
    primary = row.get("primary_frame") if isinstance(row.get("primary_frame"), str) else None
    scores = row.get("scores") or {}
    human = str(row.get("labelled_by", "")).startswith("human:")
    meta = [f"¶{int(row.get('paragraph', 0)) + 1}", esc(voice_text(row.get("speaker", "author"), row.get("speaker_name"))),
            esc(labeller_text(str(row.get("labelled_by", "model")), float(row.get("confidence") or 0.0)))]
    tags = "".join(
        frame_tag(codebook, f, colours, None if human else scores.get(f), primary=(f == primary))
        for f in sorted(frames, key=lambda f: (f != primary, frames.index(f)))
    )
    tags += "".join(topic_tag(codebook, t) for t in row.get("topics") or [] if t in show_topics)
    border = colours.get(primary, "#cbd5e1") if primary else "#cbd5e1"
    parts = [
        f'<div class="stance-card" style="--stance-c:{border}">',
        f'<div class="stance-meta">{" · ".join(meta)}</div>',
        f'<div class="stance-text">{esc(row.get("text", ""))}</div>',
        f'<div class="stance-tags">{tags or "<span class=stance-meta>no frame</span>"}</div>',
    ]
    if context is not None:
        before, after = context
        near = "".join(f'<div class="stance-near">{esc(t)}</div>' for t in before)
        near += f'<div class="stance-text">▶ {esc(row.get("text", ""))}</div>'
        near += "".join(f'<div class="stance-near">{esc(t)}</div>' for t in after)
        parts.append(f"<details><summary>▸ context</summary>{near}</details>")
    reasons = row.get("reasons") or {}
    if reasons or scores:
        items = []
        for label in list(row.get("topics") or []) + frames:
            why = ", ".join(esc(r) for r in reasons.get(label, [])) or "no cue fired; the model's text features"
            p = f" ({scores[label]:.2f})" if label in scores else ""
            items.append(f"<li><b>{esc(name_of(codebook, label))}</b>{p}: {why}</li>")
        who = f"<div>Set by {esc(str(row.get('labelled_by'))[len('human:'):])}; after who gave each label, what the model saw for it:</div>" if human else ""
        parts.append(f'<details><summary>▸ why</summary>{who}<ul class="stance-why">{"".join(items)}</ul></details>')
    parts.append("</div>")
    return "".join(parts)


def show_problem(exc: Exception) -> None:
    """A library error as a message that says what to do (the library's own words)."""
    every = exc.every() if isinstance(exc, StanceError) else [exc]
    st.error("  \n".join(str(e) for e in every), icon=":material/error:")


def annotator() -> str:
    return (st.session_state.get("annotator") or "").strip()


def default_annotator() -> str:
    return os.environ.get("STANCE_ANNOTATOR", "")


def switch_page(page: str) -> None:
    """``st.switch_page`` that keeps the annotator's name.

    Plain ``st.switch_page`` clears the page address's query parameters, which
    Streamlit refuses while the sidebar's name is bound to one ("Cannot clear
    query parameters"). An empty mapping replaces them without that check, and
    the sidebar's box, kept in the session, writes the name back (checked in a
    browser: the address still says ``?annotator=NAME``).
    """
    st.switch_page(page, query_params={})


# --- the annotation queue --------------------------------------------------------------------


def queue(store: Store, tagger: Tagger, model: Predictions, *, topic: str | None, source: str | None, n: int) -> list:
    """The most useful sentences to label next (``stance.active``), scoring what the model has not scored yet.

    The scores are the probabilities the page already has (``predictions``),
    stored once per model, so nothing is tagged twice.
    """
    from stance.active import build_queue, score_store

    label_ids = tagger.codebook.label_ids
    version = tagger.model.version
    todo = store.unscored(version)
    if todo:
        total = max(1, sum(todo.values()))
        holder = st.empty()
        with holder.status(f"Scoring {total:,} sentences for the queue…", expanded=True):
            bar = st.progress(0.0)

            def predict(sentences):
                rows = [model.by_id.get(s.sentence_id) for s in sentences]
                return np.array([[t.scores.get(label, 0.0) if t is not None else 0.0 for label in label_ids] for t in rows],
                                dtype=np.float32).reshape(len(rows), len(label_ids))

            score_store(store, predict, version, label_ids, thresholds=tagger.model.thresholds,
                        progress=lambda done: bar.progress(min(1.0, done / total), text=f"{done:,} of {total:,} sentences"))
        holder.empty()
    return build_queue(store, n, topic=topic, source=source, frame_ids=tagger.codebook.frame_ids, model_version=version)


def fit(chart, *, title: str = ""):
    """A library chart as a page shows it (with ``width="stretch"``): as wide as its column, labels not cut, no title (the page heads it)."""
    return chart.properties(width="container", title=title).configure_axis(labelLimit=260, titleLimit=900)
