"""Which causes become alerts, and when: thresholds, dedup, snoozes, quiet hours, the daily summary, the cap."""

from __future__ import annotations

from datetime import date, datetime

from groundswell.delivery.alerts import candidates, plan
from groundswell.settings import AlertsConfig

TODAY = date(2026, 11, 18)


def entry(account_id: str, *actions: tuple[str, str, float], csm: str = "jane@vendor.example",
          confidence: float = 0.9) -> tuple[dict, list[dict]]:
    account = {"account_id": account_id, "name": account_id.title(), "csm": csm,
               "signals": [{"type": "churn_intent", "confidence": confidence, "evidence": "not renewing"},
                           {"type": "action_item", "confidence": 0.95, "evidence": "send the SOW"}]}
    return account, [{"id": action_id, "kind": kind, "impact_mrr": impact, "title": "t", "why": "w",
                      "signal_types": ["action_item"] if kind == "task" else ["churn_intent"]}
                     for action_id, kind, impact in actions]


def test_thresholds_and_dedup_decide_what_is_a_candidate() -> None:
    config = AlertsConfig(urgent_mrr=1000, min_confidence=0.6)
    entries = [entry("acme", ("a1", "save", 5000), ("a2", "task", 400)), entry("bolt", ("b1", "save", 300)),
               entry("weak", ("w1", "save", 9000), confidence=0.4)]
    states = {}
    found = {a.cause_key: a.priority for a in candidates(entries, states, config=config, today=TODAY)}
    assert found == {"a1": "urgent", "a2": "summary", "b1": "summary"}  # weak evidence never alerts
    states = {"a1": ("open", None), "a2": ("dismissed", None), "b1": ("snoozed", date(2026, 11, 25))}
    assert candidates(entries, states, config=config, today=TODAY) == []
    assert [a.cause_key for a in candidates(entries, states, config=config, today=date(2026, 11, 25))] == ["b1"]
    assert candidates(entries, {}, config=AlertsConfig(kinds=["expand"]), today=TODAY) == []


def test_quiet_hours_hold_urgent_alerts_and_summaries_wait_for_their_time_once_a_day() -> None:
    config = AlertsConfig(quiet_hours=["19:00", "08:00"], summary_time="09:00")
    alerts = candidates([entry("acme", ("a1", "save", 5000), ("a2", "task", 100))], {}, config=config, today=TODAY)
    night = plan(alerts, config=config, now_local=datetime(2026, 11, 18, 23, 0), summarised_today=set())
    assert (night.urgent, night.summaries) == ([], {})
    assert [reason for _, reason in night.waiting] == ["after quiet hours", "the daily summary at 09:00"]
    early = plan(alerts, config=config, now_local=datetime(2026, 11, 18, 8, 30), summarised_today=set())
    assert [a.cause_key for a in early.urgent] == ["a1"] and early.summaries == {}
    later = plan(alerts, config=config, now_local=datetime(2026, 11, 18, 9, 30), summarised_today=set())
    assert [a.cause_key for a in later.summaries["jane@vendor.example"]] == ["a2"]
    done = plan(alerts, config=config, now_local=datetime(2026, 11, 18, 15, 0),
                summarised_today={"jane@vendor.example"})
    assert done.summaries == {} and [a.cause_key for a, _ in done.waiting] == ["a2"]
    assert plan(alerts, config=AlertsConfig(quiet_hours=[]), now_local=datetime(2026, 11, 18, 23, 0),
                summarised_today=set()).urgent


def test_one_message_per_account_and_a_cap_per_run() -> None:
    config = AlertsConfig(max_per_run=2, quiet_hours=[])
    entries = [entry(f"acc{i}", (f"s{i}", "save", 9000 - i), (f"p{i}", "protect", 8000 - i)) for i in range(3)]
    result = plan(candidates(entries, {}, config=config, today=TODAY), config=config,
                  now_local=datetime(2026, 11, 18, 12, 0), summarised_today=set())
    assert {a.account["account_id"] for a in result.urgent} == {"acc0", "acc1"}
    assert len(result.urgent) == 4  # both causes of each of the two accounts, in two messages
    assert {a.cause_key for a, _ in result.waiting} == {"s2", "p2"}
    assert {reason for _, reason in result.waiting} == {"next run (this run's limit reached)"}
