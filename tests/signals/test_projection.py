"""Projected NRR and GRR with an 80% interval, by simulation."""

from __future__ import annotations

import pytest

from signals.baserates import BaseRates
from signals.projection import project, project_groups
from signals.scoring import AccountScore

SIZES = dict(contraction_size=0.5, expansion_size=0.2)


def score(account_id: str, mrr: float, churn: float, contraction: float = 0.0, expansion: float = 0.0) -> AccountScore:
    base = BaseRates(churn=churn, contraction=contraction, expansion=expansion, **SIZES)
    alive = 1 - churn
    return AccountScore(account_id, mrr, base, churn, contraction, expansion, 0.0, expansion,
                        mrr * churn, mrr * alive * contraction * 0.5, mrr * alive * expansion * 0.2)


def test_the_interval_brackets_the_expectation_and_is_deterministic() -> None:
    scores = [score(f"A{i}", 1000, 0.1, 0.1, 0.2) for i in range(200)]
    p = project(scores, simulations=2000)
    assert p.nrr_range.low < p.expected.nrr < p.nrr_range.high
    assert p.grr_range.high <= 100
    assert project(scores, simulations=2000) == p


def test_the_interval_matches_the_binomial_spread() -> None:
    # 400 equal accounts, each churning with 10%: NRR = 100 - 100 x churned/400, churned ~ Binomial(400, 0.1).
    scores = [score(f"A{i}", 100, 0.1) for i in range(400)]
    p = project(scores, simulations=4000)
    sd = (400 * 0.1 * 0.9) ** 0.5 / 400 * 100  # 1.5 points
    assert p.expected.nrr == pytest.approx(90.0)
    assert p.nrr_range.low == pytest.approx(90 - 1.2816 * sd, abs=0.5)
    assert p.nrr_range.high == pytest.approx(90 + 1.2816 * sd, abs=0.5)


def test_one_giant_account_makes_the_range_wide() -> None:
    many = project([score(f"A{i}", 100, 0.2) for i in range(100)], simulations=2000)
    giant = project([score("G", 9_000, 0.2)] + [score(f"A{i}", 10, 0.2) for i in range(100)], simulations=2000)
    assert (giant.nrr_range.high - giant.nrr_range.low) > 3 * (many.nrr_range.high - many.nrr_range.low)


def test_groups_share_the_simulation_and_split_the_money() -> None:
    scores = [score("A", 1000, 0.5), score("B", 3000, 0.0, expansion=1.0)]
    groups = project_groups(scores, lambda s: "risky" if s.account_id == "A" else "growing", simulations=500)
    assert set(groups) == {"risky", "growing"}
    assert groups["growing"].expected.nrr == pytest.approx(120.0)
    assert groups["growing"].nrr_range.low == pytest.approx(120.0)
    assert groups["risky"].nrr_range.low == 0.0 and groups["risky"].nrr_range.high == 100.0


def test_an_empty_portfolio_has_no_range() -> None:
    p = project([])
    assert p.expected.accounts == 0 and p.expected.nrr is None and p.nrr_range is None
