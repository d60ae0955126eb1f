"""Actions: one per account and cause, titles from playbooks, evidence in `why`, stable ids."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from signals.actions import plan_actions, rank
from signals.portfolio import Account, Signal
from signals.scoring import ScoringParams, score_account

NOW = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)
PLAYBOOKS = {"save": "Book an exec sponsor call with {account} {before_renewal}", "expand": "Propose seats to {account}"}
DUE = {"save": 3, "expand": 7, "task": 3}


def sig(type_: str, evidence: str, *, n: int = 0, owner: str | None = None, due: date | None = None) -> Signal:
    return Signal(type_, "A", 0.9, evidence, NOW - timedelta(days=2), "risk", "local", source="email",
                  message_id=f"m{n}", author="Dana Kim", owner=owner, due=due)


def plan(signals, renewal=date(2027, 1, 12)):
    acct = Account("A", "Acme", 20_000, renewal_date=renewal, csm="maya@vendor.io")
    score = score_account(acct, signals, as_of=NOW, params=ScoringParams())
    return plan_actions(acct, score, signals, as_of=NOW, playbooks=PLAYBOOKS, due_days=DUE)


def test_one_save_action_per_cause_with_evidence_and_renewal_in_title() -> None:
    actions = plan([sig("churn_intent", "we're not planning to renew", n=1),
                    sig("competitor_mention", "we're piloting Flowstack", n=2)])
    [save] = actions
    assert save.kind == "save"
    assert save.title == "Book an exec sponsor call with Acme before the 12 Jan renewal"
    assert "we're not planning to renew" in save.why and "Dana Kim" in save.why
    assert save.owner == "maya@vendor.io" and save.due == date(2026, 11, 3)
    assert save.signal_types == ("churn_intent", "competitor_mention")
    assert save.impact_mrr > 0


def test_action_ids_survive_reanalysis_unless_the_cause_changes() -> None:
    first = plan([sig("churn_intent", "not renewing", n=1)])[0]
    again = plan([sig("churn_intent", "we will not renew", n=7)])[0]
    changed = plan([sig("churn_intent", "not renewing", n=1), sig("dissatisfaction", "third outage", n=2)])[0]
    assert first.id == again.id
    assert changed.id != first.id


def test_advocacy_alone_is_not_an_action() -> None:
    assert plan([sig("advocacy", "happy to do a case study")]) == []


def test_tasks_use_the_stated_due_date_and_skip_customer_owned_ones() -> None:
    actions = plan([sig("action_item", "can you send the SSO docs by Friday?", owner="vendor", due=date(2026, 11, 6)),
                    sig("action_item", "I'll check with legal", n=2, owner="customer")])
    [task] = actions
    assert task.kind == "task" and task.due == date(2026, 11, 6)
    assert "SSO docs" in task.title


def test_rank_orders_by_priority() -> None:
    actions = plan([sig("churn_intent", "not renewing", n=1), sig("expansion_interest", "pricing for 50 more seats", n=2)])
    ranked = rank(actions)
    assert [a.kind for a in ranked] == ["save", "expand"]
    assert rank(actions, limit=1) == ranked[:1]


def test_stale_commitments_are_not_chased() -> None:
    old_undated = Signal("action_item", "A", 0.9, "I'll send the deck", NOW - timedelta(days=30), "task", "local",
                         source="email", message_id="m9", author="Maya Ortiz", owner="Maya Ortiz")
    long_overdue = sig("action_item", "can you send the SSO docs by Friday?", n=8, owner="vendor", due=date(2026, 10, 2))
    assert plan([old_undated, long_overdue]) == []
    recent_overdue = sig("action_item", "can you send the SSO docs?", n=7, owner="vendor", due=date(2026, 10, 24))
    assert [a.kind for a in plan([recent_overdue])] == ["task"]
