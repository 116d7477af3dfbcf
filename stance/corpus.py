"""Reading documents of every format into ``Document`` records.

Formats and the library that reads each (well-kept parsers, not our own):

- ``.txt`` / ``.md``: decoded bytes; encoding detected with ``charset-normalizer``
  (UTF-8 with or without BOM, UTF-16 via BOM, legacy single- and double-byte code pages);
- ``.html`` / ``.htm``: ``trafilatura`` extracts the main text (navigation,
  scripts and styles dropped; headings marked ``## …``), falling back to BeautifulSoup when it finds none;
- ``.pdf``: ``pypdf`` reads the text layer;
- ``.docx``: ``python-docx`` paragraphs;
- ``.eml``: the standard library's ``email`` parser (body, subject as title,
  sender and date as metadata);
- ``.csv`` / ``.jsonl``: tables of texts, one document per row (column
  ``text`` required; ``source``, ``id``, ``date``, ``title`` optional).

A folder may carry a ``sources.toml`` manifest naming each file's source::

    [[sources]]
    id = "merics"
    name = "MERICS"
    outlet = "MERICS China Essentials"
    kind = "think tank"
    country = "Germany"
    language = "en"
    date = "2025-01-30"
    files = ["merics-2025-01-30-china-essentials.txt"]

Files the manifest does not name are their own source, named after the file.

Bad input never stops the run: each unreadable file becomes one ``Problem``
(file, what is wrong, what to do) and the other files still go through. A
file read with a change, the stray NUL characters a copy-paste or a broken
export leaves dropped, gives a ``Note``, said the same way.
"""

from __future__ import annotations

import csv
import datetime
import errno
import hashlib
import io
import json
import os
import re
import stat
import tomllib
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from stance.errors import StanceError

DEFAULT_MAX_BYTES = 50_000_000  # 50 MB, as --max-mb counts them
MANIFEST = "sources.toml"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
TABLE_SUFFIXES = {".csv", ".jsonl"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | TABLE_SUFFIXES | {".pdf", ".docx", ".eml"}
# Files that live beside documents but are not documents.
IGNORED_NAMES = {MANIFEST, "README.md", "readme.md", ".DS_Store"}
IGNORED_SUFFIXES = {".toml"}
SPREADSHEET_SUFFIXES = {".xlsx", ".xls", ".ods", ".numbers"}
REREAD_FIX = {
    ".docx": "open it in Word and save it again as .docx, or save it as text",
    ".pdf": "re-export the PDF or convert it to text",
    ".eml": "save the e-mail again, or its text as .txt",
    ".html": "save the page again, or its text as .txt",
    ".htm": "save the page again, or its text as .txt",
}
# The first bytes of files that are never text, with the suffix stance reads them by, if any. Compressed
# ones (zip, PNG, JPEG, gzip) are random bytes, and a PDF starts as text: their share of control bytes
# alone does not always give them away.
BINARY_SIGNATURES: dict[bytes, tuple[str, str | None]] = {
    b"%PDF-": ("a PDF", ".pdf"),
    b"PK\x03\x04": ("a zip archive, as .docx and .xlsx files are", None),
    b"\x89PNG\r\n\x1a\n": ("a PNG image", None),
    b"\xff\xd8\xff": ("a JPEG image", None),
    b"GIF87a": ("a GIF image", None),
    b"GIF89a": ("a GIF image", None),
    b"\x1f\x8b": ("a gzip archive", None),
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": ("an old Office file (.doc, .xls, .ppt)", None),
    b"\x7fELF": ("a program", None),
    b"SQLite format 3\x00": ("an SQLite database", None),
}
# C0 control bytes other than whitespace (tab, line feed, vertical tab, form feed, carriage return).
CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20))
# Text holds at most a few stray control bytes; random (compressed) bytes hold one in nine,
# and UTF-16 text without a BOM one in two (NULs), so more than one in 20 is not text.
CONTROL_SHARE = 20
HEAD_BYTES = 8192


@dataclass(frozen=True, slots=True)
class Source:
    """Who speaks: an author, outlet or institution, with its metadata."""

    id: str
    name: str
    outlet: str = ""
    kind: str = ""
    country: str = ""
    language: str = ""
    date: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """One document's exact text; sentence offsets refer to ``text``."""

    doc_id: str
    source: str
    path: str
    title: str
    date: str
    text: str
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Said:
    """One line about an input: where (file and line), what, and what to do."""

    path: str
    message: str
    fix: str
    line: int | None = None

    def __str__(self) -> str:
        return str(StanceError(self.message, path=self.path, line=self.line, fix=self.fix))


@dataclass(frozen=True, slots=True)
class Problem(_Said):
    """An input that could not be read, said in one line: it is skipped."""


@dataclass(frozen=True, slots=True)
class Note(_Said):
    """A change stance made to an input it still read (stray NUL characters dropped), said in one line."""


@dataclass
class Corpus:
    """The result of reading paths: documents, their sources, the problems met and the notes made."""

    documents: list[Document] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


