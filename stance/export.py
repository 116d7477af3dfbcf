"""Writing records out: JSONL, CSV, plain-text tables, JSON, Markdown, Parquet,
XLSX, and the comparison report (HTML or Markdown).

Spreadsheet safety: a text cell that starts with ``=``, ``+``, ``-``, ``@``,
tab or carriage return would run as a formula when an analyst opens the CSV
or XLSX in Excel; ``safe_cell`` prefixes such cells with an apostrophe (and
XLSX cells are written as text, never as formulas). HTML escapes all text.

XLSX workbooks have one sheet per table plus a ``codebook`` sheet (every
label, with each frame's colour) and a ``provenance`` sheet (tool, codebook
and model versions, sources, date), bold frozen headers and column widths
fitted to the content.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import orjson

from stance.errors import StanceError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _flat(value: Any) -> Any:
    """Lists become ``;``-joined text and mappings JSON, for flat formats."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def write_jsonl(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    # orjson: a tagged sentence is written in a seventh of json.dumps's time.
    n = 0
    for row in rows:
        out.write(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE).decode())
        n += 1
    return n


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO, columns: Sequence[str] | None = None) -> int:
    writer: csv.DictWriter | None = None
    n = 0
    for row in rows:
        if writer is None:
            writer = csv.DictWriter(out, fieldnames=list(columns or row.keys()), extrasaction="ignore")
            writer.writeheader()
        writer.writerow({k: safe_cell(_flat(v)) for k, v in row.items()})
        n += 1
    return n


