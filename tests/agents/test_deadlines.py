"""Due dates and owners of action items, resolved from one sentence."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from agents.deadlines import resolve_due, resolve_owner

MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)   # Monday 2 March 2026
FRIDAY = datetime(2026, 3, 6, 9, 0, tzinfo=timezone.utc)    # Friday 6 March 2026
SATURDAY = datetime(2026, 3, 7, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("text", "due"), [
    ("I'll send the SOW by Thursday", date(2026, 3, 5)),
    ("on Friday", date(2026, 3, 6)),
    ("this Friday works", date(2026, 3, 6)),
    ("by fri", date(2026, 3, 6)),
    ("can we do it by Monday?", date(2026, 3, 2)),            # a Monday message: that same day
    ("next Tuesday", date(2026, 3, 10)),                      # the Tuesday of next week
    ("next week", date(2026, 3, 13)),                         # next week's Friday
    ("by the end of next week", date(2026, 3, 13)),
    ("EOD", date(2026, 3, 2)),
    ("by end of day", date(2026, 3, 2)),
    ("today", date(2026, 3, 2)),
    ("by 5pm ET", date(2026, 3, 2)),
    ("within the hour", date(2026, 3, 2)),
    ("tomorrow", date(2026, 3, 3)),
    ("by noon tomorrow", date(2026, 3, 3)),
    ("end of the week", date(2026, 3, 6)),
    ("EOW", date(2026, 3, 6)),
    ("later this week", date(2026, 3, 6)),
    ("end of month", date(2026, 3, 31)),
    ("by EOM", date(2026, 3, 31)),
    ("end of the quarter", date(2026, 3, 31)),
    ("in 2 weeks", date(2026, 3, 16)),
    ("in three days", date(2026, 3, 5)),
    ("before the QBR on the 14th", date(2026, 3, 14)),
    ("on the 1st", date(2026, 4, 1)),                          # the next 1st on or after the message
    ("by March 5", date(2026, 3, 5)),
    ("5 March", date(2026, 3, 5)),
    ("by 1 March", date(2027, 3, 1)),                          # already past: next year's
    ("3/5", date(2026, 3, 5)),
    ("12/24", date(2026, 12, 24)),
    ("2026-03-05", date(2026, 3, 5)),
    ("Oct 17, 2025", date(2025, 10, 17)),                      # an explicit year is kept
    ("end of May is fine", date(2026, 5, 31)),
    ("by end of day Thursday, 4 September", date(2026, 9, 4)),  # the explicit date wins
])
def test_resolves_due_dates_from_a_monday(text: str, due: date) -> None:
    assert resolve_due(text, MONDAY) == due


@pytest.mark.parametrize(("text", "due"), [
    ("by Friday", date(2026, 3, 6)),          # a Friday message saying "by Friday" means that day
    ("next Friday", date(2026, 3, 13)),
    ("by Thursday", date(2026, 3, 12)),
    ("end of the week", date(2026, 3, 6)),
])
def test_weekdays_from_a_friday(text: str, due: date) -> None:
    assert resolve_due(text, FRIDAY) == due


def test_end_of_week_sent_at_the_weekend_is_that_day() -> None:
    assert resolve_due("EOW", SATURDAY) == date(2026, 3, 7)


@pytest.mark.parametrize("text", [
    "I'll send it over", "let me know what you think", "we grew 40% last year", "the month view", "",
    "Mayday on the 32nd",
])
def test_no_date_gives_none(text: str) -> None:
    assert resolve_due(text, MONDAY) is None


def test_invalid_dates_are_skipped() -> None:
    assert resolve_due("2026-02-30", MONDAY) is None
    assert resolve_due("2/30", MONDAY) is None


def owner(text: str, author: str = "Dana Kim", side: str = "customer", **kw) -> str:
    return resolve_owner(text, author=author, author_side=side, **kw)


@pytest.mark.parametrize(("text", "expected"), [
    ("I'll send the SOW by Thursday", "Dana Kim"),
    ("I will share the deck", "Dana Kim"),
    ("let me check with legal", "Dana Kim"),
    ("we'll get back to you on Monday", "Dana Kim"),
    ("Sam will send the deck", "Sam"),
    ("Our engineering lead, Ravi Menon, will send you the RCA by Friday.", "Ravi Menon"),
    ("@Priya can you share the API docs?", "Priya"),
    ("Priya, could you send the invoice?", "Priya"),
    ("Dana to follow up with procurement", "Dana"),
    ("- Jenna to send the admin list by the 20th", "Jenna"),
    ("I'll have Tobias send the countersigned PO", "Tobias"),
])
def test_named_and_first_person_owners(text: str, expected: str) -> None:
    assert owner(text) == expected


def test_requests_go_to_the_other_side() -> None:
    assert owner("can you share the API docs?", side="customer") == "vendor"
    assert owner("could you send the signed order form?", author="Maya Ortiz", side="vendor") == "customer"
    assert owner("please send a revised invoice", side="customer") == "vendor"


def test_requests_go_to_the_greeted_person_when_known() -> None:
    assert owner("Could you send the BAA by Friday?", addressee="Hannah") == "Hannah"


def test_we_without_an_author_is_the_authors_side() -> None:
    assert owner("we'll send the renewal paperwork", author="", side="vendor") == "vendor"


def test_the_earliest_cue_wins() -> None:
    assert owner("I'll send the slides; can you forward them to Sam?") == "Dana Kim"
    assert owner("Can you send the slides? I'll forward them to Sam.") == "vendor"


def test_capitalised_words_that_are_not_names_are_not_owners() -> None:
    assert owner("Thanks will do, I'll send it") == "Dana Kim"
    assert owner("Please send it by Friday") == "vendor"


def test_unknown_cue_falls_back_to_the_author() -> None:
    assert owner("Action item: SSO rollout") == "Dana Kim"
    assert owner("Action item: SSO rollout", author="", side="unknown") == "vendor"


@pytest.mark.parametrize("text", [
    "Kindly send the onboarding plan.",
    "I need you to give me a number before our board sits on the 27th.",
    "pls add him to the portal as admin then",
    "We kindly ask you to amend the offer accordingly.",
    "I would be grateful for your feedback by 6 June.",
    "can we talk pricing?",
])
def test_polite_and_indirect_requests_belong_to_the_other_side(text: str) -> None:
    assert resolve_owner(text, author="Dana Kim", author_side="customer") == "vendor"
    assert resolve_owner(text, author="Dana Kim", author_side="customer", addressee="Callum") == "Callum"
