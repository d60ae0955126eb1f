"""What the terminal shows: Rich tables and progress for the CLI's results.

Results go to stdout; progress and warnings to stderr, so `--format json`
output can be piped.  Rendering only: every figure comes from the report
object or an ingest/analyze report.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table

from signals.actions import clip
from signals.catalog import BY_ID

if TYPE_CHECKING:  # the pipeline imports every connector; the console only needs its report types
    from groundswell.pipeline import AnalyzeReport, IngestReport


KIND_COLOURS = {"save": "red", "protect": "dark_orange", "expand": "green", "multithread": "magenta", "task": "cyan"}


def make_consoles() -> tuple[Console, Console]:
    return Console(highlight=False, soft_wrap=False), Console(stderr=True, highlight=False)


@contextmanager
def progress(err: Console, label: str, total: int | None = None) -> Iterator[Any]:
    """A progress bar (or a counting spinner when the total is unknown) on stderr."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def print_ingest(out: Console, err: Console, r: IngestReport) -> None:
    sources = ", ".join(f"{n} {s}" for s, n in sorted(r.by_source.items())) or "no messages"
    out.print(f"Ingested {r.inserted} new message{'s' if r.inserted != 1 else ''} ({sources} read; "
              f"{r.duplicates} duplicate{'s' if r.duplicates != 1 else ''} or already stored). Accounts {r.accounts}, contacts {r.contacts}, "
              f"revenue rows {r.revenue} new or changed.")
    out.file.flush()  # keep stdout and stderr lines in order when both go to one pipe
    if internal := r.internal_summary():
        err.print(f"{internal}.")
    for line in r.unknown_summary():
        err.print(f"[yellow]Not stored:[/] {escape(line)}.")
    if r.noise:
        err.print("Skipped as noise: " + ", ".join(f"{n} {k}" for k, n in sorted(r.noise.items())) + ".")
    if r.skipped:
        err.print(f"[yellow]Skipped {len(r.skipped)} unreadable part{'s' if len(r.skipped) != 1 else ''}:[/]")
        for skip in r.skipped[:10]:
            err.print(f"  {skip}")
        if len(r.skipped) > 10:
            err.print(f"  … and {len(r.skipped) - 10} more")
    if r.unrecognised:
        err.print(f"Ignored {len(r.unrecognised)} file(s) in no known format, e.g. {r.unrecognised[0]}.")


def print_analyze(out: Console, r: AnalyzeReport) -> None:
    kinds = ", ".join(f"{n} {t}" for t, n in r.by_type.most_common()) or "none"
    out.print(f"Analysed {r.messages} new message{'s' if r.messages != 1 else ''}: {r.signals} new signals; "
              f"{r.derived} derived signals recomputed. By type: {kinds}.")


def print_report(out: Console, report: dict[str, Any], *, top: int | None = None) -> None:
    print_portfolio(out, report)
    print_actions(out, report, top=top)
    shown, total = len(report["accounts"]), report["portfolio"]["accounts"]
    caption = f"{shown} of {total} accounts: the most MRR at risk and those with actions. " \
              "--format json or markdown lists them all." if shown < total else None
    table = Table(title="Accounts by MRR at risk", title_justify="left", caption=caption, caption_justify="left")
    for col, kw in (("Account", {}), ("MRR", {"justify": "right"}), ("Risk", {"justify": "right"}),
                    ("Expansion", {"justify": "right"}), ("At risk", {"justify": "right"}),
                    ("Upside", {"justify": "right"}), ("Renewal", {}), ("Signals", {})):
        table.add_column(col, **kw)
    for a in report["accounts"]:
        p = a["projected"]
        kinds = ", ".join(sorted({BY_ID[s["type"]].title for s in a["signals"] if s["type"] != "action_item"}))
        table.add_row(a["name"], f"${a['mrr']:,.0f}", f"{a['risk_score']:.2f}", f"{a['expansion_score']:.2f}",
                      f"${p['churn_mrr'] + p['contraction_mrr']:,.0f}", f"${p['expansion_mrr']:,.0f}",
                      a["renewal_date"] or "", kinds or "—")
    out.print(table)


