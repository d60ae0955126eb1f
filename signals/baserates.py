"""What happens to an account with no signals: base rates per segment, from revenue history.

An account's prior chance of churning, contracting or expanding within the
scoring horizon, and the usual size of a contraction or expansion, estimated
from monthly MRR before the as-of month.  Rates are monthly hazards
(movements per active account-month) turned into a horizon probability,
1 − (1 − h)^months, so a short history still gives an estimate.  A segment's
rate is shrunk towards the whole portfolio's by `prior_months` of pseudo
exposure, so a segment of five accounts with one churn does not read 20%.
With no history at all the configured defaults apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from signals.nrr import History, Month, classify_movement

OUTCOMES = ("churn", "contraction", "expansion")
PORTFOLIO = "*"


@dataclass(frozen=True)
class BaseRates:
    """Horizon probabilities of each outcome and the mean relative size of a move."""

    churn: float
    contraction: float
    expansion: float
    contraction_size: float  # share of MRR lost when an account contracts
    expansion_size: float    # share of MRR gained when an account expands
    exposure: int = 0        # active account-months behind the estimate (0: the defaults)

    def probability(self, outcome: str) -> float:
        return getattr(self, outcome)


@dataclass
class _Tally:
    months: int = 0
    churn: int = 0
    contraction: int = 0
    expansion: int = 0
    contraction_share: float = 0.0
    expansion_share: float = 0.0

    def add(self, other: "_Tally") -> None:
        for key in vars(self):
            setattr(self, key, getattr(self, key) + getattr(other, key))


def estimate(history: History, groups: Mapping[str, str | None], *, before: str | Month, horizon_months: int,
             defaults: BaseRates, prior_months: int = 600) -> dict[str, BaseRates]:
    """Base rates per group value (e.g. segment) and for the whole portfolio under "*".

    Only movements into months up to and including ``before`` count: a backtest
    as of a date never learns from what came after it.
    """
    known = [Month.parse(k) for series in history.values() for k in series]
    # Months after the last one in the history are unknown, not churn.
    last = min(Month.parse(before), max(known)) if known else Month.parse(before)
    tallies: dict[str, _Tally] = {}
    for account_id, series in history.items():
        tally = _account_tally(series, last)
        if tally.months:
            tallies.setdefault(str(groups.get(account_id) or "").strip(), _Tally()).add(tally)
    whole = _Tally()
    for tally in tallies.values():
        whole.add(tally)
    portfolio = _rates(whole, horizon_months, defaults, prior_months=0)
    out = {group: _rates(tally, horizon_months, portfolio, prior_months) for group, tally in tallies.items()
           if group}
    out[PORTFOLIO] = portfolio
    return out


def for_group(rates: Mapping[str, BaseRates], group: str | None) -> BaseRates:
    return rates.get(str(group or "").strip()) or rates[PORTFOLIO]


def _account_tally(series: Mapping[str, float], last: Month) -> _Tally:
    """One account's active months and its movements out of them, up to ``last``."""
    by_month = {Month.parse(k): float(v) for k, v in series.items()}
    tally = _Tally()
    paid = sorted(m for m, v in by_month.items() if v > 0 and m < last)
    for month in paid:
        before, after = by_month[month], by_month.get(month + 1, 0.0)
        tally.months += 1
        kind = classify_movement(before, after, paid_before=True)
        if kind == "churn":
            tally.churn += 1
        elif kind == "contraction":
            tally.contraction += 1
            tally.contraction_share += (before - after) / before
        elif kind == "expansion":
            tally.expansion += 1
            tally.expansion_share += (after - before) / before
    return tally


def _rates(tally: _Tally, horizon: int, prior: BaseRates, prior_months: int) -> BaseRates:
    if not tally.months:
        return prior
    monthly = {o: (getattr(tally, o) + prior_months * _hazard(prior.probability(o), horizon))
               / (tally.months + prior_months) for o in OUTCOMES}
    return BaseRates(
        **{o: 1.0 - (1.0 - monthly[o]) ** horizon for o in OUTCOMES},
        contraction_size=_mean(tally.contraction_share, tally.contraction, prior.contraction_size),
        expansion_size=_mean(tally.expansion_share, tally.expansion, prior.expansion_size),
        exposure=tally.months)


def _hazard(probability: float, horizon: int) -> float:
    """The monthly hazard that gives ``probability`` over ``horizon`` months."""
    return 1.0 - (1.0 - probability) ** (1.0 / horizon)


def _mean(total: float, count: int, prior: float, weight: int = 3) -> float:
    """A mean size shrunk towards the prior by `weight` pseudo observations."""
    return (total + weight * prior) / (count + weight)
