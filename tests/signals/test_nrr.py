"""Revenue arithmetic: months, MRR movements, NRR/GRR/logo retention, groups, vintages."""

import ast
import sys
from datetime import date
from pathlib import Path

import pytest

from signals import nrr
from signals.nrr import (Month, Movement, classify_movement, classify_movements, cohort_vintages, compound,
                         month_range, monthly_mrr_series, movements, retention, retention_by,
                         trailing_twelve_months)


def run(start: str, *mrr: float | None) -> dict[str, float]:
    """One account's rows from ``start`` on, one value a month; None leaves that month without a row."""
    first = Month.parse(start)
    return {str(first + i): value for i, value in enumerate(mrr) if value is not None}


# --- months -----------------------------------------------------------------

def test_month_parses_and_formats():
    assert Month.parse("2025-07") == Month(2025, 7)
    assert str(Month(2025, 7)) == "2025-07"
    assert Month.parse(date(2025, 7, 31)) == Month(2025, 7)
    assert Month.parse(Month(2025, 7)) == Month(2025, 7)


def test_month_arithmetic_crosses_year_boundaries():
    assert Month.parse("2025-11") + 3 == Month(2026, 2)
    assert Month.parse("2026-01") - 1 == Month(2025, 12)
    assert Month.parse("2026-01") - 13 == Month(2024, 12)
    assert Month.parse("2025-12") + 12 == Month(2026, 12)
    assert Month.parse("2026-02") - Month.parse("2025-11") == 3
    assert Month(2025, 12) < Month(2026, 1)


def test_month_range_is_inclusive_and_crosses_years():
    assert [str(m) for m in month_range("2025-11", "2026-02")] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert list(month_range("2025-03", "2025-03")) == [Month(2025, 3)]
    assert list(month_range("2025-04", "2025-03")) == []