def print_portfolio(out: Console, report: dict[str, Any]) -> None:
    p = report["portfolio"]
    out.print(f"[bold]Portfolio as of {report['as_of']}[/]: {p['accounts']} account{'s' if p['accounts'] != 1 else ''}, "
              f"${p['start_mrr']:,.0f} MRR")
    if "trailing_12m" in p:
        t = p["trailing_12m"]
        out.print(f"  Actual NRR, trailing 12 months ({t['start']} → {t['end']}): [bold]{t['nrr']}%[/]"
                  f"  (GRR {t['grr']}%, logo retention {t['logo_retention']}%)")
    low, high = p.get("projected_nrr_range") or (None, None)
    spread = f", 80% range {low}–{high}%" if low is not None else ""
    out.print(f"  Projected NRR over the next {p.get('horizon_months', 12)} months: [bold]{p['projected_nrr']}%[/]"
              f"{spread}  (GRR {p['projected_grr']}%; churn −${p['projected_churn_mrr']:,.0f}, contraction "
              f"−${p['projected_contraction_mrr']:,.0f}, expansion +${p['projected_expansion_mrr']:,.0f})")


def print_actions(out: Console, report: dict[str, Any], *, top: int | None = None) -> None:
    """Actions as cards: readable at any terminal width, evidence quoted in full."""
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    out.print("\n[bold]Prioritised actions[/]")
    if not report["actions"]:
        out.print("  Nothing needs doing: no signals call for action.")
    for x in report["actions"][:top]:
        colour = KIND_COLOURS.get(x["kind"], "white")
        out.print(f"\n[bold]{x['rank']:>2}. {escape(names.get(x['account_id'], x['account_id']))}[/]  "
                  f"[{colour}]{x['kind']}[/]  ${x['impact_mrr']:,.0f} at stake  ·  due {x['due'] or '—'}"
                  f"  ·  {escape(x['owner'] or 'no owner')}")
        out.print(f"    {escape(x['title'])}", style="bold")
        for part in x["why"].splitlines():
            out.print(f"    [dim]▸[/] {escape(part)}")


@contextmanager
def status(err: Console, label: str) -> Iterator[None]:
    """A spinner on stderr for work with no countable steps (silent when stderr is not a terminal)."""
    if not err.is_terminal:
        yield
        return
    with err.status(label):
        yield


def print_evaluation(out: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"{result['messages']} labelled messages", title_justify="left")
    for name in ("type", "precision", "recall", "F1", "labelled", "predicted"):
        table.add_column(name, justify="left" if name == "type" else "right")
    for type_id, s in result["per_type"].items():
        table.add_row(type_id, f"{s['precision']:.2f}", f"{s['recall']:.2f}", f"{s['f1']:.2f}",
                      str(s["support"]), str(s["predicted"]))
    out.print(table)
    out.print(f"macro-F1 {result['macro_f1']:.3f}; messages with no signal flagged anyway: "
              f"{result['false_positive_rate']:.1%} of {result['no_signal_messages']}")
    items = result["action_items"]
    if items["found"]:
        out.print(f"action items found on labelled messages: {items['found']}; owner agrees "
                  f"{items['owner_accuracy']:.0%}, due date agrees {items['due_accuracy']:.0%}")
    if result["confusions"]:
        out.print("most frequent confusions (labelled -> predicted): " + "; ".join(
            f"{c['labelled']} -> {c['predicted']} x{c['count']}" for c in result["confusions"]))
    reliability = Table(title="reliability: does confidence match observed precision?", title_justify="left")
    for name in ("confidence", "signals", "mean confidence", "precision"):
        reliability.add_column(name, justify="right")
    for row in result["reliability"]:
        reliability.add_row(row["bin"], str(row["signals"]), f"{row['mean_confidence']:.2f}", f"{row['precision']:.2f}")
    out.print(reliability)
    if result["evidence_not_in_text"]:
        out.print(f"[red]{result['evidence_not_in_text']} evidence quotes are not in their message's text[/red]")


def print_training(out: Console, model: Any, path: Any) -> None:
    table = Table(title=f"trained on {model.meta['examples']:,} labelled messages", title_justify="left")
    combined = model.meta.get("combination_out_of_fold_f1")
    for name in ("type", "threshold", "out-of-fold F1") + (("with the encoder", "n-gram share") if combined else ()):
        table.add_column(name, justify="left" if name == "type" else "right")
    for type_id in model.types:
        row = [type_id, f"{model.thresholds[type_id]:+.3f}", f"{model.meta['out_of_fold_f1'][type_id]:.2f}"]
        if combined:
            row += [f"{combined[type_id]:.2f}", f"{model.meta['combination']['weights'][type_id]:.1f}"]
        table.add_row(*row)
    out.print(table)
    out.print(f"wrote {path} ({len(model.vocabulary):,} features)")


