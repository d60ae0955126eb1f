"""Calibration and the backtest, on the demo company's real history and on small hand-made ones."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from groundswell import calibration
from groundswell.calibration import CalibrationError, auc, outcomes
from groundswell.report import build_report, end_of_day, score_portfolio, scoring_params
from groundswell.settings import ConfigError, load_config, write_effects
from signals.portfolio import Account
from tests.groundswell.test_cli import assert_one_line_error, run

DEMO = Path(__file__).resolve().parents[2] / "groundswell" / "demo_company"
# The demo's messages run from August to October 2026 and its revenue history
# from November 2025 to October 2026.  As of 31 August, what happened next is
# known: Fathom & Finch churned in September, Wagtail and Kilnworth contracted
# in September and October, and four accounts expanded.
AS_OF = date(2026, 8, 31)


def run_calibration(engine, config=None) -> calibration.Calibration:
    config = config or load_config()
    params = scoring_params(config)
    with Session(engine) as session:
        scored = score_portfolio(session, as_of=AS_OF, config=config, params=params)
    return calibration.calibrate(scored, as_of=AS_OF, params=params, strength=config.scoring.calibration_strength,
                                 until=end_of_day(AS_OF))


def test_accounts_that_later_lose_revenue_rank_first_on_the_demo_history(demo_engine) -> None:
    result = run_calibration(demo_engine)
    assert (result.before.losses, result.before.expansions) == (3, 4)
    assert result.before.accounts == 28  # active on 31 August, including Fathom & Finch (MRR 0 in accounts.csv now)
    # Three losses among 28 accounts: one swapped pair moves this AUC by 0.013.  Round seven's classifier
    # scored 0.893, round eight's 0.840 (one seat removal now under its threshold; BENCHMARKS.md).
    assert result.before.risk_auc >= 0.8
    assert result.before.expansion_auc >= 0.85
    assert result.after.risk_auc >= 0.85  # fitted effects, cross-validated over accounts
    assert result.before.missed == 0 and all(days > 0 for days in result.before.lead_days)
    assert [str(m) for m in result.window] == ["2026-09", "2026-10"]


def test_fitted_effects_keep_their_direction_on_the_demo_history(demo_engine) -> None:
    effects = run_calibration(demo_engine).effects
    assert effects["churn_intent"]["churn"] > 1.0
    assert effects["budget_pressure"]["contraction"] > 1.0
    assert effects["expansion_interest"]["expansion"] > 1.0
    assert set(effects) >= {"engagement_drop", "advocacy"} and "action_item" not in effects


def test_a_backtest_report_sees_accounts_that_churned_later(demo_engine) -> None:
    with Session(demo_engine) as session:
        then = build_report(session, as_of=AS_OF, config=load_config())
        now = build_report(session, as_of=date(2026, 10, 31), config=load_config())
    assert "ACC-020" in {a["account_id"] for a in then["accounts"]}
    assert "ACC-020" not in {a["account_id"] for a in now["accounts"]}
    fathom = next(a for a in then["accounts"] if a["account_id"] == "ACC-020")
    assert fathom["mrr"] == 1200.0
    assert all(s["ts"] <= "2026-08-31T23:59:59Z" for a in then["accounts"] for s in a["signals"])


def test_the_report_explains_each_score_and_gives_ranges(demo_engine) -> None:
    with Session(demo_engine) as session:
        report = build_report(session, as_of=date(2026, 10, 31), config=load_config(), account_id="ACC-006")
    p = report["portfolio"]
    low, high = p["projected_nrr_range"]
    assert low <= p["projected_nrr"] <= high and p["projected_grr_range"][1] <= 100
    assert {"Enterprise", "Mid-Market", "SMB"} <= set(p["by_segment"]) and p["by_csm"]
    [account] = report["accounts"]
    explanation = account["explanation"]
    churn_steps = [s for s in explanation["steps"] if s["outcome"] == "churn"]
    assert any(s["type"] == "churn_intent" and account["signals"][s["signal"]]["type"] == "churn_intent"
               and account["signals"][s["signal"]]["evidence"] for s in churn_steps)
    total = explanation["base_mrr"]["churn"] + sum(s["mrr"] for s in churn_steps)
    assert total == pytest.approx(account["projected"]["churn_mrr"], abs=0.05 * len(churn_steps) + 0.01)


def account(account_id: str, mrr: float) -> Account:
    return Account(account_id, account_id, mrr)


def test_outcomes_read_the_months_after_the_date() -> None:
    history = {"churns": {"2026-01": 100, "2026-02": 100, "2026-03": 0},
               "dips": {"2026-01": 100, "2026-02": 80, "2026-03": 120},
               "grows": {"2026-01": 100, "2026-02": 100, "2026-03": 150},
               "flat": {"2026-01": 100, "2026-02": 100, "2026-03": 100}}
    accounts = [account(a, 100) for a in history]
    result, window = outcomes(history, accounts, date(2026, 1, 31), horizon_months=12)
    assert [str(m) for m in window] == ["2026-02", "2026-03"]  # the history ends in March: later is unknown
    assert result["churns"].churned and str(result["churns"].loss_month) == "2026-03"
    assert result["dips"].contracted and result["dips"].expanded and not result["dips"].churned
    assert result["grows"].expanded and not result["grows"].contracted
    assert not any((result["flat"].churned, result["flat"].contracted, result["flat"].expanded))


def test_no_revenue_after_the_date_is_a_clear_error() -> None:
    with pytest.raises(CalibrationError, match="no revenue history after 2026-03"):
        outcomes({"A": {"2026-03": 100}}, [account("A", 100)], date(2026, 3, 31), horizon_months=12)


def test_auc_counts_ties_as_half() -> None:
    assert auc([0.9, 0.8, 0.1, 0.1], [True, True, False, False]) == 1.0
    assert auc([0.5, 0.5], [True, False]) == 0.5
    assert auc([0.2, 0.9, 0.5], [True, False, False]) == 0.0
    assert auc([0.2], [True]) is None


def test_write_effects_replaces_the_table_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "groundswell.toml"
    path.write_text("# my settings\n[scoring]\nhalf_life_days = 30  # tuned\n\n[scoring.effects]\nadvocacy = { churn = -1.0 }\n\n[actions]\nlimit = 5\n")
    write_effects(path, {"churn_intent": {"churn": 2.5, "contraction": 0.3}}, note="written by groundswell calibrate")
    write_effects(path, {"churn_intent": {"churn": 2.75}}, note="written by groundswell calibrate")
    text = path.read_text()
    assert "# my settings" in text and "half_life_days = 30  # tuned" in text
    assert text.count("[scoring.effects]") == 1 and "advocacy" not in text
    data = tomllib.loads(text)
    assert data["scoring"]["effects"] == {"churn_intent": {"churn": 2.75}} and data["actions"]["limit"] == 5
    assert load_config(path).scoring.effects == {"churn_intent": {"churn": 2.75}}


def test_unknown_types_in_effects_are_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[scoring.effects]\nchurn_intnet = { churn = 2.0 }\n")
    with pytest.raises(ConfigError, match="churn_intnet"):
        load_config(path)


def test_calibrate_command_writes_config_and_reports(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'gs.db'}"
    assert run("ingest", str(DEMO), "--db", db, cwd=tmp_path).returncode == 0
    assert run("analyze", "--db", db, "--as-of", "2026-10-31", cwd=tmp_path).returncode == 0
    result = run("calibrate", "--as-of", "2026-08-31", "--db", db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "risk AUC" in result.stdout and "lead time" in result.stdout
    written = tomllib.loads((tmp_path / "config" / "groundswell.toml").read_text())["scoring"]["effects"]
    assert written["churn_intent"]["churn"] > 0
    report = run("report", "--db", db, "--as-of", "2026-10-31", "--account", "ACC-006", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "How the score was built" in report.stdout and "Timeline" in report.stdout
    assert_one_line_error(run("calibrate", "--as-of", "2026-10-31", "--db", db, cwd=tmp_path),
                          "no revenue history after 2026-10")
