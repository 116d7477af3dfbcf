"""Which cues may fire on a sentence, from one compiled scan (optional: Hyperscan).

The cue rules spend most of ``stance tag``'s time trying cue regexes at the
words that could start them, in Python's ``re``; most tries fail. Hyperscan
(Intel's multi-pattern regex engine, ``pip install hyperscan``; wheels for
Linux on x86-64) scans a sentence for thousands of regexes at once, in C.
It cannot run every construct Python's cues use (lookbehind, for one), so it
compiles them in *prefilter* mode: a pattern is widened until Hyperscan can
run it, so it may report a cue that does not match, never miss one that
does. The RuleSet then confirms each reported cue with ``re`` at the words
that can start it, so the votes are exactly those of the ``re`` path.

To make the widening safe, what Hyperscan reads is an ASCII *image* of each
sentence and of each pattern (``image``, ``pcre``): every non-ASCII character
becomes one ASCII character of the same kind for ``re`` (a letter that folds
to an ASCII letter becomes that letter, other word characters ``x``, digits
``0``, spaces a space, anything else DEL), so offsets, word boundaries and
``\\w``/``\\d``/``\\s`` keep their meaning; lookarounds are dropped and
negated classes also take every image character. Both only widen.

Compiling the default codebook's 3,000 cues takes Hyperscan 10-20 s, so the
database is built only for a big run (``BUILD_AFTER`` sentences; that first
run is slower for it, every later one faster) and cached on disk beside the
models, with its SHA-256 in a card: a file that does not
match its card is not loaded but rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

from stance.cache import write_whole

try:  # the opcodes of `re`'s parse trees, which `pcre` translates
    from re import _constants as _rc  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a future Python may move it
    _rc = None

try:
    import hyperscan as _hs
except ImportError:  # pragma: no cover - depends on the platform's wheels
    _hs = None

BUILD_AFTER = 20_000  # sentences voted on in one process before the database is compiled
FORMAT = 1  # bump when `pcre` or `image` change: cached databases are then rebuilt

# What a non-ASCII character of the text stands for (see the module doc).
_WORD, _DIGIT, _SPACE, _OTHER = "x", "0", " ", "\x7f"
_PLACEHOLDERS = _WORD + _DIGIT + _SPACE + _OTHER
_ASCII_SPECIAL = {chr(c): _SPACE for c in (0x0B, 0x1C, 0x1D, 0x1E, 0x1F)}  # `\s` for `re`, not for Hyperscan
_IS_WORD, _IS_DIGIT, _IS_SPACE = re.compile(r"\w"), re.compile(r"\d"), re.compile(r"\s")
_LETTERS = [(ch, re.compile(re.escape(ch), re.IGNORECASE)) for ch in "abcdefghijklmnopqrstuvwxyz"]
_NEEDS_IMAGE = re.compile(r"[^\x00-\x0a\x0c-\x1b\x20-\x7f]")


class _Image(dict):
    """str.translate table: the ASCII character each character stands for, worked out on first sight."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in _ASCII_SPECIAL:
            image = _ASCII_SPECIAL[ch]
        elif code < 128:
            image = ch
        else:
            folds = [letter for letter, pattern in _LETTERS if pattern.fullmatch(ch)]  # e.g. "ſ" is "s" to IGNORECASE
            if folds:
                image = folds[0]
            elif _IS_DIGIT.fullmatch(ch):
                image = _DIGIT
            elif _IS_WORD.fullmatch(ch):
                image = _WORD
            elif _IS_SPACE.fullmatch(ch):
                image = _SPACE
            else:
                image = _OTHER
        self[code] = image
        return image


_TABLE = _Image()
_FOLDS = "".join(sorted({_TABLE[c] for c in (0x17F, 0x212A, 0x131, 0x130)} - set(_PLACEHOLDERS)))  # ſ K ı İ
_ALL_IMAGES = _PLACEHOLDERS + _FOLDS


def image(text: str) -> str:
    """The ASCII image of ``text``, one character for each (see the module doc).

    >>> image("China’s “de-risking” – naïve")
    'China\\x7fs \\x7fde-risking\\x7f \\x7f naxve'
    """
    return text.translate(_TABLE) if _NEEDS_IMAGE.search(text) else text


