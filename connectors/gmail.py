"""The live Gmail source: CSM mailboxes through the Gmail API, read incrementally, -> `Message`.

A Gmail `format=full` resource becomes a stdlib email message (headers as
given, text parts decoded from base64url, attachments left empty) and then a
`Message` through `mbox.email_to_message`: the same email read from Gmail
and from an mbox export gets one source id (its Message-ID), one text and
one quoted history.  The same email in two CSMs' mailboxes is one source
id too, so storing it twice is impossible downstream; within one fetch it
is handed out once.

Sync, per mailbox (developers.google.com/workspace/gmail/api/guides/sync).
First: users.getProfile for the mailbox's current historyId, then
messages.list with a query for customer mail since `since`, then
messages.get for each id.  The profile's historyId is taken *before*
listing, so mail arriving during the sync is read again next time rather
than missed.  Later: history.list(startHistoryId, messageAdded) page by page;
each new message is screened with `format=metadata` (From/To/Cc only) and
read in full only when a customer is among its participants.  A historyId
older than Gmail keeps (about a week) answers 404: the mailbox is read again
from `since`, which is safe because messages are unique on source id.

`cursor` is JSON, `{"version": 1, "mailboxes": {"<email>": {"history_id":
"<id>"}}}`, and covers only the messages handed out so far; the caller
stores it after committing them.

Privacy: mail with no customer participant is dropped before it becomes a
`Message` (counted in `dropped`); attachments are never downloaded (a text
body too large to inline, which Gmail serves by attachment id, is fetched).
Errors: 429, 5xx and rate-limit 403s are retried with exponential backoff
honouring Retry-After, then raise `RetriableSourceError`; refused
credentials raise `FatalSourceError` (one line, never the token); a mailbox
Gmail cannot serve is a `Skip` and the other mailboxes go on.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time as day_start, timedelta, timezone
from email.message import Message as MimeMessage
from email.utils import format_datetime
from typing import Any, Callable, ClassVar, Iterable, Iterator
from urllib.parse import quote

import httplib2
from google.auth.exceptions import GoogleAuthError, RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.base import (FatalSourceError, Message, RetriableSourceError, Skip, SkipLog, SourceError,
                             retry_after_header, to_utc)
from connectors.directory import Directory
from connectors.email_text import message_ids, parse_addresses
from connectors.mbox import email_to_message

SCOPES = ("https://www.googleapis.com/auth/gmail.readonly",)
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_NOT_MAIL = {"DRAFT": "draft", "SPAM": "spam", "TRASH": "trash", "CHAT": "chat"}
_SCREEN_HEADERS = ["From", "To", "Cc"]
_QUERY_CHARS = 1000  # Gmail rejects very long queries; longer domain lists are split over several
_MAX_WAIT = 64.0
# What a malformed resource can raise while converted: confined to that message.
_MALFORMED = (ValueError, LookupError, TypeError, AttributeError, binascii.Error)
Resource = Any  # googleapiclient.discovery.Resource, built at run time from the discovery document


def gmail_service(credentials: Any, api_endpoint: str = "https://gmail.googleapis.com/") -> Resource:
    """A Gmail v1 client from the discovery document shipped with googleapiclient: no network here."""
    return build("gmail", "v1", credentials=credentials, client_options={"api_endpoint": api_endpoint},
                 static_discovery=True, cache_discovery=False)


def credentials_from_files(service_account_file: str | None = None, token_file: str | None = None,
                           subject: str | None = None) -> Any:
    """Read-only Google credentials: a service account acting as `subject` (domain-wide
    delegation), or an installed app's authorized-user token file.  Reads files only."""
    from google.oauth2 import credentials as user_credentials, service_account

    try:
        if service_account_file:
            found = service_account.Credentials.from_service_account_file(service_account_file, scopes=list(SCOPES))
            return found.with_subject(subject) if subject else found
        if token_file:
            return user_credentials.Credentials.from_authorized_user_file(token_file, list(SCOPES))
    except FileNotFoundError:
        raise FatalSourceError(f"{service_account_file or token_file}: no such file: "
                               "check the Google credentials path") from None
    except (OSError, ValueError, KeyError) as exc:
        raise FatalSourceError(f"{service_account_file or token_file} is not a usable Google credentials file "
                               f"({type(exc).__name__}): download it again") from None
    raise FatalSourceError("No Gmail credentials: set a service account file (domain-wide delegation) "
                           "or an OAuth token file in the gmail settings")


