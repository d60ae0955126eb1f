"""The shipped local model: paraphrase, rules no data can unlearn, evidence, owners and dues."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from agents.base import ClassifierError
from agents.classifiers.local import LocalClassifier, load_model
from connectors.base import Message

TS = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)  # a Monday
CLASSIFIER = LocalClassifier()


def classify(text: str, **fields) -> list:
    fields.setdefault("author", "Dana Kim")
    fields.setdefault("author_side", "customer")
    message = Message(source=fields.pop("source", "slack"), source_id="m1", ts=fields.pop("ts", TS), text=text, **fields)
    [verdicts] = CLASSIFIER.classify([message])
    return verdicts


def types(text: str, **fields) -> set[str]:
    return {v.type for v in classify(text, **fields)}


@pytest.mark.parametrize(("type_id", "text"), [
    ("churn_intent", "we'll probably consolidate onto what the parent company uses"),
    ("budget_pressure", "the CFO is scrutinising every line item"),
    ("champion_departure", "I'm moving over to the platform team next month"),
    ("competitor_mention", "We are running a pilot with Gainsight to compare it against you."),
    ("competitor_mention", "Their sales rep came by with a quote 40% lower than yours."),
    ("dissatisfaction", "third outage this month, this is not acceptable"),
    ("expansion_interest", "can you send pricing for 50 more seats?"),
    ("new_use_case", "our support org saw the dashboards and wants in"),
    ("growth_event", "we just closed our Series C and are doubling the team"),
    ("advocacy", "this cut our ticket backlog in half, happy to do a case study"),
])
def test_finds_each_type_in_indirect_phrasing(type_id: str, text: str) -> None:
    assert type_id in types(text)


@pytest.mark.parametrize("text", [
    "can we cancel tomorrow's sync and push it to thursday?",
    "our own customers churned less this quarter, great news for the board deck",
    "Is there a keyboard shortcut to duplicate a chart?",
    "Thanks, that fixed it!",
])
def test_ordinary_talk_and_hard_negatives_carry_no_risk(text: str) -> None:
    assert not types(text) & {"churn_intent", "budget_pressure", "dissatisfaction", "competitor_mention"}


def test_vendor_side_messages_yield_only_action_items() -> None:
    text = "Really sorry about the outage, that is not acceptable on our side. I'll send the RCA by Friday."
    verdicts = classify(text, author="Maya Ortiz", author_side="vendor")
    assert [v.type for v in verdicts] == ["action_item"]
    assert verdicts[0].owner == "Maya Ortiz" and verdicts[0].due == date(2026, 3, 6)


def test_quoted_history_left_in_the_text_is_never_evidence() -> None:
    text = ("Thanks, see you Tuesday.\n\nOn Mon, 2 Mar 2026 at 09:00, Dana <dana@acme.com> wrote:\n"
            "> We will not renew. The CFO wants to cut 40 seats and we are piloting Gainsight.\n")
    verdicts = classify(text, source="email")
    assert not {v.type for v in verdicts} & {"churn_intent", "budget_pressure", "competitor_mention"}
    assert all(">" not in v.evidence for v in verdicts)


def test_evidence_is_the_sentence_that_triggered_it() -> None:
    text = ("Hope you had a good weekend! The team loved the offsite. Finance has asked us to cut 30% of our "
            "seats in Q3. Anyway, see you at the QBR.")
    [budget] = [v for v in classify(text) if v.type == "budget_pressure"]
    assert budget.evidence == "Finance has asked us to cut 30% of our seats in Q3."


@pytest.mark.parametrize(("text", "due"), [
    ("I'll send the SOW by Friday.", date(2026, 3, 6)),
    ("I'll get the revised quote over EOD.", date(2026, 3, 2)),
    ("Could you send the security questionnaire before the QBR on the 14th?", date(2026, 3, 14)),
    ("We'll get legal to review the order form and send it back next week.", date(2026, 3, 13)),
])
def test_action_items_resolve_due_dates_against_the_timestamp(text: str, due: date) -> None:
    [item] = [v for v in classify(text) if v.type == "action_item"]
    assert item.due == due


def test_action_item_owners() -> None:
    [ask] = [v for v in classify("Hi Priya, can you share the API docs?") if v.type == "action_item"]
    assert ask.owner == "Priya"
    [mine] = [v for v in classify("I'll send the signed order form tomorrow.") if v.type == "action_item"]
    assert mine.owner == "Dana Kim"
    [side] = [v for v in classify("I'll send the signed order form tomorrow.", author="unknown")
              if v.type == "action_item"]
    assert side.owner == "customer"


def test_confidence_tracks_strength() -> None:
    strong = classify("We will not be renewing our contract; please send the termination paperwork.")
    weak = classify("not sure yet what next year looks like for this tool, lots of moving parts")
    strong_churn = max(v.confidence for v in strong if v.type == "churn_intent")
    weak_churn = max((v.confidence for v in weak if v.type == "churn_intent"), default=0.0)
    assert strong_churn > 0.8 and strong_churn > weak_churn


def test_a_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClassifierError, match="groundswell train"):
        load_model(tmp_path / "nope.npz")


@pytest.mark.parametrize(("text", "owner"), [
    ("Olá Jess,\n\nCan you send the revised quote by Friday?", "Jess"),
    ("Dear Mr. Breathnach,\n\nPlease send the signed documents by Friday.", "Breathnach"),
    ("Kwame,\n\nKindly send me the cost for the devices by Friday.", "Kwame"),
    ("Thanks, can you send the revised quote by Friday?", "vendor"),  # "Thanks," greets no one
])
def test_requests_belong_to_the_person_the_message_greets(text: str, owner: str) -> None:
    [item] = [v for v in classify(text, source="email") if v.type == "action_item"]
    assert item.owner == owner
