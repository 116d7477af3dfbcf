"""Annotate: one sentence at a time, most useful first, the model's labels pre-filled.

Accepting the model's labels is one click (or Ctrl+Enter); every answer is
in the store the moment it is saved, and the page moves on at once.
"""

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from app_pages import common
from stance.agreement import store_agreement
from stance.annotations import Annotation
from stance.tagger import retrain

QUEUE_SIZE = 50


@st.cache_data(show_spinner=False, max_entries=4)
def agreement_table(url: str, labels_revision: str, codebook_toml: str) -> pd.DataFrame | None:
    """The agreement per label, once per state of the labels: it reads every decision (seconds on a
    store of tens of thousands of labelled sentences), and the page reruns on every click."""
    report = store_agreement(store, codebook=codebook)
    if len(report.annotators) < 2:
        return None
    table = pd.DataFrame(report.rows())
    scores = [c for c in table.columns if c == "alpha" or c.startswith("kappa ")]
    table[scores] = table[scores].apply(pd.to_numeric, errors="coerce")  # undefined ("") shows empty, not as a mixed column Arrow refuses
    return table

store = common.get_store()
tagger = common.get_tagger(store)
codebook = tagger.codebook
model = common.predictions(store, tagger)
me = common.annotator()
ss = st.session_state
sources = store.sources()

st.title("Annotate")
if not me:
    st.warning("Type your name under **Annotator** in the sidebar: it is recorded with every label you save.",
               icon=":material/badge:")

# --- which sentences: the queue, or a list chosen on Explore -----------------------------------
worklist = ss.get("annotate_worklist")
if worklist:
    top_left, top_right = st.columns([4, 1], vertical_alignment="center")
    top_left.info(f"Annotating {len(worklist)} sentence{'s' if len(worklist) != 1 else ''} chosen on Explore.", icon=":material/list:")
    if top_right.button("Back to the queue", key="annotate_leave_worklist"):
        del ss["annotate_worklist"]
        ss.pop("annotate_pos", None)
        st.rerun()
    ids, mode = list(worklist), f"worklist-{hash(tuple(worklist))}"
else:
    c1, c2, c3 = st.columns([3, 3, 2], vertical_alignment="bottom")
    focus_topic = c1.selectbox("Focus on a topic", [None, *codebook.topic_ids], key="annotate_topic", persist_state="session",
                               format_func=lambda t: "every topic" if t is None else common.name_of(codebook, t),
                               help="Sentences the model is unsure belong to the topic, or unsure how they are framed.")
    focus_source = c2.selectbox("Source", [None, *sorted(sources)], key="annotate_source", persist_state="session",
                                format_func=lambda s: "every source (taking turns)" if s is None else sources[s].name or s)
    fresh = c3.button("New queue", icon=":material/refresh:", help="Pick again, leaving out what was labelled since.")
    mode = f"queue-{tagger.model.version}-{focus_topic}-{focus_source}"
    if fresh or ss.get("annotate_queue_mode") != mode:
        ss["annotate_queue"] = [item.sentence_id for item in
                                common.queue(store, tagger, model, topic=focus_topic, source=focus_source, n=QUEUE_SIZE)]
        ss["annotate_queue_mode"] = mode
        ss["annotate_pos"] = 0
    ids = ss["annotate_queue"]
if ss.get("annotate_mode") != mode:
    ss["annotate_mode"], ss["annotate_pos"] = mode, 0
pos = min(ss.get("annotate_pos", 0), len(ids))

if ss.pop("annotate_saved", None):
    st.toast(ss.pop("annotate_saved_text", "Saved"), icon=":material/check_circle:")

if not ids:
    st.success("Nothing to annotate: every stored sentence is labelled or boilerplate.", icon=":material/task_alt:")
