"""The scored portfolio as data: interface.md's report object, and its Markdown form.

`build_report` reads the store, scores every active account as of a date,
plans and ranks actions, and returns plain dicts and lists ready for JSON.
The CLI's table, the digest and alerts all render from this one object.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlmodel import Session

from groundswell import store
from groundswell.settings import Config
from signals import baserates, nrr, projection
from signals.baserates import OUTCOMES, BaseRates
from signals.actions import Action, plan_actions, rank
from signals.catalog import BY_ID
from signals.portfolio import Account, Signal
from signals.scoring import AccountScore, ScoringParams, score_account


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone.utc)


def scoring_params(config: Config) -> ScoringParams:
    s = config.scoring
    return ScoringParams(half_life_days=s.half_life_days, repeat_decay=s.repeat_decay,
                         renewal_window_days=s.renewal_window_days, renewal_boost=s.renewal_boost,
                         horizon_months=s.horizon_months, effects={t: dict(e) for t, e in s.effects.items()},
                         defaults=BaseRates(**s.base_rates.model_dump()))


@dataclass(frozen=True)
class Scored:
    """A portfolio scored as of a date: what the report, calibration and the backtest share."""

    accounts: list[Account]          # active at the date, MRR as of the date
    signals: dict[str, list[Signal]]
    scores: dict[str, AccountScore]
    history: dict[str, dict[str, float]]


def score_portfolio(session: Session, *, as_of: date, config: Config, params: ScoringParams | None = None) -> Scored:
    """Every account active on `as_of`, scored from the signals up to that day."""
    until = end_of_day(as_of)
    history = store.load_revenue(session)
    accounts = [a for a in accounts_as_of(store.load_accounts(session), history, as_of) if a.mrr > 0]
    signals: dict[str, list[Signal]] = defaultdict(list)
    for s in store.load_signals(session, until=until):
        signals[s.account_id].append(s)
    params = params or scoring_params(config)
    rates = baserates.estimate(history, {a.account_id: a.segment for a in accounts}, before=nrr.Month.parse(as_of),
                               horizon_months=params.horizon_months, defaults=params.defaults,
                               prior_months=config.scoring.segment_prior_months)
    scores = {a.account_id: score_account(a, signals[a.account_id], as_of=until, params=params,
                                          base=baserates.for_group(rates, a.segment)) for a in accounts}
    return Scored(accounts, signals, scores, history)


def accounts_as_of(accounts: list[Account], history: dict[str, dict[str, float]], as_of: date) -> list[Account]:
    """Accounts with the MRR they had on `as_of`.

    When revenue history covers the date, an account's MRR is its MRR in the
    latest recorded month up to the date (0 if it had no row then: churned, or
    not yet a customer), so a backtest sees the accounts that later churned.
    For dates after the history, accounts.csv's current MRR stands.
    """
    months = {m for per in history.values() for m in per}
    month = f"{as_of:%Y-%m}"
    recorded = max((m for m in months if m <= month), default=None)
    if recorded is None or month > max(months):  # no history for the date: accounts.csv is all there is
        return accounts
    return [replace(a, mrr=float(history[a.account_id].get(recorded, 0.0))) if a.account_id in history else a
            for a in accounts]


def build_report(session: Session, *, as_of: date, config: Config, account_id: str | None = None,
                 every_action: bool = False) -> dict[str, Any]:
    """The report object, computed now; `every_action` keeps all actions instead of the configured top."""
    scored = score_portfolio(session, as_of=as_of, config=config)
    until = end_of_day(as_of)
    accounts, signals, scores = scored.accounts, scored.signals, scored.scores
    actions = rank([x for a in accounts for x in plan_actions(
        a, scores[a.account_id], signals[a.account_id], as_of=until, playbooks=config.playbooks,
        due_days=config.actions.due_days)])
    shown = [a for a in accounts if account_id in (None, a.account_id)]
    engaged = _engaged_contacts(session, config, until, account_id)
    shown.sort(key=lambda a: (-(scores[a.account_id].churn_mrr + scores[a.account_id].contraction_mrr), a.account_id))
    return {
        "as_of": as_of.isoformat(),
        "portfolio": _portfolio(scored, as_of, config),
        "accounts": [_account(a, scores[a.account_id], signals[a.account_id], engaged.get(a.account_id, ()))
                     for a in shown],
        "actions": [_action(i, x) for i, x in enumerate(
            [x for x in actions if account_id in (None, x.account_id)][: None if every_action else config.actions.limit],
            start=1)],
    }


def _engaged_contacts(session: Session, config: Config, until: datetime,
                      account_id: str | None) -> dict[str, tuple[str, ...]]:
    since = until - timedelta(days=config.analysis.engagement_window_days)
    return store.customer_authors(session, since=since, until=until, account_id=account_id)


def _portfolio(scored: Scored, as_of: date, config: Config) -> dict[str, Any]:
    """Projected figures with their ranges for the whole portfolio and by segment and CSM (one simulation)."""
    by_id = {a.account_id: a for a in scored.accounts}
    groupings = {"*": lambda s: "*"} | {f"by_{by}": projection.group_key(by, by_id) for by in ("segment", "csm")}
    projected = projection.project_groupings(list(scored.scores.values()), groupings,
                                             simulations=config.scoring.interval_simulations)
    whole = projected.pop("*").get("*") or projection.empty()
    out = projection.to_dict(whole) | {"horizon_months": config.scoring.horizon_months}
    history = scored.history
    months = sorted({m for per in history.values() for m in per if m <= f"{as_of:%Y-%m}"})
    if months:
        # Trailing twelve months, or as much history as there is when it is shorter.
        trailing = nrr.trailing_twelve_months(history, months[-1], first=months[0]).to_dict()
        out["trailing_12m"] = {k: trailing[k] for k in ("start", "end", "nrr", "grr", "logo_retention")}
    return out | {key: {name: projection.to_dict(p) for name, p in groups.items()} for key, groups in projected.items()}


def _account(a: Account, score: AccountScore, signals: list[Signal], engaged: tuple[str, ...]) -> dict[str, Any]:
    ordered = sorted(signals, key=lambda s: (s.ts, s.type), reverse=True)
    return {
        "account_id": a.account_id, "name": a.name, "mrr": round(a.mrr, 2),
        "renewal_date": a.renewal_date.isoformat() if a.renewal_date else None, "csm": a.csm,
        "segment": a.segment, "plan": a.plan,
        "risk_score": round(score.risk_score, 3), "expansion_score": round(score.expansion_score, 3),
        "projected": {"churn_mrr": round(score.churn_mrr, 2), "contraction_mrr": round(score.contraction_mrr, 2),
                      "expansion_mrr": round(score.expansion_mrr, 2)},
        "engaged_contacts": list(engaged),
        "probabilities": {o: round(score.probability(o), 4) for o in OUTCOMES},
        "explanation": explain(score, ordered),
        "signals": [_signal(s) for s in ordered],
    }


def explain(score: AccountScore, signals: list[Signal]) -> dict[str, Any]:
    """How the score was built: base rates, then each signal's step, strongest first.

    A step names its signal by its index in `signals` (the account's list in
    the report) rather than repeating the quote: a large portfolio's report
    would otherwise carry every piece of evidence twice or more.
    """
    base = score.base
    index = {id(s): i for i, s in enumerate(signals)}
    return {
        "base": {"churn": round(base.churn, 4), "contraction": round(base.contraction, 4),
                 "expansion": round(base.expansion, 4), "contraction_size": round(base.contraction_size, 3),
                 "expansion_size": round(base.expansion_size, 3), "months_of_history": base.exposure},
        "base_mrr": {o: round(score.base_mrr(o), 2) for o in OUTCOMES},
        "steps": [{"outcome": c.outcome, "signal": index[id(c.signal)], "type": c.signal.type,
                   "strength": round(c.strength, 3), "log_odds": round(c.log_odds, 3),
                   "probability": round(c.probability, 4), "mrr": round(c.mrr, 2)}
                  for c in score.contributions],
    }


def _signal(s: Signal) -> dict[str, Any]:
    out: dict[str, Any] = {"type": s.type, "confidence": round(s.confidence, 3), "evidence": s.evidence,
                           "source": s.source or "derived", "message_id": s.message_id,
                           "ts": s.ts.isoformat().replace("+00:00", "Z"), "author": s.author}
    if s.url:
        out["url"] = s.url
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
             f"**{p['accounts']} accounts, ${p['start_mrr']:,.0f} MRR.** Projected NRR over "
             f"{p.get('horizon_months', 12)} months **{p['projected_nrr']}%**{_range(p, 'nrr')}, "
             f"GRR **{p['projected_grr']}%**{_range(p, 'grr')} (churn −${p['projected_churn_mrr']:,.0f}, contraction "
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


def _range(portfolio: dict[str, Any], figure: str) -> str:
    low_high = portfolio.get(f"projected_{figure}_range")
    return f" (80% range {low_high[0]}–{low_high[1]}%)" if low_high else ""


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")
