"""What a CSM should do next: one action per account and cause, ranked by money.

Kinds: `save` (churn risk), `protect` (contraction), `expand` (expansion
interest), `multithread` (single-threaded or a departing champion) and `task`
(an open commitment or request).  Priority = MRR at stake × urgency ×
confidence, where urgency grows as the renewal nears and as evidence is
fresh.  An action's id is a hash of its account, kind and the signal types
behind it, so it survives re-analysis unless its cause changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping, Sequence

from signals.catalog import BY_ID
from signals.portfolio import Account, Signal
from signals.scoring import AccountScore

KIND_OF_TYPE = {
    "churn_intent": "save", "competitor_mention": "save", "dissatisfaction": "save", "engagement_drop": "save",
    "budget_pressure": "protect",
    "expansion_interest": "expand", "new_use_case": "expand", "growth_event": "expand", "advocacy": "expand",
    "single_threaded": "multithread", "champion_departure": "multithread",
    "action_item": "task",
}
# Advocacy alone is good news, not a reason to act; it supports an expansion.
SUPPORTING_ONLY = {"advocacy"}
# An open commitment is worth a slice of the account: what dropping it costs in trust.
TASK_SHARE = 0.05
STALE_DAYS = {"overdue": 14, "undated": 21}


@dataclass(frozen=True)
class Action:
    id: str
    account_id: str
    kind: str
    title: str
    why: str
    impact_mrr: float
    owner: str | None
    due: date | None
    signal_types: tuple[str, ...]
    priority: float


def plan_actions(account: Account, score: AccountScore, signals: Sequence[Signal], *, as_of: datetime,
                 playbooks: Mapping[str, str], due_days: Mapping[str, int]) -> list[Action]:
    """The account's actions, one per kind that its signals call for."""
    by_kind: dict[str, list[Signal]] = {}
    for s in sorted(signals, key=lambda s: (-s.confidence, s.ts)):
        by_kind.setdefault(KIND_OF_TYPE[s.type], []).append(s)
    actions = []
    for kind, group in by_kind.items():
        if all(s.type in SUPPORTING_ONLY for s in group):
            continue
        if kind == "task":
            group = [s for s in group if _vendor_owes(s) and _still_open(s, as_of)]
            if not group:
                continue
        actions.append(_action(account, score, kind, group, as_of=as_of, playbooks=playbooks, due_days=due_days))
    return actions


def _still_open(signal: Signal, as_of: datetime) -> bool:
    """A commitment is worth chasing until two weeks past its due date, or three weeks after it was made."""
    if signal.due is not None:
        return signal.due >= as_of.date() - timedelta(days=STALE_DAYS["overdue"])
    return (as_of - signal.ts).days <= STALE_DAYS["undated"]


def _vendor_owes(signal: Signal) -> bool:
    """Tasks worth surfacing: the vendor (or a named vendor person) must act."""
    return signal.owner not in ("customer",)


def _impact(kind: str, account: Account, score: AccountScore, group: Sequence[Signal]) -> float:
    if kind == "save":
        return score.churn_mrr
    if kind == "protect":
        return score.contraction_mrr
    if kind == "expand":
        return score.expansion_mrr
    if kind == "multithread":
        # The churn MRR these signals added on top of the base rate.
        return max(0.0, sum(c.mrr for c in score.contributions
                            if c.outcome == "churn" and c.signal.type in ("single_threaded", "champion_departure")))
    return account.mrr * TASK_SHARE


def _urgency(account: Account, group: Sequence[Signal], as_of: datetime) -> float:
    urgency = 1.0
    if account.renewal_date is not None:
        days = (account.renewal_date - as_of.date()).days
        urgency *= 2.0 if 0 <= days <= 30 else 1.5 if 0 <= days <= 90 else 1.0
    newest = max(s.ts for s in group)
    return urgency * (1.2 if (as_of - newest).days <= 7 else 1.0)


def _action(account: Account, score: AccountScore, kind: str, group: Sequence[Signal], *, as_of: datetime,
            playbooks: Mapping[str, str], due_days: Mapping[str, int]) -> Action:
    types = tuple(sorted({s.type for s in group}))
    impact = round(_impact(kind, account, score, group), 2)
    confidence = max(s.confidence for s in group)
    due = _due(kind, group, as_of, due_days)
    key = "|".join([account.account_id, kind, *types])
    return Action(id=hashlib.sha1(key.encode()).hexdigest()[:12], account_id=account.account_id, kind=kind,
                  title=_title(kind, account, group, playbooks, as_of), why=_why(group), impact_mrr=impact,
                  owner=account.csm, due=due, signal_types=types,
                  priority=max(impact, 1.0) * _urgency(account, group, as_of) * confidence)


def _due(kind: str, group: Sequence[Signal], as_of: datetime, due_days: Mapping[str, int]) -> date:
    standard = as_of.date() + timedelta(days=due_days.get(kind, 7))
    if kind == "task":
        stated = [s.due for s in group if s.due is not None and s.due >= as_of.date()]
        return min(stated, default=standard)
    return standard


def _title(kind: str, account: Account, group: Sequence[Signal], playbooks: Mapping[str, str],
           as_of: datetime) -> str:
    template = playbooks.get(kind) or f"Act on {{account}}'s {kind} signals"
    before = (f"before the {account.renewal_date:%d %b} renewal"
              if account.renewal_date and account.renewal_date >= as_of.date() else "this week")
    title = template.format(account=account.name, before_renewal=before, csm=account.csm or "the CSM")
    if kind == "task":
        return f"{title}: “{clip(group[0].evidence, 80)}”"
    return title


def _why(group: Sequence[Signal]) -> str:
    """The evidence behind an action, one quoted signal a line, strongest first."""
    parts = []
    for s in group[:3]:
        who = f" — {s.author}" if s.author else ""
        when = f", {s.ts:%d %b}" if s.message_id else ""
        parts.append(f"{BY_ID[s.type].title}: “{clip(s.evidence, 160)}”{who}{when}")
    more = len(group) - 3
    if more > 0:
        parts.append(f"and {more} more signal{'s' if more > 1 else ''}")
    return "\n".join(parts)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def rank(actions: Sequence[Action], *, limit: int | None = None) -> list[Action]:
    ordered = sorted(actions, key=lambda a: (-a.priority, a.account_id, a.kind))
    return ordered[:limit] if limit else ordered
