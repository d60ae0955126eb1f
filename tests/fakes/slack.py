"""A local fake of the Slack Web API: real HTTP on 127.0.0.1, Slack's wire format.

The real `slack_sdk.WebClient(token=..., base_url=fake.url)`, and bolt's
`App(client=...)` built on one, talk to it exactly as they talk to Slack:
`POST /<method>` with a form-encoded or JSON body and a Bearer token.  It
holds users, channels and their messages, pages the way Slack pages
(`limit`, `cursor`, `response_metadata.next_cursor`, `has_more`), records
every request, and can be told to fail: `fail()` answers `{"ok": false}` and
`rate_limit()` an HTTP 429 with `Retry-After`, as Slack does.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from tests.fakes.server import JSONHandler, LocalServer

# Fields slack_sdk sends as JSON text inside a form body.
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass(frozen=True)
class Request:
    method: str
    params: dict
    token: str | None


@dataclass
class _Script:
    method: str
    error: str
    times: int
    channel: str | None = None
    retry_after: int | None = None  # set: an HTTP 429 rather than a 200 with ok false


class _SlackError(Exception):
    """Answered as HTTP 200 `{"ok": false, "error": ...}`, Slack's way of failing a call."""


class FakeSlack(LocalServer):
    def __init__(self, *, tokens: tuple[str, ...] = ("xoxb-test",), team_id: str = "T0VENDOR",
                 team: str = "Vendor Co", domain: str = "fake", bot_user_id: str = "UBOT") -> None:
        self.tokens = set(tokens)
        self.team_id, self.team, self.domain, self.bot_user_id = team_id, team, domain, bot_user_id
        self.users: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}
        self.messages: dict[str, list[dict]] = {}
        self.members: dict[str, list[str]] = {}
        self.requests: list[Request] = []
        self._scripts: list[_Script] = []
        self.delays: dict[str, float] = {}
        self._last_micros = 0
        self._lock = threading.RLock()
        self.routes = {
            "auth.test": self._auth_test, "conversations.list": self._conversations_list,
            "conversations.info": self._conversations_info, "conversations.history": self._history,
            "conversations.replies": self._replies, "conversations.join": self._join,
            "conversations.open": self._open, "conversations.members": self._members,
            "users.list": self._users_list, "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email, "chat.postMessage": self._post_message,
            "chat.update": self._update, "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink, "views.publish": self._view, "views.open": self._view,
            "reactions.add": self._reaction}
        self.add_user(bot_user_id, "groundswell", "Groundswell", is_bot=True)

    @property
    def url(self) -> str:
        return self.root + "/"

    # -- state --------------------------------------------------------------
    def add_user(self, id: str, name: str, real_name: str | None = None, email: str | None = None, *,
                 is_bot: bool = False, team: str | None = None, **extra: object) -> dict:
        profile = {"real_name": real_name or name, "display_name": name, **({"email": email} if email else {})}
        user = {"id": id, "team_id": team or self.team_id, "name": name, "deleted": False,
                "real_name": real_name or name, "is_bot": is_bot, "is_app_user": False, "profile": profile, **extra}
        self.users[id] = user
        return user

    def add_channel(self, id: str, name: str, *, is_ext_shared: bool = False, is_private: bool = False,
                    is_member: bool = True, members: list[str] | None = None, **extra: object) -> dict:
        """`members` defaults to whoever posts in the channel."""
        channel = {"id": id, "name": name, "is_channel": True, "is_group": False, "is_im": False, "is_mpim": False,
                   "is_private": is_private, "is_archived": False, "is_general": False, "is_shared": is_ext_shared,
                   "is_ext_shared": is_ext_shared, "is_org_shared": False, "is_member": is_member,
                   "created": 1_600_000_000, "context_team_id": self.team_id, **extra}
        self.channels[id] = channel
        self.messages.setdefault(id, [])
        if members is not None:
            self.members[id] = list(members)
        return channel

    def add_message(self, channel: str, ts: str | None = None, user: str | None = None, text: str = "",
                    thread_ts: str | None = None, subtype: str | None = None, bot_id: str | None = None,
                    **extra: object) -> dict:
        ts = ts or self._fresh_ts()
        self._last_micros = max(self._last_micros, int(Decimal(ts) * 1_000_000))
        optional = {"user": user, "thread_ts": thread_ts, "subtype": subtype, "bot_id": bot_id}
        message = {"type": "message", **{k: v for k, v in optional.items() if v is not None}, "text": text, "ts": ts,
                   **extra}
        self.messages.setdefault(channel, []).append(message)
        return message

    # -- scripting and inspection -----------------------------------------------
    def fail(self, method: str, error: str = "not_in_channel", *, times: int = 1, channel: str | None = None) -> None:
        self._scripts.append(_Script(method, error, times, channel))

    def rate_limit(self, method: str, retry_after: int = 1, *, times: int = 1) -> None:
        self._scripts.append(_Script(method, "ratelimited", times, retry_after=retry_after))

    def calls(self, method: str) -> list[dict]:
        """The params of every request made to `method`, in order."""
        return [r.params for r in self.requests if r.method == method]

    # -- dispatch -----------------------------------------------------------
    def handle(self, method: str, params: dict, token: str | None) -> tuple[int, dict, dict]:
        """(HTTP status, extra headers, JSON body) for one request; `delays[method]` seconds late if set."""
        if self.delays.get(method):
            time.sleep(self.delays[method])  # a slow Slack, so a test can kill a client mid-sync
        with self._lock:
            self.requests.append(Request(method, params, token))
            script = self._script(method, params)
            if script and script.retry_after is not None:
                return 429, {"Retry-After": str(script.retry_after)}, {"ok": False, "error": "ratelimited"}
            try:
                if not token:
                    raise _SlackError("not_authed")
                if token not in self.tokens:
                    raise _SlackError("invalid_auth")
                if script:
                    raise _SlackError(script.error)
                route = self.routes.get(method)
                if route is None:
                    raise _SlackError("unknown_method")
                return 200, {}, {"ok": True, **route(params)}
            except _SlackError as exc:
                return 200, {}, {"ok": False, "error": str(exc)}

    def _script(self, method: str, params: dict) -> _Script | None:
        for script in self._scripts:
            if script.method == method and script.times > 0 and script.channel in (None, params.get("channel")):
                script.times -= 1
                return script
        return None

    # -- helpers ------------------------------------------------------------
    def _fresh_ts(self) -> str:
        self._last_micros = max(self._last_micros + 1, int(time.time() * 1_000_000))
        return f"{self._last_micros // 1_000_000}.{self._last_micros % 1_000_000:06d}"

    def _channel(self, params: dict, *, readable: bool = False) -> dict:
        """The channel the bot can see, and with `readable` also read: Slack's errors otherwise."""
        channel = self.channels.get(str(params.get("channel")))
        if channel is None or channel["is_private"] and not channel["is_member"]:
            raise _SlackError("channel_not_found")
        if readable and not channel["is_member"]:
            raise _SlackError("not_in_channel")
        return channel

    def _thread(self, cid: str, message: dict) -> dict:
        """A message as history shows it: a parent carries its thread's counts."""
        replies = [m for m in self.messages[cid] if m.get("thread_ts") == message["ts"] != m["ts"]]
        if not replies:
            return message
        users = list(dict.fromkeys(m.get("user") for m in replies if m.get("user")))
        latest = max((m["ts"] for m in replies), key=Decimal)
        return {**message, "thread_ts": message["ts"], "reply_count": len(replies), "reply_users": users,
                "reply_users_count": len(users), "latest_reply": latest}

    def _message(self, params: dict, key: str = "ts") -> dict:
        found = [m for m in self.messages[self._channel(params)["id"]] if m["ts"] == params.get(key)]
        if not found:
            raise _SlackError("message_not_found")
        return found[0]

    # -- methods ------------------------------------------------------------
    def _auth_test(self, params: dict) -> dict:
        return {"url": f"https://{self.domain}.slack.com/", "team": self.team, "user": "groundswell",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "B0BOT", "is_enterprise_install": False}

    def _conversations_list(self, params: dict) -> dict:
        types = set(str(params.get("types") or "public_channel").split(","))
        kind = lambda c: "im" if c["is_im"] else "mpim" if c["is_mpim"] else "private_channel" if c["is_private"] \
            else "public_channel"  # noqa: E731
        listed = [c for c in self.channels.values() if kind(c) in types and (c["is_member"] or not c["is_private"])]
        return _page("channels", listed, params)

    def _conversations_info(self, params: dict) -> dict:
        return {"channel": self._channel(params)}

    def _history(self, params: dict) -> dict:
        cid = self._channel(params, readable=True)["id"]
        top = [self._thread(cid, m) for m in self.messages[cid]
               if (m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast")
               and _within(m["ts"], params)]
        return _page("messages", sorted(top, key=lambda m: Decimal(m["ts"]), reverse=True), params)

    def _replies(self, params: dict) -> dict:
        cid = self._channel(params, readable=True)["id"]
        parent = [m for m in self.messages[cid] if m["ts"] == params.get("ts")]
        if not parent:
            raise _SlackError("thread_not_found")
        replies = [m for m in self.messages[cid] if m.get("thread_ts") == parent[0]["ts"] != m["ts"]
                   and _within(m["ts"], params)]
        return _page("messages", [self._thread(cid, parent[0]), *sorted(replies, key=lambda m: Decimal(m["ts"]))],
                     params)

    def _join(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel["is_private"]:
            raise _SlackError("method_not_supported_for_channel_type")
        channel["is_member"] = True
        self.members.setdefault(channel["id"], []).append(self.bot_user_id)
        return {"channel": channel}

    def _open(self, params: dict) -> dict:
        user = str(params.get("users") or "").split(",")[0]
        if user not in self.users:
            raise _SlackError("user_not_found")
        cid = "D" + user[1:]
        if cid not in self.channels:
            self.add_channel(cid, cid, is_im=True, is_channel=False, user=user, members=[self.bot_user_id, user])
        return {"channel": {"id": cid}}

    def _members(self, params: dict) -> dict:
        cid = self._channel(params)["id"]
        posters = list(dict.fromkeys(m["user"] for m in self.messages[cid] if m.get("user")))
        return _page("members", self.members.get(cid, posters), params)

    def _users_list(self, params: dict) -> dict:
        """The workspace's own users: as in Slack, other teams' Slack Connect users only answer users.info."""
        own = [u for u in self.users.values() if u["team_id"] == self.team_id]
        return {**_page("members", own, params), "cache_ts": int(time.time())}

    def _users_info(self, params: dict) -> dict:
        if params.get("user") not in self.users:
            raise _SlackError("user_not_found")
        return {"user": self.users[params["user"]]}

    def _lookup_by_email(self, params: dict) -> dict:
        email = str(params.get("email") or "").lower()
        found = [u for u in self.users.values() if u["profile"].get("email", "").lower() == email]
        if not found:
            raise _SlackError("users_not_found")
        return {"user": found[0]}

    def _post_message(self, params: dict) -> dict:
        target = str(params.get("channel") or "")
        cid = self._open({"users": target})["channel"]["id"] if target in self.users else target
        channel = self._channel({"channel": cid}, readable=True)
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise _SlackError("no_text")
        broadcast = params.get("thread_ts") and _flag(params.get("reply_broadcast"))
        extra = {k: params[k] for k in ("blocks", "attachments", "metadata") if params.get(k)}
        message = self.add_message(channel["id"], None, self.bot_user_id, str(params.get("text") or ""),
                                   thread_ts=params.get("thread_ts"), subtype="thread_broadcast" if broadcast else None,
                                   bot_id="B0BOT", team=self.team_id, **extra)
        return {"channel": channel["id"], "ts": message["ts"], "message": message}

    def _update(self, params: dict) -> dict:
        message = self._message(params)
        message.update({k: params[k] for k in ("text", "blocks", "attachments") if k in params})
        return {"channel": params["channel"], "ts": message["ts"], "text": message["text"], "message": message}

    def _post_ephemeral(self, params: dict) -> dict:
        self._channel(params)
        return {"message_ts": self._fresh_ts()}

    def _permalink(self, params: dict) -> dict:
        message, cid = self._message(params, "message_ts"), params["channel"]
        link = f"https://{self.domain}.slack.com/archives/{cid}/p{message['ts'].replace('.', '')}"
        return {"channel": cid, "permalink": link}

    def _view(self, params: dict) -> dict:
        view = params.get("view") if isinstance(params.get("view"), dict) else {}
        return {"view": {"id": f"V{len(self.requests):08d}", "team_id": self.team_id, **view}}

    def _reaction(self, params: dict) -> dict:
        message = self._message(params, "timestamp")
        reactions = message.setdefault("reactions", [])
        if any(r["name"] == params.get("name") for r in reactions):
            raise _SlackError("already_reacted")
        reactions.append({"name": params.get("name"), "users": [self.bot_user_id], "count": 1})
        return {}


class _Handler(JSONHandler):
    fake: FakeSlack

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        params = self._params(parts.query)
        token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip() or params.pop("token", None)
        status, headers, body = self.fake.handle(parts.path.strip("/"), params, token)
        self.send_json(status, body, headers)

    do_GET = do_POST

    def _params(self, query: str) -> dict:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if "json" in self.headers.get("Content-Type", "") and body:
            params.update(json.loads(body))
        elif body:
            params.update({k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()})
        for key in _JSON_FIELDS:
            if isinstance(params.get(key), str) and params[key][:1] in ("[", "{"):
                params[key] = json.loads(params[key])
        return params



def _flag(value: object) -> bool:
    return str(value).lower() in ("1", "true")


def _within(ts: str, params: dict) -> bool:
    """Slack's `oldest`/`latest` window: both ends exclusive unless `inclusive`."""
    inclusive, when = _flag(params.get("inclusive")), Decimal(ts)
    oldest, latest = params.get("oldest"), params.get("latest")
    if oldest and (when < Decimal(oldest) or when == Decimal(oldest) and not inclusive):
        return False
    return not (latest and (when > Decimal(latest) or when == Decimal(latest) and not inclusive))


def _page(key: str, items: list, params: dict) -> dict:
    """One page of `items` as Slack pages: an opaque cursor, and `has_more` as history has."""
    cursor = params.get("cursor")
    start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    end = start + int(params.get("limit") or 100)
    more = end < len(items)
    next_cursor = base64.b64encode(f"next:{end}".encode()).decode() if more else ""
    return {key: items[start:end], "has_more": more, "response_metadata": {"next_cursor": next_cursor}}


FakeSlack.handler = _Handler
