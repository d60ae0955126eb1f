"""Block Kit messages and views, built as plain dicts from the report object's data.

Every builder is a pure function: report dicts in, `{"text", "blocks"}` out
(`text` is the notification fallback), ready for `chat_postMessage(**msg)` or
`respond(**msg)`; `home` returns a view for `views_publish(view=...)`.

Customer text (evidence, names, titles that quote evidence) is untrusted: it
is written by `mrkdwn` (escaped, so `<!channel>` in a customer's message
shows as text), and mrkdwn objects are `verbatim` so Slack does not turn bare
"@here" or URLs into live mentions and links either.  Every text is truncated
to Block Kit's limits (below), cutting escaped text between entities, never
inside one.

Interactive elements carry `value` = compact JSON `{"alert_id": ...}` (the
"Wrong type…" options add `"type": <signal type id>`); `read_value` is its
inverse for the handlers.  Action ids: gs_claim, gs_snooze, gs_not_signal,
gs_wrong_type, gs_open_account.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Iterable, Sequence

from groundswell.delivery.digest import mrr_at_risk
from groundswell.delivery.mrkdwn import (as_date, customer, day, escape, fit, link, long_day, money, number, pct,
                                         type_title, who)
from groundswell.delivery.replies import HELP_TEXT
from signals.actions import clip
from signals.catalog import BY_ID, MESSAGE_TYPES

# Block Kit limits (docs.slack.dev/reference/block-kit).
SECTION_CHARS = 3000
FIELD_CHARS = 2000
FIELDS_PER_SECTION = 10
HEADER_CHARS = 150
BUTTON_TEXT_CHARS = 75
BUTTON_VALUE_CHARS = 2000
OPTION_TEXT_CHARS = 75
OPTION_VALUE_CHARS = 150
OPTIONS_PER_SELECT = 100
CONTEXT_ELEMENTS = 10
MESSAGE_BLOCKS = 50
HOME_BLOCKS = 100
# Our own budgets, well inside the limits: an alert must read at a glance.
MAX_ALERT_ID_CHARS = 64
ALERT_SIGNALS = 5
EVIDENCE_CHARS = 600
TOP_ACCOUNTS = 5
MAX_GROUPS = 20
HOME_ITEMS = 40

ACTION_IDS = ("gs_claim", "gs_snooze", "gs_not_signal", "gs_wrong_type", "gs_open_account")


# -- figures ------------------------------------------------------------------------

def _at_stake(account: dict[str, Any]) -> float:
    return mrr_at_risk(account.get("projected") or {}, prefix="")


def _upside(account: dict[str, Any]) -> float:
    return float((account.get("projected") or {}).get("expansion_mrr") or 0)


def _strongest(signals: Iterable[dict[str, Any]], sides: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Signals (of the given sides of the taxonomy), most confident first."""
    chosen = [s for s in signals if sides is None or getattr(BY_ID.get(s.get("type")), "side", None) in sides]
    return sorted(chosen, key=lambda s: -float(s.get("confidence") or 0))


# -- blocks -----------------------------------------------------------------------

_LOOKALIKES = str.maketrans({"<": "‹", ">": "›"})


def _plain(text: object, limit: int) -> dict[str, Any]:
    # Slack shows plain_text literally, so it is not entity-escaped (that would show "&amp;"); angle
    # brackets become look-alikes anyway so that no client can ever read "<!channel>" in a header.
    return {"type": "plain_text", "text": clip(str(text or "—").translate(_LOOKALIKES), limit) or "—", "emoji": True}


def _mrkdwn(text: str, limit: int = SECTION_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": fit(text, limit) or "—", "verbatim": True}


def _header(text: object) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text, HEADER_CHARS)}


def _section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text)} | extra


def _fields(texts: Sequence[str]) -> dict[str, Any]:
    return {"type": "section", "fields": [_mrkdwn(t, FIELD_CHARS) for t in texts[:FIELDS_PER_SECTION]]}


def _context(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]]}


def _divider() -> dict[str, Any]:
    return {"type": "divider"}


def _more(count: int, noun: str) -> str:
    return f"…and {count} more {noun}{'' if count == 1 else 's'}"


