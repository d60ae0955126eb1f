"""Report snapshots: the scored portfolio built once per date and input, then read from the store.

Scoring thousands of accounts from their signals takes seconds, and `report`,
alerts and the digest ask the same question many times between changes. A
snapshot is keyed by its date and a hash of everything the report is computed
from: the data revision (`revision`: moved by every write
that can change a report), the whole config, and the source of the modules
that do the scoring. When any of them differs the report is rebuilt, so a
snapshot is never stale; `analyze` builds one so the next `report` is instant.

Each account's entry is stored as its own JSON text, so `report --account`
reads one row and the table reads the top of the list, not the whole
portfolio.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Collection

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from groundswell import revision, store
from groundswell.settings import Config

# The modules whose code decides what a report says: editing one invalidates every snapshot.
SCORER_MODULES = ("groundswell.report", "signals.scoring", "signals.baserates", "signals.projection",
                  "signals.actions", "signals.catalog", "signals.nrr", "groundswell.snapshots")


@dataclass(frozen=True)
class Snapshot:
    as_of: date
    portfolio: dict[str, Any]
    actions: list[dict[str, Any]]  # the report's top actions (config.actions.limit), ranked


def inputs(session: Session, config: Config) -> str:
    """The hash a snapshot is valid for."""
    digest = hashlib.sha256()
    digest.update(str(revision.revision(session)).encode())
    digest.update(config.model_dump_json().encode())
    digest.update(_scorer_code())
    return digest.hexdigest()


@functools.cache
def _scorer_code() -> bytes:
    """A hash of the scoring modules' source, read once a process (the service asks on every run)."""
    digest = hashlib.sha256()
    for name in SCORER_MODULES:
        spec = importlib.util.find_spec(name)  # the file, without importing it (and numpy with it)
        digest.update(Path(spec.origin).read_bytes() if spec and spec.origin else name.encode())
    return digest.digest()


def current(session: Session, *, as_of: date, config: Config, now: datetime) -> Snapshot:
    """The report as of `as_of`: read from the store when its inputs are unchanged, else built and stored."""
    key = inputs(session, config)
    stored = store.load_snapshot(session, as_of=as_of, inputs=key)
    if stored is not None:
        return Snapshot(as_of, json.loads(stored[0]), json.loads(stored[1]))
    from groundswell.report import build_report  # here, not at the top: the scorer pulls in numpy, a hit needs none
    data = build_report(session, as_of=as_of, config=config, every_action=True)
    by_account: dict[str, list[dict[str, Any]]] = {}
    for action in data["actions"]:
        by_account.setdefault(action["account_id"], []).append(action)
    top = data["actions"][: config.actions.limit]
    try:
        store.save_snapshot(session, as_of=as_of, inputs=key, portfolio=_dumps(data["portfolio"]),
                            actions=_dumps(top), at=now,
                            accounts=[(a["account_id"], _dumps(_without(a, "explanation")),
                                       _dumps(by_account.get(a["account_id"], [])), _dumps(a["explanation"]))
                                      for a in data["accounts"]])
        session.commit()
    except IntegrityError:  # another process stored the same report first
        session.rollback()
    return Snapshot(as_of, data["portfolio"], top)


def as_json(session: Session, snapshot: Snapshot) -> str:
    """The whole report as `report --format json` prints it, without parsing every account.

    Accounts come without their `explanation`: for a large portfolio it would
    double the output, and `report --account ID` shows it for one account.
    """
    accounts = ", ".join(store.snapshot_entries(session, as_of=snapshot.as_of))
    return (f'{{"as_of": {json.dumps(snapshot.as_of.isoformat())}, "portfolio": {_dumps(snapshot.portfolio)}, '
            f'"accounts": [{accounts}], "actions": {_dumps(snapshot.actions)}}}')


def as_report(session: Session, snapshot: Snapshot, *, limit: int, account_id: str | None = None,
              top: int | None = None, account_ids: Collection[str] | None = None) -> dict[str, Any]:
    """The report object: whole, or with one account, the `top` ones (plus those with actions) or `account_ids`.

    For one account, its actions are ranked among themselves, as if the
    portfolio held only it, up to `limit`; otherwise they are the portfolio's
    top actions.  Accounts keep the report's order.
    """
    actions = snapshot.actions
    if account_id is not None:
        rows = store.snapshot_accounts(session, as_of=snapshot.as_of, ids=[account_id])
        actions = [a | {"rank": i} for i, a in enumerate(json.loads(rows[0][3]) if rows else [], start=1)][:limit]
    elif account_ids is not None:
        rows = store.snapshot_accounts(session, as_of=snapshot.as_of, ids=account_ids)
    elif top is not None:
        rows = store.snapshot_accounts(session, as_of=snapshot.as_of, first=top)
        rows += store.snapshot_accounts(session, as_of=snapshot.as_of,
                                        ids={a["account_id"] for a in actions} - {row[1] for row in rows})
    else:
        rows = store.snapshot_accounts(session, as_of=snapshot.as_of)
    return {"as_of": snapshot.as_of.isoformat(), "portfolio": snapshot.portfolio,
            "accounts": [_with_explanation(body, explanation) for _, _, body, _, explanation in sorted(rows)],
            "actions": actions}


def _with_explanation(body: str, explanation: str) -> dict[str, Any]:
    entry = json.loads(body)
    # Back in its place, before the signals, as build_report orders the keys.
    signals = entry.pop("signals")
    return entry | {"explanation": json.loads(explanation), "signals": signals}


def _without(entry: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != key}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
