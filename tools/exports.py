"""Writers for the real file formats Groundswell ingests.

The demo builder (`tools/build_demo.py`) and the benchmark generators use
these to turn story data into the files a customer would actually hand us:
a Slack workspace export, mbox mailboxes, call transcripts (WebVTT, SubRip,
plain text, simple JSON and Gong-style JSON) and CSVs.  They write formats,
not stories: callers pass finished people, timestamps and text.

Everything is deterministic: no wall-clock time, no randomness, stable key
order, MIME boundaries and zip timestamps derived from the content.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import datetime, timezone
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Iterable, Sequence

MBOX_POLICY = policy.default.clone(linesep="\n", max_line_length=78)
# Bodies may carry lines up to RFC 5322's limit, so plain text stays readable 8bit.
_BODY_POLICY = policy.default.clone(linesep="\n", max_line_length=998)
_FROM_LINE = re.compile(rb"^>*From ")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_ZIP_EPOCH = (2026, 10, 31, 0, 0, 0)
_QUOTE_HEADER = re.compile(r"\n\n(On [^\n]* wrote:)\n")


# -- shared -----------------------------------------------------------------

def stable_hex(*parts: object, length: int = 12) -> str:
    """A short hex digest of `parts`, for ids that must not change between runs."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return digest[:length]


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_json(path: Path, data: object, *, indent: int = 4, sort_keys: bool = False) -> None:
    write_text(path, json.dumps(data, indent=indent, ensure_ascii=False, sort_keys=sort_keys) + "\n")


def write_csv(path: Path, rows: Iterable[dict], columns: Sequence[str]) -> None:
    """A CSV with exactly `columns`, in order; lists are joined with `;`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: _csv_cell(row.get(c)) for c in columns})
    write_text(path, buffer.getvalue())


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


# -- Slack workspace export ---------------------------------------------------

def make_slack_ts(moment: datetime, seq: int = 0) -> str:
    """Slack's message id: epoch seconds and six digits, e.g. "1786456320.000100"."""
    seconds = int(moment.astimezone(timezone.utc).timestamp())
    return f"{seconds}.{seq % 1_000_000:06d}"


def write_slack_export(root: Path, *, users: list[dict], channels: list[dict],
                       messages: dict[str, list[dict]], zip_path: Path | None = None,
                       groups: list[dict] | None = None, mpims: list[dict] | None = None,
                       dms: list[dict] | None = None) -> None:
    """Write an export folder (and optionally a zip of it) in Slack's layout.

    `messages` maps a conversation name to its messages in any order; thread
    parents get `reply_count`, `replies`, `reply_users` and `latest_reply`
    from the replies that carry their `thread_ts`.
    """
    write_json(root / "users.json", users)
    write_json(root / "channels.json", channels)
    for name, extra in (("groups.json", groups), ("mpims.json", mpims), ("dms.json", dms)):
        if extra is not None:
            write_json(root / name, extra)
    for conversation, items in sorted(messages.items()):
        for day, day_messages in _split_by_day(link_threads(items)).items():
            write_json(root / conversation / f"{day}.json", day_messages)
    if zip_path is not None:
        zip_folder(root, zip_path)


def link_threads(items: list[dict]) -> list[dict]:
    """Messages sorted by ts, with thread metadata filled in on each parent."""
    ordered = sorted((dict(m) for m in items), key=lambda m: float(m["ts"]))
    replies: dict[str, list[dict]] = defaultdict(list)
    for message in ordered:
        if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
            replies[message["thread_ts"]].append(message)
    for message in ordered:
        thread = replies.get(message["ts"])
        if thread:
            message.update(thread_ts=message["ts"], reply_count=len(thread),
                           reply_users_count=len({r["user"] for r in thread}),
                           latest_reply=thread[-1]["ts"],
                           reply_users=sorted({r["user"] for r in thread}),
                           replies=[{"user": r["user"], "ts": r["ts"]} for r in thread])
    return ordered


def _split_by_day(items: list[dict]) -> dict[str, list[dict]]:
    days: dict[str, list[dict]] = defaultdict(list)
    for message in items:
        day = datetime.fromtimestamp(float(message["ts"]), tz=timezone.utc).strftime("%Y-%m-%d")
        days[day].append(message)
    return dict(sorted(days.items()))


