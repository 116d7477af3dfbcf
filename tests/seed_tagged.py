"""The seeds as tagged sentences with their hand-made labels (no model involved).

Every content sentence of the three seeds carries the labels the annotators
gave it in ``seeds/annotations-*.csv`` (matched by sentence id), marked
``human:seed``; boilerplate keeps no labels. Tone is computed for real. These
are real findings to test the comparison on, independent of the model.
"""

from __future__ import annotations

from functools import cache

from stance.annotations import read_annotations, seed_annotation_files
from stance.corpus import SEEDS_DIR, read_corpus
from stance.segment import segment
from stance.tagged import TaggedSentence
from stance.tone import tone


@cache
def seed_tagged() -> tuple[tuple[TaggedSentence, ...], dict]:
    corpus = read_corpus([SEEDS_DIR])
    labels = {a.sentence_id: a for a in read_annotations(seed_annotation_files()).annotations}
    out = []
    for document in corpus.documents:
        for s in segment(document):
            t = tone(s.text)
            a = labels.get(s.sentence_id)
            if s.boilerplate or a is None:
                out.append(TaggedSentence.from_sentence(s, labelled_by="none", polarity=t.polarity,
                                                        subjectivity=t.subjectivity, compound=t.compound))
                continue
            out.append(TaggedSentence.from_sentence(
                s, topics=a.topics, frames=a.frames, primary_frame=a.primary_frame,
                scores={label: 1.0 for label in a.topics + a.frames},
                evidence={label: ["human: seed"] for label in a.topics + a.frames},
                labelled_by="human:seed", polarity=t.polarity, subjectivity=t.subjectivity, compound=t.compound,
            ))
    return tuple(out), corpus.sources
