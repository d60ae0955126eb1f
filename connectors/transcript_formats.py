"""Call transcript file formats, parsed into one neutral shape: a `Call` of `Cue`s.

WebVTT (Teams `<v Speaker>` voice spans, Zoom `Speaker: text` cues), SubRip,
plain `Speaker: text` / Otter text and JSON (simple `utterances`, Gong
`callTranscripts`, flat `speakers` + `sentences`).  Written on the stdlib
because caption libraries truncate seconds and reject Teams' unpadded
timestamps; offsets are kept as integer milliseconds.

Turning calls into messages (dates, accounts, sides, ids) belongs to
`connectors.transcripts`; this module knows files, not the portfolio.
A file this module cannot read raises `TranscriptFormatError` with a
one-line reason.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Iterator

UNKNOWN_SPEAKER = "Unknown speaker"
_MAX_OFFSET_MS = 7 * 24 * 3600 * 1000  # a week: beyond it the unit is wrong, not the call long
_PARTICLES = frozenset({"van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "bin", "al"})
_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?")
_TIMING = re.compile(r"^\s*([\d:.,]+)\s*-->\s*([\d:.,]+)(?=\s|$)")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_SPEAKER = re.compile(r"^([^:]{1,60}):(?:\s+(.*))?$")
_OTTER = re.compile(r"^(.{1,60}?)\s+(\d{1,2}:\d{2}(?::\d{2})?)$")
_CLOCK_TEXT = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_LEADING_CLOCK = re.compile(rf"^(?:\[({_CLOCK_TEXT})\]\s*|({_CLOCK_TEXT})\s+)(.*)$")
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?"
                  r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?(?!\d)", re.IGNORECASE)


class TranscriptFormatError(ValueError):
    """A transcript file cannot be read; the message is one line saying why."""


@dataclass(slots=True)
class Cue:
    speaker: str | None
    start_ms: int | None
    text: str
    email: str | None = None


@dataclass(slots=True)
class Person:
    name: str | None
    email: str | None
    side: str | None = None  # "vendor" or "customer" where the transcript says so (Gong's affiliation)


_AFFILIATIONS = {"internal": "vendor", "external": "customer"}


@dataclass(slots=True)
class Call:
    cues: list[Cue]
    title: str | None = None
    started: datetime | None = None
    call_id: str | None = None
    people: list[Person] = field(default_factory=list)


# -- shared pieces --------------------------------------------------------------
def parse_clock(value: str) -> int | None:
    """`H:M:S.mmm` with any padding, or `M:S.mmm`, to milliseconds."""
    match = _CLOCK.fullmatch(value.strip())
    if not match:
        return None
    hours, minutes, seconds, fraction = match.groups()
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes)) * 60 + int(seconds)) * 1000 + millis


def find_datetime(text: str) -> datetime | None:
    """The first ISO-looking date (and time, and zone) in free text."""
    match = _ISO.search(text)
    if not match:
        return None
    day, clock, zone = match.groups()
    zone = (zone or "").upper()
    zone = "+00:00" if zone in ("Z", "UTC", "GMT") else zone
    iso = f"{day}T{clock.zfill(5) if clock else '00:00'}{zone}"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


@lru_cache(maxsize=4096)  # a call repeats a handful of names thousands of times
def read_speaker_name(candidate: str) -> str | None:
    """`candidate` if it reads as a person's name: 1-5 words, capitalised past the first."""
    tokens = candidate.split()
    if not 1 <= len(tokens) <= 5 or not tokens[0][0].isalpha():
        return None
    if len(tokens) > 1 and any(t[0].islower() and t not in _PARTICLES for t in tokens):
        return None
    return " ".join(tokens)


def split_speaker(line: str) -> tuple[str | None, str]:
    """`Dana Kim: text` -> ("Dana Kim", "text"); anything else -> (None, line)."""
    match = _SPEAKER.match(line)
    name = read_speaker_name(match.group(1)) if match else None
    return (name, match.group(2) or "") if name else (None, line)


def clean_text(raw: str) -> str:
    """Cue markup (`<c.x>`, `<00:17.500>`, `<b>`, `{\\an8}`) and entities out; whitespace collapsed."""
    return " ".join(html.unescape(_TAG.sub("", raw)).split())


