"""The dashboard in a real browser: `streamlit run app.py` driven by headless Chromium (Playwright).

The test starts the app on a free port with its own store and the test run's
model cache, opens Compare, picks export controls, checks that the three
seed sources stand side by side with their sentences, saves a screenshot to
``artifacts/``, annotates one sentence on Annotate and finds it in the store,
then stops the server it started. It uses the system Chromium, installing it
with apt-get when it is missing, and skips (saying why) only when it cannot.
"""

from __future__ import annotations

import os
import signal
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from stance.store import open_store
from system_chromium import CHROMIUM, system_chromium

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SOURCES = ("Pascal Coppens", "MERICS", "Chinese outlet")
FIRST_LOAD_S = 600  # on a cold cache the default model is trained first, on a shared machine
ANNOTATOR = "browser-tester"


def chromium() -> str:
    """The system Chromium, installed with apt-get if missing; skip only when that is impossible."""
    path, reason = system_chromium()
    if path is None:
        pytest.skip(f"no browser for the real-browser test: {CHROMIUM} is missing and {reason}")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    db: Path
    log: Path
    process: subprocess.Popen


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free port with a fresh store; stopped (and only it) at the end."""
    pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed (pip install -e '.[dev]')")
    folder = tmp_path_factory.mktemp("browser")
    db = folder / "stance.db"
    port = free_port()
    env = {**os.environ, "STANCE_DB": str(db), "STANCE_CACHE": str(tmp_path_factory.getbasetemp().parent / "stance-cache"),
           "PYTHONUNBUFFERED": "1"}
    env.pop("STANCE_ANNOTATOR", None)
    log = open(folder / "server.log", "w")
    # -X faulthandler: on a failure the test asks the server for every thread's stack (SIGABRT), to tell a hang from a slow page
    process = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],  # .streamlit/config.toml as `make app` reads it
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.time() > deadline:
                raise AssertionError(f"the app did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield Server(url, db, folder / "server.log", process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        dialogs: list[str] = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.dialogs = dialogs
        yield tab
        context.close()
        browser.close()


def wait_idle(tab, timeout_s: float = FIRST_LOAD_S) -> None:
    """Until the script has finished running (Streamlit's running indicator is gone)."""
    deadline = time.time() + timeout_s
    time.sleep(0.5)
    while tab.locator("[data-testid='stStatusWidget']").count() and time.time() < deadline:
        time.sleep(0.5)


@contextmanager
def explained_on_failure(tab, server: Server):
    """A failure says what the page showed and where the server's threads were, not only which wait timed out."""
    try:
        yield
    except Exception as error:
        try:
            shown = tab.locator("[data-testid='stMain']").inner_text(timeout=5_000)
            tab.screenshot(path=str(ARTIFACTS / "failure.png"), full_page=True)
        except Exception as unavailable:  # the page itself may be gone
            shown = f"(the page could not be read: {unavailable})"
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGABRT)  # faulthandler writes every thread's stack to the log
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        # the stacks that matter: threads in the app's code or Streamlit's script runner, not idle workers
        blocks = server.log.read_text(encoding="utf-8", errors="replace").split("\n\n")
        log = "\n\n".join(b for b in blocks if not b.startswith(("Thread 0x", "Extension modules:"))
                           or any(part in b for part in ("app_pages", "/stance/", "scriptrunner")))
        raise AssertionError(f"{error}\n--- the page showed:\n{shown[:2000]}\n--- the server logged:\n{log[-8000:]}") from error


