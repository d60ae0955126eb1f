"""Base rates: monthly hazards from revenue history, per segment, shrunk towards the portfolio."""

from __future__ import annotations

import pytest

from signals.baserates import PORTFOLIO, BaseRates, estimate, for_group

DEFAULTS = BaseRates(churn=0.08, contraction=0.10, expansion=0.15, contraction_size=0.3, expansion_size=0.25)
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def flat(mrr: float, months=MONTHS) -> dict[str, float]:
    return {m: mrr for m in months}


def test_no_history_gives_the_defaults() -> None:
    rates = estimate({}, {}, before="2025-12", horizon_months=12, defaults=DEFAULTS)
    assert rates[PORTFOLIO] == DEFAULTS


def test_hazards_become_horizon_probabilities() -> None:
    # 10 accounts x 11 observed month-to-month steps; one churn in the year.
    history = {f"A{i}": flat(100) for i in range(9)} | {"A9": flat(100, MONTHS[:6])}
    rates = estimate(history, {}, before="2025-12", horizon_months=12, defaults=DEFAULTS)[PORTFOLIO]
    months = 9 * 11 + 6  # A9 is observed for six steps, the last of them its churn
    assert rates.exposure == months
    assert rates.churn == pytest.approx(1 - (1 - 1 / months) ** 12)
    assert rates.contraction == 0 and rates.expansion == 0


def test_movement_sizes_are_averaged_with_a_prior() -> None:
    history = {"A": flat(100, MONTHS[:6]) | flat(50, MONTHS[6:])}  # one 50% contraction
    rates = estimate(history, {}, before="2025-12", horizon_months=12, defaults=DEFAULTS)[PORTFOLIO]
    assert rates.contraction_size == pytest.approx((0.5 + 3 * 0.3) / 4)


def test_nothing_after_the_as_of_month_is_seen() -> None:
    history = {"A": flat(100, MONTHS[:10]), "B": flat(100)}  # A churns in 2025-11
    before = estimate(history, {}, before="2025-10", horizon_months=12, defaults=DEFAULTS)[PORTFOLIO]
    after = estimate(history, {}, before="2025-12", horizon_months=12, defaults=DEFAULTS)[PORTFOLIO]
    assert before.churn == 0 and after.churn > 0


def test_months_after_the_history_are_not_churn() -> None:
    history = {"A": flat(100)}
    rates = estimate(history, {}, before="2026-06", horizon_months=12, defaults=DEFAULTS)[PORTFOLIO]
    assert rates.churn == 0 and rates.exposure == 11


def test_a_small_segment_is_shrunk_towards_the_portfolio() -> None:
    history = {f"E{i}": flat(100) for i in range(40)} | {"S0": flat(10, MONTHS[:3]), "S1": flat(10)}
    groups = {f"E{i}": "Enterprise" for i in range(40)} | {"S0": "SMB", "S1": "SMB"}
    rates = estimate(history, groups, before="2025-12", horizon_months=12, defaults=DEFAULTS, prior_months=120)
    raw = 1 - (1 - 1 / 14) ** 12  # SMB's own: one churn in 14 account-months
    assert rates[PORTFOLIO].churn < rates["SMB"].churn < raw
    assert rates["Enterprise"].churn < rates[PORTFOLIO].churn
    assert for_group(rates, "Mid-Market") == rates[PORTFOLIO]
