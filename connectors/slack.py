"""The live Slack source: the Web API, read incrementally, -> `Message`.

It reads the channels it is given (ids or names), or else the ones worth
reading: Slack Connect channels shared with another organisation, and any
channel accounts.csv maps to an account.  Payloads become `Message`s through
the export connector's `SlackWorkspace`, so a message read live and the same
message in an export are one `Message` with one source id: an export and
then a live sync never store a message twice.

Incremental sync.  `cursor` is a JSON string holding, per channel, the newest
top-level ts read and the threads still watched (parent ts -> newest reply
read).  It covers exactly the messages handed out so far, so the caller
stores it only after committing them.  conversations.history lists parents
and broadcasts only, and a new reply does not bring its parent back; so
each sync re-reads the last `thread_lookback_days` of history (usually one
page), fetches replies only for parents whose `latest_reply` moved, and
re-reads watched threads whose parent is older than that window.  A reply to
a thread quiet for longer than the lookback is missed.

People.  users.list is paged at Tier 2 (about 20 calls a minute): a big
workspace costs minutes of it.  A `SlackUsers` kept by the caller between
syncs (`groundswell serve` keeps one) holds the list for `refresh`; within
that, a channel member it does not hold (someone who joined since) is looked
up alone with users.info, as Slack Connect members always are, so nobody
new is read without their team and email, and no vendor employee's words
pass for the customer's.  Channel members are read every sync.

Limits.  Apps outside the Marketplace get one history or replies call a
minute (docs.slack.dev, rate limits, 2025-05-29): `pace_seconds` spaces those
calls, and `web_client` waits out each HTTP 429 for its Retry-After.
Errors: a refused token is a `FatalSourceError`; a channel the app cannot
read is a `Skip` and the other channels go on; rate limits past the retries,
server errors and a dropped network are a `RetriableSourceError`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, ClassVar, Collection, Iterable, Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from connectors.base import (FatalSourceError, Message, RetriableSourceError, Skip, SkipLog, SourceError,
                             retry_after_header, to_utc)
from connectors.directory import Directory
from connectors.slack_export import MALFORMED, SlackChannel, SlackWorkspace, api_workspace, slack_time

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PACED = frozenset({"conversations.history", "conversations.replies"})
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
_SERVER = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})
# Faults confined to one channel, thread or user: reported, and the rest is read.
_LOCAL = {
    "not_in_channel": "the app is not a member: invite it with /invite @<app> in the channel",
    "channel_not_found": "not found, or private without the app in it: check the name and invite the app",
    "is_archived": "archived",
    "thread_not_found": "thread deleted",
    "user_not_found": "user not found",
}


def web_client(token: str, base_url: str, *, max_retries: int = 3) -> WebClient:
    """A WebClient that waits out HTTP 429s for their Retry-After and retries dropped connections."""
    handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler(max_retry_count=max_retries)]
    return WebClient(token=token, base_url=base_url.rstrip("/") + "/", retry_handlers=handlers)


def slack_ts(when: datetime) -> str:
    """A datetime as Slack's ts string, exactly (no float rounding)."""
    delta = to_utc(when) - _EPOCH
    return f"{delta.days * 86400 + delta.seconds}.{delta.microseconds:06d}"


class _Unreadable(SourceError):
    """One channel, thread or user cannot be read; the rest can."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class SlackUsers:
    """The workspace's users.list, kept between syncs and read again once `refresh` has passed."""

    refresh: timedelta = timedelta(hours=6)
    users: dict[str, dict] = field(default_factory=dict)  # id -> users.list / users.info object
    read_at: datetime | None = None

    def fresh(self, now: datetime) -> bool:
        return self.read_at is not None and now - self.read_at < self.refresh


