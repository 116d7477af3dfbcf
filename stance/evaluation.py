"""How good are the labels? Cross-validated and leave-one-source-out scores.

Three labellers are scored on the same annotations so the README can say what
each part adds: the cue rules alone (a label is given when a cue votes for
it), the model alone (text and context features, no cues), and the
combination (the model with the cue votes as features, cues deciding the
labels the model cannot learn).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stance.codebook import Codebook
from stance.errors import StanceError
from stance.model import MIN_CV_EXAMPLES, Example, cached_votes, choose_thresholds, decide_labels, distinct_sentences, exclusive_kinds, label_matrix, out_of_fold, scores, summary

LABELLERS = ("rules", "model", "combined")


def evaluate(
    codebook: Codebook,
    examples: Sequence[Example],
    label_sets: Sequence[frozenset[str]],
    sources: Sequence[str] | None = None,
    *,
    by_source: bool = False,
    labellers: Sequence[str] = LABELLERS,
    folds: int = 5,
    train_only: np.ndarray | None = None,
) -> dict[str, dict]:
    """Scores per labeller: per-label P/R/F1 and topic/frame micro and macro F1.

    ``by_source``: train on the other sources, test on each held-out source.
    ``train_only``: the trained labellers learn from these examples alone (see ``out_of_fold``).
    """
    labels = codebook.label_ids
    Y = label_matrix(label_sets, labels)
    groups = list(sources) if by_source else None
    if by_source and (not sources or len(set(sources)) < 2):
        only = next(iter(set(sources)), "") if sources else ""
        raise StanceError(
            "leave-one-source-out needs annotations from at least two sources; "
            + (f"these all come from {only!r}" if only else "no annotation names its source"),
            fix="add annotations of another source (the `source` column), or leave out --by-source for 5-fold cross-validation",
        )
    trained = [name for name in labellers if name != "rules"]
    if trained and distinct_sentences(examples) < MIN_CV_EXAMPLES:
        raise StanceError(
            f"{distinct_sentences(examples)} different annotated sentences are too few to cross-validate the {' and '.join(trained)}"
            f" labeller{'s' if len(trained) > 1 else ''}"
            f" (at least {MIN_CV_EXAMPLES} are needed)",
            fix="annotate more sentences, or score the cue rules alone with --labeller rules",
        )
    results = {}
    for name in labellers:
        if name == "rules":
            decided = cached_votes(codebook.to_toml(), [e.text for e in examples]) > 0
        else:
            probs = out_of_fold(codebook, examples, label_sets, groups=groups, folds=folds, use_cues=(name == "combined"), train_only=train_only)
            # Thresholds from the same out-of-fold probabilities: slightly optimistic,
            # and equally so for both model variants.
            thresholds = choose_thresholds(labels, Y, probs)
            votes = cached_votes(codebook.to_toml(), [e.text for e in examples]) if name == "combined" else None
            decided = decide_labels(probs, thresholds, codebook, exclusive_kinds(codebook, label_sets), votes)
        per = scores(labels, Y, decided)
        results[name] = {
            "per_label": per,
            "topics": summary(per, codebook.topic_ids),
            "frames": summary(per, codebook.frame_ids),
        }
    return results


def learning_curve(
    codebook: Codebook,
    examples: Sequence[Example],
    label_sets: Sequence[frozenset[str]],
    sizes: Sequence[int] | None = None,
    seed: int = 0,
) -> list[dict]:
    """Cross-validated F1 as the number of annotations grows: at each size, 5-fold, each fold's model
    learning from a random subset of that many annotations (those of its training folds), and every
    point scored on all the annotations, so that the points can be compared. ``sizes``: by default
    25, 50, 100, ... doubling up to all of them."""
    if distinct_sentences(examples) < MIN_CV_EXAMPLES:
        raise StanceError(
            f"{distinct_sentences(examples)} different annotated sentences are too few for a learning curve (at least {MIN_CV_EXAMPLES} are needed)",
            fix="annotate more sentences",
        )
    n = len(examples)
    if sizes is None:
        sizes = [25 * 2**k for k in range(max(0, int(np.log2(n / 25)) + 1)) if 25 * 2**k < 0.9 * n]  # not a point beside the last
    order = np.random.default_rng(seed).permutation(n)
    out = []
    for size in [s for s in sizes if 0 < s < n] + [n]:
        subset = np.zeros(n, bool)
        subset[order[:size]] = True  # at full size, evaluate's own folds and scores
        result = evaluate(codebook, examples, label_sets, labellers=("combined",), train_only=subset)["combined"]
        out.append({"annotations": size, "topic_micro_f1": round(result["topics"]["micro_f1"], 3), "frame_macro_f1": round(result["frames"]["macro_f1"], 3)})
    return out
