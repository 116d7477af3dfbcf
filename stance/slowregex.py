"""Which regex cues take too long on long runs of characters, found by trying them.

``stance.codebook`` refuses the shapes of regex known to backtrack for ever
(``(a+)+``, ``(.|\\s)*``, ``\\w*\\w*\\w*\\w*``) by reading the pattern. No
reading catches every such shape (``(a|a)*b``, ``(.*a){12}x``), and Python's
``re`` cannot be stopped once it starts: a cue that backtracks for ever hangs
``stance tag`` on the first sentence that provokes it. So each new regex cue
is also *tried*, once, before it is used: searched for in long runs of the
characters it names and of a few common ones (``aaaa…``, ``abab…``, ``word
word …``), alone and behind the words a match must begin with up to one of
its open repeats (``sanctions on ab, ab, …`` for ``sanctions\\s+on\\s+(?:.+,\\s*)+``),
in a child process that is stopped when a cue takes longer than a budget. A
cue that behaves on those is remembered as fine (``stance.cache``), so this
costs each cue a few milliseconds, once.

    >>> slow_regexes([r"\\bchips?\\b", r"(a|a)*b"], re.IGNORECASE)
    ['(a|a)*b']
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

RUN = 2_000  # characters in each trial text: a cubic regex takes seconds on it, a linear one microseconds
LIMIT = 0.5  # seconds one trial may take: a quadratic regex takes a tenth of this or less, a cubic one seconds
WAIT = 5.0  # seconds the child may go without finishing a trial before it is stopped (a slow machine's margin)

def trials(regex: str) -> list[str]:
    """The texts a regex is tried on: runs of each character it names and of a few common ones,
    of each pair of characters it names side by side, and of words with spaces between; each
    alone and behind each of the regex's ``starts``."""
    named = [ch for ch in re.sub(r"\\[a-zA-Z]|[(){}\[\]|*+?^$\\]", "", regex).lower() if ch.isprintable()]
    singles = dict.fromkeys([*list(dict.fromkeys(named))[:12], "a", "0", " ", "-", ".", ","])
    pairs = dict.fromkeys(a + b for a, b in zip(named, named[1:]) if a != b)
    texts = [ch * RUN for ch in singles]
    texts += [pair * (RUN // 2) for pair in list(pairs)[:12]]
    texts += [("word " * RUN)[:RUN], ("a " * RUN)[:RUN], ("ab, " * RUN)[:RUN], ("2024 " * RUN)[:RUN]]  # and figures: "2000 2001 …"
    return texts + [start + text for start in starts(regex) for text in texts]


MAX_STARTS = 3  # beginnings tried before the runs: a cue's repeat that blows up mostly sits behind a few words


def starts(regex: str) -> list[str]:
    """Texts a match of ``regex`` can begin with, each up to where one of its open repeats begins:
    "sanctions on " for ``\\b(?:sanctions|restrictions)\\s+on\\s+(?:.+,\\s*)+and``, so that the runs
    reach the repeat ("sanctions on ab, ab, ab, …"). Repeats holding a repeat or alternatives come
    first; at most ``MAX_STARTS``; none when the regex does not parse."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        items = _parser.parse(regex)
    except (re.error, RecursionError, OverflowError):
        return []
    found: list[tuple[int, str]] = []
    _witness(list(items), "", found)
    ranked = dict.fromkeys(text for _, text in sorted(found, key=lambda pair: pair[0]) if text)
    return list(ranked)[:MAX_STARTS]


def _witness(items: list, text: str, found: list[tuple[int, str]] | None, depth: int = 0) -> str | None:
    """``text`` followed by a shortest text that ``items`` match (None where one cannot be written
    down: a backreference, too deep), noting in ``found`` the text before each open repeat."""
    from re import _constants as rc  # type: ignore[attr-defined]

    if depth > 20:
        return None
    for op, av in items:
        if op in (rc.AT, rc.ASSERT, rc.ASSERT_NOT):
            continue
        if op is rc.LITERAL:
            text += chr(av)
        elif op is rc.NOT_LITERAL:
            text += "b" if chr(av) == "a" else "a"
        elif op is rc.ANY:
            text += "a"
        elif op is rc.IN:
            text += _member(av)
        elif op is rc.BRANCH:
            text = _witness(list(av[1][0]), text, found, depth + 1)
        elif op is rc.SUBPATTERN:
            text = _witness(list(av[-1]), text, found, depth + 1)
        elif op in (rc.MAX_REPEAT, rc.MIN_REPEAT, getattr(rc, "POSSESSIVE_REPEAT", rc.MAX_REPEAT)):
            low, high, body = av
            if found is not None and high != low:
                nested = any(o in (rc.MAX_REPEAT, rc.MIN_REPEAT, rc.BRANCH, rc.SUBPATTERN) for o, _ in body)
                found.append((0 if nested else 1, text))
            for _ in range(min(low, 3)):
                text = _witness(list(body), text, None, depth + 1)
                if text is None:
                    return None
        else:
            return None
        if text is None:
            return None
    return text


def _member(members: list) -> str:
    """A character of a class ``[...]``: one it names, or, for ``[^...]``, one it leaves out."""
    from re import _constants as rc  # type: ignore[attr-defined]

    for op, av in members:
        if op is rc.NEGATE:
            pattern = re.compile(_class_source(members))
            return next((ch for ch in "a0 -x.Z" if pattern.fullmatch(ch)), "a")
        if op is rc.LITERAL:
            return chr(av)
        if op is rc.RANGE:
            return chr(av[0])
        if op is rc.CATEGORY:
            return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_NOT_WORD": " "}.get(str(av), "a")
    return "a"


def _class_source(members: list) -> str:
    """A parsed class written back as a regex, to test characters against."""
    from re import _constants as rc  # type: ignore[attr-defined]

    shown = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
             "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}
    inside = ""
    for op, av in members:
        if op is rc.NEGATE:
            inside = "^" + inside
        elif op is rc.LITERAL:
            inside += re.escape(chr(av))
        elif op is rc.RANGE:
            inside += f"{re.escape(chr(av[0]))}-{re.escape(chr(av[1]))}"
        elif op is rc.CATEGORY:
            inside += shown.get(str(av), "")
    return f"[{inside}]" if inside not in ("", "^") else "[\\s\\S]"


def slow_regexes(regexes: Sequence[str], flags: int, wait: float | None = None) -> list[str]:
    """The regexes, of ``regexes``, that take longer than ``LIMIT`` on some trial text, or that a child
    trying them has to be stopped on (``wait`` seconds without an answer, ``WAIT`` if not given). ``OSError`` if no child
    process can be started."""
    wait = WAIT if wait is None else wait
    slow: list[str] = []
    todo = list(regexes)
    while todo:
        done = _try(todo, flags, wait)
        slow += [regex for regex, took in zip(todo, done) if took > LIMIT]
        if len(done) == len(todo):
            break
        slow.append(todo[len(done)])  # the child was stopped on this one
        todo = todo[len(done) + 1 :]
    return slow


def _try(regexes: list[str], flags: int, wait: float) -> list[float]:
    """Each regex's worst trial time, in order, as far as a child got before it went ``wait`` seconds
    without finishing one."""
    job = json.dumps({"flags": int(flags), "regexes": regexes})
    here = str(Path(__file__).resolve().parents[1])
    child = subprocess.Popen(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {here!r}); from stance.slowregex import child; child()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def feed() -> None:
        try:
            child.stdin.write(job)
            child.stdin.close()
        except OSError:  # the child was stopped before it read everything
            pass

    def read() -> None:
        for line in child.stdout:
            lines.put(line)
        lines.put("")  # the child ended

    threading.Thread(target=feed, daemon=True).start()
    threading.Thread(target=read, daemon=True).start()
    done: list[float] = []
    try:
        while len(done) < len(regexes):
            try:
                line = lines.get(timeout=wait)
            except queue.Empty:
                break  # stuck on one trial of regexes[len(done)]
            if not line:  # the child died on it (out of memory, say): as slow as stuck
                break
            if line.strip() != "+":  # "+": one more trial done, so the wait starts again
                done.append(float(line))
    finally:
        child.kill()
        child.wait()
    return done


def child() -> None:
    """The child's side: reads ``{"flags", "regexes"}`` as JSON on stdin, and prints each regex's worst
    trial time in seconds, a line each, as soon as it has it, with a ``+`` line after each trial, so
    that a busy machine's many quick trials are not taken for one stuck trial."""
    job = json.loads(sys.stdin.read())
    for regex in job["regexes"]:
        pattern = re.compile(regex, job["flags"])
        worst = 0.0
        for text in trials(regex):
            start = time.perf_counter()
            pattern.search(text)
            worst = max(worst, time.perf_counter() - start)
            if worst > LIMIT:
                break
            print("+", flush=True)
        print(worst, flush=True)
