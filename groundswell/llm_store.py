"""The LLM backend's tables: its answers cached by prompt hash, and what each of its runs cost.

Apart from `store` because no portfolio data is in them; they build on its dialect-aware INSERT.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from groundswell.store import dialect_insert
from groundswell.tables import LLMCacheRow, LLMUsageRow


class StoredCache:
    """The LLM's answers by prompt hash, in the database, so that re-analysis never pays twice.

    `get_many` and `put` each run in their own short transaction: the
    classifier is called from inside other jobs, and a cached answer is true
    whatever becomes of the job that paid for it.
    """

    CHUNK = 500  # keys per SELECT … IN: well under every database's parameter limit

    def __init__(self, engine: Engine, *, model: str) -> None:
        self.engine, self.model = engine, model

    def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
        t = LLMCacheRow.__table__.c
        found: dict[str, Any] = {}
        with Session(self.engine) as session:
            for start in range(0, len(keys), self.CHUNK):
                rows = session.connection().execute(select(t.key, t.value).where(t.key.in_(keys[start:start + self.CHUNK])))
                found.update((key, json.loads(value)) for key, value in rows)
        return found

    def put(self, key: str, value: Any) -> None:
        with Session(self.engine) as session, session.begin():
            stmt = dialect_insert(session, LLMCacheRow.__table__).values(
                key=key, model=self.model, value=json.dumps(value), created_at=datetime.now(timezone.utc))
            session.connection().execute(stmt.on_conflict_do_nothing(index_elements=["key"]))


def record_llm_usage(session: Session, *, at: datetime, model: str, usage: dict[str, Any]) -> None:
    fields = ("screened", "sent", "requests", "cache_hits", "prompt_tokens", "completion_tokens", "cost_usd")
    session.add(LLMUsageRow(at=at, model=model, **{k: usage.get(k, 0) or 0 for k in fields}))


def llm_usage(session: Session) -> dict[str, Any] | None:
    """The LLM backend's last run and its totals, or None if it never ran."""
    t = LLMUsageRow.__table__.c
    last = session.connection().execute(select(LLMUsageRow.__table__).order_by(t.id.desc()).limit(1)).mappings().first()
    if last is None:
        return None
    totals = session.connection().execute(select(func.count(), func.sum(t.requests), func.sum(t.cost_usd),
                                                 func.sum(t.prompt_tokens + t.completion_tokens))).one()
    return {"last": dict(last), "runs": totals[0], "requests": totals[1] or 0, "cost_usd": round(totals[2] or 0, 4),
            "tokens": totals[3] or 0}
