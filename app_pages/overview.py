"""Overview: the corpus at a glance — sources, topic coverage, frame mix and stance per source and topic."""

import streamlit as st

from app_pages import common
from stance.charts import coverage_chart, frame_mix_chart, stance_chart

st.title("Overview")
loaded = common.load()
codebook = loaded.codebook
sources = common.sources_view(loaded.key)
comparison = common.overview_view(loaded.key)

st.caption(f"Model `{loaded.model_version}` · codebook “{codebook.name}” version {codebook.version}")
a, b, c, d = st.columns(4)
a.metric("Sources", len(sources))
b.metric("Documents", int(sources["documents"].sum()) if len(sources) else 0)
c.metric("Content sentences", f"{int(sources['content'].sum()) if len(sources) else 0:,}",
         help="Sentences that are not boilerplate (navigation, subscription prompts, comments…); boilerplate is flagged, never deleted.")
d.metric("Labelled by a human", f"{int(sources['human'].sum()) if len(sources) else 0:,}")

st.subheader("Sources")
st.dataframe(
    sources,
    hide_index=True,
    width="stretch",
    column_order=["source", "source_name", "outlet", "kind", "country", "date", "documents", "sentences", "content", "human"],
    column_config={
        "source": st.column_config.TextColumn("id"),
        "source_name": st.column_config.TextColumn("name"),
        "content": st.column_config.NumberColumn("content", help="sentences that are not boilerplate"),
        "human": st.column_config.NumberColumn("by hand", help="sentences labelled by a human"),
    },
)

if not comparison.tests:
    st.info("No sentence is tagged with a topic yet. Add documents on **Sources & export**.", icon=":material/info:")
    st.stop()

left, right = st.columns([5, 4], gap="large")
with left:
    st.subheader("Coverage")
    st.caption("Sentences per topic and source; the colour is the topic's share of the source's content.")
    st.altair_chart(common.fit(coverage_chart(comparison)), width="stretch", theme=None)
with right:
    st.subheader("What differs, topic by topic")
    st.caption("Each topic's difference test (frame mix across sources), in plain words.")
    with st.container(height=380, border=False):
        for topic, test in comparison.tests.items():
            st.markdown(f"**{common.esc(comparison.name_of(topic))}** · {common.esc(test.reading.split(': ', 1)[-1])}")

st.subheader("Stance and frame mix per source and topic")
axes = codebook.axes
axis = axes[0].id if axes else None
if len(axes) > 1:
    axis = st.segmented_control("Stance axis", [a.id for a in axes], default=axes[0].id,
                                format_func=lambda a: comparison.name_of(a), key="overview_axis") or axes[0].id
stance_tab, mix_tab = st.tabs(["Stance index, with 95% intervals", "Frame mix"])
with stance_tab:
    st.caption("Hollow points rest on fewer than 5 sentences (thin): read them in the sentences, not as findings.")
    st.altair_chart(stance_chart(comparison, axis).configure_axis(labelLimit=260), width="content", theme=None)
with mix_tab:
    st.markdown(common.legend(codebook), unsafe_allow_html=True)
    st.altair_chart(frame_mix_chart(comparison).configure_axis(labelLimit=260), width="content", theme=None)
