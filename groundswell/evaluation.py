"""Measuring a classifier against labelled messages: `groundswell eval`.

Per type precision, recall and F1 over the types the labels speak for;
macro-F1 over the message-level types; the false-positive rate on messages
with no signal (the share that would raise something anyway, which is what
makes CSMs mute a bot); the most frequent confusions; the reliability table
(confidence bins against observed precision); and, for action items, how
often the owner and the due date match.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from agents.base import Classifier, Verdict
from agents.classifiers.local import LocalClassifier
from connectors.base import Message
from groundswell.training import Example, TrainingParams, fold_of, train
from signals.catalog import MESSAGE_TYPES

RELIABILITY_BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
BATCH = 1000


@dataclass
class TypeScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    messages: int = 0
    per_type: dict[str, TypeScore] = field(default_factory=lambda: {t: TypeScore() for t in MESSAGE_TYPES})
    no_signal: int = 0
    no_signal_flagged: int = 0
    confusions: Counter = field(default_factory=Counter)  # (gold or "none", predicted or "none") -> count
    reliability: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, correct)
    owner_hits: int = 0
    due_hits: int = 0
    action_items_found: int = 0
    evidence_errors: int = 0

    @property
    def macro_f1(self) -> float:
        scored = [s for s in self.per_type.values() if s.tp + s.fn]
        return sum(s.f1 for s in scored) / len(scored) if scored else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.no_signal_flagged / self.no_signal if self.no_signal else 0.0

    def reliability_table(self) -> list[dict[str, Any]]:
        rows = []
        for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:]):
            inside = [(c, ok) for c, ok in self.reliability if low <= c < high]
            if inside:
                rows.append({"bin": f"{low:.1f}-{min(high, 1.0):.1f}", "signals": len(inside),
                             "mean_confidence": round(sum(c for c, _ in inside) / len(inside), 3),
                             "precision": round(sum(ok for _, ok in inside) / len(inside), 3)})
        return rows

    def to_dict(self, top_confusions: int = 10) -> dict[str, Any]:
        found = self.action_items_found
        return {
            "messages": self.messages,
            "macro_f1": round(self.macro_f1, 4),
            "per_type": {t: {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                             "support": s.tp + s.fn, "predicted": s.tp + s.fp}
                         for t, s in self.per_type.items() if s.tp + s.fn + s.fp},
            "no_signal_messages": self.no_signal,
            "false_positive_rate": round(self.false_positive_rate, 4),
            "confusions": [{"labelled": g, "predicted": p, "count": n}
                           for (g, p), n in self.confusions.most_common(top_confusions)],
            "reliability": self.reliability_table(),
            "action_items": {"found": found, "owner_accuracy": round(self.owner_hits / found, 4) if found else None,
                             "due_accuracy": round(self.due_hits / found, 4) if found else None},
            "evidence_not_in_text": self.evidence_errors,
        }


def evaluate(classifier: Classifier, examples: Sequence[Example]) -> Evaluation:
    result = Evaluation()
    for start in range(0, len(examples), BATCH):
        chunk = examples[start:start + BATCH]
        for example, verdicts in zip(chunk, classifier.classify([to_message(e) for e in chunk])):
            record(result, example, verdicts)
    return result


def to_message(example: Example) -> Message:
    return Message(source=example.source, source_id=example.id, ts=example.ts, author=example.author,
                   text=example.text, author_side=example.author_side)


def record(result: Evaluation, example: Example, verdicts: Sequence[Verdict]) -> None:
    result.messages += 1
    predicted = {v.type for v in verdicts if v.type in example.known}
    gold = example.labels & example.known
    for type_id in example.known & set(MESSAGE_TYPES):
        score = result.per_type[type_id]
        if type_id in predicted and type_id in gold:
            score.tp += 1
        elif type_id in predicted:
            score.fp += 1
        elif type_id in gold:
            score.fn += 1
    if not example.labels:
        result.no_signal += 1
        result.no_signal_flagged += bool(predicted)
    for wrong in predicted - gold:
        for missed in (gold - predicted) or {"none"}:
            result.confusions[(missed, wrong)] += 1
    for missed in gold - predicted:
        if not predicted - gold:
            result.confusions[(missed, "none")] += 1
    for verdict in verdicts:
        if verdict.type in example.known:
            result.reliability.append((verdict.confidence, verdict.type in gold))
        result.evidence_errors += verdict.evidence not in example.text
    _record_action_item(result, example, verdicts)


def _record_action_item(result: Evaluation, example: Example, verdicts: Sequence[Verdict]) -> None:
    """Owner and due of the reported action item against any of the labelled ones."""
    verdict = next((v for v in verdicts if v.type == "action_item"), None)
    if verdict is None or not example.action_items:
        return
    result.action_items_found += 1
    owners = {str(a.get("owner") or "").lower() for a in example.action_items}
    dues = {a.get("due") for a in example.action_items}
    owner = (verdict.owner or "").lower()
    result.owner_hits += owner in owners or any(owner and (owner in o or o in owner) for o in owners if o)
    result.due_hits += (verdict.due.isoformat() if verdict.due else None) in dues


def cross_validate(examples: Sequence[Example], params: TrainingParams, *, folds: int = 5,
                   scored: Sequence[bool] | None = None) -> list[Evaluation]:
    """One evaluation per outer fold: trained (and thresholded) on the other folds only.

    `scored` marks the examples that count in the evaluation (say, hand
    labelled ones); the others are only ever trained on.
    """
    results = []
    for k in range(folds):
        held = [i for i, e in enumerate(examples) if fold_of("outer:" + e.id, folds) == k]
        held_set = set(held)
        model = train([e for i, e in enumerate(examples) if i not in held_set], params)
        tested = [examples[i] for i in held if scored is None or scored[i]]
        results.append(evaluate(LocalClassifier(model), tested))
    return results
