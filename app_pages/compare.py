"""Compare: how do the sources frame one topic? The numbers above, the sentences behind them side by side.

Every number is a door: selecting a source's row in the stance table, or a
bar segment of the frame mix, narrows the columns below to exactly the
sentences behind it.
"""

import altair as alt
import streamlit as st

from app_pages import common
from stance.charts import frame_mix_chart, stance_chart
from stance.compare import THIN, VOICES

PAGE = 12  # sentences per column before "show more"
PER_ROW = 4  # columns per row of the side-by-side view

loaded = common.load()
codebook = loaded.codebook
topics = list(dict.fromkeys([*codebook.topic_ids, *loaded.table.topics]))
all_sources = sorted(loaded.sources)  # by id, the comparison's order of groups: the pills, tables, charts and columns agree
source_name = {s: loaded.sources[s].name or s for s in all_sources}

st.title("Compare")
if not topics or not all_sources:
    st.info("Nothing to compare yet: add documents on **Sources & export**.", icon=":material/info:")
    st.stop()

f1, f2, f3 = st.columns([3, 6, 2.6], vertical_alignment="bottom")
topic = f1.selectbox(
    "Topic", topics, index=topics.index(common.DEFAULT_TOPIC) if common.DEFAULT_TOPIC in topics else 0,
    format_func=lambda t: common.name_of(codebook, t), key="compare_topic", persist_state="session",
)
chosen = f2.pills("Sources", all_sources, selection_mode="multi", default=all_sources, format_func=source_name.get,
                  key="compare_sources", persist_state="session") or []
voice = f3.segmented_control("Voice", VOICES, default="all", required=True, key="compare_voice", persist_state="session",
                             format_func={"all": "All", "author": "Author", "quoted": "Quoted"}.get,
                             help="Author: the source's own voice. Quoted: the people it quotes.") or "all"
g1, g2, g3 = st.columns([6, 2.6, 3], vertical_alignment="bottom")
frame_filter = g1.multiselect("Frames", codebook.frame_ids, format_func=lambda f: common.name_of(codebook, f),
                              key="compare_frames", persist_state="session", placeholder="all frames",
                              help="Show only sentences with one of these frames (the statistics use every sentence).")
min_confidence = g2.slider("Min. confidence", 0.0, 1.0, 0.0, 0.05, key="compare_confidence", persist_state="session",
                           help="Hide sentences the model labelled with less confidence. Human labels are always shown.")
axes = codebook.axes
axis = axes[0] if axes else None
if len(axes) > 1:
    axis_id = g3.selectbox("Stance axis", [a.id for a in axes], key="compare_axis", persist_state="session",
                           format_func=lambda a: next(x.name for x in axes if x.id == a))
    axis = next(a for a in axes if a.id == axis_id)

if not chosen:
    st.info("Choose at least one source.", icon=":material/info:")
    st.stop()
sources = None if set(chosen) == set(all_sources) else tuple(sorted(chosen))
comparison = common.stance_view(loaded.key, topic, sources, voice)
state = f"{topic}-{voice}-{'+'.join(sources or ('all',))}"  # selections belong to one view

label = codebook.label(topic) if topic in codebook.topic_ids else None
st.subheader(common.name_of(codebook, topic))
if label is not None and label.description:
    st.caption(label.description)

cells = comparison.cells
total = int(cells["n"].sum()) if len(cells) else 0
if total == 0:
    st.info(f"None of the chosen sources has a sentence on {common.name_of(codebook, topic)}"
            f"{'' if voice == 'all' else ' in that voice'}.", icon=":material/info:")
    st.stop()

# --- stance ------------------------------------------------------------------------------------
focus_group, focus_frames, focus_note = None, None, ""
if axis is not None:
    chart_col, table_col = st.columns([5, 6], gap="large")
    with chart_col:
        st.markdown(f"**Stance** — {common.esc(axis.name)}, with 95% intervals")
        st.altair_chart(common.fit(stance_chart(comparison, axis.id)), width="stretch", theme=None)
    with table_col:
        rows = []
        for r in cells.to_dict("records"):
            n = r[f"stance.{axis.id}.n"]
            note = "none framed" if n == 0 else f"thin (n < {THIN})" if n < THIN else ""
            index = r[f"stance.{axis.id}.index"]
            rows.append({
                "group": r["group"], "source": r["group_name"], "index": f"{index:+.2f}" if n else "—",
                "interval": f"[{r[f'stance.{axis.id}.low']:+.2f}, {r[f'stance.{axis.id}.high']:+.2f}]" if n else "—",
                "framed either": n, "on the topic": r["n"], "note": note,
            })
        event = st.dataframe(
            rows, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key=f"stance-{state}",
            column_order=["source", "index", "interval", "framed either", "note"],
            column_config={
                "source": st.column_config.TextColumn(width=130),
                "index": st.column_config.TextColumn("stance", width=60,
                                                     help=f"{axis.name}: +1 all {axis.positive}, −1 all {axis.negative}"),
                "interval": st.column_config.TextColumn("95% interval", width=115),
                "framed either": st.column_config.NumberColumn("n", width=40, help=f"sentences framed {axis.positive} or {axis.negative}"),
                "note": st.column_config.TextColumn("note", width=110),
            },
        )
        st.caption("Select a row to see the sentences behind its number; where it is thin, read them rather than the number.")
        picked = event.selection.rows if event is not None else []
        if picked:
            row = rows[picked[0]]
            focus_group, focus_frames = row["group"], (axis.positive, axis.negative)
