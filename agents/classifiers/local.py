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
by `groundswell train` from the labelled data in the repository.  With the
fine-tuned encoder (`encoder`, `model/encoder.npz` and `.onnx`; on by default
in `groundswell.wiring`) a message the n-gram model is unsure of is also
read by the encoder, and each type is decided on the two scores combined
(`combined`).
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence, TypeVar

import numpy as np

from agents.base import ClassifierError, Verdict
from agents.classifiers.combined import Combination
from agents.classifiers.encoder import Encoder
from agents.classifiers.linear import Document, LinearModel
from agents.classifiers.segments import evidence_span, sentences
from agents.deadlines import greeted_name, resolve_due, resolve_owner
from connectors.base import Message
from signals.catalog import TASK_TYPES

T = TypeVar("T")
PACKAGED_MODEL = "model/local.npz"
PACKAGED_ENCODER = "model/encoder.npz"
PACKAGED_GRAPH = "model/encoder.onnx"
# With the encoder: the n-gram model's band of doubt around each type's threshold, the messages the encoder
# reads: from DEFAULT_SCREEN below it to DEFAULT_TRUST above it (BENCHMARKS.md: F1 and speed by band).
DEFAULT_SCREEN = 1.0
DEFAULT_TRUST = 1.0


def load_model(path: Path | None = None) -> LinearModel:
    """The model at `path`, else the one shipped in the package."""
    return _load(LinearModel.load, path, PACKAGED_MODEL, "the local model", "run `groundswell train`")


def load_encoder(path: Path | None = None) -> Encoder:
    """The encoder at `path` (its .npz; the .onnx graph beside it), else the one shipped in the package."""
    def read(source: Any) -> Encoder:
        graph = path.with_suffix(".onnx") if path is not None else resources.files("agents.classifiers") / PACKAGED_GRAPH
        return Encoder.load(source, graph.read_bytes())
    return _load(read, path, PACKAGED_ENCODER, "the encoder", "run tools/train_encoder.py")


def _load(read: Callable[[Any], T], path: Path | None, packaged: str, what: str, fix: str) -> T:
    try:
        if path is not None:
            return read(path)
        with resources.files("agents.classifiers").joinpath(packaged).open("rb") as handle:
            return read(handle)
    except (OSError, KeyError, ValueError) as exc:
        where = path or f"agents/classifiers/{packaged}"
        raise ClassifierError(f"cannot load {what} from {where}: {exc}; {fix}") from None


def new_text(text: str, spans: Sequence[tuple[int, int]] | None = None) -> str:
    """A message's new text, its sentences (`spans`, when already found) joined by spaces: what the encoder reads."""
    return " ".join(text[a:b] for a, b in (document_spans(text) if spans is None else spans))


def document_spans(text: str) -> list[tuple[int, int]]:
    return sentences(text) or [(0, len(text))]


def document_of(text: str) -> Document:
    """A message's new text as the model reads it (the whole text when no sentence survives)."""
    return Document.of(text, document_spans(text))


