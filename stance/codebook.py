"""Load and validate the codebook: the label set, its cues and its axes.

The codebook is data, not code: analysts edit a TOML file, and every id in it
is a contract (exports, the annotation store and the evaluation use the ids
verbatim). ``load_codebook()`` with no argument reads the default codebook
shipped with the package (``stance/default_codebook.toml``).

File format
-----------

.. code-block:: toml

    name = "stance default"          # optional, defaults to the file name
    version = "1"                    # optional, defaults to "1"

    [[topics]]                       # what a sentence is about (zero or more)
    id = "export_controls"           # required: lower case, digits, "_"
    name = "Export controls & tech restrictions"   # optional, defaults to id
    description = "..."              # optional
    cues = ["export control", "entity list", 're:\\bchip (?:ban|curbs?)\\b']
    negative_cues = []               # optional: any hit vetoes the label
    from_context = true              # optional, topics only: may a sentence take this topic
                                     # from its paragraph, heading or previous sentence?

    [[frames]]                       # the lens a sentence uses (zero or more)
    id = "cooperation"
    # ... same keys as a topic

    [[axes]]                         # a stance axis: one frame against another
    id = "cooperation_vs_security"
    name = "Pro-cooperation vs security-risk"
    positive = "cooperation"         # a frame id
    negative = "security_risk"       # a frame id

Ids must be unique across topics and frames together. A codebook may have
no topics or no frames (not neither), no axes and no cues. Unknown keys are errors, so a
typo such as ``cue = [...]`` is never silently ignored.

``from_context = false`` keeps a topic to the sentences whose own words give
it: others are not lent it by their paragraph, heading or previous sentence
(``stance.model.inherit_topics``). It suits a backdrop, such as the default
codebook's ``geopolitics`` and ``economy``, which a paragraph can be set
against without each of its sentences being about it; a subject such as
export controls carries over ("These controls will only bite later").

Cue syntax
----------

A cue is either a plain phrase or a raw regular expression.

Plain phrase, e.g. ``"export control"``:

- matched case-insensitively, as whole words (never inside a longer word);
- a space or hyphen between words matches any run of spaces, or a hyphen or
  dash with optional spaces: ``"win-win"`` matches "win win" and "win-win",
  ``"export control"`` matches "export-control";
- every word written in lower-case letters only and at least 3 letters long
  also matches its simple inflections: ``+s``, ``+ed``, ``+ing``, and
  ``+es`` after s, x, z, ch, sh, o (tax: taxes, taxed, taxing); for a final
  ``e``: ``+s``, ``+d`` and ``e`` -> ``ing`` (use: uses, used, using); for a
  consonant + ``y``: ``ies``, ``ied``, ``+ing`` (subsidy: subsidies); a final
  consonant-vowel-consonant may double (ban: banned, banning; control:
  controlled). Words ending in -ion, -ism, -ity, -ness, -ship, -ment only
  take ``+s``/``+es``. Inflections only add forms: write the base form
  ("chip", not "chips"). Irregular forms (caught, rose, fell) must be
  written out;
- British and American spellings of a word match each other: -ise/-ize
  (with -ised, -ising, -isation...), -yse/-yze, -tre/-ter, -our/-or,
  -ence/-ense, -ogue/-og, -amme/-am;
- a word in capitals (two or more characters, no lower-case letter, such as
  ``US``, ``AI``, ``EUV``, ``U.S.``) matches case-sensitively, plus an
  optional plural ``s`` (``GPU`` matches "GPUs"), so ``US`` never matches
  the pronoun "us";
- any other word (``Nvidia``, ``DeepSeek``, ``5nm``, ``China's``) matches
  exactly, case-insensitively; an apostrophe matches ' and ’;
- a word ending in ``*`` matches any word starting with the letters before
  it (``semiconduct*``: semiconductor, semiconductors); at least 3 letters
  must come before the ``*``.

Raw regular expression: a cue starting with ``re:``, e.g.
``'re:\\bchips? (?:ban|curbs?)\\b'``. The rest is a Python regular expression,
matched case-insensitively (write ``(?-i:...)`` for a case-sensitive part).
It is used as written, so add ``\\b`` for whole words. Starting it with
``\\b`` and a few literal letters also lets the tagger find it fast. In TOML,
write regex cues in single quotes ('...'), where backslashes need no escaping.
A regex that can match the empty string is an error, and so is one that repeats
a group in a way that backtracks for ever on some sentences: ``(a+)+``,
``(\\w+\\s?)+``, alternatives that can match the same characters, ``(.|\\s)*``, and
four or more open repeats in a row that share characters, ``\\w*\\w*\\w*\\w*``.
Reading cannot catch every such shape, so each new regex cue is also tried once,
on runs of 2,000 characters (``aaaa…``, ``word word …``, the letters it names):
one that takes over half a second is refused too (``(a|a)*b``,
``(?:\\w+\\s?){1,3}x``), naming the file and line.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TypeVar

from stance import slowregex as _slowregex
from stance.cache import Memo
from stance.errors import StanceError

try:  # the parser behind `re`: to reject regexes that match nothing (rules.py reads where cues start with it)
    from re import _compiler as _re_compiler  # type: ignore[attr-defined]
    from re import _parser as _re_parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - a future Python may move it
    _re_parser = _re_compiler = None

DEFAULT_CODEBOOK_PATH = Path(__file__).with_name("default_codebook.toml")

_TABLES = {"topics": "topic", "frames": "frame"}
_TOP_KEYS = ("name", "version", "topics", "frames", "axes")
_LABEL_KEYS = ("id", "name", "description", "cues", "negative_cues", "from_context")
_AXIS_KEYS = ("id", "name", "positive", "negative")
_ID_RE = re.compile(r"[a-z][a-z0-9_]*\Z")

RE_PREFIX = "re:"
CUE_FLAGS = re.IGNORECASE


class CodebookError(StanceError):
    """The codebook file cannot be used as it is; the message says where and how to fix it."""


@dataclass(frozen=True, slots=True)
class Label:
    """A topic or a frame, with the cues that vote for it (or veto it)."""

    id: str
    name: str
    description: str
    kind: str  # "topic" | "frame"
    cues: tuple[str, ...] = ()
    negative_cues: tuple[str, ...] = ()
    from_context: bool = True  # topics: a sentence may take it from its neighbours (frames never do)


@dataclass(frozen=True, slots=True)
class Axis:
    """A stance axis: sentences framed ``positive`` against sentences framed ``negative``."""

    id: str
    name: str
    positive: str
    negative: str


@dataclass(frozen=True, slots=True)
class Codebook:
    """A validated codebook. ``==`` compares content, not where it came from."""

    name: str
    version: str
    topics: tuple[Label, ...]
    frames: tuple[Label, ...]
    axes: tuple[Axis, ...]
    path: str = field(default="<string>", compare=False)
    sha256: str = field(default="", repr=False, compare=False)

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.topics)

    @property
    def frame_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.frames)

    @property
    def labels(self) -> tuple[Label, ...]:
        """Topics then frames: the column order of every label matrix."""
        return self.topics + self.frames

    @property
    def label_ids(self) -> tuple[str, ...]:
        return tuple(label.id for label in self.labels)

    def label(self, label_id: str) -> Label:
        """The topic or frame with this id; ``KeyError`` naming the known ids otherwise."""
        for label in self.labels:
            if label.id == label_id:
                return label
        raise KeyError(f"no label {label_id!r} in codebook {self.name!r}; known: {', '.join(self.label_ids)}")

    @property
    def context_topic_columns(self) -> tuple[int, ...]:
        """The columns of the topics a sentence may take from its neighbours (``from_context``)."""
        return tuple(j for j, label in enumerate(self.topics) if label.from_context)

    @property
    def labelling(self) -> tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], bool], ...]:
        """What labelling depends on: each label's id, kind, cues, negative cues and ``from_context``, in order.

        Names, descriptions, the codebook's name and version, and the axes only
        describe labels, so a model trained under one codebook tags under another
        whose ``labelling`` is equal.
        """
        return tuple((label.id, label.kind, label.cues, label.negative_cues, label.from_context) for label in self.labels)

    @property
    def fingerprint(self) -> str:
        """12 hex digits of the file's sha256: stored with models and tag runs."""
        return self.sha256[:12]

    def to_toml(self) -> str:
        """The codebook as TOML text that ``parse_codebook`` reads back to an equal codebook."""
        out = [f"name = {_toml_str(self.name)}", f"version = {_toml_str(self.version)}"]
        for table, labels in (("topics", self.topics), ("frames", self.frames)):
            for label in labels:
                out += ["", f"[[{table}]]", f"id = {_toml_str(label.id)}", f"name = {_toml_str(label.name)}"]
                out.append(f"description = {_toml_str(label.description)}")
                out += _toml_list("cues", label.cues)
                if label.negative_cues:
                    out += _toml_list("negative_cues", label.negative_cues)
                if not label.from_context:
                    out.append("from_context = false")
        for axis in self.axes:
            out += ["", "[[axes]]", f"id = {_toml_str(axis.id)}", f"name = {_toml_str(axis.name)}"]
            out += [f"positive = {_toml_str(axis.positive)}", f"negative = {_toml_str(axis.negative)}"]
        return "\n".join(out) + "\n"


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Read and validate a codebook file; ``None`` reads the default codebook."""
    file = Path(path) if path is not None else DEFAULT_CODEBOOK_PATH
    shown = str(file)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise CodebookError(
            "codebook file not found", path=shown, fix="check the path, or leave it out to use the default codebook"
        ) from None
    except OSError as exc:
        raise CodebookError(
            f"cannot read the codebook: {exc.strerror}", path=shown, fix="give a readable TOML file"
        ) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Windows Notepad's "Unicode": UTF-16 with its BOM
        try:
            return _build(raw.decode("utf-16"), shown, hashlib.sha256(raw).hexdigest())
        except UnicodeDecodeError:
            raise CodebookError("the file starts as UTF-16 but is not", path=shown, fix="save the file as UTF-8") from None
    if b"\0" in raw:  # UTF-16 without a BOM reads as UTF-8 with a NUL after every letter: a baffling TOML error
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise CodebookError("the file holds NUL bytes, as UTF-16 text does", path=shown, line=line, fix="save the file as UTF-8")
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CodebookError(
            f"not UTF-8 text (byte {raw[exc.start]:#04x})", path=shown, line=line, fix="save the file as UTF-8"
        ) from None
    return _build(text, shown, hashlib.sha256(raw).hexdigest())


def parse_codebook(text: str, path: str = "<string>") -> Codebook:
    """Validate codebook TOML given as text; ``path`` only labels error messages.

    >>> parse_codebook('[[frames]]\\nid = "cooperation"\\ncues = ["win-win"]').frame_ids
    ('cooperation',)
    """
    return _build(text, path, hashlib.sha256(text.encode("utf-8")).hexdigest())


def cue_regex(cue: str) -> str:
    """The Python regex (to compile with ``CUE_FLAGS``) for one cue; ``ValueError`` if malformed.

    >>> import re
    >>> bool(re.search(cue_regex("export control"), "new Export-Controls rules", CUE_FLAGS))
    True
    >>> bool(re.search(cue_regex("出口管制"), "美国对中国实施出口管制。", CUE_FLAGS))
    True
    >>> bool(re.search(cue_regex("AI芯片"), "美国限制AI芯片出口。", CUE_FLAGS))
    True
    >>> bool(re.search(cue_regex("수출통제"), "미국은 수출통제를 강화했다.", CUE_FLAGS))
    True
    """
    words = phrase_words(cue)
    if words is None:
        return _scoped_flags(cue.strip()[len(RE_PREFIX) :])
    # A phrase matches whole words. Chinese and Japanese put no space between words, so a phrase
    # written in them may begin or end inside a run of them, and its Latin ends ("AI芯片") may
    # touch such a run: only another letter or digit of a spaced script bounds them.
    text = cue.strip()
    if _HANGUL.match(text[-1]) and not _UNSPACED.search(text):
        # Korean spaces its words but writes particles onto them (수출통제를, 수출통제는): a phrase
        # ending in Hangul may run on into more Hangul, not into a Latin letter or a digit.
        return r"(?<!\w)" + PHRASE_SEP.join(words) + rf"(?![^\W{_HANGUL_CHARS}])"
    if not _UNSPACED.search(text):
        return r"(?<!\w)" + PHRASE_SEP.join(words) + r"(?!\w)"
    before = "" if _UNSPACED.match(text[0]) else rf"(?<![^\W{_UNSPACED_CHARS}])"
    after = "" if _UNSPACED.match(text[-1]) else rf"(?![^\W{_UNSPACED_CHARS}])"
    return before + PHRASE_SEP.join(words) + after


_GLOBAL_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))+")


def _scoped_flags(regex: str) -> str:
    """``(?s)a.b`` as ``(?s:a.b)``: the rules try cues inside bigger patterns, where ``re``
    refuses flags for the whole pattern ("global flags not at the start of the expression")."""
    m = _GLOBAL_FLAGS.match(regex)
    if not m:
        return regex
    flags = "".join(re.findall(r"[aiLmsux]", m.group()))
    end = "\n" if "x" in flags else ""  # a verbose pattern may end in a comment, which would swallow the ")"
    return f"(?{flags}:{regex[m.end():]}{end})"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")  # control characters other than tab and line breaks
_CONTROL_ESCAPES = {"\b": r"\b", "\f": r"\f"}
_UNSPACED_CHARS = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK and kana
_UNSPACED = re.compile(f"[{_UNSPACED_CHARS}]")
_HANGUL_CHARS = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # jamo, compatibility jamo, syllables
_HANGUL = re.compile(f"[{_HANGUL_CHARS}]")


@cache  # a command builds the same cues three times (the codebook file, the model's card, the rules)
def phrase_words(cue: str) -> tuple[str, ...] | None:
    """The regex of each word of a plain phrase, or None for a ``re:`` cue.

    ``cue_regex`` joins them with ``PHRASE_SEP`` between word boundaries.
    """
    cue = cue.strip()
    if not cue:
        raise ValueError("the cue is empty")
    control = _CONTROL.search(cue)
    if control:
        # A TOML basic string ("...") reads \b as a backspace and \f as a form feed: a regex
        # written there would look right and never fire.
        char = control.group()
        if char in _CONTROL_ESCAPES:
            raise ValueError(
                f"in double quotes TOML reads {_CONTROL_ESCAPES[char]} as the control character U+{ord(char):04X}, so the cue "
                f"would never fire; write it in single quotes ('...'), where {_CONTROL_ESCAPES[char]} stays as written"
            )
        raise ValueError(f"it holds the control character U+{ord(char):04X}; remove it")
    if cue.startswith(RE_PREFIX):
        if not cue[len(RE_PREFIX) :].strip():
            raise ValueError("'re:' must be followed by a regular expression")
        return None
    words = [w for w in _PHRASE_SPLIT.split(cue) if w]
    if not words:
        raise ValueError("a cue needs at least one word, not only hyphens")
    return tuple(_word_regex(w) for w in words)


def check_cue(cue: str) -> None:
    """``ValueError`` saying what is wrong with a cue, if anything is.

    A raw regex is compiled and checked (``_regex_problem``) the first time
    this code meets it; that it was fine is then kept on disk (``stance.cache``),
    so a later run reads the codebook without compiling its cues. A plain
    phrase always makes a valid regex.
    """
    regex = cue_regex(cue)
    if not cue.strip().startswith(RE_PREFIX) or _checked_regexes().get(regex):
        return
    problem = _regex_problem(regex)
    if problem:
        raise ValueError(problem)


@cache
def _checked_regexes() -> Memo:
    """The regex cues found fine by this code under this Python, in this run or an earlier one:
    well formed (``_regex_problem``) and quick on long runs of characters (``stance.slowregex``)."""
    return Memo("regex-checks", [Path(__file__), Path(_slowregex.__file__)])


def _try_new_regexes(labels: dict[str, list[Label]], where: TomlLocator, trusted: bool) -> None:
    """Try each regex cue not yet found fine on long runs of characters (``stance.slowregex``): one
    that takes too long is a ``CodebookError``; the rest are remembered as fine. The cues of the
    packaged default codebook are tried by the test suite instead (``trusted``)."""
    memo = _checked_regexes()
    pending: dict[str, tuple[str, str, str, str, int]] = {}  # regex -> (cue, key, label id, table, index)
    for table, entries in labels.items():
        for i, label in enumerate(entries):
            for key, cues in (("cues", label.cues), ("negative_cues", label.negative_cues)):
                for cue in cues:
                    if cue.strip().startswith(RE_PREFIX):
                        regex = cue_regex(cue)
                        if regex not in pending and not memo.get(regex):
                            pending[regex] = (cue, key, label.id, table, i)
    if not pending:
        return
    if not trusted:
        try:
            slow = _slowregex.slow_regexes(list(pending), CUE_FLAGS)
        except OSError:  # no child process here: the cues are used untried, and tried on a later run
            return
        if slow:
            cue, key, label_id, table, i = pending[slow[0]]
            span = where.span(table, i)
            raise CodebookError(
                f"{key} of {label_id!r}: bad cue '{_shown(cue)}': the regular expression took over "
                f"{_slowregex.LIMIT} s on a run of {_slowregex.RUN:,} characters; it backtracks (tries more ways to "
                "match than a computer can on a long sentence)" + (f", and so do {len(slow) - 1} more" if len(slow) > 1 else ""),
                path=where.path,
                line=where.value_line(cue, span) or where.key_line(key, span),
                fix="repeat only parts that must end in a separator, e.g. (?:\\w+\\s){0,3} rather than (\\w+\\s?)+, "
                "avoid .* twice in a row, make alternatives inside a repeat start differently, or remove the cue",
            )
    for regex in pending:
        memo.put(regex, True)


# Compiling is the slow part of reading a codebook: `re` parses patterns in
# Python, and its own cache holds 512 of them while the default codebook has
# over a thousand regex cues. Each is parsed and compiled once per process,
# however often the codebook is read and its rules built.
@cache
def compiled_regex(regex: str) -> re.Pattern[str]:
    """A cue's regex compiled with ``CUE_FLAGS``; ``re.error`` if it is not one."""
    return re.compile(regex, CUE_FLAGS)


