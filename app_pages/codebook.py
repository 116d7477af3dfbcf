"""Codebook & model: the labels with their definitions and cues (editable, validated, versioned), and how well they are found."""

import pandas as pd
import streamlit as st

from app_pages import common
from stance.codebook import CodebookError, parse_codebook
from stance.charts import frame_colours
from stance.evaluation import learning_curve
from stance.rules import analyse
from stance.model import ruleset_for
from stance.tagger import store_examples, training_annotations

store = common.get_store()
codebook = common.get_codebook()
tagger = common.get_tagger(store)

st.title("Codebook & model")
st.caption(f"Codebook “{codebook.name}” version {codebook.version} ({codebook.fingerprint or 'built in'}) · "
           f"{len(codebook.topics)} topics, {len(codebook.frames)} frames, {len(codebook.axes)} stance axes · model `{tagger.model.version}`")

labels_tab, edit_tab, model_tab, rules_tab, curve_tab = st.tabs(["Labels", "Edit", "Model", "Cue rules", "Learning curve"])

with labels_tab:
    colours = frame_colours(codebook.frame_ids)
    for title, items in (("Topics", codebook.topics), ("Frames", codebook.frames)):
        st.subheader(title)
        st.dataframe(pd.DataFrame([{
            "id": label.id, "name": label.name, "colour": colours.get(label.id, ""), "description": label.description,
            "cues": len(label.cues), "examples of cues": ", ".join(label.cues[:6]) + (" …" if len(label.cues) > 6 else ""),
            "vetoes": ", ".join(label.negative_cues),
            **({"from context": "yes" if label.from_context else "no: its own words only"} if label.kind == "topic" else {}),
        } for label in items]), hide_index=True, width="stretch", height=35 * (len(items) + 1) + 3,
            column_order=["id", "name", "description", "cues", "examples of cues", "vetoes", "from context"],
            column_config={"description": st.column_config.TextColumn(width="large")})
        if title == "Frames":
            st.markdown(common.legend(codebook), unsafe_allow_html=True)
    if codebook.axes:
        st.subheader("Stance axes")
        for axis in codebook.axes:
            st.markdown(f"- **{common.esc(axis.name)}**: (sentences framed `{axis.positive}` − framed `{axis.negative}`) / framed either, "
                        "from −1 to +1, with a 95% interval")

with edit_tab:
    st.markdown("Edit the codebook as TOML (the format is in the README). It is checked before it is saved; "
                "every saved version is kept in the store, and the model is retrained for it on next use.")
    if st.session_state.get("codebook_saved"):
        st.success(st.session_state.pop("codebook_saved"), icon=":material/check_circle:")
    text = st.text_area("Codebook (TOML)", value=codebook.to_toml(), height=420, key=f"codebook_text-{codebook.fingerprint}")
    c1, c2, _ = st.columns([1, 1, 3])
    check = c1.button("Check", icon=":material/rule:", key="codebook_check")
    save = c2.button("Save as a new version", type="primary", icon=":material/save:", key="codebook_save")
    if check or save:
        try:
            edited = parse_codebook(text, "the edited codebook")
        except CodebookError as exc:
            common.show_problem(exc)
        else:
            if edited == codebook:
                st.info("No change from the codebook in use.", icon=":material/info:")
            elif save and edited.version == codebook.version:
                st.warning(f"Give the new version a new `version` (now “{codebook.version}”), so labels made under each stay told apart.",
                           icon=":material/warning:")
            elif save:
                path = common.data_dir() / common.CODEBOOK_FILE
                path.write_text(text, encoding="utf-8")
                store.record_codebook(parse_codebook(text, str(path)))
                st.session_state["codebook_saved"] = (f"Saved version {edited.version}: {len(edited.topics)} topics, "
                                                      f"{len(edited.frames)} frames. The model is retrained for it.")
                st.rerun()
            else:
                st.success(f"Valid: {len(edited.topics)} topics, {len(edited.frames)} frames, {len(edited.axes)} axes.", icon=":material/check_circle:")
    versions = store.codebooks()
    if versions:
        st.markdown("**Versions recorded in the store**")
        st.dataframe(pd.DataFrame([{k: v[k] for k in ("name", "version", "fingerprint", "recorded_at")} for v in versions]),
                     hide_index=True, width="stretch")