def shoot(tab, name: str, heading: str) -> None:
    """The whole page as a test artifact (Streamlit scrolls inside the page, so the window is made tall for it)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = tab.viewport_size
    tab.set_viewport_size({"width": size["width"], "height": 3000})
    tab.get_by_role("heading", name=heading).scroll_into_view_if_needed()
    time.sleep(1)  # charts redraw at the new size
    tab.screenshot(path=str(ARTIFACTS / name), full_page=True)
    tab.set_viewport_size(size)


STALE = "Deferred file"  # Streamlit's log when a click reaches a download the script has since dropped


def download_of(page, button: str) -> str:
    """The path of the file a download button gives, on the first click. (A download button
    that reran the script dropped the files of the others: a click on one of them then gave
    nothing, and Streamlit logged a traceback. They are drawn with on_click="ignore".)"""
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name=button).click()
    return download.value.path()


def test_compare_shows_the_three_sources_side_by_side_and_annotate_saves_to_the_store(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    with explained_on_failure(page, server):
        compare_then_annotate(server.url, server.db, server.log, page)
    logged = server.log.read_text(encoding="utf-8", errors="replace")
    # The watcher polls the app's own files (.streamlit/config.toml): Streamlit's default one
    # watches the whole folder, .venv included, and logs "Inotify queue overflowed" by the hundred.
    assert "Inotify" not in logged and "Traceback" not in logged, logged[-3000:]


def compare_then_annotate(url: str, db: Path, log: Path, page) -> None:
    page.goto(f"{url}/compare")
    page.get_by_role("heading", name="Compare").wait_for(timeout=FIRST_LOAD_S * 1000)
    wait_idle(page)

    # pick the topic in the drop-down: another first, then export controls
    def pick_topic(name: str) -> None:
        page.get_by_test_id("stSelectbox").filter(has_text="Topic").click()
        page.get_by_role("option", name=name, exact=True).click()
        page.get_by_role("heading", name=name).wait_for()
        wait_idle(page)

    pick_topic("Trade & tariffs")
    pick_topic("Export controls & tech restrictions")

    for name in SOURCES:
        column = page.get_by_test_id("stColumn").filter(has=page.locator(".stance-colhead", has_text=name)).last
        column.locator(".stance-card").first.wait_for()
        assert column.locator(".stance-card").count() >= 1, name
        assert column.locator(".stance-card .stance-text").first.inner_text().strip()
    merics = page.get_by_test_id("stColumn").filter(has=page.locator(".stance-colhead", has_text="MERICS")).last
    assert "export controls" in merics.inner_text().lower()
    assert merics.locator(".stance-tag").count() >= 1  # frames as coloured tags
    card = merics.locator(".stance-card").first
    card.get_by_text("▸ why").click()  # the evidence opens in place, without a rerun
    assert card.locator(".stance-why li").first.is_visible()
    shoot(page, "compare-export-controls.png", "Compare")

    # annotate one sentence: the name goes in the sidebar (and stays there from page to page),
    # the model's labels are accepted
    name = page.get_by_test_id("stSidebar").get_by_label("Annotator", exact=True)
    name.fill(ANNOTATOR)
    name.press("Enter")
    wait_idle(page)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Annotate").click()
    page.get_by_role("heading", name="Annotate").wait_for()
    assert page.get_by_test_id("stSidebar").get_by_label("Annotator", exact=True).input_value() == ANNOTATOR
    # The page's first load builds the queue from every stored sentence's scores:
    # a first load, given the same time as the first Compare.
    page.get_by_text(re.compile(r"^Sentence 1 of \d+")).wait_for(timeout=FIRST_LOAD_S * 1000)
    page.get_by_role("button", name=re.compile(r"(Accept|Save) and next")).click()
    page.get_by_text(re.compile(r"^Sentence 2 of \d+")).wait_for()
    wait_idle(page)
    shoot(page, "annotate.png", "Annotate")

    with open_store(str(db)) as store:
        mine = [a for a in store.current_labels().values() if a.annotator == ANNOTATOR]
    assert len(mine) == 1, "the saved sentence is in the store, under the annotator's name"

    # the report downloads, made when asked for, with the label just saved in it
    page.get_by_test_id("stSidebar").get_by_role("link", name="Sources & export").click()
    page.get_by_role("heading", name="Sources & export").wait_for()
    wait_idle(page)
    page.get_by_role("tab", name="Export").click()
    wait_idle(page)
    report = Path(download_of(page, "HTML report")).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "Export controls" in report
    for button, start in (("Stance PNG", b"\x89PNG"), ("Frame mix SVG", b"<svg"), ("Coverage PNG", b"\x89PNG")):  # one after another
        assert Path(download_of(page, button)).read_bytes().startswith(start), button
    assert STALE not in log.read_text(encoding="utf-8", errors="replace")
    assert page.dialogs == []  # nothing in the documents ran as script
