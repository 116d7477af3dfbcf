"""A codebook stance has never seen, against a plain TF-IDF + logistic regression.

    .venv/bin/python bench/bench_custom_codebook.py

The task: one frame per sentence (the annotators' primary frame) from a
codebook with no cues at all — only the trained model labels. Both systems
see the same 5 folds; we report accuracy and macro-F1 out of fold.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import KFold

from stance.annotations import bundled_annotation_files, read_annotations
from stance.codebook import load_codebook, parse_codebook
from stance.model import choose_thresholds, decide_labels, exclusive_kinds, label_matrix, out_of_fold
from stance.tagger import bundled_examples


def main() -> None:
    default = load_codebook()
    frames = "\n".join(f'[[frames]]\nid = "{f.id}"\nname = "{f.name}"\n' for f in default.frames)
    codebook = parse_codebook(f'name = "primary frame"\nversion = "1"\n{frames}')
    annotations = [a for a in read_annotations(bundled_annotation_files(), default).annotations if a.primary_frame]
    examples, _, _ = bundled_examples(annotations, default)
    label_sets = [frozenset({a.primary_frame}) for a in annotations]
    y = np.array([a.primary_frame for a in annotations])
    labels = codebook.label_ids

    probs = out_of_fold(codebook, examples, label_sets, folds=5, inherit=False)
    Y = label_matrix(label_sets, labels)
    thresholds = choose_thresholds(labels, Y, probs)
    decided = decide_labels(probs, thresholds, codebook, exclusive_kinds(codebook, label_sets))
    ours = np.array([labels[row.argmax()] for row in decided])

    base = np.empty(len(y), dtype=object)
    texts = np.array([e.text for e in examples], dtype=object)
    for train, test in KFold(n_splits=5, shuffle=True, random_state=0).split(texts):
        vec = TfidfVectorizer()
        clf = LogisticRegression(max_iter=1000).fit(vec.fit_transform(texts[train]), y[train])
        base[test] = clf.predict(vec.transform(texts[test]))

    print(f"{len(y)} sentences, {len(set(y))} frames, 5-fold, no cues")
    print("| system | accuracy | macro-F1 |\n|---|---|---|")
    for name, pred in (("TF-IDF + logistic regression", base), ("stance train + tag", ours)):
        print(f"| {name} | {accuracy_score(y, pred):.3f} | {f1_score(y, pred, average='macro'):.3f} |")


if __name__ == "__main__":
    main()