def squash(raw: str) -> str:
    """Whitespace collapsed; for formats without markup, where `<` is just a character."""
    return " ".join(raw.split())


def fill_cues(cues: list[Cue]) -> list[Cue]:
    """A cue without a speaker continues the previous one; a missing start repeats the last."""
    speaker, start = UNKNOWN_SPEAKER, 0
    for cue in cues:
        speaker = cue.speaker = cue.speaker or speaker
        start = cue.start_ms = start if cue.start_ms is None else cue.start_ms
    return cues


def _split_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks as (first line number, lines)."""
    block: list[str] = []
    start = 0
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        if line.strip():
            start = start if block else number
            block.append(line.rstrip())
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _read_cue_start(line: str, number: int, kind: str) -> int:
    match = _TIMING.match(line)
    start = parse_clock(match.group(1)) if match else None
    if start is None or parse_clock(match.group(2)) is None:
        raise TranscriptFormatError(f"bad {kind} timing line {number}: {line.strip()[:60]!r}")
    return start


# -- WebVTT ----------------------------------------------------------------------
def parse_vtt(text: str) -> Call:
    blocks = list(_split_blocks(text))
    if not blocks or not blocks[0][1][0].startswith("WEBVTT"):
        raise TranscriptFormatError("missing WEBVTT header")
    call = Call(cues=[])
    first_number, header = blocks[0]
    arrow = next((i for i, line in enumerate(header) if "-->" in line), None)  # no blank line after the header
    body = blocks[1:] if arrow is None else [(first_number + arrow, header[arrow:]), *blocks[1:]]
    for number, lines in body:
        keyword = lines[0].split(maxsplit=1)[0]
        if keyword == "NOTE":
            _read_note(call, [lines[0][4:], *lines[1:]])
        elif keyword not in ("STYLE", "REGION") and any("-->" in line for line in lines[:2]):
            call.cues.extend(_read_vtt_cues(number, lines))
    fill_cues(call.cues)
    return call


def _read_vtt_cues(number: int, lines: list[str]) -> list[Cue]:
    at = 0 if "-->" in lines[0] else 1
    start = _read_cue_start(lines[at], number + at, "WebVTT")
    pieces = _VOICE.split("\n".join(lines[at + 1:]))
    cues = []
    if lead := clean_text(pieces[0]):
        name, said = split_speaker(lead)
        cues.append(Cue(name, start, said))
    for voice, said in zip(pieces[1::2], pieces[2::2]):
        cues.append(Cue(" ".join((voice or "").split()) or None, start, clean_text(said)))
    return cues


def _read_note(call: Call, lines: list[str]) -> None:
    """`NOTE started_at: ...`, `NOTE title: ...`, `NOTE participants: a@x.com, Name <b@y.com>`."""
    for line in lines:
        key, _, value = line.strip().partition(":")
        key = key.strip().lower()
        if key == "title" and value.strip():
            call.title = value.strip()
        elif key == "participants":
            call.people.extend(_read_person(p) for p in value.split(",") if p.strip())
        elif call.started is None and (found := find_datetime(line)):
            call.started = found


def _read_person(entry: str | dict) -> Person:
    if isinstance(entry, dict):
        email = entry.get("email") or entry.get("emailAddress")
        return Person(_text_of(entry.get("name")) or None, _text_of(email) or None,
                      _AFFILIATIONS.get(_text_of(entry.get("affiliation")).lower()))
    match = re.match(r"^\s*(.*?)\s*<([^>]+@[^>]+)>\s*$", entry)
    if match:
        return Person(match.group(1) or None, match.group(2))
    entry = entry.strip()
    return Person(None, entry) if "@" in entry else Person(entry, None)


# -- SubRip ----------------------------------------------------------------------
def looks_like_srt(text: str) -> bool:
    first = next(_split_blocks(text[:2000]), (0, []))[1]
    return len(first) >= 2 and first[0].strip().isdigit() and _TIMING.match(first[1]) is not None


def parse_srt(text: str) -> Call:
    cues: list[Cue] = []
    for number, lines in _split_blocks(text):
        at = 1 if lines[0].strip().isdigit() else 0
        if at == 0 and "-->" not in lines[0] and cues:
            cues[-1].text += " " + clean_text(" ".join(lines))  # text split by a stray blank line
            continue
        if at >= len(lines):
            raise TranscriptFormatError(f"bad SubRip timing line {number + 1}: missing")
        start = _read_cue_start(lines[at], number + at, "SubRip")
        name, said = split_speaker(clean_text(" ".join(lines[at + 1:])))
        cues.append(Cue(name, start, said))
    return Call(cues=fill_cues(cues))


# -- plain text ------------------------------------------------------------------
def _read_text_line(line: str) -> tuple[str | None, int | None, str]:
    """(speaker or None, offset or None, text) of one `[00:01:02] Speaker: text` line."""
    otter = _OTTER.match(line)
    if otter and (name := read_speaker_name(otter.group(1))):
        return name, parse_clock(otter.group(2)), ""
    clock = _LEADING_CLOCK.match(line)
    offset, line = (parse_clock(clock.group(1) or clock.group(2)), clock.group(3)) if clock else (None, line)
    name, said = split_speaker(line)
    return name, offset, said


def looks_like_plain(text: str) -> bool:
    """Non-empty lines mostly `Speaker: text` (or Otter `Speaker  0:03` headings)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:400]
    speakers = sum(1 for line in lines if _read_text_line(line)[0])
    return speakers >= 2 and speakers >= 0.4 * len(lines)


