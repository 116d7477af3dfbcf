"""The dashboard renders on the bundled seeds (Streamlit AppTest)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_app_shows_the_seed_sources_and_counts():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(frame["source"]) == {"coppens", "merics", "outlet"}
    assert (frame["sentences"] > 0).all()
