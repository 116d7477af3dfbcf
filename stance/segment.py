"""Documents to sentences, with exact offsets and stable ids.

The splitter is our own small regex splitter rather than pysbd or NLTK's
Punkt: on the seeds it splits as well as pysbd (see the README's
comparison, ``bench/bench_splitters.py``) and is about 30 times faster, which
the 50,000 sentences/s target needs. It knows:

- abbreviations (U.S., e.g., i.e., Dr., No., Inc., months, initials such as
  "Gregory C. Allen"), decimals and money (US$47.5 billion, 3.5%);
- closing quotes and brackets after the full stop, ellipses, Chinese full
  stops (。！？, and the full-width ．) and brackets holding Chinese characters;
- every script: a sentence opens at a capital of any alphabet (Élysée,
  Österreich, Москва), at a letter of a script without case (Arabic, Hebrew,
  Devanagari, Thai, Chinese), at a digit or at an emoji, never at a lower-case
  letter; a vertical tab is white space inside a line, a form feed ends one;
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
import unicodedata
from collections.abc import Iterable, Iterator
from itertools import accumulate, pairwise
from typing import NamedTuple

from stance.clean import CONTENT, SHORT_SENTENCE_CHARS, TERMINAL_CHARS, LineFlag, flag_lines, sentence_boilerplate, sentence_triggers
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
# Chinese full stops and closers end a sentence without a space or an opener after
# them; so does the full-width full stop (U+FF0E), used like "。", unless a digit
# follows it (a full-width decimal: "３．５％").
_CHINESE_STOP_CLOSERS = frozenset("。！？．」』）")
# Unicode categories that open a sentence: upper-, title-case and caseless letters, digits.
_OPENER_CATEGORIES = frozenset({"Lu", "Lt", "Lo", "Nd"})


def _opener_class() -> str:
    """What may open a sentence, as the inside of a regex character class.

    Python's ``re`` has no ``\\p{Lu}``, so the class is built once, at import
    (about 15 ms): the upper- and title-case letters of every script (É, Ö, Д,
    Α...), the letters of scripts without case (Arabic, Hebrew, Thai,
    Devanagari, Chinese, Japanese, Korean...) and digits, from the Basic
    Multilingual Plane; the symbols from U+2100 on (☀, ✅, ⭐) and the emoji
    planes beyond it, for a sentence that opens with an emoji; and the rarer
    Chinese characters beyond it. A lower-case letter of any script is left
    out: it continues the sentence.
    """
    category = unicodedata.category
    ranges: list[list[int]] = []
    for code in range(0x10000):
        kind = category(chr(code))
        if kind in _OPENER_CATEGORIES or (kind == "So" and code >= 0x2100):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    ranges += [[0x1F000, 0x1FAFF], [0x20000, 0x3FFFF]]  # emoji and pictographs; Chinese extensions B on
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)


# A candidate boundary: terminal punctuation and closing quotes/brackets, then
# white space and something that can open a sentence (looked at, not taken). One
# pattern, so that the regex engine rather than Python rejects the many full stops
# that no sentence opener follows (decimals, "U.S.", ...). The atomic group keeps
# the candidate as long as the punctuation runs; a candidate ending in a Chinese
# stop or closer needs no opener. The first character stays outside the group:
# the engine then skips ahead to it, three times as fast, and faster still when
# it is one literal character, so blocks whose only terminal is the full stop get
# ``_DOT_CANDIDATE`` (most do; ``_cuts`` picks). A candidate starts only where a
# run of terminal punctuation starts: from inside the run it would end where the
# run's own candidate ended, and trying each start rescanned the run (200,000
# full stops in a row took 30 s). Zero-width spaces, byte-order marks and the
# invisible marks of writing direction (U+200E/F, U+202A-E, U+2066-9, U+061C) count
# as white space here, as they do to a reader.
_OPENING = r"[\s\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff]+[\"'“‘«„‹¿¡(\[「『（]?(?:[" + _opener_class() + r"]|[a-z][A-Z])"
_STOPS = "[.!?…。！？．।॥؟۔]"  # and the Devanagari danda, the Arabic question mark, the Urdu full stop
_CANDIDATE_REST = (
    r"(?<!" + _STOPS + _STOPS + r")(?>" + _STOPS + r"*[\"'”’»)\]」』）]*)"
    r"(?:(?<=[。！？」』）])|(?<=．)(?!\d)|(?=" + _OPENING + "))"
)
_CANDIDATE = re.compile(_STOPS + _CANDIDATE_REST)
_OTHER_STOPS = re.compile("[" + _STOPS[1:-1].replace(".!?", "") + "]")  # a block holding one of these needs ``_CANDIDATE``
_DOT_CANDIDATE = re.compile(r"\." + _CANDIDATE_REST)
_BULLET = re.compile(r"^\s*(?:[-*•▪◦–]|\d{1,2}[.)])\s+")
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
    out = []
    for start, stop in pairwise(_cuts(text)):
        piece = text[start:stop]
        stripped = piece.strip()  # str.strip and str.isspace agree on what is white space
        if stripped:
            start += offset + piece.index(stripped[0])  # the first non-space character
            out.append((start, start + len(stripped)))
    return out


# No sentence is longer: a run of text without a sentence end (a transcript without
# punctuation, a pasted blob) is cut at the last white space before each limit, or at the
# limit where there is none, so that every sentence fits a spreadsheet's cell (Excel's holds
# 32,767 characters) and a CSV reader's default field (131,072). The longest bundled sentence
# has 529 characters.
MAX_SENTENCE_CHARS = 10_000


def _cuts(text: str) -> list[int]:
    """Where sentences may start or end in ``text``: 0, each boundary, ``len(text)``.
    (A piece between two cuts may be white space only.)"""
    cuts = _boundaries(text)
    return cuts if len(text) <= MAX_SENTENCE_CHARS else _within_limit(text, cuts)


def _within_limit(text: str, cuts: list[int]) -> list[int]:
    """``cuts``, with more wherever a piece is longer than ``MAX_SENTENCE_CHARS``."""
    out = [0]
    for start, stop in pairwise(cuts):
        while stop - start > MAX_SENTENCE_CHARS:
            limit = start + MAX_SENTENCE_CHARS
            space = max(text.rfind(c, start + 1, limit) for c in " \n\t\u3000")
            start = space + 1 if space > start else limit
            out.append(start)
        out.append(stop)
    return out


def _boundaries(text: str) -> list[int]:
    """The sentence boundaries of ``text``, as ``_cuts`` gives them, whatever the pieces' length."""
    if "?" in text or "!" in text or (not text.isascii() and _OTHER_STOPS.search(text)):
        candidates = _CANDIDATE.finditer(text)
    elif "." in text:
        candidates = _DOT_CANDIDATE.finditer(text)
    else:
        return [0, len(text)]  # no terminal: one piece
    cuts = [0]
    begin = 0
    size = len(text)
    for match in candidates:
        stop, end = match.span()
        if end >= size:
            break
        if (
            (stop >= 7 and text[stop - 7 : stop].isalpha())  # ``_is_boundary``'s first test, without the call
            or text[end - 1] in _CHINESE_STOP_CLOSERS
            or _is_boundary(text, begin, stop, end)
        ):
            cuts.append(end)
            begin = end
    cuts.append(size)
    return cuts


