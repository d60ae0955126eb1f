"""End to end through Slack: a customer writes in a shared channel -> sync -> analyze -> one alert to the CSM ->
the CSM replies in the alert's thread -> a task is assigned, dated and closed -> the digest counts it.

The real slack_sdk WebClient and slack-bolt App talk to a local fake of the Slack Web API (tests/fakes/slack.py);
bolt receives signed requests exactly as Slack sends them.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, select

from connectors.slack import slack_ts, web_client
from groundswell import pipeline, revision, snapshots, store, weekly
from groundswell.delivery import alerts
from groundswell.settings import Settings, load_config
from groundswell.sync import sync_slack
from groundswell.tables import AlertRow, SyncStateRow, TaskRow
from groundswell.wiring import build_agents, build_classifier, build_engine
from signals.portfolio import Account
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)  # a Wednesday afternoon, outside quiet hours
SECRET = "signing-secret"
CHURN = "Honestly we're not planning to renew in January, the CFO wants us to consolidate onto Flowstack."


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_user("UJANE", "jane", "Jane Park", "jane@vendor.example")
        fake.add_user("UBOB", "bob", "Bob Lee", "bob@vendor.example")
        fake.add_user("UANN", "ann", "Ann Cho", "ann@acme.example", team="T0ACME")
        fake.add_channel("C0ACME", "ext-acme", is_ext_shared=True, members=["UJANE", "UANN"])
        fake.add_message("C0ACME", slack_ts(NOW - timedelta(days=9)), "UANN", "Thanks for the onboarding call!")
        fake.add_message("C0ACME", slack_ts(NOW - timedelta(days=2)), "UANN", CHURN)
        yield fake


@pytest.fixture
def engine(tmp_path: Path):
    engine = build_engine(f"sqlite:///{tmp_path / 'gs.db'}")
    with Session(engine) as session:
        store.upsert_accounts(session, accounts=[Account(
            account_id="ACC-1", name="Acme Freight", mrr=24000.0, slack_channels=("ext-acme",),
            csm="jane@vendor.example", segment="Enterprise", renewal_date=date(2027, 1, 15))])
        session.commit()
    return engine


def sync(engine, fake: FakeSlack, now: datetime = NOW):
    config = load_config()
    return sync_slack(engine, client=web_client("xoxb-test", fake.url), config=config.slack,
                      vendor_domains=["vendor.example"], now=now)


def analyse_and_alert(engine, fake: FakeSlack, now: datetime = NOW) -> alerts.PostReport:
    config = load_config()
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, config)
    pipeline.analyze(engine, classifier=classifier, agents=agents, multithread=multithread, as_of=now, now=now)
    with Session(engine) as session:
        snapshots.current(session, as_of=now.date(), config=config, now=now)
        todo = alerts.due(session, as_of=now.date(), config=config.alerts, now=now, tz="UTC")
        return alerts.post(session, web_client("xoxb-test", fake.url), todo, config=config.alerts, now=now)


def test_a_customer_message_becomes_one_alert_and_a_quiet_resync_does_nothing(engine, slack) -> None:
    first = sync(engine, slack)
    assert (first.seen, first.stored) == (2, 2)
    sent = analyse_and_alert(engine, slack)
    # One urgent message for the account, whatever the number of its urgent causes (here churn and the
    # competitor behind it); smaller causes, if any, go in the CSM's daily summary (due at 15:00).
    posts = slack.calls("chat.postMessage")
    assert sent.errors == [] and sent.messages == len(posts) <= 2 and sent.posted >= 1
    [post] = [p for p in posts if "not planning to renew" in json.dumps(p["blocks"])]
    assert {p["channel"] for p in posts} == {"UJANE"}  # DMs to the account's CSM, found by email
    shown = json.dumps(post["blocks"])
    assert "Acme Freight" in shown and "not planning to renew" in shown
    assert {b["action_id"] for block in post["blocks"] if block["type"] == "actions" for b in block["elements"]} \
        >= {"gs_claim", "gs_snooze", "gs_not_signal", "gs_wrong_type", "gs_open_account"}

    with Session(engine) as session:
        before, state = revision.revision(session), session.get(SyncStateRow, "slack")
        cursor, synced_at = state.cursor, state.last_sync_at
    again = sync(engine, slack, NOW + timedelta(minutes=10))
    assert (again.seen, again.stored) == (0, 0)
    with Session(engine) as session:
        assert revision.revision(session) == before  # no writes at all
        state = session.get(SyncStateRow, "slack")
        assert (state.cursor, state.last_sync_at) == (cursor, synced_at)
    assert analyse_and_alert(engine, slack, NOW + timedelta(minutes=10)).posted == 0
    assert len(slack.calls("chat.postMessage")) == len(posts)  # the same cause never alerts twice


def test_two_jobs_analysing_at_once_post_each_alert_once(engine, slack) -> None:
    """serve runs its jobs on several threads; alerts are recorded only once Slack accepts them, so
    planning and posting must happen under the analysis lock or both threads post the same cause."""
    import threading

    from groundswell.scheduler import Jobs

    sync(engine, slack)
    slack.delays["chat.postMessage"] = 1.0  # the first thread is still posting when the second plans
    config = load_config()
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, config)
    jobs = Jobs(engine=engine, classifier=classifier, agents=agents, multithread=multithread, config=config,
                clock=lambda: NOW, slack=web_client("xoxb-test", slack.url))
    threads = [threading.Thread(target=jobs.analyse, args=(NOW,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    posts = [json.dumps(p["blocks"]) for p in slack.calls("chat.postMessage")]
    assert sum("not planning to renew" in p for p in posts) == 1 and len(set(posts)) == len(posts)


def test_quiet_hours_hold_urgent_alerts_until_morning(engine, slack) -> None:
    sync(engine, slack)
    night = datetime(2026, 11, 18, 22, 30, tzinfo=timezone.utc)
    assert analyse_and_alert(engine, slack, night).posted == 0
    assert slack.calls("chat.postMessage") == []
    assert analyse_and_alert(engine, slack, night + timedelta(hours=10)).messages == 1


def signed(body: str, content_type: str) -> BoltRequest:
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    return BoltRequest(body=body, headers={"content-type": [content_type], "x-slack-signature": [signature],
                                           "x-slack-request-timestamp": [stamp]})


def thread_reply(alert_channel: str, alert_ts: str, user: str, text: str) -> BoltRequest:
    event = {"type": "message", "channel": alert_channel, "user": user, "text": text, "ts": f"{time.time():.6f}",
             "thread_ts": alert_ts, "channel_type": "im"}
    body = {"token": "x", "team_id": "T0VENDOR", "api_app_id": "A1", "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": "T0VENDOR", "user_id": "UBOT", "is_bot": True}]}
    return signed(json.dumps(body), "application/json")


def test_replies_in_the_thread_assign_date_and_close_the_task_and_the_digest_counts_it(engine, slack,
                                                                                        tmp_path: Path) -> None:
    from groundswell.delivery.bot import build_app

    sync(engine, slack)
    analyse_and_alert(engine, slack)
    with Session(engine) as session:
        alert = session.exec(select(AlertRow).order_by(AlertRow.id)).first()
        alert_channel, alert_ts = alert.channel, alert.message_ts
    assert alert_channel.startswith("D") and alert_ts in {m["ts"] for m in slack.messages[alert_channel]}
    config = load_config()
    app = build_app(engine=engine, client=web_client("xoxb-test", slack.url), signing_secret=SECRET,
                    config=config, clock=lambda: NOW)

    response = app.dispatch(thread_reply(alert_channel, alert_ts, "UJANE", "assign to <@UBOB> due friday"))
    assert response.status == 200
    with Session(engine) as session:
        task = session.exec(select(TaskRow)).one()
        assert (task.owner, task.due, task.status) == ("UBOB", date(2026, 11, 20), "open")
    confirmation = slack.calls("chat.postMessage")[-1]
    assert confirmation["thread_ts"] == alert_ts and "UBOB" in json.dumps(confirmation)

    app.dispatch(thread_reply(alert_channel, alert_ts, "UBOB", "done"))
    with Session(engine) as session:
        task = session.exec(select(TaskRow)).one()
        assert task.status == "done" and task.closed_at is not None

    with Session(engine) as session:
        digest = weekly.build(session, as_of=NOW.date(), config=config, now=NOW)
    assert [t["title"] for t in digest.changes["tasks_closed"]] == [task.title]
    page = pipeline.publish_digest(engine, config=config, path=tmp_path / "digest.html", now=NOW)
    assert "1 task closed" in page.read_text()


def test_the_digest_lists_every_new_risk_not_only_the_top_actions(engine, slack) -> None:
    slack.add_user("UKIM", "kim", "Kim Roe", "kim@bolt.example", team="T0BOLT")
    slack.add_channel("C0BOLT", "ext-bolt", is_ext_shared=True, members=["UJANE", "UKIM"])
    slack.add_message("C0BOLT", slack_ts(NOW - timedelta(days=1)), "UKIM",
                      "We won't be renewing next year; the board has told us to cancel at the end of the term.")
    with Session(engine) as session:
        store.upsert_accounts(session, accounts=[Account(
            account_id="ACC-2", name="Bolt Logistics", mrr=9000.0, slack_channels=("ext-bolt",),
            csm="jane@vendor.example", segment="Mid-market", renewal_date=date(2027, 2, 1))])
        session.commit()
    sync(engine, slack)
    config = load_config()
    config = config.model_copy(update={"actions": config.actions.model_copy(update={"limit": 1})})
    classifier = build_classifier("local", Settings())
    agents, multithread = build_agents(classifier, config)
    pipeline.analyze(engine, classifier=classifier, agents=agents, multithread=multithread, as_of=NOW, now=NOW)
    with Session(engine) as session:
        digest = weekly.build(session, as_of=NOW.date(), config=config, now=NOW)
    assert len(digest.report["actions"]) == 1  # the report shows one action; the digest still sees both risks
    assert digest.changes["new_risks"] == ["ACC-1", "ACC-2"]


def test_a_bad_signature_is_refused_and_changes_nothing(engine, slack) -> None:
    from groundswell.delivery.bot import build_app

    sync(engine, slack)
    analyse_and_alert(engine, slack)
    app = build_app(engine=engine, client=web_client("xoxb-test", slack.url), signing_secret=SECRET,
                    config=load_config(), clock=lambda: NOW)
    request = thread_reply("D0UJANE", "1.0", "UJANE", "done")
    request.headers["x-slack-signature"] = ["v0=forged"]
    assert app.dispatch(request).status == 401
    with Session(engine) as session:
        assert session.exec(select(TaskRow)).all() == []

