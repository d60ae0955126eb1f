"""GmailConnector through the real googleapiclient, against the local FakeGmail server.

The vendor is vendor.io; Carla and Ben are its CSMs, each with a mailbox
opened by its own token (as domain-wide delegation gives one per mailbox).
Acme (acme.io) and Globex (globex.com) are the customers; Pat writes for
Globex from a freemail address.  Nothing is mocked: requests go over HTTP to
the fake, and `sleep` is the only injected effect.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from connectors.base import Connector, FatalSourceError, Message, RetriableSourceError
from connectors.directory import Directory
from connectors.gmail import (
    GmailConnector, credentials_from_files, customer_queries, gmail_service, service_factory,
)
from connectors.mbox import MboxConnector
from signals.portfolio import Account, Contact
from tests.conftest import SAMPLES
from tests.contracts.connector_contract import DIRECTORY as CONTRACT_DIRECTORY, ConnectorContract, when
from tests.fakes.gmail import FakeGmail

GMAIL_SAMPLES = SAMPLES / "gmail_api_messages_get"
EML = Path(__file__).parent / "data" / "email"
CARLA, BEN = "carla@vendor.io", "ben@vendor.io"
TOKENS = {CARLA: "ya29.carla-secret", BEN: "ya29.ben-secret"}
DANA = "Dana Kim <dana@acme.io>"


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=timezone.utc)


@pytest.fixture
def directory() -> Directory:
    return Directory(
        accounts=[Account("ACC-ACME", "Acme", 1000.0, domains=("acme.io",), csm=CARLA),
                  Account("ACC-GLOBEX", "Globex", 800.0, domains=("globex.com",), csm=BEN)],
        contacts=[Contact("dana@acme.io", "Dana Kim", "VP Operations", "ACC-ACME"),
                  Contact("pat.freelance@gmail.com", "Pat Lee", "Consultant", "ACC-GLOBEX")],
        vendor_domains=frozenset({"vendor.io"}))


@pytest.fixture
def fake():
    with FakeGmail(tokens={token: box for box, token in TOKENS.items()}) as fake:
        yield fake


def factory(fake: FakeGmail, tokens: dict[str, str] = TOKENS):
    return lambda mailbox: gmail_service(Credentials(token=tokens[mailbox]), fake.url)


def connector(fake: FakeGmail, directory: Directory, *, mailboxes=(CARLA,), sleeps: list | None = None,
              **kw) -> GmailConnector:
    kw.setdefault("since", date(2026, 3, 1))
    return GmailConnector(service_factory=kw.pop("service_factory", None) or factory(fake), mailboxes=mailboxes,
                          directory=directory, sleep=(sleeps if sleeps is not None else []).append, **kw)


def fetch(source: GmailConnector, **kw) -> list[Message]:
    return list(source.fetch(**kw))


def by_text(messages: list[Message]) -> dict[str, Message]:
    return {m.text: m for m in messages}


# -- first sync ------------------------------------------------------------------

def test_first_sync_reads_the_captured_samples(fake: FakeGmail, directory: Directory) -> None:
    inbound = {"From": DANA, "To": f"Carla Csm <{CARLA}>"}
    for name in ("plainTextMessage", "multipartAlternativeMessage", "multipartAlternativeWithAttachmentsMessage",
                 "multipartAlternativePlainTextAttachmentMessage"):
        fake.add_sample(CARLA, GMAIL_SAMPLES / f"{name}.json", headers=inbound)
    fake.add_sample(CARLA, GMAIL_SAMPLES / "multipartAlternativeDraft.json",
                    headers={"From": CARLA, "To": "dana@acme.io"})
    source = connector(fake, directory, since=date(2015, 12, 1))
    messages = fetch(source)

    assert [m.text for m in messages] == ["The actual message text goes here", "wow", "cool *stuff*"]
    plain = messages[0]
    assert plain.source_id == "CADsZLRwWjzfYvtqgvJ1qhPN-5H+1dAzDE6AUprSSW+Mi3SnW3A@mail.gmail.com"
    assert plain.ts == datetime(2015, 12, 27, 0, 3, 23, tzinfo=timezone.utc)
    assert (plain.author, plain.author_email, plain.author_side) == ("Dana Kim", "dana@acme.io", "customer")
    assert plain.account_id == "ACC-ACME" and plain.participants == ("dana@acme.io", CARLA)
    assert plain.channel == "Subject Text" and plain.url.startswith("https://mail.google.com/mail/#search/rfc822msgid")
    # the two attachment samples share one Message-ID (as captured): one email, handed out once
    assert source.noise == {"draft": 1, "duplicate": 1}
    assert not any(".jpg" in m.text or ".txt" in m.text for m in messages)
    assert not fake.calls("/attachments") and source.skipped == [] and source.dropped == 0
    query = fake.calls("/messages")[0].query
    assert query["q"] == ("after:2015/11/30 {from:acme.io to:acme.io cc:acme.io from:globex.com to:globex.com "
                          "cc:globex.com from:pat.freelance@gmail.com to:pat.freelance@gmail.com "
                          "cc:pat.freelance@gmail.com}")
    assert {r.query.get("format") for r in fake.calls("/messages/")} == {"full"}
    assert all(r.user == "me" and r.token == TOKENS[CARLA] for r in fake.requests)


def test_quoted_history_html_and_sides(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "m1", from_=DANA, to=CARLA, subject="Q3 seats", date=at(2),
                     text="We need to cut 30% of seats in Q3.\n\nDana")
    fake.add_message(CARLA, "m2", from_=f"Carla Csm <{CARLA}>", to=DANA, subject="Re: Q3 seats", date=at(2, 11),
                     in_reply_to="<m1@mail.example>", thread_id="m1",
                     text="Happy to talk it through.\n\nOn Mon, Mar 2, 2026 at 9:00 AM Dana Kim <dana@acme.io> wrote:\n"
                          "> We need to cut 30% of seats in Q3.\n",
                     html="<div>ignored: plain text wins</div>")
    fake.add_message(CARLA, "m3", from_="Pat Lee <pat.freelance@gmail.com>", to=CARLA, subject="Rollout", date=at(3),
                     html="<p>The rollout <b>stalled</b>.</p><blockquote>old thread</blockquote>",
                     attachments=[("plan.pdf", "application/pdf", b"%PDF secret plan")])
    m1, m2, m3 = fetch(connector(fake, directory))

    assert (m1.author_side, m2.author_side, m3.author_side) == ("customer", "vendor", "customer")
    assert m2.text == "Happy to talk it through." and m2.quoted.startswith("On Mon, Mar 2, 2026")
    assert m2.thread_id == m1.thread_id == "m1@mail.example" and m2.channel == "Q3 seats"
    assert m2.account_id == "ACC-ACME" and m2.participants == (CARLA, "dana@acme.io")
    assert m3.text == "The rollout stalled." and m3.quoted == "> old thread"
    assert m3.account_id == "ACC-GLOBEX" and "secret" not in m3.text + m3.quoted


def test_same_email_from_gmail_and_from_mbox_is_one_message(fake: FakeGmail) -> None:
    """Each fixture .eml, served as Gmail serves it, maps to what the mbox connector makes of it."""
    directory = Directory(
        accounts=[Account("ACC-1", "Acme", 12000.0, domains=("acme.io",), csm="sam@vendor.com"),
                  Account("ACC-2", "Globex", 8000.0, domains=("globex.com",), csm="sam@vendor.com")],
        contacts=[Contact("lee.wong@acme.io", "Lee Wong", title="CFO", account_id="ACC-2")])
    fake.mailbox("sam@vendor.com", token="ya29.sam")
    emls = sorted(EML.glob("*.eml"))
    for n, path in enumerate(emls):
        fake.add_eml("sam@vendor.com", f"g{n}", path.read_bytes())
    from_mbox = [m for path in emls for m in MboxConnector(path=path, directory=directory).fetch() if m.account_id]
    source = connector(fake, directory, mailboxes=["sam@vendor.com"], since=date(2000, 1, 1),
                       service_factory=factory(fake, {"sam@vendor.com": "ya29.sam"}))
    from_gmail = {m.source_id: m for m in fetch(source)}

    assert len(from_mbox) >= 8 and set(from_gmail) >= {m.source_id for m in from_mbox}
    fields = ("ts", "author", "author_email", "author_side", "account_id", "text", "quoted", "thread_id",
              "channel", "participants")
    for expected in from_mbox:
        got = from_gmail[expected.source_id]
        assert [getattr(got, f) for f in fields] == [getattr(expected, f) for f in fields], expected.source_id


# -- incremental sync --------------------------------------------------------------

def test_incremental_sync_reads_only_new_mail(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "old", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="First note.")
    first = connector(fake, directory)
    assert [m.text for m in fetch(first)] == ["First note."]
    fake.add_message(CARLA, "new", from_=DANA, to=CARLA, subject="Hi", date=at(5), text="Second note.")
    fake.add_message(CARLA, "draft", from_=CARLA, to=DANA, subject="Hi", date=at(5), text="Unsent.",
                     labels=["DRAFT"])
    fake.requests.clear()

    second = connector(fake, directory, cursor=first.cursor)
    assert [m.text for m in fetch(second)] == ["Second note."]
    history = fake.calls("/history")
    assert history[0].query["startHistoryId"] == json.loads(first.cursor)["mailboxes"][CARLA]["history_id"]
    assert history[0].query["historyTypes"] == "messageAdded"
    assert not [r for r in fake.requests if r.path.endswith("/messages")]  # no messages.list
    assert {r.path.rsplit("/", 1)[1] for r in fake.calls("/messages/")} == {"new"}
    assert second.noise == {"draft": 1}
    assert json.loads(second.cursor)["mailboxes"][CARLA]["history_id"] == str(fake.mailbox(CARLA).history_id)


def test_incremental_sync_pages_and_skips_deleted_mail(fake: FakeGmail, directory: Directory) -> None:
    first = connector(fake, directory)
    assert fetch(first) == []
    for n in range(5):
        fake.add_message(CARLA, f"n{n}", from_=DANA, to=CARLA, subject="Update", date=at(3 + n), text=f"Update {n}.")
    fake.delete(CARLA, "n2")
    second = connector(fake, directory, cursor=first.cursor, page_size=2)
    assert [m.text for m in fetch(second)] == ["Update 0.", "Update 1.", "Update 3.", "Update 4."]
    assert len(fake.calls("/history")) == 3 and second.noise == {"deleted": 1}


def test_cursor_covers_only_what_was_handed_out(fake: FakeGmail, directory: Directory) -> None:
    first = connector(fake, directory)
    fetch(first)
    for n in range(3):
        fake.add_message(CARLA, f"n{n}", from_=DANA, to=CARLA, subject="Update", date=at(3 + n), text=f"Update {n}.")
    second = connector(fake, directory, cursor=first.cursor)
    stream = second.fetch()
    assert next(stream).text == "Update 0."
    assert second.cursor == first.cursor  # handed out, not yet known to be committed
    assert next(stream).text == "Update 1."
    stream.close()  # the caller stopped here: the next sync starts after "Update 0."
    third = connector(fake, directory, cursor=second.cursor)
    assert [m.text for m in fetch(third)] == ["Update 1.", "Update 2."]


def test_expired_history_id_reads_everything_again(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "a", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="First note.")
    first = connector(fake, directory)
    before = fetch(first)
    fake.add_message(CARLA, "b", from_=DANA, to=CARLA, subject="Hi", date=at(4), text="Second note.")
    fake.oldest_history = fake.mailbox(CARLA).history_id + 1  # Gmail forgot the stored id

    again = connector(fake, directory, cursor=first.cursor)
    messages = fetch(again)
    assert [m.text for m in messages] == ["First note.", "Second note."]
    ids = [m.source_id for m in messages]
    assert len(set(ids)) == len(ids) and set(ids) >= {m.source_id for m in before}
    assert again.resynced == [CARLA] and "expired" in str(again.skipped[0])
    assert fake.calls("/history")[0].query["startHistoryId"] == json.loads(first.cursor)["mailboxes"][CARLA][
        "history_id"]
    assert json.loads(again.cursor)["mailboxes"][CARLA]["history_id"] == str(fake.mailbox(CARLA).history_id)
    fake.oldest_history = 0
    assert fetch(connector(fake, directory, cursor=again.cursor)) == []


# -- privacy -------------------------------------------------------------------------

def test_non_customer_mail_is_dropped_and_counted(fake: FakeGmail, directory: Directory) -> None:
    # matches the search's substring "acme.io" but is nobody's customer
    fake.add_message(CARLA, "lookalike", from_="news@notacme.io.example", to=CARLA, subject="Offer", date=at(2),
                     text="Buy now.")
    fake.add_message(CARLA, "ok", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="Customer note.")
    first = connector(fake, directory)
    assert [m.text for m in fetch(first)] == ["Customer note."] and first.dropped == 1

    fake.add_message(CARLA, "internal", from_="Evan <evan@vendor.io>", to=CARLA, subject="Payroll", date=at(4),
                     text="Salary review.")
    fake.add_message(CARLA, "cc", from_="evan@vendor.io", to=CARLA, cc="gina@globex.com", subject="Plan",
                     date=at(4), text="Plan for Globex.")
    fake.requests.clear()
    second = connector(fake, directory, cursor=first.cursor)
    assert [(m.text, m.account_id) for m in fetch(second)] == [("Plan for Globex.", "ACC-GLOBEX")]
    assert second.dropped == 1
    internal = [r.query for r in fake.calls("/messages/internal")]
    assert internal == [{"format": "metadata", "metadataHeaders": ["From", "To", "Cc"], "alt": "json"}]


# -- errors and retries ----------------------------------------------------------------

def test_rate_limit_waits_for_retry_after(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "m", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="Hello.")
    fake.fail("/messages", 429, retry_after=7)
    sleeps: list[float] = []
    assert [m.text for m in fetch(connector(fake, directory, sleeps=sleeps))] == ["Hello."]
    assert sleeps == [7.0] and len([r for r in fake.requests if r.path.endswith("/messages")]) == 2


def test_server_errors_back_off_exponentially(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "m", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="Hello.")
    fake.fail("/messages/m", 500, times=2)
    sleeps: list[float] = []
    assert [m.text for m in fetch(connector(fake, directory, sleeps=sleeps, backoff=0.5))] == ["Hello."]
    assert sleeps == [0.5, 1.0]


def test_a_rate_limit_403_is_retried(fake: FakeGmail, directory: Directory) -> None:
    fake.fail("/profile", 403, reason="userRateLimitExceeded")
    sleeps: list[float] = []
    assert fetch(connector(fake, directory, sleeps=sleeps)) == [] and sleeps == [1.0]


def test_errors_past_the_retries_are_retriable(fake: FakeGmail, directory: Directory) -> None:
    fake.fail("/profile", 503, times=10, retry_after=30)
    sleeps: list[float] = []
    source = connector(fake, directory, sleeps=sleeps, max_retries=2)
    with pytest.raises(RetriableSourceError, match="HTTP 503 past 2 retries") as caught:
        fetch(source)
    assert caught.value.retry_after == 30.0 and sleeps == [30.0, 30.0] and source.cursor is None


def test_a_refused_token_is_fatal_and_not_repeated(fake: FakeGmail, directory: Directory) -> None:
    bad = connector(fake, directory, service_factory=factory(fake, {CARLA: "ya29.revoked-secret"}))
    with pytest.raises(FatalSourceError) as caught:
        fetch(bad)
    message = str(caught.value)
    assert CARLA in message and "revoked-secret" not in message and "\n" not in message
    assert fake.requests[-1].token == "ya29.revoked-secret"


@pytest.mark.parametrize("status, reason", [(401, None), (403, "insufficientPermissions")])
def test_scripted_auth_errors_are_fatal(fake: FakeGmail, directory: Directory, status: int, reason: str) -> None:
    fake.fail("/profile", status, reason=reason)
    with pytest.raises(FatalSourceError) as caught:
        fetch(connector(fake, directory))
    assert "credentials" in str(caught.value) and TOKENS[CARLA] not in str(caught.value)


def test_a_mailbox_gmail_cannot_serve_is_skipped(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(BEN, "g", from_="gina@globex.com", to=BEN, subject="Hi", date=at(2), text="From Globex.")
    fake.fail("/users/me/profile", 400, reason="failedPrecondition")
    source = connector(fake, directory, mailboxes=[CARLA, BEN])
    assert [m.text for m in fetch(source)] == ["From Globex."]
    assert [s.where for s in source.skipped] == [f"gmail {CARLA}"]
    assert set(json.loads(source.cursor)["mailboxes"]) == {BEN}


# -- several mailboxes -------------------------------------------------------------------

def test_one_email_in_two_mailboxes_is_one_source_id(fake: FakeGmail, directory: Directory) -> None:
    for box, gmail_id in ((CARLA, "c-copy"), (BEN, "b-copy")):
        fake.add_message(box, gmail_id, from_=DANA, to=f"{CARLA}, {BEN}", subject="Renewal", date=at(2),
                         text="Let's talk renewal.", message_id="<renewal-1@mail.acme.io>")
    carla_only = fetch(connector(fake, directory, mailboxes=[CARLA]))
    ben_only = fetch(connector(fake, directory, mailboxes=[BEN]))
    assert [m.source_id for m in carla_only] == [m.source_id for m in ben_only] == ["renewal-1@mail.acme.io"]

    both = connector(fake, directory, mailboxes=[CARLA, BEN])
    assert [m.source_id for m in fetch(both)] == ["renewal-1@mail.acme.io"]
    assert both.noise == {"duplicate": 1} and set(json.loads(both.cursor)["mailboxes"]) == {CARLA, BEN}


def test_a_full_resync_through_the_store_stores_nothing_twice(fake: FakeGmail, directory: Directory, engine) -> None:
    """groundswell.sync stores the messages and the cursor together; an expired history id re-reads safely."""
    from sqlmodel import Session

    from groundswell import store
    from groundswell.sync import sync_source

    with Session(engine) as session, session.begin():
        store.upsert_accounts(session, accounts=directory.accounts)
    for box, gmail_id in ((CARLA, "c1"), (BEN, "b1")):
        fake.add_message(box, gmail_id, from_=DANA, to=f"{CARLA}, {BEN}", subject="Renewal", date=at(2),
                         text="Let's talk renewal.", message_id="<renewal-1@mail.acme.io>")

    def run() -> object:
        connect = lambda cursor, found: connector(fake, found, mailboxes=[CARLA, BEN], cursor=cursor)  # noqa: E731
        return sync_source(engine, name="gmail", connect=connect, vendor_domains=["vendor.io"], now=at(20))

    first = run()
    assert (first.seen, first.stored) == (1, 1)
    fake.add_message(CARLA, "c2", from_=DANA, to=CARLA, subject="Re: Renewal", date=at(5), text="Any news?")
    fake.oldest_history = 10**9
    second = run()
    assert (second.seen, second.stored) == (2, 1) and all("expired" in s for s in second.skipped)
    fake.oldest_history = 0
    third = run()
    assert (third.seen, third.stored) == (0, 0)


# -- cursor and queries ----------------------------------------------------------------------

def test_cursor_round_trip(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "m", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="Hello.")
    first = connector(fake, directory, mailboxes=[CARLA, BEN])
    assert first.cursor is None
    fetch(first)
    state = json.loads(first.cursor)
    assert state == {"version": 1, "mailboxes": {BEN: {"history_id": str(fake.mailbox(BEN).history_id or 1001)},
                                                 CARLA: {"history_id": str(fake.mailbox(CARLA).history_id)}}}
    second = connector(fake, directory, mailboxes=[CARLA, BEN], cursor=first.cursor)
    assert second.cursor == first.cursor
    assert fetch(second) == [] and second.cursor == first.cursor

    broken = connector(fake, directory, cursor='{"mailboxes": {"carla@vendor.io": {"history_id": "x"}}}')
    assert [m.text for m in fetch(broken)] == ["Hello."]
    assert str(broken.skipped[0]).startswith("gmail cursor: unreadable")


def test_since_limits_the_first_sync(fake: FakeGmail, directory: Directory) -> None:
    fake.add_message(CARLA, "before", from_=DANA, to=CARLA, subject="Hi", date=at(1, 23), text="Too old.")
    fake.add_message(CARLA, "after", from_=DANA, to=CARLA, subject="Hi", date=at(2, 1), text="Recent.")
    source = connector(fake, directory, since=date(2026, 3, 2))
    assert [m.text for m in fetch(source)] == ["Recent."]
    assert fake.calls("/messages")[0].query["q"].startswith("after:2026/03/01 {")


def test_long_domain_lists_are_split_over_several_queries() -> None:
    accounts = [Account(f"ACC-{n}", f"Customer {n}", 1.0, domains=(f"customer-{n:03}.example.com",))
                for n in range(60)]
    queries = customer_queries(Directory(accounts=accounts), after=date(2026, 3, 2))
    assert len(queries) > 1 and all(len(q) <= 1030 and q.startswith("after:2026/03/01 {") for q in queries)
    assert sum(q.count("from:") for q in queries) == 60


def test_no_customer_domains_reads_nothing(fake: FakeGmail) -> None:
    source = connector(fake, Directory())
    assert fetch(source) == [] and fake.requests == [] and source.cursor is None
    assert "load accounts.csv" in str(source.skipped[0])


# -- credentials ----------------------------------------------------------------------------------

def test_token_file_credentials_read_the_mailbox(fake: FakeGmail, directory: Directory, tmp_path: Path) -> None:
    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps({"token": TOKENS[CARLA], "refresh_token": "1//refresh", "client_id": "cid",
                                      "client_secret": "csecret", "token_uri": "http://127.0.0.1:9/token",
                                      "expiry": "2099-01-01T00:00:00Z"}))
    fake.add_message(CARLA, "m", from_=DANA, to=CARLA, subject="Hi", date=at(2), text="Hello.")
    make = service_factory(api_endpoint=fake.url, token_file=str(token_file))
    assert [m.text for m in fetch(connector(fake, directory, service_factory=make))] == ["Hello."]


def test_service_account_credentials_impersonate_the_mailbox(tmp_path: Path) -> None:
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    from cryptography.hazmat.primitives import serialization

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    path = tmp_path / "sa.json"
    path.write_text(json.dumps({"type": "service_account", "project_id": "p", "private_key_id": "k",
                                "private_key": key, "client_email": "groundswell@p.iam.gserviceaccount.com",
                                "client_id": "1", "token_uri": "https://oauth2.googleapis.com/token"}))
    found = credentials_from_files(service_account_file=str(path), subject=CARLA)
    assert found._subject == CARLA and "gmail.readonly" in found._scopes[0]


def test_missing_credentials_are_fatal(tmp_path: Path) -> None:
    with pytest.raises(FatalSourceError, match="No Gmail credentials"):
        credentials_from_files()
    with pytest.raises(FatalSourceError, match="no such file"):
        credentials_from_files(token_file=str(tmp_path / "absent.json"))
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(FatalSourceError, match="not a usable"):
        credentials_from_files(token_file=str(tmp_path / "bad.json"))


# -- the shared connector contract --------------------------------------------------------

class TestGmailContract(ConnectorContract):
    """The file-connector contract, with a fake mailbox standing in for the input file."""

    connector_class = GmailConnector

    @pytest.fixture(autouse=True)
    def _fake(self) -> None:
        with FakeGmail(tokens={"ya29.maya": "maya@vendor.io"}) as fake:
            self.fake = fake
            yield

    def make_input(self, tmp_path: Path) -> FakeGmail:
        self.fake.add_message("maya@vendor.io", "c1", from_="Dana Kim <dana@acme.io>", to="maya@vendor.io",
                              subject="Export", date=when(1, 9), text="Morning! Is the export fixed?")
        self.fake.add_message("maya@vendor.io", "c2", from_="Maya <maya@vendor.io>", to="dana@acme.io",
                              subject="Re: Export", date=when(1, 10), text="Yes, shipped last night.")
        self.fake.add_message("maya@vendor.io", "c3", from_="Dana Kim <dana@acme.io>", to="maya@vendor.io",
                              subject="Re: Export", date=when(2, 9), text="Great, it works now.")
        return self.fake

    def source(self, fake: FakeGmail) -> GmailConnector:
        make = lambda mailbox: gmail_service(Credentials(token="ya29.maya"), fake.url)  # noqa: E731
        return GmailConnector(service_factory=make, mailboxes=["maya@vendor.io"], directory=CONTRACT_DIRECTORY,
                              since=date(2026, 1, 1), sleep=lambda seconds: None)

    def fetch(self, path: FakeGmail, **kw: object) -> list[Message]:
        return list(self.source(path).fetch(**kw))

    def test_is_registered_and_sniffs_its_own_input(self, tmp_path: Path) -> None:
        """A live source: a `Connector` by name, not a file format that ingest would sniff for."""
        assert isinstance(self.source(self.make_input(tmp_path)), Connector) and GmailConnector.name == "gmail"

    def test_does_not_sniff_other_content(self, tmp_path: Path) -> None:
        assert not hasattr(GmailConnector, "sniff")

    def test_no_skips_on_good_input(self, tmp_path: Path) -> None:
        source = self.source(self.make_input(tmp_path))
        list(source.fetch())
        assert source.skipped == [] and source.dropped == 0


def test_a_text_body_too_big_to_inline_is_fetched_but_real_attachments_never_are(fake: FakeGmail,
                                                                                  directory: Directory) -> None:
    long_text = "We're evaluating a move to Flowstack before the renewal. " + "Details follow. " * 2000
    fake.add_large_text(CARLA, "big", from_=DANA, to=CARLA, subject="Long", date=at(2), text=long_text)
    fake.add_message(CARLA, "file", from_=DANA, to=CARLA, subject="Deck", date=at(3), text="Deck attached.",
                     attachments=[("deck.pdf", "application/pdf", b"%PDF-1.4 secret")])
    messages = {m.text[:40]: m for m in fetch(connector(fake, directory))}
    assert any(text.startswith("We're evaluating a move to Flowstack") for text in messages)
    fetched = [r.path for r in fake.calls("/attachments/")]
    assert len(fetched) == 1 and "/messages/big/" in fetched[0]  # the body, not the PDF