elif pos >= len(ids):
    st.success(f"Done: {'the one sentence' if len(ids) == 1 else f'all {len(ids)} sentences'} of this list {'is' if len(ids) == 1 else 'are'} behind you.", icon=":material/task_alt:")
    if st.button("Back to the first one", key="annotate_restart"):
        ss["annotate_pos"] = 0
        st.rerun()
else:
    sid = ids[pos]
    t = model.by_id.get(sid)
    st.progress((pos + 1) / len(ids), text=(f"Sentence {pos + 1} of {len(ids)}" +
                ("" if worklist else " · most useful first: the model is least sure of these; sources take turns")))
    if t is None:
        st.warning("This sentence is no longer in the store (its document changed).")
    else:
        human = store.current_labels().get(sid)
        # a person's boilerplate mark (or "content after all") wins over the automatic flag, here as everywhere
        is_boilerplate = store.boilerplate_overrides().get(sid, t.boilerplate)
        doc = model.documents.get(t.doc_id, [])
        at = next((i for i, s in enumerate(doc) if s.sentence_id == sid), 0)
        before = [s.text for s in doc[:at] if not s.boilerplate][-2:]
        after = [s.text for s in doc[at + 1:] if not s.boilerplate][:2]
        src = sources.get(t.source)
        where = " · ".join(x for x in (src.name if src else t.source, src.date if src else "", t.path.rsplit("/", 1)[-1],
                                       f"¶{t.paragraph + 1}") if x)
        near_before = "".join(f"<div class='stance-near'>{common.esc(x)}</div>" for x in before)
        near_after = "".join(f"<div class='stance-near'>{common.esc(x)}</div>" for x in after)
        st.markdown(
            f"<div class='stance-card' style='--stance-c:#4e79a7'><div class='stance-meta'>{common.esc(where)}</div>"
            f"{near_before}<div class='stance-focus'>▶ {common.esc(t.text)}</div>{near_after}</div>",
            unsafe_allow_html=True,
        )
        if human is not None:
            st.caption(f"Already labelled by {human.annotator}: the form shows the current labels.")

        start_topics = list(human.topics if human else t.topics)
        start_frames = list(human.frames if human else t.frames)
        start_primary = human.primary_frame if human else t.primary_frame

        def option(label: str) -> str:
            p = t.scores.get(label)
            return common.name_of(codebook, label) + (f" · {p:.2f}" if p is not None else "")

        topics = st.pills("Topics", codebook.topic_ids, selection_mode="multi", default=start_topics, format_func=option,
                          key=f"ann-topics-{sid}")
        frames = st.pills("Frames", codebook.frame_ids, selection_mode="multi", default=start_frames, format_func=option,
                          key=f"ann-frames-{sid}")
        st.markdown(common.legend(codebook, frames) if frames else "", unsafe_allow_html=True)
        primary_options = [None, *frames]
        # the primary frame chosen here stays chosen while frames are added or removed (the radio is redrawn for each set)
        chosen_primary = ss.get(f"ann-primary-choice-{sid}", start_primary)
        primary = st.radio("Primary frame", primary_options, horizontal=True,
                           index=primary_options.index(chosen_primary) if chosen_primary in primary_options else min(1, len(frames)),
                           format_func=lambda f: "none" if f is None else common.name_of(codebook, f),
                           key=f"ann-primary-{sid}-{'-'.join(frames)}")
        ss[f"ann-primary-choice-{sid}"] = primary
        c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
        boilerplate = c1.checkbox("Boilerplate", value=is_boilerplate, key=f"ann-boiler-{sid}",
                                  help="Navigation, a subscription prompt, a comment…: no topic, no frame.")
        note = c2.text_input("Note", value=human.note if human else "", key=f"ann-note-{sid}", placeholder="optional: why, or what to discuss")

        unchanged = (set(topics) == set(t.topics) and set(frames) == set(t.frames) and primary == t.primary_frame
                     and boilerplate == is_boilerplate and human is None)
        b1, b2, b3, b4 = st.columns([2.2, 1, 1, 3], vertical_alignment="center")
        save = b1.button("Accept and next" if unchanged else "Save and next", type="primary", icon=":material/check:",
                         shortcut="Ctrl+Enter", disabled=not me, key="annotate_save", width="stretch",
                         help="Saves these labels to the store at once and shows the next sentence (Ctrl+Enter).")
        skip = b2.button("Skip", key="annotate_skip", width="stretch")
        back = b3.button("Previous", icon=":material/arrow_back:", key="annotate_back", disabled=pos == 0, width="stretch")
        if save:
            try:
                if boilerplate:
                    store.mark_boilerplate(sid, True, annotator=me, note=note)
                else:
                    if is_boilerplate:  # a human says this flagged (or marked) line is content after all
                        store.mark_boilerplate(sid, False, annotator=me, note=note)
                    store.annotate(Annotation(t.text, tuple(topics), tuple(frames), primary if primary in frames else None,
                                              sid, t.source, me, note), codebook=codebook)
            except Exception as exc:  # a store that cannot be written: say so, keep the answer on screen
                common.show_problem(exc)
                st.stop()
            ss["annotate_pos"] = pos + 1
            ss["annotate_saved"] = True
            ss["annotate_saved_text"] = f"Saved: {t.text[:60]}…" if len(t.text) > 60 else f"Saved: {t.text}"
            st.rerun()
        if skip:
            ss["annotate_pos"] = pos + 1
            st.rerun()
        if back:
            ss["annotate_pos"] = pos - 1
            st.rerun()