@cache
def parsed_regex(regex: str) -> object:
    """A cue's regex as ``re``'s parser reads it (valid regexes only; see ``_regex_problem``)."""
    return _re_parser.parse(regex, CUE_FLAGS)


def regex_items(parsed: object) -> list:
    """The items of a parsed regex, or of a group, branch or repeat inside one, as a list (not copied).

    ``re``'s parse tree has no ``__iter__``: ``list()`` of it calls its Python
    ``__getitem__`` once an item, which was most of reading the cues at start-up.
    """
    data = getattr(parsed, "data", None)
    return data if isinstance(data, list) else list(parsed)


@cache
def _regex_problem(regex: str) -> str | None:
    """What is wrong with a cue's regex, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)  # "Possible nested set": a POSIX class, read as a set of letters
            compiled_regex(regex)
    except re.error as exc:
        return f"invalid regular expression: {exc}"
    except FutureWarning as exc:
        return (
            f"{exc}: Python has no POSIX classes such as [[:alpha:]], and reads one as a set of letters; "
            "write [^\\W\\d_] for a letter, \\d for a digit, \\s for a space, or escape a literal '[' as \\["
        )
    if _re_parser is None:
        return None
    parsed = parsed_regex(regex)
    if parsed.getwidth()[0] == 0:
        return "the regular expression can match the empty string, so it would fire everywhere"
    if _nested_runs(regex_items(parsed)):
        return (
            "the regular expression repeats a group that begins with a run of any length, like (a+)+ or "
            "(\\w+\\s?)+; on some sentences it would try more ways to match than any computer can; "
            "make each pass end in a required separator, e.g. (?:\\w+\\s){0,3}"
        )
    if _alike_alternatives(parsed):
        return (
            "the regular expression repeats a group with alternatives that can start alike, like (.|\\s)* or "
            "(\\w\\w|\\w)+; on some sentences it would try more ways to match than any computer can; make the "
            "alternatives start differently, or write one character class ([\\s\\S]* for (.|\\s)*)"
        )
    if _overlapping_run(regex_items(parsed), parsed.state):
        return (
            f"the regular expression has {_RUN_LIMIT} or more open repeats in a row that can match the same "
            "characters, like \\w*\\w*\\w*\\w*; on a long word it would try more ways to match than any computer "
            "can; write one repeat (\\w*) or put a required separator between them"
        )
    return None


_RUN_LIMIT = 4  # open repeats in a row that can share characters: n**4 ways over an n-character run


def _overlapping_run(items: list, state) -> bool:
    """Whether ``_RUN_LIMIT`` or more unbounded one-character repeats follow each other, each able to
    match a character the one before it can (``\\w*\\w*\\w*\\w*x``): a polynomial blow-up of high degree."""
    from re import _constants as rc  # type: ignore[attr-defined]

    run, before = 0, None
    for op, av in items:
        body = regex_items(av[2]) if op in (rc.MAX_REPEAT, rc.MIN_REPEAT) else None
        if body is not None and av[1] == rc.MAXREPEAT and len(body) == 1 and body[0][0] in (rc.LITERAL, rc.NOT_LITERAL, rc.IN, rc.ANY, rc.CATEGORY):
            run = run + 1 if before is not None and _one_char_overlap(before, body[0], state) else 1
            before = body[0]
            if run >= _RUN_LIMIT:
                return True
            continue
        # a run inside a group, a branch, a repeat or a lookaround counts as well: "(\w*\w*\w*\w*)x"
        inner = [body] if body is not None else (
            [regex_items(av[3])] if op is rc.SUBPATTERN else
            [regex_items(b) for b in av[1]] if op is rc.BRANCH else
            [regex_items(av[1])] if op in (rc.ASSERT, rc.ASSERT_NOT) else [])
        if any(_overlapping_run(part, state) for part in inner):
            return True
        if op is not rc.AT:
            run, before = 0, None
    return False


def _nested_runs(items: list) -> bool:
    """Whether a parsed regex repeats, more than three times, a group whose one pass can be a
    run of varying length and nothing more (``(a+)+``, ``(\\w+\\s?)+``, ``(?:\\w{1,5}\\s?){1,8}``):
    then a long run splits into passes in exponentially many ways, the pattern of catastrophic
    backtracking. ``(?:\\s+\\w+)*`` and ``(?:\\w+\\s){0,3}``, whose passes must each cross a
    space, and ``(?:\\b\\w+\\b\\s*)+``, whose runs end at a word's end, are fine. (None of
    the default codebook's cues is refused.)"""
    from re import _constants as rc  # type: ignore[attr-defined]

    for op, av in items:
        if op in (rc.MAX_REPEAT, rc.MIN_REPEAT):
            _lo, hi, body = av
            if hi > _FEW_PASSES and _run_alone(regex_items(body)):
                return True
            if _nested_runs(regex_items(body)):
                return True
        elif op is rc.SUBPATTERN and _nested_runs(regex_items(av[3])):
            return True
        elif op is rc.BRANCH and any(_nested_runs(regex_items(b)) for b in av[1]):
            return True
        elif op in (rc.ASSERT, rc.ASSERT_NOT) and _nested_runs(regex_items(av[1])):
            return True
    return False


