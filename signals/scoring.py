"""From an account's signals to money: probabilities, scores and expected MRR.

Three outcomes within the horizon (12 months by default): the account
churns, contracts, or expands.  Each starts from its base rate (the
account's segment, from revenue history; see `baserates`) and every signal
adds log-odds to the outcomes it bears on:

    logit p(outcome) = logit base(outcome) + Σ effect(type, outcome) × strength

An occurrence's strength is its confidence × a recency decay (half-life) ×
a repeat discount (the k-th occurrence of a type counts repeat_decay^k,
strongest first) × a boost on churn and contraction when the renewal is
near.  Effects come from the catalog, are overridden in config
(`[scoring.effects]`) and fitted by `groundswell calibrate`; a type may move
several outcomes, and in either direction (praise lowers churn odds).

    churn_mrr       = mrr × p_churn
    contraction_mrr = mrr × (1 − p_churn) × p_contraction × contraction size
    expansion_mrr   = mrr × (1 − p_churn) × p_expansion × expansion size

`risk_score` = P(churn or contraction) = 1 − (1 − p_churn)(1 − p_contraction)
and `expansion_score` = p_expansion, both in [0, 1].  Every score explains
itself: its contributions are a waterfall from the base rate, one step per
signal, strongest first, whose money steps add up to the expected MRR.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Mapping, Sequence

from signals.baserates import OUTCOMES, BaseRates
from signals.catalog import BY_ID
from signals.portfolio import Account, Signal

DEFAULT_RATES = BaseRates(churn=0.08, contraction=0.10, expansion=0.15, contraction_size=0.3, expansion_size=0.25)
RISK_OUTCOMES = ("churn", "contraction")
_EDGE = 1e-6  # keeps base rates of 0 or 1 finite in log-odds


@dataclass(frozen=True)
class ScoringParams:
    half_life_days: float = 45.0
    repeat_decay: float = 0.5
    renewal_window_days: int = 120
    renewal_boost: float = 1.5
    horizon_months: int = 12
    # Overrides of the catalog's effects: {type: {outcome: log-odds per full-strength occurrence}}.
    effects: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    defaults: BaseRates = DEFAULT_RATES  # base rates when there is no revenue history

    def effect(self, type_id: str, outcome: str) -> float:
        override = self.effects.get(type_id, {})
        return float(override[outcome]) if outcome in override else BY_ID[type_id].effect(outcome)


@dataclass(frozen=True)
class Contribution:
    """One signal's step in an outcome's waterfall."""

    signal: Signal
    outcome: str
    strength: float      # confidence × decay × repeat discount × renewal boost
    log_odds: float      # effect × strength
    probability: float   # how much this step moved the outcome's probability
    mrr: float           # how much it moved the outcome's expected MRR


@dataclass(frozen=True)
class AccountScore:
    account_id: str
    mrr: float
    base: BaseRates
    p_churn: float
    p_contraction: float
    p_expansion: float
    risk_score: float
    expansion_score: float
    churn_mrr: float
    contraction_mrr: float
    expansion_mrr: float
    contributions: tuple[Contribution, ...] = ()

    def probability(self, outcome: str) -> float:
        return getattr(self, f"p_{outcome}")

    def expected_mrr(self, outcome: str) -> float:
        return getattr(self, f"{outcome}_mrr")

    def base_mrr(self, outcome: str) -> float:
        """The outcome's expected MRR had there been no signals (the churn factor as scored)."""
        return self.expected_mrr(outcome) - sum(c.mrr for c in self.contributions if c.outcome == outcome)


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


def strengths(signals: Iterable[Signal], *, as_of: datetime, params: ScoringParams) -> list[tuple[Signal, float]]:
    """Each signal with its strength before the renewal boost: confidence × decay × repeat discount."""
    by_type: dict[str, list[tuple[Signal, float]]] = defaultdict(list)
    for s in signals:
        if BY_ID[s.type].side == "task":
            continue
        age = (as_of - s.ts).total_seconds() / 86400
        by_type[s.type].append((s, s.confidence * decay(age, params.half_life_days)))
    out = []
    for items in by_type.values():
        items.sort(key=lambda pair: (-pair[1], pair[0].ts))
        out.extend((s, w * params.repeat_decay ** k) for k, (s, w) in enumerate(items))
    return out