def doc_id_for(text: str) -> str:
    """A stable id from the content: the same text always gets the same id."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def load_manifest(folder: Path) -> tuple[dict[str, Source], dict[str, str], list[StanceError]]:
    """Read ``folder/sources.toml``: sources by id, source id by file name, and the mistakes of its
    entries, each by line (an entry with a mistake is left out; the others stand). A manifest that
    cannot be read at all raises StanceError."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}, {}, []
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise StanceError("the sources manifest is not UTF-8 text", path=str(path), fix="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise StanceError(
            f"the sources manifest is not valid TOML ({exc})",
            path=str(path),
            line=getattr(exc, "lineno", None),
            fix="fix the TOML syntax; see the README's 'Sources manifest' section",
        ) from None
    entries = data.get("sources", [])
    if not isinstance(entries, list):
        raise StanceError("'sources' must be a list of tables, not a table", path=str(path), fix="write each entry under its own [[sources]] header")
    from stance.codebook import TomlLocator

    where = TomlLocator(text, str(path))
    sources: dict[str, Source] = {}
    by_file: dict[str, str] = {}
    mistakes: list[StanceError] = []
    ids: set[str] = set()  # every entry's, a dropped one's too: a second entry with its id is a mistake all the same
    for n, entry in enumerate(entries, start=1):
        span = where.span("sources", n - 1)
        try:
            source, files = _manifest_entry(folder, entry, n, ids, by_file, where, span)
        except StanceError as exc:
            exc.path, exc.line = str(path), exc.line or span[0]
            mistakes.append(exc)
            continue
        finally:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                ids.add(entry["id"])
        sources[source.id] = source
        by_file.update((name, source.id) for name in files)
        for name in files:  # the entry stands; a file it lists that is not beside the manifest is said by its line
            if Path(name).name == name and (folder / name).is_file():
                continue
            elsewhere = Path(name).name != name
            mistakes.append(StanceError(
                f"it lists {name!r}, which is " + ("in another folder" if elsewhere else "not in the folder"), path=str(path),
                line=where.value_line(name, span) or where.key_line("files", span) or span[0],
                fix="a sources.toml names the files beside it: list the file in a sources.toml in its own folder" if elsewhere
                else "correct the name in files = [...] (names are case-sensitive)"))
    return sources, by_file, mistakes


def _manifest_entry(folder: Path, entry: object, n: int, ids: set[str], by_file: dict[str, str],
                    where, span: tuple[int, int]) -> tuple[Source, list[str]]:
    """The ``n``-th [[sources]] entry as a Source and the names of its files, or StanceError."""
    if not isinstance(entry, dict) or not entry.get("id"):
        raise StanceError(f"[[sources]] entry {n} has no id", fix='give every [[sources]] entry an id = "..."')
    unknown = [key for key in entry if key not in MANIFEST_KEYS]
    if unknown:  # a misspelt key ("fiel") would leave its files, or its metadata, out without a word
        raise where.unknown_key(unknown[0], MANIFEST_KEYS, where.key_line(unknown[0], span), "[[sources]] entries")
    for key in MANIFEST_KEYS[:-1]:  # text, each: id = 7 is a number, and an id or a date is written as text
        value = entry.get(key)
        if value is not None and not isinstance(value, str) and not (key == "date" and isinstance(value, datetime.date)):
            raise StanceError(f"{key} is {kind_of(value)}, not text", line=where.key_line(key, span), fix=f'write it in quotes: {key} = "{value}"')
    source = Source(
        id=str(entry["id"]),
        name=str(entry.get("name", entry["id"])),
        outlet=str(entry.get("outlet", "")),
        kind=str(entry.get("kind", "")),
        country=str(entry.get("country", "")),
        language=str(entry.get("language", "")),
        date=str(entry.get("date", "")),
    )
    if source.id in ids:
        raise StanceError(f"two [[sources]] entries have the id {source.id!r}", line=where.key_line("id", span),
                          fix="give each source its own id, or merge the two entries")
    files = entry.get("files", [])
    if not isinstance(files, list):
        raise StanceError(f"[[sources]] {source.id!r}: files must be a list", line=where.key_line("files", span), fix=f'write files = ["{files}"]')
    names = []
    for name in map(str, files):
        listed = Path(folder, name)  # "./a.txt", or a whole path into this folder, is "a.txt"
        name = listed.name if listed.parent.resolve() == folder.resolve() else name
        if name in by_file or name in names:
            raise StanceError(f"{name!r} is listed under two sources", line=where.key_line("files", span), fix="list each file under one source")
        names.append(name)
    return source, names


MANIFEST_KEYS = ("id", "name", "outlet", "kind", "country", "language", "date", "files")


def source_for_file(path: Path) -> Source:
    """The default source of a file no manifest names: the file itself."""
    return Source(id=path.stem, name=path.stem.replace("_", " ").replace("-", " "))


# --- decoding ---------------------------------------------------------------


def decode(data: bytes, path: str, *, binary_fix: str | None = None) -> str:
    """Bytes to text, detecting the encoding; raises StanceError if it cannot.

    UTF-8 (a BOM dropped) and UTF-16 with a BOM are taken as they are, and
    UTF-16 without one when charset-normalizer sees it. Other bytes are
    read as Windows-1252, by far the most common legacy code page in the
    documents analysts meet (charset-normalizer alone often takes it for
    cp1250), unless that turns them into another script's mojibake or into
    mostly accented signs: then a Chinese, Japanese or Korean double-byte code
    page (GBK, Big5, Shift-JIS, EUC-KR) when one reads as that language, even
    a two-character note, else charset-normalizer's guess (Windows-1251...). So Central European
    and Turkish code pages come out as Windows-1252 mojibake: save those
    as UTF-8. A UTF-8 file with lines pasted in from Windows-1252 keeps its
    UTF-8 lines, and the pasted ones are read as Windows-1252.

    Bytes that start like a PDF, an archive, an image or a program, or whose
    first 8 KB hold NULs and more than one control byte in 20 (and are not UTF-16),
    are binary: StanceError, with ``binary_fix`` (what a file of this use should be) if given. A few stray NUL characters stay in the text: the readers
    drop them and say so (``without_nuls``).
    """
    for signature, (kind, suffix) in BINARY_SIGNATURES.items():
        if data.startswith(signature):
            if signature == b"PK\x03\x04" and b"word/" in data[:HEAD_BYTES]:  # a Word file's parts are named word/...
                kind, suffix = "a Word file", ".docx"
            raise _binary(path, kind, suffix, binary_fix)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise StanceError("undecodable bytes: the file says it is UTF-16 but is not", path=path, fix="save it as UTF-8 text") from None
    if b"\0" in data[:HEAD_BYTES] and _mostly_controls(data[:HEAD_BYTES]):  # colour codes in a log are text; binary holds NULs
        wide = _guess(data)
        if wide is not None and wide[0].startswith(("utf_16", "utf_32")):  # UTF-16 without its BOM
            return wide[1]
        raise _binary(path, fix=binary_fix)
    text = _utf8(data)
    if text is not None:
        return text
    mixed = _mixed_utf8(data)
    if mixed is not None:
        return mixed
    text = _single_byte(data)
    if text is None:
        raise StanceError(
            "undecodable bytes: no text encoding fits this file",
            path=path,
            fix="save it as UTF-8 text, or check it is really a text document",
        )
    return text


