"""Alerts: which of the report's actions a CSM hears about, when, and in what form.

Noise is what makes CSMs mute a bot, so an alert has to earn its place:

* one alert per cause (an action's id, which changes only when its cause
  does), ever; a snoozed cause may come back when the snooze ends, a
  dismissed one ("not a signal") never does;
* only on evidence of at least `min_confidence`, and only for the kinds
  configured;
* an action with at least `urgent_mrr` at stake goes out at once (held
  during quiet hours), in one message per account whatever the number of its
  causes; the rest wait for the CSM's one daily summary;
* at most `max_per_run` messages a run: a flood is a backlog or a bug.

`due` decides from the stored report (no Slack); `post` sends and records.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Iterable, Iterator
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from connectors.slack import AUTH_ERRORS
from groundswell import snapshots, store
from groundswell.delivery import blocks
from groundswell.settings import AlertsConfig, Config, ConfigError

log = logging.getLogger("groundswell.alerts")


@dataclass(frozen=True)
class Alert:
    cause_key: str                 # the action's id
    account: dict[str, Any]        # the report's account entry
    action: dict[str, Any]         # the report's action
    signals: list[dict[str, Any]]  # the account's signals behind the action, strongest first
    priority: str                  # "urgent" or "summary"

    @property
    def csm(self) -> str | None:
        return self.account.get("csm")

    def payload(self) -> dict[str, Any]:
        return {"account": self.account, "action": self.action, "signals": self.signals}

    def to_dict(self, when: str) -> dict[str, Any]:
        return {"cause_key": self.cause_key, "account_id": self.account["account_id"], "account": self.account["name"],
                "kind": self.action["kind"], "priority": self.priority, "when": when, "csm": self.csm,
                "impact_mrr": self.action["impact_mrr"], "title": self.action["title"], "why": self.action["why"],
                "signals": [{k: s.get(k) for k in ("type", "confidence", "evidence", "url")} for s in self.signals]}


@dataclass
class Plan:
    """What goes out now, and what waits (and why)."""

    urgent: list[Alert] = field(default_factory=list)
    summaries: dict[str, list[Alert]] = field(default_factory=dict)
    waiting: list[tuple[Alert, str]] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        return ([a.to_dict("now") for a in self.urgent]
                + [a.to_dict("now, in the daily summary") for items in self.summaries.values() for a in items]
                + [a.to_dict(reason) for a, reason in self.waiting])


@dataclass
class PostReport:
    posted: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)


def candidates(entries: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]],
               states: dict[str, tuple[str, date | None]], *, config: AlertsConfig, today: date) -> list[Alert]:
    """Every action worth telling a CSM about that has not been told (or whose snooze is over)."""
    out = []
    for account, actions in entries:
        for action in actions:
            status, until = states.get(action["id"], (None, None))
            if action["kind"] not in config.kinds or (status and not (status == "snoozed" and until and until <= today)):
                continue
            signals = sorted((s for s in account["signals"] if s["type"] in action["signal_types"]
                              and s["confidence"] >= config.min_confidence), key=lambda s: -s["confidence"])
            if signals:
                urgent = action["kind"] != "task" and action["impact_mrr"] >= config.urgent_mrr
                out.append(Alert(action["id"], account, action, signals, "urgent" if urgent else "summary"))
    return sorted(out, key=lambda a: (a.priority != "urgent", -a.action["impact_mrr"], a.cause_key))


def plan(alerts: list[Alert], *, config: AlertsConfig, now_local: datetime,
         summarised_today: set[str]) -> Plan:
    """Hold urgent alerts in quiet hours; send each CSM's summary once a day after its time; cap the run."""
    result, budget = Plan(), config.max_per_run
    quiet = _in_quiet_hours(now_local.time(), config.quiet_hours)
    by_csm: dict[str, list[Alert]] = defaultdict(list)
    accounts: set[str] = set()  # an account's urgent causes go out together, as one message
    for alert in alerts:
        account_id = alert.account["account_id"]
        if alert.priority == "summary":
            by_csm[alert.csm or ""].append(alert)
        elif quiet:
            result.waiting.append((alert, "after quiet hours"))
        elif account_id in accounts or budget > 0:
            result.urgent.append(alert)
            budget -= account_id not in accounts
            accounts.add(account_id)
        else:
            result.waiting.append((alert, "next run (this run's limit reached)"))
    summary_time = _clock(config.summary_time)
    for csm, items in by_csm.items():
        if now_local.time() >= summary_time and csm not in summarised_today and not quiet and budget > 0:
            result.summaries[csm] = items
            budget -= 1
        else:
            result.waiting += [(a, f"the daily summary at {config.summary_time}") for a in items]
    return result


