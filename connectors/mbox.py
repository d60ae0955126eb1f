"""Email from .mbox files and .eml files, or folders holding them.

Owns the file side of email: recognising the formats by content, splitting
an mbox into raw messages, and mapping one parsed email to a `Message`
(`email_to_message`, which the Gmail connector can reuse with `format=raw`).
The text work (MIME bodies, HTML, quoted history) lives in `email_text`.

Parsing uses `policy=compat32` plus our own decoding: measured ~15x faster per
message than `policy=default`.  A message that cannot be used (no Date, a
date that does not parse, no sender) is skipped with a reason and the rest
still load; a file given directly that is not email at all is fatal.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.errors import MessageError
from email.message import Message as MimeMessage
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import ClassVar, Iterator

from connectors.base import FatalSourceError, FileConnector, Message, files_under, register, to_utc
from connectors.directory import Directory
from connectors.email_text import (
    decode_header_value, message_body, message_ids, parse_addresses, split_reply, strip_subject,
    thread_root,
)

SUFFIXES = (".mbox", ".eml")
_SNIFF_BYTES = 64 * 1024
# mbox separators: "From sender Tue Mar  4 09:12:00 2025"; after a blank line any
# "From " line carrying a time will do, elsewhere only the full asctime form.
_POSTMARK = re.compile(rb"From \S+ .*\d:\d\d")
_STRICT_POSTMARK = re.compile(
    rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d")
_HEADER_LINE = re.compile(rb"([!-9;-~]+)[ \t]*:")
_MBOXRD_ESCAPE = re.compile(rb"^>(>*From )", re.MULTILINE)
_ENOUGH_HEADERS = {b"date", b"subject", b"message-id", b"to"}
_PARSER = BytesParser(policy=compat32)
# What a malformed message can raise while parsed or mapped: confined to that message.
_MESSAGE_ERRORS = (ValueError, LookupError, UnicodeError, TypeError, IndexError, MessageError)


@register
class MboxConnector(FileConnector):
    """Reads `path`: an .mbox, an .eml, or a folder searched recursively for both."""

    name: ClassVar[str] = "mbox"

    @classmethod
    def sniff(cls, path: Path) -> bool:
        try:
            path = Path(path)
            if path.is_dir():
                return next(iter_email_files(path), None) is not None
            return path.is_file() and file_kind(path) is not None
        except (OSError, ValueError):
            return False

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        """One Message per Message-ID, in file order; `since` keeps mail dated at or after it."""
        since = to_utc(since) if since else None
        seen: set[str] = set()
        for where, raw in self._raw_messages():
            message = self._convert(where, raw)
            if message is None or message.source_id in seen:
                continue
            seen.add(message.source_id)
            if since is None or message.ts >= since:
                yield message

    def _raw_messages(self) -> Iterator[tuple[str, bytes]]:
        path = Path(self.path)
        if path.is_dir():
            files = sorted(iter_email_files(path))
            if not files:
                raise FatalSourceError(f"{path} holds no .mbox or .eml files")
            for file in files:
                yield from self._file_messages(file, direct=False)
        elif path.is_file():
            yield from self._file_messages(path, direct=True)
        else:
            raise FatalSourceError(f"{path}: no such file or folder")

    def _file_messages(self, file: Path, *, direct: bool) -> Iterator[tuple[str, bytes]]:
        try:
            kind = file_kind(file)
            if kind == "eml":
                yield str(file), file.read_bytes().lstrip(b"\r\n\t ")
            elif kind == "mbox":
                for index, raw in enumerate(split_mbox(file), 1):
                    yield f"{file}#{index}", raw
        except OSError as e:
            if direct:
                raise FatalSourceError(f"{file}: cannot read ({e.strerror or e})") from e
            self.skip(file, f"cannot read ({e.strerror or e})")
            return
        if kind is None:
            if direct:
                raise FatalSourceError(not_email_reason(file))
            self.skip(file, "not an mbox or .eml file")

    def _convert(self, where: str, raw: bytes) -> Message | None:
        try:
            return email_to_message(_PARSER.parsebytes(raw), directory=self.directory)
        except _MESSAGE_ERRORS as e:
            self.skip(where, str(e) or type(e).__name__)
            return None


# -- files ------------------------------------------------------------------

def iter_email_files(folder: Path) -> Iterator[Path]:
    """.mbox and .eml files under `folder`, recursively, skipping hidden entries."""
    return (path for path in files_under(folder) if path.name.lower().endswith(SUFFIXES))


def file_kind(path: Path) -> str | None:
    """"mbox", "eml" or None, judged by the first bytes of the file."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if not head.strip() or b"\0" in head:
        return None
    head = head.replace(b"\r\n", b"\n").lstrip(b"\n\t ")
    if head.startswith(b"From "):
        return "mbox"
    return "eml" if _looks_like_headers(head.split(b"\n\n", 1)[0]) else None


