"""Switching topic on the Compare page with 50,000 sentences loaded.

    .venv/bin/python bench/bench_dashboard.py [N_SENTENCES]

Loads N (default 50,000) tagged sentences — the seeds' real sentences with
their hand-made labels, real tone and text, spread over 6 sources — as the
dashboard's in-memory corpus, then switches the Compare page through every
topic twice and times:

1. the compute behind a switch: the page's cached functions, keyed by plain
   arguments (``stance_view``: stance with intervals, frame mix, the
   difference test and distinctive terms; ``columns_view``: the first page
   of each source's sentences; ``context_view``: their neighbours). A topic
   seen for the first time is computed; a topic seen before comes from the
   cache. The corpus's word index (``term_index_view``, made once when
   Compare first opens) is timed apart;
2. the whole page script on a switch (Streamlit's AppTest: the same code the
   server runs for a browser, rendering every element; the browser's own
   drawing is not counted).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the seeds with their hand-made labels
logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime" warnings: the caches work without a server

from seed_tagged import seed_tagged  # noqa: E402

from app_pages import common  # noqa: E402
from stance.codebook import load_codebook  # noqa: E402
from stance.compare import SentenceTable  # noqa: E402
from stance.corpus import Source  # noqa: E402

SOURCES = 6
PAGE = 12  # sentences per column the page shows first


def corpus(n: int) -> tuple[SentenceTable, dict[str, Source]]:
    records, seed_sources = seed_tagged()
    kinds = [s.kind for s in seed_sources.values()]
    sources = {f"src{k}": Source(f"src{k}", f"Source {k}", kind=kinds[k % len(kinds)], country="", date="2025-01") for k in range(SOURCES)}
    out = []
    for i in range(n):
        t = records[i % len(records)]
        copy = i // len(records)
        out.append(t._replace(sentence_id=f"{i:016x}", doc_id=f"doc{copy}-{t.doc_id}", source=f"src{copy % SOURCES}",
                              path=f"gen/{copy}/{Path(t.path).name}"))
    return SentenceTable.from_tagged(out, sources, load_codebook()), sources


def switch(key: str, topic: str) -> float:
    start = time.perf_counter()
    common.stance_view(key, topic, None, "all")
    columns = common.columns_view(key, topic, None, "all", None, 0.0, PAGE)
    common.context_view(key, tuple(sid for df in columns.values() for sid in df["sentence_id"]))
    return time.perf_counter() - start


def page_switches(loaded: common.Loaded, topics: list[str]) -> list[float]:
    """The Compare page script per topic switch (AppTest), the corpus being the one loaded above."""
    from streamlit.testing.v1 import AppTest

    common.load = lambda: loaded  # the page under test reads this corpus instead of tagging a store
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STANCE_DB"] = str(Path(tmp) / "bench.db")
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
        at.switch_page("app_pages/compare.py").run()
        times = []
        for topic in topics:
            start = time.perf_counter()
            at.selectbox(key="compare_topic").set_value(topic).run()
            times.append(time.perf_counter() - start)
            assert not at.exception, at.exception
        return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    start = time.perf_counter()
    table, sources = corpus(n)
    codebook = load_codebook()
    loaded = common.register(table, codebook, sources, "bench", key=f"bench-{n}")
    print(f"{len(table):,} tagged sentences in {SOURCES} sources loaded in {time.perf_counter() - start:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    start = time.perf_counter()
    common.term_index_view(loaded.key)
    print(f"indexing the words of every sentence (once per corpus, on the first Compare): {time.perf_counter() - start:.1f} s")
    topics = [t for t in codebook.topic_ids if t in table.topics]
    first = {t: switch(loaded.key, t) for t in topics}
    again = {t: switch(loaded.key, t) for t in topics}
    for t in topics:
        print(f"  {t:16} first time {first[t] * 1000:7.0f} ms   seen before {again[t] * 1000:5.1f} ms")
    print(f"compute behind a topic switch: first time median {statistics.median(first.values()):.2f} s, "
          f"worst {max(first.values()):.2f} s; seen before: worst {max(again.values()) * 1000:.1f} ms")
    common.stance_view.clear()
    common.columns_view.clear()
    common.context_view.clear()
    pages = page_switches(loaded, topics)
    print(f"whole Compare page script on a topic switch (AppTest, first time for each topic): "
          f"median {statistics.median(pages):.2f} s, worst {max(pages):.2f} s")


if __name__ == "__main__":
    main()
