"""The fine-tuned encoder (``stance[encoder]``) beside the shipped labeller, held out by kind.

    .venv/bin/python bench/eval_encoder.py [EPOCHS]

For each kind of ``training/`` (as ``bench/eval_heldout.py``): the shipped
combination and the encoder are both trained on the seeds and the other
kinds' paraphrases, and the held-out kind is tagged twice, by ``Tagger(model)``
as ``stance tag`` runs it and by ``Tagger(model, encoder)`` as ``stance tag
--encoder`` does (each label's probability the mean of the two, given at
0.5, own cues giving and vetoes taking away). Scored against the
paraphrases' labels.

Printed: topic micro-F1 / frame macro-F1 per kind and pooled, and the time
each fine-tune and each tagging took. About five minutes per kind on two
CPU cores.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from stance.annotations import TRAINING_DIR
from stance.codebook import load_codebook
from stance.corpus import read_corpus
from stance.encoder import EPOCHS, fine_tune
from stance.model import train_model
from stance.tagger import Tagger, cache_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from eval_heldout import KINDS, paraphrase_labels, score, tagged_against, training_examples  # noqa: E402


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else EPOCHS
    codebook = load_codebook()
    golds = paraphrase_labels(codebook)
    pooled: dict[str, tuple[list, list]] = {"shipped": ([], []), "with the encoder": ([], [])}
    for kind in KINDS:
        gold = golds[kind]
        examples, label_sets, sources = training_examples(codebook, kind)
        model = train_model(codebook, examples, label_sets, sources=sources)
        started = time.time()
        encoder = fine_tune(codebook, examples, label_sets, cache_dir(), epochs=epochs)
        tuned = time.time() - started
        documents = read_corpus([TRAINING_DIR / kind]).documents
        for name, tagger in (("shipped", Tagger(model)), ("with the encoder", Tagger(model, encoder))):
            started = time.time()
            Y, predicted = tagged_against(tagger, documents, gold)
            took = time.time() - started
            print(f"{kind:12s} {name:17s} {len(Y):5d} sentences  {score(codebook, Y, predicted)}  "
                  f"(tagged at {len(Y) / took:,.0f} sentences/s; fine-tune {tuned:.0f} s)", flush=True)
            pooled[name][0].extend(Y)
            pooled[name][1].extend(predicted)
    for name, (Y, predicted) in pooled.items():
        print(f"{'all':12s} {name:17s} {len(Y):5d} sentences  {score(codebook, Y, predicted)}")


if __name__ == "__main__":
    main()
