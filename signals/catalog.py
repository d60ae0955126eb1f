"""Every signal type of the taxonomy, declared once.

The prompt, the local classifier, the scorer and the alert text all read
these entries, so adding a signal type is one entry here.  Identifiers are
public interface (shared/spec/taxonomy.md): never rename them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["churn", "contraction", "expansion", "task"]


@dataclass(frozen=True, slots=True)
class SignalType:
    id: str
    side: Side
    agent: str
    description: str
    derived: bool = False
    # Default effect on the account's money model: the probability mass one
    # fully confident, fresh occurrence adds to its side (churn, contraction
    # or expansion).  Config can override; calibration (later) fits them.
    weight: float = 0.0
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()


CATALOG: tuple[SignalType, ...] = (
    SignalType(
        id="churn_intent", side="churn", agent="risk", weight=0.45, label="Churn intent",
        description="the customer says or implies they may cancel, not renew, or move off the product",
    ),
    SignalType(
        id="competitor_mention", side="churn", agent="risk", weight=0.25, label="Competitor mention",
        description="the customer is evaluating, piloting, comparing with, or being pitched by a competing product",
    ),
    SignalType(
        id="budget_pressure", side="contraction", agent="risk", weight=0.35, label="Budget pressure",
        description="budget cuts, cost-cutting reviews, price push-back, requests to remove seats, downgrade a plan or drop a module",
    ),
    SignalType(
        id="champion_departure", side="churn", agent="multithread", weight=0.3, label="Champion departure",
        description="a key contact (champion, sponsor, admin, decision maker) leaves, changes role, goes on long leave, or a re-org removes them",
    ),
    SignalType(
        id="dissatisfaction", side="churn", agent="risk", weight=0.2, label="Dissatisfaction",
        description="frustration, escalation, complaints about bugs, outages, support, onboarding or missing value",
    ),
    SignalType(
        id="engagement_drop", side="churn", agent="multithread", weight=0.2, derived=True, label="Engagement drop",
        description="derived, not from one message: the account's contacts reply much more slowly, go silent, cancel or skip meetings",
    ),
    SignalType(
        id="single_threaded", side="churn", agent="multithread", weight=0.1, derived=True, label="Single-threaded",
        description="derived: only one customer contact is engaged in the trailing window, or no one senior is",
    ),
    SignalType(
        id="expansion_interest", side="expansion", agent="expansion", weight=0.4, label="Expansion interest",
        description="interest in more seats, a higher tier, an add-on module, more usage or a pricing quote for more",
    ),
    SignalType(
        id="new_use_case", side="expansion", agent="expansion", weight=0.3, label="New use case",
        description="another team, department, region, or use case wants to adopt the product",
    ),
    SignalType(
        id="growth_event", side="expansion", agent="expansion", weight=0.2, label="Growth event",
        description="the customer is growing: hiring, funding, acquisition, new office or market",
    ),
    SignalType(
        id="advocacy", side="expansion", agent="expansion", weight=0.15, label="Advocacy",
        description="clear praise, a measured win or ROI, willingness to be a reference or case study, renewal confidence",
    ),
    SignalType(
        id="action_item", side="task", agent="task", weight=0.0, label="Action item",
        description="someone commits to do something, or asks the vendor to do something, with an owner and often a due date",
    ),
)

BY_ID: dict[str, SignalType] = {t.id: t for t in CATALOG}
IDS: tuple[str, ...] = tuple(t.id for t in CATALOG)
MESSAGE_TYPES: tuple[str, ...] = tuple(t.id for t in CATALOG if not t.derived)
DERIVED_TYPES: tuple[str, ...] = tuple(t.id for t in CATALOG if t.derived)


def get(type_id: str) -> SignalType:
    """The catalog entry for `type_id`; KeyError names the known ids."""
    try:
        return BY_ID[type_id]
    except KeyError:
        raise KeyError(f"unknown signal type {type_id!r}; known: {', '.join(IDS)}") from None


def types_for_agent(agent: str) -> tuple[SignalType, ...]:
    return tuple(t for t in CATALOG if t.agent == agent)
