"""Email text: headers, MIME bodies, HTML to plain text, new text vs history.

Pure functions shared by the email connectors (mbox/.eml files now, the Gmail
API later), so every mailbox yields the same `Message.text`.  They work on
`email.message.Message` parsed with `policy=compat32` (an `EmailMessage`
works too): the default policy is ~15x slower per message, and the ingest
target is thousands of messages a second.

`split_reply` separates what the author wrote now from what they quoted,
forwarded or signed, because quoted history is not evidence (taxonomy.md).
Every pattern is anchored and matched line by line, so it runs in linear time.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser
from typing import Iterable, Iterator

# -- headers ----------------------------------------------------------------

_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|antw|rif)(?:\s*\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_TRICKY_ADDRESS = re.compile(r'["()\\;:]')
_SIMPLE_ADDRESS = re.compile(r"(?:([^<>@,]*?)\s*<([^<>\s@]+@[^<>\s@]+)>|([^<>\s@]+@[^<>\s@]+))")


def decode_header_value(value: str | None) -> str:
    """A header as text: RFC 2047 encoded words and raw 8-bit bytes decoded."""
    if not value:
        return ""
    value = str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except (ValueError, LookupError, UnicodeError):
            pass
    return " ".join(value.split())


def parse_addresses(*values: str | None) -> list[tuple[str, str]]:
    """(display name, lower-cased address) from address headers, deduplicated, in order."""
    seen: dict[str, str] = {}
    for value in values:
        for name, address in _split_addresses(value) if value else ():
            address = address.strip().lower()
            if "@" in address and address not in seen:
                seen[address] = decode_header_value(name).strip("'\" ")
    return [(name, address) for address, name in seen.items()]


def _split_addresses(value: str) -> list[tuple[str, str]]:
    """Plain "Name <a@b>, c@d" lists by regex (getaddresses is the hot spot); the rest by the stdlib."""
    if not _TRICKY_ADDRESS.search(value):
        found = [_SIMPLE_ADDRESS.fullmatch(piece.strip()) for piece in value.split(",") if piece.strip()]
        if all(found):
            return [(m.group(1) or "", m.group(2) or m.group(3)) for m in found]
    return getaddresses([value])


def strip_subject(subject: str | None) -> str:
    """The subject without reply and forward prefixes (Re:, Fwd:, AW:, RE[2]:...)."""
    return _SUBJECT_PREFIX.sub("", decode_header_value(subject)).strip()


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID, In-Reply-To or References header, without <>."""
    if not value:
        return []
    return _MSG_ID.findall(value) or value.split()[:1]


def thread_root(*, message_id: str | None, in_reply_to: str | None, references: str | None) -> str | None:
    """The id a whole thread shares: first of References, else In-Reply-To, else its own."""
    for ids in (message_ids(references), message_ids(in_reply_to)):
        if ids:
            return ids[0]
    return message_id or None


# -- bodies -----------------------------------------------------------------

def decode_bytes(payload: bytes, charset: str | None) -> str:
    """Bytes to text by the declared charset; undeclared or unknown: UTF-8, else cp1252."""
    charset = (charset or "").strip().lower()
    if charset and charset not in ("us-ascii", "ascii", "unknown-8bit", "x-unknown"):
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            pass
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def message_body(msg: Message) -> str:
    """The readable body: the text/plain parts, else the HTML ones as text.

    Attachments (a filename or `Content-Disposition: attachment`) and attached
    messages are never read.
    """
    return pick_body(_text_parts(msg))


def pick_body(parts: Iterable[tuple[str, str]]) -> str:
    """Join (mime type, decoded text) leaves: plain text wins over HTML, unless it is blank."""
    parts = list(parts)
    plain = "\n".join(text for kind, text in parts if kind == "text/plain").strip()
    if plain:
        return plain
    return "\n".join(html_to_text(text) for kind, text in parts if kind == "text/html").strip()