class SlackConnector(SkipLog):
    """Reads channels through the Web API; `skipped` lists what it could not read, `noise` the bot/system messages."""

    name: ClassVar[str] = "slack"

    def __init__(self, *, client: WebClient, directory: Directory, channels: Iterable[str] = (),
                 cursor: str | None = None, page_size: int = 200, pace_seconds: float = 0.0,
                 thread_lookback_days: int = 14, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 users: SlackUsers | None = None) -> None:
        self.client, self.directory, self.channels = client, directory, list(channels)
        self.page_size, self.pace_seconds, self.thread_lookback_days = page_size, pace_seconds, thread_lookback_days
        self.sleep, self.clock = sleep, clock
        self.users = users if users is not None else SlackUsers()
        self.skipped: list[Skip] = []
        self.noise: Counter[str] = Counter()
        self._saved, self._state = cursor, None
        self._window: str | None = None
        self._paced = False

    @property
    def cursor(self) -> str | None:
        """The sync state covering every message handed out so far, as JSON (see the module docstring)."""
        if self._state is None:
            return self._saved
        channels = {cid: {"latest": seen["latest"], "threads": {p: last for p, last in seen["threads"].items()
                                                               if self._watched(p, last)}}
                    for cid, seen in self._state.items()}
        return json.dumps({"version": 1, "channels": channels}, sort_keys=True)

    def fetch(self, *, since: datetime | None = None) -> Iterator[Message]:
        self.skipped.clear()
        self.noise.clear()
        self._paced = False
        if self._state is None:
            self._state = self._load(self._saved)
        floor = to_utc(since) if since else None
        self._window = slack_ts(self.clock() - timedelta(days=self.thread_lookback_days))
        auth = self._call("auth.test")
        listed = list(self._pages("conversations.list", "channels", types="public_channel,private_channel",
                                  exclude_archived=True))
        targets = self._with_members(self._targets(listed))
        users = self._users(targets)
        conversations = {c["id"]: c for c in listed} | {c["id"]: c for c in targets}
        workspace = api_workspace(self.directory, users, conversations.values(), team=auth.get("team_id"))
        base = str(auth.get("url") or "https://slack.com/")
        for conversation in sorted(targets, key=lambda c: (str(c.get("name") or c["id"]), c["id"])):
            try:
                yield from self._channel(workspace, conversation, base=base, floor=floor)
            except _Unreadable as exc:
                self._skip_channel(conversation, exc.code)

    # -- which channels -------------------------------------------------------
    def _targets(self, listed: list[dict]) -> list[dict]:
        """The configured channels, else the shared ones and those accounts.csv maps."""
        if not self.channels:
            return [c for c in listed if c.get("is_ext_shared") or c.get("is_shared")
                    or any(self.directory.account_for_channel(k) for k in (c.get("name"), c["id"]))]
        by_key = {c["id"]: c for c in listed} | {str(c.get("name") or "").lower(): c for c in listed}
        found: dict[str, dict] = {}
        for wanted in self.channels:
            key = wanted.strip().lstrip("#")
            channel = by_key.get(key) or by_key.get(key.lower()) or self._info(key)
            if channel is not None:
                found[channel["id"]] = channel
        return list(found.values())

    def _info(self, key: str) -> dict | None:
        """A channel conversations.list did not show (a DM, or a channel given by id); None if unreadable."""
        if key[:1] not in ("C", "G", "D") or not key.isalnum() or not key.isupper():
            self.skip(f"slack #{key}", "no channel of that name is visible to the app: check it, or invite the app")
            return None
        try:
            return self._call("conversations.info", channel=key)["channel"]
        except _Unreadable as exc:
            self._skip_channel({"id": key}, exc.code)
            return None

    def _with_members(self, channels: list[dict]) -> list[dict]:
        """The channels the app can read, each with its `members`; the others are skipped."""
        readable = []
        for channel in channels:
            if channel.get("is_member") is False:
                self._skip_channel(channel, "not_in_channel")
                continue
            try:
                members = list(self._pages("conversations.members", "members", channel=channel["id"]))
            except _Unreadable as exc:
                self._skip_channel(channel, exc.code)
                continue
            readable.append({**channel, "members": members})
        return readable

    def _users(self, channels: list[dict]) -> list[dict]:
        """users.list, kept in `self.users` until it is due again, plus the channels' members it lacks."""
        now = self.clock()
        if not self.users.fresh(now):
            self.users.users = _by_id(self._pages("users.list", "members"))  # replaced only once all pages are read
            self.users.read_at = now
        self.users.users.update(_by_id(self._strangers(self.users.users, channels)))
        return list(self.users.users.values())

    def _strangers(self, known: Collection[str], channels: list[dict]) -> list[dict]:
        """Members not in `known` (user ids), looked up one by one: Slack Connect people of other
        teams (users.list never lists them) and anyone who joined since users.list was read.

        Their emails place them in an account, which their messages alone cannot.
        """
        found = []
        for user_id in dict.fromkeys(m for c in channels for m in c["members"] if m not in known):
            try:
                found.append(self._call("users.info", user=user_id)["user"])
            except _Unreadable:
                continue  # their messages still name them, through `user_profile`
        return found

    def _skip_channel(self, channel: dict, code: str) -> None:
        name = f"#{channel['name']} ({channel['id']})" if channel.get("name") else channel["id"]
        self.skip(f"slack {name}", _LOCAL.get(code, code))

    # -- reading one channel ------------------------------------------------------
    def _channel(self, workspace: SlackWorkspace, conversation: dict, *, base: str,
                 floor: datetime | None) -> Iterator[Message]:
        cid = conversation["id"]
        seen = self._state.setdefault(cid, {"latest": None, "threads": {}})
        channel = workspace.channel_for(cid)
        if seen["latest"] is None:
            oldest, inclusive = (slack_ts(floor), True) if floor else (None, False)
        else:
            oldest, inclusive = min(seen["latest"], self._window, key=slack_time), False
        top = self._timed(cid, self._pages("conversations.history", "messages", channel=cid, oldest=oldest,
                                            inclusive=inclusive))
        raws = [m for m in top if _later(m["ts"], seen["latest"])]
        for parent in self._threads_to_read(top, seen["threads"], oldest):
            raws += self._replies(cid, parent, seen["threads"])
        for raw in sorted(raws, key=lambda m: slack_time(m["ts"])):
            message = self._read(workspace, channel, raw, base)
            _advance(seen, raw)  # before the yield: the caller commits all it was handed, then stores the cursor
            if message is not None and (floor is None or message.ts >= floor):
                yield message
        if seen["latest"] is None and floor:  # nothing since `floor`: start there next time, not at the beginning
            seen["latest"] = slack_ts(floor)

    def _threads_to_read(self, top: list[dict], threads: dict[str, str], oldest: str | None) -> list[str]:
        """Parents in view whose latest reply is unread, and watched threads older than the view."""
        changed = [m["ts"] for m in top if m.get("reply_count") and isinstance(m.get("latest_reply"), str)
                   and _later(m["latest_reply"], threads.get(m["ts"], m["ts"]))]
        in_view = {m["ts"] for m in top}
        watched = [p for p, last in threads.items() if p not in in_view and oldest and not _later(p, oldest)
                   and self._watched(p, last)]
        return sorted(set(changed + watched), key=slack_time)

    def _watched(self, parent: str, last: str) -> bool:
        """Active within the lookback, or handed out with its replies still to come (an interrupted sync)."""
        return last == parent or not self._window or not _later(self._window, last)

    def _replies(self, cid: str, parent: str, threads: dict[str, str]) -> list[dict]:
        """The replies after the newest one read; broadcasts are left to history, which lists them too."""
        after = threads.get(parent, parent)
        try:
            found = self._timed(cid, self._pages("conversations.replies", "messages", channel=cid, ts=parent,
                                                 oldest=after, inclusive=False))
        except _Unreadable as exc:
            if exc.code != "thread_not_found":
                raise
            threads.pop(parent, None)
            return []
        replies = [m for m in found if m["ts"] != parent and m.get("subtype") != "thread_broadcast"
                   and _later(m["ts"], after)]
        if not replies and threads.get(parent) == parent:
            del threads[parent]  # nothing was pending after all (the replies were deleted)
        return replies

    def _timed(self, cid: str, raws: Iterable[object]) -> list[dict]:
        """The payloads with a readable ts; the others are skipped."""
        good = []
        for raw in raws:
            try:
                slack_time(raw["ts"])  # type: ignore[index]
                good.append(raw)
            except (*MALFORMED, IndexError):
                self.skip(f"slack {cid}", f"not a message with a ts: {str(raw)[:60]}")
        return good

    def _read(self, workspace: SlackWorkspace, channel: SlackChannel, raw: dict, base: str) -> Message | None:
        try:
            return workspace.message(channel, raw, noise=self.noise, permalink_base=base)
        except MALFORMED as exc:
            where = f"slack #{channel.conversation.name} {raw['ts']}"
            self.skip(where, f"malformed message ({type(exc).__name__}: {exc})")
            return None

    # -- calls --------------------------------------------------------------
    def _pages(self, method: str, key: str, **params: object) -> Iterator:
        """Every item of every page, following `response_metadata.next_cursor`."""
        cursor = None
        while True:
            data = self._call(method, limit=self.page_size, cursor=cursor, **params)
            yield from data.get(key) or ()
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return

    def _call(self, method: str, **params: object) -> dict:
        if method in _PACED:
            if self._paced and self.pace_seconds > 0:
                self.sleep(self.pace_seconds)
            self._paced = True
        try:
            return getattr(self.client, method.replace(".", "_"))(**params).data
        except SlackApiError as exc:
            raise _api_error(method, exc.response) from None
        except OSError as exc:  # URLError, timeouts: after slack_sdk's connection retries
            raise RetriableSourceError(f"cannot reach Slack for {method} ({type(exc).__name__}): "
                                       "check the network and GROUNDSWELL_SLACK_API_URL") from None

    def _load(self, saved: str | None) -> dict[str, dict]:
        """The channels of a stored cursor; an unreadable one is reported and reading starts over."""
        if not saved:
            return {}
        try:
            channels = json.loads(saved)["channels"]
            state = {str(cid): {"latest": seen["latest"], "threads": dict(seen["threads"])}
                     for cid, seen in channels.items()}
            for seen in state.values():  # every ts must parse, or a sync would fail halfway
                for ts in (seen["latest"] or "0", *seen["threads"], *seen["threads"].values()):
                    slack_time(ts)
            return state
        except (*MALFORMED, IndexError) as exc:
            self.skip("slack cursor", f"unreadable ({type(exc).__name__}), so every channel is read from the start")
            return {}


