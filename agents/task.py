"""The task agent: commitments and requests, from either side, with owner and due date.

Unlike risk, vendor-side messages count: "I'll send the SOW by Thursday" from
a CSM is exactly the commitment that must not be dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from agents.base import Classifier, assess_with
from connectors.base import Message
from signals.catalog import TASK_TYPES
from signals.portfolio import Account, Signal


@dataclass
class TaskAgent:
    name: ClassVar[str] = "task"
    classifier: Classifier

    def assess(self, account: Account, messages: Sequence[Message]) -> list[Signal]:
        return assess_with(self.classifier, account, messages, agent=self.name, types=TASK_TYPES,
                           customer_only=False)