def zip_folder(root: Path, zip_path: Path) -> None:
    """Zip `root`'s files with fixed timestamps so the archive is reproducible."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())


# -- email ----------------------------------------------------------------

def format_quoted_reply(new_text: str, *, quoted_text: str, quoted_date: datetime,
                        quoted_name: str, quoted_addr: str) -> str:
    """A reply body: the new text, then "On <date> <name> <addr> wrote:" and `> ` lines."""
    hour = quoted_date.hour % 12 or 12
    when = f"{quoted_date:%a, %b} {quoted_date.day}, {quoted_date.year} at {hour}:{quoted_date:%M %p}"
    header = f"On {when} {quoted_name} <{quoted_addr}> wrote:"
    quoted = "\n".join(">" if not line else f"> {line}" if not line.startswith(">") else f">{line}"
                       for line in quoted_text.rstrip("\n").split("\n"))
    return f"{new_text.rstrip()}\n\n{header}\n{quoted}\n"


def text_to_html(text: str) -> str:
    """A plain HTML rendering of a text body: paragraphs, and quoted lines as a blockquote."""
    own, header, rest = (_QUOTE_HEADER.split(text, maxsplit=1) + ["", ""])[:3]
    paragraphs = [p for p in own.strip().split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>\n" for p in paragraphs)
    if header:
        lines = [re.sub(r"^> ?", "", line) for line in rest.split("\n")]
        inner = html.escape("\n".join(lines).strip()).replace("\n", "<br>")
        body += (f'<div class="gmail_quote">{html.escape(header)}<br>\n'
                 f'<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">'
                 f"{inner}</blockquote></div>\n")
    return f'<html><head><meta charset="utf-8"></head><body>\n{body}</body></html>\n'


def build_email(email: dict) -> EmailMessage:
    """One RFC 5322 message from a dict (see `write_mbox` for the keys)."""
    message = EmailMessage(policy=_BODY_POLICY)
    message["Message-ID"] = email["message_id"]
    message["Date"] = format_datetime(email["date"])
    message["From"] = formataddr(email["from"])
    message["To"] = ", ".join(formataddr(a) for a in email["to"])
    if email.get("cc"):
        message["Cc"] = ", ".join(formataddr(a) for a in email["cc"])
    message["Subject"] = email["subject"]
    if email.get("in_reply_to"):
        message["In-Reply-To"] = email["in_reply_to"]
        message["References"] = " ".join(email.get("references") or [email["in_reply_to"]])
    message["MIME-Version"] = "1.0"
    cte = "quoted-printable" if email.get("html") else "8bit"
    message.set_content(email["body"], cte=cte)
    if email.get("html"):
        message.add_alternative(email["html"], subtype="html", cte=cte)
        message.set_boundary("===bl-" + stable_hex(email["message_id"], length=24) + "===")
    return message


def write_mbox(path: Path, emails: list[dict]) -> None:
    """Write an mbox (mboxrd escaping) of `emails`, sorted by date.

    Each email: `message_id`, `date` (aware datetime), `from` and each of
    `to`/`cc` as (name, address) pairs, `subject`, `body` (the full plain
    text, quoted history and signature included), optional `html`,
    `in_reply_to` and `references`.
    """
    out = bytearray()
    for email in sorted(emails, key=lambda e: (e["date"], e["message_id"])):
        out += _mbox_entry(email)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))


def _mbox_entry(email: dict) -> bytes:
    buffer = io.BytesIO()
    BytesGenerator(buffer, mangle_from_=False, policy=MBOX_POLICY).flatten(build_email(email))
    moment = email["date"].astimezone(timezone.utc)
    stamp = f"{moment:%a %b} {moment.day:2d} {moment:%H:%M:%S %Y}"
    lines = [b">" + line if _FROM_LINE.match(line) else line
             for line in buffer.getvalue().rstrip(b"\n").split(b"\n")]
    return f"From {email['from'][1]} {stamp}\n".encode() + b"\n".join(lines) + b"\n\n"


# -- call transcripts -----------------------------------------------------------
# A turn is {"speaker": name, "start": seconds, "end": seconds, "text": str}.

def _clock(seconds: float, *, comma: bool = False) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{',' if comma else '.'}{millis:03d}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_vtt(path: Path, turns: list[dict], *, style: str = "voice",
              started_at: datetime | None = None) -> None:
    """WebVTT: `<v Name>` voice tags (Teams) or numbered `Name: text` cues (Zoom)."""
    if style not in ("voice", "colon"):
        raise ValueError(f"unknown VTT style {style!r}: use 'voice' or 'colon'")
    blocks = ["WEBVTT"]
    if started_at is not None:
        blocks.append(f"NOTE started_at: {_iso(started_at)}")
    for number, turn in enumerate(turns, start=1):
        timing = f"{_clock(turn['start'])} --> {_clock(turn['end'])}"
        if style == "voice":
            blocks.append(f"{timing}\n<v {turn['speaker']}>{turn['text']}</v>")
        else:
            blocks.append(f"{number}\n{timing}\n{turn['speaker']}: {turn['text']}")
    write_text(path, "\n\n".join(blocks) + "\n")


def write_srt(path: Path, turns: list[dict]) -> None:
    """SubRip with the speaker written into the text, as Otter exports it."""
    blocks = [f"{n}\n{_clock(t['start'], comma=True)} --> {_clock(t['end'], comma=True)}\n"
              f"{t['speaker']}: {t['text']}" for n, t in enumerate(turns, start=1)]
    write_text(path, "\n\n".join(blocks) + "\n")


def write_transcript_txt(path: Path, turns: list[dict]) -> None:
    """Plain `Speaker: text` lines, one per turn."""
    write_text(path, "".join(f"{t['speaker']}: {t['text']}\n" for t in turns))


def write_transcript_json(path: Path, *, title: str, started_at: datetime,
                          participants: list[dict], turns: list[dict], shape: str = "simple") -> None:
    """JSON transcript: the simple shape, or Gong's calls/transcript + parties."""
    if shape == "simple":
        data = _simple_transcript(title, started_at, participants, turns)
    elif shape == "gong":
        data = _gong_transcript(title, started_at, participants, turns)
    else:
        raise ValueError(f"unknown transcript shape {shape!r}: use 'simple' or 'gong'")
    write_json(path, data, indent=2)