with model_tab:
    card = tagger.model.card
    metrics = card.get("cv_metrics") or {}
    a, b, c = st.columns(3)
    a.metric("Annotations it learned from", card.get("examples", "—"))
    if metrics:
        b.metric("Topic micro-F1", f"{metrics['topics']['micro_f1']:.2f}", help="cross-validated (5 folds)")
        c.metric("Frame macro-F1", f"{metrics['frames']['macro_f1']:.2f}", help="cross-validated (5 folds)")
        st.dataframe(pd.DataFrame([{
            "label": common.name_of(codebook, label), "kind": "topic" if label in codebook.topic_ids else "frame",
            "examples": m["support"], "precision": m["precision"], "recall": m["recall"], "F1": m["f1"],
            "threshold": tagger.model.thresholds.get(label),
        } for label, m in metrics["per_label"].items()]), hide_index=True, width="stretch",
            column_config={c: st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f")
                           for c in ("precision", "recall", "F1")})
    else:
        st.caption("This model has no cross-validated metrics (too few annotations).")
    models = store.models()
    if models:
        st.markdown("**Models trained here** (newest first; retrain on the Annotate page)")
        st.dataframe(pd.DataFrame([{
            "version": m.get("version"), "trained": m.get("trained_at"), "annotations": m.get("examples"),
            "topic micro-F1": (m.get("cv_metrics") or {}).get("topics", {}).get("micro_f1"),
            "frame macro-F1": (m.get("cv_metrics") or {}).get("frames", {}).get("macro_f1"),
        } for m in models]), hide_index=True, width="stretch")


@st.cache_data(show_spinner=False, max_entries=8)
def training_set(codebook_toml: str, labels_revision: str) -> tuple[list, list]:
    """The bundled annotations (seeds/, training/) plus the store's human labels, as (examples, label sets)."""
    book = parse_codebook(codebook_toml, "codebook")
    annotations, _, _ = training_annotations(store, None, book)
    examples, label_sets, _ = store_examples(store, annotations, book)
    return examples, label_sets


@st.cache_data(show_spinner=False, max_entries=8)
def rule_stats(codebook_toml: str, labels_revision: str) -> pd.DataFrame:
    examples, label_sets = training_set(codebook_toml, labels_revision)
    stats = analyse(ruleset_for(codebook_toml), [e.text for e in examples], label_sets)
    return pd.DataFrame([{
        "label": s.label, "cue": s.cue, "vote": "veto" if s.vote < 0 else "for", "hits": s.hits, "coverage": s.coverage,
        "overlaps": s.overlaps, "conflicts": s.conflicts, "accuracy": s.accuracy,
    } for s in stats])


@st.cache_data(show_spinner=False, max_entries=4)
def curve(codebook_toml: str, labels_revision: str) -> pd.DataFrame:
    examples, label_sets = training_set(codebook_toml, labels_revision)
    return pd.DataFrame(learning_curve(parse_codebook(codebook_toml, "codebook"), examples, label_sets))


labels_revision = store.revision()["labels"]
with rules_tab:
    st.caption("Each cue on the annotated sentences (the bundled ones and the store's): where it fires, where it agrees with another "
               "cue, where a veto meets it, and how often the annotators agree with its vote.")
    with st.spinner("Running every cue on the annotated sentences…"):
        stats = rule_stats(codebook.to_toml(), labels_revision)
    label_filter = st.selectbox("Label", [None, *codebook.label_ids], key="rules_label",
                                format_func=lambda x: "every label" if x is None else common.name_of(codebook, x))
    shown = stats if label_filter is None else stats[stats["label"] == label_filter]
    fired = int((shown["hits"] > 0).sum())
    st.caption(f"{len(shown)} cues, {fired} fire at least once; {int((shown['conflicts'] > 0).sum())} meet a veto.")
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "coverage": st.column_config.NumberColumn(format="%.3f"), "overlaps": st.column_config.NumberColumn(format="%.3f"),
        "conflicts": st.column_config.NumberColumn(format="%.3f"),
        "accuracy": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
    })

with curve_tab:
    st.caption("Cross-validated F1 as the number of annotations grows: is labelling more still paying off? At each size the "
               "model learns from a random subset of that many annotations (the cue rules always vote), and every point is "
               "scored on all of them, so the points compare. A flat line: the cues, not the model, give those labels.")
    key = f"curve-{codebook.fingerprint}-{labels_revision}"
    if st.button("Compute the learning curve", icon=":material/show_chart:", key="curve_button") or st.session_state.get(key):
        with st.status("Training on growing subsets of the annotations (5-fold each)…", expanded=False) as status:
            points = curve(codebook.to_toml(), labels_revision)
            status.update(label=f"Learning curve over {int(points['annotations'].max())} annotations", state="complete")
        st.session_state[key] = True
        st.line_chart(points.set_index("annotations")[["topic_micro_f1", "frame_macro_f1"]], height=320)
        st.dataframe(points, hide_index=True)