_FEW_PASSES = 3  # a group repeated at most this often splits a run in polynomially many ways: harmless on a sentence


def _run_alone(items: list) -> bool:
    """Whether one pass of these parsed items can be a run of varying length with nothing after it
    (nothing that must match, and no word boundary or lookaround that pins where the run ends)."""
    from re import _constants as rc  # type: ignore[attr-defined]

    for k, (op, av) in enumerate(items):
        rest = items[k + 1 :]
        if op in (rc.MAX_REPEAT, rc.MIN_REPEAT):
            lo, hi, body = av
            pinned = bool(rest) and rest[0][0] in (rc.AT, rc.ASSERT, rc.ASSERT_NOT)
            if hi > lo and hi > 1 and not pinned and _min_width(rest) == 0:
                return True
            if lo > 0 and not (hi > 1 and _run_alone(regex_items(body))):
                return False
        elif op is rc.SUBPATTERN:
            return _run_alone(regex_items(av[3]) + rest)
        elif op is rc.BRANCH:
            return any(_run_alone(regex_items(b) + rest) for b in av[1])
        elif op not in (rc.AT, rc.ASSERT, rc.ASSERT_NOT):  # zero-width items: look at the next one
            return False
    return False


def _min_width(items: list) -> int:
    return _re_parser.SubPattern(_re_parser.State(), items).getwidth()[0] if items else 0


