"""Slack workspace exports (.zip or folder): metadata, day files, markup -> `Message`.

The export is the vendor's workspace: a full member of its majority team whom
the directory does not know is vendor-side, and a vendor's message belongs to
its channel's account.  An unopenable zip or corrupt metadata is a
`FatalSourceError` raised before the first message.  Without `channels.json`
each folder of day files is a conversation named by its folder (no permalink);
without `channels.json` and `users.json` it is no export.  A bad day file or
message is a `Skip`; bot and system messages are counted in `noise` by subtype.

`SlackWorkspace` (who is who, and one message payload -> `Message`) is shared
with the live connector, `connectors/slack.py`, which builds it from Web API
payloads with `api_workspace`: both see the same message objects, so both
give the same `Message`, source id included, for the same message.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import ClassVar, Iterable, Iterator

from connectors.base import FatalSourceError, FileConnector, Message, register, to_utc
from connectors.directory import Directory, Side
from connectors.slack_text import SlackMarkup

_TOP = ("channels.json", "users.json")
_USERS = ("users.json", "org_users.json")
_CONVERSATIONS = ("channels.json", "groups.json", "mpims.json", "dms.json")
_DAY_FILE = re.compile(r"^([^/]+)/\d{4}-\d{2}-\d{2}\.json$")
# The subtypes of a person talking; all others (joins, topics, bots, tombstones, pins...) are noise.
_SPOKEN = frozenset({"", "thread_broadcast", "reply_broadcast", "file_share", "file_comment", "me_message"})
_HIDDEN = (".", "__MACOSX")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNREADABLE = (OSError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError)
MALFORMED = (AttributeError, TypeError, KeyError, ValueError, OverflowError)


@dataclass
class _Tree:
    """The export's files, by posix path relative to its root, in a folder or a zip."""
    files: dict[str, str]
    archive: zipfile.ZipFile | None = None

    def read(self, rel: str, limit: int = -1) -> bytes:
        with self.archive.open(self.files[rel]) if self.archive else open(self.files[rel], "rb") as handle:
            return handle.read(limit)


@contextmanager
def _opened(path: Path) -> Iterator[_Tree]:
    if path.is_dir():
        yield _Tree(_strip_root(_folder_files(path)))
        return
    try:
        archive = zipfile.ZipFile(path)
    except OSError as exc:
        raise FatalSourceError(f"slack export {path} cannot be opened ({exc.strerror or exc}): check it") from None
    except _UNREADABLE:
        why = f"slack export {path.name} is not a readable zip (truncated?)"
        raise FatalSourceError(f"{why}: re-download the export") from None
    with archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir() and not i.filename.startswith(_HIDDEN)]
        yield _Tree(_strip_root({n: n for n in names}), archive)


def _folder_files(root: Path) -> dict[str, str]:
    """The files at most two folders down, by posix path relative to `root`, as in a zip."""
    files: dict[str, str] = {}
    for folder, subfolders, names in os.walk(root):
        parts = Path(folder).relative_to(root).parts
        subfolders[:] = [] if len(parts) >= 2 else [d for d in subfolders if not d.startswith(_HIDDEN)]
        files.update({"/".join((*parts, n)): os.path.join(folder, n) for n in names if not n.startswith(_HIDDEN)})
    return files


def _strip_root(files: dict[str, str]) -> dict[str, str]:
    """Drop a single top-level folder that holds the whole export, as some zips have."""
    tops = {name.split("/", 1)[0] for name in files}
    prefix = f"{tops.pop()}/" if len(tops) == 1 else "\0"
    if any(prefix + name in files for name in _TOP):
        return {name[len(prefix):]: key for name, key in files.items()}
    return files


def _folder_holds_export(folder: Path) -> bool:
    """`channels.json` or `users.json` (a JSON list) at the top, or inside its only subfolder."""
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(_HIDDEN)]
        roots = [folder, *(entries if len(entries) == 1 and entries[0].is_dir() else ())]
        return any(_starts_list(root / name) for root in roots for name in _TOP)
    except OSError:
        return False


