"""Heading and boilerplate detection: flag, never delete.

Cleaning looks at a document line by line (and, for a few promos, sentence by
sentence) and marks what is not the author's content, with a reason code:

==================== =========================================================
reason               what it catches
==================== =========================================================
``subscribe``        subscription prompts ("Subscribe to ... newsletter")
``platform``         platform furniture ("Recommended by LinkedIn",
                     "Share This Post", "Follow us on ...")
``navigation``       reading instructions ("Click the links in titles below")
``social_comment``   reader comments with their "6mo" / "2w" timestamps
``commenter_title``  the commenter's job title shown above each comment
``table_of_contents`` contents lines ending in page numbers
``link_list``        "Media coverage and sources" lists of links
``editorial``        editorial-team credits (names and roles)
``contact``          postal addresses, phone numbers, e-mail and web addresses
``podcast_promo``    podcast promotions ("shares his takes", "On the ... Podcast")
``dateline``         a line holding only a date
``rule``             a line that only divides: ``---``, ``* * *``, ``=====``
``front_matter``     a Markdown file's YAML or TOML header (``---`` ... ``---``:
                     title, date, tags), the metadata a site generator reads
==================== =========================================================

Headings (markdown ``#``, short title-case or upper-case lines, numbered
section markers like ``01``, numbered item titles) are their own units and are
never glued to the next sentence. A heading may also be boilerplate (the
"Media coverage and sources:" heading of a link list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 200


@dataclass(frozen=True, slots=True)
class LineFlag:
    """What cleaning found on one line."""

    heading: bool = False
    boilerplate: str | None = None  # the reason code, None for content


CONTENT = LineFlag()
HEADING = LineFlag(heading=True)  # shared, like CONTENT: a frozen dataclass costs a microsecond to build

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_RULE = re.compile(r"([-*_=~])(?:\s*\1){2,}")  # "---", "* * *", "=====": a line that only divides
RULE = LineFlag(boilerplate="rule")
_SECTION_MARKER = re.compile(r"^\s*(?:\d{1,2}|[IVX]{1,5})\.?\s*$")
_NUMBERED_TITLE = re.compile(r"^\s*\d{1,2}[.)]\s+\S")
_BULLET = re.compile(r"^\s*(?:[-*•▪◦–]|\d{1,2}[.)])\s+")
# Where a line may end a sentence (the full-width full stop "．" is used like "。").
TERMINAL_CHARS = frozenset(".!?。！？．।॥؟۔:;…\"”’)")
_MONTHS = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATELINE = re.compile(
    rf"^\s*(?:{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{4}}|{_MONTHS}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\s*$",
    re.I,
)
# A contents line: a title, then a tab, dot leaders or a wide gap, then a page number.
_DATESTAMP = re.compile(r"^\(?\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\)?$")
_SOURCE_CREDIT = re.compile(r"^\(?\s*(?:source|sources|photo|image|credit)s?\s*:.{0,120}\)?$", re.I)
_TOC_LINE = re.compile(r"^(?!\s*[-*•]\s).{2,120}?(?:\t+|\.{3,}\s*|\s{3,})\d{1,3}\s*$")
# LinkedIn-style "6moGreat article!": a relative timestamp glued to the comment.
_COMMENT_STAMP = re.compile(r"^\s*\d{1,2}(?:mo|yr|y|w|d|h)(?=[A-Z\"“'‘]|\s*$)")
_LINK_LIST_HEADING = re.compile(
    r"^\W*(?:media coverage|further reading|read more|related (?:links|articles)|sources?\W*$|links?\W*$|references\W*$)", re.I
)
_EDITORIAL_HEADING = re.compile(r"^\W*(?:editorial team|editorial board|imprint|impressum|credits|about the authors?|contributors)\W*$", re.I)
_PROMO_HEADING = re.compile(r"^\W*(?:our )?(?:latest )?podcasts?\W*$", re.I)

_CONTACT_LABEL = r"\b(?:tel|phone|fax|mail|e-mail)\.?\s*:"
_CONTACT_POSTAL = r"\b\d{4,5}\s+[A-Z][a-zäöüß]+\b.*\b(?:tel|phone)\b"
_LINE_BOILERPLATE: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "subscribe",
        re.compile(
            r"\b(?:subscribe|sign[ -]up|unsubscribe)\b.{0,80}\b(?:newsletter|inbox|updates|mailing list|e-?mail)"
            r"|\bget (?:it )?(?:mailed|delivered) to your inbox\b|\bjoin (?:our|the) mailing list\b",
            re.I,
        ),
    ),
    (
        "platform",
        re.compile(
            r"^\W*(?:recommended by (?:linkedin|\w+)|stay tuned|share this (?:post|article|story|page)|follow us(?: on \w+)?|"
            r"like and share|print this (?:page|article)|back to top|related posts?|tags?:.*|read more|see more|"
            r"(?:\d+\s+)?(?:likes?|comments?|reposts?|shares?)(?:\s*[·|]\s*\d+\s+\w+)*)\W*$",
            re.I,
        ),
    ),
    ("navigation", re.compile(r"^\W*\(?\s*click (?:on )?(?:the )?(?:links?|here|titles?)\b.{0,80}$", re.I)),
    (
        "contact",
        re.compile(
            r"(?:" + _CONTACT_LABEL + r"|\+\d{1,3}[\s\d()-]{7,}\d|[\w.+-]+@[\w-]+\.[\w.]+|\bwww\.[\w-]+\.\w+|" + _CONTACT_POSTAL + ")",
            re.I,
        ),
    ),
)
# The branches of the contact pattern that need no "@", "+" or "www.", on their
# own: without those signs they are all that can match, and they run fast where
# the e-mail branch does not.
_CONTACT_WITHOUT_SIGNS = re.compile(_CONTACT_LABEL + "|" + _CONTACT_POSTAL, re.I)

_SENTENCE_BOILERPLATE: tuple[tuple[str, re.Pattern[str]], ...] = (
    _LINE_BOILERPLATE[0],
    (
        "podcast_promo",
        re.compile(
            r"\b(?:on (?:the|our) [\w ]{0,30}podcast|listen (?:now|here)\b|listen to [\w ]{0,30}(?:podcast|episode)|new episode|latest episode|"
            r"available on (?:spotify|apple|google)|shares? (?:his|her|their) takes?)\b",
            re.I,
        ),
    ),
)


def _all_caps(line: str) -> bool:
    """Written in capitals: no lower-case letter, and most of its letters capitals. A line of
    Chinese, Korean or Arabic has no lower-case letter either, and an acronym in it ("AI",
    "US") would make ``str.isupper`` true of the whole line."""
    if not line.isupper():
        return False
    letters = sum(c.isalpha() for c in line)
    return 2 * sum(c.isupper() for c in line) > letters


def _is_titlecase_heading(line: str) -> bool:
    """A short line without final punctuation whose words are mostly capitalised."""
    tail = line.rstrip()
    if tail and tail[-1] in TERMINAL_CHARS and not _all_caps(line):
        return False  # the answer below, without splitting a sentence into words
    words = line.split()
    if not words or len(words) > MAX_HEADING_WORDS:
        return False
    if _all_caps(line):
        return True
    if _ends_terminal(line):
        return False
    alpha = [w for w in words if w[0].isalpha()]
    if not alpha:
        return False
    capitalised = sum(1 for w in alpha if w[0].isupper() or len(w) <= 3)
    return capitalised / len(alpha) >= 0.75 and alpha[0][0].isupper()


# Boilerplate lines are short; a long paragraph is content whatever it mentions,
# and skipping the patterns on it keeps cleaning fast.
MAX_BOILERPLATE_LINE = 250
# Cheap triggers: the costly patterns only run on a line holding one of these
# (plain substring tests are far faster than an alternation regex).
_LINE_TRIGGERS = (
    "subscri", "sign up", "sign-up", "inbox", "mailing", "recommended", "stay tuned", "share", "follow",
    "like", "print", "back to", "related", "tag", "read more", "see more", "comment", "repost", "click",
    "tel", "phone", "fax", "mail", "@", "www.", "+",
)
_SENTENCE_TRIGGERS = ("subscri", "sign up", "sign-up", "inbox", "mailing", "podcast", "listen", "episode", "spotify", "takes")
# A sentence shorter than this is a short one: these triggers count for it too.
SHORT_SENTENCE_CHARS = 130
_SHORT_SENTENCE_TRIGGERS = ("source", "photo", "image", "credit", "/")


# Case-insensitive patterns also match these for "i", "k" and "s" (the Kelvin sign
# is a "k"), and they are the only letters whose lower case holds an ASCII letter
# other than their own: on text without them, a pattern's ASCII literals can match
# only where the lower-cased text holds them.
_FOLDED_LETTERS = ("İ", "ı", "K", "ſ")


def _first_match(patterns: tuple[tuple[str, re.Pattern[str]], ...], text: str, low: str) -> str | None:
    """The reason of the first of ``patterns`` that finds ``text``, lower-cased as ``low``."""
    exact = text.isascii() or not any(letter in text for letter in _FOLDED_LETTERS)
    for reason, pattern in patterns:
        if (not exact or _may_match(reason, text, low)) and pattern.search(text):
            return reason
    return None


def _may_match(reason: str, text: str, low: str) -> bool:
    """False where the ``reason`` pattern cannot match ``text``, lower-cased as ``low``
    and without ``_FOLDED_LETTERS``: the literals every branch of it needs are missing.
    Only the slow patterns (unanchored, the contact one by far) have a test."""
    if reason == "contact":
        if "@" in text or "+" in text or "www." in low:
            return True
        return ("tel" in low or "phone" in low or "fax" in low or "mail" in low) and _CONTACT_WITHOUT_SIGNS.search(text) is not None
    if reason == "subscribe":
        return "subscribe" in low or "sign up" in low or "sign-up" in low or "inbox" in low or "mailing list" in low
    if reason == "podcast_promo":
        return (
            "podcast" in low or "listen " in low or "episode" in low or "available on " in low
            or ("take" in low and "share" in low)
        )
    return True


def _triggered(low: str, triggers: tuple[str, ...]) -> bool:
    """Whether ``low``, a lower-cased text, holds one of ``triggers``."""
    for trigger in triggers:
        if trigger in low:
            return True
    return False


def _ends_terminal(text: str) -> bool:
    tail = text.rstrip()
    return bool(tail) and tail[-1] in TERMINAL_CHARS


def classify_line(line: str, triggers: tuple[str, ...] = _LINE_TRIGGERS) -> LineFlag:
    """Flags that a line earns on its own, without looking at its neighbours.

    ``triggers``: the boilerplate triggers that the line may hold, where fewer
    than all of them can be there (``flag_lines`` looks for them in all its lines
    at once).
    """
    stripped = line.strip()
    if not stripped:
        return CONTENT
    if stripped[0] in "-*_=~" and _RULE.fullmatch(stripped):
        return RULE
    if triggers and len(stripped) <= MAX_BOILERPLATE_LINE:
        low = stripped.lower()
        if _triggered(low, triggers):
            reason = _first_match(_LINE_BOILERPLATE, stripped, low)
            if reason is not None:
                return LineFlag(heading=False, boilerplate=reason)
    if len(stripped) > MAX_HEADING_CHARS:
        # Too long for a heading, dateline or credit: only a markdown heading can be one.
        return HEADING if stripped[0] == "#" and _MD_HEADING.match(stripped) else CONTENT
    # Each pattern only runs where it could match: a dateline ends in a digit, a
    # date stamp or section marker is short, a credit has a colon, a markdown
    # heading starts with "#" and a numbered title with a digit.
    size = len(stripped)
    if (stripped[-1].isdigit() and _DATELINE.match(stripped)) or (size <= 14 and _DATESTAMP.match(stripped)):
        return LineFlag(heading=False, boilerplate="dateline")
    if ":" in stripped and _SOURCE_CREDIT.match(stripped):
        return LineFlag(heading=False, boilerplate="link_list")
    if (stripped[0] == "#" and _MD_HEADING.match(stripped)) or (size <= 6 and _SECTION_MARKER.match(stripped)):
        return HEADING
    if stripped[0].isdigit() and _NUMBERED_TITLE.match(stripped) and stripped[-1] not in ".:;" and len(stripped.split()) <= 25:
        return HEADING
    if stripped[-1] in TERMINAL_CHARS and not _all_caps(stripped):
        return CONTENT  # a sentence: ``_is_titlecase_heading``'s first test, without the call
    if not _BULLET.match(stripped) and _is_titlecase_heading(stripped.strip("*_ ")):
        return HEADING
    return CONTENT


def flag_lines(lines: list[str]) -> list[LineFlag]:
    """Flag every line of a document, using its neighbours for sections.

    Sections opened by a heading (table of contents, link lists, editorial
    credits) run until the next heading that does not belong to them; reader
    comments run from their first timestamp to the end of the comment block.
    """
    triggers = _line_triggers(lines)
    flags = [classify_line(line, triggers) if line else CONTENT for line in lines]
    for i in range(_front_matter_end(lines)):
        flags[i] = FRONT_MATTER
    section: str | None = None
    for i, line in enumerate(lines):
        flag = flags[i]
        if section is None and not flag.heading:
            # Most lines: no section to open, end or extend, only a contents line to
            # find. (A line that the test below would skip ends in no digit.) It ends
            # in a page number, maybe followed by white space: test that first.
            if line and (line[-1].isdigit() or line[-1].isspace()) and _is_toc_line(lines, i):
                flags[i] = LineFlag(boilerplate="table_of_contents")
            continue
        stripped = line.strip().strip("#*_ ").strip()
        if not stripped:
            continue
        if section == "link_list" and (_BULLET.match(line) or "<u>" in line):
            flags[i] = LineFlag(boilerplate="link_list")
            continue
        if flag.heading:
            if _LINK_LIST_HEADING.match(stripped):
                section = "link_list"
                flags[i] = LineFlag(heading=True, boilerplate="link_list")
                continue
            if _EDITORIAL_HEADING.match(stripped):
                section = "editorial"
                flags[i] = LineFlag(heading=True, boilerplate="editorial")
                continue
            if stripped.lower() in {"contents", "table of contents", "in this issue"}:
                section = "table_of_contents"
                continue
            if _PROMO_HEADING.match(stripped):
                flags[i] = LineFlag(heading=True, boilerplate="podcast_promo")
                section = None
                continue
            if section == "editorial":
                # Role headings (MANAGING EDITOR, GRAPHICS) and names stay inside the credits.
                flags[i] = LineFlag(heading=bool(_MD_HEADING.match(line)), boilerplate="editorial")
                continue
            if section == "table_of_contents" and _TOC_LINE.match(line):
                flags[i] = LineFlag(heading=False, boilerplate="table_of_contents")
                continue
            section = None
            continue
        if section == "link_list":
            section = None
        elif section == "editorial":
            flags[i] = LineFlag(boilerplate=flag.boilerplate or "editorial")
            continue
        elif section == "table_of_contents":
            if _TOC_LINE.match(line):
                flags[i] = LineFlag(boilerplate="table_of_contents")
                continue
            section = None
        if _is_toc_line(lines, i):
            flags[i] = LineFlag(boilerplate="table_of_contents")
    _flag_comments(lines, flags)
    return flags


FRONT_MATTER = LineFlag(boilerplate="front_matter")
MAX_FRONT_MATTER_LINES = 100
_YAML_FIELD = re.compile(r"^(?:[\w.-]+\s*:(?:\s|$)|\s+\S|-\s|-$|#)")  # "title: …", an indented or listed value, a comment
_TOML_FIELD = re.compile(r"^(?:[\w.\"-]+\s*=|\[[\w.\"-]+\]\s*$|\s+\S|#)")


def _front_matter_end(lines: list[str]) -> int:
    """How many lines a front-matter header takes at the top of ``lines`` (0 for none): a ``---``
    (YAML) or ``+++`` (TOML) line first, the same line (or ``...`` for YAML) to close it within
    ``MAX_FRONT_MATTER_LINES``, and only fields between: a paragraph of prose is never taken for one."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() not in ("---", "+++"):
        return 0
    fence = lines[first].strip()
    field = _YAML_FIELD if fence == "---" else _TOML_FIELD
    closers = ("---", "...") if fence == "---" else ("+++",)
    fields = 0
    for i in range(first + 1, min(len(lines), first + 1 + MAX_FRONT_MATTER_LINES)):
        line = lines[i].rstrip()
        if line.strip() in closers:
            return i + 1 if fields else 0
        if not line.strip():
            continue
        if not field.match(line):
            return 0
        fields += 1
    return 0