def _alike_alternatives(parsed) -> bool:
    """Whether a parsed regex repeats, more than three times, a group holding alternatives that can
    match the same text, starting with a class of characters (``(.|\\s)*``, ``(\\w\\w|\\w)+``,
    which ``re`` reads as ``\\w(?:\\w|)``: the empty alternative goes on into the next pass). A
    run of n such characters, as every sentence holds, then splits into passes in about 2**n
    ways. Alternatives that part within a few characters are fine: ``(?:ai|chips?)+``,
    ``(?:,? (?:stable|steady|sound))*``; ``re`` already makes ``(?:[a-z]|\\w)`` one class."""
    state = parsed.state
    for _lo, hi, body in _repeats(regex_items(parsed)):
        if hi <= _FEW_PASSES:
            continue
        items = regex_items(body)
        for branch, rest in _branches(items):
            ways = [regex_items(alt) + rest + items for alt in branch]  # each alternative, the pass's rest, the next pass
            if any(_same_text(x, y, state) for i, x in enumerate(ways) for y in ways[i + 1 :]):
                return True
    return False


def _repeats(items: list) -> Iterator[tuple[int, int, object]]:
    """(min, max, body) of every repeat in parsed items, at any depth."""
    from re import _constants as rc  # type: ignore[attr-defined]

    for op, av in items:
        if op in (rc.MAX_REPEAT, rc.MIN_REPEAT, rc.POSSESSIVE_REPEAT):
            yield av
            yield from _repeats(regex_items(av[2]))
        elif op is rc.SUBPATTERN:
            yield from _repeats(regex_items(av[3]))
        elif op is rc.BRANCH:
            for alt in av[1]:
                yield from _repeats(regex_items(alt))
        elif op in (rc.ASSERT, rc.ASSERT_NOT):
            yield from _repeats(regex_items(av[1]))
        elif op is rc.ATOMIC_GROUP:
            yield from _repeats(regex_items(av))