def due(session: Session, *, as_of: date, config: AlertsConfig, now: datetime, tz: str) -> Plan:
    """The plan for now, from the report stored for `as_of` (snapshots.current must have run for it)."""
    states = store.alert_states(session)
    alerts = candidates(_entries(session, as_of), states, config=config, today=as_of)
    local = now.astimezone(ZoneInfo(tz))
    summarised = {csm for csm, at in store.last_summaries(session).items()
                  if at.astimezone(ZoneInfo(tz)).date() == local.date()}
    return plan(alerts, config=config, now_local=local, summarised_today=summarised)


def service_day(config: Config, now: datetime) -> date:
    """Today in the service's timezone: the date reports and alerts are scored as of."""
    return now.astimezone(ZoneInfo(config.serve.timezone)).date()


def due_now(session: Session, *, config: Config, now: datetime) -> Plan:
    """Score today (read from the stored report when it is current) and plan the alerts due."""
    today = service_day(config, now)
    snapshots.current(session, as_of=today, config=config, now=now)
    return due(session, as_of=today, config=config.alerts, now=now, tz=config.serve.timezone)


def post(session: Session, client: WebClient, todo: Plan, *, config: AlertsConfig, now: datetime) -> PostReport:
    """Send the plan to Slack and record each alert, so it is never sent twice.

    An alert that cannot be delivered is reported and left unrecorded, so the
    next run tries again; a refused token stops the run.
    """
    report, people = PostReport(), _People(client)
    for group in _by_account(todo.urgent):
        lead = group[0]  # the account's biggest cause; the others ride along in the same message
        signals = list({id(s): s for a in group for s in a.signals}.values())
        message = blocks.alert(lead.account, lead.action, signals, alert_id=lead.cause_key)
        _deliver(session, client, people, group, message, config=config, now=now, report=report)
    for csm, items in todo.summaries.items():
        _deliver(session, client, people, items, blocks.summary(csm, [a.payload() for a in items]),
                 config=config, now=now, report=report)
    return report


def _deliver(session: Session, client: WebClient, people: "_People", alerts: list[Alert], message: dict[str, Any],
             *, config: AlertsConfig, now: datetime, report: PostReport) -> None:
    csm = alerts[0].csm
    try:
        target = config.channel or people.dm(csm)
        if target is None:
            report.errors.append(f"{alerts[0].account['name']}: no Slack user for CSM {csm or '(none)'}; "
                                 "set the account's csm to a workspace member's email or [alerts] channel")
            return
        sent = client.chat_postMessage(channel=target, text=message["text"], blocks=message["blocks"],
                                       unfurl_links=False, unfurl_media=False)
    except SlackApiError as exc:
        code = _error_code(exc)
        report.errors.append(f"{alerts[0].account['name']}: Slack said {code}; it will be tried again next run")
        return
    for alert in alerts:
        store.save_alert(session, cause_key=alert.cause_key, account_id=alert.account["account_id"],
                         kind=alert.action["kind"], csm=csm, priority=alert.priority, payload=alert.payload(),
                         channel=sent["channel"], message_ts=sent["ts"], at=now)
    session.commit()  # each message recorded as soon as it is sent: a crash later cannot send it twice
    report.posted += len(alerts)
    report.messages += 1


class _People:
    """CSM emails to Slack user ids, looked up once a run."""

    def __init__(self, client: WebClient) -> None:
        self.client, self.ids = client, {}

    def dm(self, email: str | None) -> str | None:
        if not email or "@" not in email:
            return None
        if email not in self.ids:
            try:
                self.ids[email] = self.client.users_lookupByEmail(email=email)["user"]["id"]
            except SlackApiError as exc:
                _error_code(exc)  # a refused token stops the run; any other error: no DM for this CSM
                self.ids[email] = None
        return self.ids[email]


def _error_code(exc: SlackApiError) -> str:
    """Slack's error code; ConfigError when it refused the token, which no later call would get past."""
    code = exc.response.get("error", "error") if exc.response is not None else "error"
    if code in AUTH_ERRORS:
        raise ConfigError(f"Slack refused the bot token ({code}): check SLACK_BOT_TOKEN") from None
    return code


def _by_account(alerts: list[Alert]) -> list[list[Alert]]:
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(alert.account["account_id"], []).append(alert)
    return list(groups.values())


def _entries(session: Session, as_of: date) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    for _, _, body, actions, _ in store.snapshot_accounts(session, as_of=as_of):
        if actions != "[]":
            yield json.loads(body), json.loads(actions)


def _in_quiet_hours(now: time, quiet: list[str]) -> bool:
    if not quiet:
        return False
    start, end = _clock(quiet[0]), _clock(quiet[1])
    return start <= now < end if start <= end else now >= start or now < end  # overnight spans midnight


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