def _mostly_controls(head: bytes) -> bool:
    """Whether more than one byte in 20 of ``head`` is a control byte; a short text may hold five
    stray ones (a one-line note with a NUL is still a note)."""
    controls = len(head) - len(head.translate(None, CONTROL_BYTES))
    return controls * CONTROL_SHARE > max(len(head), 100)


def _guess(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best (encoding, text), or None when nothing reads cleanly."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.3:
        return None
    return best.encoding, str(best)


def _cp1252(data: bytes) -> str | None:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return None if any("\x80" <= ch <= "\x9f" for ch in text) else text


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _other_script(text: str) -> bool:
    """Whether Windows-1252 text reads as another script's bytes: most words with accented
    letters have no plain letter at all ("ÑØÀ ââåëè" is Russian, "ÃÀ¹ú" Chinese; "Ça", "café" are not)."""
    words = [w for w in _LETTER_RUN.findall(text) if not w.isascii()]
    foreign = sum(len(w) > 1 and not any(c.isascii() for c in w) for w in words)
    return bool(words) and foreign > len(words) / 2


def _single_byte(data: bytes) -> str | None:
    """Legacy bytes as text: Windows-1252 unless it reads as another script, then a Chinese, Japanese or
    Korean code page that reads as such, else charset-normalizer's guess."""
    western = _cp1252(data)
    other = western is None or _other_script(western)
    if not other and not _mostly_accented(western) and not _signs_in_a_row(western):
        return western
    east = _east_asian(data)
    if east is not None or not other:
        return east or western
    guess = _guess(data)
    return guess[1] if guess is not None else western


_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f\s]{3,}")
_LATIN_LETTER = re.compile(r"[À-ÖØ-öø-ÿ]")


def _signs_in_a_row(text: str) -> bool:
    """Whether three or more characters in a row are not ASCII nor space, and not all of them letters
    Western text puts side by side ("öß", "çõ"): Windows-1252's reading of a Chinese word inside
    English ("(¦æ¬F°|)")."""
    return any(_LATIN_LETTER.sub("", run.group()) for run in _NON_ASCII_RUN.finditer(text))


def _mostly_accented(text: str) -> bool:
    """Whether more than a quarter of the characters that are not spaces are not ASCII: Western text
    has a few accents among plain letters, Chinese read as Windows-1252 ("ÃÀ¹úÏÞÖÆAIÐ¾Æ¬") barely any."""
    ink = len(text) - sum(ch.isspace() for ch in text)
    return sum(not ch.isascii() for ch in text) * 4 > ink


# Double-byte code pages, in the order a tie goes: charset-normalizer finds the one whose reading is
# least chaotic, but Chinese bytes also read without chaos as Korean hangul and hanja (which
# ``_plausible`` refuses where it can: Korean does not write hanja inside a hangul word).
EAST_ASIAN_CODE_PAGES = ("gb18030", "big5", "cp932", "cp949")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_CJK_MARKS = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
_HANGUL_WORD = re.compile(r"[\uac00-\ud7af\u4e00-\u9fff]+")


def _east_asian(data: bytes) -> str | None:
    """``data`` read in the double-byte code page it reads as, or None when none reads as Chinese,
    Japanese or Korean: almost every character that is not ASCII is an ideograph, kana, hangul or
    their punctuation, most of them stand beside another (a German "für" read as GBK leaves one
    ideograph between Latin letters), and Korean breaks its words with spaces (Chinese read as
    Korean runs on)."""
    from charset_normalizer import from_bytes

    for match in sorted(from_bytes(data, cp_isolation=list(EAST_ASIAN_CODE_PAGES)),
                        key=lambda m: (m.chaos, EAST_ASIAN_CODE_PAGES.index(m.encoding) if m.encoding in EAST_ASIAN_CODE_PAGES else 9)):
        text = str(match)
        if match.chaos <= 0.1 and _reads_as_east_asian(text) and _plausible(match.encoding, text):
            return text
    return None


def _reads_as_east_asian(text: str) -> bool:
    wide = [i for i, ch in enumerate(text) if _CJK.match(ch)]
    foreign = sum(not ch.isascii() for ch in text) - len(wide) - len(_CJK_MARKS.findall(text))
    near = set(wide)
    paired = sum(i - 1 in near or i + 1 in near for i in wide)
    return len(wide) >= 2 and foreign * 20 <= len(wide) and paired * 4 >= len(wide) * 3