def _branches(items: list) -> Iterator[tuple[list, list]]:
    """(alternatives, what follows them) of each alternation in one pass of a repeat, groups opened."""
    from re import _constants as rc  # type: ignore[attr-defined]

    for k, (op, av) in enumerate(items):
        if op is rc.SUBPATTERN:
            yield from _branches(regex_items(av[3]) + items[k + 1 :])
            return
        if op is rc.BRANCH:
            yield av[1], items[k + 1 :]


_ALIKE_CHARS = 8  # alternatives that match the same text this far are taken to match it all


def _same_text(x: list, y: list, state) -> bool:
    """Whether parsed items ``x`` and ``y`` can match the same text (or the same first few characters)."""
    from re import _constants as rc  # type: ignore[attr-defined]

    pairs = [(x, y)]
    for step in range(_ALIKE_CHARS):
        ahead = []
        for a, b in pairs:
            (steps_a, ends_a), (steps_b, ends_b) = _steps(a), _steps(b)
            if ends_a and ends_b:
                return True
            ahead += [
                (ra, rb) for ca, ra in steps_a for cb, rb in steps_b
                # Where they part, alternatives that meet only on a letter they spell out (an?|a)
                # need that word over and over ("a a a a ..."), which no sentence holds; a class
                # (., \s, \w) meets in every sentence.
                if not (step == 0 and ca is not None and cb is not None and ca[0] is rc.LITERAL and cb[0] is rc.LITERAL)
                and _one_char_overlap(ca, cb, state)
            ]
        if not ahead:
            return False
        pairs = ahead[:64]  # enough to follow the alternatives a cue writes
    return True


def _steps(items: list, depth: int = 0) -> tuple[list[tuple[object, list]], bool]:
    """How a match of parsed ``items`` can begin: (its first one-character item, the items left)
    for each way, and whether it can match nothing. None stands for any character."""
    from re import _constants as rc  # type: ignore[attr-defined]

    if depth > 40:  # a repeat of something that can match nothing: say "any character"
        return [(None, [])], True
    for k, (op, av) in enumerate(items):
        rest = items[k + 1 :]
        if op in (rc.AT, rc.ASSERT, rc.ASSERT_NOT):
            continue
        if op is rc.SUBPATTERN:
            return _steps(regex_items(av[3]) + rest, depth + 1)
        if op is rc.ATOMIC_GROUP:
            return _steps(regex_items(av) + rest, depth + 1)
        if op is rc.BRANCH:
            ways = [_steps(regex_items(alt) + rest, depth + 1) for alt in av[1]]
            return [s for steps, _ in ways for s in steps], any(empty for _, empty in ways)
        if op in (rc.MAX_REPEAT, rc.MIN_REPEAT, rc.POSSESSIVE_REPEAT):
            lo, hi, body = av
            again = [(op, (max(lo - 1, 0), hi if hi == rc.MAXREPEAT else hi - 1, body))] if hi > 1 else []
            steps, empty = _steps(regex_items(body) + again + rest, depth + 1) if hi else ([], False)
            if lo == 0:
                more, empty_too = _steps(rest, depth + 1)
                steps, empty = steps + more, empty or empty_too
            return steps, empty
        if op in (rc.LITERAL, rc.NOT_LITERAL, rc.IN, rc.ANY, rc.CATEGORY):
            return [((op, av), rest)], False
        return [(None, rest)], False  # a back-reference, a conditional: take it as any character
    return [], True


_SAMPLE_CHARS = "".join(map(chr, range(9, 127))) + "\u00a0\u00e9\u00df\u0416\u03a9\u4e2d\u30fc\u2019\u2014\u0663\u0130"


def _one_char_overlap(a: object, b: object, state) -> bool:
    """Whether two one-character items of a parsed regex match a same character (tried on ASCII,
    a few others and their own literals)."""
    if a is None or b is None:
        return True
    chars = set(_SAMPLE_CHARS)
    for _op, av in (a, b):
        if isinstance(av, int):
            chars.add(chr(av))
        elif isinstance(av, list):  # a class: its literals and the ends of its ranges
            chars |= {chr(x) for _, x in av if isinstance(x, int)} | {chr(c) for _, x in av if isinstance(x, tuple) for c in x}
    match_a, match_b = _one_char_matcher(a, state), _one_char_matcher(b, state)
    return any(match_a(c) and match_b(c) for c in chars)


def _one_char_matcher(item: tuple, state):
    key = (repr(item), state.flags)
    if key not in _MATCHERS:
        _MATCHERS[key] = _re_compiler.compile(_re_parser.SubPattern(state, [item]), CUE_FLAGS).fullmatch
    return _MATCHERS[key]


_MATCHERS: dict = {}


# --- plain phrases -----------------------------------------------------------