def write_table(rows: Iterable[Mapping[str, Any]], out: TextIO, columns: Sequence[str] | None = None, width: int = 60) -> int:
    """A plain-text table for the terminal; long text is cut to ``width``."""
    rows = list(rows)
    if not rows:
        out.write("(nothing)\n")
        return 0
    columns = list(columns or rows[0].keys())
    cells = [[_cut(_flat(row.get(c, "")), width) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() + "\n")
    return len(rows)


def _cut(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ").replace("\t", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def write_json(rows: Iterable[Any], out: TextIO, columns: Sequence[str] | None = None) -> int:
    """One JSON list (indented), for rows that nest (``stance compare --format json``)."""
    rows = list(rows)
    json.dump(rows, out, ensure_ascii=False, indent=2, default=_json_default)
    out.write("\n")
    return len(rows)


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_markdown(rows: Iterable[Mapping[str, Any]], out: TextIO, columns: Sequence[str] | None = None) -> int:
    """A Markdown (GitHub) table; pipes, newlines and HTML in cells are escaped."""
    rows = list(rows)
    if not rows:
        out.write("(nothing)\n")
        return 0
    columns = list(columns or rows[0].keys())
    out.write("| " + " | ".join(_md_cell(c) for c in columns) + " |\n")
    out.write("|" + "|".join("---" for _ in columns) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(_md_cell(_flat(row.get(c, ""))) for c in columns) + " |\n")
    return len(rows)


def _md_cell(value: Any) -> str:
    import html

    text = "" if value is None else str(value)
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "table": write_table, "json": write_json, "md": write_markdown}
BINARY_FORMATS = ("parquet", "xlsx")  # written to a file only


def output_path(path: str | Path) -> Path:
    """``path``, its folder made if missing: every writer here creates what ``-o`` names."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Where to write ``path``: a hidden file beside it that takes its place only when the block ends
    without an error, so a failed or interrupted run leaves the old file as it was (and a run that
    reads the folder it writes into never reads its half-written output).

    A device or pipe (``-o /dev/stdout``) is written in place; a link, through to its target.
    """
    path = output_path(path)
    if path.exists() and not path.is_file():
        yield path
        return
    path = Path(os.path.realpath(path))
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield part
        if path.exists():
            shutil.copymode(path, part)
        os.replace(part, path)
    except OSError as exc:
        if exc.filename == str(part):  # say the file the analyst named, not the hidden one beside it
            exc.filename = str(path)
        raise
    finally:
        part.unlink(missing_ok=True)


def write_records(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    path: str | Path | None = None,
    columns: Sequence[str] | None = None,
) -> int:
    """Write ``rows`` as ``fmt`` to ``path`` (or stdout); returns the count."""
    if fmt in BINARY_FORMATS:
        if path is None or str(path) == "-":
            raise StanceError(f"{fmt.upper()} is written to a file", fix=f"add -o FILE.{fmt}")
        if fmt == "parquet":
            return write_parquet(rows, path, columns=columns)
        return write_xlsx({"data": list(rows)}, path, columns={"data": columns} if columns else None)
    writer = WRITERS[fmt]
    kwargs = {"columns": columns} if fmt != "jsonl" else {}
    if path is None or str(path) == "-":
        return writer(rows, sys.stdout, **kwargs)
    with replacing(path) as part, open(part, "w", encoding="utf-8", newline="" if fmt == "csv" else None) as out:
        return writer(rows, out, **kwargs)


def to_string(rows: Iterable[Mapping[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    buffer = io.StringIO()
    kwargs = {"columns": columns} if fmt != "jsonl" else {}
    WRITERS[fmt](rows, buffer, **kwargs)
    return buffer.getvalue()


SUFFIX_ALIASES = {"markdown": "md", "htm": "html", "pq": "parquet", "ndjson": "jsonl"}  # other names of a format


def format_for(path: str | Path, allowed: Sequence[str]) -> str:
    """The format named by a file's suffix (``.jsonl`` -> ``jsonl``), or a clear error."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = SUFFIX_ALIASES.get(suffix, suffix)
    if suffix not in allowed:
        raise StanceError(
            f"cannot tell the format from the file name {Path(path).name!r}",
            path=str(path),
            fix=f"end it in one of: {', '.join('.' + a for a in allowed)}",
        )
    return suffix


# --- Parquet ---------------------------------------------------------------------


def write_parquet(
    rows: Iterable[Mapping[str, Any]] | Any,
    path: str | Path,
    *,
    columns: Sequence[str] | None = None,
    schema: Any = None,
    metadata: Mapping[str, str] | None = None,
) -> int:
    """Write rows (or a DataFrame, or a dict of columns) as Parquet; mappings become JSON text."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(rows, pd.DataFrame):
        table = pa.Table.from_pandas(rows, preserve_index=False)
    elif isinstance(rows, Mapping):
        table = pa.table(dict(rows), schema=schema)
    else:
        rows = list(rows)
        names = list(columns or (rows[0].keys() if rows else []))
        data = {c: [_parquet_value(r.get(c)) for r in rows] for c in names}
        table = pa.table(data, schema=schema)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **{k: str(v) for k, v in metadata.items()}})
    with replacing(path) as part:
        pq.write_table(table, part, compression="zstd")
    return table.num_rows


def _parquet_value(value: Any) -> Any:
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, tuple):
        return list(value)
    return value


# --- XLSX ----------------------------------------------------------------------------

XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header row
MAX_WIDTH = 60


def write_xlsx(
    sheets: Mapping[str, Any],
    path: str | Path,
    *,
    titles: Mapping[str, str] | None = None,
    columns: Mapping[str, Sequence[str] | None] | None = None,
    codebook: Any = None,
    provenance: Mapping[str, Any] | None = None,
) -> int:
    """One sheet per table (rows or a DataFrame), then ``codebook`` and ``provenance``.

    ``titles`` maps column ids to readable headers. Text cells go through
    ``safe_cell`` and are typed as text; lists are ``;``-joined, mappings JSON.
    Returns the number of data rows written.
    """
    import pandas as pd
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    titles = titles or {}
    workbook = Workbook(write_only=True)
    total = 0
    tables = dict(sheets)
    if codebook is not None:
        tables["codebook"] = codebook_rows(codebook)
    if provenance is not None:
        tables["provenance"] = [{"field": k, "value": v} for k, v in provenance_rows(provenance)]
    bold = Font(bold=True)
    wrap = Alignment(vertical="top", wrap_text=False)
    for name, rows in tables.items():
        if isinstance(rows, pd.DataFrame):
            cols = list(rows.columns)
            rows = rows.to_dict("records")
        else:
            rows = list(rows)
            cols = list((columns or {}).get(name) or (rows[0].keys() if rows else []))
            for r in rows:  # keys the first row lacks still get a column
                cols += [k for k in r if k not in cols]
        if len(rows) > XLSX_MAX_ROWS:
            raise StanceError(
                f"sheet {name!r} has {len(rows):,} rows, more than a spreadsheet holds ({XLSX_MAX_ROWS:,})",
                path=str(path),
                fix="export to .parquet or .csv instead, or narrow the input",
            )
        sheet = workbook.create_sheet(_sheet_name(name, workbook.sheetnames))
        sheet.freeze_panes = "A2"
        headers = [titles.get(c, c) for c in cols]
        widths = [len(h) for h in headers]
        for r in rows[:2000]:  # widths from a sample: enough to read, cheap on big sheets
            for j, c in enumerate(cols):
                widths[j] = max(widths[j], len(str(_flat(r.get(c, "")) if r.get(c) is not None else "")))
        for j, w in enumerate(widths):
            sheet.column_dimensions[get_column_letter(j + 1)].width = min(MAX_WIDTH, w + 2)
        header_cells = []
        for h in headers:
            cell = WriteOnlyCell(sheet, value=safe_cell(str(h)))
            cell.font = bold
            cell.data_type = "s"
            header_cells.append(cell)
        sheet.append(header_cells)
        fills = {}
        for r in rows:
            out = []
            for c in cols:
                value = _xlsx_value(r.get(c))
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text, never a formula
                    cell.alignment = wrap
                    if name == "codebook" and c == "colour" and value.startswith("#"):
                        fill = fills.setdefault(value, PatternFill("solid", fgColor=value[1:].upper()))
                        cell.fill = fill
                out.append(cell)
            sheet.append(out)
        total += len(rows) if name not in ("codebook", "provenance") else 0
    with replacing(path) as part:
        workbook.save(part)
    return total


def _xlsx_value(value: Any) -> Any:
    import math

    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, (int, float)):
        return value
    text = _flat(value) if isinstance(value, (list, tuple, Mapping)) else str(value)
    # Control characters other than tab and newline are not allowed in XLSX; a vertical tab or
    # form feed inside a sentence becomes a space, so that the words either side stay apart.
    text = "".join(ch if ch in "\t\n" or ord(ch) >= 32 else " " if ch in "\x0b\x0c" else "" for ch in text)
    return safe_cell(text)