def _simple_transcript(title: str, started_at: datetime, participants: list[dict],
                       turns: list[dict]) -> dict:
    return {"title": title, "started_at": _iso(started_at),
            "participants": [{"name": p["name"], "email": p.get("email")} for p in participants],
            "utterances": [{"speaker": t["speaker"], "start": round(t["start"], 2), "text": t["text"]}
                           for t in turns]}


def _gong_transcript(title: str, started_at: datetime, participants: list[dict],
                     turns: list[dict]) -> dict:
    call_id = str(int(stable_hex(title, _iso(started_at), length=15), 16))
    speaker_ids = {p["name"]: str(int(stable_hex(call_id, p["name"], length=15), 16)) for p in participants}
    monologues = [{"speakerId": speaker_ids[t["speaker"]], "topic": t.get("topic"),
                   "sentences": _gong_sentences(t)} for t in turns]
    parties = [{"speakerId": speaker_ids[p["name"]], "name": p["name"],
                "emailAddress": p.get("email"),
                "affiliation": p.get("affiliation", "Unknown")} for p in participants]
    return {"requestId": stable_hex(call_id, "request", length=20),
            "records": {"totalRecords": 1, "currentPageSize": 1, "currentPageNumber": 0},
            "callTranscripts": [{"callId": call_id, "transcript": monologues}],
            "parties": parties,
            "metaData": {"id": call_id, "title": title, "started": _iso(started_at),
                         "duration": int(turns[-1]["end"]) if turns else 0}}


def _gong_sentences(turn: dict) -> list[dict]:
    """Split a turn into sentences, sharing its time span by length, in ms."""
    parts = [s for s in _SENTENCE_END.split(turn["text"].strip()) if s]
    start_ms, end_ms = int(round(turn["start"] * 1000)), int(round(turn["end"] * 1000))
    total = sum(len(p) for p in parts) or 1
    sentences, cursor = [], start_ms
    for part in parts:
        stop = cursor + (end_ms - start_ms) * len(part) // total
        sentences.append({"start": cursor, "end": stop, "text": part})
        cursor = stop
    return sentences