def _line_triggers(lines: list[str]) -> tuple[str, ...]:
    """The ``_LINE_TRIGGERS`` that the lines short enough to be boilerplate hold, all
    together: one scan of the lot for each trigger instead of one scan of each line.
    A line holds none but these (lower-casing maps ASCII letters one at a time)."""
    # (A long line is short once stripped only if it starts or ends with white space.)
    short = [line for line in lines if len(line) <= MAX_BOILERPLATE_LINE or line[0].isspace() or line[-1].isspace()]
    low = "\n".join(short).lower()
    return tuple([trigger for trigger in _LINE_TRIGGERS if trigger in low])


def _is_toc_line(lines: list[str], i: int) -> bool:
    """A contents line outside a contents section: it needs a neighbour like it."""
    line = lines[i]
    # (A contents line ends in a page number: test that before the pattern.)
    return len(line) < 160 and line.rstrip()[-1:].isdigit() and _TOC_LINE.match(line) is not None and _is_toc_run(lines, i)


def _is_toc_run(lines: list[str], i: int) -> bool:
    """A page-number line counts as contents only beside another like it."""
    return any(0 <= j < len(lines) and _TOC_LINE.match(lines[j]) for j in (i - 1, i + 1))


def _flag_comments(lines: list[str], flags: list[LineFlag]) -> None:
    """Reader comments: the timestamped line and the commenter's title above it."""
    stamped = [i for i, line in enumerate(lines) if line[:1].isdigit() and _COMMENT_STAMP.match(line)]
    for i in stamped:
        flags[i] = LineFlag(boilerplate="social_comment")
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j >= 0 and not _COMMENT_STAMP.match(lines[j]) and flags[j].boilerplate is None:
            flags[j] = LineFlag(heading=False, boilerplate="commenter_title")


