"""The scorer: evidence combines per side, decays with age, repeats count less, renewals weigh more."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from signals.portfolio import Account, Signal
from signals.scoring import ScoringParams, decay, project_portfolio, score_account

NOW = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)
PARAMS = ScoringParams()


def sig(type_: str, *, days_ago: float = 1, confidence: float = 0.9, n: int = 0) -> Signal:
    return Signal(type_, "A", confidence, f"evidence {n}", NOW - timedelta(days=days_ago), "risk", "local",
                  source="slack", message_id=f"m{n}")


def account(mrr: float = 10_000, renewal: date | None = None) -> Account:
    return Account("A", "Acme", mrr, renewal_date=renewal)


def test_no_signals_means_no_risk_and_no_money() -> None:
    s = score_account(account(), [], as_of=NOW, params=PARAMS)
    assert (s.risk_score, s.expansion_score, s.churn_mrr, s.expansion_mrr) == (0, 0, 0, 0)


def test_churn_intent_moves_risk_and_expected_churn() -> None:
    s = score_account(account(), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    assert 0.3 < s.risk_score < 0.5
    assert s.churn_mrr == pytest.approx(10_000 * s.p_churn)
    assert s.contributions[0].signal.type == "churn_intent"


def test_scores_stay_in_unit_interval_under_many_signals() -> None:
    many = [sig(t, n=i) for i in range(30) for t in ("churn_intent", "budget_pressure", "expansion_interest")]
    s = score_account(account(), many, as_of=NOW, params=PARAMS)
    assert 0 <= s.risk_score <= 1 and 0 <= s.expansion_score <= 1
    assert s.churn_mrr + s.contraction_mrr <= 10_000


def test_old_evidence_counts_less() -> None:
    fresh = score_account(account(), [sig("dissatisfaction", days_ago=1)], as_of=NOW, params=PARAMS)
    old = score_account(account(), [sig("dissatisfaction", days_ago=90)], as_of=NOW, params=PARAMS)
    assert old.risk_score < fresh.risk_score / 3
    assert decay(45, 45) == pytest.approx(0.5)


def test_repeats_have_diminishing_returns() -> None:
    one = score_account(account(), [sig("dissatisfaction")], as_of=NOW, params=PARAMS).p_churn
    five = score_account(account(), [sig("dissatisfaction", n=i) for i in range(5)], as_of=NOW, params=PARAMS).p_churn
    assert one < five < 2 * one


def test_a_near_renewal_raises_churn_risk() -> None:
    far = score_account(account(renewal=date(2027, 9, 1)), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    near = score_account(account(renewal=date(2026, 12, 1)), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    assert near.risk_score > far.risk_score


def test_config_weights_override_the_catalog() -> None:
    heavy = ScoringParams(weights={"growth_event": 0.9})
    assert score_account(account(), [sig("growth_event")], as_of=NOW, params=heavy).expansion_score > \
        score_account(account(), [sig("growth_event")], as_of=NOW, params=PARAMS).expansion_score


def test_action_items_carry_no_money() -> None:
    s = score_account(account(), [sig("action_item")], as_of=NOW, params=PARAMS)
    assert s.risk_score == 0 and s.expansion_score == 0


def test_portfolio_projection_nrr_and_capped_grr() -> None:
    a = score_account(account(10_000), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    b = score_account(Account("B", "B", 10_000), [sig("expansion_interest")], as_of=NOW, params=PARAMS)
    p = project_portfolio([a, b])
    assert p.start_mrr == 20_000
    assert p.nrr == pytest.approx((20_000 - a.churn_mrr + b.expansion_mrr) / 20_000 * 100)
    assert p.grr <= 100
    only_growth = project_portfolio([b])
    assert only_growth.grr == 100 and only_growth.nrr > 100
