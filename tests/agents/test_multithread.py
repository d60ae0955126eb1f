"""The multithread agent's derived signals, from message timing alone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from agents.multithread import MultithreadAgent
from signals.portfolio import Account, Contact

AS_OF = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)
ACME = Account("A", "Acme", 9000)


def agent() -> MultithreadAgent:
    return MultithreadAgent(classifier=None)  # derive() never classifies


def days_ago(d: float) -> datetime:
    return AS_OF - timedelta(days=d)


def customer(d: float, who: str = "Dana Kim", thread: str | None = None):
    return (days_ago(d), "customer", who, thread)


def vendor(d: float, thread: str | None = None):
    return (days_ago(d), "vendor", "Maya Ortiz", thread)


def types(signals):
    return sorted(s.type for s in signals)


def test_only_one_engaged_contact_is_single_threaded_with_their_title() -> None:
    activity = [customer(d) for d in (3, 10, 20)] + [customer(50, "Sam Lee")]
    [signal] = agent().derive(ACME, activity, [Contact("dana@acme.io", "Dana Kim", "Ops Manager", "A")], as_of=AS_OF)
    assert signal.type == "single_threaded"
    assert signal.evidence == "Only Dana Kim (Ops Manager) has written in the last 30 days (3 messages)."
    assert signal.message_id is None and signal.ts == AS_OF


def test_several_contacts_none_senior_is_weakly_single_threaded() -> None:
    contacts = [Contact("a@acme.io", "Ann", "Analyst", "A"), Contact("b@acme.io", "Bo", "Engineer", "A")]
    [signal] = agent().derive(ACME, [customer(2, "Ann"), customer(5, "Bo")], contacts, as_of=AS_OF)
    assert signal.type == "single_threaded" and signal.confidence < 0.85
    contacts.append(Contact("c@acme.io", "Cy", "VP Operations", "A"))
    assert agent().derive(ACME, [customer(2, "Ann"), customer(5, "Bo"), customer(6, "Cy")], contacts, as_of=AS_OF) == []


def test_silence_after_activity_is_an_engagement_drop() -> None:
    activity = [customer(d, who) for d, who in ((70, "A2"), (60, "A1"), (45, "A2"), (40, "A1"))]
    [signal] = agent().derive(ACME, activity, [], as_of=AS_OF)
    assert signal.type == "engagement_drop"
    assert signal.evidence.startswith("No customer message for 40 days")


def test_a_falling_message_rate_is_an_engagement_drop() -> None:
    baseline = [customer(31 + 3 * i, f"P{i % 3}") for i in range(18)]
    recent = [customer(6, "P1"), customer(5, "P0")]
    found = agent().derive(ACME, sorted(baseline + recent), [], as_of=AS_OF)
    assert types(found) == ["engagement_drop"]
    assert "/week" in found[0].evidence


def test_slower_replies_are_an_engagement_drop() -> None:
    activity = []
    for i in range(4):  # baseline: replies within 2 hours
        activity += [vendor(80 - 10 * i, f"t{i}"), (days_ago(80 - 10 * i) + timedelta(hours=2), "customer", f"P{i % 2}", f"t{i}")]
    for i in range(4):  # recent: replies after 4 days
        activity += [vendor(28 - 6 * i, f"r{i}"), (days_ago(28 - 6 * i) + timedelta(days=4), "customer", f"P{i % 2}", f"r{i}")]
    activity.sort()
    found = agent().derive(ACME, activity, [], as_of=AS_OF)
    assert types(found) == ["engagement_drop"]
    assert "replies slowed" in found[0].evidence


def test_steady_multithreaded_account_has_no_derived_signals() -> None:
    activity = [customer(d, f"P{i % 3}") for i, d in enumerate(range(89, 0, -3))]
    assert agent().derive(ACME, activity, [], as_of=AS_OF) == []


def test_messages_after_as_of_are_ignored() -> None:
    activity = [customer(60, "A1"), customer(45, "A2"), customer(40, "A1"), customer(-5, "A1")]
    assert types(agent().derive(ACME, activity, [], as_of=AS_OF)) == ["engagement_drop"]