_SENTENCE_BOILERPLATE += (("dateline", _DATESTAMP), ("link_list", _SOURCE_CREDIT))


def sentence_triggers(lowered: str) -> tuple[str, ...]:
    """The triggers of ``sentence_boilerplate`` for a sentence of any length that
    ``lowered``, a lower-cased block of text, holds. A sentence cut from the block
    holds no others (lower-casing maps ASCII letters one character at a time): one
    scan per paragraph instead of one per sentence."""
    return tuple([trigger for trigger in _SENTENCE_TRIGGERS if trigger in lowered])


def sentence_boilerplate(text: str, triggers: tuple[str, ...] = _SENTENCE_TRIGGERS, lowered: str | None = None) -> str | None:
    """The reason a single sentence inside content is boilerplate, if it is.

    ``triggers``: the ``sentence_triggers`` of the sentence's block, if known (so
    a sentence that is not short, with none of them, is not boilerplate).
    ``lowered``: ``text.lower()``, if known.
    """
    low = text.lower() if lowered is None else lowered
    if not (triggers and _triggered(low, triggers)) and not (
        len(text) < SHORT_SENTENCE_CHARS and _triggered(low, _SHORT_SENTENCE_TRIGGERS)
    ):
        return None
    return _first_match(_SENTENCE_BOILERPLATE, text, low)
