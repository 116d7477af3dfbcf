"""The examples in the library's docstrings run, and give what they show.

Every module imports without its optional extra (torch and Hyperscan are
imported where they are used), so all are collected everywhere.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import stance

MODULES = sorted(info.name for info in pkgutil.iter_modules(stance.__path__, "stance."))


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {name} failed (see the output above)"


def test_the_examples_are_found() -> None:
    """A module's examples are collected at all (a renamed module or a broken finder would pass silently)."""
    finder = doctest.DocTestFinder()
    examples = sum(len(test.examples) for name in MODULES for test in finder.find(importlib.import_module(name)))
    assert examples >= 20
