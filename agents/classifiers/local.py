"""The offline default classifier: a trained linear model over n-gram features.

`LocalClassifier` reads each message's new text sentence by sentence
(`segments`), scores every type with the shipped `LinearModel` (`linear`),
and reports a type when its score clears the type's threshold, quoting the
sentence that scored best as evidence, an exact substring of the message's
text.  Confidence is the model's calibrated estimate of precision.  Action
items get an owner and a due date from `agents.deadlines`, read from the
evidence sentence and resolved against the message's timestamp.

Rules that no training data should be able to unlearn are applied here:
vendor-side authors carry no customer signal, only action items, and quoted
history and signatures are never read.  Text is data, never instructions:
nothing in a message can change what the model does, only what it scores.

The model file ships inside the package (`model/local.npz`) and is rebuilt
by `groundswell train` from the labelled data in the repository.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import ClassVar, Sequence

from agents.base import ClassifierError, Verdict
from agents.classifiers.linear import Document, LinearModel
from agents.classifiers.segments import evidence_span, sentences
from agents.deadlines import greeted_name, resolve_due, resolve_owner
from connectors.base import Message
from signals.catalog import TASK_TYPES

PACKAGED_MODEL = "model/local.npz"


def load_model(path: Path | None = None) -> LinearModel:
    """The model at `path`, else the one shipped in the package."""
    try:
        if path is not None:
            return LinearModel.load(path)
        with resources.files("agents.classifiers").joinpath(PACKAGED_MODEL).open("rb") as handle:
            return LinearModel.load(handle)
    except (OSError, KeyError, ValueError) as exc:
        where = path or f"agents/classifiers/{PACKAGED_MODEL}"
        raise ClassifierError(f"cannot load the local model from {where}: {exc}; run `groundswell train`") from None


def document_of(text: str) -> Document:
    """A message's new text as the model reads it (the whole text when no sentence survives)."""
    return Document.of(text, sentences(text) or [(0, len(text))])


class LocalClassifier:
    """The shipped linear model behind the `Classifier` protocol."""

    name: ClassVar[str] = "local"

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load_model()

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        """One list of verdicts per message, in order; messages are scored as one batch."""
        documents = [document_of(m.text) for m in messages]
        pooled = self.model.pool(documents)
        out = []
        for i, (message, document) in enumerate(zip(messages, documents)):
            out.append(self._verdicts(message, document, pooled.raw[i], pooled.best[i], pooled.best_score[i]))
        return out

    def plausible(self, messages: Sequence[Message], *, slack: float) -> list[bool]:
        """Whether each message may carry a signal: some type scores within `slack` of its threshold.

        The cascade's screen: only these go on to the LLM.  A vendor's message
        is only screened for the types a vendor can raise (action items).
        """
        pooled = self.model.pool([document_of(m.text) for m in messages])
        every = list(enumerate(self.model.types))
        vendor = [(j, t) for j, t in every if t in TASK_TYPES]
        out = []
        for i, message in enumerate(messages):
            types = vendor if message.author_side == "vendor" else every
            out.append(any(pooled.raw[i][j] >= self.model.thresholds[t] - slack for j, t in types))
        return out

    def _verdicts(self, message: Message, document: Document, raw, best, best_score) -> list[Verdict]:
        verdicts = []
        margin = float(self.model.meta.get("evidence_margin", float("inf")))
        for j, type_id in enumerate(self.model.types):
            threshold = self.model.thresholds[type_id]
            if raw[j] < threshold or best[j] < 0:
                continue
            if best_score[j] < threshold - margin:
                continue  # the message as a whole leans this way, but no sentence says so: nothing to quote
            if message.author_side == "vendor" and type_id not in TASK_TYPES:
                continue
            start, end = evidence_span(message.text, document.spans[best[j]])
            evidence = message.text[start:end]
            confidence = round(float(self.model.confidence(type_id, raw[j])), 3)
            if type_id in TASK_TYPES:
                verdicts.append(Verdict(type_id, confidence, evidence, owner=self._owner(evidence, message),
                                        due=self._due(message, document, best[j])))
            else:
                verdicts.append(Verdict(type_id, confidence, evidence))
        return verdicts

    @staticmethod
    def _due(message: Message, document: Document, best: int) -> date | None:
        """The evidence sentence's due date, else the next sentence's ("I'll send it. Friday at the latest.")."""
        for a, b in document.spans[best:best + 2]:
            if (due := resolve_due(message.text[a:b], message.ts)) is not None:
                return due
        return None

    @staticmethod
    def _owner(evidence: str, message: Message) -> str:
        return resolve_owner(evidence, author=message.author, author_side=message.author_side,
                             addressee=greeted_name(message.text))

