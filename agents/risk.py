"""The risk agent: churn intent, competitor mentions, budget pressure, dissatisfaction.

Only what customers say counts as risk; vendor-side messages are ignored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from agents.base import Classifier, assess_with
from connectors.base import Message
from signals.catalog import types_for_agent
from signals.portfolio import Account, Signal

RISK_TYPES = frozenset(t.id for t in types_for_agent("risk"))


@dataclass
class RiskAgent:
    name: ClassVar[str] = "risk"
    classifier: Classifier

    def assess(self, account: Account, messages: Sequence[Message]) -> list[Signal]:
        return assess_with(self.classifier, account, messages, agent=self.name, types=RISK_TYPES,
                           customer_only=True)
