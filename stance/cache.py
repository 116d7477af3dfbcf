"""Where stance keeps what it works out once: models, the cue prefilter, and
what it found about each cue regex; and where the annotation store lives by
default.

Reading a codebook checks every regex cue (compiled, parsed and searched for
patterns that could run for ever), and building its rules works out which
words each one can start at. For the default codebook's ~1,700 regex cues
that was about 1.5 s of every run, the same each time. A ``Memo`` keeps
those findings in one JSON file per kind, named by a hash of the code that
finds them and of the Python that runs it, so a change to either starts
afresh. A fact is looked up by the regex's own text: a changed cue is a new
key, checked again. Only what was found *fine* is kept, never an error, so a
bad cue is reported on every run.

The memo is an optimisation: an unreadable or damaged file is ignored (and
replaced), a folder that cannot be written leaves the run as fast as before.
It holds plain strings and lists, read with ``json``, never code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path

FORMAT = 1  # bump when what a memo holds changes shape
MAX_FACTS = 50_000  # beyond this, a save keeps only the facts this process used


def cache_dir() -> Path:
    """The cache folder (models, the cue prefilter, the memos): ``$STANCE_CACHE``, else the user's cache folder."""
    root = os.environ.get("STANCE_CACHE")
    if root:
        return Path(root)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stance"))


DB_ENV = "STANCE_DB"  # the annotation store (``stance.store``), named here so that naming it loads no database library
DB_FILE = "stance.db"


def default_path() -> Path:
    """The default annotation store: ``stance.db`` in the per-user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("stance", appauthor=False)) / DB_FILE


def write_whole(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all, for files that several runs may write at once.

    ``data`` goes to a hidden file beside ``path``, this process's and thread's own, which
    then takes its place: a reader sees the old file or the new one, never half of it, and
    a failed write (a full disk) leaves nothing beside it. Raises ``OSError``.
    """
    part = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        part.write_bytes(data)
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


class Memo:
    """Facts about strings, worked out by the code in ``sources``, kept on disk between runs.

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> memo = Memo("example", [], folder)
    >>> memo.get("a+b") is None
    True
    >>> memo.put("a+b", [1, 2]); memo.save()
    >>> Memo("example", [], folder).get("a+b")
    [1, 2]
    """

    def __init__(self, name: str, sources: Iterable[Path], folder: Path | None = None) -> None:
        key = hashlib.blake2b(f"{FORMAT} {sys.version}".encode(), digest_size=8)
        for source in sources:
            key.update(source.read_bytes())
        self.path = (folder or cache_dir()) / "memo" / f"{name}-{key.hexdigest()}.json"
        self._facts: dict[str, object] | None = None  # read on first use
        self._used: set[str] = set()
        self._new = False

    def _read(self) -> dict[str, object]:
        if self._facts is None:
            try:
                facts = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):  # none yet, unreadable or damaged: found again and written anew
                facts = {}
            self._facts = facts if isinstance(facts, dict) else {}
        return self._facts

    def get(self, item: str) -> object | None:
        """What was found about ``item``, or None."""
        fact = self._read().get(item)
        if fact is not None:
            self._used.add(item)
        return fact

    def put(self, item: str, fact: object) -> None:
        """Keep ``fact`` (JSON data, not None) about ``item``; written by ``save``."""
        self._read()[item] = fact
        self._used.add(item)
        self._new = True

    def save(self) -> None:
        """Write the facts found since the last save, merged with what other runs wrote meanwhile."""
        if not self._new:
            return
        facts = self._read()
        try:
            on_disk = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(on_disk, dict):
                facts = {**on_disk, **facts}
        except (OSError, ValueError):
            pass
        if len(facts) > MAX_FACTS:  # an analyst's many drafts of a codebook: keep this run's
            facts = {k: v for k, v in facts.items() if k in self._used}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_whole(self.path, json.dumps(facts, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        except OSError:
            return  # a read-only cache folder: the next run checks again
        self._facts = facts
        self._new = False
