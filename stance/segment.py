"""Documents to sentences, with exact offsets and stable ids.

The splitter is our own small regex splitter rather than pysbd or NLTK's
Punkt: on the seeds it splits as well as pysbd (see the README's
comparison, ``bench/bench_splitters.py``) and is about 30 times faster, which
the 50,000 sentences/s target needs. It knows:

- abbreviations (U.S., e.g., i.e., Dr., No., Inc., months, initials such as
  "Gregory C. Allen"), decimals and money (US$47.5 billion, 3.5%);
- closing quotes and brackets after the full stop, ellipses, Chinese full
  stops (。！？) and brackets holding Chinese characters;
- lines: a heading, bullet or unpunctuated title line is a unit of its own;
  a hard-wrapped line or a paragraph cut by a page break ("... and CEO," /
  "Zhu Jiusheng, have both resigned") is joined to the sentence it continues.

``sentence_id`` is derived from the document id, the normalised sentence text
and its occurrence number, so re-reading an unchanged document gives the same
ids, and an edit elsewhere in the document leaves a sentence's id alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from stance.clean import CONTENT, LineFlag, flag_lines, sentence_boilerplate
from pathlib import Path

from stance.corpus import DEFAULT_MAX_BYTES, SEEDS_DIR, Corpus, Document, iter_corpus


class Sentence(NamedTuple):
    """One sentence (or heading, or boilerplate unit) of a document.

    An immutable NamedTuple rather than a frozen dataclass: millions of these
    are made, and a frozen dataclass costs six times as much to build.
    """

    sentence_id: str
    doc_id: str
    source: str
    path: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    heading: bool
    boilerplate: bool
    boilerplate_reason: str | None


ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr adm gov sen rep pres amb sec dept
    no nos vol vols p pp fig figs ch sec art para ed eds est approx ca cf vs etc al
    inc ltd co corp plc llc bros assn univ intl natl
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue wed thu fri sat sun
    e.g i.e a.m p.m u.s u.k u.n e.u u.s.a n.b viz
    """.split()
)
# After "U.S." a capitalised word usually continues the sentence ("U.S. President"),
# unless it is one of these typical sentence openers.
_OPENERS = frozenset(
    "The This That These Those It Its In On At But And However Yet So We They He She I "
    "Such There Their Our A An As For If When While After Before Since Meanwhile".split()
)
_TERMINAL_CHARS = ".!?。！？…:;\"”’)"
_CHINESE_STOP = "。！？"
_CHINESE_STOP_CLOSERS = frozenset("。！？」』）")

# A candidate boundary: terminal punctuation, closing quotes/brackets, then
# whitespace and something that can open a sentence.
# A candidate boundary: terminal punctuation and closing quotes/brackets. One
# character class up front lets the regex engine skip ahead quickly; what may
# follow is checked in Python (``_opens_sentence``).
_BOUNDARY = re.compile(r"[.!?…。！？]+[\"'”’»)\]」』）]*")
_OPENING = re.compile(r"\s+[\"'“‘«(\[]?(?:[A-Z0-9\u4e00-\u9fff]|[a-z][A-Z])")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦–]|\d{1,2}[.)])\s+")
_SPACE = re.compile(r"\s+")
_LEADING_NUMBER = re.compile(r"^\s*[(\[]?\d{1,3}[.)]$")


def normalise_text(text: str) -> str:
    """Lower case, single spaces: the form sentence ids and text matching use."""
    return " ".join(text.split()).lower()