test = comparison.tests.get(topic)
if test is not None:
    st.info(test.reading, icon=":material/lightbulb:")

# --- frame mix and distinctive terms -----------------------------------------------------------
mix_col, terms_col = st.columns([5, 6], gap="large")
with mix_col:
    pick = alt.selection_point(name="frame_pick", fields=["frame"])
    st.markdown("**Frame mix** — each frame's share of the frame labels")
    chart = frame_mix_chart(comparison).add_params(pick).encode(opacity=alt.when(pick).then(alt.value(1.0)).otherwise(alt.value(0.35)))
    chart.encoding.color.legend = None  # the coloured frame tags below are the legend
    mix = st.altair_chart(common.fit(chart), width="stretch", theme=None, on_select="rerun", selection_mode="frame_pick", key=f"mix-{state}")
    clicked = (mix.selection.get("frame_pick") or []) if mix is not None else []
    by_name = {comparison.name_of(f): f for f in comparison.frames}
    clicked_frames = tuple(by_name[c["frame"]] for c in clicked if c.get("frame") in by_name)
    if clicked_frames:
        focus_frames = clicked_frames
    st.caption("Click a bar segment to see the sentences with that frame.")
with terms_col:
    st.markdown("**Distinctive words** — each source against the others on this topic")
    terms = comparison.terms
    lines = []
    for group in comparison.groups:
        found = terms[terms["group"] == group] if terms is not None and len(terms) else []
        words = " · ".join(common.esc(t) for t in list(found["term"])[:10]) if len(found) else "<i>too few sentences to tell</i>"
        lines.append(f"<div class='stance-terms'><b>{common.esc(comparison.group_names.get(group, group))}</b>: {words}</div>")
    st.markdown("".join(lines), unsafe_allow_html=True)

# --- the sentences, side by side ----------------------------------------------------------------
frames = focus_frames if focus_frames else (tuple(frame_filter) if frame_filter else None)
if focus_frames:
    focus_note = ((f"{comparison.group_names.get(focus_group, focus_group)}'s sentences" if focus_group else "the sentences")
                  + " framed " + " or ".join(common.name_of(codebook, f) for f in focus_frames))
limit = st.session_state.get(f"compare_more-{state}", PAGE)
columns = common.columns_view(loaded.key, topic, sources, voice, frames, float(min_confidence), limit)
groups = [g for g in comparison.groups if focus_group in (None, g)]

st.divider()
head, legend = st.columns([2, 5], vertical_alignment="center")
head.markdown("**The sentences, in document order**")
legend.markdown(common.legend(codebook), unsafe_allow_html=True)
if focus_note:
    st.caption(f"Showing {focus_note}. Clear the selection above to see every sentence.")
elif frames or min_confidence > 0:
    st.caption("Filtered by " + " and ".join(
        part for part in (("frame: " + ", ".join(common.name_of(codebook, f) for f in frames)) if frames else "",
                          f"confidence ≥ {min_confidence:.2f}" if min_confidence > 0 else "") if part) + ".")

context = common.context_view(loaded.key, tuple(sid for g in groups if g in columns for sid in columns[g]["sentence_id"]))
n_on_topic = dict(zip(cells["group"], cells["n"]))
for start in range(0, len(groups), PER_ROW):
    row_groups = groups[start:start + PER_ROW]
    for group, column in zip(row_groups, st.columns(max(len(row_groups), min(len(groups), PER_ROW)), gap="medium")):
        with column:
            src = loaded.sources.get(group)
            meta = " · ".join(x for x in (src.kind, src.country, src.date) if x) if src else ""
            df = columns.get(group)
            n = 0 if df is None else df.attrs.get("total", len(df))
            topic_n = int(n_on_topic.get(group, 0))
            count = f"{n} of {topic_n} sentences" if n != topic_n else f"{topic_n} sentence{'s' if topic_n != 1 else ''}"
            thin = f" · <span class='stance-thin'>thin: fewer than {THIN}</span>" if 0 < topic_n < THIN else ""
            st.markdown(
                f"<p class='stance-colhead'>{common.esc(comparison.group_names.get(group, group))}</p>"
                f"<p class='stance-colmeta'>{common.esc(meta)}<br>{count} on this topic{thin}</p>",
                unsafe_allow_html=True,
            )
            if n == 0:
                st.caption("No sentence here with these filters.")
            for row in df.to_dict("records") if n else []:
                st.markdown(common.card_html(row, codebook, context=context.get(row["sentence_id"])), unsafe_allow_html=True)

if any(g in columns and columns[g].attrs.get("total", 0) > limit for g in groups):
    if st.button(f"Show {PAGE} more in each column", icon=":material/expand_more:", key=f"more-button-{state}"):
        st.session_state[f"compare_more-{state}"] = limit + PAGE
        st.rerun()