def print_calibration(out: Console, result: Any, written: Any) -> None:
    window = " → ".join(str(m) for m in result.window)
    out.print(f"[bold]Calibration as of {result.as_of}[/]: signals up to that day, revenue outcomes {window}")
    columns = (("current config", result.before), ("fitted, cross-validated", result.after),
               ("fitted, in sample", result.fitted_in_sample))
    table = Table(title="Backtest", title_justify="left")
    table.add_column("")
    for label, _ in columns:
        table.add_column(label, justify="right")
    rows = [d.to_dict() for _, d in columns]
    b = result.before
    table.add_row("accounts (lost / expanded)", *[f"{b.accounts} ({b.losses} / {b.expansions})"] * len(rows))
    table.add_row("risk AUC (churn or contraction)", *(_fmt(d["risk_auc"]) for d in rows))
    table.add_row("expansion AUC", *(_fmt(d["expansion_auc"]) for d in rows))
    for k in rows[0]["precision_at"]:
        table.add_row(f"precision at {k}", *(f"{d['precision_at'][k]:.2f}" for d in rows))
    lead = rows[0]["lead_time_days"]
    table.add_row("lead time, median days", *(_fmt(d["lead_time_days"]["median"], "{:g}") for d in rows))
    table.add_row("lost with no risk signal before", *[str(lead["no_signal_before"])] * len(rows))
    out.print(table)
    effects = Table(title="Fitted effects (log-odds per fully confident, fresh signal)", title_justify="left")
    for col in ("type", "churn", "contraction", "expansion"):
        effects.add_column(col, justify="left" if col == "type" else "right")
    for type_id, by_outcome in result.effects.items():
        effects.add_row(type_id, *(f"{by_outcome.get(o, 0.0):+.2f}" for o in ("churn", "contraction", "expansion")))
    out.print(effects)
    out.print(f"Written to {written} under [scoring.effects]." if written else "Dry run: nothing written.")


def _fmt(value: float | None, pattern: str = "{:.3f}") -> str:
    return "—" if value is None else pattern.format(value)


def print_account(out: Console, report: dict[str, Any]) -> None:
    """One account: its score, how it was built (base rate, then each signal's step), and its timeline."""
    a = report["accounts"][0]
    p, e = a["projected"], a["explanation"]
    out.print(f"[bold]{escape(a['name'])}[/] ({a['account_id']}) as of {report['as_of']}: ${a['mrr']:,.0f} MRR, "
              f"{a['segment'] or 'no segment'}, CSM {a['csm'] or '—'}, renewal {a['renewal_date'] or '—'}")
    out.print(f"  Risk {a['risk_score']:.2f} · expansion {a['expansion_score']:.2f} · expected churn "
              f"−${p['churn_mrr']:,.0f}, contraction −${p['contraction_mrr']:,.0f}, expansion +${p['expansion_mrr']:,.0f}")
    out.print("\n[bold]How the score was built[/]")
    base = e["base"]
    origin = f"{base['months_of_history']} account-months of revenue history" if base["months_of_history"] \
        else "the configured defaults (no revenue history)"
    for outcome in ("churn", "contraction", "expansion"):
        steps = [s for s in e["steps"] if s["outcome"] == outcome]
        out.print(f"  [bold]{outcome}[/]: base rate {base[outcome]:.1%} → {a['probabilities'][outcome]:.1%}; "
                  f"expected ${e['base_mrr'][outcome]:,.0f} from the base rate")
        for step in steps[:8]:
            s = a["signals"][step["signal"]]
            out.print(f"    {step['probability']:+.1%}  {_signed(step['mrr'])}  {BY_ID[s['type']].title}, "
                      f"{s['ts'][:10]}: “{escape(clip(s['evidence'], 90))}”")
        if len(steps) > 8:
            rest = sum(s["mrr"] for s in steps[8:])
            out.print(f"    and {len(steps) - 8} smaller steps, {_signed(rest)} together")
    out.print(f"  [dim]Base rates from {origin}; segment shrunk towards the portfolio.[/]")
    out.print("\n[bold]Timeline[/]")
    for s in sorted(a["signals"], key=lambda s: s["ts"]):
        extra = f" → {s.get('owner') or '?'} by {s.get('due') or 'no date'}" if s["type"] == "action_item" else ""
        who = f" — {escape(s['author'])}" if s.get("author") else ""
        out.print(f"  {s['ts'][:10]}  {BY_ID[s['type']].title} ({s['confidence']:.2f}){extra}: "
                  f"“{escape(clip(s['evidence'], 120))}”{who}  [dim]{s['source']}[/]")
    if report["actions"]:
        print_actions(out, report)


