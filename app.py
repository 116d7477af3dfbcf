"""The stance dashboard: navigation and session setup only; each page is a file in ``app_pages/``.

Run with ``make app``. The store is ``$STANCE_DB`` (default: ``stance.db`` in
the per-user data folder); on first run the bundled seeds are read into it,
so every page works with zero configuration.
"""

from pathlib import Path

import streamlit as st

from app_pages import common

HERE = Path(__file__).parent

st.set_page_config(page_title="stance", page_icon=":material/compare_arrows:", layout="wide")
common.inject_css()

pages = [
    st.Page(HERE / "app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page(HERE / "app_pages/compare.py", title="Compare", icon=":material/view_column:"),
    st.Page(HERE / "app_pages/explore.py", title="Explore", icon=":material/search:"),
    st.Page(HERE / "app_pages/annotate.py", title="Annotate", icon=":material/edit_note:"),
    st.Page(HERE / "app_pages/codebook.py", title="Codebook & model", icon=":material/menu_book:"),
    st.Page(HERE / "app_pages/sources.py", title="Sources & export", icon=":material/folder_open:"),
]
page = st.navigation(pages)

try:
    store = common.get_store()
    common.seed_if_empty(store)
except Exception as exc:  # a bad STANCE_DB: say so on every page instead of a traceback
    common.show_problem(exc)
    st.stop()

with st.sidebar:
    st.text_input(
        "Annotator", value=common.default_annotator(), key="annotator", bind="query-params", persist_state="session",
        placeholder="your name", help="Recorded with every label you save (remembered in the page address).",
    )
    st.caption(f"Store: `{store.where.removeprefix('sqlite:///')}`")

page.run()
