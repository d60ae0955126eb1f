"""Calibration: fit each signal type's effect on revenue from the company's own history.

`groundswell calibrate --as-of DATE` scores every account active on DATE
from the signals up to it, looks at what its revenue did in the horizon after
it (churned, contracted, expanded), and fits the per-type effects of the
scorer's model (`signals.scoring`) by maximum a posteriori logistic
regression: each outcome's log-odds are its segment base rate plus the
effects times the evidence, and an L2 pull towards the current effects keeps
a small portfolio from swinging them wildly (`calibration_strength`).

The backtest it prints ranks the same accounts: AUC of `risk_score` against
churn-or-contraction and of `expansion_score` against expansion, precision
at k, and lead time (days from an account's first risk signal to the month
its revenue fell).  Figures for the fitted effects are cross-validated over
accounts, so they say how the effects will do on accounts they were not fit on.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import date
from statistics import median
from typing import Collection, Mapping, Sequence

import numpy as np

from groundswell.report import Scored
from signals.baserates import OUTCOMES
from signals.catalog import CATALOG
from signals.nrr import Month
from signals.portfolio import Account
from signals.scoring import RISK_OUTCOMES, AccountScore, ScoringParams, evidence, logit, score_account

FITTED_TYPES = tuple(t.id for t in CATALOG if t.side != "task")
RISK_TYPES = frozenset(t.id for t in CATALOG if t.side in RISK_OUTCOMES)
FOLDS = 5
PRECISION_AT = (5, 10, 20)


class CalibrationError(Exception):
    """History cannot support a fit (no revenue after the date, no accounts...)."""


@dataclass(frozen=True)
class Outcome:
    churned: bool
    contracted: bool
    expanded: bool
    loss_month: Month | None  # the first month revenue fell (churn or contraction)


@dataclass(frozen=True)
class Backtest:
    accounts: int
    losses: int            # accounts that churned or contracted
    expansions: int
    risk_auc: float | None
    expansion_auc: float | None
    precision_at: dict[int, float]
    lead_days: list[int]   # per lost account that had a risk signal before the date
    missed: int            # lost accounts with no risk signal before the date

    def to_dict(self) -> dict[str, object]:
        return {"accounts": self.accounts, "losses": self.losses, "expansions": self.expansions,
                "risk_auc": _round(self.risk_auc), "expansion_auc": _round(self.expansion_auc),
                "precision_at": {str(k): round(v, 3) for k, v in self.precision_at.items()},
                "lead_time_days": {"median": median(self.lead_days) if self.lead_days else None,
                                   "each": self.lead_days, "no_signal_before": self.missed}}


@dataclass(frozen=True)
class Calibration:
    as_of: date
    window: tuple[Month, Month]
    effects: dict[str, dict[str, float]]
    before: Backtest           # the effects in config now
    after: Backtest            # the fitted effects, cross-validated over accounts
    fitted_in_sample: Backtest

    def to_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "outcome_window": [str(m) for m in self.window],
                "effects": self.effects, "before": self.before.to_dict(),
                "after_cross_validated": self.after.to_dict(), "after_in_sample": self.fitted_in_sample.to_dict()}


def outcomes(history: Mapping[str, Mapping[str, float]], accounts: Sequence[Account], as_of: date,
             horizon_months: int) -> tuple[dict[str, Outcome], tuple[Month, Month]]:
    """What each account's revenue did in the months after `as_of` (up to the horizon and the history's end)."""
    known = [Month.parse(m) for per in history.values() for m in per]
    start = Month.parse(as_of)
    if not known or max(known) <= start:
        raise CalibrationError(f"no revenue history after {start}: calibrate needs months after --as-of "
                               "to see what happened (load revenue.csv, or pick an earlier date)")
    window = [m for m in (start + k for k in range(1, horizon_months + 1)) if m <= max(known)]
    out = {}
    for a in accounts:
        series = {Month.parse(k): float(v) for k, v in history.get(a.account_id, {}).items()}
        after = [(m, series.get(m, 0.0)) for m in window]
        churn = next((m for m, v in after if v <= 0), None)
        dip = next((m for m, v in after if 0 < v < a.mrr), None)
        out[a.account_id] = Outcome(churned=churn is not None, contracted=churn is None and dip is not None,
                                    expanded=churn is None and any(v > a.mrr for _, v in after),
                                    loss_month=churn or dip)
    return out, (window[0], window[-1])


def calibrate(scored: Scored, *, as_of: date, params: ScoringParams, strength: float,
              until) -> Calibration:
    """Fitted effects and the backtest before and after (`until`: the end of the as-of day)."""
    accounts = scored.accounts
    if len(accounts) < 2:
        raise CalibrationError(f"only {len(accounts)} account(s) active on {as_of}: nothing to rank")
    result, window = outcomes(scored.history, accounts, as_of, params.horizon_months)
    rows = fit_rows(scored, result, params=params, until=until)
    effects = fit(rows, result.keys(), params=params, strength=strength)
    fitted = replace(params, effects=effects)
    before = backtest(scored, result, [scored.scores[a.account_id] for a in accounts])
    in_sample = backtest(scored, result, _rescore(scored, accounts, fitted, until))
    folds = [zlib.crc32(a.account_id.encode()) % FOLDS for a in accounts]
    cross = []
    for k in range(FOLDS):
        train = {a.account_id for a, f in zip(accounts, folds) if f != k}
        held = [a for a, f in zip(accounts, folds) if f == k]
        if held:
            fold_effects = fit(rows, train, params=params, strength=strength)
            cross += _rescore(scored, held, replace(params, effects=fold_effects), until)
    after = backtest(scored, result, cross)
    return Calibration(as_of, window, effects, before, after, in_sample)


def _rescore(scored: Scored, accounts: Sequence[Account], params: ScoringParams, until) -> list[AccountScore]:
    return [score_account(a, scored.signals[a.account_id], as_of=until, params=params,
                          base=scored.scores[a.account_id].base) for a in accounts]


@dataclass(frozen=True)
class Rows:
    """One outcome's regression inputs, one row per account it is fit on."""
    ids: list[str]
    x: np.ndarray       # evidence per fitted type
    offset: np.ndarray  # the segment base rate's log-odds
    y: np.ndarray       # 1.0 where the outcome happened