def _sheet_name(name: str, taken: Sequence[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "sheet"
    base, k = clean, 2
    while clean in taken:
        clean = f"{base[:28]}_{k}"
        k += 1
    return clean


def codebook_rows(codebook: Any) -> list[dict]:
    """The codebook as rows: topics, frames (with their chart colour) and axes."""
    from stance.charts import frame_colours

    colours = frame_colours(codebook.frame_ids)
    rows = []
    for label in codebook.topics:
        rows.append({"kind": "topic", "id": label.id, "name": label.name, "description": label.description, "colour": ""})
    for label in codebook.frames:
        rows.append({"kind": "frame", "id": label.id, "name": label.name, "description": label.description, "colour": colours[label.id]})
    for axis in codebook.axes:
        rows.append({"kind": "axis", "id": axis.id, "name": axis.name,
                     "description": f"(sentences framed {axis.positive} - framed {axis.negative}) / framed either", "colour": ""})
    return rows


# --- provenance ----------------------------------------------------------------------


def provenance(
    *,
    codebook: Any = None,
    model_version: str | None = None,
    sources: Mapping[str, Any] | None = None,
    inputs: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """What produced an export: tool, codebook and model versions, sources, inputs, date."""
    from datetime import datetime, timezone

    from stance import __version__

    return {
        "tool": "stance",
        "tool_version": __version__,
        "codebook": getattr(codebook, "name", None),
        "codebook_version": getattr(codebook, "version", None),
        "codebook_fingerprint": getattr(codebook, "fingerprint", None),
        "model_version": model_version or "",
        "created": datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        "inputs": list(inputs),
        "options": dict(options or {}),
        "sources": {
            sid: {k: getattr(s, k, "") for k in ("name", "outlet", "kind", "country", "language", "date")}
            for sid, s in (sources or {}).items()
        },
        "notes": list(notes),
    }


def provenance_rows(prov: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Flat (field, value) pairs: one per scalar, one per source, one per option."""
    out = []
    for key, value in prov.items():
        if key == "sources":
            for sid, meta in value.items():
                details = ", ".join(f"{k}: {v}" for k, v in meta.items() if v)
                out.append((f"source {sid}", details))
        elif key == "options":
            for k, v in value.items():
                out.append((f"option {k}", "" if v is None else str(v)))
        elif key == "inputs":
            out.append(("inputs", "; ".join(value)))
        elif key == "notes":
            for note in value:
                out.append(("note", note))
        else:
            out.append((key, "" if value is None else str(value)))
    return out


# --- tagged sentences ------------------------------------------------------------------

# Every tagged sentence with its labels, scores, tone, speaker and provenance.
EXPORT_COLUMNS = (
    "sentence_id", "doc_id", "source", "source_name", "outlet", "kind", "country", "language", "date",
    "path", "index", "paragraph", "start", "end", "text", "heading", "boilerplate", "boilerplate_reason",
    "topics", "frames", "primary_frame", "confidence", "scores", "evidence", "labelled_by",
    "polarity", "subjectivity", "compound", "speaker", "speaker_name", "codebook_version", "model_version",
)
EXPORT_FORMATS = ("csv", "jsonl", "parquet", "xlsx")


def tagged_columns(
    tagged: Sequence[Any],
    sources: Mapping[str, Any] | None = None,
    *,
    codebook_version: str = "",
    model_version: str = "",
) -> dict[str, list]:
    """``EXPORT_COLUMNS`` as lists, from ``TaggedSentence`` records and their sources."""
    fields = tagged[0]._fields if tagged else ()
    columns = {name: list(values) for name, values in zip(fields, zip(*tagged))} if tagged else {}
    n = len(tagged)
    meta = {"source_name": "name", "outlet": "outlet", "kind": "kind", "country": "country", "language": "language", "date": "date"}
    sources = sources or {}
    for column, attr in meta.items():
        values = {sid: getattr(s, attr, "") or "" for sid, s in sources.items()}
        columns[column] = [values.get(sid, "") for sid in columns.get("source", [])]
    columns["confidence"] = [round(t.confidence, 4) for t in tagged]
    columns["codebook_version"] = [codebook_version] * n
    columns["model_version"] = [model_version] * n
    return {c: columns.get(c, [None] * n) for c in EXPORT_COLUMNS}


def _export_schema():
    import pyarrow as pa

    text, dict_text = pa.string(), pa.dictionary(pa.int32(), pa.string())
    types = {
        "index": pa.int64(), "paragraph": pa.int64(), "start": pa.int64(), "end": pa.int64(),
        "heading": pa.bool_(), "boilerplate": pa.bool_(), "topics": pa.list_(text), "frames": pa.list_(text),
        "confidence": pa.float64(), "polarity": pa.float64(), "subjectivity": pa.float64(), "compound": pa.float64(),
    }
    repeated = {"source", "source_name", "outlet", "kind", "country", "language", "date", "path", "labelled_by",
                "speaker", "codebook_version", "model_version", "primary_frame", "boilerplate_reason"}
    return pa.schema([(c, types.get(c, dict_text if c in repeated else text)) for c in EXPORT_COLUMNS])


def export_tagged(
    tagged: Sequence[Any],
    path: str | Path,
    *,
    sources: Mapping[str, Any] | None = None,
    codebook: Any = None,
    prov: Mapping[str, Any] | None = None,
    fmt: str | None = None,
) -> int:
    """Write every tagged sentence to ``path`` as csv, jsonl, parquet or xlsx (by suffix)."""
    fmt = fmt or format_for(path, EXPORT_FORMATS)
    columns = tagged_columns(
        list(tagged), sources,
        codebook_version=getattr(codebook, "version", "") or "",
        model_version=(prov or {}).get("model_version", "") or "",
    )
    n = len(columns["sentence_id"])
    if fmt == "parquet":
        data = dict(columns)
        data["topics"] = [list(v or ()) for v in data["topics"]]
        data["frames"] = [list(v or ()) for v in data["frames"]]
        for c in ("scores", "evidence"):
            data[c] = [json.dumps(v or {}, ensure_ascii=False, sort_keys=True) for v in data[c]]
        metadata = {"stance.provenance": json.dumps(prov or {}, ensure_ascii=False)}
        return write_parquet(data, path, schema=_export_schema(), metadata=metadata)
    rows = ({c: columns[c][i] for c in EXPORT_COLUMNS} for i in range(n))
    if fmt == "xlsx":
        return write_xlsx({"sentences": list(rows)}, path, codebook=codebook, provenance=prov)
    if fmt == "jsonl":
        rows = ({**r, "topics": list(r["topics"]), "frames": list(r["frames"])} for r in rows)
    return write_records(rows, fmt, path, columns=EXPORT_COLUMNS)


# --- comparisons: sheets and the report ---------------------------------------------

EVIDENCE_PER_CELL = 50  # evidence rows per group × topic in a workbook


def comparison_sheets(comparison: Any, evidence_per_cell: int = EVIDENCE_PER_CELL) -> dict[str, list[dict]]:
    """The tables of a comparison, one sheet each: stance, frame mix, coverage, tests, terms, evidence, quality."""
    from stance.compare import evidence

    sheets: dict[str, list[dict]] = {"stance": comparison.flat_rows()}
    sheets["coverage"] = [_rounded(r) for r in comparison.coverage.to_dict("records")]
    sheets["tests"] = [
        {"topic": t.topic, "n": t.n, "groups": ";".join(t.groups), "method": t.method, "chi_square": _r(t.statistic),
         "dof": t.dof, "p_value": _r(t.p_value, 6), "cramers_v": _r(t.cramers_v), "reading": t.reading}
        for t in comparison.tests.values()
    ]
    if comparison.terms is not None:
        sheets["distinctive terms"] = [_rounded(r) for r in comparison.terms.to_dict("records")]
    if comparison.table is not None:
        rows = []
        topics = [comparison.topic] if comparison.topic else [t for t in comparison.topics if t in comparison.tests]
        for topic in topics:
            for group in comparison.groups:
                found = evidence(comparison.table, topic=topic, group=group, by=comparison.by, voice=comparison.voice,
                                 limit=evidence_per_cell)
                for r in found.to_dict("records"):
                    rows.append({"topic": topic, **_rounded(r)})
        sheets["evidence"] = rows
    if comparison.quality is not None:
        sheets["model quality"] = [_rounded(r) for r in comparison.quality.to_dict("records")]
    return sheets


def _r(value: Any, digits: int = 4) -> Any:
    import math

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def _rounded(row: Mapping[str, Any]) -> dict:
    return {k: (_r(v) if isinstance(v, float) else v) for k, v in row.items()}


def write_comparison(comparison: Any, fmt: str, path: str | Path | None, prov: Mapping[str, Any] | None = None) -> int:
    """``stance compare`` output: json rows, flat csv, a terminal or Markdown table, or a workbook."""
    if fmt == "json":
        return write_records(comparison.rows(), "json", path)
    if fmt == "csv":
        return write_records(comparison.flat_rows(), "csv", path)
    if fmt == "xlsx":
        if path is None or str(path) == "-":
            raise StanceError("XLSX is written to a file", fix="add -o FILE.xlsx")
        return write_xlsx(comparison_sheets(comparison), path, titles=comparison.column_titles(),
                          codebook=comparison.codebook, provenance=prov)
    if fmt in ("table", "md"):
        buffer = io.StringIO()
        n = WRITERS[fmt](comparison.summary_rows(), buffer)
        buffer.write("\n")
        for reading in comparison.readings():
            buffer.write(("- " if fmt == "md" else "") + (_md_cell(reading) if fmt == "md" else reading) + "\n")
        if path is None or str(path) == "-":
            sys.stdout.write(buffer.getvalue())
        else:
            with replacing(path) as part:
                part.write_text(buffer.getvalue(), encoding="utf-8")
        return n
    raise StanceError(f"unknown format {fmt!r}", fix="use table, csv, json, xlsx or md")


REPORT_FORMATS = ("html", "md")
EVIDENCE_IN_REPORT = 5  # quoted sentences per source and topic


def write_report(comparison: Any, path: str | Path, prov: Mapping[str, Any] | None = None, *, fmt: str | None = None) -> Path:
    """The readable comparison report, as self-contained HTML or as Markdown.

    HTML embeds its charts (SVG as ``data:`` images) and its style, loads
    nothing and runs no script (a Content-Security-Policy says so too).
    Markdown links PNG and SVG charts written beside it, in ``<name>_charts/``.
    """
    from stance import charts as charting

    fmt = fmt or format_for(path, REPORT_FORMATS)
    path = output_path(path)
    figures = charting.charts(comparison)
    if fmt == "html":
        svgs = {name: charting.to_svg(chart) for name, chart in figures.items()}
        html = render_html(comparison, prov or {}, svgs)
        with replacing(path) as part:
            part.write_text(html, encoding="utf-8")
        return path
    folder = path.with_name(path.stem + "_charts")
    if folder.exists() and not folder.is_dir():
        raise StanceError(f"the report's charts go in the folder {folder.name}, and a file has that name", path=str(folder),
                          fix=f"move or rename that file, or give the report another name than {path.name}")
    folder.mkdir(parents=True, exist_ok=True)
    links = {}
    for name, chart in figures.items():
        charting.save_chart(chart, folder / f"{name}.png")
        charting.save_chart(chart, folder / f"{name}.svg")
        links[name] = f"{folder.name}/{name}.png"
    markdown = render_markdown(comparison, prov or {}, links)
    with replacing(path) as part:
        part.write_text(markdown, encoding="utf-8")
    return path


_CHART_TITLES = {
    "stance": "Stance index with 95% intervals (hollow dots rest on fewer than 5 sentences)",
    "frame_mix": "Frame mix per source",
    "coverage": "Coverage: sentences per topic and source",
}


def _report_topics(comparison: Any) -> list[str]:
    if comparison.topic:
        return [comparison.topic]
    return [t for t in comparison.topics if t in comparison.tests]


def _title(comparison: Any) -> str:
    if comparison.topic:
        return f"How the sources frame {comparison.name_of(comparison.topic).lower()}"
    return "How the sources frame their topics"


def _scope(comparison: Any, prov: Mapping[str, Any]) -> str:
    voice = {"all": "all sentences", "author": "the authors' own voice only", "quoted": "quoted voices only"}[comparison.voice]
    by = "source" if comparison.by == "source" else comparison.by
    parts = [f"grouped by {by}", voice]
    if prov.get("codebook"):
        parts.append(f"codebook {prov['codebook']} v{prov.get('codebook_version', '')}")
    if prov.get("model_version"):
        parts.append(f"model {prov['model_version']}")
    if prov.get("tool_version"):
        parts.append(f"stance {prov['tool_version']}")
    if prov.get("created"):
        parts.append(str(prov["created"]))
    return " · ".join(parts)


def _frame_text(comparison: Any, row: Mapping[str, Any], limit: int = 4) -> str:
    ranked = sorted(comparison.frames, key=lambda f: -row[f"frame.{f}.count"])
    parts = [f"{comparison.name_of(f)} {row[f'frame.{f}.count']}" for f in ranked[:limit] if row[f"frame.{f}.count"]]
    return ", ".join(parts) or "no frame"


def _tone_text(row: Mapping[str, Any]) -> str:
    if not row["n"] or _r(row["tone.compound"]) is None:  # no sentence's tone known
        return "—"
    sd = row.get("tone.compound.sd")
    return f"{row['tone.compound']:+.2f}" + (f" ± {sd:.2f}" if sd is not None else "")


def _stance_rows(comparison: Any) -> list[dict]:
    from stance.compare import THIN, format_index

    rows = []
    for r in comparison.cells.to_dict("records"):
        if not comparison.topic and not r["n"]:
            continue
        row = {"source" if comparison.by == "source" else comparison.by: r["group_name"]}
        if not comparison.topic:
            row["topic"] = r["topic_name"]
        row["sentences"] = r["n"] if r["n"] >= THIN else f"{r['n']} (thin: fewer than {THIN})"
        for a in comparison.axes:
            row[a.name] = format_index(r[f"stance.{a.id}.index"], r[f"stance.{a.id}.low"], r[f"stance.{a.id}.high"], r[f"stance.{a.id}.n"])
        row["main frames"] = _frame_text(comparison, r)
        row["tone (VADER compound, mean ± sd)"] = _tone_text(r)
        rows.append(row)
    return rows


def _frame_mix_rows(comparison: Any, topic: str) -> list[dict]:
    """Frames as rows, groups as columns: "count (share)" and the adjusted share when known."""
    cells = comparison.cells[comparison.cells["topic"] == topic].to_dict("records")
    rows = []
    for f in comparison.frames:
        if not any(c[f"frame.{f}.count"] for c in cells):
            continue
        row = {"frame": comparison.name_of(f)}
        for c in cells:
            share = c[f"frame.{f}.share"]
            text = f"{c[f'frame.{f}.count']} ({share:.0%})" if share is not None else "0"
            adjusted = c.get(f"frame.{f}.adjusted")
            if comparison.quality is not None:
                text += f"; adjusted {adjusted:.0%}" if adjusted is not None else "; adjusted n/a"
            row[c["group_name"]] = text
        rows.append(row)
    return rows


def _terms_by_group(comparison: Any, topic: str) -> dict[str, list[dict]]:
    if comparison.terms is None or comparison.terms.empty:
        return {}
    terms = comparison.terms[comparison.terms["topic"] == topic]
    return {g: terms[terms["group"] == g].to_dict("records") for g in comparison.groups}


def _quality_rows(comparison: Any) -> list[dict]:
    q = comparison.quality
    if q is None or q.empty:
        return []
    q = q[(q["group"] == "all") & (q["gold"] + q["predicted"] > 0)]
    return [{"label": comparison.name_of(r["label"]), "kind": r["kind"], "annotated": r["n"], "human positives": r["gold"],
             "predicted": r["predicted"], "precision": "—" if r["precision"] is None else f"{r['precision']:.2f}",
             "recall": "—" if r["recall"] is None else f"{r['recall']:.2f}"} for r in q.to_dict("records")]


def _coverage_rows(comparison: Any) -> list[dict]:
    rows = []
    cov = comparison.coverage
    for topic in comparison.topics:
        part = cov[cov["topic"] == topic].to_dict("records")
        if not any(r["sentences"] for r in part):
            continue
        row = {"topic": comparison.name_of(topic)}
        for r in part:
            row[r["group_name"]] = f"{r['sentences']} ({r['share']:.0%})" if r["share"] is not None else "0"
        rows.append(row)
    return rows


METHOD_NOTES = (
    "Frames are not stance: a sentence may use the security-risk lens while its author argues for cooperation. "
    "The stance of a source is read from the mix of frames it uses, their tone and the comparison with the others.",
    "Stance index on an axis = (sentences framed positive − sentences framed negative) / sentences framed either, "
    "from −1 to +1; a sentence framed both ways counts half to each side. The 95% interval is the Wilson score "
    "interval of the positive share, mapped to the index: it is wide when n is small, as it should be, and wider when "
    "the sentences come from documents that each lean their own way (an article's sentences are not independent).",
    "Cells resting on fewer than 5 sentences are marked thin; they are shown, never hidden, and should be read in the sentences.",
    "Difference test: groups × main frame, one frame per sentence, Pearson's chi-square. Where every group has at "
    "least 2 documents and there are enough of them, its p-value comes from dealing whole documents between the "
    "groups at random (a document permutation test), since an article's sentences are not independent; otherwise "
    "the chi-square p-value when every expected count is at least 5, else Fisher's exact test (2 × 2) or a Monte "
    "Carlo exact test, which take sentences as independent. Effect size Cramér's V.",
    "Distinctive terms: log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008), each "
    "source against the others on the same topic; z above 1.96 is a clear difference.",
    "Adjusted shares (when human labels exist): adjusted classify-and-count, (raw share − false positive rate) / "
    "(true positive rate − false positive rate), with the model's rates measured on the human-labelled sentences.",
)


def _tag_style(colour: str) -> str:
    from stance.charts import tag_style  # one rule for tag colours, shared with the dashboard

    return tag_style(colour)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:.2em}h3{margin-bottom:.3em}
.scope{color:#666;font-size:.9em}.reading{background:#f6f8fa;border-left:4px solid #4e79a7;padding:.6em 1em;margin:.8em 0}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}.thin{color:#b35900;font-weight:600}figure{margin:1em 0}figure img{max-width:100%;height:auto}
figcaption{color:#555;font-size:.9em}.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1em}
.column{border:1px solid #e3e3e3;border-radius:6px;padding:.6em .8em}.column h3{margin-top:0}
blockquote{margin:.6em 0 .2em;padding:.2em .8em;border-left:3px solid #bbb;font-style:normal}
.meta{color:#666;font-size:.82em}.tag{display:inline-block;border-radius:3px;padding:0 .4em;margin:0 .2em .2em 0;font-size:.8em}
.terms li{margin:.1em 0}.notes li{margin:.3em 0;color:#444}
"""


def render_html(comparison: Any, prov: Mapping[str, Any], svgs: Mapping[str, str]) -> str:
    """The report as one HTML page; every piece of text goes through ``html.escape``."""
    import base64
    import html

    from stance.charts import frame_colours
    from stance.compare import evidence

    e = html.escape
    colours = frame_colours(comparison.frames)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may be fetched: images are data: URIs, the style is inline, there is no script.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(_title(comparison))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(_title(comparison))}</h1>",
        f'<p class="scope">{e(_scope(comparison, prov))}</p>',
    ]

    def table(rows: list[dict]) -> None:
        if not rows:
            out.append("<p>(nothing)</p>")
            return
        columns = list(rows[0].keys())
        out.append("<table><thead><tr>" + "".join(f"<th>{e(str(c))}</th>" for c in columns) + "</tr></thead><tbody>")
        for r in rows:
            cells = []
            for c in columns:
                value = "" if r.get(c) is None else str(r.get(c))
                css = ' class="thin"' if "thin" in value else ""
                cells.append(f"<td{css}>{e(value)}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")

    def figure(name: str) -> None:
        if name not in svgs:
            return
        data = base64.b64encode(svgs[name].encode("utf-8")).decode("ascii")
        caption = _CHART_TITLES.get(name, name)
        out.append(f'<figure><img alt="{e(caption)}" src="data:image/svg+xml;base64,{data}">'
                   f"<figcaption>{e(caption)}</figcaption></figure>")

    def tags(frames: Sequence[str], primary: str | None) -> str:
        spans = []
        for f in frames:
            label = comparison.name_of(f) + (" (main)" if f == primary and len(frames) > 1 else "")
            spans.append(f'<span class="tag" style="{_tag_style(colours.get(f, "#bab0ac"))}">{e(label)}</span>')
        return "".join(spans)

    out.append("<h2>What the numbers say</h2>")
    for topic in _report_topics(comparison):
        out.append(f'<p class="reading">{e(comparison.tests[topic].reading)}</p>')
    out.append("<h2>Stance</h2>")
    table(_stance_rows(comparison))
    figure("stance")
    out.append("<h2>Frame mix</h2>")
    figure("frame_mix")
    for topic in _report_topics(comparison):
        topic_id = f"topic-{topic}"
        out.append(f'<h2 id="{e(topic_id)}">{e(comparison.name_of(topic))}</h2>')
        if not comparison.topic:  # with one topic its reading already opens the report
            out.append(f'<p class="reading">{e(comparison.tests[topic].reading)}</p>')
        out.append("<h3>Frame mix: sentences (share of the topic's sentences)</h3>")
        table(_frame_mix_rows(comparison, topic))
        terms = _terms_by_group(comparison, topic)
        if terms:
            out.append("<h3>Distinctive language</h3><div class=\"columns\">")
            for g, rows in terms.items():
                out.append(f'<div class="column"><h3>{e(comparison.group_names.get(g, g))}</h3>')
                if rows:
                    out.append('<ol class="terms">' + "".join(
                        f"<li>{e(r['term'])} <span class=\"meta\">×{r['count']} (others ×{r['others']}), z = {r['z']:.1f}</span></li>"
                        for r in rows[:8]) + "</ol></div>")
                else:
                    out.append('<p class="meta">no term used at least twice stands out</p></div>')
            out.append("</div>")
        out.append("<h3>In their own words (most confident first)</h3><div class=\"columns\">")
        for g in comparison.groups:
            found = evidence(comparison.table, topic=topic, group=g, by=comparison.by, voice=comparison.voice, limit=EVIDENCE_IN_REPORT)
            n = int(comparison.cells[(comparison.cells["topic"] == topic) & (comparison.cells["group"] == g)]["n"].sum())
            out.append(f'<div class="column"><h3>{e(comparison.group_names.get(g, g))}</h3>'
                       f'<p class="meta">{n} sentence{"s" if n != 1 else ""} on this topic</p>')
            for r in found.to_dict("records"):
                who = "quoted" + (f": {r['speaker_name']}" if r["speaker_name"] else "") if r["speaker"] == "quoted" else "author"
                out.append(f"<blockquote>“{e(str(r['text']))}”</blockquote>")
                out.append(f'<div class="meta">¶{int(r["paragraph"]) + 1} · sentence {int(r["index"]) + 1} · {e(who)} · '
                           f'confidence {r["confidence"]:.2f} · {e(str(r["labelled_by"]))} · {e(Path(str(r["path"])).name)}</div>')
                out.append(f"<div>{tags(r['frames'], r['primary_frame'])}</div>")
                if r["why"]:
                    out.append(f'<div class="meta">why: {e("; ".join(map(str, r["why"][:4])))}</div>')
            out.append("</div>")
        out.append("</div>")
    quality = _quality_rows(comparison)
    if quality:
        out.append("<h2>How good are the labels?</h2>")
        out.append("<p>The model's precision and recall on the sentences a person labelled; the adjusted shares above use these rates.</p>")
        for note in prov.get("notes", []):
            out.append(f'<p class="meta">{e(str(note))}</p>')
        table(quality)
    out.append("<h2>Coverage</h2>")
    figure("coverage")
    table(_coverage_rows(comparison))
    out.append('<h2>How to read this</h2><ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in METHOD_NOTES) + "</ul>")
    sources = prov.get("sources") or {}
    if sources:
        out.append("<h2>Sources</h2>")
        table([{"id": sid, **meta} for sid, meta in sources.items()])
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_markdown(comparison: Any, prov: Mapping[str, Any], images: Mapping[str, str]) -> str:
    """The report as Markdown, with chart images linked by relative path."""
    from stance.compare import evidence

    buffer = io.StringIO()
    w = buffer.write
    w(f"# {_md_cell(_title(comparison))}\n\n_{_md_cell(_scope(comparison, prov))}_\n\n")
    w("## What the numbers say\n\n")
    for topic in _report_topics(comparison):
        w(f"> {_md_cell(comparison.tests[topic].reading)}\n\n")
    w("## Stance\n\n")
    write_markdown(_stance_rows(comparison), buffer)
    for name in ("stance", "frame_mix"):
        if name in images:
            w(f"\n![{_CHART_TITLES[name]}]({images[name]})\n")
    for topic in _report_topics(comparison):
        w(f"\n## {_md_cell(comparison.name_of(topic))}\n\n")
        if not comparison.topic:  # with one topic its reading already opens the report
            w(f"> {_md_cell(comparison.tests[topic].reading)}\n\n")
        w("### Frame mix: sentences (share of the topic's sentences)\n\n")
        write_markdown(_frame_mix_rows(comparison, topic), buffer)
        terms = _terms_by_group(comparison, topic)
        if terms:
            w("\n### Distinctive language\n\n")
            for g, rows in terms.items():
                listed = ", ".join(f"{_md_cell(r['term'])} (z = {r['z']:.1f})" for r in rows[:8]) or "nothing stands out"
                w(f"- **{_md_cell(comparison.group_names.get(g, g))}**: {listed}\n")
        w("\n### In their own words (most confident first)\n")
        for g in comparison.groups:
            found = evidence(comparison.table, topic=topic, group=g, by=comparison.by, voice=comparison.voice, limit=EVIDENCE_IN_REPORT)
            w(f"\n**{_md_cell(comparison.group_names.get(g, g))}**\n\n")
            if found.empty:
                w("_no sentence on this topic_\n")
            for r in found.to_dict("records"):
                frames = ", ".join(comparison.name_of(f) for f in r["frames"]) or "no frame"
                who = "quoted" + (f": {r['speaker_name']}" if r["speaker_name"] else "") if r["speaker"] == "quoted" else "author"
                w(f"> “{_md_cell(str(r['text']))}”  \n> — ¶{int(r['paragraph']) + 1}, {_md_cell(who)}; "
                  f"{_md_cell(frames)}; confidence {r['confidence']:.2f}\n\n")
    quality = _quality_rows(comparison)
    if quality:
        w("\n## How good are the labels?\n\n")
        for note in prov.get("notes", []):
            w(f"_{_md_cell(str(note))}_\n\n")
        write_markdown(quality, buffer)
    w("\n## Coverage\n\n")
    if "coverage" in images:
        w(f"![{_CHART_TITLES['coverage']}]({images['coverage']})\n\n")
    write_markdown(_coverage_rows(comparison), buffer)
    w("\n## How to read this\n\n" + "".join(f"- {_md_cell(n)}\n" for n in METHOD_NOTES))
    return buffer.getvalue()