def parse_plain(text: str) -> Call:
    if not looks_like_plain(text):
        raise TranscriptFormatError("not a transcript: most lines are not 'Speaker: text'")
    cues: list[Cue] = []
    offset = 0
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        name, at, said = _read_text_line(line)
        offset = offset if at is None else at
        if name:
            cues.append(Cue(name, offset, said))
        elif cues:  # a continuation line; lines before the first speaker are a preamble
            cues[-1].text = f"{cues[-1].text} {said}"
    return Call(cues=[Cue(c.speaker, c.start_ms, squash(c.text)) for c in cues])


# -- JSON ------------------------------------------------------------------------
def detect_json_shape(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("callTranscripts"), list):
        return "gong"
    if isinstance(data.get("utterances"), list):
        return "simple"
    if isinstance(data.get("sentences"), list) and isinstance(data.get("speakers"), list):
        return "flat"
    return None


def parse_json(text: str, *, gong_ms: int, strict: bool = True) -> list[Call] | None:
    """Calls in a JSON transcript; `gong_ms` is milliseconds per Gong time unit.

    Not strict (a file not named .json): anything but a known shape is None.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        if not strict:
            return None
        raise TranscriptFormatError(f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    shape = detect_json_shape(data)
    if shape is None:
        if not strict:
            return None
        raise TranscriptFormatError(
            "unknown JSON shape: expected 'utterances', 'callTranscripts' or 'speakers' with 'sentences'")
    if shape == "gong":
        return read_gong_calls(data, gong_ms)
    return [_read_simple_call(data) if shape == "simple" else _read_flat_call(data, gong_ms)]


def _read_simple_call(data: dict) -> Call:
    cues = [_read_utterance(u) for u in data["utterances"] if isinstance(u, dict)]
    people = [_read_person(p) for p in data.get("participants") or [] if isinstance(p, (str, dict))]
    return Call(cues=fill_cues(cues), title=_text_of(data.get("title")) or None, started=_read_started(data),
                people=people)


def _read_utterance(utterance: dict) -> Cue:
    """`{"speaker", "start" (seconds), "text"}`, with an optional `speaker_email`."""
    email = _text_of(utterance.get("speaker_email") or utterance.get("email")) or None
    return Cue(_text_of(utterance.get("speaker")) or None, _to_millis(utterance.get("start"), 1000),
               squash(_text_of(utterance.get("text"))), email)


def _read_flat_call(data: dict, unit_ms: int) -> Call:
    speakers = {str(s.get("id")): s for s in data["speakers"] if isinstance(s, dict)}
    cues = []
    for sentence in (s for s in data["sentences"] if isinstance(s, dict)):
        sid = sentence.get("speaker_id", sentence.get("speakerId"))
        who = speakers.get(str(sid), {})
        name = sentence.get("speaker_name") or who.get("name") or (None if sid is None else f"Speaker {sid}")
        start = (_to_millis(sentence["start"], unit_ms) if "start" in sentence
                 else _to_millis(sentence.get("start_time"), 1000))
        cues.append(Cue(_text_of(name) or None, start, squash(_text_of(sentence.get("text"))),
                        _text_of(who.get("email")) or None))
    meta = data.get("metaData") or {}
    return Call(cues=fill_cues(cues), title=_text_of(data.get("title") or meta.get("title")) or None,
                started=_read_started(data) or _read_started(meta),
                call_id=_text_of(data.get("callId") or meta.get("id")) or None,
                people=[_read_person(s) for s in speakers.values()])


def read_gong_calls(data: dict, unit_ms: int) -> list[Call]:
    """The calls of a Gong `callTranscripts` payload, parsed (a file) or as the live API returns it.

    `calls` (from /v2/calls/extensive) supplies titles, starts and parties;
    `unit_ms` is milliseconds per Gong time unit.
    """
    transcripts = [t for t in data["callTranscripts"] if isinstance(t, dict)]
    extensive = {_text_of((c.get("metaData") or {}).get("id")): c
                 for c in data.get("calls") or [] if isinstance(c, dict)}
    calls = []
    for item in transcripts:
        call_id = _text_of(item.get("callId")) or None
        extra = (call_id and extensive.get(call_id)) or (data if len(transcripts) == 1 else {})
        meta = item.get("metaData") or extra.get("metaData") or {}
        parties = [p for p in item.get("parties") or extra.get("parties") or [] if isinstance(p, dict)]
        cues = _read_gong_cues(item.get("transcript") or [], parties, unit_ms)
        calls.append(Call(cues=fill_cues(cues), title=_text_of(meta.get("title")) or None,
                          started=_read_started(meta), call_id=call_id, people=[_read_person(p) for p in parties]))
    return calls


def _read_gong_cues(monologues: list, parties: list[dict], unit_ms: int) -> list[Cue]:
    by_id = {str(p.get("speakerId")): p for p in parties if p.get("speakerId") is not None}
    cues = []
    for monologue in (m for m in monologues if isinstance(m, dict)):
        sid = monologue.get("speakerId")
        party = by_id.get(str(sid), {})
        name = _text_of(party.get("name") or party.get("emailAddress"))
        name = name or (None if sid is None else f"Speaker {sid}")
        email = _text_of(party.get("emailAddress")) or None
        for sentence in (s for s in monologue.get("sentences") or [] if isinstance(s, dict)):
            start = _to_millis(sentence.get("start"), unit_ms)
            cues.append(Cue(name, start, squash(_text_of(sentence.get("text"))), email))
    return cues


def _text_of(value: object) -> str:
    return "" if value is None else str(value).strip()


def _to_millis(value: object, unit_ms: int) -> int | None:
    """An offset in `unit_ms` milliseconds per unit (or an `H:M:S` string) to milliseconds."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and ":" in value:
        if (clock := parse_clock(value)) is None:
            raise TranscriptFormatError(f"unreadable start time {value!r}")
        return clock
    try:
        millis = float(value) * unit_ms
    except (TypeError, ValueError):
        millis = -1.0
    if not 0 <= millis < _MAX_OFFSET_MS:  # NaN fails this too
        raise TranscriptFormatError(f"unreadable start time {value!r}")
    return round(millis)


def _read_started(data: dict) -> datetime | None:
    """`started_at` / `started` as ISO 8601 text or epoch seconds (or ms)."""
    value = data.get("started_at", data.get("started", data.get("startTime")))
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, tz=timezone.utc)
    try:
        return datetime.fromisoformat(str(value).strip().replace(" UTC", "Z"))
    except ValueError:
        raise TranscriptFormatError(
            f"unreadable started_at {str(value)[:40]!r}: use ISO 8601 like 2025-03-04T15:00:00Z") from None
