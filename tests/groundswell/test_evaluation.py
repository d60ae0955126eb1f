"""The arithmetic of `groundswell eval`, on verdicts whose right answers are known."""

from __future__ import annotations

from datetime import date, datetime, timezone

from agents.base import Verdict
from groundswell.evaluation import Evaluation, record
from groundswell.training import Example
from signals.catalog import MESSAGE_TYPES

TS = datetime(2026, 3, 2, tzinfo=timezone.utc)


def example(text: str, labels: set[str], known=None, action_items=()) -> Example:
    return Example(id=text, text=text, source="slack", author="A", author_side="customer", ts=TS,
                   labels=frozenset(labels), known=frozenset(known or MESSAGE_TYPES), action_items=tuple(action_items))


def test_counts_precision_recall_and_the_false_positive_rate() -> None:
    result = Evaluation()
    record(result, example("we will not renew", {"churn_intent"}), [Verdict("churn_intent", 0.9, "we will not renew")])
    record(result, example("cut seats", {"budget_pressure"}), [])
    record(result, example("hello there", set()), [Verdict("advocacy", 0.55, "hello there")])
    record(result, example("thanks", set()), [])
    churn, budget, advocacy = (result.per_type[t] for t in ("churn_intent", "budget_pressure", "advocacy"))
    assert (churn.tp, churn.fp, churn.fn) == (1, 0, 0) and churn.f1 == 1.0
    assert (budget.tp, budget.fn) == (0, 1) and budget.recall == 0.0
    assert (advocacy.fp, advocacy.precision) == (1, 0.0)
    assert result.macro_f1 == 0.5  # churn 1.0 and budget 0.0; advocacy has no labelled positive
    assert result.false_positive_rate == 0.5  # one of the two no-signal messages raised something
    assert result.confusions[("budget_pressure", "none")] == 1 and result.confusions[("none", "advocacy")] == 1


def test_a_wrong_type_is_a_confusion_between_the_two() -> None:
    result = Evaluation()
    record(result, example("trim the invoice", {"budget_pressure"}), [Verdict("churn_intent", 0.7, "trim the invoice")])
    assert result.confusions == {("budget_pressure", "churn_intent"): 1}


def test_types_the_labels_do_not_speak_for_are_not_scored() -> None:
    result = Evaluation()
    record(result, example("close my account", {"churn_intent"}, known={"churn_intent"}),
           [Verdict("churn_intent", 0.9, "close my account"), Verdict("action_item", 0.9, "close my account")])
    assert result.per_type["action_item"].fp == 0 and result.per_type["churn_intent"].tp == 1


def test_reliability_bins_compare_confidence_with_precision() -> None:
    result = Evaluation()
    for i in range(4):
        labels = {"advocacy"} if i < 3 else set()
        record(result, example(f"great {i}", labels), [Verdict("advocacy", 0.82, f"great {i}")])
    [row] = result.reliability_table()
    assert row == {"bin": "0.8-0.9", "signals": 4, "mean_confidence": 0.82, "precision": 0.75}


def test_owner_and_due_of_action_items_and_evidence_checks() -> None:
    result = Evaluation()
    items = [{"owner": "Dana Kim", "due": "2026-03-06"}]
    record(result, example("I'll send it Friday", {"action_item"}, action_items=items),
           [Verdict("action_item", 0.9, "I'll send it Friday", owner="Dana Kim", due=date(2026, 3, 6))])
    record(result, example("Can you send it?", {"action_item"}, action_items=[{"owner": "vendor", "due": None}]),
           [Verdict("action_item", 0.9, "not in the text", owner="customer", due=None)])
    summary = result.to_dict()
    assert summary["action_items"] == {"found": 2, "owner_accuracy": 0.5, "due_accuracy": 1.0}
    assert summary["evidence_not_in_text"] == 1