class LocalClassifier:
    """The shipped linear model behind the `Classifier` protocol, optionally read together with the encoder.

    With an `Encoder` (the default in `groundswell.wiring`), the n-gram model
    scores every message first and the encoder reads only the messages it is
    unsure of: those where some type scores within `screen` below its n-gram
    threshold or less than `trust` above it.  Far below every threshold is
    "thanks!" and scheduling; far above is "we will not renew", which the
    n-gram model gets right with a confidence near 1.  Both are decided by the
    n-gram model alone; the encoder (about 700 messages a second on 2 cores,
    a fifth of the n-gram model's speed) is paid only where a second opinion
    changes answers.  A message it reads has every type decided on the
    combined score (`combined.Combination`).  `read` and `screened` count
    the messages read and scored, for the benchmarks.
    """

    name: ClassVar[str] = "local"

    def __init__(self, model: LinearModel | None = None, *, encoder: Encoder | None = None,
                 screen: float = DEFAULT_SCREEN, trust: float = DEFAULT_TRUST) -> None:
        self.model = model or load_model()
        self.encoder, self.screen, self.trust, self.combination = encoder, screen, trust, None
        self.read = self.screened = 0
        self._thresholds = np.array([self.model.thresholds[t] for t in self.model.types])
        self._evidence_margin = float(self.model.meta.get("evidence_margin", float("inf")))
        self._customer_only = np.array([t not in TASK_TYPES for t in self.model.types])
        if encoder is not None:
            if "combination" not in self.model.meta or tuple(encoder.types) != self.model.types:
                raise ClassifierError("this local model has no combination with the encoder: rebuild it with "
                                      "`groundswell train` (it reads training/encoder_folds.npz)")
            self.combination = Combination.from_meta(self.model.meta["combination"], self.model.types,
                                                     self.model.thresholds)

    def classify(self, messages: Sequence[Message]) -> list[list[Verdict]]:
        """One list of verdicts per message, in order; messages are scored as one batch."""
        documents = [document_of(m.text) for m in messages]
        pooled = self.model.pool(documents)
        scores, allowed = pooled.raw.copy(), self._allowed(messages)
        # n-grams alone report a type only if the best sentence alone comes near: then the quote shows why
        hit = (scores >= self._thresholds) & (pooled.best_score >= self._thresholds - self._evidence_margin)
        # the encoder reads the messages where some type the message may raise is in the band of doubt
        read = (self._in_band(pooled.raw, allowed, below=self.screen, above=self.trust)
                if self.combination is not None
                else np.zeros(len(messages), dtype=bool))
        if read.any():
            # the encoder reads the whole message: no one sentence has to carry the decision
            logits = self.encoder.logits([new_text(messages[i].text, documents[i].spans) for i in np.flatnonzero(read)])
            scores[read] = self.combination.score(pooled.raw[read], logits)
            hit[read] = scores[read] >= self.combination.thresholds
        self.read, self.screened = self.read + int(read.sum()), self.screened + len(messages)
        hit &= (pooled.best >= 0) & allowed
        return [[self._verdict(message, document, self.model.types[j], int(pooled.best[i, j]),
                               self._confidence(self.model.types[j], scores[i, j], combined=bool(read[i])))
                 for j in np.flatnonzero(hit[i])]
                for i, (message, document) in enumerate(zip(messages, documents))]

    def _confidence(self, type_id: str, score: float, *, combined: bool) -> float:
        calibrated = self.combination.confidence if combined else self.model.confidence
        return float(calibrated(type_id, score))

    def plausible(self, messages: Sequence[Message], *, slack: float) -> list[bool]:
        """Whether each message may carry a signal: some type scores within `slack` of its threshold.

        The cascade's screen: only these go on to the LLM.  A vendor's message
        is only screened for the types a vendor can raise (action items).
        """
        raw = self.model.pool([document_of(m.text) for m in messages]).raw
        return self._in_band(raw, self._allowed(messages), below=slack, above=float("inf")).tolist()

    def _in_band(self, raw: np.ndarray, allowed: np.ndarray, *, below: float, above: float) -> np.ndarray:
        """Per message: does some `allowed` type score from `below` under its threshold to less than `above` over it?"""
        centred = raw - self._thresholds
        return ((centred >= -below) & (centred < above) & allowed).any(axis=1)

    def _allowed(self, messages: Sequence[Message]) -> np.ndarray:
        """(messages, types): the types each message may raise; the vendor's own words are never customer risk."""
        vendor = np.array([m.author_side == "vendor" for m in messages], dtype=bool)
        return ~(vendor[:, None] & self._customer_only)

    def _verdict(self, message: Message, document: Document, type_id: str, best: int, confidence: float) -> Verdict:
        """The type's verdict, quoting the sentence that scored best for it."""
        start, end = evidence_span(message.text, document.spans[best])
        evidence = message.text[start:end]
        confidence = round(confidence, 3)
        if type_id in TASK_TYPES:
            return Verdict(type_id, confidence, evidence, owner=self._owner(evidence, message),
                           due=self._due(message, document, best))
        return Verdict(type_id, confidence, evidence)

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

