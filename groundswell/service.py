"""`groundswell serve`: the Slack bot's connection beside the scheduled jobs.

Socket Mode (the default) needs no public URL: the app opens a WebSocket to
Slack with SLACK_APP_TOKEN.  HTTP mode serves /slack/events on
`[slack] port` and verifies every request's signature with
SLACK_SIGNING_SECRET.  Without SLACK_BOT_TOKEN there is no bot: the service
only ingests watched folders, analyses and writes the digest.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from apscheduler.schedulers.blocking import BlockingScheduler
from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from groundswell.scheduler import Jobs, run_forever, schedule
from groundswell.settings import Config, ConfigError, Settings

log = logging.getLogger("groundswell.serve")


def serve(jobs: Jobs, settings: Settings) -> None:
    scheduler = schedule(BlockingScheduler(), jobs)
    if jobs.slack is not None:
        connect_bot(engine=jobs.engine, client=jobs.slack, config=jobs.config, settings=settings)
    else:
        log.info("no SLACK_BOT_TOKEN: running without the Slack bot")
    run_forever(scheduler)


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