def service_factory(*, api_endpoint: str = "https://gmail.googleapis.com/", service_account_file: str | None = None,
                    token_file: str | None = None) -> Callable[[str], Resource]:
    """mailbox -> its Gmail client: a service account impersonates each mailbox; a token file is one user's.

    The credentials file is read on first use and each mailbox's client kept, so
    a service syncing every few minutes neither re-reads the file nor rebuilds
    clients (and keeps their access tokens).  A client is not thread-safe: the
    scheduler runs one gmail sync at a time.
    """
    read: list[Any] = []  # the credentials as read from the file, once it has been read
    services: dict[str, Resource] = {}

    def make(mailbox: str) -> Resource:
        if mailbox not in services:
            if not read:
                read.append(credentials_from_files(service_account_file, token_file))
            credentials = read[0].with_subject(mailbox) if service_account_file else read[0]
            services[mailbox] = gmail_service(credentials, api_endpoint)
        return services[mailbox]
    return make


class _NotFound(SourceError):
    """HTTP 404: an expired historyId, or a message deleted since it was listed."""


class _Unreadable(SourceError):
    """This mailbox cannot be read (Gmail off for the user, the user gone); the others can."""


class GmailConnector(SkipLog):
    """Reads CSM mailboxes; `skipped` lists what it could not read, `dropped` counts non-customer mail."""

    name: ClassVar[str] = "gmail"

    def __init__(self, *, service_factory: Callable[[str], Resource], mailboxes: Iterable[str],
                 directory: Directory, since: date, cursor: str | None = None, page_size: int = 100,
                 max_retries: int = 5, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.service_factory, self.directory = service_factory, directory
        self.mailboxes = list(dict.fromkeys(m.strip().lower() for m in mailboxes if m.strip()))
        self.since = since.date() if isinstance(since, datetime) else since
        self.page_size, self.max_retries, self.backoff, self.sleep = min(page_size, 500), max_retries, backoff, sleep
        self.skipped: list[Skip] = []
        self.dropped = 0
        self.noise: Counter[str] = Counter()  # drafts, spam, deleted, duplicates: left out, not errors
        self.resynced: list[str] = []
        self._saved, self._state, self._loaded = cursor, None, None

    @property
    def cursor(self) -> str | None:
        """The sync state covering every message handed out so far, as JSON (see the module docstring)."""
        if self._state is None or self._state == self._loaded:
            return self._saved
        boxes = {box: {"history_id": hid} for box, hid in self._state.items()}
        return json.dumps({"version": 1, "mailboxes": boxes}, sort_keys=True)

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        self.skipped.clear()
        self.noise.clear()
        self.resynced.clear()
        self.dropped = 0
        if self._state is None:
            self._state = self._load(self._saved)
            self._loaded = dict(self._state)
        floor = to_utc(since) if since else datetime.combine(self.since, day_start(), timezone.utc)
        queries = customer_queries(self.directory, after=floor.date())
        if not queries:
            self.skip("gmail", "no account has an email domain or contact: load accounts.csv first")
            return
        seen: set[str] = set()
        for mailbox in self.mailboxes:
            try:
                service = self.service_factory(mailbox)
                for message in self._mailbox(service, mailbox, queries, floor):
                    if message.source_id in seen:
                        self.noise["duplicate"] += 1
                    elif message.ts >= floor:
                        seen.add(message.source_id)
                        yield message
            except _Unreadable as exc:
                self.skip(f"gmail {mailbox}", str(exc))

    # -- one mailbox --------------------------------------------------------
    def _mailbox(self, service: Resource, mailbox: str, queries: list[str], floor: datetime) -> Iterator[Message]:
        start = self._state.get(mailbox)
        if start is not None:
            try:
                yield from self._incremental(service, mailbox, start)
                return
            except _NotFound:
                self.resynced.append(mailbox)
                self.skip(f"gmail {mailbox}", f"history id {start} has expired (Gmail keeps about a week), "
                          f"so all mail since {floor.date().isoformat()} was read again")
        yield from self._full(service, mailbox, queries)

    def _full(self, service: Resource, mailbox: str, queries: list[str]) -> Iterator[Message]:
        users = service.users()
        try:
            profile = self._execute(mailbox, "users.getProfile", users.getProfile(userId="me"))
        except _NotFound:
            raise _Unreadable("Gmail has no such mailbox: check the address in gmail.mailboxes") from None
        ids: dict[str, None] = {}
        for query in queries:
            for ref in self._pages(mailbox, "messages.list", "messages",
                                   lambda token: users.messages().list(userId="me", q=query,
                                                                        maxResults=self.page_size, pageToken=token)):
                ids.setdefault(ref["id"])
        for gmail_id in reversed(list(ids)):  # Gmail lists newest first; hand out oldest first
            message = self._read(service, mailbox, gmail_id, screen=False)
            if message is not None:
                yield message
        self._state[mailbox] = str(profile["historyId"])

    def _incremental(self, service: Resource, mailbox: str, start: str) -> Iterator[Message]:
        history, token = service.users().history(), None
        while True:
            page = self._execute(mailbox, "history.list", history.list(
                userId="me", startHistoryId=start, historyTypes=["messageAdded"], maxResults=self.page_size,
                pageToken=token))
            for record in page.get("history") or ():
                for added in record.get("messagesAdded") or ():
                    ref = added.get("message") or {}
                    if self._is_mail(ref) and ref.get("id"):
                        message = self._read(service, mailbox, ref["id"], screen=True)
                        if message is not None:
                            yield message
                self._state[mailbox] = str(record["id"])  # its messages are handed out
            token = page.get("nextPageToken")
            if not token:
                self._state[mailbox] = str(page.get("historyId") or self._state[mailbox])
                return

    def _read(self, service: Resource, mailbox: str, gmail_id: str, *, screen: bool) -> Message | None:
        """One message as a Message; None when it is not customer mail, not mail, deleted or malformed."""
        messages = service.users().messages()
        try:
            if screen:
                head = self._execute(mailbox, "messages.get", messages.get(
                    userId="me", id=gmail_id, format="metadata", metadataHeaders=_SCREEN_HEADERS))
                if not self._is_mail(head) or not self._has_customer(head):
                    return None
            resource = self._execute(mailbox, "messages.get", messages.get(userId="me", id=gmail_id, format="full"))
        except _NotFound:
            self.noise["deleted"] += 1
            return None
        if not self._is_mail(resource) or not self._has_customer(resource):
            return None
        try:
            self._fetch_large_bodies(messages, mailbox, gmail_id, resource.get("payload") or {})
            return gmail_to_message(resource, directory=self.directory, mailbox=mailbox)
        except _MALFORMED as exc:
            self.skip(f"gmail {mailbox} {gmail_id}", str(exc) or type(exc).__name__)
            return None

    def _fetch_large_bodies(self, messages: Any, mailbox: str, gmail_id: str, part: dict) -> None:
        """Text bodies too big to inline arrive as an attachment id: fetch those (never real attachments)."""
        body = part.get("body") or {}
        kind = str(part.get("mimeType") or "").lower()
        if kind.startswith("text/") and not part.get("filename") and body.get("attachmentId") and not body.get("data"):
            found = self._execute(mailbox, "attachments.get", messages.attachments().get(
                userId="me", messageId=gmail_id, id=body["attachmentId"]))
            body["data"] = found.get("data") or ""
        for child in part.get("parts") or ():
            self._fetch_large_bodies(messages, mailbox, gmail_id, child)

    def _is_mail(self, resource: dict) -> bool:
        kinds = [_NOT_MAIL[label] for label in resource.get("labelIds") or () if label in _NOT_MAIL]
        if kinds:
            self.noise[kinds[0]] += 1
        return not kinds

    def _has_customer(self, resource: dict) -> bool:
        """A known customer among From/To/Cc; checked before any body is decoded."""
        headers = _headers(resource.get("payload") or {})
        addresses = parse_addresses(*(v for k, v in headers if k.lower() in ("from", "to", "cc")))
        if any(self.directory.account_for_email(address) for _, address in addresses):
            return True
        self.dropped += 1
        return False

    # -- calls --------------------------------------------------------------
    def _pages(self, mailbox: str, what: str, key: str, request: Callable[[str | None], Any]) -> Iterator[dict]:
        token = None
        while True:
            page = self._execute(mailbox, what, request(token))
            yield from page.get(key) or ()
            token = page.get("nextPageToken")
            if not token:
                return

    def _execute(self, mailbox: str, what: str, request: Any) -> dict:
        """Run one request, retrying rate limits, server errors and dropped connections."""
        for attempt in range(self.max_retries + 1):
            try:
                return request.execute(num_retries=0)
            except HttpError as exc:
                wait = self._triage(mailbox, what, exc, last=attempt == self.max_retries)
            except RefreshError as exc:
                raise _refused(mailbox, exc) from None
            except (OSError, httplib2.HttpLib2Error, TransportError) as exc:  # a token refresh can drop too
                if attempt == self.max_retries:
                    raise RetriableSourceError(f"cannot reach Gmail for {what} ({type(exc).__name__}): check the "
                                               "network and GROUNDSWELL_GMAIL_API_URL") from None
                wait = None
            except GoogleAuthError as exc:
                raise FatalSourceError(f"Google credentials for {mailbox} are unusable ({type(exc).__name__}): "
                                       "check the gmail credentials settings") from None
            self.sleep(wait if wait is not None else min(self.backoff * 2 ** attempt, _MAX_WAIT))
        raise AssertionError("unreachable")  # pragma: no cover

    def _triage(self, mailbox: str, what: str, exc: HttpError, *, last: bool) -> float | None:
        """The Retry-After of a retriable error (None: back off); raises what is not retriable or out of tries."""
        status, reason = exc.resp.status, _reason(exc)
        if status == 404:
            raise _NotFound(what)
        if status == 429 or status >= 500 or (status == 403 and reason in _RATE_REASONS):
            after = retry_after_header(exc.resp)
            if last:
                wait = f"Retry-After {after:g} s" if after is not None else "no Retry-After"
                raise RetriableSourceError(f"Gmail failed {what} for {mailbox} with HTTP {status} past "
                                           f"{self.max_retries} retries ({wait}): sync again later", retry_after=after)
            return after
        if status in (401, 403):
            raise FatalSourceError(f"Gmail refused the credentials for {mailbox} (HTTP {status} {reason}): check the "
                                   "service account's domain-wide delegation of gmail.readonly, or renew the token file")
        if status == 400 and reason == "failedPrecondition":
            raise _Unreadable("Gmail is not enabled for this mailbox")
        raise FatalSourceError(f"Gmail refused {what} for {mailbox} (HTTP {status} {reason})")

    def _load(self, saved: str | None) -> dict[str, str]:
        """The mailboxes of a stored cursor; an unreadable one is reported and every mailbox read from `since`."""
        if not saved:
            return {}
        try:
            boxes = json.loads(saved)["mailboxes"]
            state = {str(box).lower(): str(seen["history_id"]) for box, seen in boxes.items()}
            if not all(hid.isdigit() for hid in state.values()):
                raise ValueError("history id")
            return state
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            self.skip("gmail cursor", f"unreadable ({type(exc).__name__}), so every mailbox is read from the start")
            return {}


# -- queries ----------------------------------------------------------------

def customer_queries(directory: Directory, *, after: date) -> list[str]:
    """Gmail searches for mail to or from any customer since `after`, split to stay short.

    Gmail reads `after:` dates in Pacific time, so the query starts a day
    early and the connector filters on the exact time.
    """
    terms = [f"from:{d} to:{d} cc:{d}" for d in customer_addresses(directory)]
    day = (after - timedelta(days=1)).strftime("%Y/%m/%d")
    queries, group = [], []
    for term in terms:
        if group and len(" ".join([*group, term])) > _QUERY_CHARS:
            queries.append(group)
            group = []
        group.append(term)
    queries += [group] if group else []
    return [f"after:{day} {{{' '.join(g)}}}" for g in queries]


def customer_addresses(directory: Directory) -> list[str]:
    """Every account domain, plus contacts whose address is not at one (freemail users)."""
    domains = {d.lower() for a in directory.accounts for d in a.domains if d}
    people = {c.email.lower() for c in directory.contacts
              if c.account_id in directory.account_ids and not directory.account_for_domain(c.domain)}
    return sorted(domains) + sorted(people)


# -- one resource -------------------------------------------------------------

def gmail_to_message(resource: dict, *, directory: Directory, mailbox: str | None = None) -> Message:
    """A users.messages resource (format=full) as a Message, exactly as the mbox connector maps the email."""
    mime = payload_to_mime(resource.get("payload") or {})
    if not mime.get("Date") and resource.get("internalDate"):
        when = datetime.fromtimestamp(int(resource["internalDate"]) / 1000, timezone.utc)
        mime["Date"] = format_datetime(when)
    message = email_to_message(mime, directory=directory)
    ids = message_ids(mime.get("Message-ID"))
    if ids:
        url = f"https://mail.google.com/mail/#search/rfc822msgid%3A{quote(ids[0], safe='')}"
    else:
        url = f"https://mail.google.com/mail/u/{quote(mailbox or '0', safe='@')}/#all/{resource.get('id')}"
    return replace(message, url=url)


def payload_to_mime(part: dict) -> MimeMessage:
    """A Gmail payload tree as a compat32 email message; attachment bodies are left empty, never decoded."""
    mime = MimeMessage()
    headers = _headers(part)
    for name, value in headers:
        if name.lower() != "content-transfer-encoding":  # `data` is already decoded
            mime[name] = value
    kind = str(part.get("mimeType") or "text/plain").lower()
    if not any(name.lower() == "content-type" for name, _ in headers):
        mime["Content-Type"] = kind
    if kind.startswith("multipart/") or kind == "message/rfc822" and part.get("parts"):
        mime.set_payload([payload_to_mime(child) for child in part.get("parts") or ()])
    elif kind.startswith("text/") and not part.get("filename"):
        data = str((part.get("body") or {}).get("data") or "")
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
        mime.set_payload(raw.decode("ascii", "surrogateescape"))  # get_payload(decode=True) gives `raw` back
    else:
        mime.set_payload("")
    return mime


def _headers(part: dict) -> list[tuple[str, str]]:
    return [(str(h.get("name") or ""), str(h.get("value") or "")) for h in part.get("headers") or () if h.get("name")]


def _reason(exc: HttpError) -> str:
    try:
        details = json.loads(exc.content.decode("utf-8"))["error"]
        return str(details.get("errors", [{}])[0].get("reason") or details.get("status") or "")
    except (ValueError, LookupError, TypeError, AttributeError, UnicodeDecodeError):
        return ""


def _refused(mailbox: str, exc: RefreshError) -> SourceError:
    """A token that could not be (re)obtained: the user is gone (skip the mailbox) or the credentials are bad."""
    detail = " ".join(str(exc.args[0] if exc.args else exc).split())[:160]
    if "invalid email or user id" in detail.lower():
        return _Unreadable("Google knows no such user: remove the address from gmail.mailboxes")
    return FatalSourceError(f"Google refused the credentials for {mailbox} ({detail}): check the service account's "
                            "domain-wide delegation of gmail.readonly, or renew the token file")