def _plausible(encoding: str, text: str) -> bool:
    """Whether a reading in a double-byte code page is what that language writes: Japanese today
    hardly uses half-width katakana ("ﾍ郇鄴" is Russian read as Shift-JIS), and Korean writes the
    2,350 common syllables EUC-KR holds, spaced into words (Japanese read as Korean gives rare
    syllables, Chinese read as Korean runs on)."""
    if encoding == "cp932":
        return not re.search("[\uff61-\uff9f]", text)
    if encoding == "cp949":
        hangul = "".join(re.findall("[\uac00-\ud7af]", text))
        try:
            hangul.encode("euc_kr")
        except UnicodeEncodeError:
            return False
        mixed = any(re.search("[\uac00-\ud7af]", word) and re.search("[\u4e00-\u9fff]", word) for word in _HANGUL_WORD.findall(text))
        return bool(hangul) and not mixed and _spaced_korean(text)
    return True


def _spaced_korean(text: str) -> bool:
    words = _HANGUL_WORD.findall(text)
    return sum(map(len, words)) <= 6 * len(words)


def _mixed_utf8(data: bytes) -> str | None:
    """A UTF-8 file with some lines in a legacy code page, each line decoded as it was written;
    None when no line of it needs UTF-8 (then it is all legacy bytes)."""
    lines = data.split(b"\n")
    if not any(not line.isascii() and _utf8(line) is not None for line in lines):
        return None
    out = []
    for line in lines:
        text = _utf8(line)
        if text is None:
            text = _single_byte(line)
            if text is None:
                return None
        out.append(text)
    return "\n".join(out)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _binary(path: str, kind: str | None = None, suffix: str | None = None, fix: str | None = None) -> StanceError:
    return StanceError(
        f"binary data ({kind}), not text" if kind else "binary data, not text",
        path=path,
        fix=fix or (f"give it the {suffix} suffix" if suffix else "convert it to .txt, .md, .html, .pdf, .docx or .eml first"),
    )


_LINE_END = re.compile(r"\r\n|\r|\n")


def line_of(text: str, index: int) -> int:
    """The line (from 1) that ``text[index]`` is on, lines ending at "\\n", "\\r\\n" or an old Mac's "\\r".

    >>> line_of("one\\r\\ntwo\\rthree", 9)
    3
    """
    return len(_LINE_END.findall(text, 0, index)) + 1


def without_nuls(text: str, path: str) -> tuple[str, Note | None]:
    """``text`` without its NUL characters, and a note naming how many went, at the line of the first.

    Stray NULs come from copy-paste out of PDFs and from broken exports; they
    carry nothing a reader sees, and a whole document refused for one of them
    is lost to the analysis, so they go rather than the file. Dropped, not made
    spaces: sentence offsets refer to the text without them.

    >>> without_nuls("Tariffs\\x00 rose.", "a.txt")
    ('Tariffs rose.', Note(path='a.txt', message='dropped 1 stray NUL character (\\\\x00); the rest was read', fix='save the file again without it', line=1))
    """
    count = text.count("\x00")
    if not count:
        return text, None
    note = Note(
        path,
        f"dropped {count:,} stray NUL character{'s' if count > 1 else ''} (\\x00); the rest was read",
        f"save the file again without {'them' if count > 1 else 'it'}",
        line_of(text, text.index("\x00")),
    )
    return text.replace("\x00", ""), note


# --- one reader per format --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Raw:
    text: str
    title: str = ""
    date: str = ""
    source: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    line: int | None = None


def _decoded(path: Path, data: bytes) -> Generator[Note, None, str]:
    """The file's text (``decode``) without stray NUL characters, after a note on them if there were any:
    dropped here, before any parsing, every cell and title of the file is free of them, and the note
    names the file's own line."""
    text, note = without_nuls(decode(data, str(path)), shown_path(path))
    if note is not None and not text.strip():  # nothing but NULs: a damaged or never-written file, not stray ones
        raise StanceError("the file holds nothing but NUL bytes (\\x00), no text", path=shown_path(path),
                          fix="it is damaged or was never written out: save it again from where it came")
    if note is not None:
        yield note
    return text


def _read_text(path: Path, data: bytes) -> Iterator[_Raw | Note]:
    text = yield from _decoded(path, data)
    yield _Raw(text=text, title=_first_line(text))


def _read_html(path: Path, data: bytes) -> Iterator[_Raw | Note]:
    html = yield from _decoded(path, data)  # the HTML parser would drop NULs without a word
    from trafilatura import bare_extraction
    from trafilatura.utils import normalize_unicode
    from trafilatura.xml import xmltotxt

    # One pass gives the main text's tree (its headings) and the metadata: what ``trafilatura.extract``
    # and ``extract_metadata`` give, at a third of the cost of calling them.
    found = bare_extraction(html, include_comments=False, include_tables=True, favor_recall=True, with_metadata=True)
    text = normalize_unicode(xmltotxt(found.body, False)) if found is not None and found.body is not None else ""
    title = (found.title if found is not None else "") or ""
    date = (found.date if found is not None else "") or ""
    if text:
        text = _marked_headings(text, found.body.iter("head"), title)
    else:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, "html.parser")
        for tag in soup(["script", "style", "nav", "header", "footer", "aside", "noscript", "form"]):
            tag.decompose()
        title = title or (soup.title.get_text(strip=True) if soup.title else "")
        lines = (line.strip() for line in soup.get_text("\n").splitlines())
        text = "\n".join(line for line in lines if line)
    yield _Raw(text=text or "", title=title or _first_line(text or ""), date=date)


