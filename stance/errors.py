"""Domain errors: problems a user can fix.

The library raises these; only the CLI and the app turn them into friendly
messages. ``str()`` is one line: where, what is wrong, what to do.
"""

from __future__ import annotations


class StanceError(Exception):
    """A problem the user can fix, e.g. a bad file, codebook or annotation CSV."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.fix = fix
        self.others: tuple[StanceError, ...] = ()  # more mistakes found in the same input, each said on its own line

    def every(self) -> list[StanceError]:
        """This mistake and the others found with it, in the input's order."""
        return [self, *self.others]

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        fix = f" — {self.fix}" if self.fix else ""
        return f"{where}{self.message}{fix}"
