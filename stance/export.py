"""Writing records out: JSONL, CSV and plain-text tables.

Spreadsheet safety: a text cell that starts with ``=``, ``+``, ``-``, ``@``,
tab or carriage return would run as a formula when an analyst opens the CSV
in Excel; ``safe_cell`` prefixes such cells with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

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
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False))
        out.write("\n")
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


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "table": write_table}


def write_records(
    rows: Iterable[Mapping[str, Any]],
    fmt: str,
    path: str | Path | None = None,
    columns: Sequence[str] | None = None,
) -> int:
    """Write ``rows`` as ``fmt`` to ``path`` (or stdout); returns the count."""
    writer = WRITERS[fmt]
    kwargs = {"columns": columns} if fmt != "jsonl" else {}
    if path is None or str(path) == "-":
        return writer(rows, sys.stdout, **kwargs)
    with open(path, "w", encoding="utf-8", newline="" if fmt == "csv" else None) as out:
        return writer(rows, out, **kwargs)


def to_string(rows: Iterable[Mapping[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    buffer = io.StringIO()
    kwargs = {"columns": columns} if fmt != "jsonl" else {}
    WRITERS[fmt](rows, buffer, **kwargs)
    return buffer.getvalue()