def fit_rows(scored: Scored, result: Mapping[str, Outcome], *, params: ScoringParams, until) -> dict[str, Rows]:
    """Rows per outcome, built once: the full fit and every fold take theirs from these.

    Churn is fit on every account, contraction and expansion on those that stayed.
    """
    accounts = {a.account_id: a for a in scored.accounts}
    out = {}
    for outcome in OUTCOMES:
        ids = [i for i in sorted(result) if outcome == "churn" or not result[i].churned]
        x = np.array([_features(evidence(accounts[i], scored.signals[i], as_of=until, params=params, outcome=outcome))
                      for i in ids])
        offset = np.array([logit(scored.scores[i].base.probability(outcome)) for i in ids])
        y = np.array([_happened(result[i], outcome) for i in ids], dtype=float)
        out[outcome] = Rows(ids, x, offset, y)
    return out


def fit(rows: Mapping[str, Rows], train: Collection[str], *, params: ScoringParams,
        strength: float) -> dict[str, dict[str, float]]:
    """MAP effects per outcome, fit on the rows of the accounts in `train`."""
    from scipy.optimize import minimize  # calibration only

    effects: dict[str, dict[str, float]] = {t: {} for t in FITTED_TYPES}
    for outcome, r in rows.items():
        take = [k for k, i in enumerate(r.ids) if i in train]
        if not take:
            continue
        prior = np.array([params.effect(t, outcome) for t in FITTED_TYPES])
        solution = minimize(_loss, prior, args=(r.x[take], r.offset[take], r.y[take], prior, strength), jac=True,
                            method="L-BFGS-B")
        for t, value in zip(FITTED_TYPES, solution.x):
            effects[t][outcome] = round(float(value), 3)
    return effects


def _features(by_type: Mapping[str, float]) -> list[float]:
    return [by_type.get(t, 0.0) for t in FITTED_TYPES]


def _happened(o: Outcome, outcome: str) -> bool:
    return {"churn": o.churned, "contraction": o.contracted, "expansion": o.expanded}[outcome]


def _loss(beta: np.ndarray, x: np.ndarray, offset: np.ndarray, y: np.ndarray, prior: np.ndarray,
          strength: float) -> tuple[float, np.ndarray]:
    """Negative log-likelihood plus the pull towards the prior, and its gradient."""
    z = offset + x @ beta
    p = 1.0 / (1.0 + np.exp(-z))
    nll = float(np.sum(np.logaddexp(0.0, z) - y * z))
    penalty = 0.5 * strength * float(np.sum((beta - prior) ** 2))
    return nll + penalty, x.T @ (p - y) + strength * (beta - prior)


def backtest(scored: Scored, result: Mapping[str, Outcome], scores: Sequence[AccountScore]) -> Backtest:
    lost = {i for i, o in result.items() if o.churned or o.contracted}
    grew = {i for i, o in result.items() if o.expanded}
    ranked = sorted(scores, key=lambda s: (-s.risk_score, s.account_id))
    precision = {k: sum(s.account_id in lost for s in ranked[:k]) / k for k in PRECISION_AT if k <= len(ranked)}
    lead, missed = [], 0
    for i in sorted(lost):
        first = min((s.ts for s in scored.signals[i] if s.type in RISK_TYPES), default=None)
        if first is None:
            missed += 1
        else:
            month = result[i].loss_month
            lead.append((date(month.year, month.month, 1) - first.date()).days)
    return Backtest(accounts=len(scores), losses=len(lost), expansions=len(grew),
                    risk_auc=auc([s.risk_score for s in scores], [s.account_id in lost for s in scores]),
                    expansion_auc=auc([s.expansion_score for s in scores], [s.account_id in grew for s in scores]),
                    precision_at=precision, lead_days=lead, missed=missed)


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float | None:
    """Probability that a random positive outranks a random negative (ties count half); None without both."""
    from scipy.stats import rankdata

    y = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if not n_pos or not n_neg:
        return None
    ranks = rankdata(np.asarray(scores, dtype=float))  # average ranks: ties count half (Mann-Whitney U)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
