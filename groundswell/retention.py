"""`groundswell nrr`: actual retention of the cohort active in the start month.

Reads revenue (and, for `--by`, accounts) from the CSVs when given, else
from the database, and prints signals.nrr's figures as a table or JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from sqlmodel import Session

from connectors import csv_crm
from groundswell import store
from signals import nrr

if TYPE_CHECKING:
    from groundswell.cli import Context


def nrr_command(ctx: "Context", *, revenue_csv: Path | None, accounts_csv: Path | None, start: str, end: str,
                by: str | None, fmt: str) -> None:
    try:
        first, last = nrr.Month.parse(start), nrr.Month.parse(end)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if last <= first:
        raise click.BadParameter(f"--end {end} must be after --start {start}")
    history, groups_of = _load(ctx, revenue_csv, accounts_csv, by=by, months=(str(first), str(last)))
    overall = nrr.retention(history, first, last).to_dict()
    groups = {}
    if by:
        keys = {account_id: value or "(none)" for account_id, value in groups_of.items()}
        groups = {g: r.to_dict() for g, r in nrr.retention_by(history, first, last, keys).items()}
    if fmt == "json":
        click.echo(json.dumps({**overall, "groups": groups}))
    else:
        _print(ctx, overall, groups, by)


def _load(ctx: "Context", revenue_csv: Path | None, accounts_csv: Path | None,
          *, by: str | None, months: tuple[str, str]) -> tuple[dict[str, dict[str, float]], dict[str, str | None]]:
    """The revenue of the two months compared, and each account's value of `by` (empty without --by).

    A cohort's retention depends only on each account's MRR in the start and
    end months, so only those rows are read from the database.
    """
    history: dict[str, dict[str, float]] = {}
    if revenue_csv is not None:
        for account_id, month, mrr in csv_crm.read_revenue(revenue_csv):
            history.setdefault(account_id, {})[month] = mrr
    groups = {a.account_id: getattr(a, by) for a in csv_crm.read_accounts(accounts_csv)} \
        if by and accounts_csv is not None else {}
    if revenue_csv is None or (by and accounts_csv is None):
        with Session(ctx.engine()) as session:
            history = history or store.load_revenue(session, months=months)
            groups = groups or (store.account_field(session, field=by) if by else {})
    if not history:
        where = "in revenue.csv" if revenue_csv is not None else "in the database"
        raise click.BadParameter(f"no revenue for {months[0]} or {months[1]} {where}: "
                                 "pass --revenue revenue.csv or ingest one first")
    return history, groups


def _print(ctx: "Context", overall: dict[str, Any], groups: dict[str, dict[str, Any]], by: str | None) -> None:
    table = Table(title=f"Retention of the cohort active in {overall['start']}, measured in {overall['end']}",
                  title_justify="left")
    for col in (by or "", "Accounts", "Start MRR", "Expansion", "Contraction", "Churned", "NRR", "GRR", "Logos"):
        table.add_column(col, justify="left" if col == (by or "") else "right")
    for name, r in [("All", overall), *groups.items()]:
        table.add_row(name, str(r["accounts"]), f"${r['starting_mrr']:,.0f}", f"+${r['expansion_mrr']:,.0f}",
                      f"−${r['contraction_mrr']:,.0f}", f"−${r['churned_mrr']:,.0f}", _pct(r["nrr"]),
                      _pct(r["grr"]), _pct(r["logo_retention"]))
    ctx.out.print(table)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"