def _marked_headings(text: str, found_heads: Iterable, title: str) -> str:
    """Trafilatura's text with each heading it found (``<head rend="h2">`` in its tree) marked the
    Markdown way (``## What the rules mean``), so that cleaning knows it for a heading whatever its
    case, and with the page's title on top as its heading when the text lost it (a headline
    outside an ``<article>``): a sentence's topic carries from its headings."""
    heads = [(head, "".join(head.itertext()).strip()) for head in found_heads]
    lines = text.split("\n")
    at = 0
    for head, words in heads:  # in order: a paragraph with a heading's words stays a paragraph
        found = next((i for i in range(at, len(lines)) if lines[i].strip() == words), None)
        if found is None or not words:
            continue
        level = head.get("rend", "h2")[1:]
        lines[found] = f"{'#' * (min(int(level), 6) if level.isdigit() else 2)} {words}"
        at = found + 1
    headed = {words for _, words in heads}
    if title and not any(title.strip() == line.strip() for line in text.split("\n")[:5]) and title.strip() not in headed:
        lines[:0] = [f"# {title.strip()}", ""]
    return "\n".join(lines)


def _read_pdf(path: Path, data: bytes) -> Iterator[_Raw]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise StanceError("the PDF is password-protected", path=str(path), fix="save an unprotected copy")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise StanceError(f"not a readable PDF ({exc})", path=str(path), fix=REREAD_FIX[".pdf"]) from None
    text = "\n\n".join(page for page in pages if page)
    if not text.strip():
        raise StanceError(
            "the PDF has no text layer (scanned image?)",
            path=str(path),
            fix="run OCR on it first (e.g. ocrmypdf) or supply the text",
        )
    title = ""
    if reader.metadata and reader.metadata.title:
        title = str(reader.metadata.title)
    yield _Raw(text=text, title=title or _first_line(text))


def _read_docx(path: Path, data: bytes) -> Iterator[_Raw]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except PackageNotFoundError:  # its message names an in-memory buffer, of no use to anyone
        raise StanceError("not a readable .docx file (no Word document inside)", path=str(path), fix=REREAD_FIX[".docx"]) from None
    except (KeyError, ValueError, OSError) as exc:
        said = re.sub(r"file '<_io\.BytesIO object at 0x[0-9a-f]+>' ", "it ", str(exc))  # python-docx names its buffer
        raise StanceError(f"not a readable .docx file ({said})", path=str(path), fix=REREAD_FIX[".docx"]) from None
    text = "\n\n".join(block for block in _docx_blocks(document) if block.strip())
    title = document.core_properties.title or _first_line(text)
    date = document.core_properties.created.date().isoformat() if document.core_properties.created else ""
    yield _Raw(text=text, title=title, date=date)


def _docx_blocks(container) -> Iterator[str]:
    """The paragraphs of a Word document (or of a table cell) in order, tables included: each cell's
    text its own paragraph, a cell merged across columns once."""
    from docx.table import Table

    for block in container.iter_inner_content():
        if not isinstance(block, Table):
            yield block.text
            continue
        for row in block.rows:
            seen = set()
            for cell in row.cells:
                if cell._tc not in seen:  # a merged cell appears once per column it spans
                    seen.add(cell._tc)
                    yield from _docx_blocks(cell)


def _read_eml(path: Path, data: bytes) -> Iterator[_Raw | Note]:
    message = BytesParser(policy=policy.default).parsebytes(data)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        raise StanceError("the e-mail has no text body", path=str(path), fix="forward it as plain text or HTML")
    content = body.get_content()
    if body.get_content_type() == "text/html":
        *notes, html = _read_html(path, content.encode("utf-8"))
        yield from (replace(note, line=None) for note in notes)  # a line of the body is not one of the file
        content = html.text
    date = ""
    if message["date"]:
        try:
            date = parsedate_to_datetime(str(message["date"])).date().isoformat()
        except (TypeError, ValueError):
            date = str(message["date"])
    sender = str(message["from"] or "")
    meta = (("sender", sender), ("subject", str(message["subject"] or "")))
    yield _Raw(text=content, title=str(message["subject"] or ""), date=date, meta=meta)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(value: object) -> object:
    """A JSON value with half an emoji (a lone surrogate, as cut-off escapes leave) made U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    return value


def cell_text(value: object) -> str | None:
    """A one-value cell as text without surrounding spaces ("" for none, a number as written);
    None for a list, an object or true/false, which cannot be one value."""
    if isinstance(value, (list, dict, bool)):
        return None
    return "" if value is None else str(value).strip()


def _cell(value: object) -> str:
    """A table's metadata cell as text: what cannot be one value counts as none."""
    return cell_text(value) or ""