def _signed(mrr: float) -> str:
    return f"{'+' if mrr >= 0 else '−'}${abs(mrr):,.0f}"


def print_sync(out: Console, err: Console, r: Any) -> None:
    out.print(f"{r.source.title()}: {r.seen} message{'s' if r.seen != 1 else ''} read, {r.stored} new stored"
              + (", nothing new" if not r.stored else ""))
    for hint, n in r.unresolved.most_common(5):
        err.print(f"  {n} message{'s' if n != 1 else ''} with no account ({escape(hint)})")
    for skipped in r.skipped:
        err.print(f"  skipped {escape(skipped)}")


def print_alerts(out: Console, err: Console, rows: list[dict[str, Any]], sent: Any) -> None:
    if not rows:
        out.print("No alerts due: nothing new since the last ones.")
        return
    table = Table(title="Alerts", title_justify="left")
    for col in ("Account", "Kind", "At stake", "When", "CSM", "Evidence"):
        table.add_column(col, justify="right" if col == "At stake" else "left")
    for a in rows:
        quote = clip(a["signals"][0]["evidence"], 80) if a["signals"] else ""
        table.add_row(escape(a["account"]), a["kind"], f"${a['impact_mrr']:,.0f}", a["when"], escape(a["csm"] or "—"),
                      f"“{escape(quote)}”")
    out.print(table)
    if sent is not None:
        out.print(f"Posted {sent.posted} alert{'s' if sent.posted != 1 else ''} in {sent.messages} "
                  f"message{'s' if sent.messages != 1 else ''}.")
        for error in sent.errors:
            err.print(f"  not sent: {escape(error)}")


def print_status(out: Console, s: dict[str, Any], *, now: Any) -> None:
    if not s["sources"]:
        out.print("No live source has synced yet.")
    for source, at, error, counts in s["sources"]:
        minutes = (now - at).total_seconds() / 60
        out.print(f"source {source}: last sync with news {minutes:,.0f} min ago ({at:%Y-%m-%d %H:%M} UTC), "
                  f"{counts.get('stored', 0)} stored" + (f"; [red]{escape(error)}[/]" if error else ""))
    out.print("alerts: " + (", ".join(f"{n} {k}" for k, n in sorted(s["alerts"].items())) or "none")
              + f"; open tasks: {s['open_tasks']}")
    if s.get("llm"):
        print_status_llm(out, s["llm"])
    out.print("stored: " + ", ".join(f"{n:,} {name}" for name, n in s["counts"].items()))


def print_llm_usage(err: Console, usage: dict[str, Any], *, model: str) -> None:
    err.print(f"LLM ({escape(model)}): {usage['sent']} of {usage['screened']} messages past the local screen, "
              f"{usage['requests']} requests, {usage['cache_hits']} from cache, "
              f"{usage['prompt_tokens'] + usage['completion_tokens']:,} tokens, about ${usage['cost_usd']:.4f}")


def print_status_llm(out: Console, llm: dict[str, Any]) -> None:
    """The LLM backend's spending: in all, and on its last run."""
    last = llm["last"]
    out.print(f"LLM backend: {llm['runs']} runs, {llm['requests']:,} requests, {llm['tokens']:,} tokens, "
              f"about ${llm['cost_usd']:.2f} in all; last run {last['at']:%Y-%m-%d %H:%M} UTC "
              f"({escape(last['model'])}): {last['sent']} of {last['screened']} messages sent, "
              f"{last['cache_hits']} from cache, about ${last['cost_usd']:.4f}")
