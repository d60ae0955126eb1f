"""The scored portfolio as data: interface.md's report object, and its Markdown form.

`build_report` reads the store, scores every active account as of a date,
plans and ranks actions, and returns plain dicts and lists ready for JSON.
The CLI's table, the digest and alerts all render from this one object.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlmodel import Session

from agents.multithread import engagement
from groundswell import store
from groundswell.settings import Config
from signals import nrr
from signals.actions import Action, plan_actions, rank
from signals.catalog import BY_ID
from signals.portfolio import Account, Signal
from signals.scoring import AccountScore, ScoringParams, project_portfolio, score_account


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def scoring_params(config: Config) -> ScoringParams:
    s = config.scoring
    return ScoringParams(half_life_days=s.half_life_days, repeat_decay=s.repeat_decay,
                         contraction_share=s.contraction_share, expansion_share=s.expansion_share,
                         renewal_window_days=s.renewal_window_days, renewal_boost=s.renewal_boost,
                         weights=dict(s.weights))


def build_report(session: Session, *, as_of: date, config: Config, account_id: str | None = None) -> dict[str, Any]:
    until = end_of_day(as_of)
    accounts = [a for a in store.load_accounts(session) if a.mrr > 0]
    signals: dict[str, list[Signal]] = defaultdict(list)
    for s in store.load_signals(session, until=until):
        signals[s.account_id].append(s)
    params = scoring_params(config)
    scores = {a.account_id: score_account(a, signals[a.account_id], as_of=until, params=params) for a in accounts}
    actions = rank([x for a in accounts for x in plan_actions(
        a, scores[a.account_id], signals[a.account_id], as_of=until, playbooks=config.playbooks,
        due_days=config.actions.due_days)])
    engaged = _engaged_contacts(session, config, until)
    urls = store.message_urls(session, keys={(s.source, s.message_id) for ss in signals.values() for s in ss
                                             if s.message_id})
    shown = [a for a in accounts if account_id in (None, a.account_id)]
    shown.sort(key=lambda a: (-(scores[a.account_id].churn_mrr + scores[a.account_id].contraction_mrr), a.account_id))
    return {
        "as_of": as_of.isoformat(),
        "portfolio": _portfolio(session, scores, as_of),
        "accounts": [_account(a, scores[a.account_id], signals[a.account_id], engaged.get(a.account_id, ()), urls)
                     for a in shown],
        "actions": [_action(i, x) for i, x in enumerate(
            [x for x in actions if account_id in (None, x.account_id)][: config.actions.limit], start=1)],
    }


def _engaged_contacts(session: Session, config: Config, until: datetime) -> dict[str, tuple[str, ...]]:
    window = config.analysis.engagement_window_days
    activity = store.activity(session, until=until, since=until - timedelta(days=window))
    return {acc: engagement(rows, as_of=until, window_days=window).engaged for acc, rows in activity.items()}


def _portfolio(session: Session, scores: dict[str, AccountScore], as_of: date) -> dict[str, Any]:
    projection = project_portfolio(list(scores.values()))
    out: dict[str, Any] = {
        "accounts": projection.accounts, "start_mrr": round(projection.start_mrr, 2),
        "projected_churn_mrr": round(projection.churn_mrr, 2),
        "projected_contraction_mrr": round(projection.contraction_mrr, 2),
        "projected_expansion_mrr": round(projection.expansion_mrr, 2),
        "projected_nrr": _pct(projection.nrr), "projected_grr": _pct(projection.grr),
    }
    history = store.load_revenue(session)
    months = sorted({m for per in history.values() for m in per if m <= f"{as_of:%Y-%m}"})
    if months:
        end = nrr.Month.parse(months[-1])
        # Trailing twelve months, or as much history as there is when it is shorter.
        trailing = nrr.retention(history, max(end - 12, nrr.Month.parse(months[0])), end).to_dict()
        out["trailing_12m"] = {k: trailing[k] for k in ("start", "end", "nrr", "grr", "logo_retention")}
    return out


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _account(a: Account, score: AccountScore, signals: list[Signal], engaged: tuple[str, ...],
             urls: dict[tuple[str, str], str | None]) -> dict[str, Any]:
    ordered = sorted(signals, key=lambda s: (s.ts, s.type), reverse=True)
    return {
        "account_id": a.account_id, "name": a.name, "mrr": round(a.mrr, 2),
        "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None, "csm": a.csm,
        "segment": a.segment, "plan": a.plan,
        "risk_score": round(score.risk_score, 3), "expansion_score": round(score.expansion_score, 3),
        "projected": {"churn_mrr": round(score.churn_mrr, 2), "contraction_mrr": round(score.contraction_mrr, 2),
                      "expansion_mrr": round(score.expansion_mrr, 2)},
        "engaged_contacts": list(engaged),
        "drivers": [{"type": c.signal.type, "side": c.side, "strength": round(c.strength, 3),
                     "evidence": c.signal.evidence} for c in score.contributions[:5]],
        "signals": [_signal(s, urls) for s in ordered],
    }


def _signal(s: Signal, urls: dict[tuple[str, str], str | None]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": s.type, "confidence": round(s.confidence, 3), "evidence": s.evidence,
                           "source": s.source or "derived", "message_id": s.message_id,
                           "ts": s.ts.isoformat().replace("+00:00", "Z"), "author": s.author}
    if s.message_id and urls.get((s.source, s.message_id)):
        out["url"] = urls[(s.source, s.message_id)]
    if s.type == "action_item":
        out["owner"], out["due"] = s.owner, s.due.isoformat() if s.due else None
    return out


def _action(rank_: int, x: Action) -> dict[str, Any]:
    return {"rank": rank_, "id": x.id, "account_id": x.account_id, "kind": x.kind, "title": x.title, "why": x.why,
            "impact_mrr": x.impact_mrr, "owner": x.owner, "due": x.due.isoformat() if x.due else None,
            "signal_types": list(x.signal_types)}


def to_markdown(report: dict[str, Any]) -> str:
    p = report["portfolio"]
    lines = [f"# Groundswell report — {report['as_of']}", "",
             f"**{p['accounts']} accounts, ${p['start_mrr']:,.0f} MRR.** Projected NRR **{p['projected_nrr']}%**, "
             f"GRR **{p['projected_grr']}%** (churn −${p['projected_churn_mrr']:,.0f}, contraction "
             f"−${p['projected_contraction_mrr']:,.0f}, expansion +${p['projected_expansion_mrr']:,.0f})."]
    if "trailing_12m" in p:
        t = p["trailing_12m"]
        lines.append(f"Trailing 12 months ({t['start']} → {t['end']}): NRR {t['nrr']}%, GRR {t['grr']}%, "
                     f"logo retention {t['logo_retention']}%.")
    lines += ["", "## Actions", "", "| # | Account | Kind | Action | Impact | Owner | Due |", "|---|---|---|---|---|---|---|"]
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    for x in report["actions"]:
        lines.append(f"| {x['rank']} | {names.get(x['account_id'], x['account_id'])} | {x['kind']} | "
                     f"{_md(x['title'])}<br>{_md(x['why'])} | ${x['impact_mrr']:,.0f} | {x['owner'] or ''} | {x['due'] or ''} |")
    lines += ["", "## Accounts", "", "| Account | MRR | Risk | Expansion | Renewal | Signals |", "|---|---|---|---|---|---|"]
    for a in report["accounts"]:
        kinds = ", ".join(sorted({BY_ID[s['type']].title for s in a["signals"]})) or "—"
        lines.append(f"| {_md(a['name'])} | ${a['mrr']:,.0f} | {a['risk_score']:.2f} | {a['expansion_score']:.2f} | "
                     f"{a['renewal_date'] or ''} | {kinds} |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")