def _pack(lines: Sequence[str], *, max_blocks: int, noun: str) -> list[dict[str, Any]]:
    """Lines in as few sections as fit; what does not fit in `max_blocks` is counted in a last context."""
    groups: list[list[str]] = []
    size = 0
    for line in (fit(x, SECTION_CHARS) for x in lines):
        if groups and size + 1 + len(line) <= SECTION_CHARS:
            groups[-1].append(line)
            size += 1 + len(line)
        else:
            groups.append([line])
            size = len(line)
    if len(groups) <= max_blocks:
        return [_section("\n".join(g)) for g in groups]
    kept = groups[: max_blocks - 1]
    hidden = len(lines) - sum(len(g) for g in kept)
    return [_section("\n".join(g)) for g in kept] + [_context(_more(hidden, noun))]


def _capped(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """A last guard: builders stay under the limit by construction; this keeps a bug from failing the post."""
    return blocks if len(blocks) <= limit else blocks[: limit - 1] + [_context("…truncated")]


# -- interactive values -----------------------------------------------------------

def action_value(alert_id: str, **extra: str) -> str:
    """The `value` of an interactive element: compact JSON naming the alert."""
    if not alert_id or len(alert_id) > MAX_ALERT_ID_CHARS:
        raise ValueError(f"alert_id must be 1-{MAX_ALERT_ID_CHARS} characters, got {alert_id!r:.80}")
    return json.dumps({"alert_id": alert_id, **extra}, separators=(",", ":"))


def read_value(value: str) -> dict[str, str]:
    """The inverse of `action_value`; ValueError when the payload is not ours."""
    try:
        data = json.loads(value)
    except (TypeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a Groundswell action value: {value!r:.80}") from e
    if not isinstance(data, dict) or not isinstance(data.get("alert_id"), str):
        raise ValueError(f"not a Groundswell action value: {value!r:.80}")
    return {k: str(v) for k, v in data.items()}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> dict[str, Any]:
    button = {"type": "button", "action_id": action_id, "text": _plain(text, BUTTON_TEXT_CHARS),
              "value": value[:BUTTON_VALUE_CHARS]}
    return button | ({"style": style} if style else {})


def _type_select(alert_id: str, exclude: Iterable[str]) -> dict[str, Any]:
    skip = set(exclude)
    options = [{"text": _plain(BY_ID[t].title, OPTION_TEXT_CHARS), "value": action_value(alert_id, type=t)}
               for t in MESSAGE_TYPES if t not in skip][:OPTIONS_PER_SELECT]
    return {"type": "static_select", "action_id": "gs_wrong_type",
            "placeholder": _plain("Wrong type…", OPTION_TEXT_CHARS), "options": options}


# -- alert -------------------------------------------------------------------------

def alert(account: dict[str, Any], action: dict[str, Any], signals: Sequence[dict[str, Any]], *,
          alert_id: str) -> dict[str, Any]:
    """One alert for a CSM: the account's figures, the evidence, the recommended action, and buttons."""
    value = action_value(alert_id)
    ordered = _strongest(signals)
    blocks = [_header(account.get("name") or account.get("account_id")), _section(_figures(account, action))]
    blocks += [_section(_signal_text(s)) for s in ordered[:ALERT_SIGNALS]]
    if len(ordered) > ALERT_SIGNALS:
        blocks.append(_context(_more(len(ordered) - ALERT_SIGNALS, "signal")))
    blocks += [_section(_recommendation(action)), {"type": "actions", "block_id": "gs_alert_actions", "elements": [
        _button("I'm on it", "gs_claim", value, style="primary"),
        _button("Snooze a week", "gs_snooze", value),
        _button("Not a signal", "gs_not_signal", value),
        _type_select(alert_id, action.get("signal_types") or ()),
        _button("Open account", "gs_open_account", value)]}]
    text = (f"{escape(action.get('kind') or 'alert').capitalize()}: {customer(account.get('name'), 200)} — "
            f"{money(action.get('impact_mrr'))} at stake")
    return {"text": text, "blocks": _capped(blocks, MESSAGE_BLOCKS)}


def _figures(account: dict[str, Any], action: dict[str, Any]) -> str:
    expand = action.get("kind") == "expand"
    label, score = ("Expansion score", "expansion_score") if expand else ("Risk score", "risk_score")
    return (f"*MRR* {money(account.get('mrr'))} · *{'Upside' if expand else 'At stake'}* "
            f"{money(action.get('impact_mrr'))} · *{label}* {number(account.get(score), '.2f')} · "
            f"*Renewal* {long_day(account.get('renewal_date'))}")


def _signal_text(signal: dict[str, Any]) -> str:
    confidence = signal.get("confidence")
    parts = [f"*{type_title(signal.get('type'))}*"]
    if isinstance(confidence, (int, float)):
        parts.append(f"{float(confidence):.0%} confident")
    if source := link(signal.get("url"), "source message"):
        parts.append(source)
    lines = [" · ".join(parts), f"> {customer(signal.get('evidence'), EVIDENCE_CHARS)}"]
    said = [customer(signal.get("author"), 80) if signal.get("author") else "", day(signal.get("ts"))
            if signal.get("ts") else ""]
    if any(said):
        lines.append("— " + ", ".join(x for x in said if x))
    return "\n".join(lines)


def _recommendation(action: dict[str, Any]) -> str:
    why = "\n".join(customer(line, 400) for line in str(action.get("why") or "").splitlines()[:5] if line.strip())
    lines = [f"*Recommended:* {customer(action.get('title'), 300)}"]
    if why:
        lines.append(why)
    lines.append(f"*Owner* {who(action.get('owner'))} · *Due* {day(action.get('due'))}")
    return "\n".join(lines)


# -- daily summary ------------------------------------------------------------------

def summary(csm: str, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A CSM's daily digest of low-priority alerts, one line each, largest MRR at stake first.

    Each item is `{"account": <report account>, "action": <report action>}`, with an
    optional `"signals"` list (else the account's signals of the action's types).
    """
    ordered = sorted(items, key=lambda i: -float((i.get("action") or {}).get("impact_mrr") or 0))
    title = f"*Low-priority alerts for {who(csm)}* ({len(ordered)})"
    if not ordered:
        return {"text": "No low-priority alerts today.", "blocks": [_section(f"{title}\nNothing today.")]}
    lines = [_summary_line(i) for i in ordered]
    blocks = [_section(title)] + _pack(lines, max_blocks=MESSAGE_BLOCKS - 1, noun="alert")
    return {"text": f"{len(ordered)} low-priority alerts for {who(csm)}", "blocks": blocks}


def _summary_line(item: dict[str, Any]) -> str:
    account, action = item.get("account") or {}, item.get("action") or {}
    types = set(action.get("signal_types") or ())
    signals = item.get("signals") or [s for s in account.get("signals") or () if s.get("type") in types]
    quote_ = f" · “{customer(signals[0].get('evidence'), 100)}”" if signals else ""
    name = customer(account.get("name") or action.get("account_id"), 100)
    return f"• *{name}* · {escape(action.get('kind') or '?')} · {money(action.get('impact_mrr'))} at stake{quote_}"


# -- weekly digest ------------------------------------------------------------------

def digest(report: dict[str, Any], *, changes: dict[str, Any] | None = None,
           overdue: Sequence[dict[str, Any]] = (), page_url: str | None = None) -> dict[str, Any]:
    """The managers' weekly digest: NRR with ranges, money by CSM and segment, top accounts, tasks, changes.

    `changes` is `{"new_risks": [account_id, ...], "resolved": [account_id, ...],
    "nrr_delta": float | None}` (the projected NRR's move in points since last
    week); any key may be missing.  `overdue` entries are `{"title", "owner",
    "due", "account_id"}`.
    """
    p, changes = report["portfolio"], changes or {}
    names = {a["account_id"]: a.get("name") or a["account_id"] for a in report.get("accounts") or ()}
    blocks = [_header(f"Weekly customer digest — {report.get('as_of', '')}"), _section(_headline(p, changes))]
    blocks += _groups("MRR by CSM", p.get("by_csm") or {}) + _groups("MRR by segment", p.get("by_segment") or {})
    blocks += _top(report, "risk") + _top(report, "expansion")
    blocks += _changes(changes, names) + _overdue(overdue, names)
    if full := link(page_url, "Open the full digest"):
        blocks.append(_context(full))
    text = (f"Weekly digest: projected NRR {pct(p.get('projected_nrr'))}{_range(p, 'nrr')}, "
            f"{money(mrr_at_risk(p))} MRR at risk")
    return {"text": text, "blocks": _capped(blocks, MESSAGE_BLOCKS)}


def _range(figures: dict[str, Any], name: str) -> str:
    low_high = figures.get(f"projected_{name}_range")
    return f" (80% range {low_high[0]}–{low_high[1]}%)" if low_high else ""


def _headline(p: dict[str, Any], changes: dict[str, Any]) -> str:
    delta = changes.get("projected_nrr_delta", changes.get("nrr_delta"))
    moved = ""
    if isinstance(delta, (int, float)):
        moved = f" · {'▲' if delta >= 0 else '▼'} {abs(delta):.1f} pts since last week"
    lines = [f"*Projected NRR* {pct(p.get('projected_nrr'))}{_range(p, 'nrr')} · "
             f"*GRR* {pct(p.get('projected_grr'))}{_range(p, 'grr')}{moved}"]
    if trailing := p.get("trailing_12m"):
        lines.append(f"*Trailing 12 months* NRR {pct(trailing.get('nrr'))} · GRR {pct(trailing.get('grr'))}")
    lines.append(f"*MRR at risk* {money(mrr_at_risk(p))} (churn {money(p.get('projected_churn_mrr'))}, "
                 f"contraction {money(p.get('projected_contraction_mrr'))}) · "
                 f"*Expansion* {money(p.get('projected_expansion_mrr'))}")
    return "\n".join(lines)


def _groups(title: str, groups: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A compact table: one field per CSM or segment, most MRR at risk first."""
    if not groups:
        return []
    ordered = sorted(groups.items(), key=lambda kv: (-mrr_at_risk(kv[1]), kv[0]))
    cells = [f"*{customer(name, 100)}*\nAt risk {money(mrr_at_risk(g))} · "
             f"expansion {money(g.get('projected_expansion_mrr'))}\n"
             f"NRR {pct(g.get('projected_nrr'))}{_range(g, 'nrr')}" for name, g in ordered[:MAX_GROUPS]]
    blocks = [_divider(), _section(f"*{title}*")]
    blocks += [_fields(cells[i:i + FIELDS_PER_SECTION]) for i in range(0, len(cells), FIELDS_PER_SECTION)]
    if len(ordered) > MAX_GROUPS:
        blocks.append(_context(_more(len(ordered) - MAX_GROUPS, "group")))
    return blocks


def _top(report: dict[str, Any], side: str) -> list[dict[str, Any]]:
    """The five accounts with the most MRR at risk (or the most expansion), each with its evidence."""
    amount, sides, label = ((_at_stake, ("churn", "contraction"), "Top risks") if side == "risk"
                            else (_upside, ("expansion",), "Top expansions"))
    ranked = sorted((a for a in report.get("accounts") or () if amount(a) > 0), key=lambda a: -amount(a))
    if not ranked:
        return []
    top = [_section(_top_text(a, amount(a), sides)) for a in ranked[:TOP_ACCOUNTS]]
    return [_divider(), _section(f"*{label}*")] + top


def _top_text(account: dict[str, Any], amount: float, sides: tuple[str, ...]) -> str:
    lines = [f"*{customer(account.get('name'), 150)}* — {money(amount)} of {money(account.get('mrr'))} MRR · "
             f"renewal {long_day(account.get('renewal_date'))} · CSM {who(account.get('csm'))}"]
    for s in _strongest(account.get("signals") or (), sides)[:2]:
        quoted = f"> {type_title(s.get('type'))}: “{customer(s.get('evidence'), 300)}”"
        lines.append(f"{quoted} {link(s.get('url'), 'source')}".rstrip())
    return "\n".join(lines)


def _changes(changes: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    lines = []
    for key, label in (("new_risks", "New risks"), ("resolved", "Resolved")):
        ids = list(changes.get(key) or ())
        if ids:
            shown = ", ".join(customer(names.get(i, i), 80) for i in ids[:10])
            lines.append(f"*{label}* ({len(ids)}): {shown}{' …' if len(ids) > 10 else ''}")
    closed = list(changes.get("tasks_closed") or ())
    if closed:
        shown = ", ".join(customer(t.get("title"), 80) for t in closed[:5])
        lines.append(f"*Tasks closed* ({len(closed)}): {shown}{' …' if len(closed) > 5 else ''}")
    return [_divider(), _section("*Since last week*\n" + "\n".join(lines))] if lines else []


def _overdue(tasks: Sequence[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    if not tasks:
        return []
    ordered = sorted(tasks, key=lambda t: str(t.get("due") or ""))
    lines = [_overdue_line(t, names) for t in ordered]
    return [_divider(), _section(f"*Overdue tasks* ({len(lines)})")] + _pack(lines, max_blocks=3, noun="task")


def _overdue_line(task: dict[str, Any], names: dict[str, str]) -> str:
    account = customer(names.get(task.get("account_id"), task.get("account_id")), 80)
    title = customer(task.get("title"), 200)
    return f"• {title} — {account} · {who(task.get('owner'))} · due {day(task.get('due'))}"


# -- replies in threads -------------------------------------------------------------

_CONFIRMATIONS = {
    "assign": lambda t: f"assigned to {who(t.get('owner'))}",
    "claim": lambda t: f"assigned to {who(t.get('owner'))}",
    "due": lambda t: f"due {day(t.get('due'))}",
    "done": lambda t: "marked done",
    "reopen": lambda t: "reopened",
    "snooze": lambda t: f"snoozed until {day(t.get('snoozed_until'))}",
    "not_signal": lambda t: "marked as not a signal (this trains the classifier)",
    "wrong": lambda t: f"re-labelled as {type_title(t.get('signal_type'))} (this trains the classifier)",
}


def task_confirmation(task: dict[str, Any], applied: Sequence[str]) -> dict[str, Any]:
    """A thread reply saying what changed: "Assigned to <@U1>, due Fri 27 Nov."

    `applied` holds the kinds of the commands that changed something
    (`replies.Assign.kind` ..., never help or unknown); the phrases read the task
    after the change: `{"title", "owner", "due", "snoozed_until", "signal_type"}`.
    """
    phrases = list(dict.fromkeys(_CONFIRMATIONS[k](task) for k in applied))
    sentence = ", ".join(phrases) if phrases else "nothing changed"
    sentence = sentence[0].upper() + sentence[1:] + "."
    blocks = [_section(sentence)]
    if task.get("title"):
        blocks.append(_context(customer(task["title"], 300)))
    return {"text": fit(sentence, SECTION_CHARS), "blocks": blocks}


def help_reply(problems: Sequence[str] = ()) -> dict[str, Any]:
    """The answer to a reply that was not (fully) understood: what went wrong, then the help."""
    lines = [f"• {customer(p, 300)}" for p in problems[:5]]
    blocks = ([_section("\n".join(lines))] if lines else []) + [_section(HELP_TEXT)]
    return {"text": "Here is what I understand.", "blocks": blocks}


# -- App Home and account card --------------------------------------------------------

def home(user_id: str, tasks: Sequence[dict[str, Any]], accounts: Sequence[dict[str, Any]], *,
         today: date) -> dict[str, Any]:
    """The App Home view: my open tasks (overdue first, marked) and my accounts at risk.

    Tasks are `{"title", "account_id", "account_name"?, "due"?}`; accounts are report accounts.
    """
    ordered = sorted(tasks, key=lambda t: (as_date(t.get("due")) is None, as_date(t.get("due")) or today))
    blocks = [_header("Groundswell"), _section(f"*Your open tasks, {who(user_id)}* ({len(ordered)})")]
    blocks += [_section(_task_line(t, today)) for t in ordered[:HOME_ITEMS]] or [_context("No open tasks.")]
    if len(ordered) > HOME_ITEMS:
        blocks.append(_context(_more(len(ordered) - HOME_ITEMS, "task")))
    at_risk = sorted((a for a in accounts if _at_stake(a) > 0), key=lambda a: -_at_stake(a))
    blocks += [_divider(), _section(f"*Your accounts at risk* ({len(at_risk)})")]
    blocks += [_section(_account_line(a)) for a in at_risk[:HOME_ITEMS]] or [_context("No account at risk.")]
    if len(at_risk) > HOME_ITEMS:
        blocks.append(_context(_more(len(at_risk) - HOME_ITEMS, "account")))
    return {"type": "home", "blocks": _capped(blocks, HOME_BLOCKS)}


def task_list(user_id: str, tasks: Sequence[dict[str, Any]], *, today: date) -> dict[str, Any]:
    """`/groundswell tasks`: someone's open tasks, one line each, overdue marked."""
    title = f"*Open tasks of {who(user_id)}* ({len(tasks)})"
    lines = [f"• {_task_line(t, today)}" for t in tasks[:HOME_ITEMS]]
    if len(tasks) > HOME_ITEMS:
        lines.append(_more(len(tasks) - HOME_ITEMS, "task"))
    body = "\n".join([title, *lines]) if lines else f"{title}\nNo open tasks."
    return {"text": f"{len(tasks)} open tasks", "blocks": [_section(body)]}


def account_choices(query: str, names: Sequence[tuple[str, str]], *, shown: int = 10) -> dict[str, Any]:
    """`/groundswell account <query>` matching none or several accounts ((account_id, name) each)."""
    if not names:
        return {"text": f"No account matches “{escape(query)}”: try its name or id."}
    lines = [f"• {escape(name)} (`{escape(account_id)}`)" for account_id, name in names[:shown]]
    more = [_more(len(names) - shown, "account")] if len(names) > shown else []
    text = f"{len(names)} accounts match “{escape(query)}”; which one?"
    return {"text": text, "blocks": [_section("\n".join([text, *lines, *more]))]}


def _task_line(task: dict[str, Any], today: date) -> str:
    due = as_date(task.get("due"))
    when = "no due date" if due is None else f"due {day(due)}"
    if due is not None and due < today:
        when = f":warning: *overdue* since {day(due)}"
    account = task.get("account_name") or task.get("account_id") or ""
    return f"*{customer(task.get('title'), 300)}*\n{customer(account, 100)} · {when}"


def _account_line(account: dict[str, Any]) -> str:
    line = (f"*{customer(account.get('name'), 150)}* — {money(_at_stake(account))} at stake of "
            f"{money(account.get('mrr'))} MRR · renewal {long_day(account.get('renewal_date'))}")
    if risks := _strongest(account.get("signals") or (), ("churn", "contraction")):
        line += f"\n{type_title(risks[0].get('type'))}: “{customer(risks[0].get('evidence'), 200)}”"
    return line


def account_card(account: dict[str, Any]) -> dict[str, Any]:
    """`/groundswell account <name>`: an ephemeral card with the figures and the strongest signals."""
    segment, plan = (customer(account.get(k) or "—", 60) for k in ("segment", "plan"))
    cells = [f"*MRR*\n{money(account.get('mrr'))}", f"*Renewal*\n{long_day(account.get('renewal_date'))}",
             f"*At risk*\n{money(_at_stake(account))}", f"*Expansion*\n{money(_upside(account))}",
             f"*Risk score*\n{number(account.get('risk_score'), '.2f')}",
             f"*Expansion score*\n{number(account.get('expansion_score'), '.2f')}",
             f"*CSM*\n{who(account.get('csm'))}", f"*Segment · plan*\n{segment} · {plan}"]
    signals = _strongest(account.get("signals") or ())
    blocks = [_header(account.get("name") or account.get("account_id")), _fields(cells)]
    blocks += [_section(_signal_text(s)) for s in signals[:ALERT_SIGNALS]] or [_context("No signals yet.")]
    if len(signals) > ALERT_SIGNALS:
        blocks.append(_context(_more(len(signals) - ALERT_SIGNALS, "signal")))
    return {"response_type": "ephemeral", "text": f"{customer(account.get('name'), 200)}: "
            f"{money(_at_stake(account))} MRR at risk", "blocks": blocks}
