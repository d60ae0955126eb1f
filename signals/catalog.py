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
    # Default effects on the money model: the log-odds one fully confident,
    # fresh occurrence adds to each outcome (churn, contraction, expansion)
    # within the scoring horizon.  Priors set by judgement (a clear churn
    # statement multiplies the odds by e^2.2 ≈ 9: from an 8% base to 44%); config overrides them and
    # `groundswell calibrate` fits them on the company's own history.
    effects: tuple[tuple[str, float], ...] = ()
    label: str = ""

    def effect(self, outcome: str) -> float:
        return dict(self.effects).get(outcome, 0.0)

    @property
    def title(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()


CATALOG: tuple[SignalType, ...] = (
    SignalType(
        id="churn_intent", side="churn", agent="risk", effects=(("churn", 2.2), ("contraction", 0.4)), label="Churn intent",
        description="the customer says or implies they may cancel, not renew, or move off the product",
    ),
    SignalType(
        id="competitor_mention", side="churn", agent="risk", effects=(("churn", 1.0), ("contraction", 0.4)), label="Competitor mention",
        description="the customer is evaluating, piloting, comparing with, or being pitched by a competing product",
    ),
    SignalType(
        id="budget_pressure", side="contraction", agent="risk", effects=(("contraction", 2.0), ("churn", 0.3)), label="Budget pressure",
        description="budget cuts, cost-cutting reviews, price push-back, requests to remove seats, downgrade a plan or drop a module",
    ),
    SignalType(
        id="champion_departure", side="churn", agent="multithread", effects=(("churn", 1.0),), label="Champion departure",
        description="a key contact (champion, sponsor, admin, decision maker) leaves, changes role, goes on long leave, or a re-org removes them",
    ),
    SignalType(
        id="dissatisfaction", side="churn", agent="risk", effects=(("churn", 0.6), ("contraction", 0.2)), label="Dissatisfaction",
        description="frustration, escalation, complaints about bugs, outages, support, onboarding or missing value",
    ),
    SignalType(
        id="engagement_drop", side="churn", agent="multithread", effects=(("churn", 0.8),), derived=True, label="Engagement drop",
        description="derived, not from one message: the account's contacts reply much more slowly, go silent, cancel or skip meetings",
    ),
    SignalType(
        id="single_threaded", side="churn", agent="multithread", effects=(("churn", 0.3),), derived=True, label="Single-threaded",
        description="derived: only one customer contact is engaged in the trailing window, or no one senior is",
    ),
    SignalType(
        id="expansion_interest", side="expansion", agent="expansion", effects=(("expansion", 2.0),), label="Expansion interest",
        description="interest in more seats, a higher tier, an add-on module, more usage or a pricing quote for more",
    ),
    SignalType(
        id="new_use_case", side="expansion", agent="expansion", effects=(("expansion", 1.5),), label="New use case",
        description="another team, department, region, or use case wants to adopt the product",
    ),
    SignalType(
        id="growth_event", side="expansion", agent="expansion", effects=(("expansion", 0.8),), label="Growth event",
        description="the customer is growing: hiring, funding, acquisition, new office or market",
    ),
    SignalType(
        id="advocacy", side="expansion", agent="expansion", effects=(("expansion", 0.6), ("churn", -0.4)), label="Advocacy",
        description="clear praise, a measured win or ROI, willingness to be a reference or case study, renewal confidence",
    ),
    SignalType(
        id="action_item", side="task", agent="task", effects=(), label="Action item",
        description="someone commits to do something, or asks the vendor to do something, with an owner and often a due date",
    ),
)

BY_ID: dict[str, SignalType] = {t.id: t for t in CATALOG}
IDS: tuple[str, ...] = tuple(t.id for t in CATALOG)
MESSAGE_TYPES: tuple[str, ...] = tuple(t.id for t in CATALOG if not t.derived)
DERIVED_TYPES: tuple[str, ...] = tuple(t.id for t in CATALOG if t.derived)
# The only types a vendor-side message can raise: commitments and requests, not customer signals.
TASK_TYPES: frozenset[str] = frozenset(t.id for t in CATALOG if t.side == "task")


def get(type_id: str) -> SignalType:
    """The catalog entry for `type_id`; KeyError names the known ids."""
    try:
        return BY_ID[type_id]
    except KeyError:
        raise KeyError(f"unknown signal type {type_id!r}; known: {', '.join(IDS)}") from None


def types_for_agent(agent: str) -> tuple[SignalType, ...]:
    return tuple(t for t in CATALOG if t.agent == agent)