def test_quarters():
    assert [Month(2025, m).quarter for m in (1, 3, 4, 9, 10, 12)] == [
        "2025-Q1", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025-Q4"]
    assert Month(2025, 8).quarter_start == Month(2025, 7)


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-7", "25-07", "2025/07", "July 2025", "", "2025-07-01"])
def test_invalid_month_raises_a_one_line_value_error(text):
    with pytest.raises(ValueError) as error:
        Month.parse(text)
    message = str(error.value)
    assert "\n" not in message and repr(text) in message and "YYYY-MM" in message


def test_invalid_month_in_history_or_arguments_raises_value_error():
    with pytest.raises(ValueError, match="YYYY-MM"):
        retention({"A": {"2025-1": 100.0}}, "2025-01", "2025-02")
    with pytest.raises(ValueError, match="YYYY-MM"):
        retention({"A": {"2025-01": 100.0}}, "2025-01", "next year")


def test_negative_mrr_and_reversed_range_are_rejected():
    with pytest.raises(ValueError, match="invalid MRR"):
        movements({"A": {"2025-01": -5.0}}, "2025-01", "2025-02")
    with pytest.raises(ValueError, match="after end"):
        retention({"A": {"2025-01": 5.0}}, "2025-06", "2025-01")


# --- movements ----------------------------------------------------------------

@pytest.mark.parametrize("before, after, paid_before, kind", [
    (0, 100, False, "new"),
    (100, 150, True, "expansion"),
    (150, 120, True, "contraction"),
    (120, 0, True, "churn"),
    (0, 80, True, "reactivation"),
    (100, 100, True, None),
    (0, 0, True, None),
])
def test_classify_movement(before, after, paid_before, kind):
    assert classify_movement(before, after, paid_before=paid_before) == kind


def test_one_account_moves_through_all_five_kinds():
    history = {"A": run("2025-01", 0, 100, 150, 120, 0, 80)}
    kinds = [[(m.kind, m.amount) for m in classify_movements(history, month)]
             for month in ("2025-02", "2025-03", "2025-04", "2025-05", "2025-06")]
    assert kinds == [[("new", 100)], [("expansion", 50)], [("contraction", 30)], [("churn", 120)],
                     [("reactivation", 80)]]
    total = movements(history, "2025-01", "2025-06")
    assert (total.new, total.expansion, total.contraction, total.churn, total.reactivation) == (100, 50, 30, 120, 80)
    assert total.net == 80
    assert total.to_dict() == {"new": 100, "expansion": 50, "contraction": 30, "churn": 120,
                               "reactivation": 80, "net": 80}


def test_a_missing_month_after_an_active_one_is_churn():
    history = {"A": run("2025-01", 100, None, 100)}
    assert classify_movements(history, "2025-02") == [Movement("A", Month(2025, 2), "churn", 100, 0)]
    assert classify_movements(history, "2025-03") == [Movement("A", Month(2025, 3), "reactivation", 0, 100)]


def test_chartmogul_syncalytics_example_at_monthly_granularity():
    # ChartMogul help 201244842: four Gold yearly ($2,000/yr) is new business of
    # $166.67; two Silver monthly (+$60) is expansion; cancelling Silver while Gold
    # runs is contraction; Gold's end is churn; three Gold monthly later is reactivation.
    gold = 2000 / 12
    history = {"SYN": run("2024-01", gold, gold + 60, *[gold] * 10, None, 150)}
    total = movements(history, "2023-12", "2025-02")
    assert [m.kind for m in total.detail] == ["new", "expansion", "contraction", "churn", "reactivation"]
    assert total.new == pytest.approx(166.67, abs=0.01)
    assert (total.expansion, total.contraction) == pytest.approx((60, 60))
    assert total.churn == pytest.approx(166.67, abs=0.01)
    assert total.reactivation == 150
    assert [str(m.month) for m in total.detail] == ["2024-01", "2024-02", "2024-03", "2025-01", "2025-02"]


def million_history() -> dict[str, dict[str, float]]:
    """$1M starting MRR: +$150k expansion, -$50k contraction, -$80k churn; plus a new logo."""
    return {
        "A": run("2025-01", 400_000, 450_000, 550_000),
        "B": run("2025-01", 300_000, 250_000, 250_000),
        "C": run("2025-01", 80_000, 80_000),
        "D": run("2025-01", 220_000, 220_000, 220_000),
        "E": run("2025-02", 500_000, 500_000),
    }


def test_movements_add_up_from_start_to_end_mrr():
    history = million_history()
    series = monthly_mrr_series(history)
    total = movements(history, "2025-01", "2025-03")
    assert series["2025-01"] + total.net == pytest.approx(series["2025-03"])
    assert total.new == 500_000


# --- retention ----------------------------------------------------------------

def test_one_million_with_expansion_contraction_and_churn_gives_nrr_102():
    result = retention(million_history(), "2025-01", "2025-03")
    assert result.starting_mrr == 1_000_000
    assert (result.expansion_mrr, result.contraction_mrr, result.churned_mrr) == (150_000, 50_000, 80_000)
    assert result.nrr == pytest.approx(102.0)
    assert result.grr == pytest.approx(87.0)
    assert result.logo_retention == pytest.approx(75.0)
    assert result.accounts == 4
    assert result.ending_mrr == 1_020_000
    assert result.to_dict() == {"start": "2025-01", "end": "2025-03", "starting_mrr": 1_000_000,
                                "expansion_mrr": 150_000, "contraction_mrr": 50_000, "churned_mrr": 80_000,
                                "nrr": 102.0, "grr": 87.0, "logo_retention": 75.0, "accounts": 4}


def test_eight_percent_churn_with_fifteen_percent_expansion_gives_107():
    history = {"A": run("2025-01", 92, 107), "B": run("2025-01", 8, 0)}
    result = retention(history, "2025-01", "2025-02")
    assert result.nrr == pytest.approx(107.0)
    assert result.grr == pytest.approx(92.0)


def test_ninety_percent_grr_with_thirty_percent_expansion_gives_120():
    history = {"A": run("2025-01", 50, 80), "B": run("2025-01", 45, 40), "C": run("2025-01", 5)}
    result = retention(history, "2025-01", "2025-02")
    assert result.grr == pytest.approx(90.0)
    assert result.nrr == pytest.approx(120.0)


def test_compounding_nrr_over_five_years():
    assert round(compound(120, 5), 2) == 2.49
    assert round(compound(90, 5), 2) == 0.59
    assert compound(100, 3) == 1.0
    with pytest.raises(ValueError):
        compound(-1, 5)


def test_new_logos_and_reactivations_stay_out_of_the_cohort():
    history = {
        "A": run("2025-01", 100, 100, 100),
        "NEW": run("2025-02", 500, 500),
        "BACK": {"2024-06": 300.0, "2025-02": 300.0, "2025-03": 300.0},  # churned before the start month
    }
    result = retention(history, "2025-01", "2025-03")
    assert (result.accounts, result.starting_mrr, result.nrr, result.logo_retention) == (1, 100, 100.0, 100.0)
    moved = movements(history, "2025-01", "2025-03")
    assert (moved.new, moved.reactivation) == (500, 300)


def test_churn_and_return_within_the_period_counts_by_end_month_mrr():
    history = {"A": run("2025-01", 100, None, 120), "B": run("2025-01", 100, 0, 50)}
    result = retention(history, "2025-01", "2025-03")
    assert (result.expansion_mrr, result.contraction_mrr, result.churned_mrr) == (20, 50, 0)
    assert result.logo_retention == 100.0
    assert result.nrr == pytest.approx(85.0)


def test_a_missing_end_month_is_churn():
    result = retention({"A": run("2025-01", 100, 100), "B": run("2025-01", 100, 100, 100)}, "2025-01", "2025-03")
    assert (result.churned_mrr, result.logo_retention) == (100, 50.0)


def test_grr_is_capped_at_100_when_the_whole_cohort_expands():
    result = retention({"A": run("2025-01", 100, 150), "B": run("2025-01", 100, 200)}, "2025-01", "2025-02")
    assert result.grr == 100.0
    assert result.nrr == pytest.approx(175.0)


@pytest.mark.parametrize("history", [{}, {"LATE": run("2025-03", 100)}, {"ZERO": run("2025-01", 0, 100)}])
def test_an_empty_cohort_gives_none_not_zero_division(history):
    result = retention(history, "2025-01", "2025-03")
    assert (result.nrr, result.grr, result.logo_retention, result.accounts) == (None, None, None, 0)
    assert result.to_dict()["nrr"] is None and result.to_dict()["starting_mrr"] == 0


def test_accounts_restricts_the_cohort():
    result = retention(million_history(), "2025-01", "2025-03", accounts=["A", "C", "UNKNOWN"])
    assert (result.accounts, result.starting_mrr, result.churned_mrr, result.expansion_mrr) == (2, 480_000, 80_000,
                                                                                                150_000)


def test_to_dict_rounds_money_to_cents_and_percentages_to_one_decimal():
    history = {"A": run("2025-01", 300.004, 311.2345), "B": run("2025-01", 100, 90), "C": run("2025-01", 100)}
    result = retention(history, "2025-01", "2025-02")
    assert result.nrr == pytest.approx(401.2345 / 500.004 * 100)  # full precision kept
    shown = result.to_dict()
    assert (shown["starting_mrr"], shown["expansion_mrr"], shown["contraction_mrr"]) == (500.0, 11.23, 10.0)
    assert (shown["nrr"], shown["grr"], shown["logo_retention"]) == (80.2, 78.0, 66.7)


# --- groups, trailing twelve months, vintages, series ---------------------------

def test_retention_by_segment():
    history = million_history()
    groups = {"A": "enterprise", "B": "enterprise", "C": "smb", "E": "smb"}
    result = retention_by(history, "2025-01", "2025-03", groups)
    assert list(result) == ["enterprise", "smb", "(none)"]
    assert result["enterprise"].nrr == pytest.approx(800_000 / 700_000 * 100)
    assert (result["smb"].accounts, result["smb"].nrr, result["smb"].logo_retention) == (1, 0.0, 0.0)
    assert (result["(none)"].accounts, result["(none)"].nrr) == (1, 100.0)
    assert sum(r.starting_mrr for r in result.values()) == retention(history, "2025-01", "2025-03").starting_mrr


def test_retention_by_puts_blank_group_values_in_none():
    result = retention_by({"A": run("2025-01", 100, 100)}, "2025-01", "2025-02", {"A": " "})
    assert list(result) == ["(none)"]


def test_trailing_twelve_months():
    history = {
        "A": run("2024-06", *[100] * 12, 130),   # 2024-06 .. 2025-06
        "B": run("2024-06", 100, 100),            # churned in 2024-08
        "C": run("2024-09", *[50] * 10),          # a new logo since
    }
    result = trailing_twelve_months(history, "2025-06")
    assert (str(result.start), str(result.end)) == ("2024-06", "2025-06")
    assert result == retention(history, "2024-06", "2025-06")
    assert (result.starting_mrr, result.nrr, result.logo_retention) == (200, 65.0, 50.0)


def test_cohort_vintages_by_first_paid_quarter():
    history = {
        "JAN": run("2025-01", *[100] * 8, 150),       # Q1, 100 -> 150 by 2025-09
        "MAR": run("2025-03", 200, 200),              # Q1, churned
        "MAY": run("2025-05", 100, 0, 0, 0, 110),     # Q2, churned and came back at 110
        "JUL": run("2025-07", 50, 50, 50),            # Q3, flat
        "OCT": run("2025-10", 999),                   # first pays after the end: left out
        "OLD": {"2024-11": 40.0, "2025-09": 40.0},    # Q4 2024, first month counts, not the gap
    }
    result = cohort_vintages(history, "2025-09")
    assert list(result) == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3"]
    q1 = result["2025-Q1"]
    assert (q1.starting_mrr, q1.ending_mrr, q1.nrr, q1.logo_retention, q1.accounts) == (300, 150, 50.0, 50.0, 2)
    assert str(q1.start) == "2025-01" and str(q1.end) == "2025-09"
    assert result["2025-Q2"].nrr == pytest.approx(110.0)
    assert (result["2025-Q3"].nrr, result["2024-Q4"].nrr) == (100.0, 100.0)


def test_monthly_mrr_series_fills_gaps_with_zero():
    history = {"A": {"2025-11": 100.0, "2026-02": 0.0}, "B": {"2025-11": 50.0, "2026-01": 70.0}}
    assert monthly_mrr_series(history) == {"2025-11": 150.0, "2025-12": 0.0, "2026-01": 70.0, "2026-02": 0.0}
    assert monthly_mrr_series({}) == {}


def test_module_imports_only_the_standard_library():
    tree = ast.parse(Path(nrr.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {"__future__"}