class Unsupported(Exception):
    """A construct the translation does not know: the cue is confirmed on every sentence."""


def pcre(parsed: object) -> str:
    """A pattern for Hyperscan, over images, that matches wherever the ``re`` parse tree does (and maybe more).

    >>> from re import _parser
    >>> pcre(_parser.parse(r"(?<!\\w)naïve[’']s\\b(?!x)", re.IGNORECASE))
    'na\\\\x78ve[\\\\x7f\\\\x27]s\\\\b'
    """
    if _rc is None:
        raise Unsupported("re's parser is not available")
    return _seq(list(parsed))


def _char(ch: str) -> str:
    return ch if ch.isascii() and ch.isalnum() else f"\\x{ord(_TABLE[ord(ch)]):02x}"


def _seq(items: list) -> str:
    return "".join(_node(op, av) for op, av in items)


def _node(op: object, av: object) -> str:
    rc = _rc
    if op is rc.LITERAL:
        return _char(chr(av))
    if op is rc.NOT_LITERAL:
        ch = chr(av)
        return "[\\x00-\\x7f]" if ord(ch) >= 128 else f"(?:[^{_char(ch)}]|[{_class_chars(_ALL_IMAGES)}])"
    if op is rc.ANY:
        return "."
    if op is rc.IN:
        return _in(av)
    if op is rc.BRANCH:
        return "(?:" + "|".join(_seq(list(b)) for b in av[1]) + ")"
    if op is rc.SUBPATTERN:
        _group, add, remove, body = av
        if (add | remove) & ~re.IGNORECASE:
            raise Unsupported("inline flags other than i")
        mode = "(?i:" if add & re.IGNORECASE else "(?-i:" if remove & re.IGNORECASE else "(?:"
        return mode + _seq(list(body)) + ")"
    if op is getattr(rc, "ATOMIC_GROUP", None):
        return "(?:" + _seq(list(av)) + ")"
    if op in (rc.MAX_REPEAT, rc.MIN_REPEAT, getattr(rc, "POSSESSIVE_REPEAT", None)):
        lo, hi, item = av
        upper = "" if hi >= 65535 else str(hi)  # MAXREPEAT: no bound
        return "(?:" + _seq(list(item)) + f"){{{lo},{upper}}}"
    if op is rc.AT:
        return {rc.AT_BOUNDARY: "\\b", rc.AT_NON_BOUNDARY: "\\B"}.get(av, "")  # ^ $ \A \Z dropped: only widens
    if op in (rc.ASSERT, rc.ASSERT_NOT):
        return ""  # lookarounds dropped: only widens
    if op is rc.GROUPREF:
        return "[\\x00-\\x7f]*"
    if op is rc.GROUPREF_EXISTS:
        _group, yes, no = av
        return "(?:" + _seq(list(yes)) + "|" + (_seq(list(no)) if no else "") + ")"
    raise Unsupported(f"{op}")


_CATEGORIES = {
    "CATEGORY_DIGIT": "\\d",
    "CATEGORY_NOT_DIGIT": "\\D",
    "CATEGORY_SPACE": "\\s",
    "CATEGORY_NOT_SPACE": "\\S",
    "CATEGORY_WORD": "\\w",
    "CATEGORY_NOT_WORD": "\\W",
}


def _class_chars(chars: str) -> str:
    return "".join(f"\\x{ord(c):02x}" for c in chars)


def _in(items: list) -> str:
    rc = _rc
    negated = bool(items) and items[0][0] is rc.NEGATE
    parts: list[str] = []
    for op, av in items[1:] if negated else items:
        if op is rc.LITERAL:
            if av < 128 or not negated:
                parts.append(_class_chars(_TABLE[av]))
        elif op is rc.RANGE:
            lo, hi = av
            if lo < 128:
                parts.append(f"{_class_chars(chr(lo))}-{_class_chars(chr(min(hi, 127)))}")
            if hi >= 128 and not negated:
                parts.append(_class_chars(_ALL_IMAGES))
        elif op is rc.CATEGORY:
            name = str(av).rsplit(".", 1)[-1].upper()
            if name not in _CATEGORIES:
                raise Unsupported(f"class category {av}")
            parts.append(_CATEGORIES[name])
        else:
            raise Unsupported(f"class item {op}")
    if not negated:
        return "[" + "".join(parts) + "]" if parts else "[^\\x00-\\x7f]"  # matches nothing in an image
    widen = "[" + _class_chars(_ALL_IMAGES) + "]"  # what a non-ASCII character outside the class looks like
    return f"(?:[^{''.join(parts)}]|{widen})" if parts else "[\\x00-\\x7f]"


