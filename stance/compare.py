"""Compare sources: stance tables with their evidence and honest statistics.

The input is one table of tagged sentences (``SentenceTable``), built from
``TaggedSentence`` records or read back from an export (Parquet, JSONL, CSV).
``compare`` groups it by source (or by any metadata field) and, for every
group × topic cell, counts frames, computes the stance index on each codebook
axis with a Wilson interval, averages tone, and keeps the sentence ids behind
each number, most confident first. Per topic it tests whether the groups
differ in frame mix and says so in a sentence; it can list each group's
distinctive words, and, given human labels for some sentences, the model's
precision and recall with error-adjusted shares.

    >>> from stance.tagger import tag_paths
    >>> from stance.codebook import load_codebook
    >>> tagged, corpus = tag_paths()
    >>> table = SentenceTable.from_tagged(tagged, corpus.sources)
    >>> result = compare(table, load_codebook(), topic="export_controls")
    >>> result.rows()[0]["group"], result.tests["export_controls"].reading   # doctest: +SKIP

Everything is vectorised over sentences (numpy, pandas, pyarrow) so that a
million sentences compare in seconds; no step loops over sentences in Python.

Statistics, and why these:

- **stance index** ``(pos - neg) / (pos + neg)`` per axis, where a sentence
  framed both ways counts half to each side (so the index is the codebook's
  ``(positive - negative) / (framed either)``). Its 95% interval is the Wilson
  score interval of ``p = pos / n`` mapped to ``2p - 1``: it stays inside
  [-1, 1] and is wide, not falsely narrow, when n is small. Its n is divided
  by the design effect of the documents the sentences come from, so fifty
  sentences of ten one-sided articles are not taken for fifty independent
  readings. A cell resting on
  fewer than ``THIN`` sentences is flagged ``thin``, never hidden.
- **difference test** per topic on the groups × primary frame table (one frame
  per sentence, so each sentence is counted once), statistic Pearson's
  chi-square. An article's sentences lean together, so where the documents
  allow it (every group has at least two, and there are enough ways to deal
  them between groups that p can fall below 0.05: ``smallest_p``) the p-value
  comes from a **document permutation test**: whole documents are dealt
  between groups, each group keeping its number of documents, 20,000 times
  (seeded). Otherwise, as with one document per source, sentences are taken
  as independent and a reading that finds a difference says so: chi-square
  when every expected count is at least 5, else Fisher's exact test for 2 × 2
  tables and a Monte Carlo exact test (random tables with the same margins)
  for larger ones. Effect size: Cramér's V, on sentences, descriptive.
- **distinctive language**: log-odds ratio with an informative Dirichlet
  prior (Monroe, Colaresi & Quinn 2008, "Fightin' Words"), each group against
  all the others on the same topic; the prior is the pooled topic vocabulary.
- **adjusted shares**: adjusted classify-and-count (Forman 2008):
  ``(raw - fpr) / (tpr - fpr)`` with the model's true and false positive rates
  measured on human-labelled sentences.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from stance.codebook import Codebook
from stance.errors import StanceError
from stance.tagged import TaggedSentence

VOICES = ("all", "author", "quoted")
EVERY_TOPIC = "all"  # the one "topic" of a codebook without topics: every sentence
THIN = 5  # cells resting on fewer sentences are flagged "thin"
Z95 = 1.959963984540054
MIN_EXPECTED = 5.0  # below this expected count, chi-square gives way to an exact test
PERMUTATIONS = 20_000
ALPHA = 0.05
MIN_DOCUMENTS = 2  # per group, for the difference test to shuffle documents rather than count sentences
PERMUTATION_WORK = 200_000_000  # document × frame cells summed per test (about a second); more documents, fewer shuffles
MIN_PERMUTATIONS = 999  # ... but never fewer than this, so p can still reach 0.001

# Source metadata carried by every row of the table, and the fields one may group by.
SOURCE_FIELDS = ("source_name", "outlet", "kind", "country", "language", "date")
GROUP_FIELDS = (
    "source", "name", "outlet", "kind", "country", "language", "date", "month", "year",
    "speaker", "speaker_name", "path",
)
UNKNOWN = "(unknown)"

# The columns of a table (besides the label columns), in export order.
BASE_COLUMNS = (
    "sentence_id", "doc_id", "source", *SOURCE_FIELDS, "path", "index", "paragraph", "start", "end",
    "text", "heading", "boilerplate", "boilerplate_reason", "topics", "frames", "primary_frame",
    "confidence", "scores", "evidence", "labelled_by", "polarity", "subjectivity", "compound",
    "speaker", "speaker_name",
)
# What compare needs; reading an export for a table may skip the rest (text above all).
NEEDED_COLUMNS = (
    "sentence_id", "doc_id", "source", *SOURCE_FIELDS, "path", "index", "boilerplate", "topics", "frames",
    "primary_frame", "confidence", "labelled_by", "polarity", "subjectivity", "compound", "speaker",
    "speaker_name",
)
TOPIC_PREFIX = "topic:"
FRAME_PREFIX = "frame:"


# --- the sentence table -------------------------------------------------------


@dataclass(frozen=True)
class SentenceTable:
    """Tagged sentences as columns: one row per sentence, one boolean column per label.

    ``data`` has the ``BASE_COLUMNS`` that are known (``text``, ``scores`` and
    ``evidence`` may be missing when read for speed) and a boolean column
    ``topic:<id>`` / ``frame:<id>`` for every label in ``topics`` / ``frames``.
    """

    data: pd.DataFrame
    topics: tuple[str, ...]
    frames: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.data)

    @classmethod
    def from_tagged(
        cls,
        tagged: Iterable[TaggedSentence],
        sources: Mapping[str, object] | None = None,
        codebook: Codebook | None = None,
    ) -> "SentenceTable":
        """From ``TaggedSentence`` records; ``sources`` (``Corpus.sources``) adds metadata."""
        records = list(tagged)
        data = pd.DataFrame.from_records(records, columns=TaggedSentence._fields)
        data["confidence"] = np.fromiter((t.confidence for t in records), float, len(records))
        sources = sources or {}
        for name, attr in zip(SOURCE_FIELDS, ("name", "outlet", "kind", "country", "language", "date")):
            values = {sid: getattr(src, attr, "") or "" for sid, src in sources.items()}
            data[name] = data["source"].map(values).fillna("") if len(data) else pd.Series(dtype=object)
        return cls.from_frame(data, codebook)

    @classmethod
    def from_frame(cls, data: pd.DataFrame, codebook: Codebook | None = None) -> "SentenceTable":
        """From a DataFrame whose ``topics``/``frames`` hold lists or ``;``-joined ids."""
        import pyarrow as pa

        data = data.reset_index(drop=True).copy()
        labels: dict[str, np.ndarray] = {}
        known = {"topics": list(codebook.topic_ids) if codebook else [], "frames": list(codebook.frame_ids) if codebook else []}
        found: dict[str, list[str]] = {}
        for column, prefix in (("topics", TOPIC_PREFIX), ("frames", FRAME_PREFIX)):
            values = data[column] if column in data else pd.Series([()] * len(data), dtype=object)
            array = _label_lists(pa.array(_listish(values), from_pandas=True))
            matrix, ids = _label_matrix(array, known[column])
            found[column] = ids
            for j, label in enumerate(ids):
                labels[prefix + label] = matrix[:, j]
            data = data.drop(columns=[column], errors="ignore")
        data = _normalise_columns(data)
        data = pd.concat([data, pd.DataFrame(labels, index=data.index)], axis=1)
        return cls(data, tuple(found["topics"]), tuple(found["frames"]))

    @classmethod
    def from_arrow(cls, table, codebook: Codebook | None = None) -> "SentenceTable":
        """From a pyarrow Table (as read from Parquet or JSONL): label lists stay in arrow."""
        import pyarrow as pa

        known = {"topics": list(codebook.topic_ids) if codebook else [], "frames": list(codebook.frame_ids) if codebook else []}
        matrices = {}
        for column in ("topics", "frames"):
            if column in table.column_names:
                array = _label_lists(table.column(column).combine_chunks())
                table = table.drop_columns([column])
            else:
                array = pa.array([[]] * table.num_rows, type=pa.list_(pa.string()))
            matrices[column] = _label_matrix(array, known[column])
        strings = {pa.string(): pd.ArrowDtype(pa.string()), pa.large_string(): pd.ArrowDtype(pa.large_string())}
        data = _normalise_columns(table.to_pandas(types_mapper=strings.get))
        labels = {}
        for column, prefix in (("topics", TOPIC_PREFIX), ("frames", FRAME_PREFIX)):
            matrix, ids = matrices[column]
            for j, label in enumerate(ids):
                labels[prefix + label] = matrix[:, j]
        data = pd.concat([data, pd.DataFrame(labels, index=data.index)], axis=1)
        return cls(data, tuple(matrices["topics"][1]), tuple(matrices["frames"][1]))

    def topic_matrix(self) -> np.ndarray:
        return self._matrix(TOPIC_PREFIX, self.topics)

    def frame_matrix(self) -> np.ndarray:
        return self._matrix(FRAME_PREFIX, self.frames)

    def _matrix(self, prefix: str, ids: Sequence[str]) -> np.ndarray:
        if not ids:
            return np.zeros((len(self.data), 0), bool)
        return self.data[[prefix + i for i in ids]].to_numpy(dtype=bool)

    def label_lists(self, rows: np.ndarray | None = None) -> tuple[list[list[str]], list[list[str]]]:
        """Topic and frame id lists of some rows (for display; not for the big path)."""
        data = self.data if rows is None else self.data.iloc[rows]
        out = []
        for prefix, ids in ((TOPIC_PREFIX, self.topics), (FRAME_PREFIX, self.frames)):
            if not ids:
                out.append([[] for _ in range(len(data))])
                continue
            matrix = data[[prefix + i for i in ids]].to_numpy(dtype=bool)
            out.append([[ids[j] for j in np.flatnonzero(r)] for r in matrix])
        return out[0], out[1]

    def select(self, mask: np.ndarray) -> "SentenceTable":
        return SentenceTable(self.data.loc[mask].reset_index(drop=True), self.topics, self.frames)

    def content(self, voice: str = "all") -> "SentenceTable":
        """Sentences that are not boilerplate, in the chosen voice (all | author | quoted)."""
        return self.select(self._content_mask(voice))

    def _content_mask(self, voice: str) -> np.ndarray:
        if voice not in VOICES:
            raise StanceError(f"unknown voice {voice!r}", fix=f"use one of: {', '.join(VOICES)}")
        mask = ~self.data["boilerplate"].to_numpy(dtype=bool)
        if voice != "all":
            mask &= (self.data["speaker"] == voice).to_numpy()
        return mask

    def group_keys(self, by: str) -> pd.Series:
        """The group of every row: the source id, or the value of a metadata field."""
        return group_keys(self.data, by)


def _listish(values: pd.Series) -> list:
    """Label cells as lists for arrow: tuples, lists, ``;``-strings, JSON lists or empty."""
    out = []
    for v in values.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append([])
        elif isinstance(v, str):
            s = v.strip()
            if s.startswith("["):
                out.append([str(x) for x in json.loads(s)])
            else:
                out.append([p.strip() for p in s.split(";") if p.strip()])
        else:
            out.append([str(x) for x in v])
    return out


def _label_lists(array):
    """An arrow array of label lists, whatever the export wrote (lists or ``;``-joined text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_null(array.type):
        return pa.array([[]] * len(array), type=pa.list_(pa.string()))
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return pc.split_pattern(pc.fill_null(array, ""), ";")
    if pa.types.is_dictionary(array.type):
        return _label_lists(array.cast(pa.string()))
    return array


def _label_matrix(array, known: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """(n × labels) booleans from a list array; ids not in ``known`` are appended, not dropped.

    The flattened ids are dictionary-encoded first, so the per-value work
    (trimming, matching ids) runs on the few distinct ids, not on every label.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    flat = pc.list_flatten(array)
    ids = list(known)
    if not len(flat):
        return np.zeros((n, len(ids)), bool), ids
    parents = np.asarray(pc.list_parent_indices(array))
    encoded = flat if pa.types.is_dictionary(flat.type) else pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = [str(v).strip() if v is not None else "" for v in encoded.dictionary.to_pylist()]
    seen = set(ids)
    ids += sorted({v for v in values if v and v not in seen})
    position = {label: j for j, label in enumerate(ids)}
    lookup = np.array([position.get(v, -1) for v in values] + [-1], dtype=np.int64)
    codes = lookup[np.asarray(encoded.indices.fill_null(len(values)))]
    keep = codes >= 0
    matrix = np.zeros((n, len(ids)), bool)
    matrix[parents[keep], codes[keep]] = True
    return matrix, ids


TONE = ("polarity", "subjectivity", "compound")
_DEFAULTS = {
    "boilerplate": False, "heading": False, "primary_frame": None, "confidence": 0.0, "labelled_by": "model",
    "polarity": np.nan, "subjectivity": np.nan, "compound": np.nan, "speaker": "author", "speaker_name": None,
    "index": 0, "paragraph": 0, "path": "", "doc_id": "",
}


def _normalise_columns(data: pd.DataFrame) -> pd.DataFrame:
    """Missing optional columns get their defaults; flags become booleans, metadata text."""
    if "source" not in data or "sentence_id" not in data:
        raise StanceError(
            "the table has no 'source' or 'sentence_id' column",
            fix="give a file written by `stance export` (csv, jsonl or parquet)",
        )
    for name, default in _DEFAULTS.items():
        if name not in data:
            data[name] = default
    for name in SOURCE_FIELDS:
        if name not in data:
            data[name] = ""
    for name in ("boilerplate", "heading"):
        column = data[name]
        if column.dtype != bool:
            data[name] = column.map(_truthy).astype(bool)
    data["confidence"] = pd.to_numeric(data["confidence"], errors="coerce").fillna(0.0).astype(float)
    for name in TONE:  # a tone not given is unknown, left out of the means, not a neutral 0
        data[name] = pd.to_numeric(data[name], errors="coerce").astype(float)
    for name in ("index", "paragraph"):
        data[name] = pd.to_numeric(data[name], errors="coerce").fillna(0).astype(np.int64)
    name = data["speaker_name"]  # a JSONL or Parquet null, as a CSV's empty cell
    if isinstance(name.dtype, pd.CategoricalDtype) and "" not in set(name.cat.categories):
        name = name.cat.add_categories([""])
    data["speaker_name"] = name.fillna("")
    primary = data["primary_frame"]
    if isinstance(primary.dtype, pd.CategoricalDtype):
        if "" in set(primary.cat.categories):
            data["primary_frame"] = primary.cat.remove_categories([""])
    else:
        data["primary_frame"] = primary.where(primary.notna() & (primary != ""), None)
    return data


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if value is not None and value == value else False


def group_keys(data: pd.DataFrame, by: str) -> pd.Series:
    """Each row's group under ``by`` (see ``GROUP_FIELDS``); missing values are ``(unknown)``."""
    if by not in GROUP_FIELDS:
        raise StanceError(f"cannot group by {by!r}", fix=f"use one of: {', '.join(GROUP_FIELDS)}")
    column = {"name": "source_name", "month": "date", "year": "date"}.get(by, by)
    values = data[column]
    cut = _DATE_PARTS.get(by)
    if isinstance(values.dtype, pd.CategoricalDtype):
        # A million rows, a handful of values: work on the categories, not the rows.
        names = pd.Series(values.cat.categories.astype(str))
        names = (names.str.extract(cut, expand=False).fillna("") if cut else names).replace("", UNKNOWN)
        codes, uniques = pd.factorize(names)
        row_codes = np.asarray(values.cat.codes)
        mapped = np.where(row_codes >= 0, codes[row_codes], len(uniques))
        categories = list(uniques) + ([UNKNOWN] if UNKNOWN not in set(uniques) else [])
        if UNKNOWN in set(uniques):
            mapped = np.where(row_codes >= 0, mapped, list(uniques).index(UNKNOWN))
        return pd.Series(pd.Categorical.from_codes(mapped, categories=categories), index=data.index)
    values = values.astype("string")
    if cut:
        values = values.str.extract(cut, expand=False)
    return values.fillna(UNKNOWN).replace("", UNKNOWN)


# A date's year and month: "2024-05-14" is in 2024-05; a year, or a range of years ("2022-2025"), has no month.
_DATE_PARTS = {"month": r"^(\d{4}-(?:0[1-9]|1[0-2]))(?:-\d\d)?(?:$|[T ])", "year": r"^(\d{4})"}


# --- reading an export back ----------------------------------------------------


def is_export(path: str | Path) -> bool:
    """Is ``path`` a table written by ``stance export`` (rather than documents to read)?"""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        return False
    if suffix == ".parquet":
        return True
    if suffix not in (".jsonl", ".csv"):
        return False
    try:
        with open(path, encoding="utf-8-sig") as f:
            first = f.readline()
    except (OSError, UnicodeDecodeError):
        return False
    if suffix == ".jsonl":
        try:
            keys = set(json.loads(first))
        except (json.JSONDecodeError, TypeError):
            return False
    else:
        keys = set(_export_header(first)[1])
    if EXPORT_KEYS <= keys:
        return True
    if "sentence_id" in keys and keys & {"topics", "frames"}:  # an export with a column deleted: read as texts, it would be tagged anew
        missing = sorted(EXPORT_KEYS - keys)
        raise StanceError(f"a `stance export` table without its {', '.join(missing)} column{'s' if len(missing) > 1 else ''}",
                          path=str(path), fix="export again (`stance export ... -o FILE`), or put the column back")
    return False


EXPORT_KEYS = frozenset({"sentence_id", "source", "topics", "frames"})


def _export_header(first: str) -> tuple[str, list[str]]:
    """The separator of an export CSV's header line (Excel saves ";" where "," is the decimal mark) and its names."""
    from stance.corpus import CSV_DELIMITERS

    splits = [(d, [k.strip() for k in next(csv.reader([first], delimiter=d), [])]) for d in CSV_DELIMITERS]
    return next(((d, keys) for d, keys in splits if EXPORT_KEYS <= set(keys)), splits[0])


def read_export(
    paths: str | Path | Sequence[str | Path],
    codebook: Codebook | None = None,
    *,
    columns: Sequence[str] | None = None,
    problems: list[StanceError] | None = None,
) -> SentenceTable:
    """Read one or more ``stance export`` files (Parquet, JSONL or CSV) into a table.

    ``columns`` limits what is read (``NEEDED_COLUMNS`` is enough for the
    stance table and skips the text, which is most of the bytes). A file that
    cannot be read raises StanceError (with its first bad line, where a text
    file shows one); given a ``problems`` list, it goes there instead and the
    other files are read (StanceError only when none can be).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.json as pajson
    import pyarrow.parquet as pq

    if isinstance(paths, (str, Path)):
        paths = [paths]
    tables = []
    for raw in paths:
        path = Path(raw)
        suffix = path.suffix.lower()
        try:
            if suffix == ".parquet":
                schema = pq.read_schema(path)
                wanted = [c for c in columns if c in schema.names] if columns else None
                lists = [f"{c}.list.element" for c in ("topics", "frames") if c in schema.names]
                table = pq.read_table(path, columns=wanted, read_dictionary=lists, pre_buffer=False)
            elif suffix == ".jsonl":
                # With the columns named, the parser skips building the rest (scores, evidence, text).
                options = pajson.ParseOptions(explicit_schema=_arrow_schema(columns), unexpected_field_behavior="ignore") if columns else None
                table = pajson.read_json(path, parse_options=options)
            elif suffix == ".csv":
                convert = pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in ("topics", "frames", "primary_frame", "sentence_id", "doc_id",
                                                         "source", "speaker_name", "date", "labelled_by", "text")},
                    strings_can_be_null=False,
                )
                with open(path, encoding="utf-8-sig") as f:
                    delimiter = _export_header(f.readline())[0]
                table = pacsv.read_csv(path, convert_options=convert, parse_options=pacsv.ParseOptions(delimiter=delimiter))
            else:
                raise StanceError("not an export table", path=str(path), fix="give a .parquet, .jsonl or .csv file written by `stance export`")
        except (OSError, pa.ArrowInvalid, StanceError) as exc:
            error = exc if isinstance(exc, StanceError) else StanceError(
                f"cannot read the export ({str(exc).splitlines()[0][:160]})", path=str(path), line=_first_bad_line(path),
                fix="give a file written by `stance export` (a copy cut short: export it again)")
            if problems is None:
                raise error from None
            problems.append(error)
            continue
        if columns and suffix != ".parquet":
            table = table.select([c for c in table.column_names if c in set(columns)])
        tables.append(table)
    if not tables:
        raise StanceError("no export table could be read", path=", ".join(map(str, paths)),
                          fix="; ".join(str(p) for p in (problems or [])[:3]) or "give files written by `stance export`")
    table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="permissive")
    return SentenceTable.from_arrow(table, codebook)


def _first_bad_line(path: Path) -> int | None:
    """The first line of a JSONL or CSV export that does not parse, or has other than the header's
    count of cells (Arrow names neither); None for Parquet, or when no line is at fault."""
    suffix = path.suffix.lower()
    try:
        with open(path, encoding="utf-8-sig", newline="" if suffix == ".csv" else None, errors="replace") as f:
            if suffix == ".jsonl":
                for number, line in enumerate(f, 1):
                    try:
                        if line.strip():
                            json.loads(line)
                    except json.JSONDecodeError:
                        return number
            elif suffix == ".csv":
                delimiter = _export_header(f.readline())[0]
                f.seek(0)
                reader = csv.reader(f, delimiter=delimiter)
                width, start = len(next(reader, [])), 2
                for cells in reader:
                    if len(cells) != width:
                        return start
                    start = reader.line_num + 1
    except (OSError, csv.Error):
        return None
    return None


def _arrow_schema(columns: Sequence[str]):
    """Arrow types of export columns (for reading JSONL without inferring them)."""
    import pyarrow as pa

    types = {"index": pa.int64(), "paragraph": pa.int64(), "start": pa.int64(), "end": pa.int64(), "heading": pa.bool_(),
             "boilerplate": pa.bool_(), "topics": pa.list_(pa.string()), "frames": pa.list_(pa.string()),
             "confidence": pa.float64(), "polarity": pa.float64(), "subjectivity": pa.float64(), "compound": pa.float64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in columns if c not in ("scores", "evidence")])


# --- statistics --------------------------------------------------------------------


def wilson(successes: np.ndarray | float, n: np.ndarray | int, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a proportion; (0, 1) when n is 0.

    >>> lo, hi = wilson(3, 4)
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.301, 0.954)
    """
    s = np.asarray(successes, float)
    n = np.asarray(n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, s / n, 0.5)
        z2 = z * z
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0, 1), 0.0)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), 1.0)
    return low, high


