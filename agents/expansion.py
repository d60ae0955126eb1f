"""The expansion agent: expansion interest, new use cases, growth events, advocacy.

Only the customer's own words count; a CSM pitching an upgrade is not demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from agents.base import Classifier, assess_with
from connectors.base import Message
from signals.catalog import types_for_agent
from signals.portfolio import Account, Signal

EXPANSION_TYPES = frozenset(t.id for t in types_for_agent("expansion"))


@dataclass
class ExpansionAgent:
    name: ClassVar[str] = "expansion"
    classifier: Classifier

    def assess(self, account: Account, messages: Sequence[Message]) -> list[Signal]:
        return assess_with(self.classifier, account, messages, agent=self.name, types=EXPANSION_TYPES,
                           customer_only=True)
