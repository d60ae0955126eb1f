"""A local fake of the OpenAI Chat Completions API: real HTTP, OpenAI's wire format.

The real `openai` client and langchain's `ChatOpenAI(base_url=fake.url)` talk
to it as they talk to OpenAI or to a local vLLM/Ollama server:
`POST /v1/chat/completions` with a Bearer key.  It honours the three ways
structured output is asked for: `response_format` `json_schema` or
`json_object` (the answer is JSON in `message.content`) and `tools` with a
forced `tool_choice` (the answer is a `tool_calls` message), and it returns
`usage` so token counting can be tested.

What the "model" says comes from `responder(messages) -> dict | str`: the
default, `keyword_responder`, reads only the customer text between the
prompt's `<<<MESSAGE ...>>>` / `<<<END ...>>>` delimiters and reports a few
signal types by keyword, quoting the sentence.  A test can plug in any
other responder (a compromised model, malformed JSON).

Scripting: `fail(status, times=, retry_after=)` answers errors (429 with
`Retry-After`, 500), `slow(seconds, times=)` delays answers.  Every request
is recorded: `requests` (parsed bodies), `raw` (body text), `headers`;
`max_in_flight` is the most requests it ever served at once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from itertools import count
from typing import Callable

from tests.fakes.server import JSONHandler, LocalServer

Responder = Callable[[list[dict]], "dict | list | str"]

_BLOCK = re.compile(r"<<<MESSAGE id=(?P<id>[0-9a-f]+)[^\n]*>>>\n(?P<text>.*?)\n<<<END id=(?P=id)>>>", re.S)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

# Keyword cues of the default responder: enough for tests, not a classifier.
CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((t, re.compile(p, re.I)) for t, p in (
    ("churn_intent", r"not (?:planning|going) to renew|not be renewing|won'?t renew|cancel (?:our|the) "
                     r"(?:contract|subscription)|terminate|moving off"),
    ("competitor_mention", r"\b(?:vitally|gainsight|totango|churnzero)\b"),
    ("budget_pressure", r"cut \d+% of seats|budget cuts?|cost-cutting|remove seats|downgrade|too expensive"),
    ("champion_departure", r"last day|is leaving|take over as"),
    ("dissatisfaction", r"outage|not acceptable|frustrat"),
    ("expansion_interest", r"more seats|higher tier|add-on"),
    ("new_use_case", r"wants in|another team"),
    ("growth_event", r"series [a-e]\b|doubling the team|we(?:'re| are) hiring"),
    ("advocacy", r"case study|happy to be a reference|cut our .+ in half"),
    ("action_item", r"\bI'?ll (?:send|share)|\b(?:can|could) you (?:send|share)|\bplease send"),
))


def message_text(messages: list[dict]) -> str:
    """The customer text between the delimiters of the last user message ('' when there is none)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
            found = _BLOCK.search(content or "")
            return found["text"] if found else ""
    return ""


def keyword_responder(messages: list[dict]) -> dict:
    """An honest, deterministic "model": one finding per cue type, quoting the sentence that holds the cue."""
    text, signals = message_text(messages), []
    for type_id, cue in CUES:
        for sentence in _SENTENCE.finditer(text):
            if cue.search(sentence.group()):
                signals.append({"type": type_id, "confidence": 0.9, "evidence": sentence.group().strip(),
                                "owner": None, "due": None})
                break
    return {"signals": signals}


@dataclass
class _Script:
    kind: str          # "fail" | "slow"
    times: int | None  # None: every request
    status: int = 0
    retry_after: float | None = None
    seconds: float = 0.0


class FakeOpenAI(LocalServer):
    def __init__(self, *, responder: Responder = keyword_responder, keys: tuple[str, ...] = ("sk-test",)) -> None:
        self.responder, self.keys = responder, set(keys)
        self.requests: list[dict] = []
        self.raw: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.usage: list[dict] = []  # the `usage` of every answer sent
        self.in_flight = self.max_in_flight = 0
        self._scripts: list[_Script] = []
        self._ids = count(1)
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        return f"{self.root}/v1"

    def start(self) -> FakeOpenAI:
        super().start()
        # A client that times out drops its connection mid-answer: expected here, so not worth a traceback.
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None
        return self

    # -- scripting ------------------------------------------------------------
    def fail(self, status: int = 500, *, times: int | None = 1, retry_after: float | None = None) -> None:
        """The next `times` requests (None: all) answer HTTP `status`, with `Retry-After` when given."""
        self._scripts.append(_Script("fail", times, status=status, retry_after=retry_after))

    def slow(self, seconds: float, *, times: int | None = None) -> None:
        """The next `times` requests (None: all) answer `seconds` late."""
        self._scripts.append(_Script("slow", times, seconds=seconds))

    def _take(self, kind: str) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if script.kind == kind and (script.times is None or script.times > 0):
                    if script.times is not None:
                        script.times -= 1
                    return script
        return None

    # -- dispatch ---------------------------------------------------------------
    def handle(self, path: str, headers: dict[str, str], raw: str) -> tuple[int, dict[str, str], dict]:
        try:
            body = json.loads(raw or "{}")
        except ValueError:
            body = {}
        with self._lock:
            self.requests.append(body)
            self.raw.append(raw)
            self.headers.append(headers)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if (delay := self._take("slow")) is not None:
                time.sleep(delay.seconds)
            return self._answer(path, headers, body)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, path: str, headers: dict[str, str], body: dict) -> tuple[int, dict[str, str], dict]:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[len("Bearer "):] not in self.keys:
            return 401, {}, _error("Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if path.rstrip("/") != "/v1/chat/completions":
            return 404, {}, _error(f"Unknown request URL: POST {path}", "invalid_request_error", "unknown_url")
        if (failure := self._take("fail")) is not None:
            extra = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
            kind = "rate_limit_exceeded" if failure.status == 429 else "server_error"
            return failure.status, extra, _error(f"scripted {failure.status}", kind, kind)
        if body.get("stream"):
            return 400, {}, _error("this fake does not stream", "invalid_request_error", "stream")
        messages = body.get("messages") or []
        answer = self.responder(messages)
        arguments = answer if isinstance(answer, str) else json.dumps(answer)
        tool = _forced_tool(body)
        if tool:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": f"call_{next(self._ids)}", "type": "function", "function": {"name": tool, "arguments": arguments}}]}
            finish = "tool_calls"
        else:
            message, finish = {"role": "assistant", "content": arguments}, "stop"
        prompt = sum(_tokens(m.get("content")) for m in messages) + _tokens(json.dumps(body.get("tools") or
                                                                                       body.get("response_format") or ""))
        completion = _tokens(arguments)
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        with self._lock:
            self.usage.append(usage)
        return 200, {}, {
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body.get("model", "fake"), "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": usage}


def _forced_tool(body: dict) -> str | None:
    """The tool the request forces (or its only tool), when it sent tools."""
    tools = body.get("tools") or []
    if not tools:
        return None
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return choice.get("function", {}).get("name")
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        return choice
    return tools[0].get("function", {}).get("name")


def _tokens(content: object) -> int:
    """A deterministic stand-in for a tokenizer: about four characters a token."""
    if not content:
        return 0
    text = content if isinstance(content, str) else json.dumps(content)
    return max(1, len(text) // 4)


def _error(message: str, kind: str, code: str) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(JSONHandler):
    fake: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, payload = self.fake.handle(self.path, headers, raw)
        self.send_json(status, payload, extra)



FakeOpenAI.handler = _Handler
