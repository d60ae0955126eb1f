"""The CRM side as CSV: accounts.csv, contacts.csv and revenue.csv.

Formats are interface.md's.  Files are recognised by their header, not their
name, and read whole before anything is stored: any bad row is a
`FatalSourceError` naming the file, the line and the fix, so an import is
all-or-nothing.  Extra account columns are kept as attributes.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

from connectors.base import FatalSourceError
from signals.portfolio import Account, Contact

REQUIRED = {
    "accounts": ("account_id", "name", "mrr"),
    "contacts": ("email", "name"),
    "revenue": ("account_id", "month", "mrr"),
}
ACCOUNT_FIELDS = {"account_id", "name", "mrr", "domains", "slack_channels", "csm", "segment", "plan", "renewal_date"}
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def sniff(path: Path) -> str | None:
    """'accounts', 'contacts' or 'revenue' when the file's header says so, else None."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = {h.strip().lower() for h in next(csv.reader(handle), [])}
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if {"month", "account_id", "mrr"} <= header:
        return "revenue"
    if {"account_id", "name", "mrr"} <= header:
        return "accounts"
    if {"email", "name"} <= header:
        return "contacts"
    return None


def _rows(path: Path, kind: str) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise FatalSourceError(f"{path}: cannot open ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED[kind] if c not in header]
        if missing:
            raise FatalSourceError(f"{path.name}: missing required column {', '.join(repr(c) for c in missing)} "
                                   f"for {kind} (found: {', '.join(header) or 'no header'})")
        reader.fieldnames = header
        try:
            for row in reader:
                if any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k and isinstance(v, str)}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FatalSourceError(f"{path.name} line {reader.line_num}: unreadable CSV ({exc})") from None


def _field(path: Path, line: int, name: str, raw: str, parse: Callable[[str], object]) -> object:
    try:
        return parse(raw)
    except ValueError:
        raise FatalSourceError(f"{path.name} line {line}: {name} {raw!r} is not valid") from None


def _money(raw: str) -> float:
    value = float(raw.replace(",", "").replace("$", "") or "0")
    if value < 0 or value != value:
        raise ValueError(raw)
    return value


def _split(raw: str) -> tuple[str, ...]:
    return tuple(p.strip().lower().lstrip("#@") for p in raw.split(";") if p.strip())


def read_accounts(path: Path) -> list[Account]:
    accounts: dict[str, Account] = {}
    for line, row in _rows(path, "accounts"):
        account_id = row["account_id"]
        if not account_id or not row["name"]:
            raise FatalSourceError(f"{path.name} line {line}: account_id and name must not be empty")
        if account_id in accounts:
            raise FatalSourceError(f"{path.name} line {line}: duplicate account_id {account_id!r}")
        renewal = row.get("renewal_date") or ""
        accounts[account_id] = Account(
            account_id=account_id, name=row["name"], mrr=_field(path, line, "mrr", row["mrr"], _money),
            domains=_split(row.get("domains", "")), slack_channels=_split(row.get("slack_channels", "")),
            csm=row.get("csm") or None, segment=row.get("segment") or None, plan=row.get("plan") or None,
            renewal_date=_field(path, line, "renewal_date", renewal, date.fromisoformat) if renewal else None,
            attributes={k: v for k, v in row.items() if k not in ACCOUNT_FIELDS and v})
    return list(accounts.values())


def read_contacts(path: Path) -> list[Contact]:
    contacts: dict[str, Contact] = {}
    for line, row in _rows(path, "contacts"):
        email = row["email"].lower()
        if not EMAIL.match(email):
            raise FatalSourceError(f"{path.name} line {line}: email {row['email']!r} is not an email address")
        contacts[email] = Contact(email=email, name=row["name"] or email, title=row.get("title") or None,
                                  account_id=row.get("account_id") or None,
                                  slack_user_id=row.get("slack_user_id") or None, role=row.get("role") or None)
    return list(contacts.values())


def read_revenue(path: Path) -> list[tuple[str, str, float]]:
    seen: dict[tuple[str, str], float] = {}
    for line, row in _rows(path, "revenue"):
        if not MONTH.match(row["month"]):
            raise FatalSourceError(f"{path.name} line {line}: month {row['month']!r} is not YYYY-MM")
        key = (row["account_id"], row["month"])
        if key in seen:
            raise FatalSourceError(f"{path.name} line {line}: second row for {key[0]} in {key[1]}")
        seen[key] = _field(path, line, "mrr", row["mrr"], _money)
    return [(a, m, v) for (a, m), v in seen.items()]
