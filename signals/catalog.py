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


# A capitalised word that is not a month, a weekday or a quarter: most likely
# a product or company name ("a pilot with Heap", "demos from Pendo").
_NAME = (r"(?!(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|q[1-4]\b"
         r"|i\b|we\b|our\b|the\b|they\b|it\b))(?-i:[A-Z])[\w.&-]+")

# Verbs of doing something for someone, shared by the action-item cues.
_ACTS = (r"(?:send|share|get(?!\s+to\b)|forward|email|post|put\s+(?:\S+\s+)?together|pull|prepare|draft|write\s+up|set\s+up|"
         r"schedule|book|arrange|organi[sz]e|loop|circle|follow|check|look\s+(?:at|into|over|through)|dig|investigate|confirm|"
         r"review|update|fix|correct|assign|add|remove|make|create|provide|submit|sign|route|introduce|intro|ping|reach\s+out|"
         r"call|walk\s+(?:us|me|them)|do|price|quote|resend|handle|grant|enable|turn\s+on|give|find|ask|chase|pass|"
         r"connect|show|hop|jump|file|talk\s+to|chat\s+with|take\s+(?:a\s+look|care|you)|come\s+up\s+with|figure\s+out|"
         r"work\s+on|go\s+(?:through|over)|run\s+through|bring|download|pick\s+up|grab|reply|respond|touch\s+base|"
         r"sort\s+out|let\s+(?:you|them|him|her)\s+know|keep\s+(?:you|them)\s+posted)\b")