# --- progress and the model -------------------------------------------------------------------
st.divider()
today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
card = tagger.model.card
trained = card.get("trained_at")
since = None
if trained and tagger.model.version in {m.get("version") for m in store.models()}:  # else it learned none of the store's labels
    try:
        since = datetime.strptime(trained, "%Y-%m-%dT%H:%M:%S%z").astimezone(timezone.utc).isoformat()
    except ValueError:
        since = None
m1, m2, m3, m4 = st.columns([1, 1, 1, 1.4], vertical_alignment="center")
m1.metric(f"You{f' ({me})' if me else ''}, today", store.labelled_count(annotator=me, since=today) if me else 0,
          help="sentences you labelled today (UTC)")
m2.metric("Labelled by humans", store.labelled_count())
fresh = store.labelled_count(since=since) if since else store.labelled_count()
m3.metric("New since the model was trained", fresh, help=f"model {tagger.model.version}, trained on {card.get('examples', '?')} annotations")
with m4:
    metrics = card.get("cv_metrics") or {}
    if metrics:
        st.caption(f"Model `{tagger.model.version}` · cross-validated topic micro-F1 {metrics['topics']['micro_f1']:.2f}, "
                   f"frame macro-F1 {metrics['frames']['macro_f1']:.2f}")
    if st.button("Retrain now", icon=":material/model_training:", key="annotate_retrain", disabled=not fresh,
                 help="Train on the bundled annotations (seeds and training set) plus every human label in the store; the new model tags everything."
                 if fresh else "Nothing new to learn: no sentence was labelled since this model was trained."):
        old = dict(card)
        with st.status("Retraining on the bundled annotations and the store's human labels…", expanded=True) as status:
            st.write("Training with 5-fold cross-validation (to choose thresholds and measure the model)…")
            try:
                new = retrain(store, common.data_dir() / "models", common.codebook_path())
            except Exception as exc:
                status.update(label="Retraining failed", state="error")
                common.show_problem(exc)
                st.stop()
            status.update(label=f"Retrained: model {new.version} on {new.card.get('examples')} annotations", state="complete", expanded=False)
        ss["annotate_retrained"] = {"old": old, "new": dict(new.card)}
        st.rerun()