def _text_parts(part: Message) -> Iterator[tuple[str, str]]:
    kind = part.get_content_type()
    if part.get_content_maintype() == "message":
        return  # an attached email (forwarded as attachment) is not this author's text
    if part.is_multipart():
        for child in part.get_payload():  # alternatives too: pick_body chooses
            yield from _text_parts(child)
    elif kind in ("text/plain", "text/html") and not _is_attachment(part):
        payload = part.get_payload(decode=True) or b""
        yield kind, decode_bytes(payload, part.get_content_charset())


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or part.get_param("name") is not None or bool(part.get_filename())


# -- HTML -------------------------------------------------------------------

_BLOCK = frozenset("address article aside blockquote center dd div dl dt fieldset figure footer form "
                   "h1 h2 h3 h4 h5 h6 header hr main nav ol p pre section table tbody thead tfoot tr ul".split())
_PARAGRAPH = frozenset("blockquote h1 h2 h3 h4 h5 h6 ol p table ul".split())
_HIDDEN = frozenset({"script", "style", "head", "title", "noscript", "template"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _TextExtractor(HTMLParser):
    """Collects text line by line; blockquote lines get "> " so they read as quoted."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.pieces: list[str] = []
        self.hidden = self.quote = self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.flush(blank_ok=True)
        elif tag == "li":
            self.flush()
            self.pieces.append("- ")
        elif tag in ("td", "th"):
            self.pieces.append(" ")
        elif tag in _BLOCK:
            self._block(tag, +1)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK or tag == "li":
            self._block(tag, -1)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.flush(blank_ok=True)
        elif tag in _BLOCK:
            self.flush()

    def _block(self, tag: str, step: int) -> None:
        self.flush()
        if tag in _PARAGRAPH and self.lines and self.lines[-1]:
            self.lines.append("")
        if tag == "blockquote":
            self.quote = max(0, self.quote + step)
        elif tag == "pre":
            self.pre = max(0, self.pre + step)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if not self.pre:
            self.pieces.append(_SPACES.sub(" ", data))
            return
        first, *rest = data.split("\n")
        self.pieces.append(first)
        for line in rest:
            self.flush(blank_ok=True)
            self.pieces.append(line)

    def flush(self, *, blank_ok: bool = False) -> None:
        text = "".join(self.pieces)
        text = text.rstrip() if self.pre else _SPACES.sub(" ", text).strip()
        self.pieces = []
        if text or blank_ok:
            self.lines.append("> " * self.quote + text if text else "")


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body, using only the standard library."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    parser.flush()
    text = "\n".join(parser.lines).strip()
    return re.sub(r"\n{3,}", "\n\n", text)


# -- new text vs quoted history and signature -------------------------------

_ATTRIBUTIONS = (("on ", "wrote"), ("le ", "écrit"), ("am ", "schrieb"), ("el ", "escribió"),
                 ("op ", "schreef"), ("il ", "scritto"))
_HISTORY = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|forwarded message"
    r"|weitergeleitete nachricht|message transféré)\s*-*|begin forwarded message:)", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|de|von|van|da)\s*:", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(?:sent|date|envoyé|gesendet|datum|enviado|inviato|verzonden)\s*:",
                          re.IGNORECASE)
_HEADER_TO = re.compile(r"^\s*\*?(?:to|subject|à|objet|an|betreff|para|asunto|cc)\s*:", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:best|kind|warm|warmest|many)?\s*(?:regards|wishes)|best|thanks|thank you|thanks again|"
    r"many thanks|thx|cheers|sincerely|yours|yours truly|all the best|talk soon|speak soon|br|"
    r"mit freundlichen grüßen|cordialement|saludos|gracias)\s*[,.!-]?\s*$", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(r"^\s*(?:sent from my \w+|sent from (?:outlook|mail|yahoo mail) for \w+|"
                            r"get outlook for \w+)", re.IGNORECASE)
_SIGNATURE_LINES, _SIGNATURE_WIDTH = 6, 60


def split_reply(text: str) -> tuple[str, str]:
    """(new text, quoted history + signature) of one email body.

    History starts at an attribution ("On ... wrote:"), "> " lines, an
    "Original Message" or Outlook "From:/Sent:" header block, or a forward
    marker; everything after those is quoted, except text written below or
    between "> " blocks (bottom-posted and inline replies), which is new.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_new = _marked(lines)
    new = "\n".join(line for line, keep in zip(lines, is_new) if keep)
    quoted = "\n".join(line for line, keep in zip(lines, is_new) if not keep)
    return re.sub(r"\n{3,}", "\n\n", new.strip()), quoted.strip()


def new_text_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets in `text` of the runs of lines `split_reply` keeps as new.

    Classifiers read a message through these spans, so evidence quoted from
    them is an exact substring of `text` and never of its history.
    """
    spans: list[tuple[int, int]] = []
    lines = text.split("\n")
    offset = 0
    for line, keep in zip(lines, _marked([line.rstrip("\r") for line in lines])):
        end = offset + len(line)
        if keep and spans and spans[-1][1] == offset - 1:
            spans[-1] = (spans[-1][0], end)
        elif keep:
            spans.append((offset, end))
        offset = end + 1
    return spans


def _marked(lines: list[str]) -> list[bool]:
    is_new = _mark_history(lines)
    _mark_signature(lines, is_new)
    return is_new


def _mark_history(lines: list[str]) -> list[bool]:
    is_new = [True] * len(lines)
    i = 0
    while i < len(lines):
        if _is_quote(lines[i]):
            is_new[i] = False
        elif span := _attribution_span(lines, i):
            is_new[i:i + span] = [False] * span
            if not _is_quote(_next_nonblank(lines, i + span)):
                is_new[i:] = [False] * (len(lines) - i)
                break
            i += span
            continue
        elif _starts_history(lines, i):
            is_new[i:] = [False] * (len(lines) - i)
            break
        i += 1
    return is_new


def _is_quote(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _next_nonblank(lines: list[str], start: int) -> str:
    return next((line for line in lines[start:start + 5] if line.strip()), "")


def _attribution_span(lines: list[str], i: int) -> int:
    """1 or 2 when an "On ... wrote:" line (maybe wrapped once) starts at i, else 0."""
    first = lines[i].strip()
    if len(first) > 300:
        return 0
    lowered = first.lower()
    for prefix, verb in _ATTRIBUTIONS:
        if lowered.startswith(prefix):
            if verb in lowered and first.endswith(":"):
                return 1
            second = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if len(second) < 120 and verb in second.lower() and second.endswith(":"):
                return 2
    return 0


def _starts_history(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _HISTORY.match(line):
        return True
    if _UNDERSCORES.match(line):
        return bool(_HEADER_FROM.match(_next_nonblank(lines, i + 1)))
    if _HEADER_FROM.match(line):
        block = lines[i + 1:i + 6]
        return any(_HEADER_SENT.match(b) for b in block) and any(_HEADER_TO.match(b) for b in block)
    return False


def _mark_signature(lines: list[str], is_new: list[bool]) -> None:
    new_idx = [i for i, keep in enumerate(is_new) if keep]
    for i in new_idx:
        if _MOBILE_FOOTER.match(lines[i]):
            is_new[i] = False
    new_idx = [i for i in new_idx if is_new[i]]
    dash = next((n for n, i in enumerate(new_idx) if lines[i] in ("-- ", "--")), None)
    start = dash if dash is not None else _sign_off_position(lines, new_idx)
    if start is not None:
        for i in new_idx[start:]:
            is_new[i] = False


def _sign_off_position(lines: list[str], new_idx: list[int]) -> int | None:
    """Index in new_idx of a sign-off followed by a few short lines, ending the text."""
    tail = [n for n, i in enumerate(new_idx) if lines[i].strip()][-(_SIGNATURE_LINES + 1):]
    for k in range(len(tail) - 1, -1, -1):
        n = tail[k]
        if _SIGN_OFF.match(lines[new_idx[n]]):
            after = [lines[new_idx[m]] for m in tail[k + 1:]]
            has_text_before = any(lines[i].strip() for i in new_idx[:n])
            if has_text_before and all(len(a.strip()) <= _SIGNATURE_WIDTH for a in after):
                return n
            return None
    return None
