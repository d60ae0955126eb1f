"""The Slack bot through the real bolt App and slack_sdk WebClient, against the local FakeSlack.

Requests are signed and dispatched the way Slack sends them (JSON events,
`payload=` forms for clicks, forms for slash commands); the assertions read
what FakeSlack received and what the database holds.  "Now" is Wednesday
18 November 2026, 15:00 UTC; the alert about Acme was posted in #cs-alerts
(C1) as message 1700000000.000100.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, select

from connectors.base import Message
from groundswell import store
from groundswell.delivery import blocks
from groundswell.delivery.bot import build_app, match_accounts
from groundswell.settings import Config
from groundswell.tables import AlertRow, FeedbackRow, MessageRow, TaskRow
from signals.portfolio import Account, Signal
from tests.fakes.slack import FakeSlack

NOW = datetime(2026, 11, 18, 15, tzinfo=timezone.utc)
SECRET = "signing-secret"
TOKEN = "xoxb-test"
CHANNEL, ALERT_TS = "C1", "1700000000.000100"
CAUSE = "save:ACC-1"
ACME = Account("ACC-1", "Acme", 5000.0, csm="maya@vendor.io", renewal_date=date(2027, 1, 15))
OTHERS = [Account("ACC-2", "Acme Labs", 800.0, csm="maya@vendor.io"),
          Account("ACC-3", "Globex", 2000.0, csm="jane@vendor.io")]
SAID = "We are evaluating other vendors before the renewal."
ACTION = {"rank": 1, "account_id": "ACC-1", "kind": "save", "title": "Call Acme about the renewal",
          "why": "Churn intent from the buyer.", "impact_mrr": 2500.0, "owner": "maya@vendor.io",
          "due": "2026-11-25", "signal_types": ["churn_intent"]}
SIGNALS = [{"type": "churn_intent", "confidence": 0.9, "evidence": "evaluating other vendors", "source": "slack",
            "message_id": "C9:1", "ts": "2026-11-10T09:00:00+00:00", "author": "Dana Kim", "url": None}]
ENTRY = {"account_id": "ACC-1", "name": "Acme", "mrr": 5000.0, "renewal_date": "2027-01-15",
         "csm": "maya@vendor.io", "risk_score": 0.5, "expansion_score": 0.0,
         "projected": {"churn_mrr": 2500.0, "contraction_mrr": 0.0, "expansion_mrr": 0.0}, "signals": SIGNALS}


# -- the workspace, the database and the app ------------------------------------------

@pytest.fixture
def fake():
    with FakeSlack(tokens=(TOKEN,)) as slack:
        slack.add_user("UMAYA", "maya", "Maya Patel", "maya@vendor.io")
        slack.add_user("UJANE", "jane", "Jane Doe", "jane@vendor.io")
        slack.add_user("UJANEB", "janeb", "Jane Brown", "janeb@vendor.io")
        slack.add_channel(CHANNEL, "cs-alerts")
        slack.add_message(CHANNEL, ALERT_TS, "UBOT", "Save: Acme", bot_id="B0BOT")
        yield slack


@pytest.fixture
def db(engine):
    message = Message(source="slack", source_id="C9:1", ts=datetime(2026, 11, 10, 9, tzinfo=timezone.utc),
                      author="Dana Kim", text=SAID, author_side="customer", account_id="ACC-1",
                      participants=("dana@acme.io",))
    signal = Signal("churn_intent", "ACC-1", 0.9, "evaluating other vendors", message.ts, "risk", "local",
                    source="slack", message_id="C9:1", author="Dana Kim")
    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=[ACME, *OTHERS])
        store.insert_messages(session, messages=[message])
        row_id = session.scalar(select(MessageRow.id).where(MessageRow.source_id == "C9:1"))
        store.insert_signals(session, signals=[signal], message_ids={"slack:C9:1": row_id}, now=NOW)
        save(session, SIGNALS)
    return engine


def save(session: Session, signals: list[dict[str, Any]], cause: str = CAUSE) -> AlertRow:
    return store.save_alert(session, cause_key=cause, account_id="ACC-1", kind="save", csm="maya@vendor.io",
                            priority="urgent", payload={"account": ENTRY, "action": ACTION, "signals": signals},
                            channel=CHANNEL, message_ts=ALERT_TS, at=NOW - timedelta(hours=2))


@pytest.fixture
def app(db, fake):
    client = WebClient(token=TOKEN, base_url=fake.url)
    return build_app(engine=db, client=client, signing_secret=SECRET, config=Config(), clock=lambda: NOW)


# -- requests as Slack sends them -------------------------------------------------------

def dispatch(app, body: str, content_type: str, *, secret: str = SECRET):
    stamp = str(int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return app.dispatch(BoltRequest(body=body, headers={
        "content-type": [content_type], "x-slack-signature": [signature], "x-slack-request-timestamp": [stamp]}))


def send_event(app, event: dict[str, Any], **kw):
    body = {"token": "legacy", "team_id": "T0VENDOR", "api_app_id": "A0GS", "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}", "event_time": int(NOW.timestamp()), "event": event}
    return dispatch(app, json.dumps(body), "application/json", **kw)


def reply(app, text: str, *, user: str = "UJANE", thread_ts: str | None = ALERT_TS, **extra: Any):
    event = {"type": "message", "channel": CHANNEL, "user": user, "text": text, "ts": "1700000100.000200",
             "channel_type": "channel", **({"thread_ts": thread_ts} if thread_ts else {}), **extra}
    return send_event(app, event)


def alert_elements() -> dict[str, dict[str, Any]]:
    """The interactive elements of the alert as posted, by action id."""
    posted = blocks.alert(ENTRY, ACTION, SIGNALS, alert_id=CAUSE)
    [actions] = [b for b in posted["blocks"] if b["type"] == "actions"]
    return {e["action_id"]: e for e in actions["elements"]}


def click(app, action_id: str, *, user: str = "UJANE", option_type: str | None = None, **kw):
    element = alert_elements()[action_id]
    if option_type:
        [option] = [o for o in element["options"] if json.loads(o["value"])["type"] == option_type]
        action = {"type": "static_select", "action_id": action_id, "block_id": "gs_alert_actions",
                  "selected_option": option, "action_ts": "1700000200.000300"}
    else:
        action = {"type": "button", "action_id": action_id, "block_id": "gs_alert_actions",
                  "value": element["value"], "text": element["text"], "action_ts": "1700000200.000300"}
    payload = {"type": "block_actions", "team": {"id": "T0VENDOR", "domain": "fake"},
               "user": {"id": user, "username": user.lower(), "team_id": "T0VENDOR"}, "api_app_id": "A0GS",
               "token": "legacy", "trigger_id": "1.2.3", "container": {"type": "message", "message_ts": ALERT_TS,
                                                                      "channel_id": CHANNEL},
               "channel": {"id": CHANNEL, "name": "cs-alerts"}, "message": {"ts": ALERT_TS, "text": "Save: Acme"},
               "response_url": "https://hooks.slack.invalid/actions/1", "actions": [action]}
    return dispatch(app, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", **kw)


def slash(app, text: str, *, user: str = "UJANE"):
    form = {"token": "legacy", "team_id": "T0VENDOR", "channel_id": CHANNEL, "user_id": user,
            "command": "/groundswell", "text": text, "api_app_id": "A0GS", "trigger_id": "1.2.3",
            "response_url": "https://hooks.slack.invalid/commands/1"}
    response = dispatch(app, urlencode(form), "application/x-www-form-urlencoded")
    assert response.status == 200
    return json.loads(response.body)


def thread_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    posts = fake.calls("chat.postMessage")
    assert all((p["channel"], p["thread_ts"]) == (CHANNEL, ALERT_TS) for p in posts)
    return posts


def state(engine) -> tuple[AlertRow, TaskRow | None, list[FeedbackRow]]:
    with Session(engine) as session:
        alert = store.find_alert(session, cause_key=CAUSE)
        task = session.scalar(select(TaskRow).where(TaskRow.key == CAUSE))
        feedback = list(session.scalars(select(FeedbackRow)))
        session.expunge_all()
    return alert, task, feedback


def loaded_types(engine) -> list[str]:
    with Session(engine) as session:
        return [s.type for s in store.load_signals(session, until=NOW)]


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


# -- buttons -------------------------------------------------------------------------

def test_im_on_it_gives_the_task_to_the_clicker_and_says_so_in_the_thread(app, db, fake) -> None:
    assert click(app, "gs_claim").status == 200
    alert, task, _ = state(db)
    assert alert.status == "claimed"
    assert (task.owner, task.owner_name, task.status, task.title) == ("UJANE", "Jane Doe", "open",
                                                                      "Call Acme about the renewal")
    assert task.due == date(2026, 11, 25)  # the action's due date
    [post] = thread_posts(fake)
    assert post["text"] == "Assigned to <@UJANE>."
    assert [c["user"] for c in fake.calls("users.info")] == ["UJANE"]


def test_snooze_lasts_the_configured_days_from_today(app, db, fake) -> None:
    assert click(app, "gs_snooze").status == 200
    alert, task, _ = state(db)
    assert (alert.status, alert.snoozed_until, task) == ("snoozed", date(2026, 11, 25), None)
    [post] = thread_posts(fake)
    assert post["text"] == "Snoozed until Wed 25 Nov."


def test_snooze_days_follow_the_config_and_today_the_time_zone(db, fake) -> None:
    config = Config.model_validate({"alerts": {"snooze_days": 3}, "serve": {"timezone": "Pacific/Kiritimati"}})
    late = datetime(2026, 11, 18, 23, tzinfo=timezone.utc)  # already Thursday in Kiritimati (UTC+14)
    app = build_app(engine=db, client=WebClient(token=TOKEN, base_url=fake.url), signing_secret=SECRET,
                    config=config, clock=lambda: late)
    click(app, "gs_snooze")
    assert state(db)[0].snoozed_until == date(2026, 11, 22)


def test_not_a_signal_stores_feedback_and_the_signal_stops_counting(app, db, fake) -> None:
    assert loaded_types(db) == ["churn_intent"]
    assert click(app, "gs_not_signal").status == 200
    alert, _, [feedback] = state(db)
    assert alert.status == "dismissed"
    assert (feedback.signal_type, feedback.verdict, feedback.corrected_type, feedback.author) == (
        "churn_intent", "not_signal", None, "UJANE")
    assert loaded_types(db) == []
    [post] = thread_posts(fake)
    assert "not a signal" in post["text"]
    assert "retrain the classifier" in text_of(post)


def test_a_signal_whose_message_is_gone_is_skipped_not_a_crash(app, db, fake) -> None:
    gone = SIGNALS + [{**SIGNALS[0], "message_id": "C9:404"}, {**SIGNALS[0], "message_id": None}]
    with Session(db) as session, session.begin():
        save(session, gone)
    assert click(app, "gs_not_signal").status == 200
    alert, _, feedback = state(db)
    assert (alert.status, len(feedback)) == ("dismissed", 1)
    assert len(thread_posts(fake)) == 1


def test_wrong_type_relabels_the_alerts_signals(app, db, fake) -> None:
    assert click(app, "gs_wrong_type", option_type="budget_pressure").status == 200
    alert, _, [feedback] = state(db)
    assert alert.status == "dismissed"
    assert (feedback.signal_type, feedback.verdict, feedback.corrected_type) == (
        "churn_intent", "wrong", "budget_pressure")
    assert loaded_types(db) == []
    [post] = thread_posts(fake)
    assert post["text"].startswith("Re-labelled as Budget pressure")


def test_open_account_shows_the_card_to_the_clicker_only(app, db, fake) -> None:
    assert click(app, "gs_open_account").status == 200
    [card] = fake.calls("chat.postEphemeral")
    assert (card["channel"], card["user"]) == (CHANNEL, "UJANE")
    assert card["blocks"][0]["text"]["text"] == "Acme"
    assert "evaluating other vendors" in text_of(card)  # the stored signal, from today's report
    assert fake.calls("chat.postMessage") == []
    assert state(db)[0].status == "open"


def test_a_click_on_an_unknown_alert_is_answered_privately(app, db, fake) -> None:
    with Session(db) as session, session.begin():
        session.delete(store.find_alert(session, cause_key=CAUSE))
    assert click(app, "gs_claim").status == 200
    [note] = fake.calls("chat.postEphemeral")
    assert note["user"] == "UJANE" and "no longer" in note["text"]
    assert fake.calls("chat.postMessage") == []


def test_a_bad_signature_is_refused_and_changes_nothing(app, db, fake, caplog) -> None:
    caplog.set_level(logging.INFO)
    assert click(app, "gs_claim", secret="not-the-secret").status == 401
    assert reply(app, "done").status == 200  # a reply, properly signed, to compare
    fake.requests.clear()
    assert send_event(app, {"type": "message", "channel": CHANNEL, "user": "UJANE", "text": "reopen",
                            "ts": "1700000300.000400", "thread_ts": ALERT_TS}, secret="wrong").status == 401
    alert, task, _ = state(db)
    assert (alert.status, task.status, task.owner) == ("done", "done", "maya@vendor.io")
    assert fake.requests == []
    assert "reopen" not in caplog.text  # bolt logs a refused body at INFO: not what people wrote


# -- thread replies ------------------------------------------------------------------

def test_assign_with_a_due_date(app, db, fake) -> None:
    assert reply(app, "assign to <@UJANE> due friday", user="UMAYA").status == 200
    alert, task, _ = state(db)
    assert (task.owner, task.owner_name, task.due) == ("UJANE", "Jane Doe", date(2026, 11, 20))
    assert alert.status == "claimed"
    [post] = thread_posts(fake)
    assert post["text"] == "Assigned to <@UJANE>, due Fri 20 Nov."


def test_a_typed_name_is_found_in_the_workspace(app, db, fake) -> None:
    reply(app, "assign to @Jane.Doe", user="UMAYA")  # no one: names are matched whole
    reply(app, "assign to @janeb", user="UMAYA")
    _, task, _ = state(db)
    assert task.owner == "UJANEB"
    first, second = thread_posts(fake)
    assert "can't find" in text_of(first) and "Jane.Doe" in text_of(first)
    assert second["text"] == "Assigned to <@UJANEB>."


def test_a_name_several_people_share_is_not_guessed(app, db, fake) -> None:
    fake.add_user("UJANE2", "Jane", "Jane Smith")
    reply(app, "assign to @jane", user="UMAYA")
    assert state(db)[1] is None
    [post] = thread_posts(fake)
    assert "Several people" in text_of(post)


def test_mine_then_done_then_reopen(app, db, fake) -> None:
    reply(app, "mine", user="UMAYA")
    alert, task, _ = state(db)
    assert (alert.status, task.owner, task.owner_name) == ("claimed", "UMAYA", "Maya Patel")
    reply(app, "done", user="UMAYA")
    alert, task, _ = state(db)
    assert (alert.status, task.status, store.to_utc_or_none(task.closed_at)) == ("done", "done", NOW)
    reply(app, "reopen", user="UMAYA")
    alert, task, _ = state(db)
    assert (alert.status, task.status, task.closed_at) == ("claimed", "open", None)
    assert [p["text"] for p in thread_posts(fake)] == ["Assigned to <@UMAYA>.", "Marked done.", "Reopened."]


def test_snooze_two_weeks(app, db, fake) -> None:
    reply(app, "snooze 2 weeks")
    alert, task, _ = state(db)
    assert (alert.status, alert.snoozed_until, task) == ("snoozed", date(2026, 12, 2), None)
    assert thread_posts(fake)[0]["text"] == "Snoozed until Wed 2 Dec."


def test_not_a_signal_in_a_reply(app, db, fake) -> None:
    reply(app, "not a signal")
    alert, _, [feedback] = state(db)
    assert (alert.status, feedback.verdict, feedback.author) == ("dismissed", "not_signal", "UJANE")
    assert loaded_types(db) == []
    assert "not a signal" in thread_posts(fake)[0]["text"]


def test_wrong_type_in_a_reply(app, db, fake) -> None:
    reply(app, "wrong: budget_pressure")
    alert, _, [feedback] = state(db)
    assert (alert.status, feedback.verdict, feedback.corrected_type) == ("dismissed", "wrong", "budget_pressure")
    assert thread_posts(fake)[0]["text"].startswith("Re-labelled as Budget pressure")


def test_relabelling_as_the_alerts_own_type_is_refused(app, db, fake) -> None:
    reply(app, "wrong: churn intent")
    alert, _, feedback = state(db)
    assert (alert.status, feedback) == ("open", [])
    assert "already about" in text_of(thread_posts(fake)[0])


def test_what_is_not_understood_gets_the_help(app, db, fake) -> None:
    reply(app, "mine, and call them <!channel>", user="UMAYA")
    confirmation, help_ = thread_posts(fake)
    assert confirmation["text"] == "Assigned to <@UMAYA>."
    assert "didn't understand" in text_of(help_) and "Reply in an alert" in text_of(help_)
    assert "<!channel>" not in text_of(help_)  # what people typed is shown inert


def test_help_alone_changes_nothing(app, db, fake) -> None:
    reply(app, "help")
    [post] = thread_posts(fake)
    assert "Reply in an alert" in text_of(post)
    assert state(db)[1] is None


def test_messages_outside_alert_threads_get_no_answer(app, db, fake) -> None:
    reply(app, "done", thread_ts=None)                     # in the channel
    reply(app, "done", thread_ts="1699999999.000001")      # another thread
    reply(app, "done", thread_ts=ALERT_TS, ts=ALERT_TS)    # the alert itself
    assert send_event(app, {"type": "app_mention", "channel": CHANNEL, "user": "UJANE", "text": "<@UBOT> done",
                            "ts": "1700000400.000100"}).status == 200
    assert fake.calls("chat.postMessage") == [] and fake.calls("chat.postEphemeral") == []
    assert state(db)[0].status == "open"


def test_the_bots_own_and_other_bots_messages_are_ignored(app, db, fake) -> None:
    reply(app, "done", user="UBOT")
    reply(app, "done", user="UDEPLOY", bot_id="B0DEPLOY")
    reply(app, "done", subtype="message_changed")
    assert fake.calls("chat.postMessage") == []
    assert state(db)[1] is None


def test_a_mention_of_the_bot_in_the_thread_is_read_past(app, db, fake) -> None:
    reply(app, "<@UBOT> done")
    assert state(db)[1].status == "done"


def test_a_failed_people_lookup_asks_for_a_mention(app, db, fake) -> None:
    fake.fail("users.list", "ratelimited")
    assert reply(app, "assign to @jane").status == 200
    assert "can't find" in text_of(thread_posts(fake)[0])
    assert state(db)[1] is None


def test_a_failed_post_does_not_undo_the_change(app, db, fake) -> None:
    fake.fail("chat.postMessage", "channel_not_found")
    assert reply(app, "done").status == 200
    assert state(db)[1].status == "done"


# -- /groundswell --------------------------------------------------------------------

def test_slash_account_by_name_or_id(app, db, fake) -> None:
    for query in ("acme", "ACC-1"):
        answer = slash(app, f"account {query}")
        assert answer["response_type"] == "ephemeral"
        assert answer["blocks"][0]["text"]["text"] == "Acme"
        assert "$5,000" in text_of(answer)


def test_slash_account_lists_several_matches_or_none(app, db, fake) -> None:
    answer = slash(app, "account acm")
    assert "2 accounts match" in answer["text"]
    assert "Acme Labs" in text_of(answer) and "ACC-2" in text_of(answer)
    assert "No account matches" in slash(app, "account initech")["text"]


def test_match_accounts_prefers_id_then_name_then_prefix_then_substring() -> None:
    accounts = [ACME, *OTHERS]
    assert match_accounts(accounts, "ACC-2") == [OTHERS[0]]
    assert match_accounts(accounts, "ACME") == [ACME]
    assert match_accounts(accounts, "glob") == [OTHERS[1]]
    assert match_accounts(accounts, "labs") == [OTHERS[0]]
    assert match_accounts(accounts, "acme") == [ACME]


def test_slash_tasks_are_the_callers_or_someone_elses(app, db, fake) -> None:
    assert "No open tasks" in text_of(slash(app, "tasks"))
    click(app, "gs_claim")
    mine = slash(app, "tasks")
    assert "Call Acme about the renewal" in text_of(mine) and "Acme" in text_of(mine)
    assert "Call Acme" in text_of(slash(app, "tasks <@UJANE>", user="UMAYA"))
    assert "Call Acme" in text_of(slash(app, "tasks @jane", user="UMAYA"))
    assert "No open tasks" in text_of(slash(app, "tasks", user="UMAYA"))
    assert "can't find" in slash(app, "tasks @nobody")["text"]


def test_slash_help_and_what_it_does_not_know(app, db, fake) -> None:
    assert "/groundswell account" in text_of(slash(app, "help"))
    unknown = slash(app, "frobnicate")
    assert "frobnicate" in text_of(unknown) and "/groundswell account" in text_of(unknown)


def test_slash_digest(app, db, fake) -> None:
    answer = slash(app, "digest")
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Weekly digest")
    assert "Acme" in text_of(answer)


# -- App Home ------------------------------------------------------------------------

def test_app_home_shows_my_open_tasks_and_my_accounts_at_risk(app, db, fake) -> None:
    reply(app, "mine due friday", user="UMAYA")
    event = {"type": "app_home_opened", "user": "UMAYA", "channel": "D0MAYA", "tab": "home",
             "event_ts": "1700000500.000100"}
    assert send_event(app, event).status == 200
    [published] = fake.calls("views.publish")
    assert published["user_id"] == "UMAYA" and published["view"]["type"] == "home"
    shown = text_of(published["view"])
    assert "Call Acme about the renewal" in shown and "due Fri 20 Nov" in shown
    assert "*Acme* —" in shown and "Globex" not in shown  # Globex is Jane's


def test_app_home_messages_tab_publishes_nothing(app, db, fake) -> None:
    send_event(app, {"type": "app_home_opened", "user": "UMAYA", "channel": "D0MAYA", "tab": "messages",
                     "event_ts": "1700000500.000100"})
    assert fake.calls("views.publish") == []