def _api_error(method: str, response: SlackResponse) -> SourceError:
    """One line for what Slack said, retriable or fatal; the token is never in it."""
    error = str(response.get("error") or f"HTTP {response.status_code}")
    if response.status_code == 429 or error == "ratelimited":
        after = retry_after_header(response.headers)
        wait = f"Retry-After {after:g} s" if after is not None else "no Retry-After"
        return RetriableSourceError(f"Slack rate-limited {method} past the retries ({wait}): sync again later",
                                    retry_after=after)
    if error in AUTH_ERRORS:
        return FatalSourceError(f"Slack refused the token ({error}): check SLACK_BOT_TOKEN or reinstall the app")
    if error == "missing_scope":
        return FatalSourceError(f"the Slack app lacks the {response.get('needed') or 'needed'} scope for {method}: "
                                "add it under OAuth & Permissions and reinstall the app")
    if error in _LOCAL:
        return _Unreadable(error)
    if response.status_code >= 500 or error in _SERVER:
        return RetriableSourceError(f"Slack failed {method} ({error}): sync again later")
    return FatalSourceError(f"Slack refused {method} ({error})")


def _by_id(users: Iterable[object]) -> dict[str, dict]:
    return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}


def _later(ts: str, than: str | None) -> bool:
    return than is None or slack_time(ts) > slack_time(than)


def _advance(seen: dict, raw: dict) -> None:
    """Move the channel's state past one message handed out.

    A reply (a broadcast too) moves its thread; a message from history moves
    `latest`; a parent starts its thread at itself, so that its replies are
    read next time should the caller stop before them.
    """
    ts, thread_ts = raw["ts"], raw.get("thread_ts")
    reply = isinstance(thread_ts, str) and thread_ts != ts
    if reply and _later(ts, seen["threads"].get(thread_ts)):
        seen["threads"][thread_ts] = ts
    if not reply and raw.get("reply_count"):
        seen["threads"].setdefault(ts, ts)
    if (not reply or raw.get("subtype") == "thread_broadcast") and _later(ts, seen["latest"]):
        seen["latest"] = ts
