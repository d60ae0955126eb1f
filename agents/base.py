"""The contracts between messages, classifiers and agents.

A `Classifier` reads messages and returns `Verdict`s (signal type, confidence,
quoted evidence).  An `Agent` owns some signal types: it asks a classifier,
applies its own rules (vendor-side messages carry no customer risk, say) and
emits `Signal`s for an account.  Agents do not know which classifier they
hold; the local and LLM classifiers satisfy the same protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol, Sequence, runtime_checkable

from connectors.base import Message
from signals.portfolio import Account, Signal


class ClassifierError(Exception):
    """The classifier could not run (a missing model file, a bad LLM answer)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    type: str
    confidence: float
    evidence: str            # an exact substring of the message's new text
    owner: str | None = None  # action_item only: a name/email, or "vendor" / "customer"
    due: date | None = None   # action_item only


@runtime_checkable
class Classifier(Protocol):
    name: ClassVar[str]

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        """One list of verdicts per message, in order (batched for throughput)."""
        ...


@runtime_checkable
class Agent(Protocol):
    name: ClassVar[str]

    def assess(self, account: Account, messages: Sequence[Message]) -> list[Signal]: ...