_DASHES = r"\-" + "\u2010\u2011\u2012\u2013\u2014"  # hyphen and dashes, for a regex class
_PHRASE_SPLIT = re.compile(rf"[\s{_DASHES}]+")
PHRASE_SEP = rf"(?:\s*[{_DASHES}]\s*|\s+)"  # between the words of a plain phrase
_VOWELS = "aeiou"
_NOUN_ENDINGS = ("ion", "ism", "ity", "ness", "ship", "ment")  # no -ed/-ing forms for these
# (suffix pattern, replacement) pairs; each spelling of a word also matches the other.
_SPELLING_SWAPS = (
    (re.compile(r"(?<=.{3}i)s(?=(?:e|ed|es|ing|er|ers|ation|ations)\Z)"), "z"),
    (re.compile(r"(?<=.{3}i)z(?=(?:e|ed|es|ing|er|ers|ation|ations)\Z)"), "s"),
    (re.compile(r"(?<=.y)s(?=(?:e|ed|es|ing)\Z)"), "z"),
    (re.compile(r"(?<=.y)z(?=(?:e|ed|es|ing)\Z)"), "s"),
    (re.compile(r"(?<=..t)re(?=s?\Z)"), "er"),
    (re.compile(r"(?<=...t)er(?=s?\Z)"), "re"),
    (re.compile(r"(?<=...[^o])our(?=s?\Z)"), "or"),
    (re.compile(r"(?<=..[^o])or(?=s?\Z)"), "our"),
    (re.compile(r"(?<=...)ence(?=s?\Z)"), "ense"),
    (re.compile(r"(?<=...)ense(?=s?\Z)"), "ence"),
    (re.compile(r"(?<=...)ogue(?=s?\Z)"), "og"),
    (re.compile(r"(?<=...)og(?=s?\Z)"), "ogue"),
    (re.compile(r"(?<=...)amme(?=s?\Z)"), "am"),
    (re.compile(r"(?<=....)am(?=s?\Z)"), "amme"),
)


def _word_regex(word: str) -> str:
    if "*" in word:
        stem = word[:-1]
        if not word.endswith("*") or "*" in stem:
            raise ValueError(f"'*' may only end a word, as in 'semiconduct*' (got {word!r})")
        if len(stem) < 3:
            raise ValueError(f"'{word}': put at least 3 letters before '*' so it cannot match half the text")
        return _literal(stem) + r"\w*"
    if len(word) >= 2 and word == word.upper() and any(c.isupper() for c in word):
        plural = "s?" if word[-1].isalnum() else ""
        return f"(?-i:{_literal(word)}{plural})"
    if len(word) >= 3 and word.isascii() and word.isalpha() and word.islower():
        return alternation(_inflections(word))
    return _literal(word)


def alternation(strings: Iterable[str]) -> str:
    """A regex matching exactly one of ``strings``, shared prefixes factored out.

    ``re`` tries the branches of an alternation one by one, so
    ``con(?:trol(?:s|led)?)`` is tried faster than ``control|controls|controlled``.

    >>> alternation(["control", "controls", "controlled"])
    '(?:control(?:led|s)?)'
    """
    trie: dict = {}
    for text in strings:
        node = trie
        for ch in text:
            node = node.setdefault(ch, {})
        node[""] = {}  # end of a string
    return "(?:" + _trie_regex(trie) + ")" if trie else "(?!)"


def _trie_regex(node: dict) -> str:
    branches = []
    for ch in sorted(k for k in node if k):
        child, tail = node[ch], re.escape(ch)
        while len(child) == 1 and "" not in child:  # a chain without choices: one literal
            (ch2, child), = child.items()
            tail += re.escape(ch2)
        rest = _trie_regex(child)
        branches.append(tail + rest)
    ends_here = "" in node
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 and not ends_here else "(?:" + "|".join(branches) + ")"
    return body + "?" if ends_here else body


def _literal(text: str) -> str:
    return "".join("['\u2019]" if ch in "'\u2019" else re.escape(ch) for ch in text)


def _inflections(word: str) -> set[str]:
    """The word, its other spellings, and the simple inflections of each."""
    spellings = {word}
    for pattern, replacement in _SPELLING_SWAPS:
        if pattern.search(word):
            spellings.add(pattern.sub(replacement, word, count=1))
    forms: set[str] = set()
    for w in spellings:
        forms |= {w, w + "s"}
        verb = not w.endswith(_NOUN_ENDINGS)
        if w.endswith("e"):
            forms |= {w + "d", w[:-1] + "ing", w + "ing" if w.endswith("ee") else w} if verb else set()
        elif w.endswith("y") and w[-2] not in _VOWELS:
            forms |= {w[:-1] + "ies", w[:-1] + "ied", w + "ing"}
        else:
            forms |= {w + "es"} if w.endswith(("s", "x", "z", "ch", "sh", "o")) else set()
            forms |= {w + "ed", w + "ing"} if verb else set()
            if verb and w[-1] not in _VOWELS + "wxy" and w[-2] in _VOWELS and w[-3] not in _VOWELS:
                forms |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return forms


# --- building and validating -------------------------------------------------


@lru_cache(maxsize=32)  # a command reads one codebook several times (its file, the model's card, the rules)
def _build(text: str, path: str, sha256: str) -> Codebook:
    try:
        return _read(text, path, sha256)
    finally:
        _checked_regexes().save()  # the cues found fine stay fine, whatever else is wrong with the file


_T = TypeVar("_T")


def _read(text: str, path: str, sha256: str) -> Codebook:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(exc, text, path) from None
    where = TomlLocator(text, path)
    mistakes: list[CodebookError] = []  # each label's, each axis's: all said at once, not one per run

    def said(check: Callable[..., _T], *args) -> _T | None:
        try:
            return check(*args)
        except CodebookError as exc:
            mistakes.append(exc)
            return None

    for key in data:
        if key not in _TOP_KEYS:
            mistakes.append(where.unknown_key(key, _TOP_KEYS, where.key_line(key), "the top level"))
    name = said(_scalar, data, "name", Path(path).stem if path != "<string>" else "codebook", where)
    version = said(_scalar, data, "version", "1", where)

    labels: dict[str, list[Label]] = {"topics": [], "frames": []}
    seen: dict[str, str] = {}  # id -> "topic"/"frame", to report duplicates across tables
    unsound_frames: list[str] = []
    for table, kind in _TABLES.items():
        for i, entry in enumerate(said(_entries, data, table, where) or []):
            label = said(_label, entry, kind, table, i, where)
            if label is None:
                if table == "frames" and isinstance(entry, dict) and isinstance(entry.get("id"), str):
                    unsound_frames.append(entry["id"])  # said already: an axis naming it is not a mistake of its own
                continue
            if label.id in seen:
                mistakes.append(CodebookError(
                    f"duplicate id {label.id!r}: already used by a {seen[label.id]}",
                    path=path,
                    line=where.id_line(table, i, label.id),
                    fix="ids must be unique across topics and frames; rename or remove one of them",
                ))
                if table == "frames":
                    unsound_frames.append(label.id)
                continue
            seen[label.id] = kind
            labels[table].append(label)

    frame_ids = [label.id for label in labels["frames"]] + unsound_frames
    axes: list[Axis] = []
    for i, entry in enumerate(said(_entries, data, "axes", where) or []):
        axis = said(_axis, entry, i, frame_ids, seen, where)
        if axis is None:
            continue
        if any(a.id == axis.id for a in axes):
            mistakes.append(CodebookError(
                f"duplicate axis id {axis.id!r}",
                path=path,
                line=where.id_line("axes", i, axis.id),
                fix="give each axis its own id",
            ))
            continue
        axes.append(axis)
    said(_try_new_regexes, labels, where, sha256 == _default_sha256())
    if mistakes:
        mistakes.sort(key=lambda m: m.line or 0)
        first = mistakes[0]
        first.others = tuple(mistakes[1:])
        raise first
    if not labels["topics"] and not labels["frames"]:
        raise CodebookError(
            "the codebook has no topics and no frames, so there is nothing to label",
            path=path,
            fix='add [[topics]] or [[frames]] tables, each with an id, e.g. [[topics]] then id = "tariffs"',
        )
    return Codebook(name, version, tuple(labels["topics"]), tuple(labels["frames"]), tuple(axes), path, sha256)


