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


def to_signal(verdict: Verdict, message: Message, *, account: Account, agent: str, backend: str) -> Signal:
    """A verdict on a message, as a signal on the message's account."""
    return Signal(type=verdict.type, account_id=account.account_id, confidence=verdict.confidence,
                  evidence=verdict.evidence, ts=message.ts, agent=agent, backend=backend, source=message.source,
                  message_id=message.source_id, author=message.author, owner=verdict.owner, due=verdict.due)


def assess_with(classifier: Classifier, account: Account, messages: Sequence[Message], *, agent: str,
                types: frozenset[str], customer_only: bool) -> list[Signal]:
    """The shared body of the message-level agents: classify, keep my types, attach evidence.

    `customer_only` drops verdicts on vendor-side messages: a CSM saying
    "sorry about the outage" is not the customer's dissatisfaction.
    """
    signals = []
    for message, verdicts in zip(messages, classifier.classify(messages)):
        if customer_only and message.author_side == "vendor":
            continue
        signals.extend(to_signal(v, message, account=account, agent=agent, backend=classifier.name)
                       for v in verdicts if v.type in types)
    return signals
