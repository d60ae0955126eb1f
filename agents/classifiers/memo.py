"""A classifier wrapper that classifies each message once per batch.

Four agents read the same messages; each asks the classifier.  The pipeline
primes this wrapper with the whole batch (one batched call to the real
classifier, which matters for an LLM), and the agents' calls are then served
from memory.  Messages not primed pass through to the inner classifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from agents.base import Classifier, Verdict
from connectors.base import Message


@dataclass
class MemoClassifier:
    inner: Classifier
    _memo: dict[tuple[str, str], list[Verdict]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.inner.name

    def prime(self, messages: Sequence[Message]) -> None:
        todo = [m for m in messages if (m.source, m.source_id) not in self._memo]
        for message, verdicts in zip(todo, self.inner.classify(todo) if todo else []):
            self._memo[(message.source, message.source_id)] = verdicts

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        self.prime(messages)
        return [self._memo[(m.source, m.source_id)] for m in messages]

    def clear(self) -> None:
        self._memo.clear()