@cache
def _default_sha256() -> str:
    """The packaged default codebook's SHA-256 (its cues are tried by the test suite)."""
    return hashlib.sha256(DEFAULT_CODEBOOK_PATH.read_bytes()).hexdigest()


def _toml_error(exc: tomllib.TOMLDecodeError, text: str, path: str) -> CodebookError:
    message = str(exc)
    # tomllib (3.11) puts the position only in the message: "... (at line 3, column 7)".
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*\Z", message)
    if m:
        line, what = int(m.group(1)), f"{message[: m.start()]} at column {m.group(2)}"
    elif message.endswith("(at end of document)"):
        line, what = text.count("\n") + 1, message.replace(" (at end of document)", " at the end of the file")
    else:
        line, what = None, message
    other = {".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".md": "Markdown"}.get(Path(path).suffix.lower())
    if other:
        fix = (f'a codebook is TOML, not {other}: write each label as a [[topics]] or [[frames]] table, id = "..." '
               "and cues = [...] below it, as in stance/default_codebook.toml, and save it as .toml")
    elif message.startswith(("Cannot overwrite a value", "Cannot declare")):
        fix = "this key is already set in the same table: keep one (a key written below a [[table]] header belongs to that table)"
    else:
        fix = "check quotes, commas and brackets on this line or just above; write regex cues in single quotes"
    return CodebookError(f"not valid TOML: {what}", path=path, line=line, fix=fix)


def _scalar(data: dict, key: str, default: str, where: TomlLocator) -> str:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise CodebookError(
            f"'{key}' must be a string, not {_type_name(value)}",
            path=where.path,
            line=where.key_line(key),
            fix=f'write it in quotes, e.g. {key} = "{default}"',
        )
    return str(value)


def _entries(data: dict, table: str, where: TomlLocator) -> list[dict]:
    value = data.get(table, [])
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise CodebookError(
            f"'{table}' must be a list of tables, not {_type_name(value)}",
            path=where.path,
            line=where.key_line(table),
            fix=f"write each entry under its own [[{table}]] header",
        )
    return value


def _label(entry: dict, kind: str, table: str, index: int, where: TomlLocator) -> Label:
    span = where.span(table, index)
    for key in entry:
        if key not in _LABEL_KEYS:
            raise where.unknown_key(key, _LABEL_KEYS, where.key_line(key, span), f"[[{table}]] entries")
    label_id = _id(entry, table, index, where)
    name = _text(entry, "name", label_id, where, span)
    description = _text(entry, "description", "", where, span)
    cues = _cues(entry, "cues", label_id, where, span)
    negative = _cues(entry, "negative_cues", label_id, where, span)
    both = sorted(set(cues) & set(negative))
    if both:
        raise CodebookError(
            f"{kind} {label_id!r}: cue {both[0]!r} is both a cue and a negative cue",
            path=where.path,
            line=where.value_line(both[0], span),
            fix="keep it in one of the two lists",
        )
    return Label(label_id, name, description, kind, cues, negative, _from_context(entry, kind, label_id, where, span))


def _from_context(entry: dict, kind: str, label_id: str, where: TomlLocator, span: tuple[int, int]) -> bool:
    if "from_context" not in entry:
        return True
    value = entry["from_context"]
    if kind != "topic":
        raise CodebookError(
            f"frame {label_id!r}: 'from_context' is for topics only; a frame is never taken from a sentence's neighbours",
            path=where.path,
            line=where.key_line("from_context", span),
            fix="remove the line",
        )
    if not isinstance(value, bool):
        raise CodebookError(
            f"'from_context' of {label_id!r} must be true or false, not {_type_name(value)} {value!r}",
            path=where.path,
            line=where.key_line("from_context", span),
            fix="write from_context = false (or leave the line out: true)",
        )
    return value


def _axis(entry: dict, index: int, frame_ids: list[str], seen: dict[str, str], where: TomlLocator) -> Axis:
    span = where.span("axes", index)
    for key in entry:
        if key not in _AXIS_KEYS:
            raise where.unknown_key(key, _AXIS_KEYS, where.key_line(key, span), "[[axes]] entries")
    axis_id = _id(entry, "axes", index, where)
    name = _text(entry, "name", axis_id, where, span)
    ends = []
    for side in ("positive", "negative"):
        value = entry.get(side)
        line = where.key_line(side, span) or where.header_line("axes", index)
        if not isinstance(value, str):
            raise CodebookError(
                f"axis {axis_id!r} needs '{side}' = a frame id",
                path=where.path,
                line=line,
                fix=f'add e.g. {side} = "{frame_ids[0] if frame_ids else "cooperation"}"',
            )
        if value not in frame_ids:
            if seen.get(value) == "topic":
                problem, fix = f"{value!r} is a topic", "axes compare two frames; name a frame id"
            else:
                problem = f"unknown frame {value!r}"
                close = difflib.get_close_matches(value, frame_ids, n=1)
                known = ", ".join(frame_ids) or "(no frames defined)"
                fix = f"did you mean {close[0]!r}?" if close else f"use one of: {known}"
            raise CodebookError(f"axis {axis_id!r}: '{side}' names {problem}", path=where.path, line=line, fix=fix)
        ends.append(value)
    if ends[0] == ends[1]:
        raise CodebookError(
            f"axis {axis_id!r} compares frame {ends[0]!r} with itself",
            path=where.path,
            line=where.key_line("negative", span),
            fix="name two different frames",
        )
    return Axis(axis_id, name, ends[0], ends[1])


def _id(entry: dict, table: str, index: int, where: TomlLocator) -> str:
    value = entry.get("id")
    header = where.header_line(table, index)
    ordinal = f"{table} entry {index + 1}"
    if value is None:
        raise CodebookError(
            f"{ordinal} has no 'id'", path=where.path, line=header, fix='add a line such as id = "my_label"'
        )
    if not isinstance(value, str) or not _ID_RE.match(value):
        plain = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()  # "überwachung": "uberwachung"
        slug = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_") or "my_label"
        if not slug[0].isalpha():
            slug = "x_" + slug
        raise CodebookError(
            f"{ordinal}: id {value!r} is not a plain identifier",
            path=where.path,
            line=where.key_line("id", where.span(table, index)) or header,
            fix=f'ids are lower-case letters, digits and "_", starting with a letter, e.g. id = "{slug}"',
        )
    return value


def _text(entry: dict, key: str, default: str, where: TomlLocator, span: tuple[int, int]) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise CodebookError(
            f"'{key}' of {entry.get('id')!r} must be a string, not {_type_name(value)}",
            path=where.path,
            line=where.key_line(key, span),
            fix=f'write it in quotes: {key} = "..."',
        )
    if key == "name" and not value.strip():  # shown wherever the label is: in tables, charts and reports
        raise CodebookError(
            f"the name of {entry.get('id')!r} is empty",
            path=where.path,
            line=where.key_line(key, span),
            fix=f"write a name, or leave the line out to show the id ({default})",
        )
    return value


def _cues(entry: dict, key: str, label_id: str, where: TomlLocator, span: tuple[int, int]) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        bad = value if not isinstance(value, list) else next(c for c in value if not isinstance(c, str))
        raise CodebookError(
            f"'{key}' of {label_id!r} must be a list of strings; found {_type_name(bad)} {bad!r}",
            path=where.path,
            line=where.key_line(key, span),
            fix=f'write {key} = ["phrase one", "phrase two", \'re:\\bregex\\b\']',
        )
    seen: set[str] = set()  # cues as matched: spaces around a cue are not part of it
    written: set[str] = set()
    for cue in value:
        try:
            check_cue(cue)
        except ValueError as exc:
            raise CodebookError(
                f"{key} of {label_id!r}: bad cue '{_shown(cue)}': {exc}",
                path=where.path,
                line=where.value_line(cue, span) or where.key_line(key, span),
                fix="fix or remove the cue; the cue syntax is described in stance/codebook.py",
            ) from None
        if cue.strip() in seen:
            nth = 2 if cue in written else 1  # the same text twice, else a copy with spaces around it
            raise CodebookError(
                f"{key} of {label_id!r}: cue '{cue.strip()}' is listed twice",
                path=where.path,
                line=where.value_line(cue, span, nth=nth) or where.key_line(key, span),
                fix="remove one copy",
            )
        seen.add(cue.strip())
        written.add(cue)
    return tuple(value)


def _shown(value: str) -> str:
    """A string with its control characters as TOML escapes (``\\b``, ``\\u0001``): as written in double quotes."""
    return _CONTROL.sub(lambda m: _CONTROL_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04X}"), value)


def _type_name(value: object) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


class TomlLocator:
    """Finds the line of a key or value in the TOML text: tomllib gives no positions."""

    _HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {}  # table -> 1-based line of each [[table]] header
        self.starts: list[int] = []  # lines of every table header, to end a span
        for no, line in enumerate(self.lines, 1):
            if self._TABLE.match(line):
                self.starts.append(no)
                m = self._HEADER.match(line)
                if m:
                    self.headers.setdefault(m.group(1), []).append(no)

    def header_line(self, table: str, index: int) -> int | None:
        lines = self.headers.get(table, [])
        return lines[index] if index < len(lines) else None

    def span(self, table: str, index: int) -> tuple[int, int]:
        """First and last line of the ``index``-th [[table]] entry (the whole file if unknown)."""
        start = self.header_line(table, index)
        if start is None:
            return 1, len(self.lines)
        end = next((s - 1 for s in self.starts if s > start), len(self.lines))
        return start, end

    def _find(self, pattern: re.Pattern[str], span: tuple[int, int] | None) -> Iterator[int]:
        lo, hi = span or (1, len(self.lines))
        for no in range(lo, hi + 1):
            if pattern.search(self.lines[no - 1]):
                yield no

    def key_line(self, key: str, span: tuple[int, int] | None = None) -> int | None:
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=|^\s*\[+\s*{re.escape(key)}\s*\]")
        if span is None:  # a top-level key sits before the first table header
            span = (1, self.starts[0] - 1 if self.starts else len(self.lines))
            found = next(self._find(pattern, span), None)
            return found if found is not None else next(self._find(pattern, None), None)
        return next(self._find(pattern, span), None)

    def value_line(self, value: str, span: tuple[int, int], nth: int = 1) -> int | None:
        """Line of the ``nth`` occurrence of a string value, in single or (escaped) double quotes."""
        escaped = _shown(value.replace("\\", "\\\\").replace('"', '\\"'))
        pattern = re.compile(f"'{re.escape(value)}'|\"{re.escape(escaped)}\"")
        found = list(self._find(pattern, span))
        return found[nth - 1] if len(found) >= nth else None

    def id_line(self, table: str, index: int, label_id: str) -> int | None:
        pattern = re.compile(rf"^\s*id\s*=\s*[\"']{re.escape(label_id)}[\"']")
        span = self.span(table, index)
        found = next(self._find(pattern, span), None)
        if found is None:  # inline tables or odd layout: fall back to the entry's header
            found = self.header_line(table, index)
        return found

    def unknown_key(self, key: str, allowed: tuple[str, ...], line: int | None, where: str) -> CodebookError:
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return CodebookError(
            f"unknown key {key!r} in {where}",
            path=self.path,
            line=line,
            fix=f"{hint}allowed keys: {', '.join(allowed)}",
        )


# --- writing TOML --------------------------------------------------------------


def _toml_str(value: str) -> str:
    # Literal strings keep regex cues readable ('re:\bchips?\b'); fall back to
    # an escaped basic string when the text holds a quote or a control char.
    if "'" not in value and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return f"'{value}'"
    out = []
    for ch in value:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_list(key: str, values: tuple[str, ...]) -> list[str]:
    if not values:
        return [f"{key} = []"]
    return [f"{key} = ["] + [f"  {_toml_str(v)}," for v in values] + ["]"]
