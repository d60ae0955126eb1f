"""The data revision: a counter that every write able to change a report moves.

A report snapshot is good while the revision it was computed at stands
(`snapshots`).  Writers count their writes in the session (`bump`); the
counter row itself is written once per transaction, just before it commits.
On PostgreSQL an UPDATE holds its row lock until commit, so bumping the row
at each write would make a long import block every other writer (the bot
recording a verdict, `serve`'s analysis) for as long as the import ran;
written at commit, the row is locked only for the commit itself.  Within
its own transaction a session still reads the revision its writes made.
"""

from __future__ import annotations

from sqlalchemy import event, select
from sqlmodel import Session

from groundswell.tables import RevisionRow

_PENDING = "groundswell.revision.pending"  # session.info key: writes counted, not yet on the row


def bump(session: Session) -> None:
    """Count a write that can change a report, in the writer's own transaction."""
    if not event.contains(Session, "before_commit", _write_pending):
        # Installed by the first write, not at import: every session class that writes gets it.
        event.listen(Session, "before_commit", _write_pending)
        event.listen(Session, "after_transaction_end", _drop_pending)
    session.info[_PENDING] = session.info.get(_PENDING, 0) + 1


def revision(session: Session) -> int:
    """How many report-changing writes the database has seen, this session's uncommitted ones included."""
    t = RevisionRow.__table__.c
    committed = session.connection().execute(select(t.value).where(t.name == "data")).scalar() or 0
    return committed + session.info.get(_PENDING, 0)


def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, 0)
    if not pending:
        return
    from groundswell.store import dialect_insert  # here, not at the top: store imports this module

    t = RevisionRow.__table__
    stmt = dialect_insert(session, t).values(name="data", value=pending)
    session.connection().execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": t.c.value + pending}))


def _drop_pending(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session's outermost transaction ended: committed (written) or rolled back
        session.info.pop(_PENDING, None)