def _is_boundary(text: str, begin: int, stop: int, end: int) -> bool:
    """Whether the full stop at ``stop`` ends a sentence (abbreviations do not)."""
    if stop >= 7 and text[stop - 7 : stop].isalpha():
        return True  # after a word of seven letters or more: no abbreviation, initial or list number
    if text[stop] != "." or text[stop + 1 : stop + 2] not in ("", ".", " ", "\n", "\"", "'", "”", "’", ")"):
        return True
    space = text.rfind(" ", begin, stop) + 1
    word = text[space:stop]
    if word.isalpha():
        word = word.lower()  # a plain word, the usual case: no quote to strip, no list number
    else:
        word = text[space : stop + 1].lstrip("\"'“‘([").lower().rstrip(".")
        if not word:
            return True
        if stop > begin and text[stop - 1].isdigit() and _LEADING_NUMBER.fullmatch(text, begin, stop + 1):
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
    raws = _lines(text)
    bodies = [raw.rstrip("\r\n") for raw in raws]
    starts = accumulate(map(len, raws), initial=0)
    flags = flag_lines(bodies)
    out: list[_Block] = []
    new = tuple.__new__  # _Block(...) without the Python-level __new__
    # The open block, kept as plain locals: start, end, flag, paragraph, last line.
    cur_start = cur_end = 0
    cur_flag: LineFlag | None = None
    cur_line = ""
    paragraph = -1
    blank_since = True
    for start, line, flag in zip(starts, bodies, flags):
        if not line or line.isspace():
            blank_since = True
            continue
        content = flag is CONTENT or (not flag.heading and flag.boilerplate is None)
        if (
            content
            and cur_flag is not None
            and (cur_flag is CONTENT or (not cur_flag.heading and cur_flag.boilerplate is None))
            and cur_line[-1] not in TERMINAL_CHARS  # ``_continues_block``'s first test, without the call
            and _continues_block(text, cur_start, cur_end, cur_line, line, blank_since)
        ):
            cur_end = start + len(line)
        else:
            if cur_flag is not None:
                out.append(new(_Block, (cur_start, cur_end, cur_flag, paragraph)))
            paragraph += 1
            cur_start, cur_end, cur_flag = start, start + len(line), flag
        cur_line = line
        blank_since = False
    if cur_flag is not None:
        out.append(new(_Block, (cur_start, cur_end, cur_flag, paragraph)))
    return out


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their ends, cut where ``str.splitlines`` cuts
    them (a form feed too: a page break ends a line) except at a vertical tab,
    which is in-line white space, as a tab is ("The ban\\x0bhurts Nvidia.")."""
    raws = text.splitlines(keepends=True)
    if "\x0b" not in text:
        return raws
    lines: list[str] = []
    pending: list[str] = []  # the pieces of a line cut at vertical tabs
    for raw in raws:
        pending.append(raw)
        if raw[-1] != "\x0b":
            lines.append("".join(pending))
            pending.clear()
    if pending:
        lines.append("".join(pending))
    return lines


def _continues_block(text: str, start: int, end: int, last: str, line: str, after_blank: bool) -> bool:
    """Whether ``line`` continues the sentence that the block ``text[start:end]``
    left open; ``last``, the block's last line, is never blank, so it ends the
    same way the block does."""
    tail = last[-1]
    if tail.isspace():
        tail = last.rstrip()[-1]
    if tail in TERMINAL_CHARS or _BULLET.match(line):
        return False
    if line.lstrip()[:1].islower() or tail in ",-–(":
        return True
    # A hard-wrapped line is long; a short unpunctuated line is a title of its own.
    return not after_blank and len(last.rstrip()) >= 60


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
        low = block.lower()
        # Boilerplate sentences are looked for in content blocks only, and in a piece
        # only if it is short or its block holds a trigger for any sentence.
        check = not heading and block_reason is None
        triggers = sentence_triggers(low) if check else ()
        cuts = [0, len(block)] if heading else _cuts(block)
        # normalise_text, cheaply where the block allows: where its only white space
        # is single spaces, a piece's normal form is the piece lower-cased, and a
        # slice of ``low`` where lower-casing maps each character to one character
        # (a dotted capital I becomes two) whatever its neighbours (a capital sigma
        # looks at them).
        plain = "  " not in block and block.isprintable()
        sliced = plain and (block.isascii() or (len(low) == len(block) and "Σ" not in block))
        for cut, next_cut in pairwise(cuts):
            stripped = block[cut:next_cut].strip()  # str.strip and str.isspace agree on what is white space
            if not stripped:
                continue
            first = block.index(stripped[0], cut)  # the piece's first non-space character
            last = first + len(stripped)
            if sliced:
                norm = low[first:last]
            elif plain:
                norm = stripped.lower()
            else:
                norm = " ".join(stripped.split()).lower()
            occurrence = seen.get(norm, 0)
            seen[norm] = occurrence + 1
            digest = id_state.copy()  # then f"{norm}\x1f{occurrence}", in two parts
            digest.update(norm.encode())
            digest.update(b"\x1f0" if occurrence == 0 else f"\x1f{occurrence}".encode())
            if check and (triggers or last - first < SHORT_SENTENCE_CHARS):
                reason = boilerplate_of(stripped, triggers, norm if plain else None)
            else:
                reason = block_reason
            append(new(Sentence, (
                digest.hexdigest(), doc_id, source, path, index, paragraph,
                block_start + first, block_start + last, stripped,
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
