"""Held out by kind: the documents of training/, tagged by models that never saw their kind.

    .venv/bin/python bench/eval_heldout.py [--bare] [--fresh=N] [ORIGINALS_DIR]

Without ORIGINALS_DIR it tags the paraphrased documents of ``training/``
and scores them against their own annotation files: it runs from the
project alone.

With it, it tags the original documents instead. ``training/`` holds
paraphrases; the originals may not be copied into the project, so they are
not here. Fetch them (training/README.md says where each was read) into
ORIGINALS_DIR/<kind>/<file>.txt, named as in training/, and this script
scores the tagger on them against the adjudicated labels in bench/heldout/
(by sentence id, so the originals must be the same text, byte for byte, as
when they were labelled).

For each kind (government, state-media, think-tank) a model is trained as
``stance train`` trains one — thresholds by cross-validation inside the
training set — on the seeds and the paraphrases of the other kinds, then tags
that kind's documents. Printed: topic micro-F1 and frame macro-F1 per kind
and over all, for the combination, the cue rules alone and the model alone
(trained without the cues, as ``stance train --no-cues``); then how the
combination's frames split between the cues' and the model's additions,
how often each is right, and how many gold frames neither finds.

With ``--fresh=N``, round N of ``training/`` as the fresh test it was before it
was added: its documents (every kind) tagged by a model trained on the seeds
and the rounds before it (every kind), as the default model then stood, and
by the cue rules; scored per kind and in all.

With ``--bare``, the combination also tags every sentence on its own, as
``stance tag`` tags a table of texts one row each: no heading, neighbours
or paragraph to read ("combination, bare").
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from stance.annotations import TRAINING_DIR, read_annotations, seed_annotation_files
from stance.codebook import load_codebook
from stance.corpus import SEEDS_DIR, read_corpus
from stance.model import Example, label_matrix, scores, summary, train_model
from stance.segment import iter_sentences
from stance.tagger import Tagger, bundled_documents, examples_from, index_context, rules_only_tagger

LABELS = Path(__file__).resolve().parent / "heldout"
KINDS = ("government", "state-media", "think-tank")


def round_of(path: Path) -> int:
    """The round an annotation or label file belongs to: ``annotations-government.csv`` 1,
    ``annotations-government-5.csv`` 5."""
    last = path.stem.rsplit("-", 1)[-1]
    return int(last) if last.isdigit() else 1


def gold_labels(only_round: int | None = None) -> dict[str, dict[str, set[str]]]:
    """kind -> sentence id -> labels (topics and frames) of the originals (of one round, if given)."""
    out: dict[str, dict[str, set[str]]] = {}
    for path in sorted(LABELS.glob("labels-*.csv")):
        if only_round is not None and round_of(path) != only_round:
            continue
        with open(path, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                labels = {x for x in (row["topics"] + ";" + row["frames"]).split(";") if x}
                out.setdefault(row["kind"], {})[row["sentence_id"]] = labels
    return out


def kind_files(kind: str) -> list[Path]:
    """The annotation files of one kind's paraphrased documents in training/."""
    return sorted((TRAINING_DIR / kind).glob("annotations-*.csv"))


def paraphrase_labels(codebook, only_round: int | None = None) -> dict[str, dict[str, set[str]]]:
    """kind -> sentence id -> labels (topics and frames) of the paraphrases in training/ (of one round, if given)."""
    return {kind: {a.sentence_id: set(a.topics) | set(a.frames)
                   for a in read_annotations([p for p in kind_files(kind) if only_round in (None, round_of(p))], codebook).annotations}
            for kind in KINDS}


def training_examples(codebook, leave_out: str | None = None, before_round: int | None = None):
    """Seeds and the paraphrased documents of every kind but ``leave_out`` (of the rounds before
    ``before_round``, if given), with their context."""
    folders = [SEEDS_DIR] + [TRAINING_DIR / kind for kind in KINDS if kind != leave_out]
    files = seed_annotation_files() + [p for kind in KINDS if kind != leave_out for p in kind_files(kind)
                                       if before_round is None or round_of(p) < before_round]
    by_id: dict = {}
    by_text: dict = {}
    index_context(bundled_documents(folders), by_id, by_text)
    return examples_from(read_annotations(files, codebook).annotations, codebook, by_id, by_text)


def score(codebook, gold: list[set[str]], predicted: list[set[str]]) -> str:
    labels = codebook.label_ids
    per = scores(labels, label_matrix(gold, labels), label_matrix(predicted, labels))
    return f"topics {summary(per, codebook.topic_ids)['micro_f1']:.3f} / frames {summary(per, codebook.frame_ids)['macro_f1']:.3f}"


