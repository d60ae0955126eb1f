"""The digest page: the figures, the charts, empty inputs, and customer text escaped."""

from __future__ import annotations

import re
from typing import Any

from groundswell.delivery.digest import render_html

EVIL = "<script>alert('x')</script> we're not renewing"


def figures(churn: float, contraction: float, expansion: float, *, start: float = 10000.0, accounts: int = 1,
            nrr_range: list[float] | None = None) -> dict[str, Any]:
    nrr = round((start - churn - contraction + expansion) / (start or 1) * 100, 1)
    return {"accounts": accounts, "start_mrr": start, "projected_churn_mrr": churn,
            "projected_contraction_mrr": contraction, "projected_expansion_mrr": expansion,
            "projected_nrr": nrr, "projected_grr": round((start - churn - contraction) / (start or 1) * 100, 1),
            "projected_nrr_range": nrr_range, "projected_grr_range": None}


def report(*, url: str | None = "https://acme.slack.com/archives/C1/p1") -> dict[str, Any]:
    signal = {"type": "churn_intent", "confidence": 0.9, "evidence": EVIL, "source": "slack", "message_id": "m1",
              "ts": "2026-10-01T10:00:00Z", "author": "Dana <b>Kim</b>"} | ({"url": url} if url else {})
    grows = {"type": "expansion_interest", "confidence": 0.8, "evidence": "we want 40 more seats", "source": "email",
             "message_id": "m2", "ts": "2026-10-02T10:00:00Z", "author": "Lee"}
    account = {"account_id": "A", "name": "Acme & Sons <script>", "mrr": 10000.0, "renewal_date": "2027-01-15",
               "csm": "maya@vendor.io", "segment": "<i>SMB</i>", "risk_score": 0.4, "expansion_score": 0.3,
               "projected": {"churn_mrr": 4000.0, "contraction_mrr": 500.0, "expansion_mrr": 1500.0},
               "signals": [signal, grows]}
    portfolio = figures(4000.0, 500.0, 1500.0, nrr_range=[48.0, 75.0]) | {
        "horizon_months": 12, "trailing_12m": {"start": "2025-10", "end": "2026-10", "nrr": 101.5, "grr": 93.2,
                                               "logo_retention": 90.0},
        "by_csm": {"maya@vendor.io": figures(3000.0, 0.0, 1000.0, start=6000.0, nrr_range=[40.0, 90.0]),
                   "<script>x</script>": figures(1000.0, 500.0, 500.0, start=4000.0, nrr_range=[60.0, 110.0])},
        "by_segment": {"<i>SMB</i>": figures(4000.0, 500.0, 1500.0, nrr_range=[48.0, 75.0])}}
    return {"as_of": "2026-10-31", "portfolio": portfolio, "accounts": [account],
            "actions": [{"rank": 1, "account_id": "A", "kind": "save", "title": "Call Acme",
                         "why": f"Churn intent: “{EVIL}”", "impact_mrr": 4000.0, "owner": "maya@vendor.io",
                         "due": "2026-11-03", "signal_types": ["churn_intent"]}]}


TREND = [{"month": f"2026-{m:02d}", "nrr": 100.0 + m / 2, "grr": 94.0 - m / 4} for m in range(3, 11)]
OVERDUE = [{"title": "send the <b>SOW</b>", "account_id": "A", "account_name": "Acme <script>", "owner": "Dana",
            "due": "2026-10-24"},
           {"title": "book the QBR", "account_id": "A", "account_name": "Acme", "owner": None, "due": "2026-10-20"}]
CHANGES = {"new_risks": [{"account_id": "A", "name": "Acme <script>", "mrr_at_stake": 4500.0}],
           "resolved": [{"account_id": "B", "name": "Borealis <img src=x>"}],
           "projected_nrr_delta": 1.5, "mrr_at_risk_delta": 3000.0}


def full_page() -> str:
    return render_html(report(), trend=TREND, overdue=OVERDUE, changes=CHANGES)


def svg(page: str, label: str) -> str:
    found = re.search(rf'<svg[^>]*aria-label="{label}".*?</svg>', page, re.S)
    assert found, f"no {label} chart"
    return found.group(0)


