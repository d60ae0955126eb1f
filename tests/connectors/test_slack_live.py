"""SlackConnector through the real slack_sdk WebClient, against the local FakeSlack server.

The workspace: the vendor (team T0VENDOR, fake.slack.com) shares #ext-acme and
#globex-connect with customers over Slack Connect; #beta-feedback is an
ordinary channel accounts.csv maps by id; #internal is the vendor's own; the
app is not in #ext-initech.  "Now" is 2026-03-20 noon, so the 14-day thread
lookback starts on 2026-03-06.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from slack_sdk import WebClient

from connectors.base import FILE_CONNECTORS, Connector, FatalSourceError, Message, RetriableSourceError
from connectors.directory import Directory
from connectors.slack import SlackConnector, SlackUsers, slack_ts, web_client
from connectors.slack_export import SlackExportConnector
from signals.portfolio import Account
from tests.contracts.connector_contract import DIRECTORY, ConnectorContract, when
from tests.fakes.slack import FakeSlack
from tools import exports

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)
TOKEN = "xoxb-test"


def ts(day: int, hour: int, minute: int = 0) -> str:
    return exports.make_slack_ts(datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc))


def say(user: str | None, at: str, text: str, **extra: object) -> dict:
    return {"user": user, "ts": at, "text": text, **extra}


OLD, PARENT, ASK = ts(1, 9), ts(10, 9), ts(15, 9)  # OLD: a thread whose parent is older than the lookback
USERS = [  # (id, name, real name, email, team, flags)
    ("UCARLA", "carla", "Carla Csm", "carla@vendorco.com", "T0VENDOR", {}),
    ("UEVAN", "evan", "Evan Eng", "evan.eng@gmail.com", "T0VENDOR", {}),
    ("UDANA", "dana", "Dana Kim", "dana@acme.io", "TACME", {}),
    ("UGINA", "gina", "Gina Globex", "gina@globex.io", "TGLOBEX", {}),
    ("UDEPLOY", "deploy", "Deploy Bot", None, "T0VENDOR", {"is_bot": True}),
]
CHANNELS = [  # (id, name, flags, members)
    ("C0ACME", "ext-acme", {"is_ext_shared": True}, ["UCARLA", "UDANA"]),
    ("C0GLOBEX", "globex-connect", {"is_ext_shared": True}, ["UCARLA", "UGINA"]),
    ("C0BETA", "beta-feedback", {}, ["UCARLA", "UEVAN"]),
    ("C0INT", "internal", {}, ["UCARLA", "UEVAN"]),
    ("C0INITECH", "ext-initech", {"is_ext_shared": True, "is_member": False}, ["UCARLA"]),
]
MESSAGES = {
    "C0ACME": [
        say("UDANA", OLD, "Renewal is coming up, <@UCARLA>"),
        say("UCARLA", ts(12, 9), "Sending the quote today.", thread_ts=OLD),
        say("UDANA", PARENT, "Is the export fixed?"),
        say("UCARLA", ts(10, 10), "Yes, shipped last night.", thread_ts=PARENT),
        say("UDANA", ts(10, 11), "Confirmed, it works.", thread_ts=PARENT, subtype="thread_broadcast"),
        say("UDEPLOY", ts(11, 9), "build green", bot_id="B0DEPLOY"),
        say("UEVAN", ts(11, 10), "<@UEVAN> has joined the channel", subtype="channel_join"),
        say("UDANA", ASK, "Can we add 10 seats?"),
        say("UCARLA", ts(16, 9), "Sure, I'll send the order form."),
    ],
    "C0GLOBEX": [say("UGINA", ts(14, 9), "We are evaluating other vendors."),
                 say("UCARLA", ts(14, 10), "Can we talk tomorrow?")],
    "C0BETA": [say("UEVAN", ts(13, 9), "Beta feedback: the new dashboard is slow.")],
    "C0INT": [say("UEVAN", ts(13, 9), "Lunch?")],
    "C0INITECH": [say("UCARLA", ts(13, 9), "Hello Initech.")],
}
ACME_TEXTS = ["Renewal is coming up, @Carla Csm", "Is the export fixed?", "Yes, shipped last night.",
              "Confirmed, it works.", "Sending the quote today.", "Can we add 10 seats?",
              "Sure, I'll send the order form."]


@pytest.fixture
def directory() -> Directory:
    return Directory(
        accounts=[Account("ACC-ACME", "Acme", 1000.0, domains=("acme.io",), slack_channels=("ext-acme",),
                          csm="carla@vendorco.com"),
                  Account("ACC-GLOBEX", "Globex", 2000.0, domains=("globex.io",)),
                  Account("ACC-BETA", "Beta Co", 300.0, slack_channels=("C0BETA",))],
        vendor_domains=frozenset({"vendorco.com"}))


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack(tokens=(TOKEN,)) as fake:
        for uid, name, real, email, team, flags in USERS:
            fake.add_user(uid, name, real, email, team=team, **flags)
        for cid, name, flags, members in CHANNELS:
            fake.add_channel(cid, name, members=members, **flags)
        for cid, messages in MESSAGES.items():
            for payload in messages:
                fake.add_message(cid, **payload)
        yield fake


def connector(fake: FakeSlack, directory: Directory, **kwargs: object) -> SlackConnector:
    kwargs.setdefault("client", WebClient(token=TOKEN, base_url=fake.url))
    kwargs.setdefault("clock", lambda: NOW)
    return SlackConnector(directory=directory, **kwargs)


def sync(fake: FakeSlack, directory: Directory, **kwargs: object) -> tuple[SlackConnector, list[Message]]:
    source = connector(fake, directory, **kwargs)
    return source, list(source.fetch())


def texts(messages: list[Message], channel: str = "ext-acme") -> list[str]:
    return [m.text for m in messages if m.channel == channel]


# -- reading ------------------------------------------------------------------------------

def test_first_sync_pages_through_history_and_reads_threads(fake: FakeSlack, directory: Directory) -> None:
    source, messages = sync(fake, directory, channels=["ext-acme"], page_size=2)
    assert texts(messages) == ACME_TEXTS  # in time order, replies in place, the broadcast once
    assert source.noise == {"bot_message": 1, "channel_join": 1} and source.skipped == []
    history = [c for c in fake.calls("conversations.history") if c["channel"] == "C0ACME"]
    assert len(history) == 4 and "cursor" not in history[0] and all(c.get("cursor") for c in history[1:])
    assert all(c["limit"] == "2" for c in history)
    replies = [(c["ts"], bool(c.get("cursor"))) for c in fake.calls("conversations.replies")]
    assert replies == [(OLD, False), (PARENT, False), (PARENT, True)]  # the parent, its reply, the broadcast
    assert len(fake.calls("users.list")) == 2  # its 4 own users (with the bots), two a page; not Dana or Gina


def test_threads_permalinks_and_times(fake: FakeSlack, directory: Directory) -> None:
    found = {m.source_id: m for m in sync(fake, directory, channels=["C0ACME"])[1]}
    parent, reply = found[f"C0ACME:{PARENT}"], found[f"C0ACME:{ts(10, 10)}"]
    assert parent.thread_id == reply.thread_id == found[f"C0ACME:{ts(10, 11)}"].thread_id == f"C0ACME:{PARENT}"
    assert parent.url == f"https://fake.slack.com/archives/C0ACME/p{PARENT.replace('.', '')}"
    assert reply.url.endswith(f"?thread_ts={PARENT}&cid=C0ACME")
    assert parent.ts == datetime(2026, 3, 10, 9, tzinfo=timezone.utc) and found[f"C0ACME:{ASK}"].thread_id is None
    assert not fake.calls("chat.getPermalink")  # built locally from auth.test's url


def test_second_sync_reads_only_what_is_new(fake: FakeSlack, directory: Directory) -> None:
    first, before = sync(fake, directory, channels=["ext-acme"], page_size=2)
    fake.requests.clear()
    fake.add_message("C0ACME", ts(18, 9), "UDANA", "Any news on the order form?")
    second, after = sync(fake, directory, channels=["ext-acme"], page_size=2, cursor=first.cursor)
    assert texts(after) == ["Any news on the order form?"]
    assert not {m.source_id for m in after} & {m.source_id for m in before}
    history = fake.calls("conversations.history")
    assert history[0]["oldest"] == slack_ts(NOW - timedelta(days=14)) and history[0]["inclusive"] == "0"
    # Threads whose latest reply was read are not fetched again, except one whose parent is out of view.
    assert [(c["ts"], c["oldest"]) for c in fake.calls("conversations.replies")] == [(OLD, ts(12, 9))]
    _, again = sync(fake, directory, channels=["ext-acme"], cursor=second.cursor)
    assert again == []


def test_new_replies_to_older_threads_are_caught(fake: FakeSlack, directory: Directory) -> None:
    first, _ = sync(fake, directory, channels=["ext-acme"])
    fake.add_message("C0ACME", ts(19, 9), "UDANA", "Still broken for us.", thread_ts=PARENT)
    fake.add_message("C0ACME", ts(19, 10), "UDANA", "Any update on the quote?", thread_ts=OLD)
    fake.add_message("C0ACME", ts(19, 11), "UCARLA", "Order form sent.", thread_ts=ASK)  # a first reply
    _, after = sync(fake, directory, channels=["ext-acme"], cursor=first.cursor)
    assert texts(after) == ["Still broken for us.", "Any update on the quote?", "Order form sent."]
    assert {m.thread_id for m in after} == {f"C0ACME:{PARENT}", f"C0ACME:{OLD}", f"C0ACME:{ASK}"}


def test_cursor_holds_the_newest_ts_and_watched_threads(fake: FakeSlack, directory: Directory) -> None:
    source = connector(fake, directory, channels=["ext-acme"])
    assert source.cursor is None
    list(source.fetch())
    assert source.cursor == ('{"channels": {"C0ACME": {"latest": "%s", "threads": {"%s": "%s", "%s": "%s"}}}, '
                             '"version": 1}' % (ts(16, 9), OLD, ts(12, 9), PARENT, ts(10, 11)))


def test_the_cursor_never_passes_a_message_not_handed_out(fake: FakeSlack, directory: Directory) -> None:
    source = connector(fake, directory, channels=["ext-acme"])
    stream = source.fetch()
    taken = [next(stream) for _ in range(3)]  # the caller stops (a crash, a commit per batch)
    rest = list(connector(fake, directory, channels=["ext-acme"], cursor=source.cursor).fetch())
    assert [m.text for m in taken + rest] == ACME_TEXTS


def test_since_bounds_the_first_sync(fake: FakeSlack, directory: Directory) -> None:
    source = connector(fake, directory, channels=["ext-acme"])
    messages = list(source.fetch(since=datetime(2026, 3, 15, 9)))  # naive: UTC
    assert [m.text for m in messages] == ["Can we add 10 seats?", "Sure, I'll send the order form."]
    assert fake.calls("conversations.history")[0]["oldest"] == ASK


# -- which channels, who and which account ----------------------------------------------------------

def test_discovers_shared_and_mapped_channels_and_reports_the_rest(fake: FakeSlack, directory: Directory) -> None:
    source, messages = sync(fake, directory)
    assert {m.channel for m in messages} == {"ext-acme", "globex-connect", "beta-feedback"}
    assert {c["channel"] for c in fake.calls("conversations.history")} == {"C0ACME", "C0GLOBEX", "C0BETA"}
    assert fake.calls("conversations.list")[0]["types"] == "public_channel,private_channel"
    assert [str(s) for s in source.skipped] == [
        "slack #ext-initech (C0INITECH): the app is not a member: invite it with /invite @<app> in the channel"]


def test_channels_by_name_or_id_and_unknown_ones_reported(fake: FakeSlack, directory: Directory) -> None:
    fake.add_channel("D0DANA", "D0DANA", is_im=True, is_channel=False, members=["UCARLA", "UDANA"])
    fake.add_message("D0DANA", ts(17, 9), "UDANA", "Private question about pricing.")
    source, messages = sync(fake, directory, channels=["#Globex-Connect", "C0INT", "D0DANA", "no-such", "C0NOPE"])
    assert {m.channel for m in messages} == {"globex-connect", "internal", "D0DANA"}
    dm = next(m for m in messages if m.channel == "D0DANA")
    assert (dm.account_id, dm.author_side) == ("ACC-ACME", "customer")  # found by conversations.info
    assert [s.where for s in source.skipped] == ["slack #no-such", "slack C0NOPE"]


def test_sides_and_accounts(fake: FakeSlack, directory: Directory) -> None:
    messages = sync(fake, directory)[1]
    placed = {(m.channel, m.author, m.author_side, m.account_id) for m in messages}
    assert placed == {
        ("ext-acme", "Dana Kim", "customer", "ACC-ACME"),          # Slack Connect: email from users.info
        ("ext-acme", "Carla Csm", "vendor", "ACC-ACME"),           # the CSM, in the mapped channel
        ("globex-connect", "Gina Globex", "customer", "ACC-GLOBEX"),
        ("globex-connect", "Carla Csm", "vendor", "ACC-GLOBEX"),   # unmapped: the customer member's domain
        ("beta-feedback", "Evan Eng", "vendor", "ACC-BETA")}       # a full member on freemail is vendor-side
    assert {c["user"] for c in fake.calls("users.info")} == {"UDANA", "UGINA"}  # users.list leaves them out
    dana = next(m for m in messages if m.author == "Dana Kim")
    assert dana.author_email == "dana@acme.io" and dana.participants == ("carla@vendorco.com", "dana@acme.io")


def test_ids_and_messages_equal_the_export_connector_s(tmp_path: Path, fake: FakeSlack, directory: Directory) -> None:
    users = [fake.users[uid] for uid, *_ in USERS] + [fake.users["UBOT"]]
    channels = [{"id": cid, "name": name, "members": members} for cid, name, _, members in CHANNELS]
    payloads = {name: [{"type": "message", **{k: v for k, v in m.items() if v is not None}} for m in MESSAGES[cid]]
                for cid, name, *_ in CHANNELS}
    exports.write_slack_export(tmp_path / "export", users=users, channels=channels, messages=payloads)
    exported = SlackExportConnector(path=tmp_path / "export", directory=directory,
                                    permalink_base="https://fake.slack.com/")
    by_id = {m.source_id: m for m in exported.fetch()}
    live = sync(fake, directory)[1]
    assert len(live) == 10 and all(by_id[m.source_id] == m for m in live)


# -- failures -----------------------------------------------------------------------------

def test_a_429_is_waited_out_and_retried(fake: FakeSlack, directory: Directory) -> None:
    fake.rate_limit("conversations.history", retry_after=1)
    client = web_client(TOKEN, fake.url, max_retries=3)
    _, messages = sync(fake, directory, client=client, channels=["ext-acme"])
    assert texts(messages) == ACME_TEXTS
    assert len(fake.calls("conversations.history")) == 2


def test_rate_limits_past_the_retries_are_retriable_with_retry_after(fake: FakeSlack, directory: Directory) -> None:
    fake.rate_limit("conversations.history", retry_after=7)
    source = connector(fake, directory, client=web_client(TOKEN, fake.url, max_retries=0), channels=["ext-acme"])
    with pytest.raises(RetriableSourceError) as error:
        list(source.fetch())
    assert error.value.retry_after == 7
    assert str(error.value) == ("Slack rate-limited conversations.history past the retries (Retry-After 7 s): "
                                "sync again later")


def test_a_channel_the_app_cannot_read_is_reported_and_the_others_synced(fake: FakeSlack,
                                                                          directory: Directory) -> None:
    fake.fail("conversations.history", "not_in_channel", channel="C0GLOBEX")
    source, messages = sync(fake, directory)
    assert {m.channel for m in messages} == {"ext-acme", "beta-feedback"}
    assert [s.where for s in source.skipped] == ["slack #ext-initech (C0INITECH)", "slack #globex-connect (C0GLOBEX)"]
    assert source.skipped[1].reason.startswith("the app is not a member: invite it")
    _, retried = sync(fake, directory, cursor=source.cursor)  # nothing was read there, so it is read next time
    assert {m.channel for m in retried} == {"globex-connect"}


def test_a_refused_token_is_fatal_and_never_shown(fake: FakeSlack, directory: Directory) -> None:
    secret = "xoxb-1234-secret-token"
    source = connector(fake, directory, client=web_client(secret, fake.url))
    with pytest.raises(FatalSourceError) as error:
        list(source.fetch())
    assert str(error.value) == "Slack refused the token (invalid_auth): check SLACK_BOT_TOKEN or reinstall the app"
    assert secret not in str(error.value) and error.value.__cause__ is None
    assert [r.method for r in fake.requests] == ["auth.test"]


def test_a_missing_scope_names_the_scope(fake: FakeSlack, directory: Directory) -> None:
    fake.fail("users.list", "missing_scope")
    with pytest.raises(FatalSourceError, match="lacks the needed scope for users.list"):
        list(connector(fake, directory).fetch())


def test_an_unreachable_server_is_retriable(directory: Directory) -> None:
    with FakeSlack() as gone:
        url = gone.url  # a port nothing listens on once the fake stops
    client = web_client(TOKEN, url)
    with pytest.raises(RetriableSourceError, match="cannot reach Slack for auth.test"):
        list(SlackConnector(client=client, directory=directory).fetch())


def test_an_unreadable_cursor_starts_over_and_says_so(fake: FakeSlack, directory: Directory) -> None:
    source, messages = sync(fake, directory, channels=["ext-acme"], cursor='{"channels": {"C0ACME": {"latest": 5}}}')
    assert texts(messages) == ACME_TEXTS
    assert [s.where for s in source.skipped] == ["slack cursor"]


def test_pacing_sleeps_between_history_and_replies_calls(fake: FakeSlack, directory: Directory) -> None:
    slept: list[float] = []
    sync(fake, directory, channels=["ext-acme", "beta-feedback"], page_size=3, pace_seconds=60, sleep=slept.append)
    paced = len(fake.calls("conversations.history")) + len(fake.calls("conversations.replies"))
    assert paced == 6 and slept == [60] * (paced - 1)


# -- the connector contract -----------------------------------------------------------------

class TestSlackLiveContract(ConnectorContract):
    """The file-connector contract, with the fake workspace standing in for the input file."""

    connector_class = SlackConnector

    @pytest.fixture(autouse=True)
    def _fake(self) -> None:
        with FakeSlack(tokens=(TOKEN,)) as fake:
            self.fake = fake
            yield

    def make_input(self, tmp_path: Path) -> FakeSlack:
        self.fake.add_user("UDANA", "dana", "Dana Kim", "dana@acme.io")
        self.fake.add_user("UMAYA", "maya", "Maya Ortiz", "maya@vendor.io")
        self.fake.add_channel("C1", "ext-acme", is_ext_shared=True, members=["UDANA", "UMAYA"])
        self.fake.add_message("C1", exports.make_slack_ts(when(1, 9)), "UDANA", "Morning! Is the export fixed?")
        self.fake.add_message("C1", exports.make_slack_ts(when(1, 10)), "UMAYA", "Yes, shipped last night.")
        self.fake.add_message("C1", exports.make_slack_ts(when(2, 9)), "UDANA", "Great, thanks <@UMAYA>")
        return self.fake

    def source(self, fake: FakeSlack) -> SlackConnector:
        return SlackConnector(client=WebClient(token=TOKEN, base_url=fake.url), directory=DIRECTORY)

    def fetch(self, path: FakeSlack, **kw: object) -> list[Message]:
        return list(self.source(path).fetch(**kw))

    def test_is_registered_and_sniffs_its_own_input(self, tmp_path: Path) -> None:
        """A live source: a `Connector` by name, not a file format that ingest would sniff for."""
        assert isinstance(self.source(self.make_input(tmp_path)), Connector) and SlackConnector.name == "slack"

    def test_does_not_sniff_other_content(self, tmp_path: Path) -> None:
        assert "slack" not in FILE_CONNECTORS and not hasattr(SlackConnector, "sniff")

    def test_no_skips_on_good_input(self, tmp_path: Path) -> None:
        source = self.source(self.make_input(tmp_path))
        list(source.fetch())
        assert source.skipped == []


# -- users between syncs ----------------------------------------------------------------

def test_users_list_is_kept_between_syncs_and_newcomers_are_looked_up(fake: FakeSlack, directory: Directory) -> None:
    users = SlackUsers(refresh=timedelta(hours=6))
    first, _ = sync(fake, directory, channels=["ext-acme"], users=users)
    assert len(fake.calls("users.list")) == 1 and {c["user"] for c in fake.calls("users.info")} == {"UDANA"}
    fake.requests.clear()
    # A new vendor engineer joins the channel and writes before users.list is due again.
    fake.add_user("UNEW", "nora", "Nora New", "nora@vendorco.com", team="T0VENDOR")
    fake.members["C0ACME"].append("UNEW")
    fake.add_message("C0ACME", ts(18, 9), "UNEW", "We will cancel the old export job tonight.")
    _, after = sync(fake, directory, channels=["ext-acme"], users=users, cursor=first.cursor)
    assert not fake.calls("users.list")  # kept
    assert [c["user"] for c in fake.calls("users.info")] == ["UNEW"]  # only the newcomer; Dana is kept too
    [nora] = after
    assert (nora.author, nora.author_side, nora.author_email) == ("Nora New", "vendor", "nora@vendorco.com")


def test_users_list_is_read_again_when_due(fake: FakeSlack, directory: Directory) -> None:
    users = SlackUsers(refresh=timedelta(hours=6))
    sync(fake, directory, channels=["ext-acme"], users=users)
    fake.requests.clear()
    sync(fake, directory, channels=["ext-acme"], users=users, clock=lambda: NOW + timedelta(hours=7))
    assert len(fake.calls("users.list")) == 1
    fake.requests.clear()
    sync(fake, directory, channels=["ext-acme"])  # no SlackUsers given: read every sync, as before
    assert len(fake.calls("users.list")) == 1


def test_a_failed_users_list_keeps_the_users_it_had(fake: FakeSlack, directory: Directory) -> None:
    users = SlackUsers(refresh=timedelta(0))  # due on every sync
    sync(fake, directory, channels=["ext-acme"], users=users)
    kept, read_at = dict(users.users), users.read_at
    fake.fail("users.list", "fatal_error", times=5)
    with pytest.raises(RetriableSourceError):
        sync(fake, directory, channels=["ext-acme"], users=users)
    assert users.users == kept and users.read_at == read_at