def main() -> None:
    fresh = [a.removeprefix("--fresh=") for a in sys.argv[1:] if a.startswith("--fresh=")]
    args = [a for a in sys.argv[1:] if a != "--bare" and not a.startswith("--fresh=")]
    bare = "--bare" in sys.argv[1:]
    # round 1 has no rounds before it to train on: a fresh test starts at round 2
    if len(args) > 1 or (args and not Path(args[0]).is_dir()) or (fresh and not (fresh[0].isdigit() and int(fresh[0]) >= 2)):
        sys.exit(__doc__)
    only_round = int(fresh[0]) if fresh else None
    codebook = load_codebook()
    if args:
        documents, gold = Path(args[0]), gold_labels(only_round)
        print(f"the original documents in {documents}")
    else:
        documents, gold = TRAINING_DIR, paraphrase_labels(codebook, only_round)
        print(f"the paraphrased documents in {documents}")
    rules = rules_only_tagger()
    if only_round is not None:
        print(f"round {only_round}, tagged as it stood before it was added (trained on the seeds and rounds 1-{only_round - 1})")
    pooled: dict[str, tuple[list, list]] = {"combination": ([], []), "cue rules alone": ([], []), "model alone": ([], [])}
    if bare:
        pooled["combination, bare"] = ([], [])
    models: dict[str, tuple] = {}  # what each kind's models learn from -> (combination, model alone)
    for kind in KINDS:
        if not (documents / kind).is_dir():
            print(f"{kind}: no documents at {documents / kind}, skipped")
            continue
        if only_round is not None and not gold.get(kind):
            continue
        held_out = None if only_round is not None else kind  # a fresh round: one model for every kind
        if held_out not in models:
            examples, label_sets, sources = training_examples(codebook, held_out, before_round=only_round)
            models[held_out] = (Tagger(train_model(codebook, examples, label_sets, sources=sources)),
                                Tagger(train_model(codebook, examples, label_sets, sources=sources, use_cues=False)))
        labellers = {"combination": models[held_out][0], "cue rules alone": rules, "model alone": models[held_out][1]}
        if bare:
            labellers["combination, bare"] = labellers["combination"]
        for name, labeller in labellers.items():
            tag = tagged_alone if name.endswith("bare") else tagged_against
            Y, P = tag(labeller, read_corpus([documents / kind]).documents, gold.get(kind, {}))
            print(f"{kind:12s} {name:18s} {len(Y):5d} of {len(gold.get(kind, {}))} labelled sentences found  {score(codebook, Y, P)}")
            pooled[name][0].extend(Y)
            pooled[name][1].extend(P)
    for name, (Y, P) in pooled.items():
        print(f"{'all':12s} {name:18s} {len(Y):5d} sentences  {score(codebook, Y, P)}")
    print(whose_frames(set(codebook.frame_ids), *pooled["combination"], pooled["cue rules alone"][1]))


def whose_frames(frames: set[str], gold: list[set[str]], combined: list[set[str]], cued: list[set[str]]) -> str:
    """How the combination's frames split between what the cues give and what the model adds."""
    def count(pairs) -> int:
        return sum(len(x) for x in pairs)

    rows = [(y & frames, p & frames, r & frames) for y, p, r in zip(gold, combined, cued, strict=True)]
    right = count(r & y for y, _, r in rows)
    given = count(r for _, _, r in rows)
    added = count(p - r for _, p, r in rows)
    added_right = count((p - r) & y for y, p, r in rows)
    missed = count(y - p - r for y, p, r in rows)
    taken = count(r - p for _, p, r in rows)
    return (f"frames, all kinds: the cues give {given} (right {right / max(given, 1):.0%}), the model adds {added} "
            f"(right {added_right / max(added, 1):.0%}) and takes away {taken}; "
            f"{missed} of {count(y for y, _, _ in rows)} gold frames neither finds")


def tagged_against(tagger, documents, gold: dict[str, set[str]]) -> tuple[list[set[str]], list[set[str]]]:
    """(gold labels, predicted labels) of each content sentence of ``documents`` that ``gold`` labels."""
    Y, P = [], []
    for document in documents:
        for t in tagger.tag_document(document, explain=False):
            if t.sentence_id in gold and not t.boilerplate:
                Y.append(gold[t.sentence_id])
                P.append(set(t.topics) | set(t.frames))
    return Y, P


def tagged_alone(tagger, documents, gold: dict[str, set[str]]) -> tuple[list[set[str]], list[set[str]]]:
    """As ``tagged_against``, each sentence tagged on its own, as one row of a table."""
    Y, P = [], []
    for document in documents:
        sentences = [s for s in iter_sentences(document) if s.sentence_id in gold and not s.boilerplate]
        for t in tagger.tag(sentences, [Example(s.text, doc=s.sentence_id) for s in sentences], explain=False):
            Y.append(gold[t.sentence_id])
            P.append(set(t.topics) | set(t.frames))
    return Y, P


if __name__ == "__main__":
    main()