def section(page: str, title: str) -> str:
    start = page.index(f"<h2>{title}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start:end if end > 0 else None]


def test_the_cards_show_trailing_and_projected_nrr_with_its_range() -> None:
    page = full_page()
    cards = page[page.index("<div class=cards>"):page.index("<div class=charts>")]
    assert "101.5%" in cards and "70.0%" in cards and "80% range 48.0–75.0%" in cards
    assert "$4,500" in cards and "$1,500" in cards  # MRR at risk, expansion pipeline
    assert "▲ 1.5 pts since last week" in cards and "▲ $3,000 since last week" in cards


def test_deltas_are_coloured_by_whether_they_are_good_news() -> None:
    worse = render_html(report(), changes=CHANGES | {"projected_nrr_delta": -2.0, "mrr_at_risk_delta": -500.0})
    assert "<span class=bad>▼ 2.0 pts since last week</span>" in worse
    assert "<span class=good>▼ $500 since last week</span>" in worse
    assert "no change since last week" in render_html(report(), changes=CHANGES | {"projected_nrr_delta": 0.0})


def test_the_waterfall_has_five_bars_with_their_values() -> None:
    chart = svg(full_page(), "MRR waterfall")
    assert chart.count("<rect") == 5  # start, churn, contraction, expansion, projected
    assert all(value in chart for value in ("$10k", "−$4k", "−$500", "+$1.5k", "$7k"))
    assert 'fill="#d92d20"' in chart and 'fill="#039855"' in chart


def test_the_trend_has_one_point_per_month_and_ends_in_the_projected_range() -> None:
    chart = svg(full_page(), "NRR trend")
    lines = re.findall(r'<polyline points="([^"]+)"[^>]*stroke="(#[0-9a-f]+)"', chart)
    assert {colour for _, colour in lines} == {"#1570ef", "#7f56d9"}  # NRR and GRR
    assert all(len(points.split()) == len(TREND) for points, _ in lines)
    assert ">Mar<" in chart and ">Oct<" in chart and ">2026<" in chart
    assert ">70.0%<" in chart and ">75%<" in chart and ">48%<" in chart and "+12 months" in chart
    assert '>100%<' in chart and 'stroke-dasharray="4 3"' in chart  # the 100% reference line


def test_months_without_grr_are_left_out_of_its_line() -> None:
    trend = [dict(TREND[0], grr=None), *TREND[1:]]
    chart = svg(render_html(report(), trend=trend), "NRR trend")
    counts = {colour: len(points.split())
              for points, colour in re.findall(r'<polyline points="([^"]+)"[^>]*stroke="(#[0-9a-f]+)"', chart)}
    assert counts == {"#1570ef": len(TREND), "#7f56d9": len(TREND) - 1}


def test_by_csm_and_by_segment_rows_show_projected_nrr_with_its_range() -> None:
    page = full_page()
    by_csm = section(page, "By CSM")
    assert by_csm.count("<tr") == 1 + 2 + 1  # header, two CSMs, the portfolio total
    assert "maya@vendor.io" in by_csm and "40.0–90.0%" in by_csm and "60.0–110.0%" in by_csm
    assert by_csm.index("maya@vendor.io") < by_csm.index("&lt;script&gt;x")  # most MRR at risk first
    by_segment = section(page, "By segment")
    assert "&lt;i&gt;SMB&lt;/i&gt;" in by_segment and "48.0–75.0%" in by_segment


def test_top_risks_and_expansions_quote_their_evidence_and_link_the_source() -> None:
    page = full_page()
    risks, expansions = section(page, "Top risks"), section(page, "Top expansions")
    assert "&lt;script&gt;alert" in risks and '<a href="https://acme.slack.com/archives/C1/p1">source</a>' in risks
    assert "$4,500" in risks
    assert "we want 40 more seats" in expansions and "<a href" not in expansions and "$1,500" in expansions


def test_only_web_links_are_linked() -> None:
    page = render_html(report(url="javascript:alert(1)"))
    assert "javascript:" not in page


def test_overdue_tasks_and_changes_are_listed() -> None:
    page = full_page()
    overdue = section(page, "Overdue tasks")
    assert overdue.index("book the QBR") < overdue.index("send the &lt;b&gt;SOW")  # most overdue first
    assert "11 days" in overdue and "7 days" in overdue
    changed = section(page, "What changed since last week")
    assert "New risks (1)" in changed and "$4,500 at stake" in changed
    assert "Resolved (1)" in changed and "Borealis &lt;img src=x&gt;" in changed


def test_changes_and_tasks_may_name_accounts_by_id_as_the_slack_digest_does() -> None:
    page = render_html(report(), overdue=[{"title": "Send the SOW", "owner": "U0CSM", "due": "2026-10-30",
                                           "account_id": "A"}],
                       changes={"new_risks": ["A"], "resolved": ["GONE"], "nrr_delta": 1.2})
    assert "Acme &amp; Sons &lt;script&gt;" in section(page, "Overdue tasks")
    changed = section(page, "What changed since last week")
    assert "Acme &amp; Sons &lt;script&gt;</b> <span class=muted>A</span> — <span class=bad>$4,500 at stake" in changed
    assert "<b>GONE</b>" in changed and "▲ 1.2 pts since last week" in page


def test_customer_text_cannot_inject_markup() -> None:
    page = full_page()
    assert "<script>" not in page and "<b>SOW" not in page and "<img" not in page and "<i>SMB" not in page
    assert "&lt;script&gt;" in page and "Dana &lt;b&gt;Kim&lt;/b&gt;" in page


def test_empty_inputs_render_a_none_line_not_a_broken_chart() -> None:
    bare = report()
    bare["portfolio"] = {k: v for k, v in bare["portfolio"].items() if k not in ("by_csm", "by_segment")}
    bare["actions"] = []
    page = render_html(bare)
    assert "<polyline" not in page and 'aria-label="NRR trend"' not in page
    assert "None: no monthly revenue history yet" in page
    assert "None: no overdue tasks." in page and "None: no account has a csm yet." in page
    assert "None: this is the first digest" in page and "None: no actions to take this week." in page
    assert svg(page, "MRR waterfall").count("<rect") == 5


def test_an_empty_portfolio_still_renders() -> None:
    empty = {"as_of": "2026-10-31", "portfolio": figures(0.0, 0.0, 0.0, start=0.0, accounts=0) | {
        "projected_nrr": None, "projected_grr": None}, "accounts": [], "actions": []}
    page = render_html(empty, trend=TREND, changes={"new_risks": [], "resolved": []})
    assert "None: no account has expected churn or contraction." in page
    assert "None: no new risks and no risk resolved since last week." in page
    assert svg(page, "NRR trend").count("<polyline") == 2 and "Projected" not in svg(page, "NRR trend")


def test_the_trend_keeps_a_real_zero_grr() -> None:
    from datetime import date

    from groundswell import weekly
    everyone_left = {"A": {f"2025-{m:02d}": 100.0 for m in range(1, 13)} | {"2026-01": 0.0}}
    assert weekly.trend(everyone_left, date(2026, 1, 31))[-1] == {"month": "2026-01", "nrr": 0.0, "grr": 0.0}
