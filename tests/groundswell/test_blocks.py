"""Block Kit builders: valid structure, Slack's limits, values that name the alert, inert customer text."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Iterator

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from groundswell.delivery import blocks as B
from groundswell.delivery.replies import HELP_TEXT
from signals.catalog import BY_ID, MESSAGE_TYPES

EVIL = "<!channel> we're leaving, see <http://evil.example|x> & @here"
BLOCK_TYPES = {"header", "section", "context", "divider", "actions"}


def signal(type_: str = "churn_intent", evidence: str = "we're not planning to renew", **extra: Any) -> dict:
    return {"type": type_, "confidence": 0.91, "evidence": evidence, "source": "slack", "message_id": "m1",
            "ts": "2026-10-01T10:00:00Z", "author": "Dana Kim", **extra}


def account(**extra: Any) -> dict:
    base = {"account_id": "ACC-1", "name": "Acme & Sons", "mrr": 12000.0, "renewal_date": "2027-01-15",
            "csm": "U0CSM", "segment": "mid-market", "plan": "pro", "risk_score": 0.42, "expansion_score": 0.1,
            "projected": {"churn_mrr": 4000.0, "contraction_mrr": 500.0, "expansion_mrr": 0.0},
            "signals": [signal(url="https://acme.slack.com/archives/C1/p123")]}
    return base | extra


def action(**extra: Any) -> dict:
    base = {"rank": 1, "id": "abc123", "account_id": "ACC-1", "kind": "save", "title": "Call Acme before renewal",
            "why": "Churn intent: “we're not planning to renew” — Dana Kim, 01 Oct", "impact_mrr": 4000.0,
            "owner": "U0CSM", "due": "2026-11-27", "signal_types": ["churn_intent"]}
    return base | extra


# -- walking a message ----------------------------------------------------------------

def text_objects(node: Any, parent: str = "") -> Iterator[tuple[str, dict]]:
    """Every text object in a block tree, with the key it sits under."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
            yield parent, node
        for key, value in node.items():
            yield from text_objects(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from text_objects(item, parent)


def mrkdwn_texts(message: dict) -> list[str]:
    texts = [t["text"] for _, t in text_objects(message["blocks"]) if t["type"] == "mrkdwn"]
    return texts + ([message["text"]] if "text" in message else [])


def elements(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def assert_valid(blocks: list[dict], *, max_blocks: int = B.MESSAGE_BLOCKS) -> None:
    assert 0 < len(blocks) <= max_blocks
    for block in blocks:
        assert block["type"] in BLOCK_TYPES
        Block.parse(block).validate_json()  # slack_sdk's own checks of types and limits
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= B.HEADER_CHARS
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert len(block.get("text", {}).get("text", "")) <= B.SECTION_CHARS
            assert len(block.get("fields", [])) <= B.FIELDS_PER_SECTION
            assert all(len(f["text"]) <= B.FIELD_CHARS for f in block.get("fields", []))
    for element in elements(blocks):
        if element["type"] == "button":
            assert len(element["text"]["text"]) <= B.BUTTON_TEXT_CHARS
            assert len(element["value"]) <= B.BUTTON_VALUE_CHARS
        if element["type"] == "static_select":
            assert len(element["options"]) <= B.OPTIONS_PER_SELECT
            for option in element["options"]:
                assert len(option["text"]["text"]) <= B.OPTION_TEXT_CHARS and len(option["value"]) <= B.OPTION_VALUE_CHARS
    for _, obj in text_objects(blocks):
        assert obj["text"].strip(), "Slack rejects empty text"


def assert_inert(message: dict) -> None:
    """Customer text cannot ping a channel, hide a link or mention @here."""
    for text in mrkdwn_texts(message):
        assert "<!channel>" not in text and "<!here>" not in text
        assert "<http://evil" not in text
        assert not re.search(r"(?<![\w])@here\b", text)
        assert not re.search(r"&[a-z]{0,4}…", text), "an entity was cut in half"
    for _, obj in text_objects(message["blocks"]):
        assert "<!" not in obj["text"]


# -- alert ---------------------------------------------------------------------------

def test_alert_structure_buttons_and_values() -> None:
    msg = B.alert(account(), action(), account()["signals"], alert_id="al-42")
    assert_valid(msg["blocks"])
    assert msg["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Acme & Sons", "emoji": True}}
    figures = msg["blocks"][1]["text"]["text"]
    assert "$12,000" in figures and "$4,000" in figures and "0.42" in figures and "15 Jan 2027" in figures
    body = "\n".join(mrkdwn_texts(msg))
    assert "*Churn intent*" in body and "91% confident" in body and "> we're not planning to renew" in body
    assert "<https://acme.slack.com/archives/C1/p123|source message>" in body
    assert "Call Acme before renewal" in body and "<@U0CSM>" in body and "Fri 27 Nov" in body

    controls = elements(msg["blocks"])
    ids = [e["action_id"] for e in controls]
    assert ids == ["gs_claim", "gs_snooze", "gs_not_signal", "gs_wrong_type", "gs_open_account"]
    assert len(set(ids)) == len(ids) and set(ids) == set(B.ACTION_IDS)
    assert controls[0]["style"] == "primary" and controls[0]["text"]["text"] == "I'm on it"
    values = [e["value"] for e in controls if "value" in e]
    values += [o["value"] for e in controls for o in e.get("options", [])]
    assert len(values) == 4 + len(MESSAGE_TYPES) - 1
    assert all(B.read_value(v)["alert_id"] == "al-42" for v in values)


def test_wrong_type_offers_the_other_types_with_their_ids() -> None:
    msg = B.alert(account(), action(signal_types=["churn_intent", "competitor_mention"]), [signal()], alert_id="a1")
    [select] = [e for e in elements(msg["blocks"]) if e["type"] == "static_select"]
    offered = [B.read_value(o["value"])["type"] for o in select["options"]]
    assert offered == [t for t in MESSAGE_TYPES if t not in ("churn_intent", "competitor_mention")]
    assert [o["text"]["text"] for o in select["options"]] == [BY_ID[t].title for t in offered]


def test_alert_respects_limits_with_huge_evidence_and_many_signals() -> None:
    many = [signal(evidence="x" * 10_000 + str(i)) for i in range(60)]
    huge = account(name="N" * 500, signals=many)
    msg = B.alert(huge, action(title="T" * 5000, why="W" * 10_000), many, alert_id="a" * B.MAX_ALERT_ID_CHARS)
    assert_valid(msg["blocks"])
    assert sum(1 for b in msg["blocks"] if "confident" in b.get("text", {}).get("text", "")) == B.ALERT_SIGNALS
    assert any("55 more signals" in t for t in mrkdwn_texts(msg))
    assert len(msg["blocks"][0]["text"]["text"]) == B.HEADER_CHARS


def test_alert_escapes_customer_text_everywhere() -> None:
    evil = [signal(evidence=EVIL, author="<@U999> Mallory", url="javascript:alert(1)")]
    msg = B.alert(account(name="Acme <!here>", signals=evil), action(title=f"Reply to “{EVIL}”", why=EVIL), evil,
                  alert_id="a1")
    assert_inert(msg)
    body = "\n".join(mrkdwn_texts(msg))
    assert "&lt;!channel&gt;" in body and "&lt;http://evil.example|x&gt;" in body and "&amp;" in body
    assert "&lt;@U999&gt; Mallory" in body
    assert "javascript:" not in body
    assert "<!here>" not in msg["blocks"][0]["text"]["text"]


def test_truncation_never_cuts_an_entity() -> None:
    msg = B.alert(account(), action(), [signal(evidence="<" * 10_000)], alert_id="a1")
    assert_inert(msg)
    quote = next(t for t in mrkdwn_texts(msg) if "&lt;&lt;" in t)
    assert quote.split("\n")[1].endswith("&lt;…")


def test_links_are_encoded_so_a_url_cannot_close_the_link() -> None:
    msg = B.alert(account(), action(), [signal(url="https://x.example/a|b>c?d=1&e=2")], alert_id="a1")
    body = "\n".join(mrkdwn_texts(msg))
    assert "<https://x.example/a%7Cb%3Ec?d=1&amp;e=2|source message>" in body


def test_alert_ids_are_checked_and_values_read_back() -> None:
    with pytest.raises(ValueError):
        B.alert(account(), action(), [], alert_id="")
    with pytest.raises(ValueError):
        B.alert(account(), action(), [], alert_id="x" * (B.MAX_ALERT_ID_CHARS + 1))
    assert B.read_value(B.action_value("al-1", type="advocacy")) == {"alert_id": "al-1", "type": "advocacy"}
    for bad in ("", "al-1", "[1]", '{"type": "x"}', "null"):
        with pytest.raises(ValueError):
            B.read_value(bad)


def test_expansion_alerts_show_the_expansion_score() -> None:
    msg = B.alert(account(expansion_score=0.77), action(kind="expand", impact_mrr=2500.0,
                                                       signal_types=["expansion_interest"]),
                  [signal("expansion_interest", "we want 50 more seats")], alert_id="a1")
    figures = msg["blocks"][1]["text"]["text"]
    assert "Expansion score* 0.77" in figures and "Upside* $2,500" in figures


# -- daily summary -----------------------------------------------------------------------

def test_summary_has_one_compact_line_per_alert_largest_first() -> None:
    items = [{"account": account(name="Small Co"), "action": action(impact_mrr=100.0)},
             {"account": account(name="Big <Co>"), "action": action(kind="protect", impact_mrr=9000.0,
                                                                    signal_types=["churn_intent"])}]
    msg = B.summary("U0CSM", items)
    assert_valid(msg["blocks"])
    assert_inert(msg)
    lines = msg["blocks"][1]["text"]["text"].split("\n")
    assert len(lines) == 2
    assert lines[0].startswith("• *Big &lt;Co&gt;* · protect · $9,000 at stake · “we're not planning")
    assert "Small Co" in lines[1] and "$100" in lines[1]
    assert "<@U0CSM>" in msg["blocks"][0]["text"]["text"]


def test_summary_shortens_quotes_and_stays_under_fifty_blocks() -> None:
    items = [{"account": account(name=f"Co {i}"), "action": action(impact_mrr=float(i)),
              "signals": [signal(evidence="y" * 5000)]} for i in range(2000)]
    msg = B.summary("maya@vendor.io", items)
    assert_valid(msg["blocks"])
    assert all(len(line) < 400 for t in mrkdwn_texts(msg) for line in t.split("\n"))
    assert "more alerts" in msg["blocks"][-1]["elements"][0]["text"]


def test_summary_with_nothing_says_so() -> None:
    msg = B.summary("U1", [])
    assert_valid(msg["blocks"])
    assert "Nothing today" in msg["blocks"][0]["text"]["text"]


# -- weekly digest ---------------------------------------------------------------------

def report(csms: int = 2) -> dict:
    group = {"projected_churn_mrr": 3000.0, "projected_contraction_mrr": 1000.0, "projected_expansion_mrr": 1500.0,
             "projected_nrr": 97.4, "projected_nrr_range": [93.0, 101.2]}
    accounts = [account(),
                account(account_id="ACC-2", name="Globex", projected={"churn_mrr": 0.0, "contraction_mrr": 0.0,
                                                                      "expansion_mrr": 2500.0},
                        signals=[signal("expansion_interest", f"need 40 more seats {EVIL}")]),
                account(account_id="ACC-3", name="Initech", projected={"churn_mrr": 0.0, "contraction_mrr": 0.0,
                                                                       "expansion_mrr": 0.0}, signals=[])]
    return {"as_of": "2026-11-26",
            "portfolio": {"accounts": 3, "start_mrr": 36000.0, "projected_churn_mrr": 4000.0,
                          "projected_contraction_mrr": 500.0, "projected_expansion_mrr": 2500.0,
                          "projected_nrr": 103.2, "projected_nrr_range": [99.0, 106.1],
                          "projected_grr": 94.1, "projected_grr_range": [90.2, 97.0],
                          "trailing_12m": {"nrr": 101.5, "grr": 92.3},
                          "by_csm": {f"csm{i}@vendor.io": group | {"projected_churn_mrr": 1000.0 * i}
                                     for i in range(csms)},
                          "by_segment": {"enterprise": group, "smb": group | {"projected_nrr": 88.8}}},
            "accounts": accounts, "actions": [action()]}


def test_digest_shows_nrr_with_ranges_and_money_by_csm_and_segment() -> None:
    changes = {"new_risks": ["ACC-1"], "resolved": ["ACC-3", "ACC-GONE"], "nrr_delta": 1.2}
    overdue = [{"title": "Send the SOW", "owner": "U0CSM", "due": "2026-11-20", "account_id": "ACC-1"}]
    msg = B.digest(report(), changes=changes, overdue=overdue, page_url="https://gs.example/digest/2026-11-26")
    assert_valid(msg["blocks"])
    body = "\n".join(mrkdwn_texts(msg))
    assert "*Projected NRR* 103.2% (80% range 99.0–106.1%)" in body
    assert "*GRR* 94.1% (80% range 90.2–97.0%)" in body
    assert "NRR 101.5% · GRR 92.3%" in body and "▲ 1.2 pts since last week" in body
    assert "*MRR at risk* $4,500" in body
    fields = [f["text"] for b in msg["blocks"] for f in b.get("fields", [])]
    assert fields[0].startswith("*csm1@vendor.io*\nAt risk $2,000 · expansion $1,500")   # most at risk first
    assert "NRR 97.4% (80% range 93.0–101.2%)" in fields[0]
    assert any(f.startswith("*smb*") and "88.8%" in f for f in fields)
    assert "*Acme &amp; Sons* — $4,500 of $12,000 MRR" in body
    assert "*Globex* — $2,500 of $12,000 MRR" in body and "need 40 more seats" in body
    assert "*New risks* (1): Acme &amp; Sons" in body and "*Resolved* (2): Initech, ACC-GONE" in body
    assert "Send the SOW — Acme &amp; Sons · <@U0CSM> · due Fri 20 Nov" in body
    assert "<https://gs.example/digest/2026-11-26|Open the full digest>" in body
    assert "103.2%" in msg["text"]
    assert_inert(msg)


def test_digest_top_lists_hold_five_accounts_and_many_csms_fit() -> None:
    big = report(csms=35)
    big["accounts"] = [account(account_id=f"A{i}", name=f"Co {i}") for i in range(30)]
    overdue = [{"title": f"Task {i}", "owner": None, "due": "2026-11-01", "account_id": "A1"} for i in range(500)]
    msg = B.digest(big, changes=None, overdue=overdue, page_url=None)
    assert_valid(msg["blocks"])
    risks = [b for b in msg["blocks"] if b.get("text", {}).get("text", "").startswith("*Co ")]
    assert len(risks) == B.TOP_ACCOUNTS
    body = "\n".join(mrkdwn_texts(msg))
    assert "15 more groups" in body and "more tasks" in body and "Since last week" not in body


def test_digest_without_history_or_ranges_still_renders() -> None:
    bare = {"as_of": "2026-11-26", "portfolio": {"projected_nrr": 100.0, "projected_grr": 100.0,
                                                 "projected_churn_mrr": 0.0, "projected_contraction_mrr": 0.0,
                                                 "projected_expansion_mrr": 0.0}, "accounts": [], "actions": []}
    msg = B.digest(bare, changes={"nrr_delta": -0.5}, overdue=[], page_url="ftp://nope")
    assert_valid(msg["blocks"])
    body = "\n".join(mrkdwn_texts(msg))
    assert "range" not in body and "▼ 0.5 pts" in body and "ftp://" not in body


# -- thread replies ----------------------------------------------------------------------

def test_task_confirmation_says_what_was_applied() -> None:
    task = {"title": "Call Acme", "owner": "U1", "due": "2026-11-27"}
    msg = B.task_confirmation(task, ["assign", "due"])
    assert msg["text"] == "Assigned to <@U1>, due Fri 27 Nov."
    assert_valid(msg["blocks"])
    assert B.task_confirmation(task, ["claim", "assign"])["text"] == "Assigned to <@U1>."
    assert B.task_confirmation({"snoozed_until": "2026-12-03"}, ["snooze"])["text"] == "Snoozed until Thu 3 Dec."
    assert B.task_confirmation({"signal_type": "budget_pressure"}, ["wrong"])["text"].startswith(
        "Re-labelled as Budget pressure")
    assert B.task_confirmation(task, [])["text"] == "Nothing changed."


def test_task_confirmation_escapes_the_task_title() -> None:
    msg = B.task_confirmation({"title": EVIL, "owner": "jane <!here>"}, ["assign"])
    assert_inert(msg)
    assert "jane &lt;!here&gt;" in msg["text"]


def test_help_reply_escapes_the_problem_and_includes_the_help() -> None:
    msg = B.help_reply([f"I didn't understand “{EVIL}”."])
    assert_valid(msg["blocks"])
    assert_inert(msg)
    assert msg["blocks"][-1]["text"]["text"] == HELP_TEXT


# -- App Home and account card ----------------------------------------------------------

def test_home_lists_my_tasks_overdue_first_and_my_accounts_at_risk() -> None:
    tasks = [{"title": "Later", "account_id": "ACC-1", "account_name": "Acme", "due": "2026-12-10"},
             {"title": "Late", "account_id": "ACC-2", "due": "2026-11-20"},
             {"title": "Undated", "account_id": "ACC-3", "due": None}]
    safe = account(name="Calm Co", projected={"churn_mrr": 0.0, "contraction_mrr": 0.0, "expansion_mrr": 10.0})
    view = B.home("U1", tasks, [safe, account()], today=date(2026, 11, 26))
    assert view["type"] == "home"
    View(**view).validate_json()
    assert_valid(view["blocks"], max_blocks=B.HOME_BLOCKS)
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    late, later, undated = texts[1], texts[2], texts[3]
    assert late.startswith("*Late*") and "*overdue* since Fri 20 Nov" in late
    assert later.startswith("*Later*") and "Acme · due Thu 10 Dec" in later and "overdue" not in later
    assert "no due date" in undated
    assert "(1)" in texts[4]
    assert "Acme &amp; Sons* — $4,500 at stake" in texts[5] and "Churn intent: “we're not planning" in texts[5]
    assert not any("Calm Co" in t for t in texts)


def test_home_stays_under_a_hundred_blocks() -> None:
    tasks = [{"title": EVIL * 50, "account_id": "A", "due": "2026-11-01"} for _ in range(300)]
    accounts = [account(name=f"Co {i}", signals=[signal(evidence=EVIL * 200)]) for i in range(300)]
    view = B.home("U1", tasks, accounts, today=date(2026, 11, 26))
    View(**view).validate_json()
    assert_valid(view["blocks"], max_blocks=B.HOME_BLOCKS)
    assert_inert(view)
    assert sum("260 more" in t for t in mrkdwn_texts(view)) == 2


def test_home_with_nothing_says_so() -> None:
    view = B.home("U1", [], [], today=date(2026, 11, 26))
    assert_valid(view["blocks"], max_blocks=B.HOME_BLOCKS)
    body = json.dumps(view)
    assert "No open tasks" in body and "No account at risk" in body


def test_account_card_is_ephemeral_with_figures_and_signals() -> None:
    signals = [signal(evidence=f"quote {i}", confidence=i / 10) for i in range(8)]
    card = B.account_card(account(signals=signals, name="Acme <!channel>"))
    assert card["response_type"] == "ephemeral"
    assert_valid(card["blocks"])
    assert_inert(card)
    fields = [f["text"] for f in card["blocks"][1]["fields"]]
    assert "*MRR*\n$12,000" in fields and "*At risk*\n$4,500" in fields and "*CSM*\n<@U0CSM>" in fields
    quotes = [t for t in mrkdwn_texts(card) if "> quote" in t]
    assert len(quotes) == B.ALERT_SIGNALS and "> quote 7" in quotes[0]    # strongest first
    assert "3 more signals" in json.dumps(card)
