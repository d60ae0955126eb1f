"""`groundswell serve`: APScheduler triggers attached to the pipeline's jobs.

Only wiring of time lives here; the jobs themselves are `pipeline.refresh`
and `pipeline.publish_digest`, which take `now` explicitly and are tested
without a clock.  APScheduler 3.x with coalescing, one instance per job, a
generous misfire grace time (the default of 1 s silently skips late runs)
and stable job ids.  SIGTERM and SIGINT stop the scheduler after the running
job finishes.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from agents.base import Agent, Classifier
from agents.multithread import MultithreadAgent
from connectors.base import SourceError
from groundswell import pipeline
from groundswell.settings import Config, ConfigError

log = logging.getLogger("groundswell.serve")
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Source:
    """A live source's sync, bound to its client and config: `sync(now)` returns a report with `.stored`."""

    name: str
    every_minutes: int
    sync: Callable[[datetime], Any]


@dataclass
class Jobs:
    """The service's jobs, bound to their dependencies; `clock` supplies `now` at run time.

    Each live source syncs on its own interval and, when it stored something,
    the new messages are analysed and the alerts due are posted at once.  The
    refresh re-ingests the watched folders (the transcript drop zone), analyses
    and alerts; the weekly digest is written, and posted with a Slack client.
    Analysis runs one at a time, whichever job asks for it.
    """

    engine: Engine
    classifier: Classifier
    agents: Sequence[Agent]
    multithread: MultithreadAgent
    config: Config
    clock: Callable[[], datetime] = utcnow
    slack: Any = None  # a slack_sdk WebClient, when SLACK_BOT_TOKEN is set
    sources: Sequence[Source] = ()
    llm_model: str = ""  # recorded with the LLM backend's spending
    _analysing: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _failures: dict[str, int] = field(default_factory=dict, repr=False)
    _llm_recorded: dict[str, Any] = field(default_factory=dict, repr=False)
    _resume_at: dict[str, datetime] = field(default_factory=dict, repr=False)

    def refresh(self) -> None:
        now = self.clock()
        with self._analysing:
            result = pipeline.refresh(self.engine, watch=self.config.serve.watch, classifier=self.classifier,
                                      agents=self.agents, multithread=self.multithread,
                                      vendor_domains=self.config.vendor.domains, now=now,
                                      options=self.config.sources)
            new = result.ingested.inserted if result.ingested else 0
            log.info("refresh: %d new messages, %d analysed, %d new signals", new, result.analysed.messages,
                     result.analysed.signals)
            for error in result.errors:
                log.warning("refresh: %s", error)
            self._after_analysis(now)

    def sync(self, name: str) -> None:
        """One live source's sync; the others never wait for it.

        A source that fails is retried with backoff: after n failures in a row
        it skips its runs for 2**(n-1) intervals (at most 8), so a dead API is
        not hammered and a passing outage costs little.
        """
        source, now = next(s for s in self.sources if s.name == name), self.clock()
        if now < self._resume_at.get(name, now):
            return
        try:
            result = source.sync(now)
        except SourceError as exc:
            failures = self._failures[name] = self._failures.get(name, 0) + 1
            wait = timedelta(minutes=source.every_minutes * min(2 ** (failures - 1), 8))
            self._resume_at[name] = now + wait - timedelta(seconds=1)
            log.warning("%s sync failed (%d in a row), next try in %s: %s", name, failures, wait, exc)
            return
        self._failures.pop(name, None)
        self._resume_at.pop(name, None)
        log.info("%s sync: %d read, %d new", name, result.seen, result.stored)
        for skipped in getattr(result, "skipped", ()):
            log.warning("%s sync: skipped %s", name, skipped)
        if result.stored:
            self.analyse(now)

    def analyse(self, now: datetime) -> None:
        with self._analysing:
            result = pipeline.analyze(self.engine, classifier=self.classifier, agents=self.agents,
                                      multithread=self.multithread, as_of=now, now=now)
            log.info("analysis: %d messages, %d new signals", result.messages, result.signals)
            self._after_analysis(now)

    def _after_analysis(self, now: datetime) -> None:
        """Cost and alerts, still under the analysis lock: jobs run on several threads, and two of
        them planning alerts at once would both post a cause that is recorded only once sent."""
        self._record_llm(now)
        self._alert(now)

    def _record_llm(self, now: datetime) -> None:
        """With the LLM backend, what this analysis cost: the change in the classifier's running totals."""
        from sqlmodel import Session

        from groundswell import llm_store
        from groundswell.wiring import llm_usage
        totals = llm_usage(self.classifier)
        if totals is None:
            return
        run = {k: v - self._llm_recorded.get(k, 0) for k, v in totals.items() if isinstance(v, (int, float))}
        self._llm_recorded = totals
        if run.get("sent") or run.get("requests") or run.get("cache_hits"):
            with Session(self.engine) as session, session.begin():
                llm_store.record_llm_usage(session, at=now, model=self.llm_model or "llm", usage=run)
            log.info("llm: %d requests, %d from cache, about $%.4f", run.get("requests", 0),
                     run.get("cache_hits", 0), run.get("cost_usd", 0.0))

    def weekly_digest(self) -> None:
        post = self.slack if self.slack is not None and self.config.digest.channel else None
        path = pipeline.publish_digest(self.engine, config=self.config, path=self.config.serve.digest_path,
                                       now=self.clock(), client=post)
        log.info("weekly digest written to %s%s", path, " and posted" if post else "")

    def _alert(self, now: datetime) -> None:
        """Score today, so the next report is instant; with Slack, post the alerts due."""
        from sqlmodel import Session

        from groundswell import snapshots
        from groundswell.delivery import alerts
        with Session(self.engine) as session:
            if self.slack is None:
                snapshots.current(session, as_of=alerts.service_day(self.config, now), config=self.config, now=now)
                return
            todo = alerts.due_now(session, config=self.config, now=now)
            sent = alerts.post(session, self.slack, todo, config=self.config.alerts, now=now)
        log.info("alerts: %d posted in %d messages, %d waiting", sent.posted, sent.messages, len(todo.waiting))
        for error in sent.errors:
            log.warning("alerts: %s", error)


def schedule(scheduler: BaseScheduler, jobs: Jobs) -> BaseScheduler:
    """Attach the jobs to `scheduler` (not started), with stable ids: one sync job per live source."""
    serve = jobs.config.serve
    try:
        digest = CronTrigger.from_crontab(serve.digest_cron, timezone=serve.timezone)
    except (ValueError, LookupError) as exc:
        raise ConfigError(f"serve.digest_cron {serve.digest_cron!r} or timezone {serve.timezone!r} is invalid: {exc}") from None
    scheduler.configure(job_defaults=JOB_DEFAULTS, timezone=serve.timezone)
    for source in jobs.sources:
        scheduler.add_job(jobs.sync, IntervalTrigger(minutes=source.every_minutes), args=[source.name],
                          id=f"sync_{source.name}", replace_existing=True, next_run_time=jobs.clock())
    scheduler.add_job(jobs.refresh, IntervalTrigger(minutes=serve.refresh_minutes), id="refresh",
                      replace_existing=True, next_run_time=jobs.clock())
    scheduler.add_job(jobs.weekly_digest, digest, id="weekly_digest", replace_existing=True)
    return scheduler


def run_forever(scheduler: BaseScheduler) -> None:
    """Start a blocking scheduler; SIGTERM/SIGINT shut it down after the running job."""
    def stop(signum: int, _frame: Any) -> None:
        log.info("received signal %d: shutting down", signum)
        scheduler.shutdown(wait=False)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()
