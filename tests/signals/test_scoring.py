"""The scorer: base rates plus log-odds per signal, decayed, confidence-weighted, repeats counting less."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

import pytest

from signals.baserates import BaseRates
from signals.portfolio import Account, Signal
from signals.scoring import ScoringParams, decay, project_portfolio, score_account

NOW = datetime(2026, 10, 31, 23, 59, tzinfo=timezone.utc)
PARAMS = ScoringParams()


def sig(type_: str, *, days_ago: float = 1, confidence: float = 0.9, n: int = 0) -> Signal:
    return Signal(type_, "A", confidence, f"evidence {n}", NOW - timedelta(days=days_ago), "risk", "local",
                  source="slack", message_id=f"m{n}")


def account(mrr: float = 10_000, renewal: date | None = None) -> Account:
    return Account("A", "Acme", mrr, renewal_date=renewal)


def test_no_signals_means_the_base_rates_and_nothing_more() -> None:
    s = score_account(account(), [], as_of=NOW, params=PARAMS)
    base = PARAMS.defaults
    assert (s.p_churn, s.p_contraction, s.p_expansion) == pytest.approx((base.churn, base.contraction, base.expansion))
    assert s.risk_score == pytest.approx(1 - (1 - base.churn) * (1 - base.contraction))
    assert s.churn_mrr == pytest.approx(10_000 * base.churn) and s.contributions == ()


def test_churn_intent_moves_risk_and_expected_churn() -> None:
    s = score_account(account(), [sig("churn_intent", confidence=1.0, days_ago=0)], as_of=NOW, params=PARAMS)
    logit = math.log(0.08 / 0.92) + PARAMS.effect("churn_intent", "churn")
    assert s.p_churn == pytest.approx(1 / (1 + math.exp(-logit)))
    assert s.churn_mrr == pytest.approx(10_000 * s.p_churn)
    assert s.contributions[0].signal.type == "churn_intent" and s.contributions[0].outcome == "churn"


def test_the_explanation_adds_up_to_the_expected_money() -> None:
    signals = [sig("churn_intent"), sig("dissatisfaction", n=1), sig("advocacy", n=2), sig("budget_pressure", n=3),
               sig("expansion_interest", n=4, days_ago=30)]
    s = score_account(account(renewal=date(2026, 12, 1)), signals, as_of=NOW, params=PARAMS)
    for outcome in ("churn", "contraction", "expansion"):
        steps = [c for c in s.contributions if c.outcome == outcome]
        assert steps
        assert s.base_mrr(outcome) + sum(c.mrr for c in steps) == pytest.approx(s.expected_mrr(outcome))
        assert s.base.probability(outcome) + sum(c.probability for c in steps) == pytest.approx(s.probability(outcome))
    praise = next(c for c in s.contributions if c.signal.type == "advocacy" and c.outcome == "churn")
    assert praise.mrr < 0  # praise lowers expected churn


def test_scores_stay_in_unit_interval_under_many_signals() -> None:
    many = [sig(t, n=i) for i in range(30) for t in ("churn_intent", "budget_pressure", "expansion_interest")]
    s = score_account(account(), many, as_of=NOW, params=PARAMS)
    assert 0 <= s.risk_score <= 1 and 0 <= s.expansion_score <= 1
    assert s.churn_mrr + s.contraction_mrr <= 10_000


def test_old_evidence_counts_less() -> None:
    fresh = score_account(account(), [sig("dissatisfaction", days_ago=1)], as_of=NOW, params=PARAMS)
    old = score_account(account(), [sig("dissatisfaction", days_ago=90)], as_of=NOW, params=PARAMS)
    base = PARAMS.defaults.churn
    assert old.p_churn - base < (fresh.p_churn - base) / 3
    assert decay(45, 45) == pytest.approx(0.5)


def test_confidence_weights_the_evidence() -> None:
    sure = score_account(account(), [sig("churn_intent", confidence=0.95)], as_of=NOW, params=PARAMS)
    unsure = score_account(account(), [sig("churn_intent", confidence=0.4)], as_of=NOW, params=PARAMS)
    assert sure.p_churn > unsure.p_churn > PARAMS.defaults.churn


def test_repeats_have_diminishing_returns() -> None:
    def lift(n: int) -> float:
        signals = [sig("dissatisfaction", n=i) for i in range(n)]
        return _logit(score_account(account(), signals, as_of=NOW, params=PARAMS).p_churn) - _logit(0.08)
    assert lift(1) < lift(5) < 2 * lift(1)


def test_a_near_renewal_raises_churn_risk() -> None:
    far = score_account(account(renewal=date(2027, 9, 1)), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    near = score_account(account(renewal=date(2026, 12, 1)), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    assert near.risk_score > far.risk_score
    assert near.expansion_score == far.expansion_score


def test_config_effects_override_the_catalog() -> None:
    heavy = ScoringParams(effects={"growth_event": {"expansion": 4.0}})
    assert score_account(account(), [sig("growth_event")], as_of=NOW, params=heavy).expansion_score > \
        score_account(account(), [sig("growth_event")], as_of=NOW, params=PARAMS).expansion_score
    assert heavy.effect("growth_event", "churn") == PARAMS.effect("growth_event", "churn")


def test_segment_base_rates_set_the_starting_point() -> None:
    risky = BaseRates(churn=0.3, contraction=0.1, expansion=0.1, contraction_size=0.5, expansion_size=0.2)
    s = score_account(account(), [], as_of=NOW, params=PARAMS, base=risky)
    assert s.p_churn == pytest.approx(0.3)
    assert s.contraction_mrr == pytest.approx(10_000 * 0.7 * 0.1 * 0.5)


def test_action_items_carry_no_money() -> None:
    s = score_account(account(), [sig("action_item")], as_of=NOW, params=PARAMS)
    assert s.contributions == () and s.risk_score == score_account(account(), [], as_of=NOW, params=PARAMS).risk_score


def test_portfolio_projection_nrr_and_capped_grr() -> None:
    a = score_account(account(10_000), [sig("churn_intent")], as_of=NOW, params=PARAMS)
    b = score_account(Account("B", "B", 10_000), [sig("expansion_interest")], as_of=NOW, params=PARAMS)
    p = project_portfolio([a, b])
    assert p.start_mrr == 20_000
    lost = a.churn_mrr + a.contraction_mrr + b.churn_mrr + b.contraction_mrr
    assert p.nrr == pytest.approx((20_000 - lost + a.expansion_mrr + b.expansion_mrr) / 20_000 * 100)
    assert p.grr <= 100


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
