"""`groundswell demo`: the bundled sample company, analysed end to end, offline.

The company lives in `groundswell/demo_company/` in the real input formats
(a Slack export, mbox mailboxes, transcripts, CSVs), so the demo exercises
exactly the code a real import does.  Its conversations end in October 2026,
so the demo scores as of 2026-10-31 whatever today's date.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlmodel import Session

from groundswell import console, pipeline, snapshots, store
from groundswell.report import end_of_day
from groundswell.settings import ConfigError
from groundswell.wiring import build_analysis, build_engine

if TYPE_CHECKING:
    from groundswell.cli import Context

DEMO_AS_OF = date(2026, 10, 31)
MARKER = "demo"


def run_demo(ctx: "Context", *, out_path: Path) -> None:
    engine = _fresh_engine(ctx.db_url)
    with resources.as_file(resources.files("groundswell") / "demo_company") as company:
        with console.progress(ctx.err, "Ingesting the demo company") as advance:
            ingested = pipeline.ingest(engine, paths=[company], vendor_domains=ctx.config.vendor.domains, options=ctx.config.sources,
                                       progress=advance)
    console.print_ingest(ctx.out, ctx.err, ingested)
    analysis = build_analysis("local", ctx.settings, ctx.config)
    now = datetime.now(timezone.utc)
    analysed = pipeline.analyze(engine, classifier=analysis.classifier, agents=analysis.agents,
                                multithread=analysis.multithread, as_of=end_of_day(DEMO_AS_OF), now=now,
                                batch_size=ctx.config.analysis.batch_size)
    console.print_analyze(ctx.out, analysed)
    with Session(engine) as session, session.begin():
        store.record_sync(session, source=MARKER, at=now, counts={"messages": ingested.inserted})
    with Session(engine) as session:
        stored = snapshots.current(session, as_of=DEMO_AS_OF, config=ctx.config, now=now)
        report = snapshots.as_report(session, stored, limit=ctx.config.actions.limit, top=0)
    ctx.out.print()
    console.print_portfolio(ctx.out, report)
    console.print_actions(ctx.out, report, top=10)
    pipeline.publish_digest(engine, config=ctx.config, path=out_path, now=end_of_day(DEMO_AS_OF))
    ctx.out.print(f"\nWrote the weekly digest to {out_path}. Explore further with "
                  f"`groundswell report --as-of {DEMO_AS_OF}` (add --format json or --account ID).")


def _fresh_engine(url: str):
    """The demo's database, emptied if an earlier demo made it; never someone's real data."""
    path = _sqlite_file(url)
    if path is not None and path.exists() and _is_demo(url):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    engine = build_engine(url)
    with Session(engine) as session:
        holds = store.counts(session)
    if holds["messages"] or holds["accounts"]:
        if not _is_demo(url):
            raise ConfigError(f"the database at {url} already holds data: run the demo in another directory "
                              "or pass --db sqlite:///demo.db")
        store.drop_schema(engine)
        engine.dispose()
        engine = build_engine(url)
    return engine


def _is_demo(url: str) -> bool:
    engine = store.make_engine(url)
    try:
        if "sync_state" not in inspect(engine).get_table_names():
            return False
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1 FROM sync_state WHERE source = :s"), {"s": MARKER}).first() is not None
    finally:
        engine.dispose()


def _sqlite_file(url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(url[len(prefix):]) if url.startswith(prefix) and url != "sqlite:///:memory:" else None