def kind_of(value: object) -> str:
    """What a JSON value is, for a message: "a number", "a list", "an object"."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return {list: "a list", dict: "an object"}.get(type(value), f"a {type(value).__name__}")


def _table_row(path: Path, row: dict, line: int) -> _Raw | Problem:
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        return Problem(str(path), f"the row's text is {kind_of(text)}, not text", 'give the text as a string ("text": "...")', line)
    if not text or not text.strip():
        return Problem(str(path), "the row has an empty text", "fill in the text cell or delete the row", line)
    row_id = _cell(row.get("id"))
    return _Raw(
        text=text,
        title=_cell(row.get("title") or row_id or f"row {line}"),
        date=_cell(row.get("date")),
        source=_cell(row.get("source")),
        meta=(("row_id", row_id),) if row_id else (),
        line=line,
    )


TABLE_COLUMNS = ("text", "source", "id", "date", "title")
CSV_DELIMITERS = (",", ";", "\t", "|")  # Excel writes ";" where "," is the decimal mark


def table_rows(path: Path, text: str, columns: Sequence[str], required: Sequence[str]) -> Iterator[tuple[int, dict] | Problem]:
    """The rows of a CSV or JSONL table (by ``path``'s suffix) as (line, row), or problems.

    ``columns`` are read whatever their case and spacing ("Text" is ``text``);
    a CSV may separate them with commas, semicolons, tabs or bars; a CSV
    without every ``required`` column, or a JSON array saved as JSON Lines,
    raises StanceError. A row's line is where it starts. A quote never
    closed ends the table with a problem at its line (the rows before it
    stand); a JSON line that is not an object with the ``required`` fields
    is a problem of its own.
    """
    if path.suffix.lower() == ".jsonl":
        yield from _jsonl_rows(path, text, columns, required)
        return
    if not text.strip():
        raise StanceError("the file is empty", path=str(path),
                          fix=f"give it a header line ({', '.join(required)}) and a row per text, or leave the file out")
    lines = io.StringIO(text, newline="").readlines()  # each ends at "\n", "\r\n" or an old Mac's "\r"
    declared = _excel_separator(lines[0])
    skipped = 1 if declared else 0  # Excel's "sep=;" line: the header is the line after it
    first = lines[skipped] if len(lines) > skipped else ""
    delimiters = (declared, *CSV_DELIMITERS) if declared else CSV_DELIMITERS
    delimiter = next((d for d in delimiters if set(required) <= set(_names(next(csv.reader([first], delimiter=d), []), columns))), None)
    if delimiter is None:
        header = next(csv.reader([first], delimiter=declared or ","), [])
        missing = [c for c in required if c not in _names(header, columns)]
        raise StanceError(
            f"the table has no {' or '.join(repr(c) for c in missing)} column (columns: {', '.join(header) or 'none'})",
            path=str(path),
            line=1 + skipped,
            fix=f"give it the columns {', '.join(columns)} ({', '.join(required)} required), separated by commas, semicolons or tabs",
        )
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # one long cell is one long text, not an error
    reader = csv.reader(lines[skipped:], delimiter=delimiter, skipinitialspace=True)
    try:
        names = _names(next(reader), columns)
        _refuse_twice(path, names, columns, line=1 + skipped)
        end = reader.line_num + skipped
        for cells in reader:
            start, end = end + 1, reader.line_num + skipped
            if end == len(lines) and _quote_left_open("".join(lines[start - 1 : end]), delimiter):
                # The last record ends inside a quoted cell: a quote opened here and never closed, which
                # swallowed the rest of the file (or, on the last line, the rest of the row's cells).
                yield Problem(str(path), "a quote opened on this line is never closed, so everything after it reads as one cell",
                              'close the quote, and double any quote inside a cell ("")', start)
                return
            if any(cell.strip() for cell in cells[len(names):]):
                # A separator inside a cell left unquoted: the cells after it would land in the wrong columns.
                yield Problem(str(path), f"the row has {len(cells)} cells and the header names {len(names)} columns, so its cells would land in the wrong columns",
                              f"put quotes around a cell that holds the separator ({delimiter!r}), or name the extra column in the header", start)
            elif cells and (short := [c for c in required if c in names[len(cells):]]):
                # A row cut short: its missing cells would read as empty (for labels: as "none", wiping stored ones).
                yield Problem(str(path), f"the row has {len(cells)} cells and the header names {len(names)} columns, so it has no {' or '.join(repr(c) for c in short)} cell",
                              f"give the row a cell for every column of the header (an empty cell is two separators side by side: {delimiter * 2})", start)
            elif cells:
                yield start, dict(zip(names, cells))
    except csv.Error as exc:
        yield Problem(str(path), f"the table cannot be read from here on ({exc})", "save it again as CSV", (reader.line_num or 1) + skipped)


def _quote_left_open(record: str, delimiter: str) -> bool:
    """Whether a CSV record ends inside a quoted cell (a stray quote inside an unquoted cell, as in
    ``5" screen``, is text, not an opening)."""
    try:
        for _ in csv.reader([record], delimiter=delimiter, skipinitialspace=True, strict=True):
            pass
    except csv.Error as exc:
        return "unexpected end of data" in str(exc)
    return False


_EXCEL_SEPARATOR = re.compile(r'^\ufeff?"?sep=(.)"?\s*$', re.IGNORECASE)


def _excel_separator(line: str) -> str | None:
    """The separator a CSV's first line declares the way Excel writes it (``sep=;``), or None."""
    match = _EXCEL_SEPARATOR.match(line)
    return match.group(1) if match else None


def _names(header: Sequence[str], columns: Sequence[str]) -> list[str]:
    """Column names as stance reads them: "Text", " text " and "TEXT" are all ``text``, and so is
    "\ufefftext" (a byte-order mark left by a tool that saved an already marked file)."""
    return [key if (key := name.lstrip("\ufeff").strip().lower()) in columns else name for name in header]


def _refuse_twice(path: Path, names: Sequence[str], columns: Sequence[str], line: int = 1) -> None:
    """A column stance reads named twice ("Text" and "text"): one of the two would be dropped unseen."""
    twice = _twice(names, columns)
    if twice:
        raise StanceError(f"the table has more than one {' and more than one '.join(repr(c) for c in twice)} column (column names are read whatever their case)",
                          path=str(path), line=line, fix="rename or delete the copies, so that each column is named once")


def _twice(names: Sequence[str], columns: Sequence[str]) -> list[str]:
    """The columns stance reads that ``names`` holds more than once (names read whatever their case)."""
    return sorted({name for name in names if name in columns and names.count(name) > 1})


def _jsonl_rows(path: Path, text: str, columns: Sequence[str], required: Sequence[str]) -> Iterator[tuple[int, dict] | Problem]:
    if text.lstrip().startswith("[") and _is_json_array(text):
        raise StanceError(
            "the file is one JSON array, not JSON Lines",
            path=str(path),
            line=1,
            fix="write one JSON object per line (e.g. jq -c '.[]' FILE > FILE.jsonl)",
        )
    # Lines end at "\n" only: JSON strings may hold U+2028, "\x1c" and the like, which str.splitlines() splits at.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(str(path), f"not valid JSON ({exc.msg})", "make each line one JSON object", n)
            continue
        if not isinstance(row, dict):
            yield Problem(str(path), f"the line is a JSON {type(row).__name__}, not an object", "make each line one JSON object, {...}", n)
            continue
        names = _names(list(row), columns)
        twice = _twice(names, columns)
        if twice:  # "Text" and "text": one of the two would be dropped unseen
            yield Problem(str(path), f"the line has more than one {' and more than one '.join(repr(c) for c in twice)} field (field names are read whatever their case)",
                          "keep one of them", n)
            continue
        row = {name: _no_surrogates(value) for name, value in zip(names, row.values())}
        missing = [c for c in required if c not in row]
        if missing:
            fields = " and ".join(repr(c) for c in missing)
            yield Problem(str(path), f"the line has no {fields} field", f"give each line {fields}", n)
            continue
        yield n, row


def _is_json_array(text: str) -> bool:
    try:
        return isinstance(json.loads(text), list)
    except json.JSONDecodeError:  # several lines of JSON: JSON Lines after all
        return False


def _read_table(path: Path, data: bytes) -> Iterator[_Raw | Problem | Note]:
    text = yield from _decoded(path, data)
    for item in table_rows(path, text, TABLE_COLUMNS, ("text",)):
        if isinstance(item, Problem):
            yield item
            continue
        line, row = item
        row_item = _table_row(path, row, line)
        if isinstance(row_item, _Raw):
            unread = [name for name in ("source", "date", "title", "id") if cell_text(row.get(name)) is None]
            if unread:
                what = " and ".join(f"{name} ({kind_of(row[name])})" for name in unread)
                yield Note(str(path), f"the row's {what} cannot be one value, so it was left out"
                           + (" and the file's name stands for the source" if "source" in unread else ""),
                           'give each as a string ("source": "merics")', line)
        yield row_item


READERS = {
    **{s: _read_text for s in TEXT_SUFFIXES},
    **{s: _read_html for s in HTML_SUFFIXES},
    ".pdf": _read_pdf,
    ".docx": _read_docx,
    ".eml": _read_eml,
    ".csv": _read_table,
    ".jsonl": _read_table,
}


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


# --- walking paths ----------------------------------------------------------


def _ignored(name: str) -> bool:
    """Files that live beside documents but are not documents: manifests,
    READMEs, and annotation files (``annotations*.csv``/``.jsonl``)."""
    lower = name.lower()
    return (
        name.startswith(".")
        or name in IGNORED_NAMES
        or Path(lower).suffix in IGNORED_SUFFIXES
        or (lower.startswith("annotations") and Path(lower).suffix in TABLE_SUFFIXES)
    )


def _walk(path: Path, problems: list[Problem]) -> Iterator[Path]:
    """The files to read under ``path``, in order; a folder stance cannot open, or one with
    nothing to read, becomes a problem. Linked folders are followed, each real folder once."""
    if not path.is_dir():
        yield path
        return
    seen: set[str] = set()
    found = skipped = 0

    def unreadable(exc: OSError) -> None:
        problems.append(Problem(shown_path(exc.filename or path), f"cannot open the folder ({exc.strerror})", "check its permissions"))

    for root, dirs, files in os.walk(path, onerror=unreadable, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back into a folder already read
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if _ignored(name):
                skipped += 1
                continue
            found += 1
            yield Path(root) / name
    if not found:
        problems.append(
            Problem(
                shown_path(path),
                "no documents in this folder" + (f" (only {skipped} file(s) stance does not read: READMEs, manifests, annotation files, hidden files)" if skipped else ""),
                f"put the documents ({', '.join(sorted(SUPPORTED))}) in it, or name the files themselves",
            )
        )


def read_in_folder(folder: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether reading ``folder`` would read the file ``path`` (as ``_walk`` and ``read_file`` do):
    it lies under the folder, in no hidden folder, with a readable suffix and not a name stance skips."""
    relative = Path(os.path.relpath(os.path.realpath(path), os.path.realpath(folder)))
    return (
        os.path.isdir(folder)
        and relative.parts[:1] != ("..",)
        and not any(part.startswith(".") for part in relative.parts[:-1])
        and relative.suffix.lower() in READERS
        and not _ignored(relative.name)
    )


def _dangling(path: Path) -> Problem:
    """A symbolic link that leads to nothing: its target is gone, or links lead back to themselves."""
    try:
        os.stat(path)
        looped = False
    except OSError as exc:
        looped = exc.errno == errno.ELOOP
    what = "a symbolic link that leads back to itself (a loop of links)" if looped else "a symbolic link whose target is gone"
    return Problem(shown_path(path), what, "point the link at a file or folder, or name the file itself")


def shown_path(path: str | os.PathLike) -> str:
    """A path as it can be printed and written: a file name that is not UTF-8 keeps its other characters."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def read_file(
    path: Path,
    *,
    source: Source | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Document | Problem | Note]:
    """Read one file into documents (several for a table), problems, and notes on what was changed."""
    shown = shown_path(path)
    suffix = path.suffix.lower()
    if path.is_symlink() and not path.exists():
        yield _dangling(path)
        return
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG  # said below, where the file is opened
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a pipe or a device would be read forever
        yield Problem(shown, "not a regular file (a pipe, socket or device)", "give a file saved on disk")
        return
    if suffix not in READERS:
        fix = "save it as CSV (text column 'text')" if suffix in SPREADSHEET_SUFFIXES else f"use one of {', '.join(sorted(SUPPORTED))}"
        if not suffix:
            yield Problem(shown, "the file's name has no suffix, and stance knows a file's format by its suffix",
                          f"rename it with the suffix of its format ({', '.join(sorted(SUPPORTED))})")
            return
        yield Problem(shown, f"unsupported file type '{suffix}'", fix)
        return
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):  # a pipe or a device would be read forever
            yield Problem(shown, "not a regular file (a pipe, socket or device)", "give a file saved on disk")
            return
        if status.st_size > max_bytes:
            yield Problem(
                shown,
                f"the file is {_size(status.st_size)}, over the {_size(max_bytes)} limit",
                "split it, or raise the limit with --max-mb",
            )
            return
        data = path.read_bytes()
    except OSError as exc:
        yield Problem(shown, f"cannot open the file ({exc.strerror})", "check the path and its permissions")
        return
    if not data.strip():
        yield Problem(shown, "the file is empty" if not data else f"the file holds only white space ({_size(len(data))})", "remove it or add its text")
        return
    source = source or source_for_file(path)
    try:
        found = problems = False
        for raw in READERS[suffix](path, data):
            if isinstance(raw, Note):
                yield raw
                continue
            if isinstance(raw, Problem):
                problems = True
                yield raw
                continue
            text, note = without_nuls(raw.text, shown)  # a PDF's text layer, an e-mail or a JSON "\u0000" can hold them too
            if note is not None:
                yield replace(note, line=raw.line)  # a table row's line; a line of a PDF's or an e-mail's text is none of the file's
            if note is not None or "\x00" in raw.title + (raw.source or "") + raw.date:  # a JSON "\u0000" in a row's fields too
                raw = replace(raw, text=text, title=raw.title.replace("\x00", ""), source=(raw.source or "").replace("\x00", ""), date=raw.date.replace("\x00", ""))
            if not raw.text.strip():
                continue
            found = True
            yield Document(
                doc_id=doc_id_for(raw.text),
                source=raw.source or source.id,
                path=shown if raw.line is None else f"{shown}:{raw.line}",
                title=raw.title,
                date=raw.date or source.date,
                text=raw.text,
                meta=raw.meta,
            )
        if not found and not problems:
            if suffix in TABLE_SUFFIXES:
                yield Problem(shown, "the table has no rows", "add a row per document, with its text in the 'text' column")
            else:
                yield Problem(shown, "no text found in the file", "check that it holds a document's text")
    except StanceError as exc:
        yield Problem(exc.path or shown, exc.message, exc.fix or "", exc.line)
    except UnicodeError as exc:
        yield Problem(shown, f"undecodable bytes ({exc})", "save it as UTF-8 text")
    except Exception as exc:  # noqa: BLE001 - a parser choking on a damaged file must not stop the others
        yield Problem(shown, f"not a readable {suffix} file ({type(exc).__name__}: {str(exc)[:200]})", REREAD_FIX.get(suffix, "save it again, or as text"))


def iter_corpus(
    paths: Iterable[str | Path],
    corpus: Corpus,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[Document]:
    """Stream the documents under ``paths``; sources and problems land in ``corpus``.

    Streaming keeps memory flat: nothing holds the whole corpus unless the caller does.
    """
    read: set[str] = set()  # each file once, however often it is named (twice, or as a file and in its folder)
    for raw_path in paths:
        root = Path(raw_path)
        if not root.exists():
            corpus.problems.append(_dangling(root) if root.is_symlink() else Problem(shown_path(root), "no such file or folder", "check the path"))
            continue
        manifests: dict[Path, tuple[dict[str, Source], dict[str, str]]] = {}
        for path in _walk(root, corpus.problems):
            real = os.path.realpath(path)
            if real in read:
                continue
            read.add(real)
            folder = path.parent
            if folder not in manifests:
                try:
                    sources, by_file, mistakes = load_manifest(folder)
                    manifests[folder] = sources, by_file
                    corpus.problems.extend(Problem(shown_path(Path(exc.path)) if exc.path else str(folder), exc.message, exc.fix or "", exc.line)
                                           for exc in mistakes)
                except StanceError as exc:
                    corpus.problems.append(Problem(exc.path or str(folder), exc.message, exc.fix or "", exc.line))
                    manifests[folder] = ({}, {})
            sources, by_file = manifests[folder]
            source = sources.get(by_file.get(path.name, ""), None) or source_for_file(path)
            for item in read_file(path, source=source, max_bytes=max_bytes):
                if isinstance(item, Problem):
                    corpus.problems.append(item)
                    continue
                if isinstance(item, Note):
                    corpus.notes.append(item)
                    continue
                if item.source not in corpus.sources:
                    corpus.sources[item.source] = sources.get(item.source) or (
                        source if item.source == source.id else Source(id=item.source, name=item.source)
                    )
                yield item


def read_corpus(paths: Iterable[str | Path] | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Corpus:
    """Read everything under ``paths`` (default: the bundled seeds) into memory."""
    corpus = Corpus()
    corpus.documents = list(iter_corpus(paths or [SEEDS_DIR], corpus, max_bytes=max_bytes))
    return corpus