def stance_index(
    positive: np.ndarray, negative: np.ndarray, both: np.ndarray | None = None, z: float = Z95, deff: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Index, interval and n from counts of sentences framed positive only, negative only, both.

    A sentence framed both ways counts half to each side, so the index is
    (positive - negative) / (framed either), and its interval is the Wilson
    interval of p = (positive + both/2) / n mapped to 2p - 1. ``deff`` (see
    ``design_effect``) widens it for sentences that cluster in documents:
    the Wilson interval is taken on the effective n, n / deff.

    >>> r = stance_index(np.array([3]), np.array([1]))
    >>> float(r["index"][0]), round(float(r["low"][0]), 2), round(float(r["high"][0]), 2)
    (0.5, -0.4, 0.91)
    """
    positive = np.asarray(positive, float)
    negative = np.asarray(negative, float)
    both = np.zeros_like(positive) if both is None else np.asarray(both, float)
    n = positive + negative + both
    n_eff = n if deff is None else n / np.asarray(deff, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = wilson(np.where(n > 0, (positive + both / 2) / n, 0) * n_eff, n_eff, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(n > 0, (positive - negative) / n, np.nan)
    return {"index": index, "low": 2 * low - 1, "high": 2 * high - 1, "n": n.astype(np.int64)}


def design_effect(successes: np.ndarray, n: np.ndarray, groups: np.ndarray, documents: np.ndarray, G: int) -> np.ndarray:
    """Per group, how much the documents' own leanings inflate the variance of a share (at least 1).

    Sentences of one document are not independent draws: an article argues
    one way throughout. ``successes`` and ``n`` are per sentence (what
    counts towards p, and 1 if the sentence counts at all); the cluster-
    robust variance of the ratio p = sum(successes) / sum(n) over the
    group's documents, divided by the binomial p(1 - p) / n, is the design
    effect (Kish). It is 1 where it cannot be estimated: fewer than two
    documents, or p at 0 or 1.

    Three documents of two sentences, each document all one way: six
    sentences weigh as two.

    >>> design_effect(np.array([1, 1, 0, 0, 1, 1]), np.ones(6), np.zeros(6, int), np.array([0, 0, 1, 1, 2, 2]), 1).round(2)
    array([3.])
    """
    first, pair_group = _units(groups, documents)
    x = np.bincount(first, weights=successes, minlength=len(pair_group))
    m = np.bincount(first, weights=n, minlength=len(pair_group))
    used = m > 0
    total = np.bincount(pair_group, weights=m, minlength=G)
    docs = np.bincount(pair_group[used], minlength=G)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.bincount(pair_group, weights=x, minlength=G) / total
        residual = np.bincount(pair_group, weights=(x - p[pair_group] * m) ** 2, minlength=G)
        robust = docs / (docs - 1) * residual / (total * total)
        deff = robust / (p * (1 - p) / total)
    ok = (docs >= 2) & (p > 0) & (p < 1)
    return np.where(ok, np.clip(np.nan_to_num(deff, nan=1.0), 1.0, np.maximum(total, 1.0)), 1.0)


def _chi_square(table: np.ndarray) -> tuple[float, np.ndarray]:
    """Pearson's statistic and the expected counts of a table without empty rows or columns."""
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total
    return float(((table - expected) ** 2 / expected).sum()), expected


@dataclass(frozen=True)
class DifferenceTest:
    """Do the groups differ in frame mix on one topic? (groups × primary frame)."""

    topic: str
    groups: tuple[str, ...]  # rows of ``table`` (groups with at least one framed sentence)
    frames: tuple[str, ...]  # columns of ``table`` (frames used at least once)
    table: np.ndarray
    n: int  # sentences in the test: those of the topic with a frame
    statistic: float | None  # Pearson's chi-square
    dof: int
    p_value: float | None
    method: str
    cramers_v: float | None
    reading: str  # the plain-language sentence
    deviation: dict = field(default_factory=dict)  # the cell that deviates most

    def to_dict(self) -> dict:
        return {
            "topic": self.topic,
            "n": self.n,
            "groups": list(self.groups),
            "frames": list(self.frames),
            "table": self.table.tolist(),
            "statistic": _round(self.statistic),
            "dof": self.dof,
            "p_value": _round(self.p_value, 6),
            "method": self.method,
            "cramers_v": _round(self.cramers_v),
            "deviation": self.deviation,
            "reading": self.reading,
        }


def contingency_test(table: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int = 0, p_value: bool = True) -> dict:
    """Test of independence for a table of counts, with Cramér's V.

    Chi-square when every expected count is at least 5; otherwise Fisher's
    exact test (2 × 2) or a Monte Carlo exact test: ``permutations`` random
    tables with the same margins (Patefield's algorithm), p = (1 + as extreme)
    / (1 + permutations). Without ``p_value`` (another test gives it), only
    the statistic, its expected counts and Cramér's V.
    """
    from scipy.special import chdtrc  # chi-square survival; scipy.stats takes a second to import

    table = np.asarray(table, float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    r, c = table.shape
    n = int(table.sum())
    if r < 2 or c < 2:
        return {"statistic": None, "dof": 0, "p_value": None, "method": "none", "cramers_v": None, "expected": None}
    statistic, expected = _chi_square(table)
    dof = (r - 1) * (c - 1)
    if not p_value:
        p, method = None, "none"
    elif expected.min() >= MIN_EXPECTED:
        p, method = float(chdtrc(dof, statistic)), "chi-square"
    elif (r, c) == (2, 2):
        from scipy import stats

        p, method = float(stats.fisher_exact(table.astype(int)).pvalue), "Fisher's exact test"
    else:
        from scipy import stats

        tables = stats.random_table(table.sum(axis=1).astype(int), table.sum(axis=0).astype(int), seed=seed).rvs(permutations)
        sims = (((tables - expected) ** 2) / expected).sum(axis=(1, 2))
        extreme = int((sims >= statistic - 1e-9).sum())
        p = (1 + extreme) / (1 + permutations)
        method = f"Monte Carlo exact test ({permutations:,} tables)"
    v = math.sqrt(statistic / (n * (min(r, c) - 1))) if n else None
    return {"statistic": statistic, "dof": dof, "p_value": p, "method": method, "cramers_v": v, "expected": expected}


def _chi_squares(tables: np.ndarray) -> np.ndarray:
    """Pearson's statistic of each table in a stack (tables × rows × columns), each from its own margins.

    When whole documents change groups, the groups' sentence totals change
    with them, so every permuted table needs its own expected counts.
    """
    tables = np.asarray(tables, float)
    rows = tables.sum(axis=2, keepdims=True)
    columns = tables.sum(axis=1, keepdims=True)
    total = tables.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rows * columns > 0, tables * tables / (rows * columns), 0.0)
    return total * (ratio.sum(axis=(1, 2)) - 1.0)


def smallest_p(sizes: Sequence[int]) -> float:
    """The smallest p-value a test that shuffles documents between groups of these sizes can reach.

    There are ``D! / (n_1! ... n_G!)`` distinct ways to deal D documents into
    groups of the given sizes (a multinomial coefficient); swapping two groups
    of the same size leaves the statistic unchanged, so at best the observed
    split is matched by those relabellings: p >= (relabellings) / (ways).
    Computed with log-gamma, so a thousand documents do not make a
    thousand-digit integer.

    >>> round(smallest_p([2, 2]), 3), round(smallest_p([4, 4]), 3), round(smallest_p([10, 10]), 6)
    (0.333, 0.029, 1.1e-05)
    """
    sizes = [int(k) for k in sizes]
    ways = math.lgamma(sum(sizes) + 1) - sum(math.lgamma(k + 1) for k in sizes)
    same = sum(math.lgamma(sizes.count(k) + 1) for k in set(sizes))
    return math.exp(same - ways)


def document_counts(groups: np.ndarray, frames: np.ndarray, documents: np.ndarray, C: int) -> tuple[np.ndarray, np.ndarray]:
    """Each document's frame counts within a group (documents × C) and the group of each row.

    The unit is a document's sentences in one group, as in ``design_effect``:
    grouped by source, that is the document; grouped by speaker, an article's
    author and quoted sentences are two units.
    """
    unit, group_of = _units(groups, documents)
    counts = np.bincount(unit * C + frames, minlength=len(group_of) * C).reshape(len(group_of), C)
    return counts, group_of


def _units(groups: np.ndarray, documents: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sentences' units (a document's sentences in one group): each sentence's unit, and each unit's group."""
    width = int(np.max(documents, initial=0)) + 1
    pair, unit = np.unique(np.asarray(groups, np.int64) * width + documents, return_inverse=True)
    return unit, pair // width


def permutation_test(counts: np.ndarray, labels: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int = 0) -> tuple[float, float]:
    """(statistic, p) of Pearson's chi-square, its p-value from dealing whole documents between groups.

    ``counts`` holds one row per document (its sentences per frame) and
    ``labels`` its group. Each permutation keeps every document whole and
    every group's number of documents, so sentences that lean together move
    together: p = (1 + permutations with a statistic at least the observed)
    / (1 + permutations). Each permuted table is a sum of document rows
    (a gather and ``np.add.reduceat`` over a batch of shuffles), so no
    step loops over documents or permutations one by one.
    """
    order = np.argsort(labels, kind="stable")
    counts = np.asarray(counts)[order].astype(np.int32)
    labels = np.asarray(labels)[order]
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    U, C = counts.shape
    observed = _chi_squares(np.add.reduceat(counts, starts, axis=0)[None])[0]
    rng = np.random.default_rng(seed)
    batch = max(1, 4_000_000 // (U * C))
    extreme, done = 0, 0
    while done < permutations:
        b = min(batch, permutations - done)
        shuffles = rng.permuted(np.tile(np.arange(U), (b, 1)), axis=1)
        tables = np.add.reduceat(counts[shuffles], starts, axis=1)
        extreme += int((_chi_squares(tables) >= observed * (1 - 1e-9) - 1e-9).sum())
        done += b
    return float(observed), (1 + extreme) / (1 + permutations)


# --- label quality on human-labelled sentences -----------------------------------


def gold_labels(items: Iterable) -> dict[str, frozenset[str]]:
    """Human labels by sentence id, from ``Annotation`` rows or human-labelled ``TaggedSentence``s.

    Annotations without a sentence id cannot be matched and are left out.
    """
    gold: dict[str, frozenset[str]] = {}
    for item in items:
        if isinstance(item, TaggedSentence):
            if item.labelled_by.startswith("human:"):
                gold[item.sentence_id] = frozenset(item.topics) | frozenset(item.frames)
        elif getattr(item, "sentence_id", None):
            gold[item.sentence_id] = frozenset(item.topics) | frozenset(item.frames)
    return gold


def label_quality(
    predicted: SentenceTable,
    gold: Mapping[str, Collection[str]],
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """The model's per-label precision and recall on the sentences a human labelled.

    ``predicted`` must hold the model's predictions (rows labelled by a human
    are left out: their labels are not predictions). One row per label, and
    per group as well when ``by`` is given (``group`` is ``"all"`` for the
    pooled rows). ``tpr`` is the recall, ``fpr`` the rate of false positives
    among the sentences without the label.
    """
    data = predicted.data
    ids = data["sentence_id"].to_numpy()
    human = data["labelled_by"].astype("string").str.startswith("human:").fillna(False).to_numpy(dtype=bool)
    mask = pd.Series(ids).isin(gold.keys()).to_numpy() & ~human & ~data["boilerplate"].to_numpy(dtype=bool)
    rows = np.flatnonzero(mask)
    labels = [(TOPIC_PREFIX, t, "topic") for t in predicted.topics] + [(FRAME_PREFIX, f, "frame") for f in predicted.frames]
    columns = ["group", "label", "kind", "n", "gold", "predicted", "tp", "fp", "fn", "tn", "precision", "recall", "fpr"]
    if not len(rows):
        return pd.DataFrame(columns=columns)
    truth_sets = [gold[i] for i in ids[rows]]
    groups = [("all", np.ones(len(rows), bool))]
    if by is not None:
        keys = predicted.group_keys(by).to_numpy()[rows]
        groups += [(g, keys == g) for g in sorted(set(keys))]
    out = []
    for prefix, label, kind in labels:
        pred = data[prefix + label].to_numpy(dtype=bool)[rows]
        truth = np.fromiter((label in s for s in truth_sets), bool, len(rows))
        for group, sel in groups:
            p, t = pred[sel], truth[sel]
            tp, fp = int((p & t).sum()), int((p & ~t).sum())
            fn, tn = int((~p & t).sum()), int((~p & ~t).sum())
            out.append({
                "group": group, "label": label, "kind": kind, "n": int(sel.sum()), "gold": tp + fn, "predicted": tp + fp,
                "tp": tp, "fp": fp, "fn": fn, "tn": tn,
                "precision": tp / (tp + fp) if tp + fp else None,
                "recall": tp / (tp + fn) if tp + fn else None,
                "fpr": fp / (fp + tn) if fp + tn else None,
            })
    return pd.DataFrame(out, columns=columns)


MIN_GOLD = 5  # a group's own rate is used when it rests on at least this many gold sentences


def adjusted_share(share: float | None, tpr: float | None, fpr: float | None) -> float | None:
    """Adjusted classify-and-count: (share - fpr) / (tpr - fpr), clipped to [0, 1].

    None when the rates are unknown or the model barely tells the label apart
    (tpr - fpr < 0.1), where the correction would only amplify noise.

    >>> round(adjusted_share(0.5, 0.8, 0.2), 3)
    0.5
    >>> round(adjusted_share(0.3, 0.9, 0.1), 3)
    0.25
    """
    if share is None or tpr is None or fpr is None or tpr - fpr < 0.1:
        return None
    return float(min(1.0, max(0.0, (share - fpr) / (tpr - fpr))))


def _rates(quality: Mapping[tuple[str, str], dict] | None, label: str, group: str) -> tuple[float | None, float | None, str]:
    """(tpr, fpr, basis) for a label in a group; ``quality`` maps (group, label) to a ``label_quality`` row.

    Each rate is the group's own when it rests on ``MIN_GOLD`` gold sentences
    (positives for the tpr, negatives for the fpr), else the pooled one: a
    model that over-predicts a label for one source shows in that source's
    false positive rate, which is what the correction must use.
    """
    if not quality:
        return None, None, ""
    p = quality.get(("all", label))
    if p is None:
        return None, None, ""
    tpr, fpr, basis = p["recall"], p["fpr"], ["pooled tpr", "pooled fpr"]
    r = quality.get((group, label))
    if r is not None:
        if r["gold"] >= MIN_GOLD:
            tpr, basis[0] = r["recall"], "own tpr"
        if r["n"] - r["gold"] >= MIN_GOLD:
            fpr, basis[1] = r["fpr"], "own fpr"
    return tpr, fpr, ", ".join(basis)


# --- distinctive language -----------------------------------------------------------


_US = re.compile(r"\bU\.S\.(?:A\.)?|\bUSA?\b")
TOKEN_PATTERN = r"(?u)(?<!\w)u\.s\.|\b[^\W\d_]{2,}\b"


def _preprocess(text: str) -> str:
    # "US" would be lower-cased into the stop word "us"; keep it as a term.
    return _US.sub(" U.S. ", text).lower()


def _vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(ngram_range=(1, 2), stop_words="english", token_pattern=TOKEN_PATTERN, preprocessor=_preprocess)


@dataclass(frozen=True)
class TermIndex:
    """Every sentence's unigram and bigram counts (rows: the table's rows), made once per table.

    With it, a topic's distinctive terms are a slice of rows rather than a
    new pass of the tokeniser over the topic's sentences (what keeps a topic
    switch in the dashboard fast on a large corpus).
    """

    matrix: object  # scipy.sparse CSR, table rows × terms
    vocabulary: np.ndarray

    def select(self, mask: np.ndarray) -> "TermIndex":
        """The index of ``table.select(mask)``."""
        return TermIndex(self.matrix[np.flatnonzero(mask)], self.vocabulary)


def term_index(table: SentenceTable) -> TermIndex:
    """Count the terms of every sentence of the table (see ``TermIndex``)."""
    import scipy.sparse as sp

    texts = _strings(table.data["text"], np.arange(len(table))) if "text" in table.data else []
    vectorizer = _vectorizer()
    try:
        matrix = vectorizer.fit_transform(["" if t is None else str(t) for t in texts])
    except ValueError:  # no text, or nothing but stop words
        return TermIndex(sp.csr_matrix((len(table), 0)), np.array([], dtype=object))
    return TermIndex(matrix.tocsr(), vectorizer.get_feature_names_out())


def distinctive_terms(
    texts: Sequence[str],
    groups: Sequence[str],
    *,
    top: int = 12,
    min_count: int = 2,
    prior_strength: float | None = None,
    counts: tuple | None = None,
) -> pd.DataFrame:
    """Each group's distinctive unigrams and bigrams against all other groups.

    Log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi &
    Quinn 2008): the prior is the pooled vocabulary of all groups, scaled to
    ``prior_strength`` pseudo-counts (default: as many as there are tokens in
    the smaller side, which keeps one-off words from topping the list).
    English stop words are dropped before bigrams are formed. Returns the
    ``top`` terms of each group with ``z > 0`` and at least ``min_count`` uses,
    best first: ``group, term, count, others, log_odds, z``. ``counts``
    (the texts' rows of a ``TermIndex``: matrix and vocabulary) skips
    tokenising them again; the result is the same.
    """
    columns = ["group", "term", "count", "others", "log_odds", "z"]
    keys = np.asarray(groups, dtype=object)
    names = sorted(set(keys.tolist()))
    if len(names) < 2 or not len(keys):
        return pd.DataFrame(columns=columns)
    if counts is not None:  # the rows of a TermIndex: the same vocabulary CountVectorizer would find
        X, vocabulary = counts
        used = np.flatnonzero(np.asarray(X.sum(axis=0)).ravel() > 0)
        if not len(used):
            return pd.DataFrame(columns=columns)
        X, vocabulary = X[:, used], vocabulary[used]
    else:
        vectorizer = _vectorizer()
        try:
            X = vectorizer.fit_transform(texts)
        except ValueError:  # nothing but stop words
            return pd.DataFrame(columns=columns)
        vocabulary = vectorizer.get_feature_names_out()
    codes = np.searchsorted(names, keys)
    import scipy.sparse as sp

    onehot = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(names), len(codes)))
    counts = np.asarray((onehot @ X).todense(), float)  # groups × terms
    pooled = counts.sum(axis=0)
    out = []
    for i, name in enumerate(names):
        y_i = counts[i]
        y_j = pooled - y_i
        n_i, n_j = y_i.sum(), y_j.sum()
        a0 = prior_strength if prior_strength is not None else max(1.0, min(n_i, n_j))
        alpha = a0 * pooled / pooled.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.log((y_i + alpha) / (n_i + a0 - y_i - alpha)) - np.log((y_j + alpha) / (n_j + a0 - y_j - alpha))
            z = delta / np.sqrt(1 / (y_i + alpha) + 1 / (y_j + alpha))
        ok = (y_i >= min_count) & (z > 0)
        best = np.flatnonzero(ok)[np.argsort(-z[ok], kind="stable")][:top]
        for j in best:
            out.append({"group": name, "term": vocabulary[j], "count": int(y_i[j]), "others": int(y_j[j]),
                        "log_odds": float(delta[j]), "z": float(z[j])})
    return pd.DataFrame(out, columns=columns)


# --- the comparison --------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Everything ``compare`` found, as tables (DataFrames) and readings.

    - ``cells``: one row per group × topic: ``n``, ``thin``, per frame
      ``frame.<id>.count`` / ``.share`` (and ``.adjusted`` with gold labels),
      per axis ``stance.<id>.index`` / ``.low`` / ``.high`` / ``.n`` /
      ``.positive`` / ``.negative``, tone means and spreads, ``sentence_ids``
      (most confident first).
    - ``coverage``: one row per group × topic: topic sentences, the group's
      content sentences and the topic's share of them.
    - ``tests``: a ``DifferenceTest`` per topic (only topics with sentences).
    - ``terms``: distinctive terms per topic and group (when asked for).
    - ``quality``: the model's precision/recall on human-labelled sentences.
    """

    codebook: Codebook
    by: str
    voice: str
    topic: str | None
    groups: tuple[str, ...]
    group_names: dict[str, str]
    topics: tuple[str, ...]
    frames: tuple[str, ...]
    cells: pd.DataFrame
    coverage: pd.DataFrame
    tests: dict[str, DifferenceTest]
    terms: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    table: SentenceTable | None = field(default=None, repr=False)  # the whole table (evidence filters it)

    @property
    def axes(self):
        return self.codebook.axes

    def name_of(self, label_id: str) -> str:
        """Display name of a topic, frame or axis (the id when the codebook does not know it)."""
        for axis in self.codebook.axes:
            if axis.id == label_id:
                return axis.name
        try:
            return self.codebook.label(label_id).name
        except KeyError:
            return label_id

    def rows(self) -> list[dict]:
        """The JSON rows of ``stance compare --format json``: one per group × topic.

        Each row: ``group``, ``group_name``, ``topic``, ``n``, ``thin``,
        ``frames`` ``{frame_id: {"count", "share"}}``, ``stance``
        ``{axis_id: {"index", "low", "high", "n"}}`` (index null when n is 0),
        ``tone`` ``{"polarity", "subjectivity", "compound"}`` (means; null
        when n is 0) and ``tone_sd`` (spreads), ``sentence_ids``; with gold
        labels also ``adjusted`` ``{frame_id: share or null}``.
        """
        out = []
        for r in self.cells.to_dict("records"):
            n = int(r["n"])
            row = {
                "group": r["group"],
                "group_name": r["group_name"],
                "topic": r["topic"],
                "n": n,
                "thin": bool(r["thin"]),
                "frames": {f: {"count": int(r[f"frame.{f}.count"]), "share": _round(r[f"frame.{f}.share"])} for f in self.frames},
                "stance": {
                    a.id: {
                        "index": _round(r[f"stance.{a.id}.index"]),
                        "low": _round(r[f"stance.{a.id}.low"]),
                        "high": _round(r[f"stance.{a.id}.high"]),
                        "n": int(r[f"stance.{a.id}.n"]),
                    }
                    for a in self.axes
                },
                "tone": {k: _round(r[f"tone.{k}"]) for k in ("polarity", "subjectivity", "compound")},
                "tone_sd": {k: _round(r[f"tone.{k}.sd"]) for k in ("polarity", "subjectivity", "compound")},
                "sentence_ids": list(r["sentence_ids"]),
            }
            if self.quality is not None:
                row["adjusted"] = {f: _round(r.get(f"frame.{f}.adjusted")) for f in self.frames}
            out.append(row)
        return out

    def flat_rows(self) -> list[dict]:
        """The same columns, flat (CSV, XLSX): rounded numbers, ids ``;``-joined."""
        out = []
        for r in self.cells.to_dict("records"):
            row = {k: (_round(v) if isinstance(v, float) else v) for k, v in r.items()}
            row["sentence_ids"] = ";".join(r["sentence_ids"])
            out.append(row)
        return out

    def summary_rows(self) -> list[dict]:
        """A compact, readable table for the terminal and Markdown."""
        out = []
        for r in self.cells.to_dict("records"):
            if self.topic is None and r["n"] == 0:
                continue
            row = {"group": r["group_name"], "topic": r["topic"], "n": r["n"]}
            for a in self.axes:
                row[a.id] = format_index(r[f"stance.{a.id}.index"], r[f"stance.{a.id}.low"], r[f"stance.{a.id}.high"], r[f"stance.{a.id}.n"])
            ranked = sorted(self.frames, key=lambda f: -r[f"frame.{f}.count"])
            row["frames"] = ", ".join(f"{f} {r[f'frame.{f}.count']}" for f in ranked if r[f"frame.{f}.count"]) or "—"
            row["tone"] = "—" if r["n"] == 0 or pd.isna(r["tone.compound"]) else f"{r['tone.compound']:+.2f}"
            row["thin"] = "thin" if r["thin"] else ""
            out.append(row)
        return out

    def readings(self) -> list[str]:
        return [t.reading for t in self.tests.values()]

    def column_titles(self) -> dict[str, str]:
        """Readable headers for the flat columns (XLSX)."""
        titles = {"group": "group", "group_name": "name", "topic": "topic", "topic_name": "topic name", "n": "sentences (n)",
                  "thin": f"thin (n < {THIN})", "sentence_ids": "sentence ids (most confident first)"}
        for f in self.frames:
            name = self.name_of(f)
            titles[f"frame.{f}.count"] = f"{name}: count"
            titles[f"frame.{f}.share"] = f"{name}: share"
            titles[f"frame.{f}.adjusted"] = f"{name}: adjusted share"
            titles[f"frame.{f}.basis"] = f"{name}: adjustment rates"
        for a in self.axes:
            for part, label in (("index", "index"), ("low", "95% low"), ("high", "95% high"), ("n", "n"),
                                ("positive", self.name_of(a.positive)), ("negative", self.name_of(a.negative)), ("both", "both")):
                titles[f"stance.{a.id}.{part}"] = f"{a.name}: {label}"
        for k in ("polarity", "subjectivity", "compound"):
            titles[f"tone.{k}"] = f"tone {k} (mean)"
            titles[f"tone.{k}.sd"] = f"tone {k} (sd)"
        return titles


def format_index(index: float, low: float, high: float, n: int) -> str:
    """"+0.60 [+0.10, +0.90] n=9", with "(thin)" below ``THIN``; "n=0" alone when empty."""
    if not n or index is None or (isinstance(index, float) and math.isnan(index)):
        return "n=0"
    thin = " (thin)" if n < THIN else ""
    return f"{index:+.2f} [{low:+.2f}, {high:+.2f}] n={int(n)}{thin}"


def _round(value, digits: int = 4):
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return value
    if math.isnan(f):
        return None
    return round(f, digits)


def compare(
    table: SentenceTable,
    codebook: Codebook,
    *,
    topic: str | None = None,
    by: str = "source",
    voice: str = "all",
    gold: Mapping[str, Collection[str]] | None = None,
    terms: bool = False,
    top_terms: int = 12,
    permutations: int = PERMUTATIONS,
    term_index: TermIndex | None = None,
) -> Comparison:
    """Compare groups of sentences (by source, or any field of ``GROUP_FIELDS``).

    ``topic`` limits the cells, tests and terms to one topic (the coverage
    table always has every topic). ``voice``: all sentences, the authors' own
    voice only, or quoted voices only. ``gold``: human labels by sentence id
    (see ``gold_labels``); ``table`` must then hold the model's predictions,
    and each frame share gets an error-adjusted twin. ``terms``: also find
    distinctive language (needs the text column, or ``term_index``: the
    table's ``TermIndex``, which makes it much faster when comparing many times).
    """
    topics = tuple(dict.fromkeys((*codebook.topic_ids, *table.topics)))
    frames = tuple(dict.fromkeys((*codebook.frame_ids, *table.frames)))
    every = not topics  # a codebook of frames alone: one cell per group, over every content sentence
    if every:
        topics = (EVERY_TOPIC,)
    if topic is not None and topic not in topics:
        raise StanceError(f"unknown topic {topic!r}", fix=f"use one of: {', '.join(topics)}")
    # Work on row numbers into the one table: a million rows are never copied.
    data = table.data
    content = np.flatnonzero(table._content_mask(voice))
    keys = table.group_keys(by).iloc[content]
    group_codes, groups = _factorize(keys)
    names = _group_names(data, content, group_codes, groups, by)
    G = len(groups)
    T = np.ones((len(content), 1), bool) if every else _columns(data, TOPIC_PREFIX, topics)[content]
    F = _columns(data, FRAME_PREFIX, frames)[content]
    quality = label_quality(table, gold, by=by) if gold is not None else None
    rates = {(r["group"], r["label"]): r for r in quality.to_dict("records")} if quality is not None else None

    # coverage: every topic, whatever ``topic`` says
    content_n = np.bincount(group_codes, minlength=G)
    coverage = []
    for k, t in enumerate(topics):
        counts = np.bincount(group_codes[T[:, k]], minlength=G)
        for g in range(G):
            share = counts[g] / content_n[g] if content_n[g] else None
            row = {"group": groups[g], "group_name": names[groups[g]], "topic": t, "topic_name": _name(codebook, t),
                   "sentences": int(counts[g]), "content": int(content_n[g]), "share": share}
            if quality is not None:
                tpr, fpr, basis = _rates(rates, t, groups[g])
                row["adjusted_share"] = adjusted_share(share, tpr, fpr)
            coverage.append(row)
    coverage_df = pd.DataFrame(coverage)

    chosen = [topic] if topic is not None else list(topics)
    confidence = data["confidence"].to_numpy(dtype=float)[content]
    position = data["index"].to_numpy()[content]
    path = _factorize(data["path"].take(content))[0]  # codes in alphabetical order of the paths
    document = pd.factorize(data["doc_id"].astype(str).take(content))[0]
    tone = {k: data[k].to_numpy(dtype=float)[content] for k in ("polarity", "subjectivity", "compound")}
    cells, tests = [], {}
    for t in chosen:
        k = topics.index(t)
        rows = np.flatnonzero(T[:, k])
        g = group_codes[rows]
        n = np.bincount(g, minlength=G)
        Fr = F[rows]
        frame_counts = np.stack([np.bincount(g[Fr[:, j]], minlength=G) for j in range(len(frames))], axis=1) if frames else np.zeros((G, 0), int)
        axis_stats = {}
        for a in codebook.axes:
            pos = Fr[:, frames.index(a.positive)] if a.positive in frames else np.zeros(len(rows), bool)
            neg = Fr[:, frames.index(a.negative)] if a.negative in frames else np.zeros(len(rows), bool)
            p_only = np.bincount(g[pos & ~neg], minlength=G)
            n_only = np.bincount(g[neg & ~pos], minlength=G)
            both = np.bincount(g[pos & neg], minlength=G)
            deff = design_effect(pos - 0.5 * (pos & neg), (pos | neg).astype(float), g, document[rows], G)
            axis_stats[a.id] = (stance_index(p_only, n_only, both, deff=deff), p_only, n_only, both)
        tone_stats = {}
        for key, values in tone.items():
            v = values[rows]
            known = np.isfinite(v)  # a sentence without a tone (an export's empty cell) is left out
            k = np.bincount(g[known], minlength=G)
            s1 = np.bincount(g[known], weights=v[known], minlength=G)
            s2 = np.bincount(g[known], weights=v[known] ** 2, minlength=G)
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(k > 0, s1 / k, np.nan)
                var = np.where(k > 1, (s2 - k * mean * mean) / (k - 1), np.nan)
            tone_stats[key] = (mean, np.sqrt(np.clip(var, 0, None)))
        # sentence ids per group, most confident first (ties: document order, as in ``evidence``)
        order = np.lexsort((position[rows], path[rows], -confidence[rows], g))
        sorted_ids = _strings(data["sentence_id"], content[rows[order]])
        bounds = np.concatenate([[0], np.cumsum(n)])
        for gi in range(G):
            cell = {"group": groups[gi], "group_name": names[groups[gi]], "topic": t, "topic_name": _name(codebook, t),
                    "n": int(n[gi]), "thin": bool(n[gi] < THIN)}
            for j, f in enumerate(frames):
                count = int(frame_counts[gi, j])
                share = count / n[gi] if n[gi] else None
                cell[f"frame.{f}.count"] = count
                cell[f"frame.{f}.share"] = share
                if quality is not None:
                    tpr, fpr, basis = _rates(rates, f, groups[gi])
                    cell[f"frame.{f}.adjusted"] = adjusted_share(share, tpr, fpr)
                    cell[f"frame.{f}.basis"] = basis
            for a in codebook.axes:
                result, p_only, n_only, both = axis_stats[a.id]
                index = result["index"][gi]
                cell[f"stance.{a.id}.index"] = None if math.isnan(index) else float(index)
                cell[f"stance.{a.id}.low"] = float(result["low"][gi])
                cell[f"stance.{a.id}.high"] = float(result["high"][gi])
                cell[f"stance.{a.id}.n"] = int(result["n"][gi])
                cell[f"stance.{a.id}.positive"] = int(p_only[gi])
                cell[f"stance.{a.id}.negative"] = int(n_only[gi])
                cell[f"stance.{a.id}.both"] = int(both[gi])
            for key, (mean, sd) in tone_stats.items():
                cell[f"tone.{key}"] = None if math.isnan(mean[gi]) else float(mean[gi])
                cell[f"tone.{key}.sd"] = None if math.isnan(sd[gi]) else float(sd[gi])
            cell["sentence_ids"] = sorted_ids[bounds[gi]:bounds[gi + 1]]
            cells.append(cell)
        if len(rows):
            primary = _primary_codes(data["primary_frame"].take(content[rows]), Fr, frames)
            tests[t] = _difference_test(t, g, primary, document[rows], groups, names, frames, codebook, by, permutations)
    cells_df = pd.DataFrame(cells)
    terms_df = None
    if terms:
        if "text" not in data and term_index is None:
            raise StanceError("distinctive terms need the sentence text", fix="read the export with its text column")
        parts = []
        for t in chosen:
            rows = np.flatnonzero(T[:, topics.index(t)])
            if term_index is not None:
                found = distinctive_terms([], [groups[c] for c in group_codes[rows]], top=top_terms,
                                          counts=(term_index.matrix[content[rows]], term_index.vocabulary))
            else:
                found = distinctive_terms(_strings(data["text"], content[rows]), [groups[c] for c in group_codes[rows]], top=top_terms)
            found.insert(1, "topic", t)
            parts.append(found)
        terms_df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        terms_df["group_name"] = terms_df["group"].map(names)
    return Comparison(
        codebook=codebook, by=by, voice=voice, topic=topic, groups=groups, group_names=names, topics=topics,
        frames=frames, cells=cells_df, coverage=coverage_df, tests=tests, terms=terms_df, quality=quality,
        table=table,
    )


def _factorize(keys: pd.Series) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes and groups in alphabetical order, whether the keys are categorical or text."""
    codes, uniques = pd.factorize(keys)
    names = [str(u) for u in uniques]
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(order), np.int64)
    remap[order] = np.arange(len(order))
    return remap[np.asarray(codes)], tuple(names[i] for i in order)


def _strings(column: pd.Series, rows: np.ndarray) -> list[str]:
    """Some rows of a text column as Python strings (arrow-backed columns convert in one call)."""
    if isinstance(column.dtype, pd.ArrowDtype):
        import pyarrow as pa

        return pa.array(column.array).take(pa.array(rows)).to_pylist()
    return column.take(rows).tolist()


def _name(codebook: Codebook, label_id: str) -> str:
    try:
        return codebook.label(label_id).name
    except KeyError:
        return label_id


def _columns(data: pd.DataFrame, prefix: str, ids: Sequence[str]) -> np.ndarray:
    """Label columns as one boolean matrix; a label the table lacks is all False."""
    out = np.zeros((len(data), len(ids)), bool)
    for j, label in enumerate(ids):
        if prefix + label in data:
            out[:, j] = data[prefix + label].to_numpy(dtype=bool)
    return out


def _group_names(data: pd.DataFrame, content: np.ndarray, codes: np.ndarray, groups: Sequence[str], by: str) -> dict[str, str]:
    """Display names: a source's name when grouping by source, the value itself otherwise."""
    names = {g: g for g in groups}
    if by == "source" and "source_name" in data and len(codes):
        first = np.flatnonzero(~pd.Series(codes).duplicated().to_numpy())  # hashing, not sorting, a million codes
        for g, row in zip((groups[c] for c in codes[first]), content[first]):
            name = data["source_name"].iat[row]
            if isinstance(name, str) and name:
                names[g] = name
    return names


def _primary_codes(primary: pd.Series, F: np.ndarray, frames: Sequence[str]) -> np.ndarray:
    """One frame per sentence for the difference test: the primary frame, else the first frame; -1 if none."""
    codes = pd.Categorical(primary, categories=list(frames)).codes.astype(np.int64)
    # A primary frame must be among the sentence's frames; otherwise fall back.
    valid = codes >= 0
    valid[valid] = F[np.flatnonzero(valid), codes[valid]]
    fallback = np.where(F.any(axis=1), F.argmax(axis=1), -1) if F.shape[1] else np.full(len(primary), -1)
    return np.where(valid, codes, fallback)


def _difference_test(topic, group_codes, primary, documents, groups, names, frames, codebook, by, permutations) -> DifferenceTest:
    framed = primary >= 0
    n_documents = len(np.unique(documents[framed]))
    G, L = len(groups), len(frames)
    full = np.bincount(group_codes[framed] * L + primary[framed], minlength=G * L).reshape(G, L) if L else np.zeros((G, 0), int)
    keep_g = np.flatnonzero(full.sum(axis=1) > 0)
    keep_f = np.flatnonzero(full.sum(axis=0) > 0)
    table = full[np.ix_(keep_g, keep_f)]
    used_groups = tuple(groups[i] for i in keep_g)
    used_frames = tuple(frames[j] for j in keep_f)
    n = int(table.sum())
    # Where whole documents can be shuffled, their test gives the p-value: the sentence-level one is not worked out.
    by_document = _document_test(group_codes[framed], primary[framed], documents[framed], keep_g, keep_f, permutations) if min(table.shape) >= 2 else {}
    result = contingency_test(table, permutations=permutations, p_value=not by_document)
    result.update(by_document or {"unit": "sentence"})
    deviation: dict = {}
    if result["statistic"] is not None:
        expected = result["expected"]
        residual = (table - expected) / np.sqrt(expected)
        # The cell furthest from independence in sentences (|observed - expected|),
        # ties broken by the Pearson residual: a 1-of-1 cell does not win on noise.
        gap = np.abs(table - expected)
        best = np.flatnonzero(np.isclose(gap, gap.max()).ravel())
        gi, fj = np.unravel_index(best[np.argmax(np.abs(residual).ravel()[best])], residual.shape)
        row_n, a = int(table[gi].sum()), int(table[gi, fj])
        col = int(table[:, fj].sum())
        deviation = {
            "group": used_groups[gi], "frame": used_frames[fj], "count": a, "of": row_n,
            "others_count": col - a, "others_of": n - row_n,
            "expected": round(float(expected[gi, fj]), 2), "residual": round(float(residual[gi, fj]), 2),
        }
    reading = _reading(topic, used_groups, names, n, n_documents, table, result, deviation, codebook, by)
    return DifferenceTest(
        topic=topic, groups=used_groups, frames=used_frames, table=table, n=n,
        statistic=result["statistic"], dof=result["dof"], p_value=result["p_value"], method=result["method"],
        cramers_v=result["cramers_v"], reading=reading, deviation=deviation,
    )


def _document_test(groups: np.ndarray, primary: np.ndarray, documents: np.ndarray, keep_g: np.ndarray, keep_f: np.ndarray,
                   permutations: int) -> dict:
    """The document permutation test's p-value and method where the documents allow it, else nothing (``{}``).

    It is used when every group has at least ``MIN_DOCUMENTS`` documents and
    there are enough ways to deal them that p can fall below ``ALPHA``
    (``smallest_p``); otherwise the sentence-level test stands and the
    reading says what it assumes. The shuffles are capped at
    ``PERMUTATION_WORK`` document × frame cells, so tens of thousands of
    documents take seconds, not minutes.
    """
    row = np.full(int(np.max(groups, initial=0)) + 1, -1)
    row[keep_g] = np.arange(len(keep_g))
    column = np.full(int(np.max(primary, initial=0)) + 1, -1)
    column[keep_f] = np.arange(len(keep_f))
    counts, labels = document_counts(row[groups], column[primary], documents, len(keep_f))
    sizes = np.bincount(labels, minlength=len(keep_g))
    if sizes.min() < MIN_DOCUMENTS or smallest_p(sizes) >= ALPHA:
        return {}
    shuffles = min(permutations, max(MIN_PERMUTATIONS, PERMUTATION_WORK // counts.size))
    _, p = permutation_test(counts, labels, permutations=shuffles)
    return {"p_value": p, "unit": "document",
            "method": f"document permutation test ({shuffles:,} permutations of {len(labels):,} documents)"}


def _reading(topic, used_groups, names, n, n_documents, table, result, deviation, codebook, by) -> str:
    """One or two plain sentences an analyst can paste, naming who deviates and how sure we are."""
    topic_name = _name(codebook, topic)
    plural = "sources" if by == "source" else f"{by} groups"
    if result["statistic"] is None:
        if not used_groups:
            return f"{topic_name}: no comparison possible — none of its sentences carries a frame."
        if len(used_groups) < 2:
            who = names.get(used_groups[0], used_groups[0])
            return (f"{topic_name}: no comparison possible — only {who} has framed sentences on it "
                    f"({n} sentence{'s' if n != 1 else ''}).")
        return f"{topic_name}: no comparison possible — all {n} framed sentences use the same frame."
    d = deviation
    who = names.get(d["group"], d["group"])
    frame_name = _name(codebook, d["frame"])
    more = "more" if d["residual"] > 0 else "less"
    share = d["count"] / d["of"] if d["of"] else 0
    other_share = d["others_count"] / d["others_of"] if d["others_of"] else 0
    others = "the others" if len(used_groups) > 2 else names.get(next(g for g in used_groups if g != d["group"]), "the other")
    gap = (f"{who} uses the {frame_name} frame {more} often than {others}: it is the main frame of "
           f"{d['count']} of {d['of']} framed sentences ({share:.0%}) against {d['others_count']} of {d['others_of']} ({other_share:.0%})")
    stats = f"{result['method']}, p {_p(result['p_value'])}, Cramér's V = {result['cramers_v']:.2f}"
    if result["p_value"] < ALPHA:
        text = f"{topic_name}: the {plural} differ in how they frame it ({stats}). {gap}."
        if result["unit"] == "sentence":
            # Too few documents to shuffle: the test's unit is the sentence, and an article's sentences
            # lean together, so a gap between a few articles can pass for one between sources
            # (README, "The statistics, and why").
            text += (f" The test counts the {n} sentences as independent; they come from {n_documents} "
                     f"document{'s' if n_documents != 1 else ''}, and where articles differ among themselves "
                     "its p-value is too small.")
    else:
        text = f"{topic_name}: no clear difference between the {plural} in frame mix ({stats}). The largest gap: {gap}."
    smallest = int(table.sum(axis=1).min())
    if n < 30 or smallest < THIN:
        thin = [names.get(g, g) for g, k in zip(used_groups, table.sum(axis=1)) if k < THIN]
        text += f" n is small ({n} framed sentences"
        text += f"; fewer than {THIN} for {', '.join(thin)}" if thin else ""
        text += "), so treat this as a lead to check in the sentences, not a finding."
    return text


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}" if p < 0.01 else f"= {p:.2f}"


# --- evidence ---------------------------------------------------------------------------


EVIDENCE_COLUMNS = (
    "group", "source", "source_name", "doc_id", "path", "index", "paragraph", "speaker", "speaker_name",
    "sentence_id", "text", "topics", "frames", "primary_frame", "confidence", "labelled_by", "why",
)


def evidence(
    table: SentenceTable,
    *,
    topic: str | None = None,
    group: str | None = None,
    frame: str | None = None,
    by: str = "source",
    voice: str = "all",
    limit: int | None = None,
    order: str = "confidence",
) -> pd.DataFrame:
    """The sentences behind a cell, most confident first (``order="document"``: in reading order).

    Columns: ``EVIDENCE_COLUMNS``; ``why`` is the label's evidence (cues and
    features that fired) for the frame, else the topic.
    """
    # Row numbers into the one table: nothing is copied, however big it is.
    data = table.data
    if topic == EVERY_TOPIC and TOPIC_PREFIX + topic not in data:  # a codebook without topics: every sentence
        topic = None
    mask = table._content_mask(voice)
    for prefix, label in ((TOPIC_PREFIX, topic), (FRAME_PREFIX, frame)):
        if label is not None:
            mask &= data[prefix + label].to_numpy(dtype=bool) if prefix + label in data else False
    keys = table.group_keys(by)
    if group is not None:
        mask &= (keys == group).to_numpy(dtype=bool)
    rows = np.flatnonzero(mask)
    keys = keys.take(rows).astype(str).to_numpy()
    position = data["index"].to_numpy()[rows]
    path = data["path"].take(rows).astype(str).to_numpy()
    if order == "confidence":
        rank = np.lexsort((position, path, -data["confidence"].to_numpy(dtype=float)[rows]))
    elif order == "document":
        rank = np.lexsort((position, path, keys))
    else:
        raise ValueError(f"order must be 'confidence' or 'document', not {order!r}")
    rank = rank[:limit] if limit is not None else rank
    return _evidence_frame(table, rows[rank], keys[rank], frame or topic)


def _evidence_frame(table: SentenceTable, rows: np.ndarray, keys: np.ndarray, label: str | None) -> pd.DataFrame:
    """``EVIDENCE_COLUMNS`` of some rows of the table, in the order given; ``why`` is ``label``'s evidence."""
    data = table.data
    sub = data.iloc[rows]
    topics, frames = table.label_lists(rows)
    why = sub["evidence"].tolist() if "evidence" in sub else [None] * len(sub)
    out = pd.DataFrame({
        "group": keys,
        "source": sub["source"].to_numpy(),
        "source_name": sub["source_name"].to_numpy(),
        "doc_id": sub["doc_id"].to_numpy(),
        "path": sub["path"].to_numpy(),
        "index": sub["index"].to_numpy(),
        "paragraph": sub["paragraph"].to_numpy(),
        "speaker": sub["speaker"].to_numpy(),
        "speaker_name": sub["speaker_name"].to_numpy(),
        "sentence_id": sub["sentence_id"].to_numpy(),
        "text": sub["text"].to_numpy() if "text" in sub else [""] * len(sub),
        "topics": topics,
        "frames": frames,
        "primary_frame": sub["primary_frame"].to_numpy(),
        "confidence": sub["confidence"].to_numpy(dtype=float),
        "labelled_by": sub["labelled_by"].to_numpy(),
        "why": [_reasons(w, label, p) for w, p in zip(why, sub["primary_frame"].tolist())],
    }, columns=list(EVIDENCE_COLUMNS))
    return out


def side_by_side(
    table: SentenceTable,
    topic: str,
    *,
    by: str = "source",
    voice: str = "all",
    frames: Collection[str] | None = None,
    min_confidence: float = 0.0,
    limit: int | None = None,
) -> dict[str, pd.DataFrame]:
    """For one topic, each group's sentences in document order (the groups of the stance table).

    ``frames`` keeps the sentences with at least one of these frames;
    ``min_confidence`` those whose confidence reaches it (a human label is
    always kept: its confidence is the model's, not the human's); ``limit``
    keeps each group's first sentences only (a page of them), and
    ``frame.attrs["total"]`` says how many there are in all. Besides
    ``EVIDENCE_COLUMNS`` each row has ``scores`` and ``reasons``: the
    probability of, and the evidence for, each of its topics and frames.
    """
    data = table.data
    content = table._content_mask(voice)
    mask = content & (data[TOPIC_PREFIX + topic].to_numpy(dtype=bool) if TOPIC_PREFIX + topic in data else False)
    if frames is not None:
        mask &= _columns(data, FRAME_PREFIX, list(frames)).any(axis=1)
    if min_confidence > 0:
        human = data["labelled_by"].astype("string").str.startswith("human:").fillna(False).to_numpy(dtype=bool)
        mask &= (data["confidence"].to_numpy(dtype=float) >= min_confidence) | human
    keys = table.group_keys(by)
    rows = np.flatnonzero(mask)
    row_keys = keys.take(rows).astype(str).to_numpy()
    rows = rows[np.lexsort((data["index"].to_numpy()[rows], data["path"].take(rows).astype(str).to_numpy(), row_keys))]
    row_keys = keys.take(rows).astype(str).to_numpy()
    out = {}
    for g in sorted(str(g) for g in keys[content].unique()):
        mine = rows[row_keys == g]
        shown = mine[:limit] if limit is not None else mine
        frame = _evidence_frame(table, shown, np.full(len(shown), g, dtype=object), topic)
        for column, name in (("scores", "scores"), ("evidence", "reasons")):
            values = data[column].to_numpy()[shown] if column in data else [None] * len(shown)
            frame[name] = [_for_labels(v, t + f) for v, t, f in zip(values, frame["topics"], frame["frames"])]
        frame.attrs["total"] = len(mine)
        out[g] = frame
    return out


def _for_labels(value, labels: Sequence[str]) -> dict:
    """A ``scores`` or ``evidence`` cell (dict or JSON text) narrowed to ``labels``, in their order."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except json.JSONDecodeError:
            return {}
    if not isinstance(value, Mapping):
        return {}
    return {label: value[label] for label in labels if label in value}


def neighbours(table: SentenceTable, sentence_ids: Iterable[str], *, before: int = 2, after: int = 1) -> dict[str, tuple[list[str], list[str]]]:
    """The text around each sentence: up to ``before`` and ``after`` sentences of its document (boilerplate left out).

    Returns ``{sentence_id: (sentences before, sentences after)}`` in reading
    order; ids the table does not hold are left out.
    """
    data = table.data
    wanted = list(dict.fromkeys(sentence_ids))
    rows = pd.Index(data["sentence_id"]).get_indexer(wanted)
    if not len(data) or (rows < 0).all():
        return {}
    keep = np.flatnonzero(~data["boilerplate"].to_numpy(dtype=bool))
    docs = pd.factorize(data["doc_id"].astype(str))[0][keep]
    order = keep[np.lexsort((data["index"].to_numpy()[keep], docs))]
    rank = np.full(len(data), -1)
    rank[order] = np.arange(len(order))
    doc_of = pd.factorize(data["doc_id"].astype(str))[0]
    texts = data["text"] if "text" in data else pd.Series([""] * len(data))
    out = {}
    for sid, row in zip(wanted, rows):
        if row < 0:
            continue
        k = rank[row]
        if k < 0:  # a boilerplate sentence: no neighbours of its own
            out[sid] = ([], [])
            continue
        near = [order[j] for j in range(max(0, k - before), min(len(order), k + after + 1)) if doc_of[order[j]] == doc_of[row]]
        out[sid] = ([str(texts.iat[r]) for r in near if rank[r] < k], [str(texts.iat[r]) for r in near if rank[r] > k])
    return out


def source_overview(table: SentenceTable) -> pd.DataFrame:
    """One row per source: its metadata, and its documents, sentences, content sentences and human-labelled ones."""
    data = table.data
    columns = ["source", *SOURCE_FIELDS, "documents", "sentences", "content", "human"]
    if not len(data):
        return pd.DataFrame(columns=columns)
    human = data["labelled_by"].astype("string").str.startswith("human:").fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame({
        "source": data["source"].astype(str).to_numpy(),
        "doc_id": data["doc_id"].astype(str).to_numpy(),
        "content": ~data["boilerplate"].to_numpy(dtype=bool),
        "human": human,
    })
    grouped = frame.groupby("source", sort=True)
    counts = pd.DataFrame({
        "documents": grouped["doc_id"].nunique(),
        "sentences": grouped.size(),
        "content": grouped["content"].sum(),
        "human": grouped["human"].sum(),
    })
    meta = data[["source", *SOURCE_FIELDS]].astype({"source": str}).drop_duplicates("source").set_index("source")
    out = meta.join(counts, how="right").reset_index()
    for name in SOURCE_FIELDS:
        out[name] = out[name].astype(object).where(out[name].notna(), "").astype(str)
    return out[columns]


def _search_terms(text: str) -> list[str]:
    """Words and "quoted phrases" of a search ('"export controls" chips' -> ['export controls', 'chips'])."""
    return [a or b for a, b in re.findall(r'"([^"]+)"|(\S+)', text) if (a or b).strip('"')]


SEARCH_COLUMNS = (
    "sentence_id", "source", "source_name", "doc_id", "path", "index", "paragraph", "text", "topics", "frames",
    "primary_frame", "confidence", "speaker", "speaker_name", "labelled_by", "boilerplate",
)


def find_sentences(
    table: SentenceTable,
    *,
    text: str = "",
    sources: Collection[str] | None = None,
    topic: str | None = None,
    frame: str | None = None,
    speaker: str = "all",
    labelled_by: str = "all",
    boilerplate: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """Sentences matching every filter given, in document order (``SEARCH_COLUMNS``).

    ``text``: words, or "quoted phrases", that must all occur (case-insensitive); ``speaker``:
    all | author | quoted; ``labelled_by``: all | human | model;
    ``boilerplate``: include boilerplate too.
    """
    data = table.data
    mask = np.ones(len(data), bool) if boilerplate else ~data["boilerplate"].to_numpy(dtype=bool)
    if sources is not None:
        mask &= data["source"].astype(str).isin(list(sources)).to_numpy()
    if topic is not None:
        mask &= data[TOPIC_PREFIX + topic].to_numpy(dtype=bool) if TOPIC_PREFIX + topic in data else False
    if frame is not None:
        mask &= data[FRAME_PREFIX + frame].to_numpy(dtype=bool) if FRAME_PREFIX + frame in data else False
    if speaker != "all":
        if speaker not in VOICES:
            raise StanceError(f"unknown speaker {speaker!r}", fix=f"use one of: {', '.join(VOICES)}")
        mask &= (data["speaker"] == speaker).to_numpy()
    if labelled_by != "all":
        if labelled_by not in ("human", "model"):
            raise StanceError(f"unknown labeller {labelled_by!r}", fix="use one of: all, human, model")
        human = data["labelled_by"].astype("string").str.startswith("human:").fillna(False).to_numpy(dtype=bool)
        mask &= human if labelled_by == "human" else (data["labelled_by"] == "model").to_numpy()
    for word in _search_terms(text):
        rows = np.flatnonzero(mask)
        found = data["text"].iloc[rows].astype(str).str.contains(word, case=False, regex=False).to_numpy()
        mask[rows[~found]] = False
    rows = np.flatnonzero(mask)
    sub = data.iloc[rows]
    rank = np.lexsort((sub["index"].to_numpy(), sub["path"].astype(str).to_numpy(), sub["source"].astype(str).to_numpy()))
    rows = rows[rank][:limit] if limit is not None else rows[rank]
    sub = data.iloc[rows]
    topics, frames = table.label_lists(rows)
    out = {c: sub[c].to_numpy() for c in SEARCH_COLUMNS if c in sub and c not in ("topics", "frames")}
    out["topics"], out["frames"] = topics, frames
    return pd.DataFrame(out, columns=list(SEARCH_COLUMNS))


def _reasons(value, label: str | None, primary: str | None) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value) if value else {}
        except json.JSONDecodeError:
            return [value]
    if not isinstance(value, Mapping):
        return []
    for key in (label, primary):
        found = value.get(key) if key else None  # a list, or an array when the table was read back from JSONL
        if found is not None and len(found):
            return [str(reason) for reason in found]
    return []


# --- inputs: documents to tag, or exports to read back ---------------------------------


@dataclass(frozen=True)
class Inputs:
    """What a comparison runs on: the table, its codebook, sources, model and human labels."""

    table: SentenceTable
    codebook: Codebook
    sources: dict
    model_version: str
    gold: dict[str, frozenset[str]] | None = None
    notes: tuple[str, ...] = ()
    problems: tuple = ()
    read_notes: tuple = ()  # what reading changed in documents it still read (corpus.Note)
    inputs: tuple[str, ...] = ()


def load_inputs(
    paths: Sequence[str | Path] | None = None,
    *,
    codebook_path: str | Path | None = None,
    model_dir: str | Path | None = None,
    store=None,
    gold_files: Sequence[str | Path] | None = None,
    text: bool = True,
    max_bytes: int | None = None,
) -> Inputs:
    """Tag documents under ``paths`` (default: the seeds), or read ``stance export`` files back.

    Human labels for the quality figures come from ``gold_files`` (annotation
    CSV/JSONL), else, on the bundled seeds, from the seed annotations.
    ``text=False`` skips the sentence text of exports (faster; no evidence text);
    ``max_bytes`` skips larger documents (default: the corpus reader's limit).
    """
    from stance.annotations import read_annotations, resolve, seed_annotation_files
    from stance.codebook import load_codebook

    codebook = load_codebook(codebook_path)
    paths = [str(p) for p in (paths or [])]
    exports = [p for p in paths if is_export(p)]
    notes: list[str] = []
    problems: tuple = ()
    read_notes: tuple = ()
    if exports:
        if len(exports) != len(paths):
            others = [p for p in paths if p not in exports]
            raise StanceError(
                f"cannot mix `stance export` tables with documents ({others[0]})",
                fix="give either exported tables (.parquet/.jsonl/.csv from `stance export`) or documents",
            )
        ignored = [flag for flag, given in (("--model", model_dir), ("--db", store)) if given is not None]
        if ignored:  # an export is read with the labels it was written with: nothing is tagged again
            raise StanceError(f"{' and '.join(ignored)} would not be used: `stance export` tables are read as they were tagged",
                              path=exports[0], fix=f"leave out {' and '.join(ignored)}, or give the documents to tag them again")
        damaged: list[StanceError] = []
        table = read_export(exports, codebook, columns=None if text else NEEDED_COLUMNS, problems=damaged)
        problems = tuple(damaged)  # said on stderr; the other tables are compared
        foreign = [label for label in (*table.topics, *table.frames) if label not in codebook.label_ids]
        if foreign:  # compared under another codebook, its axes and names would be laid over labels they do not know
            raise StanceError(f"the export holds labels that codebook {codebook.name!r} lacks: {', '.join(foreign[:8])}{' …' if len(foreign) > 8 else ''}",
                              path=exports[0], fix="give the --codebook the export was tagged with (`stance export` writes its fingerprint in codebook_version)")
        sources = _sources_of(table)
        versions = table.data["model_version"].dropna().astype(str).unique().tolist() if "model_version" in table.data else []
        model_version = ", ".join(v for v in versions if v) or "unknown (read from an export)"
    else:
        from stance.tagger import load_tagger, tag_paths

        tagged, corpus = tag_paths(paths or None, codebook_path=codebook_path, model_dir=model_dir, store=store, max_bytes=max_bytes)
        if not tagged and corpus.problems:
            raise StanceError("nothing could be read", path=", ".join(paths) or None,
                              fix="; ".join(str(p) for p in corpus.problems[:3]))
        problems, read_notes = tuple(corpus.problems), tuple(corpus.notes)
        sources = dict(corpus.sources)
        table = SentenceTable.from_tagged(tagged, sources, codebook)
        model_version = load_tagger(codebook_path, model_dir).model.version
    gold = None
    if gold_files:
        found = read_annotations(gold_files, codebook)
        gold = gold_labels(resolve(found.annotations).annotations)  # a sentence's rows resolved as for training
        notes += [f"skipped an annotation: {p}" for p in found.problems]
        problems += tuple(found.problems)  # said on stderr too: a gold file mistyped would otherwise pass unseen
    elif not paths:
        gold = gold_labels(read_annotations(seed_annotation_files(), codebook).annotations)
        if model_dir is None:
            notes.append("The default model was trained on these same seed annotations (and on training/), so its precision and recall "
                         "here are in-sample and optimistic; `stance evaluate` gives cross-validated figures.")
    return Inputs(table=table, codebook=codebook, sources=sources, model_version=model_version, gold=gold,
                  notes=tuple(notes), problems=problems, read_notes=read_notes, inputs=tuple(paths) or ("(the bundled seeds)",))


def _sources_of(table: SentenceTable) -> dict:
    """Source records rebuilt from an export's metadata columns."""
    from stance.corpus import Source

    data = table.data
    if not len(data):
        return {}
    meta = data[["source", *SOURCE_FIELDS]].drop_duplicates("source")
    out = {}
    for r in meta.to_dict("records"):
        sid = str(r["source"])
        out[sid] = Source(id=sid, name=str(r["source_name"] or sid), outlet=str(r["outlet"] or ""), kind=str(r["kind"] or ""),
                          country=str(r["country"] or ""), language=str(r["language"] or ""), date=str(r["date"] or ""))
    return out
