"""MboxConnector: .mbox and .eml files and folders, read for real from disk.

Fixture emails live in data/email/; mailboxes that only make sense broken
or combined are written to tmp_path by the tests themselves.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import FILE_CONNECTORS, FatalSourceError
from connectors.directory import Directory
from connectors.mbox import MboxConnector
from signals.portfolio import Account, Contact

DATA = Path(__file__).parent / "data" / "email"


@pytest.fixture
def directory() -> Directory:
    return Directory(
        accounts=[Account("ACC-1", "Acme", 12000.0, domains=("acme.io",), csm="sam@vendor.com"),
                  Account("ACC-2", "Globex", 8000.0, domains=("globex.com",), csm="sam@vendor.com")],
        contacts=[Contact("lee.wong@acme.io", "Lee Wong", title="CFO", account_id="ACC-2")],
    )


def fetch(path: Path, directory: Directory | None = None, **kwargs) -> tuple[list, MboxConnector]:
    connector = MboxConnector(path=path, directory=directory or Directory())
    return list(connector.fetch(**kwargs)), connector


def one(name: str, directory: Directory | None = None):
    messages, connector = fetch(DATA / name, directory)
    assert len(messages) == 1 and not connector.skipped
    return messages[0]


def email(message_id: str, body: str = "Hello.", date: str = "Tue, 04 Mar 2025 09:12:00 -0800",
          sender: str = "Dana Kim <dana@acme.io>") -> str:
    return (f"From: {sender}\nTo: sam@vendor.com\nSubject: Note\nDate: {date}\n"
            f"Message-ID: <{message_id}>\n\n{body}\n")


def mbox(*emails: str) -> str:
    return "".join(f"From MAILER-DAEMON Tue Mar  4 09:12:00 2025\n{e}\n" for e in emails)


# -- detection --------------------------------------------------------------

def test_registered_under_its_name():
    assert FILE_CONNECTORS["mbox"] is MboxConnector


def test_sniff_by_content(tmp_path):
    renamed = tmp_path / "export.txt"
    shutil.copy(DATA / "plain.eml", renamed)
    nested = tmp_path / "mail" / "2025"
    nested.mkdir(parents=True)
    shutil.copy(DATA / "plain.eml", nested / "a.eml")
    (tmp_path / "slack").mkdir()
    (tmp_path / "slack" / "users.json").write_text("[]")
    (tmp_path / "notes.txt").write_text("Dana: we are not renewing\nSam: noted\n")
    (tmp_path / "blob.mbox").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    assert MboxConnector.sniff(DATA / "thread.mbox") and MboxConnector.sniff(renamed)
    assert MboxConnector.sniff(tmp_path / "mail")
    assert not MboxConnector.sniff(tmp_path / "slack")
    assert not MboxConnector.sniff(tmp_path / "notes.txt")
    assert not MboxConnector.sniff(tmp_path / "blob.mbox")
    assert not MboxConnector.sniff(tmp_path / "missing.mbox")


# -- one email --------------------------------------------------------------

def test_plain_email_fields():
    m = one("plain.eml")
    assert (m.source, m.source_id, m.thread_id) == ("email", "CAF=plain-001@mail.acme.io", "CAF=plain-001@mail.acme.io")
    assert m.ts == datetime(2025, 3, 4, 17, 12, tzinfo=timezone.utc)
    assert (m.author, m.author_email, m.channel) == ("Dana Kim", "dana@acme.io", "Q3 seat review")
    assert m.participants == ("dana@acme.io", "sam@vendor.com", "lee.wong@acme.io")
    assert m.text.startswith("Hi Sam,\n\nFinance wants us to cut 30% of seats in Q3.")
    assert m.quoted == ""


def test_multipart_alternative_prefers_plain_and_decodes_headers():
    m = one("alternative.eml")
    assert m.author == "Kim, Dana" and m.channel == "Expansion — support team"
    assert "pricing for 50 more seats" in m.text and "they’re keen" in m.text
    assert "HTML VERSION" not in m.text + m.quoted
    assert m.ts == datetime(2025, 3, 5, 9, 0, tzinfo=timezone.utc)


def test_html_only_body_becomes_text():
    m = one("html_only.eml")
    assert "Hi Sam," in m.text and "this week's numbers & a note:\nour VP wants us to look at Vitally" in m.text
    assert "Support 40" in m.text and "- Export is <slow>" in m.text and "the status page" in m.text
    assert not any(junk in m.text for junk in ("padding", "track()", "Usage report", "<p>", "&amp;"))


def test_reply_quoted_history_is_not_new_text():
    m = one("reply_gmail.eml")
    assert m.text == "Hi Dana, thanks for the heads-up. I'll send the SOW by Thursday."
    assert "Finance wants us to cut 30%" in m.quoted and "wrote:" in m.quoted
    assert m.thread_id == "CAF=plain-001@mail.acme.io" and m.channel == "Q3 seat review"


def test_outlook_reply_and_forward_are_split_off():
    outlook, forwarded = one("reply_outlook.eml"), one("forwarded.eml")
    assert outlook.text == "This is the third outage this month, this is not acceptable."
    assert "renew early" in outlook.quoted and "renew early" not in outlook.text
    assert forwarded.text == "FYI, see below." and "40% off" in forwarded.quoted
    assert forwarded.channel == "Vitally proposal"


def test_signatures_are_quoted():
    dashes, sign_off = one("signature_dashes.eml"), one("signoff.eml")
    assert dashes.text == "This cut our ticket backlog in half, happy to do a case study."
    assert "+1 (555) 010-0199" in dashes.quoted
    assert sign_off.text == "Quick note: my last day is Friday, Sam Rivera will take over the account."
    assert sign_off.quoted.startswith("Best regards,\nDana Kim") and "iPhone" in sign_off.quoted


def test_transfer_encodings_and_charsets(tmp_path):
    assert one("base64.eml").text == "We just closed our Series C and are doubling the team — expect more seats soon."
    latin = one("latin1.eml")
    assert latin.text == "Réunion prévue: le déploiement à Zürich est bloqué."
    assert (latin.author, latin.channel) == ("René Müller", "Déploiement")
    raw = email("8bit@acme.io", body="Prix trop élevé.").replace("Subject: Note", "Subject: Tarif élevé")
    path = tmp_path / "8bit.eml"
    path.write_bytes(raw.replace("\n\n", "\nContent-Type: text/plain; charset=iso-8859-1\n\n", 1).encode("latin-1"))
    m = fetch(path)[0][0]
    assert (m.text, m.channel) == ("Prix trop élevé.", "Tarif élevé")


def test_attachments_are_never_read():
    m = one("attachment.eml")
    assert m.text == "Signed order form attached."
    assert not any(s in m.text + m.quoted for s in ("SECRETPDFCONTENT", "ATTACHED-TEXT-FILE", "iVBOR"))


# -- mailboxes --------------------------------------------------------------

def test_thread_shares_one_id_and_mboxrd_escapes_are_undone():
    messages, connector = fetch(DATA / "thread.mbox")
    assert [m.source_id for m in messages] == ["thread-root@mail.acme.io", "thread-reply-1@vendor.com",
                                               "thread-reply-2@mail.acme.io"]
    assert {m.thread_id for m in messages} == {"thread-root@mail.acme.io"}
    assert {m.channel for m in messages} == {"Renewal timeline"}
    assert messages[0].text.endswith("\nFrom what I recall it was April.")
    assert messages[2].text == "Great, looping in Lee who owns the budget." and not connector.skipped


def test_separators_without_blank_lines_and_unescaped_from_in_body(tmp_path):
    path = tmp_path / "loose.mbox"
    first = email("a@acme.io", body="Notes\n\nFrom here on, Lee owns the renewal.")
    path.write_text(f"From x Tue Mar  4 09:12:00 2025\n{first}From y Tue Mar  4 10:00:00 2025\n"
                    + email("b@acme.io"))
    messages, _ = fetch(path)
    assert [m.source_id for m in messages] == ["a@acme.io", "b@acme.io"]
    assert messages[0].text.endswith("From here on, Lee owns the renewal.")


def test_crlf_mbox(tmp_path):
    path = tmp_path / "crlf.mbox"
    path.write_bytes(mbox(email("c1@acme.io"), email("c2@acme.io")).replace("\n", "\r\n").encode())
    assert [m.text for m in fetch(path)[0]] == ["Hello.", "Hello."]


def test_duplicates_yield_once_and_since_filters(tmp_path):
    path = tmp_path / "dups.mbox"
    path.write_text(mbox(email("old@acme.io", date="Mon, 03 Feb 2025 09:00:00 +0000"),
                         email("new@acme.io"), email("new@acme.io")))
    assert [m.source_id for m in fetch(path)[0]] == ["old@acme.io", "new@acme.io"]
    since = datetime(2025, 3, 1, tzinfo=timezone.utc)
    assert [m.source_id for m in fetch(path, since=since)[0]] == ["new@acme.io"]


def test_missing_message_id_gets_a_stable_hash(tmp_path):
    path = tmp_path / "noid.eml"
    path.write_text(email("x").replace("Message-ID: <x>\n", ""))
    first, second = fetch(path)[0][0], fetch(path)[0][0]
    assert first.source_id == second.source_id == first.thread_id and len(first.source_id) == 64


def test_folder_recursive_with_bad_files_skipped(tmp_path):
    (tmp_path / "2025" / "march").mkdir(parents=True)
    shutil.copy(DATA / "plain.eml", tmp_path / "2025" / "march" / "plain.eml")
    shutil.copy(DATA / "thread.mbox", tmp_path / "2025" / "thread.mbox")
    shutil.copy(DATA / "no_date.eml", tmp_path / "no_date.eml")
    (tmp_path / "junk.eml").write_bytes(b"\0\1\2 not mail")
    messages, connector = fetch(tmp_path)
    assert len(messages) == 4
    assert sorted(Path(s.where).name for s in connector.skipped) == ["junk.eml", "no_date.eml"]


# -- broken input -----------------------------------------------------------

def test_broken_message_is_skipped_and_the_rest_load(tmp_path):
    path = tmp_path / "mixed.mbox"
    path.write_text(mbox(email("good1@acme.io"), "garbage line without any headers\n",
                         email("bad-date@acme.io", date="sometime next week"), email("good2@acme.io")))
    messages, connector = fetch(path)
    assert [m.source_id for m in messages] == ["good1@acme.io", "good2@acme.io"]
    assert [s.where for s in connector.skipped] == [f"{path}#2", f"{path}#3"]
    assert connector.skipped[0].reason == "no Date header"
    assert "unparseable Date 'sometime next week'" in connector.skipped[1].reason
    assert all("\n" not in str(s) for s in connector.skipped)


def test_eml_without_date_is_skipped():
    messages, connector = fetch(DATA / "no_date.eml")
    assert messages == [] and [s.reason for s in connector.skipped] == ["no Date header"]


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\x00\xff\xfe garbage \x00" * 50, b"just some notes\nno headers\n"])
def test_not_email_is_fatal_with_one_line(tmp_path, content):
    path = tmp_path / "x.mbox"
    path.write_bytes(content)
    with pytest.raises(FatalSourceError) as err:
        fetch(path)
    assert str(err.value) == f"{path} is not an mbox or .eml file: first line should start with 'From '"
    assert "\n" not in str(err.value)


def test_missing_path_and_empty_folder_are_fatal(tmp_path):
    for path in (tmp_path / "nope.mbox", tmp_path):
        with pytest.raises(FatalSourceError) as err:
            fetch(path)
        assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


# -- accounts and sides -----------------------------------------------------

def test_contact_account_wins_over_domain(directory):
    m = one("reply_outlook.eml", directory)
    assert (m.account_id, m.author_side, m.unresolved_hint) == ("ACC-2", "customer", None)
    first = fetch(DATA / "thread.mbox", directory)[0][0]
    assert (first.author_email, first.account_id) == ("dana@acme.io", "ACC-1")


def test_vendor_author_resolves_by_recipient_domain(directory):
    m = one("reply_gmail.eml", directory)
    assert (m.author_side, m.account_id) == ("vendor", "ACC-1")


def test_unknown_domain_and_freemail_stay_unresolved(tmp_path, directory):
    (tmp_path / "a.eml").write_text(email("u1@initech.com", sender="Bill <bill@initech.com>"))
    (tmp_path / "b.eml").write_text(email("u2@gmail.com", sender="Pat <pat.home@gmail.com>"))
    unknown, freemail = fetch(tmp_path, directory)[0]
    assert (unknown.account_id, unknown.unresolved_hint, unknown.author_side) == (None, "domain initech.com", "unknown")
    assert freemail.account_id is None and freemail.unresolved_hint
