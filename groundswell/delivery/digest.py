"""The weekly manager digest as one self-contained HTML page.

Rendered from the report object (interface.md's `report --format json`) plus
three optional inputs the caller computes, with no database access.  Inline
CSS and inline SVG charts, no script and no external asset, so the page can be
mailed, opened offline or screenshotted.  Every customer string is escaped.

`render_html(report, *, trend=(), overdue=(), changes=None)` takes:

- `trend`: actual retention at each month end, oldest first,
  `[{"month": "2025-11", "nrr": 101.2, "grr": 93.4}, ...]` (trailing-twelve-month
  percentages; `grr` may be None).  Drawn as the NRR trend, ending in the
  projected NRR with its 80% range.
- `overdue`: open tasks past their due date,
  `[{"title", "account_id", "account_name", "owner", "due": "YYYY-MM-DD"}]`.
- `changes`: what moved since last week's digest, or None for the first one,
  `{"new_risks": [{"account_id", "name", "mrr_at_stake"}], "resolved": [{"account_id", "name"}],
  "projected_nrr_delta": float | None (points), "mrr_at_risk_delta": float | None (dollars),
  "tasks_closed": [{"title", "account_id", "owner"}]}`.
  As the Slack digest takes them, entries may also be bare account ids (names and MRR at stake then come
  from the report), `account_name` may be left out, and `nrr_delta` stands for `projected_nrr_delta`.

An empty input renders a one-line "None: ..." in its place, never an empty chart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from signals.catalog import BY_ID

COLOURS = {"start": "#98a2b3", "churn": "#d92d20", "contraction": "#dc6803", "expansion": "#039855",
           "end": "#475467", "nrr": "#1570ef", "grr": "#7f56d9", "grid": "#eaecf0", "axis": "#667085"}
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
TOP_ACCOUNTS = 8
SHOWN_TASKS = 15

# Chart colours are used by the charts only (badges and deltas use tints), so a
# screenshot's pixels of a chart colour belong to the chart.
STYLE = """
body{font:15px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d2330;margin:0;background:#f5f6f8}
main{max-width:1040px;margin:0 auto;padding:28px} a{color:#175cd3} ul{margin:6px 0 0;padding-left:20px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 10px} h3{font-size:15px;margin:0 0 6px}
.sub,.muted{color:#667085} .sub{margin-bottom:20px} .small{font-size:13px} .none{color:#667085;font-style:italic}
.cards,.charts,.pair{display:grid;grid-template-columns:1fr 1fr;gap:12px} .cards{grid-template-columns:repeat(4,1fr)}
.charts{margin-top:28px}
@media (max-width:800px){.cards{grid-template-columns:1fr 1fr}.charts,.pair{grid-template-columns:1fr}}
.card,.panel,table{background:#fff;border-radius:10px;box-shadow:0 1px 2px #0001}
.card{padding:14px 16px} .panel{padding:16px}
.card b{display:block;font-size:28px;line-height:1.25} .card .note{color:#667085;font-size:13px}
table{border-collapse:collapse;width:100%} table.accounts td:first-child{width:240px}
td,th{padding:8px 10px;border-bottom:1px solid #eaecf0;text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;color:#667085} tr.total td{font-weight:600;border-bottom:0}
.num{text-align:right;white-space:nowrap} .kind{font-size:12px;border-radius:8px;padding:2px 8px}
.save{background:#fee4e2;color:#b42318}.protect{background:#fef0c7;color:#b54708}
.expand{background:#d1fadf;color:#027a48}.multithread{background:#ebe9fe;color:#5925dc}
.task{background:#f2f4f7;color:#344054} blockquote{margin:0;color:#475467;font-size:13px}
.good{color:#027a48}.bad{color:#b42318}.warn{color:#b54708} .pill{border-radius:8px;padding:1px 8px;font-weight:600}
.pill.good{background:#ecfdf3}.pill.warn{background:#fffaeb}.pill.bad{background:#fef3f2}
"""


def render_html(report: dict[str, Any], *, trend: Sequence[Mapping[str, Any]] = (),
                overdue: Sequence[Mapping[str, Any]] = (), changes: Mapping[str, Any] | None = None) -> str:
    p, accounts = report["portfolio"], {a["account_id"]: a for a in report["accounts"]}
    horizon = p.get("horizon_months", 12)
    body = [
        f"<h1>Groundswell weekly digest</h1><div class=sub>Portfolio as of {_esc(report['as_of'])} · {p['accounts']} "
        f"accounts · {_money(p['start_mrr'])} MRR · projections over the next {horizon} months</div>",
        _cards(p, changes),
        "<div class=charts>", _panel("NRR trend, trailing 12 months", _trend_chart(trend, p)),
        _panel(f"Expected MRR movements, next {horizon} months", _waterfall(p)), "</div>",
        _section("What changed since last week", _changes(changes, accounts=accounts)),
        _section("By CSM", _groups(p, key="by_csm", label="CSM")),
        _section("By segment", _groups(p, key="by_segment", label="Segment")),
        _section("Top risks", _accounts(report, outcomes=("churn", "contraction"))),
        _section("Top expansions", _accounts(report, outcomes=("expansion",))),
        _section("Overdue tasks", _overdue(overdue, as_of=report["as_of"], accounts=accounts)),
        _section("Top actions", _actions(report)),
    ]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Groundswell digest {_esc(report['as_of'])}"
            f"</title><style>{STYLE}</style></head><body><main>{''.join(body)}</main></body></html>\n")


def _esc(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _section(title: str, content: str) -> str:
    return f"<h2>{escape(title)}</h2>{content}"


def _panel(title: str, content: str) -> str:
    return f"<div class=panel><h3>{escape(title)}</h3>{content}</div>"


def _none(text: str) -> str:
    return f"<div class='panel none'>None: {escape(text)}</div>"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _money(value: float | None, sign: str = "") -> str:
    return "—" if value is None else f"{sign}${abs(value):,.0f}"


def _range(low_high: Sequence[float] | None) -> str:
    return f"{low_high[0]:.1f}–{low_high[1]:.1f}%" if low_high else "—"


def mrr_at_risk(figures: Mapping[str, Any], *, prefix: str = "projected_") -> float:
    """MRR at risk, expected churn plus contraction: the one definition both digests and `weekly` use.

    Portfolio and group figures name them `projected_churn_mrr` and
    `projected_contraction_mrr`; an account's `projected` says `churn_mrr`
    (`prefix=""`).  A missing figure counts as none.
    """
    return float(figures.get(f"{prefix}churn_mrr") or 0) + float(figures.get(f"{prefix}contraction_mrr") or 0)


# Cards ----------------------------------------------------------------------

def _cards(p: Mapping[str, Any], changes: Mapping[str, Any] | None) -> str:
    changes = changes or {}
    trailing = p.get("trailing_12m") or {}
    start = p["start_mrr"] or 1.0
    cards = [
        ("Actual NRR, trailing 12 months", _pct(trailing.get("nrr")),
         f"GRR {_pct(trailing.get('grr'))} · logos {_pct(trailing.get('logo_retention'))}", ""),
        ("Projected NRR", _pct(p["projected_nrr"]), f"80% range {_range(p.get('projected_nrr_range'))}",
         _delta(changes.get("projected_nrr_delta", changes.get("nrr_delta")), points=True, good_when_up=True)),
        ("MRR at risk", _money(mrr_at_risk(p)), f"{mrr_at_risk(p) / start:.1%} of MRR",
         _delta(changes.get("mrr_at_risk_delta"), points=False, good_when_up=False)),
        ("Expansion pipeline", _money(p["projected_expansion_mrr"]),
         f"{p['projected_expansion_mrr'] / start:.1%} of MRR", ""),
    ]
    return "<div class=cards>" + "".join(
        f"<div class=card><div class=note>{escape(label)}</div><b>{value}</b><div class=note>{sub}</div>"
        f"{f'<div class=small>{delta}</div>' if delta else ''}</div>" for label, value, sub, delta in cards) + "</div>"


def _delta(value: float | None, *, points: bool, good_when_up: bool) -> str:
    if value is None:
        return ""
    if round(value, 1) == 0:
        return "<span class=muted>no change since last week</span>"
    amount = f"{abs(value):.1f} pts" if points else _money(value)
    tone = "good" if (value > 0) == good_when_up else "bad"
    return f"<span class={tone}>{'▲' if value > 0 else '▼'} {amount} since last week</span>"


# Charts ---------------------------------------------------------------------

def _svg(width: int, height: int, label: str, parts: Iterable[str]) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(label)}" '
            f'font-size="12" font-family="-apple-system,Segoe UI,Helvetica,Arial,sans-serif">{"".join(parts)}</svg>')


def _text(x: float, y: float, content: str, *, anchor: str = "middle", fill: str = "#344054", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>{content}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, colour: str, extra: str = "") -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"{extra}/>'


def _nice_step(span: float, ticks: int) -> float:
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def _trend_chart(trend: Sequence[Mapping[str, Any]], p: Mapping[str, Any]) -> str:
    if not trend:
        return "<div class=none>None: no monthly revenue history yet, so no NRR trend.</div>"
    projected, band = p.get("projected_nrr"), p.get("projected_nrr_range") or []
    values = [v for m in trend for v in (m.get("nrr"), m.get("grr")) if v is not None] + [100.0]
    values += [v for v in (projected, *band) if v is not None]
    step = _nice_step(max(max(values) - min(values), 10), 5)  # a flat year should look flat
    low, high = math.floor(min(values) / step) * step, math.ceil(max(values) / step) * step
    left, right, top, bottom = 46, 470, 34, 236
    months_right = right - (72 if projected is not None else 0)  # the projection gets a wider slot of its own
    x = lambda i: left + (i + 0.5) * (months_right - left) / len(trend)  # noqa: E731
    y = lambda v: bottom - (v - low) / ((high - low) or 1) * (bottom - top)  # noqa: E731
    parts = [*_grid(low, high, step, y, left=left, right=right, label=lambda v: f"{v:g}%", reference=100),
             *_legend(projection=projected is not None), *_month_labels(trend, x, bottom)]
    for key in ("grr", "nrr"):
        parts += _series([(x(i), y(m[key])) for i, m in enumerate(trend) if m.get(key) is not None], COLOURS[key])
    last = next((i for i in range(len(trend) - 1, -1, -1) if trend[i].get("nrr") is not None), None)
    end = (x(last), y(trend[last]["nrr"])) if last is not None else None
    if end:
        parts.append(_text(*end, _pct(trend[last]["nrr"]), fill=COLOURS["nrr"], extra=' font-weight="600" dy="-9"'))
    if projected is not None:
        parts += _projection(right - 36, y, projected, band, bottom, start=end, horizon=p.get("horizon_months", 12))
    return _svg(480, 272, "NRR trend", parts)


def _grid(low: float, high: float, step: float, y: Any, *, left: float, right: float, label: Any,
          reference: float) -> list[str]:
    """Horizontal gridlines with their labels; the reference line (100%, $0) is darker."""
    parts = []
    for value in (low + i * step for i in range(round((high - low) / step) + 1)):
        strong = abs(value - reference) < 1e-9
        parts += [_line(left, y(value), right, y(value), "#98a2b3" if strong else COLOURS["grid"],
                        ' stroke-dasharray="4 3"' if strong and reference else ""),
                  _text(left - 6, y(value) + 4, label(value), anchor="end", fill=COLOURS["axis"])]
    return parts


def _legend(*, projection: bool) -> list[str]:
    entries = [("NRR", COLOURS["nrr"]), ("GRR", COLOURS["grr"]), ("Projected NRR, 80% range", COLOURS["nrr"])]
    entries = entries if projection else entries[:2]
    parts, x = [], 50.0
    for i, (label, colour) in enumerate(entries):
        marker = (f'<circle cx="{x + 7}" cy="12" r="4" fill="#fff" stroke="{colour}" stroke-width="2"/>' if i == 2
                  else _line(x, 12, x + 14, 12, colour, ' stroke-width="3"'))
        parts += [marker, _text(x + 20, 16, escape(label), anchor="start", fill="#344054")]
        x += 20 + 7.2 * len(label) + 18
    return parts


def _month_labels(trend: Sequence[Mapping[str, Any]], x: Any, bottom: float) -> list[str]:
    parts = []
    for i, m in enumerate(trend):
        year, _, month = str(m["month"]).partition("-")
        name = MONTHS[int(month) - 1] if month.isdigit() and 1 <= int(month) <= 12 else str(m["month"])
        parts.append(_text(x(i), bottom + 16, escape(name), fill=COLOURS["axis"]))
        if month == "01" or i == 0 and not (len(trend) > 1 and str(trend[1]["month"]).endswith("-01")):
            parts.append(_text(x(i), bottom + 30, escape(year), fill=COLOURS["axis"]))
    return parts


def _series(points: list[tuple[float, float]], colour: str) -> list[str]:
    if not points:
        return []
    line = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return [f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>',
            *(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"/>' for px, py in points)]


def _projection(px: float, y: Any, value: float, band: Sequence[float], bottom: float, *,
                start: tuple[float, float] | None, horizon: int) -> list[str]:
    colour = COLOURS["nrr"]
    parts = [_line(*start, px, y(value), colour, ' stroke-width="2" stroke-dasharray="5 4"')] if start else []
    if band:
        parts += [_line(px, y(band[0]), px, y(band[1]), colour, ' stroke-width="2"'),
                  *(_line(px - 7, y(v), px + 7, y(v), colour, ' stroke-width="2"') for v in band),
                  _text(px + 10, y(band[1]) + 4, f"{band[1]:.0f}%", anchor="start", fill=COLOURS["axis"]),
                  _text(px + 10, y(band[0]) + 4, f"{band[0]:.0f}%", anchor="start", fill=COLOURS["axis"])]
    parts += [f'<circle cx="{px:.1f}" cy="{y(value):.1f}" r="5" fill="#fff" stroke="{colour}" stroke-width="2.5"/>',
              _text(px - 9, y(value) + 4, _pct(value), anchor="end", fill=colour, extra=' font-weight="600"'),
              _text(px, bottom + 16, "Projected", fill=colour),
              _text(px, bottom + 30, f"+{horizon} months", fill=COLOURS["axis"])]
    return parts


def _waterfall(p: Mapping[str, Any]) -> str:
    start, churn, contraction = p["start_mrr"], p["projected_churn_mrr"], p["projected_contraction_mrr"]
    expansion = p["projected_expansion_mrr"]
    kept = max(0.0, start - churn - contraction)
    steps = [("Start MRR", 0.0, start, "start", ""), ("Churn", start - churn, churn, "churn", "−"),
             ("Contraction", kept, contraction, "contraction", "−"), ("Expansion", kept, expansion, "expansion", "+"),
             ("Projected", 0.0, kept + expansion, "end", "")]
    step = _nice_step(max(start, kept + expansion, 1.0), 4)
    top = math.ceil(max(start, kept + expansion, 1.0) * 1.06 / step) * step
    left, right, ceiling, bottom = 60, 470, 24, 240
    y = lambda v: bottom - v / top * (bottom - ceiling)  # noqa: E731
    slot = (right - left) / len(steps)
    parts = _grid(0.0, top, step, y, left=left, right=right, label=_short_money, reference=0)
    for i, (label, base, size, colour, sign) in enumerate(steps):
        x, width = left + i * slot + slot * 0.18, slot * 0.64
        height = max(2.0, y(base) - y(base + size))
        parts += [f'<rect x="{x:.1f}" y="{y(base + size):.1f}" width="{width:.1f}" height="{height:.1f}" rx="3" '
                  f'fill="{COLOURS[colour]}"/>',
                  _text(x + width / 2, y(base + size) - 6, _short_money(size, sign), extra=' font-weight="600"'),
                  _text(x + width / 2, bottom + 16, label, fill=COLOURS["axis"])]
        if i < len(steps) - 1:
            level = base if sign == "−" else base + size  # where the next bar starts
            parts.append(_line(x + width, y(level), x + slot, y(level), "#98a2b3", ' stroke-dasharray="3 3"'))
    parts.append(_text(left, bottom + 34, "Expected value of each movement", anchor="start", fill=COLOURS["axis"]))
    return _svg(480, 280, "MRR waterfall", parts)


def _short_money(value: float, sign: str = "") -> str:
    for divisor, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= divisor:
            return f"{sign}${abs(value) / divisor:,.1f}".removesuffix(".0") + suffix
    return f"{sign}${abs(value):,.0f}"


# Tables ---------------------------------------------------------------------

def _groups(p: Mapping[str, Any], *, key: str, label: str) -> str:
    groups = p.get(key) or {}
    if not groups:
        return _none(f"no account has a {label.lower()} yet.")
    ordered = sorted(groups.items(), key=lambda item: (-mrr_at_risk(item[1]), item[0]))
    rows = [_group_row(name, g, cls="") for name, g in ordered] + [_group_row("Portfolio", p, cls="total")]
    return _table([label, ">Accounts", ">MRR", ">Projected NRR", "80% range", ">MRR at risk", ">Expansion"], rows)


def _group_row(name: str, g: Mapping[str, Any], *, cls: str) -> str:
    nrr = g.get("projected_nrr")
    tone = "" if nrr is None else "good" if nrr >= 100 else "warn" if nrr >= 90 else "bad"
    return (f"<tr class='{cls}'><td>{_esc(name)}</td><td class=num>{g['accounts']}</td>"
            f"<td class=num>{_money(g['start_mrr'])}</td>"
            f"<td class=num><span class='pill {tone}'>{_pct(nrr)}</span></td>"
            f"<td>{_range_bar(g.get('projected_nrr_range'), nrr)} <span class='muted small'>"
            f"{_range(g.get('projected_nrr_range'))}</span></td><td class=num>{_money(mrr_at_risk(g))}</td>"
            f"<td class=num>{_money(g['projected_expansion_mrr'])}</td></tr>")


def _range_bar(band: Sequence[float] | None, value: float | None) -> str:
    """A 0–150% scale with the 80% range, the projection and a 100% tick, comparable across rows."""
    if not band or value is None:
        return ""
    x = lambda v: 2 + max(0.0, min(150.0, v)) / 150 * 116  # noqa: E731
    parts = [_line(2, 7, 118, 7, COLOURS["grid"], ' stroke-width="4" stroke-linecap="round"'),
             _line(x(band[0]), 7, x(band[1]), 7, "#84caff", ' stroke-width="6" stroke-linecap="round"'),
             _line(x(100), 1, x(100), 13, "#667085"), f'<circle cx="{x(value):.1f}" cy="7" r="3.5" fill="#175cd3"/>']
    return f'<svg width="120" height="14" viewBox="0 0 120 14" style="vertical-align:middle">{"".join(parts)}</svg>'


def _accounts(report: dict[str, Any], *, outcomes: tuple[str, ...]) -> str:
    amount = lambda a: sum(a["projected"][f"{o}_mrr"] for o in outcomes)  # noqa: E731
    picked = sorted((a for a in report["accounts"] if amount(a) >= 1), key=lambda a: (-amount(a), a["account_id"]))
    if not picked:
        return _none("no account has expected " + " or ".join(outcomes) + ".")
    rows = [
        f"<tr><td><b>{_esc(a['name'])}</b><div class='muted small'>{_esc(a.get('segment') or '')}"
        f"{' · ' if a.get('segment') and a.get('csm') else ''}{_esc(a.get('csm') or '')}</div></td>"
        f"<td class=num>{_money(a['mrr'])}</td><td class=num><b>{_money(amount(a))}</b></td>"
        f"<td class=num>{_esc(a.get('renewal_date') or '—')}</td><td>{_evidence(_top_signal(a, outcomes))}</td></tr>"
        for a in picked[:TOP_ACCOUNTS]]
    expected = ">At stake" if "churn" in outcomes else ">Expected"
    return _table(["Account", ">MRR", expected, ">Renewal", "Top evidence"], rows, cls="accounts")


def _top_signal(account: Mapping[str, Any], outcomes: tuple[str, ...]) -> Mapping[str, Any] | None:
    """The signal that adds most to these outcomes, by the score's explanation; else the most confident."""
    candidates = [s for s in account["signals"] if s["type"] in BY_ID and BY_ID[s["type"]].side in outcomes]
    signals = account["signals"]
    steps = (account.get("explanation") or {}).get("steps") or []
    # A step names its signal by its index in the account's signal list.
    ranked = [signals[step["signal"]] for step in steps if step["outcome"] in outcomes and step.get("mrr", 0) > 0
              and signals[step["signal"]]["type"] in BY_ID and BY_ID[signals[step["signal"]]["type"]].side in outcomes]
    ranked += sorted(candidates, key=lambda s: (-s["confidence"], s["ts"]))
    # A quote a manager can read ("we're evaluating Acme") over a bare emoji reply, when there is one.
    return next((s for s in ranked if len(s["evidence"].split()) >= 3), ranked[0] if ranked else None)


def _evidence(signal: Mapping[str, Any] | None) -> str:
    if signal is None:
        return "<span class=muted>—</span>"
    text = signal["evidence"] if len(signal["evidence"]) <= 220 else signal["evidence"][:219] + "…"
    who = " — ".join(_esc(v) for v in (signal.get("author"), str(signal.get("ts") or "")[:10]) if v)
    url = str(signal.get("url") or "")
    link = f' · <a href="{escape(url)}">source</a>' if url.startswith(("https://", "http://")) else ""
    return (f"<blockquote><b>{escape(BY_ID[signal['type']].label)}:</b> “{escape(text)}”"
            f"<div class=muted>{who}{link}</div></blockquote>")


def _overdue(tasks: Sequence[Mapping[str, Any]], *, as_of: str, accounts: Mapping[str, Any]) -> str:
    if not tasks:
        return _none("no overdue tasks.")
    ordered = sorted(tasks, key=lambda t: str(t.get("due") or ""))
    rows = [
        f"<tr><td>{_esc(t.get('title'))}</td><td>{_esc(_account_name(t, accounts))}</td>"
        f"<td>{_esc(t.get('owner') or '—')}</td><td class=num>{_esc(t.get('due'))}</td>"
        f"<td class='num bad'>{_days_late(t.get('due'), as_of)}</td></tr>" for t in ordered[:SHOWN_TASKS]]
    if len(ordered) > SHOWN_TASKS:
        rows.append(f"<tr><td colspan=5 class=muted>and {len(ordered) - SHOWN_TASKS} more</td></tr>")
    return _table(["Task", "Account", "Owner", ">Due", ">Late"], rows)


def _days_late(due: Any, as_of: str) -> str:
    try:
        days = (date.fromisoformat(as_of) - date.fromisoformat(str(due))).days
    except ValueError:
        return "—"
    return f"{days} day{'s' if days != 1 else ''}"


def _account_name(entry: Mapping[str, Any], accounts: Mapping[str, Any]) -> str:
    known = accounts.get(entry.get("account_id")) or {}
    return entry.get("account_name") or entry.get("name") or known.get("name") or entry.get("account_id") or ""


def _changes(changes: Mapping[str, Any] | None, *, accounts: Mapping[str, Any]) -> str:
    if changes is None:
        return _none("this is the first digest, so there is no earlier week to compare with.")
    # Entries may also be bare account ids, as the Slack digest takes them.
    new, resolved = ([e if isinstance(e, Mapping) else {"account_id": e} for e in changes.get(key) or []]
                     for key in ("new_risks", "resolved"))
    closed = list(changes.get("tasks_closed") or [])
    done = (f"<p><b>{len(closed)} task{'s' if len(closed) != 1 else ''} closed</b>: "
            + "; ".join(_esc(t.get("title")) for t in closed[:10]) + ("…" if len(closed) > 10 else "") + "</p>"
            if closed else "")
    if not new and not resolved:
        return done + _none("no new risks and no risk resolved since last week.")
    new_items = "".join(_changed(r, accounts, at_stake=True) for r in new)
    resolved_items = "".join(_changed(r, accounts, at_stake=False) for r in resolved)
    return (f"{done}<div class=pair><div class=panel><h3>New risks ({len(new)})</h3>"
            f"{f'<ul>{new_items}</ul>' if new else '<div class=none>None</div>'}</div>"
            f"<div class=panel><h3>Resolved ({len(resolved)})</h3>"
            f"{f'<ul>{resolved_items}</ul>' if resolved else '<div class=none>None</div>'}</div></div>")


def _changed(entry: Mapping[str, Any], accounts: Mapping[str, Any], *, at_stake: bool) -> str:
    known = accounts.get(entry.get("account_id"))
    stake = entry.get("mrr_at_stake")
    if stake is None and known:
        stake = mrr_at_risk(known["projected"], prefix="")
    money = f" — <span class=bad>{_money(stake)} at stake</span>" if at_stake and stake is not None else ""
    return (f"<li><b>{_esc(_account_name(entry, accounts))}</b> "
            f"<span class=muted>{_esc(entry.get('account_id'))}</span>{money}</li>")


def _actions(report: dict[str, Any]) -> str:
    if not report["actions"]:
        return _none("no actions to take this week.")
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    rows = [
        f"<tr><td class=num>{x['rank']}</td><td>{_esc(names.get(x['account_id'], x['account_id']))}<br>"
        f"<span class='kind {_esc(x['kind'])}'>{_esc(x['kind'])}</span></td><td><b>{_esc(x['title'])}</b>"
        f"<blockquote>{'<br>'.join(escape(line) for line in x['why'].splitlines())}</blockquote></td>"
        f"<td class=num>{_money(x['impact_mrr'])}</td><td>{_esc(x['owner'] or '')}</td>"
        f"<td class=num>{_esc(x['due'] or '')}</td></tr>"
        for x in report["actions"][:10]]
    return _table(["#", "Account", "Action and evidence", ">Impact", "Owner", "Due"], rows)


def _table(headers: Sequence[str], rows: Sequence[str], *, cls: str = "") -> str:
    """A table; a header starting with ">" heads a right-aligned column of figures."""
    head = "".join(f"<th class=num>{escape(h[1:])}</th>" if h.startswith(">") else f"<th>{escape(h)}</th>"
                   for h in headers)
    return f"<table class='{cls}'><tr>{head}</tr>{''.join(rows)}</table>"
