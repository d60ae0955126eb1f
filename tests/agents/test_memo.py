"""The memoising classifier: each message classified once, results in order, bounded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar, Sequence

from agents.base import Verdict
from agents.classifiers.memo import MemoClassifier
from connectors.base import Message


@dataclass
class CountingClassifier:
    """A real (if trivial) classifier: flags messages containing 'renew', and counts its inputs."""

    name: ClassVar[str] = "counting"
    seen: list[str] = field(default_factory=list)

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        self.seen.extend(m.source_id for m in messages)
        return [[Verdict("churn_intent", 0.9, m.text)] if "renew" in m.text else [] for m in messages]


def msg(i: int, text: str = "hello") -> Message:
    return Message("slack", f"m{i}", datetime(2026, 9, 1, tzinfo=timezone.utc), "Dana", text)


def test_each_message_is_classified_once_across_calls() -> None:
    inner = CountingClassifier()
    memo = MemoClassifier(inner=inner)
    batch = [msg(1), msg(2, "we won't renew"), msg(3)]
    first = memo.classify(batch)
    again = memo.classify([batch[1], batch[0]])
    assert inner.seen == ["m1", "m2", "m3"]
    assert again == [first[1], first[0]] and first[1][0].type == "churn_intent"
    assert memo.name == "counting"


def test_the_memo_is_bounded() -> None:
    inner = CountingClassifier()
    memo = MemoClassifier(inner=inner, capacity=2)
    batch = [msg(i) for i in range(3)]
    memo.classify(batch)
    memo.classify(batch[:1])  # evicted: classified again
    assert inner.seen == ["m0", "m1", "m2", "m0"]
