"""The multithread agent: who at the customer is still engaged, and how much.

Two kinds of output.  `assess` reads messages for `champion_departure`, like
the other message-level agents.  `derive` looks at an account's message
timing as a whole — not at any one message — for the derived signals:
`single_threaded` (one engaged customer contact in the trailing window, or
none senior) and `engagement_drop` (customer messages falling well below
their own baseline, replies slowing, or an active account gone silent).
Derived signals quote figures, not words, as their evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import ClassVar, Sequence

from agents.base import Classifier, assess_with
from connectors.base import Message
from signals.portfolio import Account, Contact, Signal

Activity = tuple[datetime, str, str, str | None]  # (ts, author_side, author, thread_id)
Finding = tuple[str, float, str]                  # (signal type, confidence, evidence)
DEFAULT_SENIOR = ("chief", "ceo", "cfo", "cto", "coo", "vp", "vice president", "head of", "director",
                  "founder", "owner", "president")


@dataclass(frozen=True)
class Engagement:
    """An account's customer-side engagement as of a date."""

    engaged: tuple[str, ...]       # distinct customer authors in the trailing window
    recent: int                    # customer messages in the trailing window
    baseline: int                  # customer messages in the baseline window before it
    last_customer: datetime | None
    recent_latency_h: float | None = None    # median hours from a vendor message to the customer's reply
    baseline_latency_h: float | None = None


@dataclass
class MultithreadAgent:
    name: ClassVar[str] = "multithread"
    classifier: Classifier
    window_days: int = 30
    baseline_days: int = 60
    drop_ratio: float = 0.4
    silence_days: int = 21
    senior_titles: tuple[str, ...] = field(default=DEFAULT_SENIOR)

    def assess(self, account: Account, messages: Sequence[Message]) -> list[Signal]:
        return assess_with(self.classifier, account, messages, agent=self.name,
                           types=frozenset({"champion_departure"}), customer_only=True)

    def derive(self, account: Account, activity: Sequence[Activity], contacts: Sequence[Contact], *,
               as_of: datetime) -> list[Signal]:
        stats = self.engagement(activity, as_of=as_of)
        found = [self._single_threaded(account, stats, contacts), self._drop(account, stats, as_of)]
        return [_derived(account, type_, confidence, text, as_of) for type_, confidence, text in filter(None, found)]

    def engagement(self, activity: Sequence[Activity], *, as_of: datetime) -> Engagement:
        return engagement(activity, as_of=as_of, window_days=self.window_days, baseline_days=self.baseline_days)

    def _single_threaded(self, account: Account, stats: Engagement, contacts: Sequence[Contact]) -> Finding | None:
        if not stats.engaged:
            return None
        titles = {c.name.lower(): c.title for c in contacts if c.title}
        if len(stats.engaged) == 1:
            who = stats.engaged[0]
            role = f" ({titles[who.lower()]})" if who.lower() in titles else ""
            text = (f"Only {who}{role} has written in the last {self.window_days} days "
                    f"({stats.recent} message{'s' if stats.recent != 1 else ''}).")
            return ("single_threaded", 0.85, text)
        known = [titles[w.lower()] for w in stats.engaged if w.lower() in titles]
        if known and len(known) == len(stats.engaged) and not any(self._is_senior(t) for t in known):
            text = (f"{len(stats.engaged)} customer contacts engaged in the last {self.window_days} days, "
                    f"none senior ({', '.join(sorted(set(known)))}).")
            return ("single_threaded", 0.55, text)
        return None

    def _drop(self, account: Account, stats: Engagement, as_of: datetime) -> Finding | None:
        weeks_recent, weeks_base = self.window_days / 7, self.baseline_days / 7
        base_rate, recent_rate = stats.baseline / weeks_base, stats.recent / weeks_recent
        silent_days = (as_of - stats.last_customer).days if stats.last_customer else None
        if stats.baseline >= 3 and silent_days is not None and silent_days >= self.silence_days:
            return ("engagement_drop", 0.8,
                                f"No customer message for {silent_days} days, after {stats.baseline} in the "
                                f"{self.baseline_days} days before.")
        if stats.baseline >= 4 and recent_rate < self.drop_ratio * base_rate:
            confidence = round(min(0.9, 0.5 + 0.5 * (1 - recent_rate / base_rate)), 2)
            return ("engagement_drop", confidence,
                                f"Customer messages fell from {base_rate:.1f}/week to {recent_rate:.1f}/week "
                                f"in the last {self.window_days} days.")
        return self._slower_replies(account, stats)

    def _slower_replies(self, account: Account, stats: Engagement) -> Finding | None:
        recent, base = stats.recent_latency_h, stats.baseline_latency_h
        if recent is None or base is None or recent < 24 or recent < 2.5 * max(base, 1.0):
            return None
        return ("engagement_drop", 0.6,
                            f"Customer replies slowed from a median of {_hours(base)} to {_hours(recent)} "
                            f"in the last {self.window_days} days.")

    def _is_senior(self, title: str) -> bool:
        lowered = title.lower()
        return any(word in lowered for word in self.senior_titles)



def engagement(activity: Sequence[Activity], *, as_of: datetime, window_days: int = 30,
               baseline_days: int = 60) -> Engagement:
    """Who at the customer wrote in the trailing window, how much against the baseline, how fast they reply."""
    start = as_of - timedelta(days=window_days)
    base_start = start - timedelta(days=baseline_days)
    customer = [(ts, who) for ts, side, who, _ in activity if side != "vendor" and ts <= as_of]
    recent = [(ts, who) for ts, who in customer if ts > start]
    baseline = [ts for ts, _ in customer if base_start < ts <= start]
    latencies = _reply_latencies(activity, as_of)
    return Engagement(
        engaged=tuple(sorted({who for _, who in recent})), recent=len(recent), baseline=len(baseline),
        last_customer=max((ts for ts, _ in customer), default=None),
        recent_latency_h=_median([h for ts, h in latencies if ts > start]),
        baseline_latency_h=_median([h for ts, h in latencies if base_start < ts <= start]))


def _derived(account: Account, type_: str, confidence: float, evidence: str, as_of: datetime) -> Signal:
    return Signal(type=type_, account_id=account.account_id, confidence=confidence, evidence=evidence,
                  ts=as_of, agent=MultithreadAgent.name, backend="derived")


def _reply_latencies(activity: Sequence[Activity], as_of: datetime) -> list[tuple[datetime, float]]:
    """(reply time, hours) for each customer reply that follows a vendor message in the same thread."""
    waiting: dict[str, datetime] = {}
    out = []
    for ts, side, _, thread in activity:
        if ts > as_of or thread is None:
            continue
        if side == "vendor":
            waiting.setdefault(thread, ts)
        elif thread in waiting:
            out.append((ts, (ts - waiting.pop(thread)).total_seconds() / 3600))
    return out


def _median(values: list[float]) -> float | None:
    return median(values) if len(values) >= 3 else None


def _hours(h: float) -> str:
    if h < 1:
        return f"{max(1, round(h * 60))} min"
    return f"{h:.0f}h" if h < 48 else f"{h / 24:.1f} days"
