"""A classifier wrapper that classifies each message once, however many agents ask.

Four agents read the same messages and each asks the classifier.  Wiring
wraps the real classifier in this memo and hands the same object to every
agent; the pipeline classifies a whole batch first (one batched call, which
matters for an LLM) and the agents' calls are then served from memory.  The
memo is bounded: it keeps the most recent `capacity` messages.  It is keyed
by object identity, which is what the pipeline shares and far cheaper than
hashing whole messages; each entry holds its message, so an id cannot be
reused while it is remembered.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Sequence

from agents.base import Classifier, Verdict
from connectors.base import Message


@dataclass
class MemoClassifier:
    inner: Classifier
    capacity: int = 20_000
    _memo: OrderedDict[int, tuple[Message, list[Verdict]]] = field(default_factory=OrderedDict)

    @property
    def name(self) -> str:
        return self.inner.name

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        todo = list({id(m): m for m in messages if id(m) not in self._memo}.values())
        for message, verdicts in zip(todo, self.inner.classify(todo) if todo else []):
            self._memo[id(message)] = (message, verdicts)
        results = [self._memo[id(m)][1] for m in messages]
        while len(self._memo) > self.capacity:
            self._memo.popitem(last=False)
        return results
