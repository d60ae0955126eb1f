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
    # Regular-expression fragments the cue-based local classifier matches,
    # case-insensitive, on word boundaries.  Deliberately conservative.
    cues: tuple[str, ...] = ()
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.id.replace("_", " ").capitalize()


CATALOG: tuple[SignalType, ...] = (
    SignalType(
        id="churn_intent", side="churn", agent="risk", weight=0.45, label="Churn intent",
        description="the customer says or implies they may cancel, not renew, or move off the product",
        cues=(
            r"(?:not|won'?t|will not|don'?t|do not)\s+(?:be\s+)?(?:planning\s+(?:on|to)\s+)?renew(?:ing)?",
            r"not\s+(?:going|planning)\s+to\s+renew", r"cancel(?:ling|ing)?\s+(?:our|the|my)\s+(?:subscription|contract|account|plan|licen[cs]e)",
            r"terminat(?:e|ing|ion)\s+(?:our|the|my)?\s*(?:contract|agreement|account|subscription)",
            r"terminate\s+early", r"close\s+(?:our|my)\s+account", r"(?:moving|move|migrat\w+|switch\w*)\s+(?:off|away\s+from)\b",
            r"sunset(?:ting)?\s+(?:our|the)\s+(?:use|usage|account)", r"consolidat\w+\s+onto",
            r"(?:won'?t|will not|may not|might not)\s+(?:be\s+)?(?:renewing|continuing)", r"notice\s+of\s+non-?renewal",
            r"last\s+(?:month|quarter|year)\s+(?:with|on|using)\s+(?:you|your|the platform)", r"(?:wind|winding)\s+down\s+(?:our|the)\s+(?:use|account|contract)",
            r"end\s+(?:our|the)\s+(?:contract|subscription)", r"opt(?:ing)?\s+out\s+of\s+(?:the\s+)?renewal",
            r"auto-?renew\w*\s+(?:off|turned off)", r"(?:turn|turning)\s+off\s+(?:the\s+)?auto-?renew\w*",
        ),
    ),
    SignalType(
        id="competitor_mention", side="churn", agent="risk", weight=0.25, label="Competitor mention",
        description="the customer is evaluating, piloting, comparing with, or being pitched by a competing product",
        cues=(
            r"(?:evaluat|pilot|trial|demo|look)\w*\s+(?:at\s+)?(?:other|alternative|another)\s+(?:vendor|tool|platform|product|option)s?",
            r"(?:pilot|trial|poc|proof of concept)\w*\s+(?:with|of)\s+[A-Z]\w+", r"\balternatives?\b\s+(?:to|for)\s+(?:you|your|this)",
            r"(?:compar|benchmark)\w*\s+(?:you|your\s+\w+|it)\s+(?:with|to|against)", r"competitor", r"rfp",
            r"(?:pitched|reached out)\s+(?:to\s+us\s+)?by\s+[A-Z]\w+", r"(?:cheaper|better)\s+(?:option|tool|alternative|quote)\s+from",
            r"side[- ]by[- ]side", r"bake-?off", r"(?:shopping|shop)\s+around",
        ),
    ),
    SignalType(
        id="budget_pressure", side="contraction", agent="risk", weight=0.35, label="Budget pressure",
        description="budget cuts, cost-cutting reviews, price push-back, requests to remove seats, downgrade a plan or drop a module",
        cues=(
            r"budget\s+(?:cut|cuts|freeze|pressure|review|is tight|got cut|was cut|reduction)", r"cut(?:ting)?\s+(?:costs|spend|our spend|\d+%|back)",
            r"(?:reduce|remove|drop|cut)\s+(?:\w+\s+){0,2}(?:seats|licen[cs]es|users)", r"downgrad\w+", r"too\s+expensive",
            r"price\s+increase", r"(?:discount|cheaper)\b", r"(?:cfo|finance|procurement)\s+(?:is|are|wants|asked|scrutini[sz]\w+)",
            r"cost[- ]cutting", r"(?:drop|remove|cancel)\w*\s+the\s+\w+\s+(?:module|add-?on)", r"hiring\s+freeze", r"line\s+item",
            r"spend\s+review", r"tighten\w*\s+(?:the\s+)?belt",
        ),
    ),
    SignalType(
        id="champion_departure", side="churn", agent="multithread", weight=0.3, label="Champion departure",
        description="a key contact (champion, sponsor, admin, decision maker) leaves, changes role, goes on long leave, or a re-org removes them",
        cues=(
            r"last\s+day", r"(?:is|am|i'm|i am|she's|he's|they're)\s+leaving", r"(?:moving|transition\w*)\s+(?:over\s+)?to\s+(?:the\s+)?\w+\s+team",
            r"(?:has|have)\s+left\s+(?:the\s+company|us)", r"parental\s+leave", r"maternity\s+leave", r"sabbatical", r"re-?org",
            r"will\s+take\s+over", r"taking\s+over\s+(?:from|as)", r"new\s+role", r"stepping\s+down", r"(?:no longer|not)\s+(?:with|at)\s+(?:the company|us)",
            r"handing\s+(?:this|it|things)\s+over", r"replacement\s+(?:for|hasn't)",
        ),
    ),
    SignalType(
        id="dissatisfaction", side="churn", agent="risk", weight=0.2, label="Dissatisfaction",
        description="frustration, escalation, complaints about bugs, outages, support, onboarding or missing value",
        cues=(
            r"not\s+acceptable", r"unacceptable", r"frustrat\w+", r"disappoint\w+", r"escalat\w+", r"outage", r"(?:still|again)\s+(?:broken|down|failing|not working)",
            r"(?:is|are|keeps?)\s+(?:broken|crashing|failing)", r"no\s+(?:one|response|reply)\s+(?:has\s+)?(?:got|gotten|responded|replied|from)",
            r"(?:third|fourth|fifth|another)\s+(?:time|outage|incident)", r"waste\s+of", r"not\s+(?:getting|seeing)\s+(?:any\s+)?value",
            r"(?:slow|terrible|awful|poor)\s+(?:support|response|performance)", r"fed\s+up", r"(?:very|really|extremely)\s+(?:unhappy|annoyed)",
            r"losing\s+(?:patience|confidence|trust)",
        ),
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
        cues=(
            r"(?:more|additional|extra|\d+\s+more)\s+(?:seats|licen[cs]es|users)", r"upgrad\w+\s+(?:to|our|the)", r"(?:enterprise|premium|higher)\s+(?:tier|plan)",
            r"pricing\s+(?:for|on)", r"(?:send|share|get)\s+(?:us\s+|me\s+)?(?:a\s+)?(?:quote|pricing)", r"add-?on", r"add\s+(?:\w+\s+){0,2}(?:seats|users|module)",
            r"(?:expand|expanding|roll(?:ing)?\s+(?:it\s+)?out)\s+(?:to|across)", r"increase\s+(?:our\s+)?(?:limit|quota|usage|volume)",
        ),
    ),
    SignalType(
        id="new_use_case", side="expansion", agent="expansion", weight=0.3, label="New use case",
        description="another team, department, region, or use case wants to adopt the product",
        cues=(
            r"(?:team|org|department|group|division|region|office)\s+(?:\w+\s+){0,2}(?:wants|want|would like|asked|is asking)\s+(?:in|to\s+(?:use|try|adopt|get))",
            r"wants?\s+in\b", r"(?:another|other|second)\s+(?:team|department|business unit|region)", r"(?:use|using)\s+it\s+for\s+\w+\s+too",
            r"(?:emea|apac|latam|european|uk)\s+(?:team|office|org)", r"new\s+use\s+case",
        ),
    ),
    SignalType(
        id="growth_event", side="expansion", agent="expansion", weight=0.2, label="Growth event",
        description="the customer is growing: hiring, funding, acquisition, new office or market",
        cues=(
            r"series\s+[a-f]\b", r"(?:raised|closed)\s+(?:our|a|the)\s+(?:\w+\s+)?(?:round|funding)", r"(?:doubling|tripling)\s+(?:the|our)\s+(?:team|headcount)",
            r"hiring\s+(?:\d+|a lot|like crazy)", r"new\s+office", r"(?:acquired|acquisition\s+of)", r"(?:launch\w*|expand\w*)\s+(?:in|into)\s+(?:a\s+)?new\s+market",
            r"(?:ipo|going public)", r"headcount\s+(?:is\s+)?(?:growing|up)",
        ),
    ),
    SignalType(
        id="advocacy", side="expansion", agent="expansion", weight=0.15, label="Advocacy",
        description="clear praise, a measured win or ROI, willingness to be a reference or case study, renewal confidence",
        cues=(
            r"case\s+study", r"(?:happy|glad)\s+to\s+(?:be\s+a\s+)?(?:reference|speak|share)", r"(?:love|loving)\s+(?:the|this|it|your)", r"game[- ]changer",
            r"cut\s+(?:our|the)\s+\w+\s+(?:\w+\s+)?in\s+half", r"saved\s+(?:us\s+)?\d+", r"(?:definitely|happy to)\s+renew", r"(?:roi|return on investment)",
            r"(?:huge|big|massive)\s+(?:win|help)", r"recommend(?:ed)?\s+you",
        ),
    ),
    SignalType(
        id="action_item", side="task", agent="task", weight=0.0, label="Action item",
        description="someone commits to do something, or asks the vendor to do something, with an owner and often a due date",
        cues=(
            r"i'?ll\s+(?:send|share|get|follow|set up|schedule|loop|circle|check|look|put|draft|book|post|update|confirm|review|have)",
            r"i\s+will\s+\w+", r"we'?ll\s+(?:send|share|get|follow|set up|schedule|review|have|confirm|look)",
            r"(?:can|could|would)\s+you\s+(?:please\s+)?(?:send|share|set up|schedule|provide|look|check|confirm|help|get|walk|put)",
            r"please\s+(?:send|share|set up|schedule|provide|confirm|review)", r"let\s+me\s+(?:send|get|check|follow|loop|circle)",
            r"action\s+item", r"next\s+steps?:",
        ),
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