def _looks_like_headers(block: bytes) -> bool:
    names = set()
    for line in block.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            continue
        match = _HEADER_LINE.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return b"from" in names and bool(names & _ENOUGH_HEADERS)


def not_email_reason(path: Path) -> str:
    if path.suffix.lower() == ".eml":
        return f"{path} is not an .eml file: it should start with headers such as 'From:' and 'Date:'"
    return f"{path} is not an mbox or .eml file: first line should start with 'From '"


def split_mbox(path: Path) -> Iterator[bytes]:
    """The raw messages of an mbox, separator lines removed and mboxrd escapes undone.

    A separator is the first line, or a "From " line that looks like a
    postmark, so an unescaped "From here on..." in a body does not split.
    """
    lines: list[bytes] = []
    started, blank = False, True
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From ") and (not started or _is_separator(line, blank)):
                started = True
                yield from _finish(lines)
                lines = []
            else:
                lines.append(line)
            blank = line in (b"\n", b"\r\n")
    yield from _finish(lines)


def _is_separator(line: bytes, after_blank: bool) -> bool:
    return bool(_POSTMARK.match(line) if after_blank else _STRICT_POSTMARK.match(line))


def _finish(lines: list[bytes]) -> Iterator[bytes]:
    raw = b"".join(lines)
    if raw.strip():
        yield _MBOXRD_ESCAPE.sub(rb"\1", raw) if b">From " in raw else raw


# -- one email --------------------------------------------------------------

def email_to_message(msg: MimeMessage, *, directory: Directory) -> Message:
    """One parsed email as a Message; ValueError with a one-line reason when unusable."""
    headers = _headers(msg)
    ts = parse_date(_first(headers, "date"))
    senders = parse_addresses(_first(headers, "from"))
    if not senders:
        raise ValueError("no sender address in From")
    name, author_email = senders[0]
    recipients = [a for _, a in parse_addresses(*headers.get("to", ()), *headers.get("cc", ()))]
    participants = tuple(dict.fromkeys([*(a for _, a in senders), *recipients]))
    body = message_body(msg)
    new, quoted = split_reply(body)
    source_id = _source_id(headers, body)
    account = directory.resolve(author_email=author_email, recipient_emails=recipients)
    return Message(
        source="email", source_id=source_id, ts=ts, author=name or author_email, text=new,
        author_email=author_email, author_side=directory.side_of(email=author_email),
        account_id=account, quoted=quoted, participants=participants,
        thread_id=thread_root(message_id=source_id, in_reply_to=_first(headers, "in-reply-to"),
                              references=_first(headers, "references")),
        channel=strip_subject(_first(headers, "subject")) or None,
        unresolved_hint=None if account else directory.unresolved_hint(emails=participants),
    )


def parse_date(value: str | None) -> datetime:
    """A Date header as UTC; ValueError naming the problem otherwise."""
    if not value or not value.strip():
        raise ValueError("no Date header")
    try:
        return to_utc(parsedate_to_datetime(decode_header_value(value)))
    except (TypeError, ValueError, IndexError, OverflowError):
        raise ValueError(f"unparseable Date {' '.join(value.split())[:60]!r}") from None


def _headers(msg: MimeMessage) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        found.setdefault(name.lower(), []).append(str(value))
    return found


def _first(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _source_id(headers: dict[str, list[str]], body: str) -> str:
    """The Message-ID, else a hash of what identifies the email, stable across imports."""
    ids = message_ids(_first(headers, "message-id"))
    if ids:
        return ids[0]
    key = "\n".join([*(" ".join((_first(headers, h) or "").split()) for h in ("from", "date", "subject")),
                     body[:2000]])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
