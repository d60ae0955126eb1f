"""The cascade: the local model screens every message, and only those that may carry a signal go to the LLM.

Most customer traffic is "thanks!" and scheduling; paying an LLM to read it
buys nothing.  The screen is deliberately generous (`slack` below each type's
threshold), so that it loses few true signals while sending a fraction of
the messages: `bench/cascade.py` measures both and BENCHMARKS.md records them.
"""

from __future__ import annotations

from typing import ClassVar, Sequence

from agents.base import Classifier, Verdict
from agents.classifiers.local import LocalClassifier
from connectors.base import Message


class CascadeClassifier:
    name: ClassVar[str] = "llm"

    def __init__(self, *, screen: LocalClassifier, precise: Classifier, slack: float) -> None:
        self.screen, self.precise, self.slack = screen, precise, slack
        self.screened = self.sent = 0

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        flags = self.screen.plausible(messages, slack=self.slack)
        chosen = [m for m, sent in zip(messages, flags) if sent]
        answers = iter(self.precise.classify(chosen) if chosen else [])
        self.screened += len(messages)
        self.sent += len(chosen)
        return [next(answers) if sent else [] for sent in flags]
