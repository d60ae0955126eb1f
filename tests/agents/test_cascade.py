"""The cascade: the shipped local model screens, the LLM (over a fake OpenAI server) reads only what may matter."""

from __future__ import annotations

from datetime import datetime, timezone

from agents.classifiers.cascade import CascadeClassifier
from agents.classifiers.llm import LLMClassifier, MemoryCache, chat_model
from agents.classifiers.local import LocalClassifier
from connectors.base import Message
from tests.fakes.openai import FakeOpenAI, message_text

TS = datetime(2026, 9, 1, 10, tzinfo=timezone.utc)
TEXTS = ["Thanks, that worked!", "We will not be renewing the contract when it ends in January.",
         "See you at 3pm.", "Third outage this month, this is not acceptable for our ops team."]


def messages(side: str = "customer") -> list[Message]:
    return [Message(source="email", source_id=f"m{i}", ts=TS, author="Dana Kim", author_side=side, text=t)
            for i, t in enumerate(TEXTS)]


def cascade(fake: FakeOpenAI, slack: float = 0.5) -> CascadeClassifier:
    llm = LLMClassifier(chat_model("gpt-test", fake.url, api_key="sk-test", max_retries=0), cache=MemoryCache())
    return CascadeClassifier(screen=LocalClassifier(), precise=llm, slack=slack)


def test_only_plausible_messages_reach_the_llm_and_answers_keep_their_order() -> None:
    with FakeOpenAI() as fake:
        classifier = cascade(fake)
        verdicts = classifier.classify(messages())
        sent = {message_text(request["messages"]) for request in fake.requests}
    assert sent == {TEXTS[1], TEXTS[3]}
    assert (classifier.screened, classifier.sent) == (4, 2)
    assert [[v.type for v in vs] for vs in verdicts] == [[], ["churn_intent"], [], ["dissatisfaction"]]


def test_a_wider_screen_sends_more_and_vendors_are_screened_for_action_items_only() -> None:
    screen = LocalClassifier()
    narrow, wide = (screen.plausible(messages(), slack=s) for s in (0.0, 6.0))
    assert sum(wide) >= sum(narrow) and all(w for n, w in zip(narrow, wide) if n)
    assert not any(screen.plausible(messages("vendor")[1:2], slack=0.5))  # a vendor cannot raise churn
