"""The record that flows out of the tagger into compare, export and the store.

An immutable NamedTuple (millions are made; see ``Sentence``): every field of
``Sentence`` plus its labels, scores, evidence, tone and speaker.
"""

from __future__ import annotations

from typing import NamedTuple

from stance.segment import Sentence


class TaggedSentence(NamedTuple):
    # --- where the sentence is (as in Sentence) ---
    sentence_id: str
    doc_id: str
    source: str
    path: str
    index: int
    paragraph: int
    start: int
    end: int
    text: str
    heading: bool
    boilerplate: bool
    boilerplate_reason: str | None
    # --- labels ---
    topics: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    primary_frame: str | None = None
    scores: dict[str, float] = {}  # label id -> probability (topics and frames)
    evidence: dict[str, list[str]] = {}  # label id -> reasons: "cue: entity list", "feature: chips"
    labelled_by: str = "model"  # "model" | "human:<annotator>" | "none" (boilerplate)
    # --- tone and voice ---
    polarity: float = 0.0
    subjectivity: float = 0.0
    compound: float = 0.0
    speaker: str = "author"  # "author" | "quoted"
    speaker_name: str | None = None

    @classmethod
    def from_sentence(cls, sentence: Sentence, **labels) -> "TaggedSentence":
        return cls(*sentence, **labels)

    @property
    def confidence(self) -> float:
        """The probability of the sentence's primary label (for sorting evidence)."""
        if self.primary_frame and self.primary_frame in self.scores:
            return self.scores[self.primary_frame]
        return max((self.scores.get(t, 0.0) for t in self.topics), default=0.0)
