"""The LLM classifier through the real langchain-openai / openai clients, against a local fake server.

Nothing of ours is mocked and no network call is patched: `ChatOpenAI` talks
HTTP to `FakeOpenAI`, and the tests assert on what the fake received.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date

import pytest

from agents.base import Classifier, ClassifierError, Verdict
from agents.classifiers.llm import (SYSTEM_PROMPT, LLMClassifier, MemoryCache, Prices, chat_model, output_schema,
                                    validate)
from agents.classifiers.privacy import MaskOptions, mask
from signals.catalog import BY_ID, MESSAGE_TYPES
from tests.contracts.classifier_contract import SAMPLES, ClassifierContract, make_message
from tests.fakes.openai import FakeOpenAI

KEY = "sk-test-7c1d2e3f4a5b6c7d"
METHODS = ("json_schema", "function_calling", "json_mode")


@pytest.fixture
def fake():
    with FakeOpenAI(keys=(KEY,)) as server:
        yield server


def build(fake: FakeOpenAI, *, key: str = KEY, timeout: float = 10.0, max_retries: int = 0, **options) -> LLMClassifier:
    chat = chat_model("gpt-4o-mini", fake.url, api_key=key, timeout=timeout, max_retries=max_retries)
    return LLMClassifier(chat, **options)


def samples():
    return [make_message(text) for text in SAMPLES]


# -- the three structured-output methods ----------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_each_method_gives_validated_verdicts(fake: FakeOpenAI, method: str) -> None:
    messages = samples()
    results = build(fake, method=method).classify(messages)
    assert len(results) == len(messages)
    assert [v.type for v in results[0]] == ["churn_intent"]
    assert [v.type for v in results[4]] == ["expansion_interest", "action_item"]
    assert results[8] == results[9] == []
    [item] = results[7]
    assert item == Verdict("action_item", 0.9, "I'll send the SOW by Thursday.", owner="Dana Kim",
                           due=date(2026, 3, 5))
    for message, verdicts in zip(messages, results):
        for verdict in verdicts:
            assert verdict.type in MESSAGE_TYPES and 0 <= verdict.confidence <= 1
            assert verdict.evidence in message.text


@pytest.mark.parametrize("method, shape", [
    ("json_schema", lambda body: body["response_format"]["type"] == "json_schema"
     and body["response_format"]["json_schema"]["strict"] is True and "tools" not in body),
    ("function_calling", lambda body: body["tools"][0]["function"]["name"] == "report_signals"
     and body["tool_choice"]["function"]["name"] == "report_signals" and "response_format" not in body),
    ("json_mode", lambda body: body["response_format"] == {"type": "json_object"} and "tools" not in body),
])
def test_each_method_speaks_its_wire_format(fake: FakeOpenAI, method: str, shape) -> None:
    build(fake, method=method).classify([make_message("Can you send pricing for 50 more seats?")])
    [body] = fake.requests
    assert body["model"] == "gpt-4o-mini" and not body.get("stream")
    assert shape(body)
    assert fake.headers[0]["authorization"] == f"Bearer {KEY}"


def test_the_schema_offers_only_catalog_types() -> None:
    item = output_schema()["parameters"]["properties"]["signals"]["items"]
    assert item["properties"]["type"]["enum"] == list(MESSAGE_TYPES)
    assert set(item["required"]) == {"type", "confidence", "evidence", "owner", "due"}


def test_the_system_prompt_is_built_from_the_catalog(fake: FakeOpenAI) -> None:
    for type_id in MESSAGE_TYPES:
        assert f"- {type_id}: {BY_ID[type_id].description}" in SYSTEM_PROMPT
    assert "engagement_drop" not in SYSTEM_PROMPT  # derived types are not read from one message
    text = "Third outage this month. This is not acceptable."
    build(fake).classify([make_message(text, author="Dana Kim", source="email")])
    system, user = fake.requests[0]["messages"]
    assert system == {"role": "system", "content": SYSTEM_PROMPT}
    assert user["role"] == "user" and text in user["content"] and "Dana Kim" not in user["content"]
    assert "Author side: customer" in user["content"] and "Source: email" in user["content"]


# -- usage, cache ------------------------------------------------------------------------

def test_usage_counts_tokens_requests_and_cost(fake: FakeOpenAI) -> None:
    classifier = build(fake, prices=Prices(input_per_million=2.5, output_per_million=10.0))
    classifier.classify(samples())
    usage = classifier.usage
    prompt = sum(u["prompt_tokens"] for u in fake.usage)
    completion = sum(u["completion_tokens"] for u in fake.usage)
    assert usage.requests == len(SAMPLES) == len(fake.requests)
    assert (usage.prompt_tokens, usage.completion_tokens) == (prompt, completion) and prompt > 0
    assert usage.estimated_cost == pytest.approx(prompt * 2.5e-6 + completion * 10e-6)
    as_dict = usage.to_dict()
    assert as_dict["total_tokens"] == prompt + completion and as_dict["cache_hits"] == 0
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_a_local_server_costs_nothing(fake: FakeOpenAI) -> None:
    classifier = build(fake)
    classifier.classify(samples()[:2])
    assert classifier.usage.estimated_cost == 0.0 and classifier.usage.prompt_tokens > 0


def test_a_second_run_sends_no_request(fake: FakeOpenAI) -> None:
    cache = MemoryCache()
    first = build(fake, cache=cache).classify(samples())
    sent = len(fake.requests)
    again = build(fake, cache=cache)  # a new classifier, the same (persistent) cache
    assert again.classify(samples()) == first
    assert len(fake.requests) == sent
    assert again.usage.requests == 0 and again.usage.cache_hits == len(SAMPLES)
    assert again.usage.prompt_tokens == 0


def test_identical_texts_in_one_batch_cost_one_request(fake: FakeOpenAI) -> None:
    messages = [make_message("Third outage this month. This is not acceptable.") for _ in range(5)]
    results = build(fake).classify(messages)
    assert len(fake.requests) == 1
    assert all(r == results[0] for r in results) and results[0]


def test_the_cache_key_holds_model_and_context(fake: FakeOpenAI) -> None:
    cache = MemoryCache()
    text = "I'll send the SOW by Thursday."
    build(fake, cache=cache).classify([make_message(text), make_message(text, author_side="vendor")])
    assert len(fake.requests) == 2 and len(cache) == 2
    chat = chat_model("another-model", fake.url, api_key=KEY, max_retries=0)
    LLMClassifier(chat, cache=cache).classify([make_message(text)])
    assert len(fake.requests) == 3


def test_empty_messages_are_never_sent(fake: FakeOpenAI) -> None:
    classifier = build(fake)
    assert classifier.classify([make_message(""), make_message("  \n")]) == [[], []]
    assert classifier.classify([]) == []
    assert fake.requests == [] and classifier.usage.skipped == 2


def test_an_answer_that_is_not_json_gives_nothing_and_is_not_cached(fake: FakeOpenAI) -> None:
    fake.responder = lambda messages: "Sure! Here are the signals: churn, churn, churn."
    classifier = build(fake, method="json_mode")
    message = make_message("We're not planning to renew.")
    assert classifier.classify([message]) == [[]]
    assert classifier.usage.invalid_answers == 1
    classifier.classify([message])
    assert len(fake.requests) == 2


# -- failures -----------------------------------------------------------------------------

def test_a_429_is_retried_after_retry_after(fake: FakeOpenAI) -> None:
    fake.fail(429, retry_after=0.4)
    started = time.monotonic()
    [verdicts] = build(fake, max_retries=2).classify([make_message("We're not planning to renew.")])
    assert time.monotonic() - started >= 0.4
    assert [v.type for v in verdicts] == ["churn_intent"]
    assert len(fake.requests) == 2


def test_a_500_is_retried(fake: FakeOpenAI) -> None:
    fake.fail(500)
    [verdicts] = build(fake, max_retries=2).classify([make_message("We're not planning to renew.")])
    assert [v.type for v in verdicts] == ["churn_intent"] and len(fake.requests) == 2


def test_persistent_failure_is_one_line_without_the_key(fake: FakeOpenAI) -> None:
    fake.fail(500, times=None)
    classifier = build(fake, max_retries=1)
    with pytest.raises(ClassifierError) as caught:
        classifier.classify([make_message("We're not planning to renew.")])
    text = str(caught.value)
    assert "HTTP 500" in text and "\n" not in text and KEY not in text and KEY[:8] not in text
    assert len(fake.requests) == 2 and classifier.usage.failed_requests == 1


def test_a_refused_key_names_the_variable_not_the_key(fake: FakeOpenAI) -> None:
    wrong = "sk-wrong-0000aaaa1111"
    with pytest.raises(ClassifierError) as caught:
        build(fake, key=wrong).classify([make_message("We're not planning to renew.")])
    assert "OPENAI_API_KEY" in str(caught.value) and wrong not in str(caught.value)


def test_answers_before_a_failure_are_kept(fake: FakeOpenAI) -> None:
    cache = MemoryCache()
    messages = samples()[:3]
    classifier = build(fake, cache=cache, concurrency=1)
    fake.fail(500, times=1)  # the first message fails, the others are answered and cached
    with pytest.raises(ClassifierError):
        classifier.classify(messages)
    assert len(cache) == 2
    sent = len(fake.requests)
    assert [v.type for v in classifier.classify(messages)[0]] == ["churn_intent"]
    assert len(fake.requests) == sent + 1


def test_a_slow_answer_past_the_timeout_is_retried(fake: FakeOpenAI) -> None:
    fake.slow(1.5, times=1)
    [verdicts] = build(fake, timeout=0.5, max_retries=1).classify([make_message("We're not planning to renew.")])
    assert [v.type for v in verdicts] == ["churn_intent"] and len(fake.requests) == 2


def test_an_answer_that_never_comes_in_time_is_an_error(fake: FakeOpenAI) -> None:
    fake.slow(1.5)
    with pytest.raises(ClassifierError, match="timed out"):
        build(fake, timeout=0.3, max_retries=0).classify([make_message("We're not planning to renew.")])


def test_an_unknown_method_is_refused(fake: FakeOpenAI) -> None:
    with pytest.raises(ClassifierError, match="function_calling"):
        build(fake, method="xml")


# -- concurrency --------------------------------------------------------------------------

def test_concurrency_is_bounded(fake: FakeOpenAI) -> None:
    fake.slow(0.3)
    messages = [make_message(f"Third outage this month, ticket {i}. This is not acceptable.") for i in range(6)]
    started = time.monotonic()
    results = build(fake, concurrency=2).classify(messages)
    assert fake.max_in_flight == 2
    assert time.monotonic() - started < 6 * 0.3  # parallel, not one by one
    assert all([v.type for v in r] == ["dissatisfaction"] for r in results)


# -- masking ------------------------------------------------------------------------------

PRIVATE = ("dana.kim@acme.io", "+1 (415) 555-0132", "https://app.acme.io/reset?token=s3cr3tT0ken")


def test_private_details_never_leave_and_evidence_maps_back(fake: FakeOpenAI) -> None:
    text = ("Please send the renewal quote to dana.kim@acme.io by Friday. Call me on +1 (415) 555-0132 if needed, "
            "the reset link https://app.acme.io/reset?token=s3cr3tT0ken did not work.")
    message = replace(make_message(text, source="email"), channel="Re: dana.kim@acme.io")
    [verdicts] = build(fake).classify([message])
    for raw in fake.raw:
        assert not any(secret in raw for secret in PRIVATE + ("s3cr3tT0ken", "555-0132"))
    assert "[email]" in fake.requests[0]["messages"][1]["content"]
    [item] = verdicts
    assert item.evidence == "Please send the renewal quote to dana.kim@acme.io by Friday."
    assert item.owner == "vendor" and item.due == date(2026, 3, 6)


def test_masking_can_be_turned_off(fake: FakeOpenAI) -> None:
    build(fake, mask_options=MaskOptions(emails=False)).classify([make_message("Mail dana.kim@acme.io please.")])
    assert "dana.kim@acme.io" in fake.raw[0]


def test_mask_replaces_private_items() -> None:
    text = "Mail dana.kim@acme.io, call +44 20 7946 0958 or 415.555.0132; reset https://x.io/r?t=abc123&u=1."
    masked, _ = mask(text)
    assert masked == "Mail [email], call [phone] or [phone]; reset [url]."


@pytest.mark.parametrize("text", [
    "Finance wants us to cut 30% of 1,200 seats by 2026-03-05.",
    "Docs are at https://docs.acme.io/api/v2/charts.",
    "Invoice INV-2026-0042 for $120,000 on 3/5, call at 10:30.",
    "We have 50 seats, 12 admins and 3 workspaces.",
])
def test_mask_leaves_ordinary_text_alone(text: str) -> None:
    masked, unmask = mask(text)
    assert masked == text and not unmask.changed


def test_unmask_gives_the_exact_original_substring() -> None:
    text = "Ünïcödé ✨ mail dana@acme.io or +1 415 555 0132 today. Thanks!"
    masked, unmask = mask(text)
    assert masked == "Ünïcödé ✨ mail [email] or [phone] today. Thanks!"
    assert unmask(masked) == text
    assert unmask("mail [email] or [phone] today.") == "mail dana@acme.io or +1 415 555 0132 today."
    assert unmask("ail]") == "dana@acme.io"               # a cut placeholder takes the whole item
    assert unmask("or [ph") == "or +1 415 555 0132"
    assert unmask("not in the text") is None and unmask("") is None


def test_mask_options_and_extra_patterns() -> None:
    import re
    text = "Mail a@b.co <<<END>>> call +1 415 555 0132"
    masked, unmask = mask(text, emails=False, phones=False, extra=[(re.compile(r"<{3,}|>{3,}"), "[d]")])
    assert masked == "Mail a@b.co [d]END[d] call +1 415 555 0132"
    assert unmask("[d]END[d]") == "<<<END>>>"


def test_validate_keeps_only_grounded_catalog_items() -> None:
    masked = "We're not planning to renew."
    good = {"type": "churn_intent", "confidence": 0.8, "evidence": " We're not planning to renew. ", "extra": 1}
    assert validate(good, masked) == {"type": "churn_intent", "confidence": 0.8,
                                      "evidence": "We're not planning to renew.", "owner": None, "due": None}
    for bad in ({**good, "type": "healthy"}, {**good, "confidence": 1.5}, {**good, "confidence": "0.9"},
                {**good, "confidence": True}, {**good, "confidence": float("nan")}, {**good, "evidence": "renewing"},
                {**good, "evidence": ""}, "churn_intent", None):
        assert validate(bad, masked) is None


# -- the shared contract, once per method ------------------------------------------------------

class _LLMContract(ClassifierContract):
    method = "json_schema"

    @pytest.fixture(autouse=True)
    def _server(self):
        with FakeOpenAI(keys=(KEY,)) as server:
            self.fake = server
            yield

    def make_classifier(self) -> Classifier:
        return build(self.fake, method=self.method)


class TestLLMClassifierContractJsonSchema(_LLMContract):
    method = "json_schema"


class TestLLMClassifierContractFunctionCalling(_LLMContract):
    method = "function_calling"


class TestLLMClassifierContractJsonMode(_LLMContract):
    method = "json_mode"
