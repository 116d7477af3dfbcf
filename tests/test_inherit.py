"""Topics flowing between neighbours: the vectorised path against the plain definition."""

from __future__ import annotations

import numpy as np

from stance.model import HEADING_REACH, PARAGRAPH_REACH, PARAGRAPH_WEIGHT, PREVIOUS_WEIGHT, Example, inherit_topics


def plainly(probs, examples, cols):
    """The definition, sentence by sentence."""
    out = probs.copy()
    for i, e in enumerate(examples):
        if not e.doc:
            continue
        same_doc = [j for j, f in enumerate(examples) if f.doc == e.doc]
        best = probs[i, cols].copy()
        for j in same_doc:
            f = examples[j]
            if j != i and f.paragraph == e.paragraph and abs(f.index - e.index) <= PARAGRAPH_REACH:
                best = np.maximum(best, PARAGRAPH_WEIGHT * probs[j, cols])
            if j != i and f.index == e.section and e.index - f.index <= HEADING_REACH:
                best = np.maximum(best, PARAGRAPH_WEIGHT * probs[j, cols])
        before = [j for j in same_doc if examples[j].index < e.index]
        if before:
            j = max(before, key=lambda j: examples[j].index)
            if examples[j].section == e.section:
                best = np.maximum(best, PREVIOUS_WEIGHT * probs[j, cols])
        out[i, cols] = best
    return out


def test_inherit_matches_the_definition_on_random_documents():
    rng = np.random.default_rng(0)
    for trial in range(60):
        examples = []
        breaks = rng.choice([0.0, 0.1, 0.3])  # 0: the whole document one paragraph
        for doc in ("a", "b", "", "c")[: rng.integers(1, 5)]:
            section, paragraph = -1, 0
            for index in range(int(rng.integers(1, 25))):
                if rng.random() < 0.15:
                    section = index  # a heading
                if rng.random() < breaks:
                    paragraph += 1
                if rng.random() < 0.1:
                    continue  # boilerplate: not an example, a gap in the indices
                examples.append(Example(f"s{index}", doc=doc, paragraph=paragraph, section=section, index=index))
        order = rng.permutation(len(examples))  # batches need not be in document order
        examples = [examples[i] for i in order]
        probs = rng.random((len(examples), 5)).round(1)  # rounded: ties between mates happen
        cols = [0, 2, 3]
        got = inherit_topics(probs, examples, cols)
        assert np.allclose(got, plainly(probs, examples, cols)), trial
        assert np.array_equal(got[:, [1, 4]], probs[:, [1, 4]])  # frames untouched


def test_a_sentence_takes_its_paragraph_topic_discounted():
    examples = [Example("Export controls tighten.", doc="d", paragraph=1, index=0), Example("They bite later.", doc="d", paragraph=1, index=1)]
    probs = np.array([[0.9, 0.1], [0.1, 0.1]])
    got = inherit_topics(probs, examples, [0])
    assert got[1, 0] == PARAGRAPH_WEIGHT * 0.9
    assert got[0, 0] == 0.9 and got[1, 1] == 0.1


def test_a_topic_named_once_does_not_colour_a_whole_article():
    """State-media bodies often come as one paragraph: mates lend only within reach."""
    examples = [Example(f"s{i}", doc="d", paragraph=0, index=i) for i in range(12)]
    probs = np.zeros((12, 1))
    probs[5, 0] = 0.9
    got = inherit_topics(probs, examples, [0])[:, 0]
    near = [i for i in range(12) if i != 5 and abs(i - 5) <= PARAGRAPH_REACH]
    assert np.allclose(got[near], PARAGRAPH_WEIGHT * 0.9)
    assert got[5] == 0.9
    assert (got[[0, 1, 9, 10, 11]] == 0).all()


def test_a_heading_lends_only_to_the_sentences_right_under_it():
    """A title names what the text below it starts with, not every later sentence."""
    examples = [Example("Chip export controls", doc="d", paragraph=0, section=0, index=0)]
    examples += [Example(f"s{i}", doc="d", paragraph=i, section=0, index=i) for i in range(1, 9)]
    probs = np.zeros((9, 1))
    probs[0, 0] = 0.9
    got = inherit_topics(probs, examples, [0])[:, 0]
    under = list(range(1, HEADING_REACH + 1))
    assert np.allclose(got[under], PARAGRAPH_WEIGHT * 0.9)
    # Further down nothing lends: neighbours lend their own probabilities, not what they inherited.
    assert (got[HEADING_REACH + 1 :] == 0).all()
