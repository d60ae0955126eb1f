"""Call transcripts (files and folders of them) as messages, one per speaker turn.

Calls are analysed per turn, so consecutive cues by one speaker merge into
one `Message`.  Each call is a thread keyed by something that survives the
folder being moved or re-mounted: the Gong call id, else the first 12 hex of
the SHA-1 of the file's bytes.  interface.md fixes where a call's date comes
from (its metadata, else a `YYYY-MM-DD` in the file name) and its account
(participants' email domains, else an `account_id` folder, else the account
name in its title).  Parsing the formats lives in `transcript_formats`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import ClassVar, Iterator

from connectors.base import FatalSourceError, FileConnector, Message, files_under, register, to_utc
from connectors.directory import Directory, Side
from connectors.transcript_formats import (
    Call, Cue, TranscriptFormatError, detect_json_shape, looks_like_plain, looks_like_srt,
    parse_json, parse_plain, parse_srt, parse_vtt,
)

SUFFIXES = frozenset({".vtt", ".srt", ".txt", ".json"})
NO_DATE = "no call date: put YYYY-MM-DD in the file name or a started_at"
NOT_A_TRANSCRIPT = "not a call transcript: expected WebVTT, SubRip, 'Speaker: text' lines or transcript JSON"
GONG_UNITS = {"ms": 1, "s": 1000}
_SNIFF_BYTES = 1 << 20
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


@register
@dataclass
class TranscriptConnector(FileConnector):
    """WebVTT, SubRip, plain-text and JSON call transcripts under `path`."""

    name: ClassVar[str] = "transcripts"
    gong_time_unit: str = "ms"

    def __post_init__(self) -> None:
        if self.gong_time_unit not in GONG_UNITS:
            raise ValueError(f"gong_time_unit must be one of {sorted(GONG_UNITS)}, got {self.gong_time_unit!r}")

    @classmethod
    def sniff(cls, path: Path) -> bool:
        """A transcript file, or a folder holding one anywhere below it.  Never raises."""
        try:
            if path.is_dir():
                return any(_sniff_file(p) for p in files_under(path))
            return path.is_file() and _sniff_file(path)
        except OSError:
            return False

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        self.skipped.clear()
        if not self.path.exists():
            raise FatalSourceError(f"No such transcript file or folder: {self.path}")
        since = to_utc(since) if since else None
        files = [self.path] if self.path.is_file() else list(files_under(self.path))
        for file in files:
            for message in self._file_messages(file):
                if since is None or message.ts >= since:
                    yield message

    # -- one file -------------------------------------------------------------
    def _file_messages(self, file: Path) -> Iterator[Message]:
        if file != self.path and file.suffix.lower() not in SUFFIXES and not self.sniff(file):
            return  # a recording or a spreadsheet beside the transcripts: not ours, not a fault
        try:
            data = file.read_bytes()
            calls = self._calls_in(file, data)
        except OSError as error:
            self.skip(file, f"cannot read: {error.strerror or error}")
            return
        except (TranscriptFormatError, TypeError, ValueError, KeyError, AttributeError, OverflowError) as error:
            self.skip(file, str(error) if isinstance(error, TranscriptFormatError) else f"unreadable: {error!r}")
            return
        digest = hashlib.sha1(data).hexdigest()[:12]
        for index, call in enumerate(calls):
            key = call.call_id or (digest if len(calls) == 1 else f"{digest}-{index}")
            where = file if len(calls) == 1 else f"{file} call {key}"
            yield from self._call_messages(file, call, key=key, where=where)

    def _calls_in(self, file: Path, data: bytes) -> list[Call]:
        """The calls a file holds; [] with a recorded skip for a file that is not one of ours."""
        text = decode_text(data)
        suffix = file.suffix.lower()
        if not text.strip():
            if suffix in SUFFIXES or file == self.path:
                self.skip(file, "empty file")
            return []
        calls = read_calls(text, suffix=suffix, gong_ms=GONG_UNITS[self.gong_time_unit])
        if calls is None and (suffix in SUFFIXES or file == self.path):
            self.skip(file, NOT_A_TRANSCRIPT)
        return calls or []

    def _call_messages(self, file: Path, call: Call, *, key: str, where: str | Path) -> Iterator[Message]:
        started = call.started or find_date_in_name(file.name)
        if started is None:
            self.skip(where, NO_DATE)
            return
        turns = merge_turns(call.cues)
        if not turns:
            self.skip(where, "no speech in the transcript")
            return
        title = call.title or file.stem
        emails = match_emails(call, turns, self.directory)
        account_id, hint = self._account(file, call, title, emails)
        participants = list_participants(call, turns, emails)
        start = to_utc(started)
        sides: dict[tuple[str, str | None], Side] = {}
        for index, turn in enumerate(turns):
            email = turn.email or emails.get(turn.speaker.casefold())
            if (turn.speaker, email) not in sides:
                sides[turn.speaker, email] = (stated_side(call, turn.speaker, email)
                                              or self.directory.side_of(email=email, name=turn.speaker))
            yield Message(
                source="call", source_id=f"{key}:{index}", ts=start + timedelta(milliseconds=turn.start_ms),
                author=turn.speaker, text=turn.text, author_email=email, author_side=sides[turn.speaker, email],
                account_id=account_id, thread_id=key, channel=title, participants=participants,
                unresolved_hint=hint)

    # -- account ----------------------------------------------------------------
    def _account(self, file: Path, call: Call, title: str,
                 emails: dict[str, str]) -> tuple[str | None, str | None]:
        """(account_id, None), or (None, why nothing matched)."""
        addresses = collect_emails(call, emails)
        votes = Counter(a for a in map(self.directory.account_for_email, addresses) if a)
        if votes:
            return votes.most_common(1)[0][0], None
        for folder in self._folders_above(file):
            if folder in self.directory.account_ids:
                return folder, None
        for text in (title, re.sub(r"[-_]+", " ", file.stem)):
            if found := self.directory.account_for_name(text):
                return found, None
        customer = [e for e in addresses if self.directory.side_of(email=e) != "vendor"]
        return None, self.directory.unresolved_hint(emails=customer, fallback=f"call '{title}'")

    def _folders_above(self, file: Path) -> list[str]:
        """Folder names from the file's up to the ingest root (itself included), nearest first."""
        base = self.root or (self.path if self.path.is_dir() else self.path.parent)
        try:
            inside = file.parent.relative_to(base).parts
        except ValueError:  # a root that does not hold the file: only its own folder counts
            inside = (file.parent.name,)
        return [*reversed(inside), base.resolve().name]


