"""The stance dashboard: the bundled seeds' sources and sentence counts.

Run with `make app`. The page only presents; the library does the work.
"""

import pandas as pd
import streamlit as st

from stance.segment import source_summary

st.set_page_config(page_title="stance", layout="wide")


@st.cache_data(show_spinner="Reading the documents…")
def _summary() -> tuple[list[dict], list[str]]:
    rows, corpus = source_summary()
    return rows, [str(p) for p in corpus.problems]


st.title("stance — how do sources frame a topic?")
rows, problems = _summary()
st.caption("The bundled seeds: a Belgian author's newsletter, MERICS, and a Chinese outlet's newsletter.")
st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
for problem in problems:
    st.warning(problem)