CATALOG: tuple[SignalType, ...] = (
    SignalType(
        id="churn_intent", side="churn", agent="risk", weight=0.45, label="Churn intent",
        description="the customer says or implies they may cancel, not renew, or move off the product",
        cues=(
            # not renewing / not continuing
            r"(?:won't|will\s+not|wouldn't|don't|do\s+not|does\s+not|doesn't|not|unlikely\s+to|can't|cannot)\s+(?:\S+\s+){0,5}?"
            r"(?:renew|renewing|continue|continuing|extend|extending|re-?sign|recommend\w*\s+(?:a\s+)?renewal)",
            r"non-?renewal", r"(?:intend|plan|planning|decided|decision)\s+(?:\S+\s+){0,2}not\s+to\s+(?:renew|continue|extend)",
            r"(?:let|letting|allow|allowing)\s+(?:\S+\s+){0,3}(?:lapse|expire|run\s+out)",
            r"(?:not\s+sure|don't\s+know|unclear)\s+(?:\S+\s+){0,5}(?:next|another|second)\s+(?:term|year|renewal|contract)",
            r"make\s+the\s+case\s+for\s+(?:\S+\s+){0,2}(?:another|next|a\s+second|renew\w*)",
            r"(?:(?:don't|do\s+not)\s+know\s+)?(?:how|can't|cannot|hard\s+to|struggl\w+\s+to)\s+(?:\S+\s+){0,2}(?:defend|justify)\s+(?:this"
            r"|it|the\s+(?:spend|cost|renewal|contract|tool))\s+internally",
            # ending the contract or account
            r"(?<![\w-])(?:cancel|terminat|clos|delet|deactivat|discontinu|shut\w*\s+down|end|remov|get\s+rid\s+of|stop|disabl|quit|inactivat"
            r"|invalidat)\w*"
            r"\s+(?:out\s+|down\s+)?(?:of\s+)?(?:(?:our|my|the|this|an|a|your|all|all\s+of\s+(?:my|our))\s+)?(?:current\s+|whole\s+"
            r"|entire\s+)?"
            r"(?:(?!user|test|demo|sandbox|duplicate|old|extra|unused|dummy|guest|admin|service|former|inactive|personal)[\w-]+\s+)?"
            r"(?:account|subscription|contract|membership|licen[cs]e|agreement)s?\b",
            r"(?:cancell?ation|termination|deletion|closure|removal|closing)\s+of\s+(?:\S+\s+){0,2}(?:account|subscription|contract"
            r"|membership)",
            r"(?:account|subscription|contract|membership)\s+(?:cancell?ations?|terminations?|deletions?|closures?|removals?)",
            r"(?:cancell?ation|termination|early\s+exit|exit)\s+(?:fees?|penalt\w+|charges?|costs?)",
            r"(?:don't|do\s+not|no\s+longer)\s+(?:want|need|wish)\s+(?:to\s+keep\s+)?(?:this|my|our|the)\s+(?:account|subscription|service"
            r"|product|tool|contract)",
            r"(?:finish\w*|done)\s+(?:up\s+)?with\s+(?:this|my|our|your)\s+(?:account|service|product|platform|tool)",
            r"(?:account|subscription|contract|agreement)\s+(?:to\s+be\s+|be\s+|being\s+|should\s+be\s+)?(?:closed|deleted|terminated"
            r"|cancell?ed|deactivated|removed)",
            r"(?:early\s+)?terminat\w+\s+(?:\S+\s+){0,2}(?:early|option|clause|for\s+convenience|fee)", r"early\s+terminat\w+",
            r"notice\s+period",
            r"give\s+(?:\S+\s+){0,2}notice",
            r"(?:doesn't|does\s+not|won't|not)\s+(?:auto-?)?(?:roll\s+over|auto-?renew)",
            r"(?:turn\w*|switch\w*)\s+off\s+(?:the\s+)?auto-?renew\w*", r"opt\w*\s+out\s+of\s+(?:the\s+)?(?:renewal|auto-?renew\w*)",
            r"no\s+longer\s+(?:want|wish|need)\s+(?:to\s+be\s+a\s+customer|to\s+use\s+(?:you|your|the\s+(?:product|service|platform|tool)))",
            r"(?:stop|quit)\s+using\s+(?:you|your\s+(?:product|platform|tool|service|app))", r"pull\w*\s+the\s+plug",
            # moving off, consolidating, replacing
            r"(?:mov|migrat|switch|transition)\w*\s+(?:\S+\s+){0,2}(?:off|away\s+from)\s+(?:you|your|the\s+platform|it)\b",
            r"consolidat\w+\s+(?:\S+\s+){0,4}onto",
            r"consolidat\w+\s+(?:on\s+|to\s+)?(?:one|a\s+single)\s+(?:\S+\s+)?(?:vendor|tool|platform|provider|stack)",
            r"why\s+(?:we|i)\s+(?:didn't|haven't|don't|aren't)\s+(?:just\s+)?(?:switch|mov|leav|chang)\w*",
            r"(?:whether|if)\s+we\s+(?:still|really|even)\s+need\s+(?:\S+\s+){0,3}(?:tool|platform|product|vendor|subscription|contract)",
            r"one\s+of\s+(?:the\s+)?(?:two|them|us)\s+(?:goes|has\s+to\s+go|will\s+go|gets\s+cut|is\s+going)",
            r"(?:the\s+)?one\s+(?:we|we'll)\s+keep",
            r"build\w*\s+(?:\S+\s+){0,5}(?:ourselves|in-?house)", r"replac\w+\s+(?:you|your\s+(?:product|platform|tool))\b",
            r"(?:we're|we\s+are|we'll\s+be)\s+(?:out|gone)(?=\s*[.!])",
            r"reconsider\w*\s+(?:\S+\s+)?(?:renew\w*|the\s+contract|our\s+contract)",
            r"keep\w*\s+our\s+options\s+open", r"why\s+(?:we're|we\s+are)\s+(?:still\s+)?paying\s+for",
            r"(?:go|going|went|gone)\s+with\s+(?:another|a\s+different|a\s+new|an\s+alternative|a\s+competing)\s+(?:vendor|provider|tool"
            r"|platform|solution)",
            r"(?:sunset\w*|phas\w+\s+out|wind\w*\s+down|retir\w+)\s+(?:our\s+|the\s+)?(?:use|usage)\s+of",
            r"wind\w*\s+(?:things|it|everything)\s+down",
            r"(?:cancell?ation|termination|exit)\s+(?:terms|clause|policy|process|options?|rights)",
            r"last\s+(?:year|term|month|quarter|renewal)\s+(?:with|on|using)\s+(?:you|your)",
            r"exit\w*\s+(?:the|our|this)\s+(?:contract|agreement|relationship)",
            r"wind\w*\s+down\s+(?:our|the)\s+(?:use|usage|account|contract|subscription)",
            # the data and the exit
            r"happens\s+to\s+(?:our|my)\s+(?:\S+\s+){0,2}data\s+(?:if|when|after)",
            r"(?:export|copy|download)\w*\s+(?:\S+\s+){0,8}before\s+(?:(?:the\s+|our\s+)?(?:contract|subscription|renewal|term)|we\s+"
            r"(?:cancel|leave|go|switch|move))",
        ),
    ),
    SignalType(
        id="competitor_mention", side="churn", agent="risk", weight=0.25, label="Competitor mention",
        description="the customer is evaluating, piloting, comparing with, or being pitched by a competing product",
        cues=(
            rf"(?:pilot|trial|poc|proof\s+of\s+concept|bake-?off|evaluation)\w*\s+(?:with|of)\s+{_NAME}",
            r"running\s+(?:\S+\s+){0,5}as\s+a\s+(?:pilot|trial|poc|test)",
            r"(?:run\w*|ran|trial\w*|test\w*|pilot\w*|using|use)\s+(?:\S+\s+){1,3}in\s+parallel",
            r"side[- ]by[- ]side", r"head[- ]to[- ]head", r"bake-?off", r"comes?\s+out\s+ahead",
            rf"(?:using|use|go\s+with|switch\s+to)\s+{_NAME}\s+(?:\S+\s+){{0,3}}instead",
            r"pitched\s+us",
            r"stack\w*\s+up\s+(?:against|to|with)",
            r"shortlist\w*", r"(?:two|three|four|several|multiple)\s+(?:other\s+)?vendors",
            r"(?:move|moving|switch\w*|migrat\w*)\s+to\s+(?:a|an)\s+(?:\S+\s+)?(?:alternative|competitor|different\s+(?:vendor|tool|provider"
            r"|platform))",
            rf"(?:spun|spin\w*|stood|stand\w*|set|setting)\s+up\s+{_NAME}\s+(?:on|for|in|to)",
            rf"consolidat\w+\s+(?:\S+\s+){{0,4}}onto\s+{_NAME}",
            r"(?:putting\s+together|doing|running|do|did)\s+a\s+comparison",
            rf"(?:versus|vs\.?)\s+{_NAME}",
            rf"(?:compar|overlap|differ)\w*\s+(?:\S+\s+){{0,3}}(?:with|to|against|between|from)\s+{_NAME}",
            rf"(?:demos?|pitch\w*|proposals?|quotes?|offers?|pricing)\s+from\s+{_NAME}",
            r"(?:aggressive|cheaper|lower|competing|rival|competitive)\s+(?:\S+\s+)?(?:quote|offer|proposal|bid|tender)",
            r"(?:quoting|quoted|offering|offered|came\s+in\s+at)\s+(?:us\s+)?(?:\S+\s+){0,2}(?:half|less|lower|cheaper|\d+%\s+(?:less|lower"
            r"|cheaper|below))",
            r"(?:invited|asked)\s+(?:\S+\s+){1,4}to\s+(?:submit|send|present)\s+(?:a\s+|their\s+)?(?:proposals?|bids?|quotes?|offers?)",
            r"competitive\s+(?:tender|bid|process|evaluation|review)", r"rfp", r"request\s+for\s+proposals?",
            r"(?:evaluat|look|explor|consider|research|review|benchmark|compar|talk|speak|meet)\w*\s+(?:\S+\s+){0,3}(?:other|alternative"
            r"|another|different|competing)\s+(?:vendors?|tools?|platforms?|products?|options|providers?|solutions?)",
            r"(?:evaluat|look|explor|consider|research)\w*\s+(?:at\s+|into\s+|for\s+)?(?:\S+\s+)?alternatives?",
            rf"evaluat\w+\s+{_NAME}", rf"switch\w*\s+(?:over\s+)?to\s+{_NAME}",
            r"(?:on|using|picked|chose|have)\s+the\s+(?:right|wrong)\s+(?:tool|platform|vendor|product)",
            rf"already\s+(?:lives?\s+in|uses?|pays?\s+for|runs?\s+on)\s+{_NAME}", r"competitors?\s+(?:of\s+yours|to\s+you|like)",
            r"(?:folks|reps?|people|sales\s+team)\s+(?:over\s+)?(?:at\s+\S+\s+)?reached\s+out\s+(?:to\s+us\s+)?(?:\S+\s+){0,4}(?:quote|offer"
            r"|pitch|demo|deal)",
        ),
    ),
    SignalType(
        id="budget_pressure", side="contraction", agent="risk", weight=0.35, label="Budget pressure",
        description="budget cuts, cost-cutting reviews, price push-back, requests to remove seats, downgrade a plan or drop a module",
        cues=(
            r"(?:budget|spend|spending|cost)\s+(?:cuts?|freeze|frozen|pressure|review|reduction|constraints?|squeeze)",
            r"budget\s+(?:is|was|got|has\s+been)\s+(?:\S+\s+)?(?:cut|slashed|reduced|frozen|tight)",
            r"(?:budget|funding)\s+(?:just\s+)?(?:isn't|is\s+not|wasn't)\s+(?:there|available)",
            r"(?:frozen|freez\w*|froze)\s+(?:\S+\s+){0,3}(?:spend|spending|budgets?|line\s+items?|purchas\w+|software|tool\w*)",
            r"(?:cut|cuts|cutting|reduc\w+|trim\w*|slash\w*|lower\w*)\s+(?:\S+\s+){0,3}(?:spend|spending|costs?|budget|seats|licen[cs]es"
            r"|seat\s+count|bill)",
            r"(?:remov|drop|take|taking|get\s+rid\s+of|los|cancel)\w*\s+(?:\S+\s+){0,3}(?:seats|licen[cs]es|users|module|add-?on)",
            r"(?:drop|remov|cut|take|taking)\w*\s+(?:\S+\s+){0,3}(?:off\s+)?at\s+(?:the\s+)?renewal",
            r"(?:fewer|less)\s+(?:seats|licen[cs]es|users)", r"smaller\s+(?:footprint|plan|package|tier|deal|contract)",
            r"(?:dropping|drop|going|go|moving|move|step\w*)\s+down\s+to", r"down\s+from\s+\d+\s+(?:seats|users|licen)",
            r"downgrad\w*\s+(?:our\s+|the\s+|to\s+|us\s+)?(?:plan|tier|subscription|licen|seats|account|package|to)",
            r"(?:get|getting)\s+away\s+with\s+(?:a\s+|the\s+)?(?:cheaper|smaller|lower|fewer|less|basic|starter|lite)",
            r"(?:increase|uplift|hike|price|renewal\s+quote)\s+(?:\S+\s+){0,3}(?:doesn't|does\s+not|won't|can't)\s+work",
            r"too\s+(?:expensive|pricey|costly)",
            r"(?:price|pricing|cost)\s+(?:is|are)\s+(?:\S+\s+)?(?:too\s+high|steep|hard\s+to\s+justify)",
            r"closer\s+(?:on|to)\s+(?:the\s+)?(?:price|last\s+year|our\s+budget|budget)",
            r"(?:discount|price\s+match|lower\s+price|better\s+(?:price|rate))",
            r"(?:has|needs)\s+to\s+(?:be|come\s+in)\s+under",
            r"(?:can't|cannot|couldn't)\s+justify\s+(?:paying|the\s+(?:cost|spend|price)|spending)",
            r"justify\s+(?:its|their|our|every|any|each)\s+(?:\S+\s+){0,2}(?:line\s+items?|spend|tool|costs?|subscription)",
            r"(?:tooling|software|vendor|spend|cost|saas)\s+(?:review|audit|rationali[sz]ation|consolidation)",
            r"lay-?offs?", r"laid\s+off", r"reduction\s+in\s+force", r"right-?siz\w+", r"downsiz\w+", r"cost[- ]cutting",
            r"chopping\s+block", r"tighten\w*\s+(?:\S+\s+)?belts?", r"hiring\s+freeze",
            r"(?:asking|asked|ask)\s+(?:every|all|each)\s+(?:vendor|supplier|team|tool)s?\s+(?:for|to)",
            r"(?:can't|cannot|can\s+no\s+longer|couldn't)\s+afford",
            r"(?:money|budget|budgets|cash|funds|spend)\s+(?:is|are|'s)\s+(?:\S+\s+)?(?:tight|limited|constrained|frozen)",
            r"scal\w+\s+back",
            r"cheaper\s+(?:plan|tier|option|package|alternative)",
            r"(?:non-?starter|deal-?breaker|out\s+of\s+(?:our\s+)?budget)", r"(?:seats|users|licen\w*)\s+down\s+to\s+\d+",
            r"(?:biggest|largest|highest)\s+(?:\S+\s+)?(?:costs?|expenses?|line\s+items?|spend)",
            r"(?:find|identify|make|looking\s+for)\s+(?:\S+\s+)?savings",
            r"(?:module|add-?on|seats|licen\w*|tool|plan)\s+(?:\S+\s+){0,2}(?:has|have|may\s+have|might\s+have|will\s+have)\s+to\s+go",
            r"(?:cfo|finance|procurement|leadership|controller)\s+(?:is|are|has\s+been)\s+(?:questioning|scrutini[sz]ing|reviewing|auditing"
            r"|cutting|challenging)",
            r"paying\s+twice",
            r"(?:finance|cfo|procurement|controller)\s+(?:\S+\s+){0,4}(?:ask|asking|asked|question\w*)\s+(?:\S+\s+){0,2}why\s+we",
            r"(?:tough|hard|difficult)\s+conversation\s+with\s+(?:our|my)\s+(?:cfo|finance|procurement|boss|leadership)",
        ),
    ),
    SignalType(
        id="champion_departure", side="churn", agent="multithread", weight=0.3, label="Champion departure",
        description="a key contact (champion, sponsor, admin, decision maker) leaves, changes role, goes on long leave, or a re-org removes them",
        cues=(
            r"(?:my|her|his|their)\s+last\s+(?:day|week)", r"last\s+day\s+(?:here|with|at|is|will)", r"last\s+week\s+here",
            r"accepted\s+(?:a\s+|an\s+)?(?:new\s+)?(?:role|position|job|offer)",
            r"(?:is|am|i'm|she's|he's|they're|are)\s+(?:actually\s+|also\s+)?leaving",
            r"(?:has|have|had|just)\s+left\s+(?:the\s+company|us|the\s+business|the\s+org\w*)",
            r"left\s+the\s+company",
            r"(?:moving|transition\w*|switching)\s+(?:over\s+)?to\s+"
            r"(?:run|lead|head|own|work\s+on|a\s+new\s+role|another\s+team|the\s+\S+\s+(?:team|squad|group|org)|\S+\s+(?:team|squad|group))",
            r"re-?org\w*",
            r"restructur\w+",
            r"leave\s+(?:for\s+)?(?:\S+\s+){0,3}(?:months|quarter)",
            r"(?:parental|maternity|paternity|medical|family|extended|long[- ]term|sick|bereavement)\s+leave",
            r"sabbatical",
            r"no\s+longer\s+(?:be\s+)?(?:the\s+|your\s+)?(?:\S+\s+)?(?:point\s+of\s+contact|owner|contact|involved|responsible|in\s+charge"
            r"|with\s+the\s+company)",
            r"no\s+longer\s+(?:manag|own|lead|run|handl|work\w*\s+on|oversee)\w*",
            r"won't\s+(?:really\s+)?be\s+(?:the\s+one\s+)?(?:owning|involved|on\s+the|running|your|the\s+(?:main\s+)?(?:contact|owner|point))",
            r"will\s+(?:be\s+)?(?:own|owning|take\s+over|taking\s+over|be\s+your|be\s+the\s+(?:main\s+)?(?:\S+\s+)?contact)",
            r"(?:is|are)\s+(?:picking\s+up|covering|taking\s+over)\b", r"taking\s+over\s+(?:from|as)",
            r"(?:own|owning|point\s+of\s+contact|your\s+person|main\s+contact)\s+(?:\S+\s+){0,4}(?:going\s+forward|from\s+here\s+on"
            r"|from\s+now\s+on)",
            r"(?:my|her|his|their)\s+(?:replacement|successor)", r"step\w*\s+down", r"(?:is|am|i'm|she's|he's)\s+retiring",
            r"resign\w*",
            r"hand\w*\s+over\s+(?:the\s+|my\s+)?(?:\S+\s+)?(?:role|responsibilit\w+|ownership|admin)",
            r"before\s+i\s+(?:leave|go)\b",
            r"re-?assign\w*",
            r"left\s+(?:us\s+)?(?:last|this|earlier\s+this)\s+(?:week|month|monday|tuesday|wednesday|thursday|friday)",
            r"(?:handed|hand|put)\s+in\s+(?:my|her|his)\s+notice",
            r"(?:i'm|she's|he's|i\s+am|is)\s+moving\s+on\b",
        ),
    ),
    SignalType(
        id="dissatisfaction", side="churn", agent="risk", weight=0.2, label="Dissatisfaction",
        description="frustration, escalation, complaints about bugs, outages, support, onboarding or missing value",
        cues=(
            r"(?:broken|down|failing|failed|timing\s+out|timed\s+out|times\s+out|spinning|stuck|crash\w*|slow|lagging|loading|erroring|wrong"
            r"|off|missing|incorrect|inaccurate)"
            r"\s+(?:\S+\s+){0,5}?again\b",
            r"(?:second|third|fourth|fifth|sixth|another)\s+(?:\S+\s+){0,2}(?:time|outage|incident|error|failure|engineer|person|week)s?\s+"
            r"(?:this|in\s+a\s+row|we've|i've|that|now|running|in\s+(?:a|the)\s+)",
            r"(?:raised|reported|asked|flagged|mentioned|escalated|chased|followed\s+up)\s+(?:\S+\s+){0,3}(?:two|three|four|five|several"
            r"|multiple|many|\d+|a\s+dozen)\s+times",
            r"(?:asking|waiting|chasing|stuck|broken|failing|been\s+down|been\s+open|ticket\s+open|open)\s+(?:\S+\s+){0,5}since\b",
            r"(?:not|isn't|is\s+not|wasn't|aren't)\s+(?:\S+\s+)?(?:acceptable|ok|okay|good\s+enough|great|the\s+standard|what\s+we\s+(?:paid"
            r"|signed\s+up|were\s+promised))",
            r"(?:not|isn't|aren't|wasn't)\s+(?:really\s+)?(?:helping|helpful|useful|usable|reliable)", r"unacceptable",
            r"frustrat\w+", r"disappoint\w+", r"annoy\w+", r"fed\s+up", r"losing\s+(?:patience|confidence|trust|faith)",
            r"(?:stopped|stop)\s+trusting",
            r"(?:don't|do\s+not|can't|cannot)\s+trust",
            r"(?:nobody|no\s+one)\s+(?:\S+\s+){0,8}?(?:trusts|believes|uses|opens|looks\s+at)",
            r"useless", r"pointless", r"waste\s+of", r"defeats\s+the\s+(?:\S+\s+)?purpose", r"not\s+worth\s+(?:it|the)",
            r"escalat\w+",
            r"(?:hasn't|haven't|has\s+not|didn't|isn't)\s+(?:got|gotten|getting)\s+(?:us\s+)?anywhere", r"getting\s+nowhere",
            r"(?:we\s+were|was|were)\s+promised", r"still\s+(?:don't|doesn't|can't|isn't|aren't|haven't|hasn't|not|no)\b",
            r"literally\s+(?:can't|cannot)", r"re-?explain\w*", r"(?:invoiced|billed|charged)\s+twice", r"double[- ](?:charged|billed)",
            r"billing\s+(?:error|mistake)", r"outage",
            r"keeps?\s+(?:crashing|failing|breaking|timing\s+out|freezing|erroring|going\s+down|dropping)",
            r"(?:nobody|no\s+one)\s+(?:has\s+)?(?:gotten|got|gets|came|comes)\s+back", r"still\s+(?:have|got)\s+(?:nothing|no\b)",
            r"(?:second|third|fourth|fifth|another)\s+time\s+(?:\S+\s+){0,4}(?:this|in\s+a\s+row|today|running)",
            r"(?:hasn't|has\s+not|haven't|didn't|not)\s+(?:\S+\s+)?(?:deliver\w*|live[ds]?\s+up|met|meet)\s+(?:\S+\s+){0,2}(?:value"
            r"|expectations|promise)",
            r"without\s+(?:solving|fixing|resolving|answering|any\s+(?:fix|resolution|answer|response))",
            r"waiting\s+(?:\S+\s+){0,3}(?:weeks|days|months)\s+(?:for|on)", r"ridiculous", r"absurd",
            r"(?:same|generic)\s+(?:help\s+)?(?:article|link|answer|response|canned)", r"(?:unhappy|dissatisfied|upset)\s+(?:with|about)",
            r"(?:file|lodge|lodging|make|making|submit|raise|register|filing)\s+(?:a\s+|an\s+)?(?:formal\s+|consumer\s+|customer\s+)?"
            r"(?:complaint|claim|reclamation)",
            r"complaint\s+(?:against|about)", r"downtime",
            r"(?:still\s+)?seeing\s+the\s+(?:\S+\s+){0,2}(?:issue|bug|problem|lag|error)",
            r"(?:don't|doesn't|do\s+not|never|won't)\s+(?:\S+\s+)?(?:line\s+up|match|tie\s+out|add\s+up|reconcile)",
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
            r"more\s+(?:seats|licen[cs]es|users|logins|editors|viewers)", r"(?:additional|extra)\s+(?:seats|licen[cs]es|users|logins)",
            r"more\s+people\s+(?:\S+\s+){0,4}(?:who|that)\s+(?:want|need|keep\s+asking)",
            r"(?:adding|add|buy|buying|purchase|purchasing)\s+(?:\S+\s+){0,3}(?:seats|licen[cs]es|logins|users)",
            r"talk\s+(?:about\s+)?(?:more\s+)?(?:seats|licen[cs]es|expansion|upgrad\w*)",
            r"(?:quote|pricing|price\s+list|proposal|estimate)\s+for\b",
            r"price\s+(?:that|it|this)\s+out", r"pricing[- ]wise", r"ballpark",
            r"what\s+would\s+it\s+(?:\S+\s+)?(?:look\s+like|cost|take)\s+(?:if\s+we|to)",
            r"(?:upgrad\w*|mov\w*\s+up|go|went|going|moving|move|switch\w*)\s+(?:\S+\s+)?to\s+(?:the\s+)?(?:enterprise|premium|pro|business"
            r"|higher|bigger|larger|next)\b",
            r"(?:mov\w*|upgrad\w*|go|going|went|switch\w*)\s+(?:\S+\s+){0,2}from\s+\S+\s+to\s+(?:enterprise|business|premium|pro|a\s+higher)\b",
            r"(?:higher|bigger|larger|upper)\s+(?:tier|plan|package|edition)", r"(?:enterprise|premium)\s+(?:tier|plan|edition|licen[cs]e)",
            r"roll\w*\s+(?:\S+\s+){0,3}out\s+to\s+(?:the\s+rest|all|every|more|other|another|our\s+\S+\s+team)",
            r"(?:turn|switch)\w*\s+(?:\S+\s+){0,2}on\s+for\s+(?:all|the\s+\S+\s+(?:workspace|team)|everyone|\S+\s+more)",
            r"keep\s+(?:\S+\s+){0,2}(?:past|after|beyond)\s+the\s+trial",
            r"add-?ons?",
            r"(?:will|would|they'll|we'll|you'll|she'll|he'll)\s+need\s+(?:\S+\s+){0,2}(?:access|seats|logins|licen[cs]es|accounts)",
            r"increase\s+(?:our\s+)?(?:limit|quota|usage|volume|seat\s+count|seats)",
            r"interested\s+in\s+(?:\S+\s+){0,3}(?:package|tier|plan|add-?on|module|upgrad\w*|seats|licen\w*|premium|enterprise)",
            r"(?:higher|bigger|larger)\s+(?:\S+\s+)?(?:limit|quota|capacity|volume|allowance)",
            r"(?:expand|extend|roll\w*\s+(?:it\s+)?out)\s+(?:it\s+)?to\s+(?:the\s+whole|the\s+entire|all|every|the\s+rest|more|other|another)",
            r"(?:hitting|hit|reached|reaching|exceed\w*)\s+(?:our\s+|the\s+)?(?:\S+\s+)?(?:limit|cap|quota|allowance)",
            r"(?:bring|onboard|add)\w*\s+(?:another|more|an\s+additional)\s+(?:\S+\s+)?(?:people|users|seats|teams?)",
            r"(?:expand|extend)\s+(?:the\s+|our\s+)?(?:licen[cs]e|contract|subscription|plan|deal|access)\s+to",
        ),
    ),
    SignalType(
        id="new_use_case", side="expansion", agent="expansion", weight=0.3, label="New use case",
        description="another team, department, region, or use case wants to adopt the product",
        cues=(
            r"saw\s+(?:\S+\s+){0,8}(?:now|and)\s+(?:\S+\s+){0,3}(?:wants?|would\s+like|'d\s+like)\b",
            r"(?:team|teams|org|department|dept|group|squad|folks|people|division|unit|lead|director|head|office|finance|marketing|sales"
            r"|support"
            r"|legal|hr|ops|engineering|they|she|he)(?:'ve|'d|'ll|'s)?\s+(?:(?:there|here|now|also|too|really|all|both|would|might|will|keep"
            r"|keeps|are"
            r"|is|just|already|have|has|then)\s+){0,2}(?:wants?|would\s+like|like|asked|asking|might\s+want)\s+"
            r"(?:to\s+(?:use|start|try|adopt|track|get\s+(?:access|set\s+up|seats|their)|join|measure|follow|run|know\s+if\s+they\s+can)|in\b"
            r"|their\s+own|whether\s+they\s+could|if\s+they\s+could|access)",
            r"wants?\s+in\b", r"(?:team|org|department|group|squad)\s+is\s+(?:officially\s+)?(?:in|on\s*board)\b",
            r"(?:team|teams|org|department|dept|group|squad|division|unit|office|ops|branch|subsidiary)\s+(?:\S+\s+){0,2}?"
            r"(?:is|are|has\s+been|have\s+been|has\s+started|have\s+started|started|would\s+be|seems?)\s+(?:\S+\s+)?(?:interested|keen|eager"
            r"|asking|excited)\s+(?:\S+\s+){0,2}?"
            r"(?:us(?:e|ing)|start\w*|try\w*|adopt\w*|track\w*|pilot\w*|access|a\s+login|logins|seats|get\w*\s+(?:set\s+up|access|on))",
            r"(?:team|teams|org|department|division|office|group)\s+(?:\S+\s+){0,2}?(?:would\s+love|wants?|asked|asking|plans?|could|can)\s+"
            r"(?:to\s+)?(?:get\s+set\s+up|start\s+using|pilot\s+it|get\s+access|onboard|be\s+onboarded)",
            r"(?:separate|dedicated|own)\s+(?:workspace|project|instance|account)\s+for\s+(?:our|the|their)\s+(?:\S+\s+)?(?:team|department"
            r"|office|division|group|org)",
            r"(?:using|use)\s+it\s+for\s+(?:\S+\s+){1,4}(?:too|as\s+well)", r"(?:start|begin)\s+using\s+(?:\S+\s+){0,2}(?:as\s+well|too)",
            r"(?:of\s+their\s+own|their\s+own\s+(?:seats|workspace|dashboards|funnels|project|logins|instance))",
            r"(?:new|another|second|separate|different)\s+(?:use\s+case|business\s+unit|department|project\s+for\s+their)",
            r"separate\s+project",
            r"(?:like|want)\s+them\s+(?:working|to\s+work|using|on)\b", r"that's\s+new\s+for\s+us",
            r"(?:use|using|track|tracking)\s+(?:\S+\s+){0,3}for\s+(?:\S+\s+){0,2}too\b",
        ),
    ),
    SignalType(
        id="growth_event", side="expansion", agent="expansion", weight=0.2, label="Growth event",
        description="the customer is growing: hiring, funding, acquisition, new office or market",
        cues=(
            r"series\s+[a-f]\b",
            r"(?:raised|closed|announced|secured|completed)\s+(?:\S+\s+){0,3}(?:round|funding|raise|series|seed|extension|investment"
            r"|financing)",
            r"funding\s+round", r"round\s+of\s+funding", r"(?:seed|growth)\s+round", r"fundrais\w+",
            r"hiring\s+(?:\S+\s+){0,3}(?:~?\d+|a\s+(?:whole|second)|dozens|several|lots|a\s+lot|like\s+crazy|country|engineers|people|pms"
            r"|analysts|reps)",
            r"(?:just\s+)?hired\s+(?:a|an|our|~?\d+|two|three|several)\s+(?:\S+\s+){0,2}(?:manager|head|vp|director|engineers|people|team)",
            r"new\s+hires",
            r"(?:onboarding|adding|bringing\s+on|welcoming)\s+(?:\S+\s+){0,2}(?:new\s+hires|people|engineers|employees|product\s+managers"
            r"|analysts|pms)",
            r"(?:go|grow|gone|going|went|growing|grown)\s+(?:\S+\s+){0,4}from\s+(?:\S+\s+){0,2}(?:people|employees|staff|\d+)\s+to\b",
            r"(?:double|doubling|triple|tripl\w+|quadrupl\w+)\s+(?:\S+\s+){0,3}(?:team|headcount|org|company|size|staff|number\s+of|stores"
            r"|offices|engineering|product)",
            r"(?:open\w*|launch\w*)\s+(?:\S+\s+){0,3}(?:office|hub|entity|location|headquarters|hq|warehouse|store|factory|plant|site|branch"
            r"|clinic)s?\b",
            r"new\s+(?:office|market|region|country|hub)",
            r"(?:went|go|going|goes)\s+live\s+in\s+(?-i:[A-Z])",
            r"(?:expand\w*|going|moving|launch\w*|entering|enter)\s+into\s+(?-i:[A-Z])",
            r"(?:expand\w*|mov\w*|launch\w*|enter\w*|going)\s+into\s+(?:the\s+)?(?:\S+\s+)?(?:market|region|country|countries)",
            r"headcount\s+(?:\S+\s+){0,2}(?:double|triple|grow)",
            r"(?:team|company|org)\s+(?:will|is\s+going\s+to|is\s+set\s+to)\s+(?:double|triple)",
            r"acquir(?:ed|ing)\s+(?:a|an|two|three)\s+(?:\S+\s+)?(?:company|competitor|startup|business|firm)",
            r"(?:launch\w*|live|expand\w*|open\w*)\s+in\s+(?:\S+\s+)?new\s+(?:countries|markets|regions|cities)",
            r"(?:to\s+acquire|acquir(?:ed|ing)\s+(?-i:[A-Z])|acquisition\s+of|merg\w+\s+with|merger\s+with)",
            r"crossed\s+(?:\S+\s+){0,2}(?:million|\d+k|\d+,\d+|users|customers|actives|arr|mrr|revenue)",
            r"(?:revenue|arr|mrr|headcount|sales)\s+(?:has\s+|have\s+)?(?:doubled|tripled|grew|grown)",
            r"ipo",
            r"going\s+public",
            r"build-?out",
        ),
    ),
    SignalType(
        id="advocacy", side="expansion", agent="expansion", weight=0.15, label="Advocacy",
        description="clear praise, a measured win or ROI, willingness to be a reference or case study, renewal confidence",
        cues=(
            r"case\s+study", r"testimonial", r"be\s+a\s+reference", r"reference\s+(?:call|customer)", r"quote\s+or\s+a\s+logo",
            r"(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|any\s+|other\s+|your\s+)?(?:prospects?|customers|buyers)", r"tell\s+that\s+story",
            r"(?:went|gone|dropped|fell|rose|grew|jumped|climbed|improved|increased|decreased|moved|going)\s+(?:\S+\s+){0,2}from\s+(?:like\s+"
            r"|about\s+|around\s+)?\S+\s+to\s+(?:like\s+|about\s+)?\S+?(?:%|\s+percent)",
            r"(?:up|improved|increased|grew|jumped|rose|climbed|boosted)\s+(?:by\s+)?(?:about\s+|around\s+|roughly\s+|nearly\s+|over\s+"
            r"|almost\s+)?\S+\s*(?:%|percent|points|x\b)",
            r"(?:requests|tickets|time|costs?|churn|errors|bugs|backlog)\s+(?:\S+\s+){0,5}(?:down|dropped|fell|reduced|cut)\s+(?:by\s+)?"
            r"(?:about\s+|around\s+)?\d+\s*(?:%|percent)",
            r"saved\s+(?:us\s+|me\s+)?(?:\S+\s+){0,3}(?:\$?\d|hours|days|weeks|an?\s+(?:entire|whole)|afternoon|time|money|tons)",
            r"(?:paid|pays|paying)\s+for\s+itself", r"more\s+than\s+(?:the\s+whole\s+)?(?:tool|it|product|platform|subscription)\s+costs",
            r"you\s+(?:all\s+|guys\s+)?rock",
            r"game[- ]changer",
            r"credit\s+where\s+(?:it's\s+)?due",
            r"(?:huge|big|massive|real)\s+(?:win|help|success|improvement|difference)",
            r"roi",
            r"return\s+on\s+investment",
            r"(?:trial|pilot|tool|product|platform|feature)\s+(?:has\s+been|is|was)\s+(?:\S+\s+){0,2}(?:really|super|incredibly|genuinely"
            r"|so)\s+(?:good|great|useful|valuable)",
            r"has\s+been\s+(?:\S+\s+)?(?:really|super|incredibly|genuinely)\s+(?:good|great|useful|valuable)",
            r"couldn't\s+have\s+(?:\S+\s+){0,8}without\s+(?:it|you|this)", r"no-?brainer",
            r"(?:smoothest|easiest|best)\s+(?:\S+\s+){0,2}(?:we've|i've|we\s+have|i\s+have)\s+ever", 
            r"(?:completely|totally|really)\s+(?:changed|transformed)\s+(?:how|the\s+way)\s+(?:we|our)",
            r"(?:definitely|certainly|absolutely)\s+(?:be\s+)?renew\w*", r"use\s+us\s+as\s+a\s+reference",
            r"happy\s+to\s+(?:\S+\s+){0,3}(?:panel|webinar|reference|case\s+study|testimonial|review|talk|speak|share\s+(?:our|the)\s+"
            r"(?:story|results))",
            r"thanks\s+to\s+(?:you|your|the\s+(?:tool|product|platform|dashboards?))\b",
            r"(?:cut|reduced|saved|halved)\s+(?:our\s+)?(?:\S+\s+){0,2}(?:time|costs?|effort|hours|backlog)\s+by",
            r"best\s+(?:\S+\s+){0,2}(?:vendor|tool|product|partner|platform|purchase|investment)\s+(?:we|i)",
            r"renewal\s+(?:isn't|is\s+not)\s+(?:even\s+)?(?:a\s+)?(?:question|conversation|discussion)",
            r"(?:we're|we\s+are|we'll\s+be|happy\s+to\s+be|definitely)\s+renewing",
            r"signed\s+the\s+renewal",
            r"(?:easiest|easy|smooth)\s+renewal",
            r"nobody\s+(?:\S+\s+){0,2}(?:would\s+let|questioned|wants\s+to\s+lose)",
            r"(?:loves?|loving)\s+(?:it|this|using|(?:the|your)\s+(?:\S+\s+)?(?:tool|product|platform|app|dashboards?|reports?|funnels?"
            r"|views?|features?|charts?|integration))",
            r"proudest",
            r"bring\s+you\s+in",
            r"used\s+to\s+(?:take|be|wait)\s+(?:\S+\s+){0,3}(?:half-day|hours|days|weeks|a\s+(?:day|week))",
            r"caught\s+(?:the\s+)?(?:\S+\s+){0,4}(?:before|within)", r"recommend(?:ed)?\s+you",
        ),
    ),
    SignalType(
        id="action_item", side="task", agent="task", weight=0.0, label="Action item",
        description="someone commits to do something, or asks the vendor to do something, with an owner and often a due date",
        cues=(
            rf"i'll\s+(?:(?:also|then|just|personally|actually|quickly|go\s+ahead\s+and|go|make\s+sure\s+to|try\s+to|remember\s+to)\s+)?{_ACTS}",
            r"i'll\s+have\s+(?:(?-i:[A-Z])\w+|(?:it|that|this|them|something|a\s+\w+)\s+(?:to|over|ready|in|for|by))",
            rf"i\s+will\s+(?:(?:also|then|just|personally)\s+)?{_ACTS}", rf"(?:we'll|we\s+will)\s+(?:(?:also|then|just)\s+)?{_ACTS}",
            rf"(?:i'm|i\s+am|we're|we\s+are)\s+going\s+to\s+(?:go\s+)?{_ACTS}",
            rf"let\s+me\s+{_ACTS}",
            rf"will\s+{_ACTS}\s+(?:you|over|the|a|an|us|me|them|it|that|this)\b",
            rf"(?:can|could|would|will)\s+(?:you|someone|somebody|anyone|your\s+team)\s+(?:on\s+your\s+(?:side|end)\s+)?(?:please\s+)?"
            rf"(?:also\s+)?{_ACTS}",
            r"(?:can|could)\s+we\s+(?:get|have|set\s+up|schedule|book|arrange)\b", rf"please\s+(?:also\s+)?{_ACTS}",
            r"(?:need|needs)\s+(?:you|your\s+team)\s+to\b",
            r"(?:would\s+(?:be\s+great|help|appreciate\s+it)|i'd\s+appreciate\s+it)\s+if\s+you",
            r"coming\s+your\s+way", r"action\s+items?\b", r"next\s+steps?\s*:", r"to-?do\s*:",
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
