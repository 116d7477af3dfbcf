"""Shared fixtures: the real seeds, read once per session."""

from __future__ import annotations

import pytest

from stance.corpus import SEEDS_DIR, read_corpus
from stance.segment import Sentence, segment


@pytest.fixture(scope="session")
def seeds():
    return read_corpus([SEEDS_DIR])


@pytest.fixture(scope="session")
def seed_sentences(seeds) -> dict[str, list[Sentence]]:
    """Sentences of each seed document, by source id."""
    return {doc.source: segment(doc) for doc in seeds.documents}


@pytest.fixture(scope="session")
def codebook():
    """The default codebook, loaded once (compiling its cues takes a moment)."""
    from stance.codebook import load_codebook

    return load_codebook()


@pytest.fixture(scope="session")
def seed_docs(seeds):
    return {doc.source: doc for doc in seeds.documents}