retrained = ss.get("annotate_retrained")
if retrained:
    old, new = retrained["old"].get("cv_metrics") or {}, retrained["new"].get("cv_metrics") or {}
    st.subheader("The new model against the old")
    st.caption(f"{retrained['old'].get('version')} ({retrained['old'].get('examples')} annotations) → "
               f"{retrained['new'].get('version')} ({retrained['new'].get('examples')} annotations); cross-validated on each model's own annotations.")
    if old and new:
        k1, k2 = st.columns(2)
        for column, kind, figure, title in ((k1, "topics", "micro_f1", "Topic micro-F1"), (k2, "frames", "macro_f1", "Frame macro-F1")):
            column.metric(title, f"{new[kind][figure]:.3f}", f"{new[kind][figure] - old[kind][figure]:+.3f}")
        rows = [{"label": common.name_of(codebook, label), "F1 before": old["per_label"].get(label, {}).get("f1"),
                 "F1 now": m["f1"], "change": m["f1"] - old["per_label"].get(label, {}).get("f1", 0.0), "examples now": m["support"]}
                for label, m in new["per_label"].items()]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("F1 before", "F1 now")} |
                     {"change": st.column_config.NumberColumn(format="%+.2f")})

# --- disagreements ---------------------------------------------------------------------------
conflicts = store.conflicts()
open_conflicts = [c for c in conflicts if c.adjudicated is None]
with st.expander(f"Disagreements to adjudicate: {len(open_conflicts)} open, {len(conflicts) - len(open_conflicts)} settled",
                 icon=":material/gavel:"):
    if not conflicts:
        st.caption("Annotators agree on every sentence two of them labelled.")
    else:
        st.dataframe(pd.DataFrame([{
            "sentence": c.text, "source": c.source, "kind": c.kind.replace("_", " "),
            "said": "; ".join(f"{who}: {', '.join(v) or '—'}" for who, v in sorted(c.by_annotator.items())),
            "adjudicated": "" if c.adjudicated is None else f"{c.adjudicator}: {', '.join(c.adjudicated) or '—'}",
        } for c in conflicts]), hide_index=True, width="stretch", column_config={"sentence": st.column_config.TextColumn(width="large")})
        if open_conflicts:
            pick = st.selectbox("Adjudicate", range(len(open_conflicts)), key="annotate_conflict",
                                format_func=lambda i: f"{open_conflicts[i].kind.replace('_', ' ')}: {open_conflicts[i].text[:90]}")
            c = open_conflicts[pick]
            offered = sorted({label for v in c.by_annotator.values() for label in v})
            allowed = codebook.topic_ids if c.kind == "topics" else codebook.frame_ids
            if c.kind == "primary_frame":  # one of the frames that count: a primary frame outside them would not hold
                standing = store.current_labels()[c.sentence_id].frames
                offered, allowed = [f for f in offered if f in standing], standing
                st.caption(f"The primary frame is one of the frames that count: {', '.join(common.name_of(codebook, f) for f in standing) or 'none yet'}"
                           " (settle the frames first if they are in dispute).")
            agreed = sorted(set.intersection(*(set(v) for v in c.by_annotator.values())))  # what every annotator gave stands unless unpicked
            single = c.kind == "primary_frame"
            ruling = st.pills("The labels that count", list(dict.fromkeys([*offered, *allowed])),
                              selection_mode="single" if single else "multi", default=None if single else agreed,
                              format_func=lambda label: common.name_of(codebook, label), key=f"adjudicate-{c.sentence_id}-{c.kind}")
            if st.button("Save the adjudication", disabled=not me, key="annotate_adjudicate"):
                labels = ([ruling] if ruling else []) if c.kind == "primary_frame" else list(ruling or [])
                store.add_event(c.sentence_id, c.kind, labels, annotator=me, adjudication=True,
                                codebook_version=store.record_codebook(codebook))
                st.rerun()
    table = agreement_table(store.url, store.revision()["labels"], codebook.to_toml())
    if table is not None:
        st.markdown("**Agreement per label** (Cohen's kappa per pair, Krippendorff's alpha over all)")
        st.dataframe(table, hide_index=True, width="stretch")
