"""Agreement between annotators, per label: Cohen's kappa and Krippendorff's alpha.

Each label is a yes/no question asked of every sentence an annotator
decided: did they give it the label? (A topic is asked of sentences whose
topics they decided, a frame of those whose frames they decided.) Only
sentences decided by two annotators or more count; adjudications are rulings,
not annotations, and are left out.

- **Cohen's kappa**, for each pair of annotators, on the sentences both
  decided: ``(p_o - p_e) / (1 - p_e)``, observed agreement against the
  agreement expected from each annotator's own rate. Undefined (``None``)
  when both gave the same answer to every sentence (``p_e = 1``).
- **Krippendorff's alpha** (nominal), over all annotators at once, with
  missing decisions allowed (the ``krippendorff`` package). ``None`` when
  every answer is the same.
- ``n``: the sentences decided by at least two annotators.

The report also lists the disagreements (``Store.conflicts()``): what each
annotator said, and the adjudication if there is one.

With a store that holds two annotators' labels (an illustration, not run)::

    report = store_agreement(store, codebook=load_codebook())
    report.to_json()["labels"]["ai"]
    # {'kappa': {'alice|bob': 0.58}, 'alpha': 0.6, 'n': 10}
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from stance.store import Conflict, Decision


@dataclass(frozen=True, slots=True)
class LabelAgreement:
    kappa: dict[str, float | None]  # "A|B" (names sorted) -> Cohen's kappa
    alpha: float | None  # Krippendorff's alpha over all annotators
    n: int  # sentences decided by two annotators or more

    def to_json(self) -> dict:
        return {"kappa": dict(self.kappa), "alpha": self.alpha, "n": self.n}


@dataclass
class AgreementReport:
    annotators: list[str]
    labels: dict[str, LabelAgreement]
    by_source: dict[str, dict[str, LabelAgreement]] = field(default_factory=dict)
    disagreements: list[Conflict] = field(default_factory=list)

    def to_json(self) -> dict:
        """``{"labels": {label: {"kappa": {"A|B": k}, "alpha": a, "n": n}}, "disagreements": [...]}``."""
        return {
            "labels": {label: a.to_json() for label, a in self.labels.items()},
            "disagreements": [c.to_json() for c in self.disagreements],
        }

    def rows(self) -> list[dict]:
        """One row per label, overall then per source: for tables and CSV."""
        pairs = [f"{a}|{b}" for a, b in combinations(self.annotators, 2)]
        out = []
        for scope, labels in [("all", self.labels), *sorted(self.by_source.items())]:
            for label, a in labels.items():
                row = {"source": scope, "label": label, "n": a.n, "alpha": _round(a.alpha)}
                row.update({f"kappa {p}": _round(a.kappa.get(p)) for p in pairs})
                out.append(row)
        return out


def _round(value: float | None) -> float | str:
    return "" if value is None else round(value, 3)


def cohen_kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa of two equally long answer lists; ``None`` when undefined."""
    if len(a) != len(b):
        raise ValueError(f"two answer lists of the same length expected, got {len(a)} and {len(b)}")
    n = len(a)
    if n == 0:
        return None
    observed = sum(x == y for x, y in zip(a, b)) / n
    count_a: dict = defaultdict(int)
    count_b: dict = defaultdict(int)
    for x, y in zip(a, b):
        count_a[x] += 1
        count_b[y] += 1
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(matrix: np.ndarray) -> float | None:
    """Nominal alpha of an annotators × units matrix (``nan`` = no decision); ``None`` when undefined."""
    import krippendorff

    values = matrix[~np.isnan(matrix)]
    if values.size == 0 or np.unique(values).size < 2:
        return None
    try:
        alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    except (ValueError, ZeroDivisionError):
        return None
    return None if math.isnan(alpha) else alpha


def agreement(
    decisions: Iterable[Decision],
    *,
    topic_ids: Sequence[str] | None = None,
    frame_ids: Sequence[str] | None = None,
    disagreements: Sequence[Conflict] = (),
) -> AgreementReport:
    """Per-label agreement over annotators' decisions, overall and per source.

    Without ``topic_ids``/``frame_ids`` (a codebook's), a label's kind is
    where it was used. Labels nobody used on a shared sentence are left out.
    """
    said = [d for d in decisions if not d.adjudication and d.kind in ("topics", "frames")]
    annotators = sorted({d.annotator for d in said})
    kinds: dict[str, str] = {}
    for label in topic_ids or ():
        kinds[label] = "topics"
    for label in frame_ids or ():
        kinds[label] = "frames"
    for d in said:
        for label in d.labels:
            kinds.setdefault(label, d.kind)
    report = AgreementReport(annotators, _per_label(said, annotators, kinds), disagreements=list(disagreements))
    by_source: dict[str, list[Decision]] = defaultdict(list)
    for d in said:
        by_source[d.source].append(d)
    for source, group in sorted(by_source.items()):
        labels = _per_label(group, annotators, kinds)
        if labels:
            report.by_source[source] = labels
    return report


def _per_label(said: list[Decision], annotators: list[str], kinds: Mapping[str, str]) -> dict[str, LabelAgreement]:
    # kind -> sentence -> annotator -> labels
    table: dict[str, dict[str, dict[str, frozenset[str]]]] = {"topics": defaultdict(dict), "frames": defaultdict(dict)}
    for d in said:
        table[d.kind][d.sentence_id][d.annotator] = frozenset(d.labels)
    out: dict[str, LabelAgreement] = {}
    for label, kind in kinds.items():
        units = {sid: who for sid, who in table[kind].items() if len(who) >= 2}
        if not any(label in labels for who in units.values() for labels in who.values()):
            continue
        order = sorted(units)
        matrix = np.full((len(annotators), len(order)), np.nan)
        for j, sid in enumerate(order):
            for i, name in enumerate(annotators):
                if name in units[sid]:
                    matrix[i, j] = 1.0 if label in units[sid][name] else 0.0
        kappa: dict[str, float | None] = {}
        for (i, a), (k, b) in combinations(enumerate(annotators), 2):
            both = ~np.isnan(matrix[i]) & ~np.isnan(matrix[k])
            if both.any():
                kappa[f"{a}|{b}"] = cohen_kappa(matrix[i, both].tolist(), matrix[k, both].tolist())
        out[label] = LabelAgreement(kappa, krippendorff_alpha(matrix), len(order))
    return out


def store_agreement(store, *, codebook=None, source: str | None = None) -> AgreementReport:
    """Agreement over the store's human decisions (one source's, with ``source``)."""
    decisions = [d for d in store.decisions() if source is None or d.source == source]
    conflicts = [c for c in store.conflicts() if c.kind in ("topics", "frames", "primary_frame") and (source is None or c.source == source)]
    return agreement(
        decisions,
        topic_ids=codebook.topic_ids if codebook is not None else None,
        frame_ids=codebook.frame_ids if codebook is not None else None,
        disagreements=conflicts,
    )
