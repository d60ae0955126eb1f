"""Projected NRR and GRR with a range: a Monte Carlo over each account's outcomes.

The point figures are expectations (`scoring.project_portfolio`).  The range
comes from simulating the horizon many times: each account churns with
p_churn; if it stays, it contracts with p_contraction (losing its contraction
size) and expands with p_expansion (gaining its expansion size).  The 10th and
90th percentiles of NRR and GRR across runs give the 80% interval.  A
portfolio with one giant account gets a wide range, as it should; a normal
approximation would hide that.  The generator is seeded, so a report is the
same every time it is run on the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from signals.scoring import AccountScore, PortfolioProjection, project_portfolio

INTERVAL = (10.0, 90.0)  # percentiles: an 80% interval
_CHUNK = 250             # simulations per batch: bounds memory at 5,000+ accounts


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def to_list(self) -> list[float]:
        return [round(self.low, 1), round(self.high, 1)]


@dataclass(frozen=True)
class Projection:
    expected: PortfolioProjection
    nrr_range: Range | None
    grr_range: Range | None


def project(scores: Sequence[AccountScore], *, simulations: int = 2000, seed: int = 0) -> Projection:
    """The expected figures and their 80% interval for one group of accounts."""
    groups = project_groups(scores, lambda s: "*", simulations=simulations, seed=seed)
    return groups.get("*") or empty()


def empty() -> Projection:
    """No paying accounts: nothing to project and no range."""
    return Projection(project_portfolio([]), None, None)


def project_groups(scores: Sequence[AccountScore], group_of: Callable[[AccountScore], str], *,
                   simulations: int = 2000, seed: int = 0) -> dict[str, Projection]:
    """Per group (segment, CSM...), from one shared set of simulations."""
    return project_groupings(scores, {"": group_of}, simulations=simulations, seed=seed)[""]


def project_groupings(scores: Sequence[AccountScore], groupings: Mapping[str, Callable[[AccountScore], str]], *,
                      simulations: int = 2000, seed: int = 0) -> dict[str, dict[str, Projection]]:
    """Several groupings at once (the whole portfolio, by segment, by CSM) from one set of simulations.

    The draws depend only on the accounts and the seed, so every grouping
    sees the same simulated futures and a report simulates once.
    """
    active = [s for s in scores if s.mrr > 0]
    columns = [(name, group) for name, group_of in groupings.items() for group in sorted({group_of(s) for s in active})]
    out: dict[str, dict[str, Projection]] = {name: {} for name in groupings}
    if not active:
        return out
    column = {key: j for j, key in enumerate(columns)}
    member = np.zeros((len(active), len(columns)))
    for i, s in enumerate(active):
        for name, group_of in groupings.items():
            member[i, column[(name, group_of(s))]] = 1.0
    nrr, grr = _simulate(active, member, simulations, seed)
    for j, (name, group) in enumerate(columns):
        members = [s for s, m in zip(active, member[:, j]) if m]
        out[name][group] = Projection(project_portfolio(members), _range(nrr[:, j]), _range(grr[:, j]))
    return out


def _simulate(active: Sequence[AccountScore], member: np.ndarray, simulations: int,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
    """NRR and GRR per simulation and group column, shape (simulations, groups); `member` is accounts x groups."""
    rng = np.random.default_rng(seed)
    mrr = np.array([s.mrr for s in active])
    p = {o: np.array([s.probability(o) for s in active]) for o in ("churn", "contraction", "expansion")}
    lose = mrr * np.array([s.base.contraction_size for s in active])
    gain = mrr * np.array([s.base.expansion_size for s in active])
    start = mrr @ member
    nrr, grr = np.empty((simulations, member.shape[1])), np.empty((simulations, member.shape[1]))
    for first in range(0, simulations, _CHUNK):
        n = min(_CHUNK, simulations - first)
        draws = rng.random((3, n, len(active)))
        churned = draws[0] < p["churn"]
        stays = ~churned
        lost = (np.where(churned, mrr, 0.0) + np.where(stays & (draws[1] < p["contraction"]), lose, 0.0)) @ member
        gained = np.where(stays & (draws[2] < p["expansion"]), gain, 0.0) @ member
        nrr[first:first + n] = (start - lost + gained) / start * 100
        grr[first:first + n] = np.minimum(100.0, (start - lost) / start * 100)
    return nrr, grr


def _range(values: np.ndarray) -> Range:
    low, high = np.percentile(values, INTERVAL)
    return Range(float(low), float(high))


def to_dict(projection: Projection) -> dict[str, object]:
    e = projection.expected
    return {"accounts": e.accounts, "start_mrr": round(e.start_mrr, 2),
            "projected_churn_mrr": round(e.churn_mrr, 2), "projected_contraction_mrr": round(e.contraction_mrr, 2),
            "projected_expansion_mrr": round(e.expansion_mrr, 2),
            "projected_nrr": _pct(e.nrr), "projected_grr": _pct(e.grr),
            "projected_nrr_range": projection.nrr_range.to_list() if projection.nrr_range else None,
            "projected_grr_range": projection.grr_range.to_list() if projection.grr_range else None}


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def group_key(by: str, accounts: Mapping[str, object]) -> Callable[[AccountScore], str]:
    """A grouping function over scores by an account attribute (segment, csm, plan)."""
    def key(score: AccountScore) -> str:
        return str(getattr(accounts[score.account_id], by, None) or "(none)")
    return key
