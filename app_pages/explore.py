"""Explore: every sentence, searchable and filterable; a selected row opens its context and evidence."""

from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common
from stance.compare import VOICES

LIMIT = 5_000  # rows shown at once; the count says how many matched

loaded = common.load()
codebook = loaded.codebook
all_sources = sorted(loaded.sources, key=lambda s: loaded.sources[s].name.lower())
source_name = {s: loaded.sources[s].name or s for s in all_sources}

st.title("Explore")
text = st.text_input("Search the sentences", key="explore_text", persist_state="session",
                     placeholder="words that must all occur, or \"a phrase\" in quotes — e.g. \"export controls\" chips", label_visibility="collapsed")
f1, f2, f3, f4, f5, f6 = st.columns([3, 2.2, 2.2, 1.4, 1.4, 1.9], vertical_alignment="bottom")
chosen = f1.multiselect("Sources", all_sources, format_func=source_name.get, key="explore_sources",
                        persist_state="session", placeholder="all sources")
topic = f2.selectbox("Topic", [None, *codebook.topic_ids], format_func=lambda t: "any topic" if t is None else common.name_of(codebook, t),
                     key="explore_topic", persist_state="session")
frame = f3.selectbox("Frame", [None, *codebook.frame_ids], format_func=lambda f: "any frame" if f is None else common.name_of(codebook, f),
                     key="explore_frame", persist_state="session")
speaker = f4.selectbox("Speaker", VOICES, format_func={"all": "any voice", "author": "author", "quoted": "quoted"}.get,
                       key="explore_speaker", persist_state="session")
labelled_by = f5.selectbox("Labelled by", ["all", "human", "model"], format_func={"all": "anyone", "human": "a human", "model": "the model"}.get,
                           key="explore_labelled", persist_state="session")
boilerplate = f6.toggle("Boilerplate too", key="explore_boilerplate", persist_state="session",
                        help="Also list navigation, subscription prompts, comments… (flagged, never deleted)")

found = common.search_view(loaded.key, text.strip(), tuple(sorted(chosen)) or None, topic, frame, speaker, labelled_by,
                           boilerplate, LIMIT + 1)
more = len(found) > LIMIT
found = found.head(LIMIT)
action, summary = st.columns([1.3, 5], vertical_alignment="center")  # on the left: the grid's hover toolbar sits top right
summary.caption(f"{'More than ' + format(LIMIT, ',') if more else format(len(found), ',')} sentence{'s' if len(found) != 1 else ''}"
                " · select a row to see its context and evidence")
if len(found) and action.button("Annotate these", icon=":material/edit_note:", key="explore_annotate_all", width="stretch",
                                help="Label these sentences one by one, in this order, on the Annotate page (up to 500)."):
    st.session_state["annotate_worklist"] = list(found["sentence_id"][:500])
    common.switch_page("app_pages/annotate.py")

names = {label.id: label.name for label in codebook.labels}
view = pd.DataFrame({
    "source": found["source_name"].where(found["source_name"].astype(bool), found["source"]),
    "¶": found["paragraph"] + 1,
    "sentence": found["text"],
    "topics": [[names.get(t, t) for t in ts] for ts in found["topics"]],
    "frames": [[names.get(f, f) for f in fs] for fs in found["frames"]],
    "confidence": found["confidence"],
    "speaker": [common.voice_text(s, n) for s, n in zip(found["speaker"], found["speaker_name"])],
    "labelled by": [str(b).removeprefix("human:") if str(b).startswith("human:") else str(b) for b in found["labelled_by"]],
})
event = st.dataframe(
    view, hide_index=True, width="stretch", height=420, on_select="rerun", selection_mode="single-row",
    key=f"explore-table-{loaded.key}-{hash((text, tuple(chosen), topic, frame, speaker, labelled_by, boilerplate))}",
    column_order=["source", "¶", "sentence", "frames", "topics", "confidence", "speaker", "labelled by"],
    column_config={
        "source": st.column_config.TextColumn(width="small"),
        "¶": st.column_config.NumberColumn(width=40),
        "sentence": st.column_config.TextColumn(width=520),
        "topics": st.column_config.ListColumn(width="medium"),
        "frames": st.column_config.ListColumn(width="medium"),
        "speaker": st.column_config.TextColumn(width="small"),
        "confidence": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
    },
)

left, right = st.columns([3, 2], gap="large")
picked = event.selection.rows if event is not None else []
if picked:
    sid = found["sentence_id"].iloc[picked[0]]
    row = common.sentence_view(loaded.key, sid)
    if row is not None:
        context = common.context_view(loaded.key, (sid,), 3, 2).get(sid, ([], []))
        with left:
            st.subheader("The sentence in its document")
            src = loaded.sources.get(row["source"])
            st.caption(f"{common.esc(src.name if src else row['source'])} · {common.esc(Path(str(row['path'])).name)} · ¶{int(row['paragraph']) + 1}")
            before = "".join(f"<div class='stance-near'>{common.esc(t)}</div>" for t in context[0])
            after = "".join(f"<div class='stance-near'>{common.esc(t)}</div>" for t in context[1])
            st.markdown(f"<div class='stance-card'>{before}<div class='stance-focus'>{common.esc(row['text'])}</div>{after}</div>",
                        unsafe_allow_html=True)
            scores = row.get("scores") or {}
            reasons = row.get("evidence") or {}
            st.markdown(common.card_html({**row, "reasons": {k: v for k, v in reasons.items()}, "scores": scores},
                                         codebook, show_topics=row["topics"]), unsafe_allow_html=True)
        with right:
            st.subheader("Evidence")
            st.caption(f"{common.labeller_text(str(row['labelled_by']), float(row['confidence']))} · "
                       f"{common.voice_text(row['speaker'], row['speaker_name'])} · tone {float(row['compound']):+.2f}")
            if scores:
                probs = pd.DataFrame(common.label_evidence(scores, reasons, names))
                # A table that wraps its text: in this half of the page a grid cut the cues and features to a sliver.
                st.table(probs.assign(probability=probs["probability"].map("{:.2f}".format)).set_index("label"))
            if st.button("Annotate this sentence", icon=":material/edit:", type="primary", key="explore_annotate_one"):
                st.session_state["annotate_worklist"] = [sid]
                common.switch_page("app_pages/annotate.py")
