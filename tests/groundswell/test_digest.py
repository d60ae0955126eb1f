"""The digest page: the figures, the charts, and customer text escaped."""

from __future__ import annotations

from groundswell.delivery.digest import render_html

EVIL = "<script>alert('x')</script> we're not renewing"


def report() -> dict:
    signal = {"type": "churn_intent", "confidence": 0.9, "evidence": EVIL, "source": "email", "message_id": "m1",
              "ts": "2026-10-01T10:00:00Z", "author": "Dana <b>Kim</b>"}
    account = {"account_id": "A", "name": "Acme & Sons", "mrr": 10000.0, "renewal_date": "2027-01-15",
               "csm": "maya@vendor.io", "risk_score": 0.4, "expansion_score": 0.0,
               "projected": {"churn_mrr": 4000.0, "contraction_mrr": 0.0, "expansion_mrr": 0.0}, "signals": [signal]}
    return {"as_of": "2026-10-31",
            "portfolio": {"accounts": 1, "start_mrr": 10000.0, "projected_churn_mrr": 4000.0,
                          "projected_contraction_mrr": 0.0, "projected_expansion_mrr": 0.0, "projected_nrr": 60.0,
                          "projected_grr": 60.0, "trailing_12m": {"nrr": 101.5}},
            "accounts": [account],
            "actions": [{"rank": 1, "account_id": "A", "kind": "save", "title": "Call Acme", "why": f"Churn intent: “{EVIL}”",
                         "impact_mrr": 4000.0, "owner": "maya@vendor.io", "due": "2026-11-03", "signal_types": ["churn_intent"]}]}


def test_the_page_shows_the_figures_and_a_waterfall() -> None:
    page = render_html(report())
    assert "101.5%" in page and "60.0%" in page and "$4,000" in page
    assert page.count("<rect") == 5  # start, churn, contraction, expansion, projected
    assert "Acme &amp; Sons" in page


def test_customer_text_cannot_inject_markup() -> None:
    page = render_html(report())
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
