"""From an account's signals to money: probabilities, scores and expected MRR.

Each signal adds evidence to one side of the NRR equation (catalog `side`).
Per side, occurrences combine like independent pieces of evidence,
p = 1 − Π(1 − wᵢ), where an occurrence's strength wᵢ is its type's weight ×
its confidence × a recency decay (half-life) × a repeat discount (the k-th
occurrence of the same type counts repeat_decay^k, strongest first), and
churn and contraction evidence is boosted when the renewal date is near.

    churn_mrr       = mrr × p_churn
    contraction_mrr = mrr × (1 − p_churn) × p_contraction × contraction_share
    expansion_mrr   = mrr × (1 − p_churn) × p_expansion × expansion_share

`risk_score` = 1 − (1 − p_churn)(1 − contraction_share·p_contraction) and
`expansion_score` = p_expansion, both in [0, 1].  Every score keeps the list
of contributions that built it, so it can explain itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from signals.catalog import BY_ID
from signals.portfolio import Account, Signal


@dataclass(frozen=True)
class ScoringParams:
    half_life_days: float = 45.0
    repeat_decay: float = 0.5
    contraction_share: float = 0.3
    expansion_share: float = 0.25
    renewal_window_days: int = 120
    renewal_boost: float = 1.5
    weights: Mapping[str, float] = field(default_factory=dict)

    def weight(self, type_id: str) -> float:
        return self.weights.get(type_id, BY_ID[type_id].weight)


@dataclass(frozen=True)
class Contribution:
    signal: Signal
    side: str
    strength: float  # the wᵢ this occurrence added to its side


@dataclass(frozen=True)
class AccountScore:
    account_id: str
    mrr: float
    p_churn: float
    p_contraction: float
    p_expansion: float
    risk_score: float
    expansion_score: float
    churn_mrr: float
    contraction_mrr: float
    expansion_mrr: float
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True)
class PortfolioProjection:
    accounts: int
    start_mrr: float
    churn_mrr: float
    contraction_mrr: float
    expansion_mrr: float

    @property
    def nrr(self) -> float | None:
        if not self.start_mrr:
            return None
        return (self.start_mrr + self.expansion_mrr - self.contraction_mrr - self.churn_mrr) / self.start_mrr * 100

    @property
    def grr(self) -> float | None:
        if not self.start_mrr:
            return None
        return min(100.0, (self.start_mrr - self.contraction_mrr - self.churn_mrr) / self.start_mrr * 100)


def decay(age_days: float, half_life_days: float) -> float:
    """Weight of evidence that is `age_days` old; future-dated evidence counts fully."""
    return 0.5 ** (max(age_days, 0.0) / half_life_days)


def renewal_factor(renewal: date | None, as_of: date, params: ScoringParams) -> float:
    if renewal is None:
        return 1.0
    days = (renewal - as_of).days
    return params.renewal_boost if 0 <= days <= params.renewal_window_days else 1.0


def contributions(signals: Iterable[Signal], *, as_of: datetime, renewal: date | None,
                  params: ScoringParams) -> list[Contribution]:
    """Each signal's strength on its side, after decay, repeats and renewal proximity."""
    by_type: dict[str, list[tuple[float, Signal]]] = defaultdict(list)
    for s in signals:
        side = BY_ID[s.type].side
        if side == "task":
            continue
        base = params.weight(s.type) * s.confidence * decay((as_of - s.ts).total_seconds() / 86400, params.half_life_days)
        if side in ("churn", "contraction"):
            base *= renewal_factor(renewal, as_of.date(), params)
        by_type[s.type].append((base, s))
    out = []
    for items in by_type.values():
        items.sort(key=lambda pair: -pair[0])
        out.extend(Contribution(s, BY_ID[s.type].side, min(0.95, w * params.repeat_decay ** k))
                   for k, (w, s) in enumerate(items))
    return out


def _combine(strengths: Iterable[float]) -> float:
    remaining = 1.0
    for w in strengths:
        remaining *= 1.0 - w
    return 1.0 - remaining


def score_account(account: Account, signals: Sequence[Signal], *, as_of: datetime,
                  params: ScoringParams) -> AccountScore:
    parts = contributions(signals, as_of=as_of, renewal=account.renewal_date, params=params)
    p = {side: _combine(c.strength for c in parts if c.side == side) for side in ("churn", "contraction", "expansion")}
    alive = 1.0 - p["churn"]
    return AccountScore(
        account_id=account.account_id, mrr=account.mrr, p_churn=p["churn"], p_contraction=p["contraction"],
        p_expansion=p["expansion"],
        risk_score=1.0 - alive * (1.0 - params.contraction_share * p["contraction"]),
        expansion_score=p["expansion"],
        churn_mrr=account.mrr * p["churn"],
        contraction_mrr=account.mrr * alive * p["contraction"] * params.contraction_share,
        expansion_mrr=account.mrr * alive * p["expansion"] * params.expansion_share,
        contributions=tuple(sorted(parts, key=lambda c: -c.strength)))


def project_portfolio(scores: Sequence[AccountScore]) -> PortfolioProjection:
    active = [s for s in scores if s.mrr > 0]
    return PortfolioProjection(accounts=len(active), start_mrr=sum(s.mrr for s in active),
                               churn_mrr=sum(s.churn_mrr for s in active),
                               contraction_mrr=sum(s.contraction_mrr for s in active),
                               expansion_mrr=sum(s.expansion_mrr for s in active))
