"""`groundswell serve`: the Slack bot's connection beside the scheduled jobs.

Socket Mode (the default) needs no public URL: the app opens a WebSocket to
Slack with SLACK_APP_TOKEN.  HTTP mode serves /slack/events on
`[slack] port` and verifies every request's signature with
SLACK_SIGNING_SECRET.  Without SLACK_BOT_TOKEN there is no bot: the service
only ingests watched folders, analyses and writes the digest.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from typing import Any
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from groundswell.scheduler import Jobs, run_forever, schedule
from groundswell.settings import Config, ConfigError, Settings

log = logging.getLogger("groundswell.serve")


def serve(jobs: Jobs, settings: Settings, *, wait_seconds: float = 15.0) -> None:
    """Run the jobs and the bot, once this process holds the scheduler lock (a second `serve` waits)."""
    lock = SchedulerLock(jobs.engine)
    while not lock.acquire():
        log.info("another groundswell serve runs the jobs on this database: waiting to take over")
        time.sleep(wait_seconds)
    log.info("this process runs the scheduled jobs")
    scheduler = schedule(BlockingScheduler(), jobs)
    if jobs.slack is not None:
        connect_bot(engine=jobs.engine, client=jobs.slack, config=jobs.config, settings=settings)
    else:
        log.info("no SLACK_BOT_TOKEN: running without the Slack bot")
    run_forever(scheduler)


class SchedulerLock:
    """Held by the one `serve` process that runs the jobs; released by the OS when that process dies.

    A lease row would outlive a killed process and keep its restart waiting;
    these locks go with the process.  On PostgreSQL it is a session advisory
    lock on a connection kept open; on a SQLite file, an exclusive `flock` on
    a file beside the database (SQLite has no lock a process can keep).
    """

    KEY = 0x6753_7276  # "gSrv": one advisory-lock key for Groundswell's scheduler

    def __init__(self, engine: Engine) -> None:
        self.engine, self._held = engine, None

    def acquire(self) -> bool:
        if self._held is not None:
            return True
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.KEY}).scalar():
                self._held = connection
            else:
                connection.close()
        else:
            self._held = self._lock_file()
        return self._held is not None

    def release(self) -> None:
        if self.engine.dialect.name == "postgresql" and self._held is not None:
            # A closed connection goes back to the pool with its session lock: unlock it first.
            self._held.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.KEY})
        if self._held is not None and self._held is not True:
            self._held.close()
        self._held = None

    def _lock_file(self) -> Any:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True  # an in-memory database belongs to this process alone
        handle = open(f"{database}.serve-lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return None
        return handle


def connect_bot(*, engine: Engine, client: WebClient, config: Config, settings: Settings) -> App:
    """Start the bot in the configured mode; it runs in its own threads while the scheduler blocks."""
    from groundswell.delivery.bot import build_app
    mode = config.slack.mode
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if mode == "http" and not secret:
        raise ConfigError("[slack] mode = \"http\" needs SLACK_SIGNING_SECRET to verify Slack's requests")
    if mode == "socket" and settings.slack_app_token is None:
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write); "
                          "or set [slack] mode = \"http\"")
    app = build_app(engine=engine, client=client, signing_secret=secret or "unused-in-socket-mode", config=config,
                    clock=lambda: datetime.now(timezone.utc))
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        SocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value()).connect()
        log.info("Slack bot connected in Socket Mode")
    else:
        threading.Thread(target=app.start, kwargs={"port": config.slack.port}, daemon=True, name="slack-http").start()
        log.info("Slack bot listening on port %d (POST /slack/events)", config.slack.port)
    return app
