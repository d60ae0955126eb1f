"""email_text: HTML to text, new text vs quoted history, headers, MIME bodies.

The Gmail samples are real `users.messages.get` responses (MIT, see their
README); they are rebuilt as MIME trees so `message_body` reads the same
structures the Gmail connector will.
"""

from __future__ import annotations

import base64
import json
import time
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from connectors.email_text import (
    decode_bytes, decode_header_value, html_to_text, message_body, message_ids, parse_addresses,
    split_reply, strip_subject, thread_root,
)

GMAIL_SAMPLES = (Path(__file__).resolve().parents[2].parent / "shared" / "data" / "public"
                 / "format_samples" / "gmail_api_messages_get")


# -- HTML -------------------------------------------------------------------

def test_html_to_text_keeps_structure_and_drops_markup():
    html = """<html><head><title>Report</title><style>p { color: red }</style></head><body>
    <p>Hi&nbsp;Sam,</p><p>We&#39;re <b>not</b> sure &amp; need   a call.<br>Second line</p>
    <table><tr><th>Team</th><th>Seats</th></tr><tr><td>Support</td><td>40</td></tr></table>
    <ul><li>first</li><li>see <a href="https://x.example/docs">the API docs</a></li></ul>
    <script>var secret = 1;</script><div>a</div><div><br></div><div>b</div></body></html>"""
    assert html_to_text(html) == (
        "Hi Sam,\n\nWe're not sure & need a call.\nSecond line\n\nTeam Seats\nSupport 40\n\n"
        "- first\n- see the API docs\n\na\n\nb")


def test_html_blockquote_reads_as_quoted_history():
    html = ('<div dir="ltr">Sounds good, send the quote.</div><br><div class="gmail_quote">'
            '<div class="gmail_attr">On Tue, Mar 4, 2025 at 9:12 AM Dana Kim &lt;dana@acme.io&gt; wrote:<br></div>'
            '<blockquote class="gmail_quote"><div>Can you price 50 more seats?</div></blockquote></div>')
    new, quoted = split_reply(html_to_text(html))
    assert new == "Sounds good, send the quote."
    assert "> Can you price 50 more seats?" in quoted


def test_html_pre_keeps_line_breaks():
    assert html_to_text("<pre>seats: 40\n  plan: pro</pre><p>done</p>") == "seats: 40\n  plan: pro\n\ndone"


# -- split_reply ------------------------------------------------------------

def test_split_gmail_attribution_and_quotes():
    text = ("I'll send the SOW by Thursday.\n\n"
            "On Tue, Mar 4, 2025 at 9:12 AM Dana Kim <dana@acme.io> wrote:\n"
            "> We're not planning to renew.\n> Dana\n")
    new, quoted = split_reply(text)
    assert new == "I'll send the SOW by Thursday."
    assert quoted.startswith("On Tue, Mar 4") and "not planning to renew" in quoted


@pytest.mark.parametrize("attribution", [
    "On Tue, Mar 4, 2025 at 9:12 AM Dana Kim <dana@acme.io>\nwrote:",
    "Le mar. 4 mars 2025 à 09:12, Dana Kim <dana@acme.io> a écrit :",
    "Am Di., 4. März 2025 um 09:12 Uhr schrieb Dana Kim <dana@acme.io>:",
])
def test_split_attributions_wrapped_and_localised(attribution):
    new, quoted = split_reply(f"Merci, c'est noté.\n\n{attribution}\n\n> old text\n")
    assert new == "Merci, c'est noté."
    assert quoted.endswith("> old text")


def test_split_outlook_header_block_without_separator():
    text = ("Third outage this month.\n\nFrom: Sam Patel <sam@vendor.com>\nSent: Friday, March 7, 2025 9:00 AM\n"
            "To: Lee Wong <lee@acme.io>\nSubject: Outage\n\nAll systems are fine.")
    assert split_reply(text) == ("Third outage this month.", text.split("\n\n", 1)[1])


@pytest.mark.parametrize("marker", ["-----Original Message-----", "Begin forwarded message:",
                                    "---------- Forwarded message ---------"])
def test_split_original_and_forwarded_markers(marker):
    new, quoted = split_reply(f"See below.\n\n{marker}\nFrom: rep@vitally.io\n\nWe can beat their price.")
    assert new == "See below."
    assert "beat their price" in quoted


def test_split_ordinary_from_line_is_not_history():
    text = "From: our finance team, a question.\nWhat does the Pro tier cost?"
    assert split_reply(text) == (text, "")


@pytest.mark.parametrize("separator", ["-- ", "--"])
def test_split_dash_signature(separator):
    new, quoted = split_reply(f"Happy to do a case study.\n{separator}\nDana Kim\nHead of Support\n")
    assert new == "Happy to do a case study."
    assert quoted == f"{separator}\nDana Kim\nHead of Support".strip()


def test_split_sign_off_with_title_and_phone():
    text = ("My last day is Friday.\nSam will take over.\n\nBest regards,\nDana Kim\nVP Operations\n"
            "Acme Inc.\n+1 (555) 010-0199\n\nSent from my iPhone")
    new, quoted = split_reply(text)
    assert new == "My last day is Friday.\nSam will take over."
    assert quoted.startswith("Best regards,") and quoted.endswith("Sent from my iPhone")


