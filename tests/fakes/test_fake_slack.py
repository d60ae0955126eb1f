"""FakeSlack answers the real slack_sdk WebClient and a bolt App the way Slack does."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack import FakeSlack

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* is at risk"}}]


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack() as fake:
        fake.add_user("UDANA", "dana", "Dana Kim", "dana@acme.io", team="TACME")
        fake.add_user("UCARLA", "carla", "Carla Csm", "carla@vendorco.com")
        fake.add_channel("C1", "ext-acme", is_ext_shared=True)
        fake.add_channel("C2", "general", is_member=False)
        fake.add_channel("G1", "secret", is_private=True, is_member=False)
        for second in range(1, 6):
            fake.add_message("C1", f"100000000{second}.000000", "UDANA", f"message {second}")
        fake.add_message("C1", "1000000003.500000", "UCARLA", "a reply", thread_ts="1000000003.000000")
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def test_history_is_newest_first_paged_and_windowed(client: WebClient) -> None:
    first = client.conversations_history(channel="C1", limit=2, oldest="1000000001.000000")
    assert [m["text"] for m in first["messages"]] == ["message 5", "message 4"] and first["has_more"]
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C1", limit=2, oldest="1000000001.000000", cursor=cursor)
    assert [m["text"] for m in second["messages"]] == ["message 3", "message 2"] and not second["has_more"]
    assert second["response_metadata"]["next_cursor"] == ""
    parent = second["messages"][0]
    assert (parent["reply_count"], parent["latest_reply"]) == (1, "1000000003.500000")
    assert parent["reply_users"] == ["UCARLA"]
    inclusive = client.conversations_history(channel="C1", oldest="1000000001.000000", latest="1000000002.000000",
                                             inclusive=True)
    assert [m["text"] for m in inclusive["messages"]] == ["message 2", "message 1"]


def test_replies_are_the_parent_then_the_replies(client: WebClient) -> None:
    replies = client.conversations_replies(channel="C1", ts="1000000003.000000")["messages"]
    assert [m["text"] for m in replies] == ["message 3", "a reply"]
    later = client.conversations_replies(channel="C1", ts="1000000003.000000", oldest="1000000003.500000")
    assert [m["text"] for m in later["messages"]] == ["message 3"]


def test_json_and_form_bodies_are_recorded_with_blocks_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="risk", blocks=BLOCKS)  # slack_sdk sends JSON
    client.api_call("chat.postMessage", params={"channel": "C1", "text": "form", "blocks": json.dumps(BLOCKS)})
    assert [c["blocks"] for c in fake.calls("chat.postMessage")] == [BLOCKS, BLOCKS]
    assert {r.token for r in fake.requests} == {"xoxb-test"}


def test_posted_messages_are_stored_with_fresh_increasing_ts(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="one")
    reply = client.chat_postMessage(channel="C1", text="two", thread_ts=first["ts"], blocks=BLOCKS)
    assert float(reply["ts"]) > float(first["ts"]) >= time.time() - 60
    assert reply["message"]["thread_ts"] == first["ts"] and reply["message"]["blocks"] == BLOCKS
    assert fake.messages["C1"][-1] == reply["message"] and reply["message"]["bot_id"] == "B0BOT"
    link = client.chat_getPermalink(channel="C1", message_ts=first["ts"])["permalink"]
    assert link == f"https://fake.slack.com/archives/C1/p{first['ts'].replace('.', '')}"
    client.chat_update(channel="C1", ts=first["ts"], text="one, edited")
    assert fake.messages["C1"][-2]["text"] == "one, edited"
    client.reactions_add(channel="C1", timestamp=first["ts"], name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(channel="C1", timestamp=first["ts"], name="eyes")


def test_dms_users_and_views(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users=["UDANA"])["channel"]["id"]
    assert dm == "DDANA" and client.chat_postMessage(channel="UDANA", text="hi")["channel"] == dm
    assert client.users_lookupByEmail(email="Dana@acme.io")["user"]["id"] == "UDANA"
    assert "UDANA" not in [u["id"] for u in client.users_list()["members"]]  # another team's: users.info only
    assert client.users_info(user="UDANA")["user"]["profile"]["email"] == "dana@acme.io"
    assert client.views_publish(user_id="UDANA", view={"type": "home", "blocks": BLOCKS})["view"]["type"] == "home"
    assert client.chat_postEphemeral(channel="C1", user="UDANA", text="only you")["message_ts"]


def test_membership_and_visibility(client: WebClient) -> None:
    assert [c["id"] for c in client.conversations_list(types="public_channel,private_channel")["channels"]] == [
        "C1", "C2"]
    with pytest.raises(SlackApiError, match="not_in_channel"):
        client.conversations_history(channel="C2")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_info(channel="G1")
    client.conversations_join(channel="C2")
    assert client.conversations_history(channel="C2")["messages"] == []


def test_scripted_failures(fake: FakeSlack, client: WebClient) -> None:
    fake.fail("conversations.history", "not_in_channel", channel="C2", times=2)
    fake.rate_limit("users.list", retry_after=3)
    assert client.conversations_history(channel="C1")["ok"]  # another channel: not scripted
    with pytest.raises(SlackApiError) as limited:
        client.users_list()
    assert limited.value.response.status_code == 429 and limited.value.response.headers["Retry-After"] == "3"
    assert client.users_list()["ok"]
    with pytest.raises(SlackApiError, match="invalid_auth"):
        WebClient(token="xoxb-wrong", base_url=fake.url).auth_test()
    with pytest.raises(SlackApiError, match="unknown_method"):
        client.api_call("nothing.here")


def test_a_bolt_app_posts_through_the_fake(fake: FakeSlack, client: WebClient) -> None:
    app = App(client=client, signing_secret="secret", process_before_response=True)  # run the listener inline

    @app.command("/cs")
    def answer(ack, command, client) -> None:
        ack()
        client.chat_postMessage(channel=command["channel_id"], text=command["text"])

    body = urlencode({"command": "/cs", "text": "status acme", "user_id": "UCARLA", "channel_id": "C1",
                      "team_id": "T0VENDOR", "trigger_id": "t1"})
    stamp = str(int(time.time()))
    signature = SignatureVerifier("secret").generate_signature(timestamp=stamp, body=body)
    headers = {"x-slack-request-timestamp": [stamp], "x-slack-signature": [signature],
               "content-type": ["application/x-www-form-urlencoded"]}
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    assert [c["text"] for c in fake.calls("chat.postMessage")] == ["status acme"]
    assert fake.calls("auth.test")  # bolt checks the token at start-up
