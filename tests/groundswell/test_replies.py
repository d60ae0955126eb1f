"""The bot's grammar: thread replies and the slash command, dates against a fixed clock."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from groundswell.delivery.replies import (HELP_TEXT, MAX_ARG_CHARS, MAX_REPLY_CHARS, Assign, Claim, Done, Due, Help,
                                          NotSignal, Reopen, SlashCommand, Snooze, Unknown, Wrong, parse_reply,
                                          parse_slash)
from signals.catalog import DERIVED_TYPES, MESSAGE_TYPES

THURSDAY = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)


def parse(text: str, now: datetime = THURSDAY, **kwargs: object) -> list:
    return parse_reply(text, now=now, **kwargs)


def test_the_fixed_clock_is_a_thursday() -> None:
    assert THURSDAY.weekday() == 3 and FRIDAY.weekday() == 4


@pytest.mark.parametrize("text, user", [
    ("assign to @jane", "jane"),
    ("assign @jane", "jane"),
    ("Assign it to @Jane", "Jane"),
    ("reassign this to @jane.doe.", "jane.doe"),
    ("give to <@U123>", "U123"),
    ("give it to <@U0123ABC|jane>", "U0123ABC"),
    ("hand it over to <@W0ABC>", "W0ABC"),
    ("owner: @sam", "sam"),
])
def test_assign_takes_a_slack_id_or_a_typed_name(text: str, user: str) -> None:
    assert parse(text) == [Assign(user)]


def test_assign_without_a_mention_is_refused_not_guessed() -> None:
    [result] = parse("assign to jane")
    assert isinstance(result, Unknown) and "@jane" in result.reason


@pytest.mark.parametrize("text", ["mine", "Mine!", "I'll take it", "I’ll take it", "ill take this", "on it",
                                  "I'm on it", "assign to me", "assign it to me", "claim"])
def test_claims(text: str) -> None:
    assert parse(text) == [Claim()]


@pytest.mark.parametrize("text, day", [
    ("due friday", date(2026, 11, 27)),
    ("due Fri", date(2026, 11, 27)),
    ("due 12 Jan", date(2027, 1, 12)),       # the next 12 January on or after today
    ("due Jan 12th", date(2027, 1, 12)),
    ("due tomorrow", date(2026, 11, 27)),
    ("due next week", date(2026, 12, 4)),     # next week's Friday, as agents.deadlines reads it
    ("due in 3 days", date(2026, 11, 29)),
    ("due by eod", date(2026, 11, 26)),
    ("due on 2026-12-01", date(2026, 12, 1)),
    ("due next monday", date(2026, 11, 30)),
    ("due end of month", date(2026, 11, 30)),
    ("due the 14th", date(2026, 12, 14)),
])
def test_due_dates_resolve_against_now(text: str, day: date) -> None:
    assert parse(text) == [Due(day)]


def test_a_weekday_said_on_that_weekday_is_the_same_day() -> None:
    assert parse("due friday", now=FRIDAY) == [Due(date(2026, 11, 27))]


def test_due_reads_the_date_in_the_repliers_time_zone() -> None:
    # 03:00 UTC on Friday is 19:00 on Thursday in Los Angeles.
    late = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)
    assert parse("due tomorrow", now=late) == [Due(date(2026, 11, 28))]
    assert parse("due tomorrow", now=late, tz="America/Los_Angeles") == [Due(date(2026, 11, 27))]
    assert parse("due tomorrow", now=late, tz=ZoneInfo("America/Los_Angeles")) == [Due(date(2026, 11, 27))]
    # Auckland is already on Friday afternoon at 03:00 UTC: "friday" is that day there.
    assert parse("due friday", now=datetime(2026, 11, 26, 20, 0, tzinfo=timezone.utc),
                 tz="Pacific/Auckland") == [Due(date(2026, 11, 27))]


def test_a_naive_now_is_utc() -> None:
    assert parse("due tomorrow", now=datetime(2026, 11, 27, 3, 0)) == [Due(date(2026, 11, 28))]


@pytest.mark.parametrize("text", ["due someday", "due", "due 2020-01-01", "due 31 feb 2027"])
def test_unreadable_or_past_due_dates_are_unknown(text: str) -> None:
    [result] = parse(text)
    assert isinstance(result, Unknown) and result.reason


@pytest.mark.parametrize("text, command", [
    ("done", Done()), ("Closed", Done()), ("fixed", Done()), ("resolved", Done()), ("mark as done", Done()),
    ("reopen", Reopen()), ("re-open it", Reopen()), ("not done", Reopen()),
    ("not a signal", NotSignal()), ("this is not a signal", NotSignal()), ("false positive", NotSignal()),
    ("help", Help()), ("?", Help()),
])
def test_single_word_commands(text: str, command: object) -> None:
    assert parse(text) == [command]


@pytest.mark.parametrize("text, until", [
    ("snooze 2 weeks", date(2026, 12, 10)),
    ("snooze 3 days", date(2026, 11, 29)),
    ("snooze for a week", date(2026, 12, 3)),
    ("snooze 10d", date(2026, 12, 6)),
    ("snooze a month", date(2026, 12, 26)),        # a month is 30 days
    ("snooze until monday", date(2026, 11, 30)),
    ("snooze until thursday", date(2026, 12, 3)),  # said on a Thursday: next week, not today
    ("snooze until next week", date(2026, 11, 30)),  # wakes on Monday, not on next week's Friday
    ("snooze till 12 Jan", date(2027, 1, 12)),
    ("snooze", date(2026, 12, 3)),                 # the button's week
])
def test_snoozes(text: str, until: date) -> None:
    assert parse(text) == [Snooze(until)]


@pytest.mark.parametrize("text", ["snooze until today", "snooze 400 days", "snooze until someday", "snooze 0 days"])
def test_snoozes_that_end_today_or_too_late_are_refused(text: str) -> None:
    [result] = parse(text)
    assert isinstance(result, Unknown)


@pytest.mark.parametrize("text, type_id", [
    ("wrong: budget_pressure", "budget_pressure"),
    ("wrong budget pressure", "budget_pressure"),
    ("WRONG: Budget-Pressure", "budget_pressure"),
    ("wrong type: churn intent", "churn_intent"),
    ("this is competitor_mention", "competitor_mention"),
    ("this is a competitor mention", "competitor_mention"),
    ("it's actually expansion interest", "expansion_interest"),
    ("wrong: budget presure", "budget_pressure"),       # a near miss
    ("wrong: competitor mentions", "competitor_mention"),
    ("type: new_use_case", "new_use_case"),
])
def test_wrong_type_by_id_or_title(text: str, type_id: str) -> None:
    assert parse(text) == [Wrong(type_id)]


@pytest.mark.parametrize("text", ["wrong: pricing", "wrong", f"wrong: {DERIVED_TYPES[0]}"])
def test_an_unknown_type_names_the_valid_ones(text: str) -> None:
    [result] = parse(text)
    assert isinstance(result, Unknown)
    assert all(t in result.reason for t in MESSAGE_TYPES)


@pytest.mark.parametrize("text, commands", [
    ("assign to @jane due friday", [Assign("jane"), Due(date(2026, 11, 27))]),
    ("mine, due tomorrow", [Claim(), Due(date(2026, 11, 27))]),
    ("due friday assign to <@U1>", [Due(date(2026, 11, 27)), Assign("U1")]),
    ("wrong budget presure due friday", [Wrong("budget_pressure"), Due(date(2026, 11, 27))]),
    ("ok thanks, done", [Done()]),
    ("not a signal; snooze 3 days", [NotSignal(), Snooze(date(2026, 11, 29))]),
    ("please reassign it to @bob and due eod", [Assign("bob"), Due(date(2026, 11, 26))]),
    ("mine\ndue 12 Jan", [Claim(), Due(date(2027, 1, 12))]),
])
def test_several_commands_in_one_reply(text: str, commands: list) -> None:
    assert parse(text) == commands


def test_a_bad_part_is_reported_where_it_stands_and_the_rest_still_parses() -> None:
    result = parse("assign to @jane due someday")
    assert result[0] == Assign("jane")
    assert isinstance(result[1], Unknown) and "someday" in result[1].reason


def test_chatter_that_contains_a_command_word_does_not_close_the_alert() -> None:
    result = parse("I think they're done with us")
    assert [type(c) for c in result] == [Unknown]
    assert "done with us" in result[0].text


def test_quotes_and_code_are_ignored() -> None:
    assert parse("> done\nnot a signal") == [NotSignal()]
    assert parse("&gt; done\nreopen") == [Reopen()]       # how Slack delivers a typed quote
    assert parse("```done```\nreopen") == [Reopen()]
    assert parse("`done`") == []
    assert parse("   ") == []


def test_the_bots_own_mention_is_ignored() -> None:
    assert parse("<@UBOT> done", bot_user_id="UBOT") == [Done()]
    assert parse("<@UBOT|groundswell> mine", bot_user_id="UBOT") == [Claim()]
    assert isinstance(parse("<@UBOT> done")[0], Unknown)


@pytest.mark.parametrize("text", [
    "__import__('os').system('rm -rf /')",
    "{{ config }} ${jndi:ldap://x} '; DROP TABLE tasks; --",
    "<!channel> <http://evil.example|click me>",
    "eval(done)",
])
def test_injection_like_text_is_just_unknown(text: str) -> None:
    result = parse(text)
    assert result and all(isinstance(c, Unknown) for c in result)


def test_long_replies_are_not_read() -> None:
    result = parse("done " * 1000)
    assert len(result) == 1 and isinstance(result[0], Unknown) and "too long" in result[0].reason
    assert len(result[0].text) <= 80


@pytest.mark.parametrize("text", ["```" * 600, "snooze " * 280, "wrong " * 330, "a" * MAX_REPLY_CHARS,
                                  "assign to " * 200, "due " * 490, "<@U1|" * 390])
def test_adversarial_text_parses_quickly(text: str) -> None:
    start = time.perf_counter()
    parse(text[:MAX_REPLY_CHARS])
    assert time.perf_counter() - start < 1.0


def test_commands_are_frozen_and_name_their_kind() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Assign("jane").user = "bob"  # type: ignore[misc]
    kinds = [c.kind for c in (Assign("x"), Claim(), Due(date.today()), Done(), Reopen(), Snooze(date.today()),
                              NotSignal(), Wrong("advocacy"), Help(), Unknown("", ""))]
    assert kinds == ["assign", "claim", "due", "done", "reopen", "snooze", "not_signal", "wrong", "help", "unknown"]


def test_help_text_lists_every_reply_and_slash_command_in_safe_mrkdwn() -> None:
    for phrase in ("mine", "assign to @jane", "due friday", "done", "reopen", "snooze 2 weeks", "not a signal",
                   "wrong: budget pressure", "/groundswell account", "/groundswell tasks", "/groundswell digest"):
        assert phrase in HELP_TEXT
    assert "<" not in HELP_TEXT and ">" not in HELP_TEXT


# -- the slash command ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("", SlashCommand("help")),
    ("   ", SlashCommand("help")),
    ("help", SlashCommand("help")),
    ("HELP me", SlashCommand("help")),
    ("account Acme Corp", SlashCommand("account", "Acme Corp")),
    ("Account   ACC-7 ", SlashCommand("account", "ACC-7")),
    ("account Acme &amp; Sons", SlashCommand("account", "Acme & Sons")),
    ("tasks", SlashCommand("tasks")),
    ("tasks me", SlashCommand("tasks")),
    ("tasks <@U1>", SlashCommand("tasks", "U1")),
    ("tasks <@U0123ABC|jane>", SlashCommand("tasks", "U0123ABC")),
    ("tasks @jane", SlashCommand("tasks", "jane")),
    ("digest", SlashCommand("digest")),
])
def test_slash_commands(text: str, expected: SlashCommand) -> None:
    assert parse_slash(text) == expected


@pytest.mark.parametrize("text", ["account", "tasks jane", "tasks @a @b", "digest now", "delete everything",
                                  "<!channel>"])
def test_other_slash_commands_are_unknown(text: str) -> None:
    result = parse_slash(text)
    assert isinstance(result, Unknown) and result.reason


def test_slash_arguments_are_capped() -> None:
    result = parse_slash("account " + "x" * 5000)
    assert isinstance(result, SlashCommand) and len(result.arg or "") == MAX_ARG_CHARS