def test_split_sign_off_followed_by_prose_is_kept():
    text = ("Quick one.\n\nThanks,\nbut honestly the onboarding has been rough and we are looking at "
            "other tools before the renewal in April.")
    assert split_reply(text) == (text, "")
    assert split_reply("Thanks!") == ("Thanks!", "")


def test_split_bottom_posted_and_inline_replies_keep_new_text():
    text = ("On Mon, Mar 3, 2025 at 4:00 PM Sam <sam@vendor.com> wrote:\n> Can you renew early?\n\n"
            "No, budget is frozen.\n\n> And the add-on?\n\nWe want it for the support team.\n-- \nDana")
    new, quoted = split_reply(text)
    assert new == "No, budget is frozen.\n\nWe want it for the support team."
    assert "> Can you renew early?" in quoted and quoted.endswith("Dana")


def test_split_reply_is_linear_on_hostile_input():
    hostile = ("On " + "x " * 200 + "\n") * 5000 + ("> " * 1000 + "\n") * 5000 + "From: a\n" * 5000
    start = time.perf_counter()
    split_reply(hostile)
    assert time.perf_counter() - start < 2.0


# -- headers ----------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("Re: RE: Fwd: Renewal", "Renewal"), ("AW: WG: Angebot", "Angebot"), ("RE[2]: Seats", "Seats"),
    ("=?UTF-8?Q?Re:_D=C3=A9ploiement?=", "Déploiement"), ("Regarding renewal", "Regarding renewal"),
])
def test_strip_subject(raw, expected):
    assert strip_subject(raw) == expected


def test_thread_root_prefers_references_then_in_reply_to():
    refs = "<root@a.io>\r\n <mid@b.io>"
    assert message_ids(refs) == ["root@a.io", "mid@b.io"]
    assert thread_root(message_id="me@a.io", in_reply_to="<mid@b.io>", references=refs) == "root@a.io"
    assert thread_root(message_id="me@a.io", in_reply_to="<mid@b.io> (Sam's note)", references=None) == "mid@b.io"
    assert thread_root(message_id="me@a.io", in_reply_to=None, references="") == "me@a.io"


def test_parse_addresses_handles_quotes_encoded_words_and_groups():
    found = parse_addresses('"Kim, Dana" <Dana@Acme.IO>, sam@vendor.com',
                            "=?utf-8?q?Ren=C3=A9?= <rene@acme.io>, dana@acme.io",
                            "undisclosed-recipients:;")
    assert found == [("Kim, Dana", "dana@acme.io"), ("", "sam@vendor.com"), ("René", "rene@acme.io")]


def test_decoding_falls_back_instead_of_failing():
    assert decode_bytes("café".encode("cp1252"), None) == "café"
    assert decode_bytes("café".encode(), "x-no-such-charset") == "café"
    assert decode_bytes(b"caf\xe9", "utf-8") == "caf\ufffd"
    assert decode_header_value("=?x-bogus?q?abc?=") == "=?x-bogus?q?abc?="


# -- MIME bodies ------------------------------------------------------------

def test_attached_email_is_ignored_and_blank_plain_falls_back_to_html():
    raw = b"""Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: multipart/alternative; boundary="a"

--a
Content-Type: text/plain

\x20
--a
Content-Type: text/html; charset=utf-8

<p>Please see the attached thread.</p>
--a--
--m
Content-Type: message/rfc822

From: rep@vitally.io
Subject: Offer

We can beat their price.
--m--
"""
    assert message_body(BytesParser(policy=compat32).parsebytes(raw)) == "Please see the attached thread."


# -- MIME bodies from real Gmail API responses -------------------------------

def _mime_from_gmail(part: dict) -> Message:
    """A Gmail API payload as the MIME tree `format=raw` would give (bodies already decoded)."""
    node = Message()
    for header in part.get("headers", []):
        if header["name"].lower() != "content-transfer-encoding":
            node[header["name"]] = header["value"]
    if "Content-Type" not in node:
        node["Content-Type"] = part["mimeType"]
    if part.get("parts"):
        node.set_payload([_mime_from_gmail(p) for p in part["parts"]])
    else:
        data = part.get("body", {}).get("data", "")
        node.set_payload(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return node


def _gmail_sample(name: str) -> Message:
    if not GMAIL_SAMPLES.is_dir():
        pytest.skip(f"Gmail API samples not found at {GMAIL_SAMPLES}")
    data = json.loads((GMAIL_SAMPLES / name).read_text())
    return _mime_from_gmail(data.get("message", data)["payload"])


@pytest.mark.parametrize("sample, body", [
    ("plainTextMessage.json", "The actual message text goes here"),
    ("multipartAlternativeMessage.json", "wow"),
    ("multipartAlternativeDraft.json", "Can it parse *draft *now? Sure can!"),
    ("multipartAlternativePlainTextAttachmentMessage.json", "cool *stuff*"),
    ("multipartAlternativeWithAttachmentsMessage.json", "cool *stuff*"),
])
def test_gmail_samples_body_is_the_plain_part_without_attachments(sample, body):
    text = message_body(_gmail_sample(sample))
    assert text == body
    assert split_reply(text) == (body, "")


def test_gmail_sample_html_parts_convert_to_text():
    msg = _gmail_sample("multipartAlternativePlainTextAttachmentMessage.json")
    html = [p for p in msg.walk() if p.get_content_type() == "text/html"][0]
    assert html_to_text(html.get_payload(decode=True).decode()) == "cool stuff"
