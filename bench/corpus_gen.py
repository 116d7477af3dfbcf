"""A generated corpus of varied real text, streamed, for the benchmarks.

Documents are built from the seeds' real sentences: shuffled into paragraphs,
with headings, bullets and boilerplate lines between them, and numbers and
names varied so that no two documents are the same text.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from stance.corpus import Document, doc_id_for, read_corpus
from stance.segment import segment

NAMES = ["Beijing", "Washington", "Brussels", "Tokyo", "Berlin", "Seoul", "Taipei", "The Hague", "Delhi", "Jakarta"]


def seed_units() -> tuple[list[str], list[str], list[str]]:
    """Content sentences, headings and boilerplate lines from the seeds."""
    content, headings, boiler = [], [], []
    for doc in read_corpus().documents:
        for s in segment(doc):
            (boiler if s.boilerplate else headings if s.heading else content).append(s.text.replace("\n", " "))
    return content, headings, boiler


def documents(n_sentences: int, seed: int = 7) -> Iterator[Document]:
    """Stream documents until about ``n_sentences`` sentences were produced."""
    rng = random.Random(seed)
    content, headings, boiler = seed_units()
    made = 0
    k = 0
    while made < n_sentences:
        lines = [rng.choice(headings)]
        for _ in range(rng.randint(3, 9)):
            paragraph = rng.sample(content, rng.randint(1, 5))
            paragraph = [_vary(s, rng) for s in paragraph]
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


def _vary(sentence: str, rng: random.Random) -> str:
    words = sentence.split(" ")
    for i, w in enumerate(words):
        if w.isdigit():
            words[i] = str(rng.randint(2, 2000))
        elif w in NAMES and rng.random() < 0.5:
            words[i] = rng.choice(NAMES)
    return " ".join(words)
