"""`groundswell classify`: JSONL in, one JSONL verdict line out per input line, in order.

The whole input is validated before anything is printed, so a bad line
fails the command (exit 2, naming the line) instead of leaving a partial
output that a script could mistake for a complete one.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from agents.base import Classifier, Verdict
from connectors.base import FatalSourceError, Message, to_utc

BATCH = 1000
SIDES = {"customer", "vendor", "unknown"}


def read_lines(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except OSError as exc:
        raise FatalSourceError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise FatalSourceError(f"{path}: not UTF-8 text") from None


def parse(lines: Iterable[str]) -> list[tuple[Any, Message]]:
    parsed = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            parsed.append(_parse_line(number, line))
    return parsed


def _parse_line(number: int, line: str) -> tuple[Any, Message]:
    where = f"line {number}"
    item = json_object(line, where)
    if not isinstance(item.get("text"), str):
        raise FatalSourceError(f"{where}: expected an object with \"id\" and a string \"text\"")
    side = item.get("author_side") or "unknown"
    if side not in SIDES:
        raise FatalSourceError(f"{where}: author_side must be customer, vendor or unknown, not {side!r}")
    message = Message(source=str(item.get("source") or "slack"), source_id=str(item["id"]),
                      ts=parse_ts(item.get("ts"), where, default=datetime.now(timezone.utc)),
                      author=str(item.get("author") or "unknown"), text=item["text"], author_side=side)
    return item["id"], message


def json_object(line: str, where: str) -> dict:
    """One JSONL line as an object with an "id"; a bad one fails naming `where`."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FatalSourceError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(item, dict) or "id" not in item:
        raise FatalSourceError(f"{where}: expected an object with \"id\" and a string \"text\"")
    return item


def parse_ts(raw: Any, where: str, *, default: datetime) -> datetime:
    """An ISO 8601 timestamp in UTC (naive ones are taken as UTC); `default` when absent."""
    if not raw:
        return default
    try:
        value = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise FatalSourceError(f"{where}: ts {raw!r} is not an ISO 8601 timestamp") from None
    return to_utc(value)


def classify_lines(classifier: Classifier, lines: Iterable[str]) -> Iterator[str]:
    items = parse(lines)
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        for (item_id, _), verdicts in zip(chunk, classifier.classify([m for _, m in chunk])):
            yield json.dumps({"id": item_id, "signals": [_verdict(v) for v in verdicts]}, ensure_ascii=False)


def _verdict(v: Verdict) -> dict[str, Any]:
    out: dict[str, Any] = {"type": v.type, "confidence": round(v.confidence, 3), "evidence": v.evidence}
    if v.type == "action_item":
        out["owner"], out["due"] = v.owner, v.due.isoformat() if v.due else None
    return out