def _starts_list(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        return handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["


def _looks_truncated(path: Path) -> bool:
    """A zip whose end is missing but whose first entries name export metadata."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 20) if handle.read(4) == b"PK\x03\x04" else b""
    except OSError:
        return False
    return any(name.encode() in head for name in _TOP)


@dataclass(slots=True)
class _Person:
    user_id: str
    name: str
    email: str | None = None
    team: str | None = None
    bot: bool = False
    guest: bool = False
    listed: bool = True  # in users.json, not only seen in a message


@dataclass(frozen=True, slots=True)
class _Conversation:
    id: str
    name: str
    members: tuple[str, ...] = ()
    direct: bool = False   # a DM or group DM: the other members are recipients
    known: bool = True     # described by the metadata, so it has a permalink


def _load_list(tree: _Tree, rel: str, label: str) -> list[dict]:
    if rel not in tree.files:
        return []
    where = f"slack export {label}: {rel}"
    try:
        data = json.loads(tree.read(rel))
    except _UNREADABLE as exc:  # JSONDecodeError is a ValueError
        raise FatalSourceError(f"{where} is not readable JSON ({exc}): re-download the export") from None
    if not isinstance(data, list):
        raise FatalSourceError(f"{where} should be a JSON list, found {type(data).__name__}: re-download the export")
    return [item for item in data if isinstance(item, dict) and isinstance(item.get("id"), str)]


def _person(raw: dict) -> _Person:
    profile = raw.get("profile") if isinstance(raw.get("profile"), dict) else {}
    name = profile.get("real_name") or raw.get("real_name") or profile.get("display_name") or raw.get("name")
    return _Person(raw["id"], str(name or raw["id"]).strip(), profile.get("email") or None,
                   raw.get("team_id") or profile.get("team"), bool(raw.get("is_bot")) or raw["id"] == "USLACKBOT",
                   bool(raw.get("is_restricted") or raw.get("is_ultra_restricted")))


def _conversation(raw: dict, direct: bool) -> _Conversation:
    members = raw.get("members") if isinstance(raw.get("members"), list) else ()
    return _Conversation(raw["id"], str(raw.get("name") or raw["id"]),
                         tuple(m for m in members if isinstance(m, str)), direct)


def slack_time(ts: str) -> datetime:
    """A message ts ("1452837352.000006") as a UTC datetime, to the microsecond; ValueError if it is none."""
    seconds, _, fraction = ts.partition(".")
    return _EPOCH + timedelta(seconds=int(seconds), microseconds=int(fraction[:6].ljust(6, "0")))


@dataclass(frozen=True, slots=True)
class SlackChannel:
    conversation: _Conversation
    key: str                       # the name, or the id when accounts.csv maps the id
    participants: tuple[str, ...]  # members' emails, else names
    customer_emails: tuple[str, ...]
    hint_emails: tuple[str, ...]   # non-vendor members' emails, to explain a miss
    recipients: tuple[str, ...]    # DMs and group DMs only
    internal: bool = False         # every member is vendor-side: the vendor's own channel


@dataclass(frozen=True, slots=True)
class _Who:
    side: Side
    account_id: str | None
    hint: str | None
    participants: tuple[str, ...]


class SlackWorkspace:
    """Who and where, from the metadata and the directory, cached for one fetch."""

    def __init__(self, directory: Directory, people: list[_Person], conversations: list[_Conversation]) -> None:
        self.directory = directory
        self.people = {p.user_id: p for p in people}
        teams = Counter(p.team for p in people if p.team and not p.bot)
        self.team = teams.most_common(1)[0][0] if teams else None
        self.by_folder = {c.id: c for c in conversations} | {c.name: c for c in conversations}
        self.markup = SlackMarkup({p.user_id: p.name for p in people}, {c.id: c.name for c in conversations})
        self._sides: dict[tuple[str, str | None], Side] = {}
        self._who: dict[tuple[str, str], _Who] = {}

    def author(self, user_id: str, raw: dict) -> _Person:
        """The listed user, else one described by the message itself (Slack Connect)."""
        if (person := self.people.get(user_id)) is None:
            profile = raw.get("user_profile") if isinstance(raw.get("user_profile"), dict) else {}
            name = profile.get("real_name") or profile.get("display_name") or profile.get("name") or user_id
            person = self.people[user_id] = _Person(user_id, str(name), team=raw.get("user_team"), listed=False)
            self.markup.users.setdefault(user_id, person.name)
        return person

    def human(self, user_id: object) -> bool:
        """Posted by a person: a user id, not Slackbot's or a bot user's (a bare `bot_id` is a bot)."""
        if not isinstance(user_id, str) or user_id in ("", "USLACKBOT"):
            return False
        return not getattr(self.people.get(user_id), "bot", False)

    def side(self, person: _Person) -> Side:
        """The directory's word, else vendor for a full member of the workspace's own team."""
        key = (person.user_id, person.team)
        if (side := self._sides.get(key)) is None:
            side = self.directory.side_of(email=person.email, slack_user_id=person.user_id, name=person.name)
            if side == "unknown" and not (person.guest or person.bot):
                member = person.team == self.team if person.team and self.team else person.listed
                side = "vendor" if member else side
            self._sides[key] = side
        return side

    def channel(self, conversation: _Conversation) -> SlackChannel:
        members = [self.people.get(m) or _Person(m, m, listed=False) for m in conversation.members]
        sides = [self.side(m) for m in members]
        mapped = [k for k in (conversation.name, conversation.id) if self.directory.account_for_channel(k)]
        return SlackChannel(
            conversation, mapped[0] if mapped else conversation.name,
            tuple(dict.fromkeys(m.email or m.name for m in members)),
            tuple(m.email for m, s in zip(members, sides) if m.email and s == "customer"),
            tuple(m.email for m, s in zip(members, sides) if m.email and s != "vendor"),
            tuple(m.email for m in members if m.email) if conversation.direct else (),
            internal=bool(sides) and all(s == "vendor" for s in sides))

    def channel_for(self, conversation_id: str) -> SlackChannel:
        return self.channel(self.by_folder[conversation_id])

    def message(self, channel: SlackChannel, raw: dict, *, noise: Counter[str], permalink_base: str) -> Message | None:
        """A person's message, or None for a bot, system or empty one, counted in `noise` by subtype."""
        subtype = raw.get("subtype") or ""
        comment = raw["comment"] if subtype == "file_comment" and isinstance(raw.get("comment"), dict) else {}
        user_id = comment.get("user") or raw.get("user")
        kind = subtype if subtype not in _SPOKEN else "" if self.human(user_id) else "bot_message"
        if kind:
            noise[kind] += 1
            return None
        text = str(comment.get("comment") or raw.get("text") or "")
        text = self.markup.render(text).strip() if text.strip() else self.markup.render_attached(raw)
        if not text:
            noise["empty"] += 1
            return None
        person = self.author(user_id, raw)
        who, cid, thread_ts = self.who(channel, person), channel.conversation.id, raw.get("thread_ts")
        return Message(
            source="slack", source_id=f"{cid}:{raw['ts']}", ts=slack_time(raw["ts"]), author=person.name, text=text,
            author_email=person.email, author_side=who.side, account_id=who.account_id,
            thread_id=f"{cid}:{thread_ts}" if thread_ts else None, channel=channel.conversation.name,
            participants=who.participants, url=_permalink(permalink_base, channel.conversation, raw["ts"], thread_ts),
            unresolved_hint=who.hint)

    def who(self, channel: SlackChannel, person: _Person) -> _Who:
        """Side and account by interface.md's order; a vendor author defers to the channel."""
        if (who := self._who.get((channel.conversation.id, person.user_id))) is not None:
            return who
        side = self.side(person)
        author = {} if side == "vendor" else {
            "author_email": person.email, "author_slack_id": person.user_id, "author_name": person.name}
        account = self.directory.resolve(
            **author, recipient_emails=[e for e in channel.recipients if e != person.email],
            channel=channel.key, member_emails=channel.customer_emails)
        if side == "unknown" and account and person.team and self.team and person.team != self.team:
            side = "customer"  # another team's member in a customer's channel: Slack Connect
        hint = None if account else f"internal #{channel.conversation.name}" if channel.internal and side == "vendor" \
            else self.directory.unresolved_hint(emails=[person.email if side != "vendor" else None, *channel.hint_emails],
                                                channel=channel.conversation.name)
        handle = person.email or person.name
        participants = channel.participants if handle in channel.participants else (*channel.participants, handle)
        who = self._who[channel.conversation.id, person.user_id] = _Who(side, account, hint, participants)
        return who


def api_workspace(directory: Directory, users: Iterable[dict], conversations: Iterable[dict], *,
                  team: str | None = None) -> SlackWorkspace:
    """The workspace from Web API payloads: users.list members and conversation objects with `members`.

    `team` (auth.test's team_id) names the vendor's own team outright, where an
    export can only take the team most of its people belong to.
    """
    people = {raw["id"]: _person(raw) for raw in users if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
    found = [_conversation(raw, bool(raw.get("is_im") or raw.get("is_mpim"))) for raw in conversations
             if isinstance(raw, dict) and isinstance(raw.get("id"), str)]
    workspace = SlackWorkspace(directory, list(people.values()), found)
    workspace.team = team or workspace.team
    return workspace


def _permalink(base: str, conversation: _Conversation, ts: str, thread_ts: str | None) -> str | None:
    if not conversation.known:
        return None
    url = f"{base.rstrip('/')}/archives/{conversation.id}/p{ts.replace('.', '')}"
    return f"{url}?thread_ts={thread_ts}&cid={conversation.id}" if thread_ts and thread_ts != ts else url


@register
@dataclass
class SlackExportConnector(FileConnector):
    """Reads a Slack export; `noise` counts the bot and system messages left out, by subtype."""

    name: ClassVar[str] = "slack_export"
    permalink_base: str = "https://slack.com"
    noise: Counter[str] = field(default_factory=Counter)

    @classmethod
    def sniff(cls, path: Path) -> bool:
        path = Path(path)
        if path.is_dir():  # cheap: discovery asks this of every folder it walks
            return _folder_holds_export(path)
        try:
            with _opened(path) as tree:
                return any(rel in tree.files and tree.read(rel, 64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["
                           for rel in _TOP)
        except FatalSourceError:
            return _looks_truncated(Path(path))  # so that fetch can say "re-download the export"
        except _UNREADABLE:
            return False

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        self.skipped.clear()
        self.noise.clear()
        floor = to_utc(since) if since else None
        with _opened(self.path) as tree:
            workspace = self._workspace(tree)
            days: dict[str, list[str]] = {}
            for rel in sorted(tree.files):
                if match := _DAY_FILE.match(rel):
                    days.setdefault(match.group(1), []).append(rel)
            for folder in sorted(days):
                conversation = workspace.by_folder.get(folder) or _Conversation(folder, folder, known=False)
                yield from self._conversation(tree, workspace, workspace.channel(conversation), days[folder], floor)

    def _workspace(self, tree: _Tree) -> SlackWorkspace:
        label = self.path.name
        if not any(rel in tree.files for rel in _TOP):
            raise FatalSourceError(f"{label} has no channels.json or users.json at its top level: "
                         "point ingest at a Slack export (.zip or unpacked folder)")
        users = [raw for rel in reversed(_USERS) for raw in _load_list(tree, rel, label)]
        people = {raw["id"]: _person(raw) for raw in users}  # users.json over org_users.json
        conversations = [_conversation(raw, rel in ("mpims.json", "dms.json"))
                         for rel in _CONVERSATIONS for raw in _load_list(tree, rel, label)]
        return SlackWorkspace(self.directory, list(people.values()), conversations)

    def _conversation(self, tree: _Tree, workspace: SlackWorkspace, channel: SlackChannel, days: list[str],
                      floor: datetime | None) -> Iterator[Message]:
        for rel in days:
            for ts, raw, where in self._day(tree, rel):
                if floor and ts < floor:
                    continue
                try:
                    message = workspace.message(channel, raw, noise=self.noise, permalink_base=self.permalink_base)
                except MALFORMED as exc:
                    self.skip(where, f"malformed message ({type(exc).__name__}: {exc})")
                    continue
                if message is not None:
                    yield message

    def _day(self, tree: _Tree, rel: str) -> list[tuple[datetime, dict, str]]:
        """One day file's messages with their UTC time, in time order; faults are skipped."""
        where = f"{self.path.name}:{rel}"
        try:
            data = json.loads(tree.read(rel))
        except _UNREADABLE as exc:  # JSONDecodeError is a ValueError
            self.skip(where, f"unreadable day file ({exc})")
            return []
        if not isinstance(data, list):
            self.skip(where, f"day file should be a JSON list, found {type(data).__name__}")
            return []
        out = []
        for index, raw in enumerate(data):
            ts = raw.get("ts") if isinstance(raw, dict) else None
            try:
                when = slack_time(ts)
            except (AttributeError, ValueError, OverflowError):
                self.skip(f"{where}[{index}]", f"not a message with a ts: {str(raw)[:60]}")
                continue
            out.append((when, raw, f"{where}[{index}]"))
        out.sort(key=lambda item: item[0])
        return out
