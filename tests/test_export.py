"""Exports an analyst opens: XLSX in a spreadsheet reader, Parquet, charts, and the report in a browser."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from seed_tagged import seed_tagged
from system_chromium import system_chromium
from stance.charts import charts, frame_colours, save_chart
from stance.compare import SentenceTable, compare
from stance.errors import StanceError
from stance.export import (
    EXPORT_COLUMNS,
    export_tagged,
    provenance,
    write_comparison,
    write_markdown,
    write_records,
    write_report,
)
from stance.tagged import TaggedSentence

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NASTY = [
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "Export controls <script>alert('x')</script> & \"quotes\" | pipes",
]


@pytest.fixture(scope="module")
def seeds():
    return seed_tagged()


@pytest.fixture(scope="module")
def with_nasty(seeds):
    """The seeds plus sentences an attacker could plant in a document, labelled export_controls."""
    records, sources = seeds
    template = next(t for t in records if t.source == "merics" and "export_controls" in t.topics)
    extra = [
        # the last one comes first in its document, so the report quotes it among the most confident
        template._replace(sentence_id=f"nasty{i}", text=text, index=1000 + i if i < len(NASTY) - 1 else 0,
                          frames=("security_risk",), primary_frame="security_risk")
        for i, text in enumerate(NASTY)
    ]
    return list(records) + extra, sources


@pytest.fixture(scope="module")
def prov(seeds, codebook):
    return provenance(codebook=codebook, model_version="seed-labels", sources=seeds[1], inputs=["seeds/"],
                      options={"topic": "export_controls"})


@pytest.fixture(scope="module")
def comparison(with_nasty, codebook):
    records, sources = with_nasty
    return compare(SentenceTable.from_tagged(records, sources, codebook), codebook, topic="export_controls", terms=True)


# --- XLSX ---------------------------------------------------------------------------


def test_compare_xlsx_opens_with_openpyxl_with_the_named_sheets(comparison, prov, tmp_path):
    path = tmp_path / "compare.xlsx"
    write_comparison(comparison, "xlsx", path, prov)
    book = load_workbook(path)
    assert book.sheetnames == ["stance", "coverage", "tests", "distinctive terms", "evidence", "codebook", "provenance"]
    stance = book["stance"]
    headers = [c.value for c in stance[1]]
    assert "sentences (n)" in headers and "Pro-cooperation vs security-risk: 95% low" in headers
    assert "Security & risk: share" in headers
    assert stance.freeze_panes == "A2" and stance["A1"].font.bold
    assert stance.column_dimensions["A"].width >= len("group")
    rows = {r[0]: dict(zip(headers, r)) for r in stance.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"coppens", "merics", "outlet"}
    assert rows["merics"]["sentences (n)"] == comparison.rows()[1]["n"]
    fields = {r[0]: r[1] for r in book["provenance"].iter_rows(min_row=2, values_only=True)}
    assert fields["tool_version"] and fields["codebook_version"] == "1" and fields["model_version"] == "seed-labels"
    assert "MERICS" in fields["source merics"] and fields["created"]
    codebook_rows = list(book["codebook"].iter_rows(min_row=2, values_only=True))
    assert ("frame", "security_risk") in {(r[0], r[1]) for r in codebook_rows}
    colour = next(r[4] for r in codebook_rows if r[1] == "security_risk")
    assert colour == frame_colours(comparison.frames)["security_risk"]
    evidence = list(book["evidence"].iter_rows(min_row=2, values_only=True))
    assert len(evidence) == sum(r["n"] for r in comparison.rows())


def test_tagged_xlsx_export_has_sentences_codebook_and_provenance(seeds, codebook, prov, tmp_path):
    records, sources = seeds
    path = tmp_path / "tagged.xlsx"
    assert export_tagged(records, path, sources=sources, codebook=codebook, prov=prov) == len(records)
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["sentences", "codebook", "provenance"]
    header = next(book["sentences"].iter_rows(max_row=1, values_only=True))
    assert list(header) == list(EXPORT_COLUMNS)


def test_formula_injection_is_neutralised_in_csv_and_xlsx(with_nasty, codebook, prov, tmp_path):
    records, sources = with_nasty
    export_tagged(records, tmp_path / "t.csv", sources=sources, codebook=codebook, prov=prov)
    export_tagged(records, tmp_path / "t.xlsx", sources=sources, codebook=codebook, prov=prov)
    with open(tmp_path / "t.csv", encoding="utf-8", newline="") as f:
        rows = {r["sentence_id"]: r for r in csv.DictReader(f)}
    sheet = load_workbook(tmp_path / "t.xlsx")["sentences"]
    header = [c.value for c in sheet[1]]
    text_col, id_col = header.index("text"), header.index("sentence_id")
    cells = {row[id_col].value: row[text_col] for row in sheet.iter_rows(min_row=2)}
    for i, text in enumerate(NASTY[:6]):
        assert rows[f"nasty{i}"]["text"] == "'" + text  # CSV: prefixed, so Excel shows text
        cell = cells[f"nasty{i}"]
        assert cell.data_type == "s", (text, cell.data_type)  # XLSX: a string, never a formula
        assert cell.value.startswith("'")
    assert rows["nasty6"]["text"] == NASTY[6]  # ordinary text is left alone


def test_parquet_export_keeps_lists_and_provenance(seeds, codebook, prov, tmp_path):
    records, sources = seeds
    path = tmp_path / "t.parquet"
    export_tagged(records, path, sources=sources, codebook=codebook, prov=prov)
    table = pq.read_table(path)
    assert table.column_names == list(EXPORT_COLUMNS)
    topics = table.schema.field("topics").type
    assert pa.types.is_list(topics) and pa.types.is_string(topics.value_type)
    row = next(r for r in table.to_pylist() if r["source"] == "outlet" and r["topics"])
    assert row["source_name"] == "Chinese outlet" and row["model_version"] == "seed-labels"
    assert json.loads(table.schema.metadata[b"stance.provenance"])["codebook_version"] == "1"


def test_markdown_and_json_writers(tmp_path):
    out = io.StringIO()
    write_markdown([{"a": "x | y", "b": "<b>bold</b>"}], out)
    assert "x \\| y" in out.getvalue() and "&lt;b&gt;" in out.getvalue()
    write_records([{"nested": {"k": [1, 2]}}], "json", tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text()) == [{"nested": {"k": [1, 2]}}]


# --- charts -------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_charts_are_real_png_and_svg(comparison, tmp_path):
    for name, chart in charts(comparison).items():
        png = save_chart(chart, tmp_path / f"{name}.png").read_bytes()
        width, height = png_size(png)
        assert width > 300 and height > 100 and len(png) > 5_000, name
        svg = save_chart(chart, tmp_path / f"{name}.svg").read_text(encoding="utf-8")
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        assert not re.search(r"(?:href|src)=\"https?:", svg), "a chart must not load anything"
    # the frame colours are the palette's, in codebook order, in the chart too
    spec = charts(comparison)["frame_mix"].to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale["range"][:2] == [frame_colours(comparison.frames)[f] for f in comparison.frames[:2]]


# --- the report ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(comparison, prov, tmp_path_factory):
    return write_report(comparison, tmp_path_factory.mktemp("report") / "export_controls.html", prov)


def test_html_report_is_self_contained_and_escaped(report, comparison):
    page = report.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page  # the planted sentence, escaped
    assert not re.search(r"(?:href|src)=[\"']?(?:https?:)?//", page)
    assert page.count('src="data:image/svg+xml;base64,') == 3
    assert "Content-Security-Policy" in page
    for name in comparison.group_names.values():
        assert name in page
    assert "n is small" in page and "thin" in page


def test_markdown_report_links_its_charts(comparison, prov, tmp_path):
    path = write_report(comparison, tmp_path / "brief.md", prov)
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 3
    for link in links:
        png_size((tmp_path / link).read_bytes())
    assert "## Export controls" in text and "Chinese outlet" in text
    (tmp_path / "other_charts").write_text("an analyst's own notes")
    with pytest.raises(StanceError, match="the report's charts go in the folder other_charts, and a file has that name"):
        write_report(comparison, tmp_path / "other.md", prov)
    assert (tmp_path / "other_charts").read_text() == "an analyst's own notes" and not (tmp_path / "other.md").exists()


@pytest.fixture(scope="session")
def chromium():
    path, reason = system_chromium()
    if path is None:
        pytest.skip(f"no browser for the HTML report test: {reason}")
    return path


@pytest.mark.browser
def test_html_report_renders_in_headless_chromium_without_network(report, chromium):
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            page.wait_for_load_state("networkidle")
            assert page.title().startswith("How the sources frame export controls")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth])")
            assert len(images) == 3 and all(done and width > 100 for done, width in images)
            assert page.locator("blockquote").count() >= 10
            assert page.evaluate("document.querySelectorAll('script').length") == 0
            text = page.inner_text("body")
            assert "<script>alert('x')</script>" in text  # shown as text, not run
        finally:
            browser.close()
    assert requests, "the page itself should have been requested"
    leaving = [u for u in requests if not u.startswith(("file://", "data:"))]
    assert not leaving, leaving


# --- the commands ----------------------------------------------------------------------


def test_cli_export_then_report_and_xlsx_from_the_export(tmp_path, capsys):
    from stance.cli import main

    parquet = tmp_path / "tagged.parquet"
    assert main(["export", "-o", str(parquet)]) == 0
    table = pq.read_table(parquet)
    assert table.num_rows > 300 and set(table.column("source").to_pylist()) == {"coppens", "merics", "outlet"}
    assert set(table.column("labelled_by").to_pylist()) <= {"model", "none"}  # predictions, not the seed labels
    prov = json.loads(table.schema.metadata[b"stance.provenance"])
    assert prov["model_version"] and prov["codebook_version"]
    html = tmp_path / "report.html"
    assert main(["report", str(parquet), "--topic", "export_controls", "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "How the sources frame export controls" in page and page.count("data:image/svg+xml;base64,") == 3
    xlsx = tmp_path / "compare.xlsx"
    assert main(["compare", str(parquet), "--topic", "export_controls", "--format", "xlsx", "-o", str(xlsx)]) == 0
    book = load_workbook(xlsx, read_only=True)
    assert {"stance", "codebook", "provenance"} <= set(book.sheetnames)
    fields = {r[0]: r[1] for r in book["provenance"].iter_rows(min_row=2, values_only=True)}
    assert fields["model_version"] == prov["model_version"]
    assert main(["report", str(parquet), "-o", str(tmp_path / "report.txt")]) == 1
    assert "cannot tell the format" in capsys.readouterr().err


def test_a_report_reads_the_same_from_every_export_format(tmp_path, capsys):
    """The evidence's reasons and quoted speakers come back from JSONL and Parquet as from CSV
    (a JSONL export's reasons are arrays, its missing speaker names nulls: a traceback and "quoted: nan")."""
    from stance.cli import main

    reports = {}
    for ext in ("csv", "jsonl", "parquet"):
        assert main(["export", "-o", str(tmp_path / f"seeds.{ext}")]) == 0
        for kind in ("md", "html", "xlsx"):
            command = "compare" if kind == "xlsx" else "report"
            assert main([command, str(tmp_path / f"seeds.{ext}"), "-o", str(tmp_path / f"{ext}.{kind}")]) == 0, (ext, kind)
        text = (tmp_path / f"{ext}.md").read_text(encoding="utf-8")
        reports[ext] = re.sub(r"\d{4}-\d\d-\d\dT[\d:.+]+|\w+_charts/", "", text)
    assert "Traceback" not in capsys.readouterr().err
    assert reports["jsonl"] == reports["csv"] == reports["parquet"]
    assert "quoted: nan" not in reports["csv"] and "quoted: <NA>" not in reports["csv"]
    assert re.search(r"quoted: [A-Z]", reports["csv"])
    whys = {ext: re.findall(r"why: [^<]+", (tmp_path / f"{ext}.html").read_text(encoding="utf-8")) for ext in reports}
    assert whys["jsonl"] == whys["csv"] == whys["parquet"] and any("cue: " in why for why in whys["csv"])


def test_xlsx_keeps_words_apart_at_a_vertical_tab_and_drops_other_controls():
    from stance.export import _xlsx_value

    assert _xlsx_value("The chip ban\x0bhurts Nvidia\x07 and AMD.") == "The chip ban hurts Nvidia and AMD."