def available() -> bool:
    return _hs is not None and _rc is not None


class Prefilter:
    """A compiled Hyperscan database of cue patterns: ``candidates(text)`` says which cues may fire."""

    def __init__(self, database: object, always: Sequence[int]) -> None:
        self._db = database
        self._scratch = _hs.Scratch(database)
        self.always = tuple(always)  # cues Hyperscan could not take: confirmed on every sentence
        self._found: list[int] = []

    def _on_match(self, cue: int, _start: int, _end: int, _flags: int, _context: object) -> None:
        self._found.append(cue)

    def candidates(self, text: str) -> list[int]:
        """Indices of the cues that may match ``text`` (never fewer than do)."""
        self._found = found = list(self.always)
        self._db.scan(image(text).encode("ascii"), match_event_handler=self._on_match, scratch=self._scratch)
        return found


def _flags() -> int:
    return _hs.HS_FLAG_CASELESS | _hs.HS_FLAG_PREFILTER | _hs.HS_FLAG_SINGLEMATCH | _hs.HS_FLAG_ALLOWEMPTY


def patterns(parsed: Sequence[object]) -> tuple[dict[int, str], list[int]]:
    """({cue index: Hyperscan pattern}, cue indices that cannot be translated)."""
    out: dict[int, str] = {}
    always: list[int] = []
    for ci, tree in enumerate(parsed):
        try:
            out[ci] = pcre(tree)
        except Unsupported:
            always.append(ci)
    return out, always


def key(regexes: Sequence[str]) -> str:
    """The cache name of the database for these cue regexes (and this translation and Hyperscan)."""
    version = getattr(_hs, "__version__", "?")
    blob = json.dumps([FORMAT, version, _flags(), list(regexes)])
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def load(folder: Path, regexes: Sequence[str]) -> Prefilter | None:
    """The cached database for these cue regexes, or None (absent, tampered or from another platform)."""
    if not available():
        return None
    name = key(regexes)
    try:
        card = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        data = (folder / f"{name}.hsdb").read_bytes()
        if hashlib.sha256(data).hexdigest() != card["sha256"]:
            return None
        return Prefilter(_hs.loadb(data, _hs.HS_MODE_BLOCK), card["always"])
    except (OSError, ValueError, KeyError, TypeError, _hs.error):
        return None


def build(folder: Path | None, regexes: Sequence[str], parsed: Sequence[object]) -> Prefilter | None:
    """Compile the database for the cue regexes (their ``re`` parse trees beside them) and cache it in
    ``folder``: seconds for thousands of cues. None without Hyperscan."""
    if not available():
        return None
    translated, always = patterns(parsed)
    ids = sorted(translated)
    database = _compile(ids, translated)
    if database is None:  # some pattern Hyperscan refuses: find it, leave it to re
        good = []
        for ci in ids:
            (good if _compile([ci], translated) is not None else always).append(ci)
        database = _compile(good, translated) if good else None
        if database is None:
            return None
    if folder is not None:
        name = key(regexes)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            data = _hs.dumpb(database)
            card = {"sha256": hashlib.sha256(data).hexdigest(), "always": always, "cues": len(regexes)}
            write_whole(folder / f"{name}.hsdb", data)  # two runs may build at once
            write_whole(folder / f"{name}.json", json.dumps(card).encode())
        except OSError:
            pass  # no cache: the next run compiles again
    return Prefilter(database, always)


def _compile(ids: Sequence[int], translated: dict[int, str]) -> object | None:
    database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    try:
        database.compile(
            expressions=[translated[ci].encode("ascii") for ci in ids], ids=list(ids), flags=[_flags()] * len(ids)
        )
    except _hs.error:
        return None
    return database
