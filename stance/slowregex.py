"""Which regex cues take too long on long runs of characters, found by trying them.

``stance.codebook`` refuses the shapes of regex known to backtrack for ever
(``(a+)+``, ``(.|\\s)*``, ``\\w*\\w*\\w*\\w*``) by reading the pattern. No
reading catches every such shape (``(a|a)*b``, ``(.*a){12}x``), and Python's
``re`` cannot be stopped once it starts: a cue that backtracks for ever hangs
``stance tag`` on the first sentence that provokes it. So each new regex cue
is also *tried*, once, before it is used: searched for in long runs of the
characters it names and of a few common ones (``aaaa…``, ``abab…``, ``word
word …``), in a child process that is stopped when a cue takes longer than a
budget. A cue that behaves on those is remembered as fine (``stance.cache``),
so this costs each cue a fraction of a millisecond once.

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
WAIT = 5.0  # seconds the child may go without finishing a cue before it is stopped (a slow machine's margin)

def trials(regex: str) -> list[str]:
    """The texts a regex is tried on: runs of each character it names and of a few common ones,
    of each pair of characters it names side by side, and of words with spaces between."""
    named = [ch for ch in re.sub(r"\\[a-zA-Z]|[(){}\[\]|*+?^$\\]", "", regex).lower() if ch.isprintable()]
    singles = dict.fromkeys([*list(dict.fromkeys(named))[:12], "a", "0", " ", "-", ".", ","])
    pairs = dict.fromkeys(a + b for a, b in zip(named, named[1:]) if a != b)
    texts = [ch * RUN for ch in singles]
    texts += [pair * (RUN // 2) for pair in list(pairs)[:12]]
    texts += [("word " * RUN)[:RUN], ("a " * RUN)[:RUN], ("ab, " * RUN)[:RUN]]
    start = literal_start(regex)  # "Tariffs aaaa…": the run after the words the regex must begin with
    return texts + [start + sep + text for sep in ("", " ") for text in texts] if start else texts


def literal_start(regex: str) -> str:
    """The letters every match of ``regex`` begins with (``tariff`` for ``\\btariffs?(?:a|b)*``),
    or ``""`` when it begins with anything else or does not parse."""
    from re import _constants as rc, _parser  # type: ignore[attr-defined]

    try:
        items = list(_parser.parse(regex))
    except (re.error, RecursionError, OverflowError):
        return ""
    start = []
    for op, av in items:
        if op is rc.AT:
            continue
        if op is rc.LITERAL:
            start.append(chr(av))
            continue
        if op in (rc.MAX_REPEAT, rc.MIN_REPEAT) and av[0] >= 1 and [o for o, _ in av[2]] == [rc.LITERAL]:
            start.append(chr(av[2][0][1]))
        break
    return "".join(start)


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
                break  # stuck on regexes[len(done)]
            if not line:  # the child died on it (out of memory, say): as slow as stuck
                break
            done.append(float(line))
    finally:
        child.kill()
        child.wait()
    return done


def child() -> None:
    """The child's side: reads ``{"flags", "regexes"}`` as JSON on stdin, and prints each regex's worst
    trial time in seconds, a line each, as soon as it has it."""
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
        print(worst, flush=True)