def sentence_id_for(doc_id: str, normalised: str, occurrence: int) -> str:
    """The stable id of the ``occurrence``-th sentence reading ``normalised`` in a document."""
    key = f"{doc_id}\x1f{normalised}\x1f{occurrence}".encode("utf-8")
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def split_spans(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans of one block of text, as (start, end) plus ``offset``.

    >>> split_spans("The U.S. raised tariffs by 3.5%. China responded.")
    [(0, 32), (33, 50)]
    """
    spans: list[tuple[int, int]] = []
    begin = 0
    size = len(text)
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if end >= size:
            break
        if match.group()[-1] not in _CHINESE_STOP_CLOSERS:
            if not _OPENING.match(text, end) or not _is_boundary(text, begin, match.start(), end):
                continue
        spans.append((begin, end))
        begin = end
    spans.append((begin, size))
    out = []
    for start, end in spans:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((offset + start, offset + end))
    return out


def _is_boundary(text: str, begin: int, stop: int, end: int) -> bool:
    """Whether the full stop at ``stop`` ends a sentence (abbreviations do not)."""
    if text[stop] != "." or text[stop + 1 : stop + 2] not in ("", ".", " ", "\n", "\"", "'", "”", "’", ")"):
        return True
    space = text.rfind(" ", begin, stop) + 1
    token = text[space : stop + 1].lstrip("\"'“‘([").lower()
    word = token.rstrip(".")
    if not word:
        return True
    if _LEADING_NUMBER.match(text[begin : stop + 1]):
        return False  # "1. China rolls out ..." — a list number, not a sentence
    if word in ABBREVIATIONS:
        if word in {"u.s", "u.k", "u.n", "e.u", "u.s.a", "etc", "inc", "ltd", "co", "corp", "al"}:
            following = text[end:].split(None, 1)
            return bool(following) and following[0].strip("\"'“‘(") in _OPENERS
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "Gregory C. Allen"
    if "." in word and len(word) <= 6 and all(len(part) <= 2 and part.isalpha() for part in word.split(".")):
        return False  # other dotted abbreviations: "D.C.", "a.k.a."
    return True


@dataclass(frozen=True, slots=True)
class _Block:
    start: int
    end: int
    flag: LineFlag
    paragraph: int


def _blocks(text: str) -> Iterator[_Block]:
    """Lines grouped into blocks: paragraphs, headings and boilerplate lines."""
    lines: list[tuple[int, int]] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lines.append((pos, pos + len(body)))
        pos += len(raw)
    flags = flag_lines([text[s:e] for s, e in lines])
    current: _Block | None = None
    paragraph = -1
    blank_since = True
    for (start, end), flag in zip(lines, flags):
        line = text[start:end]
        if not line.strip():
            blank_since = True
            continue
        if current is not None and flag == CONTENT and current.flag == CONTENT and _continues(text[current.start : current.end], line, blank_since):
            current = _Block(current.start, end, current.flag, current.paragraph)
        else:
            if current is not None:
                yield current
            paragraph += 1
            current = _Block(start, end, flag, paragraph)
        blank_since = False
    if current is not None:
        yield current


def _continues(previous: str, line: str, after_blank: bool) -> bool:
    """Whether ``line`` continues the sentence that ``previous`` left open."""
    tail = previous.rstrip()
    if not tail or tail[-1] in _TERMINAL_CHARS or _BULLET.match(line):
        return False
    head = line.lstrip()[:1]
    if head.islower() or tail[-1] in ",-–(":
        return True
    # A hard-wrapped line is long; a short unpunctuated line is a title of its own.
    last_line = tail.rsplit("\n", 1)[-1]
    return not after_blank and len(last_line) >= 60


def segment(document: Document) -> list[Sentence]:
    """Split one document into sentences, headings and boilerplate units."""
    return list(iter_sentences(document))


def iter_sentences(document: Document) -> Iterator[Sentence]:
    text = document.text
    seen: dict[str, int] = {}
    index = 0
    for block in _blocks(text):
        if block.flag.heading:
            spans = [(block.start + len(text[block.start : block.end]) - len(text[block.start : block.end].lstrip()), block.start + len(text[block.start : block.end].rstrip()))]
        else:
            spans = split_spans(text[block.start : block.end], block.start)
        for start, end in spans:
            piece = text[start:end]
            reason = block.flag.boilerplate
            if reason is None and not block.flag.heading:
                reason = sentence_boilerplate(piece)
            norm = normalise_text(piece)
            occurrence = seen.get(norm, 0)
            seen[norm] = occurrence + 1
            yield Sentence(
                sentence_id=sentence_id_for(document.doc_id, norm, occurrence),
                doc_id=document.doc_id,
                source=document.source,
                path=document.path,
                index=index,
                paragraph=block.paragraph,
                start=start,
                end=end,
                text=piece,
                heading=block.flag.heading,
                boilerplate=reason is not None,
                boilerplate_reason=reason,
            )
            index += 1


def segment_all(documents: Iterable[Document]) -> Iterator[Sentence]:
    """Stream the sentences of many documents."""
    for document in documents:
        yield from iter_sentences(document)


def source_summary(paths: Iterable[str | Path] | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[dict], Corpus]:
    """One row per document: its source's metadata and sentence counts."""
    corpus = Corpus()
    rows = []
    for document in iter_corpus(paths or [SEEDS_DIR], corpus, max_bytes=max_bytes):
        sentences = segment(document)
        source = corpus.sources[document.source]
        rows.append({
            "source": source.id, "name": source.name, "kind": source.kind, "country": source.country,
            "date": document.date or source.date, "path": document.path, "sentences": len(sentences),
            "content_sentences": sum(1 for s in sentences if not s.boilerplate and not s.heading),
        })
    return rows, corpus
