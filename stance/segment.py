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
from typing import NamedTuple

from stance.clean import CONTENT, LineFlag, flag_lines, may_hold_sentence_boilerplate, sentence_boilerplate
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
# Both in one pattern, so that the regex engine rather than Python rejects the
# many full stops that no sentence opener follows (decimals, "U.S.", ...). The
# atomic group keeps the candidate as long as ``_BOUNDARY`` takes it; a candidate
# ending in a Chinese stop or closer needs no opener. (The first character stays
# outside the group: the engine then skips ahead to it, three times as fast.)
_CANDIDATE = re.compile(
    r"[.!?…。！？](?>[.!?…。！？]*[\"'”’»)\]」』）]*)(?:(?<=[。！？」』）])|(?=" + _OPENING.pattern + "))"
)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦–]|\d{1,2}[.)])\s+")
_SPACE = re.compile(r"\s+")
_LEADING_NUMBER = re.compile(r"\s*[(\[]?\d{1,3}[.)]")  # fullmatch on a span of the text
_FIRST_TOKEN = re.compile(r"\s*(\S*)")  # as str.split() finds it, without copying the rest


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
    [(0, 32), (33, 49)]
    """
    return [(start, end) for start, end, _ in _split_pieces(text, offset)]


def _split_pieces(text: str, offset: int) -> list[tuple[int, int, str]]:
    """``split_spans`` with each span's text, so the caller need not slice again."""
    cuts = [0]
    begin = 0
    size = len(text)
    for match in _CANDIDATE.finditer(text):
        end = match.end()
        if end >= size:
            break
        if text[end - 1] not in _CHINESE_STOP_CLOSERS and not _is_boundary(text, begin, match.start(), end):
            continue
        cuts.append(end)
        begin = end
    cuts.append(size)
    out = []
    for k in range(len(cuts) - 1):
        start = cuts[k]
        piece = text[start : cuts[k + 1]]
        stripped = piece.strip()  # str.strip and str.isspace agree on what is white space
        if stripped:
            start += offset + len(piece) - len(piece.lstrip())
            out.append((start, start + len(stripped), stripped))
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
    if _LEADING_NUMBER.fullmatch(text, begin, stop + 1):
        return False  # "1. China rolls out ..." — a list number, not a sentence
    if word in ABBREVIATIONS:
        if word in {"u.s", "u.k", "u.n", "e.u", "u.s.a", "etc", "inc", "ltd", "co", "corp", "al"}:
            following = _FIRST_TOKEN.match(text, end).group(1)
            return bool(following) and following.strip("\"'“‘(") in _OPENERS
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "Gregory C. Allen"
    if "." in word and len(word) <= 6 and all(len(part) <= 2 and part.isalpha() for part in word.split(".")):
        return False  # other dotted abbreviations: "D.C.", "a.k.a."
    return True


class _Block(NamedTuple):
    start: int
    end: int
    flag: LineFlag
    paragraph: int


def _blocks(text: str) -> list[_Block]:
    """Lines grouped into blocks: paragraphs, headings and boilerplate lines."""
    starts: list[int] = []
    bodies: list[str] = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        starts.append(pos)
        bodies.append(body)
        pos += len(raw)
    flags = flag_lines(bodies)
    out: list[_Block] = []
    # The open block, kept as plain locals: start, end, flag, paragraph, last line.
    cur_start = cur_end = 0
    cur_flag: LineFlag | None = None
    cur_line = ""
    paragraph = -1
    blank_since = True
    for start, line, flag in zip(starts, bodies, flags):
        if not line.strip():
            blank_since = True
            continue
        content = flag is CONTENT or (not flag.heading and flag.boilerplate is None)
        if (
            content
            and cur_flag is not None
            and (cur_flag is CONTENT or (not cur_flag.heading and cur_flag.boilerplate is None))
            and _continues_block(text, cur_start, cur_end, cur_line, line, blank_since)
        ):
            cur_end = start + len(line)
        else:
            if cur_flag is not None:
                out.append(_Block(cur_start, cur_end, cur_flag, paragraph))
            paragraph += 1
            cur_start, cur_end, cur_flag = start, start + len(line), flag
        cur_line = line
        blank_since = False
    if cur_flag is not None:
        out.append(_Block(cur_start, cur_end, cur_flag, paragraph))
    return out


def _continues_block(text: str, start: int, end: int, last: str, line: str, after_blank: bool) -> bool:
    """``_continues(text[start:end], line, after_blank)`` without slicing the block
    unless needed: ``last``, the block's last line, is never blank, so it ends the
    same way the block does."""
    tail = last.rstrip()[-1]
    if tail in _TERMINAL_CHARS or _BULLET.match(line):
        return False
    if line.lstrip()[:1].islower() or tail in ",-–(":
        return True
    return not after_blank and _continues(text[start:end], line, after_blank)


def segment(document: Document) -> list[Sentence]:
    """Split one document into sentences, headings and boilerplate units."""
    text = document.text
    doc_id, source, path = document.doc_id, document.source, document.path
    # sentence_id_for, with the document id hashed once: the hash is streamed,
    # so a copy of this state updated with the rest gives the same digest.
    id_state = hashlib.blake2b(f"{doc_id}\x1f".encode("utf-8"), digest_size=8)
    seen: dict[str, int] = {}
    out: list[Sentence] = []
    append = out.append
    new = tuple.__new__  # Sentence(...) by keyword costs a third of the tuple's time
    boilerplate_of = sentence_boilerplate
    index = 0
    for block_start, block_end, flag, paragraph in _blocks(text):
        heading = flag.heading
        block_reason = flag.boilerplate
        block = text[block_start:block_end]
        if heading:
            stripped = block.strip()
            start = block_start + len(block) - len(block.lstrip())
            pieces = [(start, start + len(stripped), stripped)]
            check = False
        else:
            pieces = _split_pieces(block, block_start)
            check = block_reason is None and may_hold_sentence_boilerplate(block)
        for start, end, piece in pieces:
            reason = block_reason
            if check:
                reason = boilerplate_of(piece)
            norm = " ".join(piece.split()).lower()  # normalise_text, inlined
            occurrence = seen.get(norm, 0)
            seen[norm] = occurrence + 1
            digest = id_state.copy()
            digest.update(f"{norm}\x1f{occurrence}".encode("utf-8"))
            sentence_id = digest.hexdigest()
            append(new(Sentence, (
                sentence_id, doc_id, source, path, index, paragraph, start, end, piece,
                heading, reason is not None, reason,
            )))
            index += 1
    return out


def iter_sentences(document: Document) -> Iterator[Sentence]:
    return iter(segment(document))


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