def evidence(account: Account, signals: Iterable[Signal], *, as_of: datetime, params: ScoringParams,
             outcome: str) -> dict[str, float]:
    """Per type, the total strength the outcome's effect multiplies: the features calibration fits effects on."""
    boost = _boost(outcome, renewal_factor(account.renewal_date, as_of.date(), params))
    totals: dict[str, float] = defaultdict(float)
    for s, w in strengths(signals, as_of=as_of, params=params):
        totals[s.type] += w * boost
    return dict(totals)


def _boost(outcome: str, renewal: float) -> float:
    """Renewal proximity makes churn and contraction evidence count more, not expansion."""
    return renewal if outcome in RISK_OUTCOMES else 1.0


def score_account(account: Account, signals: Sequence[Signal], *, as_of: datetime, params: ScoringParams,
                  base: BaseRates | None = None) -> AccountScore:
    base = base or params.defaults
    boost = renewal_factor(account.renewal_date, as_of.date(), params)
    steps: dict[str, list[tuple[Signal, float, float]]] = {o: [] for o in OUTCOMES}
    for s, w in strengths(signals, as_of=as_of, params=params):
        for outcome in OUTCOMES:
            effect = params.effect(s.type, outcome)
            if effect:
                strength = w * _boost(outcome, boost)
                steps[outcome].append((s, strength, effect * strength))
    walks, p = {}, {}
    for o in OUTCOMES:
        walks[o], p[o] = _waterfall(base.probability(o), steps[o])
    alive = 1.0 - p["churn"]
    scale = {"churn": account.mrr, "contraction": account.mrr * alive * base.contraction_size,
             "expansion": account.mrr * alive * base.expansion_size}
    contributions = [Contribution(s, o, strength, log_odds, dp, dp * scale[o])
                     for o in OUTCOMES for (s, strength, log_odds), dp in walks[o]]
    contributions.sort(key=lambda c: (-abs(c.mrr), -abs(c.log_odds), c.signal.ts))
    return AccountScore(
        account_id=account.account_id, mrr=account.mrr, base=base,
        p_churn=p["churn"], p_contraction=p["contraction"], p_expansion=p["expansion"],
        risk_score=1.0 - alive * (1.0 - p["contraction"]), expansion_score=p["expansion"],
        churn_mrr=p["churn"] * scale["churn"], contraction_mrr=p["contraction"] * scale["contraction"],
        expansion_mrr=p["expansion"] * scale["expansion"], contributions=tuple(contributions))


def _waterfall(base: float, steps: list[tuple[Signal, float, float]]) -> tuple[list[tuple[tuple[Signal, float, float], float]], float]:
    """Each step (strongest log-odds first) with the change in the outcome's probability it makes,
    and the probability after all of them (`base` itself when there are none)."""
    odds = logit(base)
    p = base
    out = []
    for step in sorted(steps, key=lambda st: -abs(st[2])):
        odds += step[2]
        after = _sigmoid(odds)
        out.append((step, after - p))
        p = after
    return out, p


def logit(p: float) -> float:
    p = min(max(p, _EDGE), 1.0 - _EDGE)
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def project_portfolio(scores: Sequence[AccountScore]) -> PortfolioProjection:
    active = [s for s in scores if s.mrr > 0]
    return PortfolioProjection(accounts=len(active), start_mrr=sum(s.mrr for s in active),
                               churn_mrr=sum(s.churn_mrr for s in active),
                               contraction_mrr=sum(s.contraction_mrr for s in active),
                               expansion_mrr=sum(s.expansion_mrr for s in active))