def read_calls(text: str, *, suffix: str, gong_ms: int) -> list[Call] | None:
    """The calls in a transcript's text, judged by content; None when it is no transcript.

    Raises TranscriptFormatError for a file that is a transcript but broken.
    """
    if text.startswith("WEBVTT"):
        return [parse_vtt(text)]
    if suffix == ".vtt":
        raise TranscriptFormatError("missing WEBVTT header")
    if suffix == ".srt" or looks_like_srt(text):
        return [parse_srt(text)]
    if suffix == ".json" or text.lstrip().startswith("{"):
        return parse_json(text, gong_ms=gong_ms, strict=suffix == ".json")
    if suffix == ".txt":
        return [parse_plain(text)]
    return None


def merge_turns(cues: list[Cue]) -> list[Cue]:
    """Consecutive cues by one speaker as one turn, starting at its first cue."""
    turns: list[Cue] = []
    for cue in cues:
        if not cue.text:
            continue
        last = turns[-1] if turns else None
        if last and last.speaker.casefold() == cue.speaker.casefold():
            last.text = f"{last.text} {cue.text}"
            last.email = last.email or cue.email
        else:
            turns.append(Cue(cue.speaker, cue.start_ms or 0, cue.text, cue.email))
    return turns


def stated_side(call: Call, name: str, email: str | None) -> Side | None:
    """The side the transcript itself gives a speaker (Gong's affiliation), matched by email, else by name."""
    for person in call.people:
        same = (email and (person.email or "").lower() == email.lower()
                or (person.name or "").casefold() == name.casefold())
        if same and person.side:
            return person.side  # type: ignore[return-value]  (always "vendor" or "customer")
    return None


def match_emails(call: Call, turns: list[Cue], directory: Directory) -> dict[str, str]:
    """Speaker name (casefolded) -> email, from the call's participants.

    Named participants match by name; a bare address matches the one speaker
    whose name fits it (a contact of that name, or `dana.kim@` for Dana Kim).
    """
    found = {p.name.casefold(): p.email for p in call.people if p.name and p.email}
    found.update({t.speaker.casefold(): t.email for t in turns if t.email})
    bare = [p.email for p in call.people if p.email and not p.name and p.email not in found.values()]
    for speaker in {t.speaker for t in turns if t.speaker.casefold() not in found}:
        fits = [e for e in bare if _is_address_of(e, speaker, directory)]
        if len(fits) == 1:
            found[speaker.casefold()] = fits[0]
        elif not fits and (known := directory.email_for(speaker)) is not None:
            found[speaker.casefold()] = known  # a contact, or someone who has written before
    return found


def _is_address_of(email: str, name: str, directory: Directory) -> bool:
    contact = directory.contact(email=email)
    if contact is not None:
        return contact.name.casefold() == name.casefold()
    local = re.sub(r"\W|_", "", email.split("@")[0].casefold())
    tokens = [re.sub(r"\W|_", "", t) for t in name.casefold().split()]
    tokens = [t for t in tokens if t]
    return bool(tokens) and local in {"".join(tokens), tokens[0], tokens[0][0] + tokens[-1]}


def collect_emails(call: Call, emails: dict[str, str]) -> list[str]:
    """Every address known on the call, in order of appearance, once."""
    ordered = [p.email for p in call.people if p.email] + list(emails.values())
    return list(dict.fromkeys(e.strip().lower() for e in ordered))


def list_participants(call: Call, turns: list[Cue], emails: dict[str, str]) -> tuple[str, ...]:
    """Each person on the call once: their email where known, else their name."""
    people = [p.email or (emails.get(p.name.casefold()) if p.name else None) or p.name for p in call.people]
    people += [emails.get(t.speaker.casefold()) or t.speaker for t in turns]
    return tuple(dict.fromkeys(p.strip() for p in people if p))


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 or UTF-16 by BOM, else cp1252 for old caption files."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    return text.lstrip("\ufeff")


def find_date_in_name(name: str) -> datetime | None:
    """Midnight UTC of the first valid `YYYY-MM-DD` in a file name."""
    for match in _NAME_DATE.finditer(name):
        try:
            return datetime.combine(date(*map(int, match.groups())), time(), tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def _sniff_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".vtt", ".srt"):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES + 1)
    except OSError:
        return False
    text = decode_text(head)
    if text.startswith("WEBVTT") or looks_like_srt(text):
        return True
    if text.lstrip().startswith("{"):
        return _sniff_json(text, complete=len(head) <= _SNIFF_BYTES)
    return suffix == ".txt" and looks_like_plain(text)


def _sniff_json(text: str, *, complete: bool) -> bool:
    if not complete:
        return any(f'"{key}"' in text for key in ("callTranscripts", "utterances", "sentences"))
    try:
        return detect_json_shape(json.loads(text)) is not None
    except (ValueError, RecursionError):
        return False
