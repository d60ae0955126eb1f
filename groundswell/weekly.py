"""What the weekly digest reports beside the scored portfolio: the NRR trend, overdue and closed tasks, and
what changed since the week before.  Read from the store; rendered by `delivery.digest` (HTML) and
`delivery.blocks.digest` (Slack)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlmodel import Session

from groundswell import snapshots, store
from groundswell.delivery.digest import mrr_at_risk
from groundswell.settings import Config
from signals import nrr

RISK_KINDS = ("save", "protect")


@dataclass(frozen=True)
class Digest:
    report: dict[str, Any]
    trend: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    changes: dict[str, Any]


def build(session: Session, *, as_of: date, config: Config, now: datetime) -> Digest:
    current = snapshots.current(session, as_of=as_of, config=config, now=now)
    report = snapshots.as_report(session, current, limit=config.actions.limit)
    history = store.load_revenue(session)
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    week_ago = as_of - timedelta(days=7)
    return Digest(report=report, trend=trend(history, as_of), overdue=overdue(session, as_of, names),
                  changes=changes(session, report, as_of=week_ago, config=config, now=now))


def trend(history: dict[str, dict[str, float]], as_of: date, months: int = 12) -> list[dict[str, Any]]:
    """Trailing-twelve-month NRR and GRR at each of the last `months` month ends (shorter history: from its start)."""
    recorded = sorted({m for per in history.values() for m in per if m <= f"{as_of:%Y-%m}"})
    if len(recorded) < 2:
        return []
    first, last = nrr.Month.parse(recorded[0]), nrr.Month.parse(recorded[-1])
    points = []
    for end in nrr.month_range(max(first + 1, last - (months - 1)), last):
        r = nrr.trailing_twelve_months(history, end, first=first)
        if r.nrr is not None:
            points.append({"month": str(end), "nrr": round(r.nrr, 1), "grr": round(r.grr, 1) if r.grr is not None else None})
    return points


def overdue(session: Session, as_of: date, names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": t.title, "account_id": t.account_id, "account_name": names.get(t.account_id, t.account_id),
             "owner": t.owner_name or t.owner, "due": t.due.isoformat()}
            for t in store.load_tasks(session) if t.due is not None and t.due < as_of]


def changes(session: Session, report: dict[str, Any], *, as_of: date, config: Config,
            now: datetime) -> dict[str, Any]:
    """Risks new or gone since `as_of` (a week earlier), the move in projected NRR, and tasks closed since.

    The week-old report is read from its snapshot, or scored as of that day
    from what was stored by then (so a first digest lists every risk as new).
    """
    before = snapshots.as_report(session, snapshots.current(session, as_of=as_of, config=config, now=now),
                                 limit=config.actions.limit, top=0)
    risky_now, risky_before = _at_risk(session, report["as_of"]), _at_risk(session, before["as_of"])
    since = datetime.combine(as_of, time.max, tzinfo=timezone.utc)
    closed = store.load_tasks(session, statuses=("done",), closed_since=since)
    now_nrr, before_nrr = report["portfolio"]["projected_nrr"], before["portfolio"]["projected_nrr"]
    delta = round(now_nrr - before_nrr, 1) if now_nrr is not None and before_nrr is not None else None
    return {"new_risks": sorted(risky_now - risky_before), "resolved": sorted(risky_before - risky_now),
            "projected_nrr_delta": delta, "nrr_delta": delta,
            "mrr_at_risk_delta": round(mrr_at_risk(report["portfolio"]) - mrr_at_risk(before["portfolio"]), 2),
            "tasks_closed": [{"title": t.title, "account_id": t.account_id, "owner": t.owner_name or t.owner}
                             for t in closed]}


def _at_risk(session: Session, as_of: str) -> set[str]:
    """Accounts with a risk action in the day's snapshot: each account's own actions, not the report's
    top few, or an account that only slips out of the top would read as resolved."""
    rows = store.snapshot_accounts(session, as_of=date.fromisoformat(as_of))
    return {account_id for _, account_id, _, actions, _ in rows
            if any(a["kind"] in RISK_KINDS for a in json.loads(actions))}
