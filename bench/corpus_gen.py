"""A generated corpus of varied real text, streamed, for the benchmarks.

Documents are built from real sentences: shuffled into paragraphs, with
headings, bullets and boilerplate lines between them, and numbers and names
varied so that no two documents are the same text.

By default the sentences are the seeds' (240), so most sentences recur
many times over, numbers and names aside. That suits the segmenter and the
store, but not the tagger, which votes on each distinct sentence once and
remembers it, as real text rarely allows. With ``distinct=True`` the
sentences come from the seeds and every bundled training document (about
2,300), and each also has one word swapped for another word of that text,
so that nearly every sentence is new to the tagger (98%, against 14%).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from stance.annotations import TRAINING_DIR
from stance.corpus import SEEDS_DIR, Document, doc_id_for, read_corpus
from stance.segment import segment

NAMES = ["Beijing", "Washington", "Brussels", "Tokyo", "Berlin", "Seoul", "Taipei", "The Hague", "Delhi", "Jakarta"]


def seed_units(folders: list | None = None) -> tuple[list[str], list[str], list[str]]:
    """Content sentences, headings and boilerplate lines from the seeds (or ``folders``)."""
    content, headings, boiler = [], [], []
    for doc in read_corpus(folders).documents:
        for s in segment(doc):
            (boiler if s.boilerplate else headings if s.heading else content).append(s.text.replace("\n", " "))
    return content, headings, boiler


def documents(n_sentences: int, seed: int = 7, distinct: bool = False) -> Iterator[Document]:
    """Stream documents until about ``n_sentences`` sentences were produced
    (``distinct``: nearly all of them different, see the module docstring)."""
    rng = random.Random(seed)
    content, headings, boiler = seed_units([SEEDS_DIR, TRAINING_DIR] if distinct else None)
    swaps = sorted({w for s in content for w in s.split(" ") if w.isalpha() and w.islower()}) if distinct else None
    made = 0
    k = 0
    while made < n_sentences:
        lines = [rng.choice(headings)]
        for _ in range(rng.randint(3, 9)):
            paragraph = rng.sample(content, rng.randint(1, 5))
            paragraph = [_vary(s, rng, swaps) for s in paragraph]
            made += len(paragraph)
            if rng.random() < 0.15:
                lines.append("- " + paragraph[0].rstrip("."))
            else:
                lines.append(" ".join(paragraph))
            if rng.random() < 0.2:
                lines.append(rng.choice(headings))
            if rng.random() < 0.1:
                lines.append(rng.choice(boiler))
        text = "\n\n".join(lines) + "\n"
        k += 1
        yield Document(doc_id=doc_id_for(text), source=f"gen{k % 20}", path=f"gen/{k}.txt", title="", date="", text=text)


def _vary(sentence: str, rng: random.Random, swap_from: list[str] | None = None) -> str:
    """Numbers and place names varied; with ``swap_from``, one lower-case word swapped for one of those."""
    words = sentence.split(" ")
    for i, w in enumerate(words):
        if w.isdigit():
            words[i] = str(rng.randint(2, 2000))
        elif w in NAMES and rng.random() < 0.5:
            words[i] = rng.choice(NAMES)
    plain = [i for i, w in enumerate(words) if w.isalpha() and w.islower()]
    if swap_from and plain:
        words[rng.choice(plain)] = rng.choice(swap_from)
    return " ".join(words)
