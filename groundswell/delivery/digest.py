"""The weekly manager digest as one self-contained HTML page.

Rendered from the report object only (no database access), with inline CSS
and an inline SVG waterfall of expected MRR movements, so the file can be
mailed, opened offline or screenshotted.  Every customer string is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from signals.catalog import BY_ID

STYLE = """
body{font:15px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d2330;margin:0;background:#f5f6f8}
main{max-width:1040px;margin:0 auto;padding:28px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 10px}
.sub{color:#667085;margin-bottom:20px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.card{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 2px #0001}
.card b{display:block;font-size:26px} .card span{color:#667085;font-size:13px}
.panel{background:#fff;border-radius:10px;padding:16px;box-shadow:0 1px 2px #0001}
table{border-collapse:collapse;width:100%;background:#fff} td,th{padding:8px 10px;border-bottom:1px solid #eaecf0;
text-align:left;vertical-align:top} th{font-size:12px;text-transform:uppercase;color:#667085}
.num{text-align:right;white-space:nowrap} .kind{font-size:12px;border-radius:8px;padding:2px 8px;color:#fff}
.save{background:#d92d20}.protect{background:#dc6803}.expand{background:#039855}.multithread{background:#6941c6}
.task{background:#475467} blockquote{margin:6px 0 0;color:#475467;font-size:13px}
"""


def render_html(report: dict[str, Any]) -> str:
    p = report["portfolio"]
    body = [f"<h1>Groundswell weekly digest</h1><div class=sub>Portfolio as of {escape(report['as_of'])}</div>",
            _cards(p), "<h2>Expected MRR movements</h2>", f"<div class=panel>{_waterfall(p)}</div>",
            "<h2>Top actions</h2>", _actions(report), "<h2>Accounts at risk</h2>",
            _accounts(report, key="risk"), "<h2>Expansion pipeline</h2>", _accounts(report, key="expansion")]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Groundswell digest {escape(report['as_of'])}"
            f"</title><style>{STYLE}</style></head><body><main>{''.join(body)}</main></body></html>\n")


def _cards(p: dict[str, Any]) -> str:
    trailing = p.get("trailing_12m") or {}
    cards = [("Actual NRR, trailing 12 months", _pct(trailing.get("nrr"))),
             ("Projected NRR", _pct(p["projected_nrr"])),
             ("MRR at risk", f"${p['projected_churn_mrr'] + p['projected_contraction_mrr']:,.0f}"),
             ("Expansion pipeline", f"${p['projected_expansion_mrr']:,.0f}")]
    return "<div class=cards>" + "".join(f"<div class=card><span>{escape(label)}</span><b>{value}</b></div>"
                                          for label, value in cards) + "</div>"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _waterfall(p: dict[str, Any]) -> str:
    start = p["start_mrr"] or 1.0
    steps = [("Start MRR", 0.0, p["start_mrr"], "#98a2b3"),
             ("Churn", p["start_mrr"] - p["projected_churn_mrr"], p["projected_churn_mrr"], "#d92d20"),
             ("Contraction", p["start_mrr"] - p["projected_churn_mrr"] - p["projected_contraction_mrr"],
              p["projected_contraction_mrr"], "#dc6803")]
    base = steps[-1][1]
    steps.append(("Expansion", base, p["projected_expansion_mrr"], "#039855"))
    end = base + p["projected_expansion_mrr"]
    steps.append(("Projected MRR", 0.0, end, "#475467"))
    top = max(start, end) * 1.08
    width, height, bar = 900, 260, 120
    bars = []
    for i, (label, low, size, color) in enumerate(steps):
        x = 40 + i * 170
        y = 20 + (top - low - size) / top * (height - 60)
        h = max(2.0, size / top * (height - 60))
        bars.append(f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" rx="4" fill="{color}"/>'
                    f'<text x="{x + bar / 2}" y="{y - 6:.1f}" text-anchor="middle" font-size="13">${size:,.0f}</text>'
                    f'<text x="{x + bar / 2}" y="{height - 14}" text-anchor="middle" font-size="13" '
                    f'fill="#475467">{label}</text>')
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="MRR waterfall">{"".join(bars)}</svg>')


def _actions(report: dict[str, Any]) -> str:
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    rows = "".join(
        f"<tr><td class=num>{x['rank']}</td><td>{escape(names.get(x['account_id'], x['account_id']))}<br>"
        f"<span class='kind {escape(x['kind'])}'>{escape(x['kind'])}</span></td><td><b>{escape(x['title'])}</b>"
        f"<blockquote>{'<br>'.join(escape(line) for line in x['why'].splitlines())}</blockquote></td><td class=num>${x['impact_mrr']:,.0f}</td>"
        f"<td>{escape(x['owner'] or '')}</td><td class=num>{escape(x['due'] or '')}</td></tr>"
        for x in report["actions"][:10])
    return ("<table><tr><th>#</th><th>Account</th><th>Action and evidence</th><th class=num>Impact</th>"
            f"<th>Owner</th><th>Due</th></tr>{rows}</table>")


def _accounts(report: dict[str, Any], *, key: str) -> str:
    if key == "risk":
        picked = sorted(report["accounts"], key=lambda a: -(a["projected"]["churn_mrr"] + a["projected"]["contraction_mrr"]))
        amount = lambda a: a["projected"]["churn_mrr"] + a["projected"]["contraction_mrr"]  # noqa: E731
        sides = ("churn", "contraction")
    else:
        picked = sorted(report["accounts"], key=lambda a: -a["projected"]["expansion_mrr"])
        amount = lambda a: a["projected"]["expansion_mrr"]  # noqa: E731
        sides = ("expansion",)
    rows = []
    for a in [a for a in picked if amount(a) >= 1][:8]:
        evidence = next((s for s in a["signals"] if BY_ID[s["type"]].side in sides), None)
        quote = f"<blockquote>“{escape(evidence['evidence'])}”</blockquote>" if evidence else ""
        rows.append(f"<tr><td>{escape(a['name'])}{quote}</td><td class=num>${a['mrr']:,.0f}</td>"
                    f"<td class=num>${amount(a):,.0f}</td><td>{escape(a['renewal_date'] or '')}</td>"
                    f"<td>{escape(a['csm'] or '')}</td></tr>")
    if not rows:
        return "<div class=panel>Nothing to report.</div>"
    return ("<table><tr><th>Account</th><th class=num>MRR</th><th class=num>Expected</th><th>Renewal</th>"
            f"<th>CSM</th></tr>{''.join(rows)}</table>")
