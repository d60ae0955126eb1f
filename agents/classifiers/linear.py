"""The local model: TF-IDF features, one linear scorer per signal type, calibrated.

A message is read as its sentences (`segments.sentences`, new text only).
Each sentence and the message as a whole (the sum of its sentences'
features) become TF-IDF rows; a type's raw score for the message is the best
of those rows' scores, so a long email with one telling sentence is not
diluted by its pleasantries, and the best sentence is the evidence.  An
isotonic map, fit on out-of-fold scores at training time, turns the raw
score into a confidence that tracks observed precision; a per-type threshold
on that confidence, also chosen out of fold, decides what is reported.

The model file is a NumPy `.npz` (arrays plus one JSON string, loaded with
`allow_pickle=False`): no code runs when it is read, and it does not depend
on the scikit-learn version that trained it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from scipy import sparse

from agents.classifiers.features import features


@dataclass(frozen=True, slots=True)
class Document:
    """A message as the model reads it: its sentences' spans and features."""

    spans: tuple[tuple[int, int], ...]
    sentence_features: tuple[Counter, ...]

    @classmethod
    def of(cls, text: str, spans: Sequence[tuple[int, int]]) -> "Document":
        return cls(tuple(spans), tuple(features(text[a:b]) for a, b in spans))

    def whole(self) -> Counter:
        total: Counter = Counter()
        for counts in self.sentence_features:
            total.update(counts)
        return total


@dataclass(frozen=True)
class Pooled:
    """Per message and type: the raw score and the index of the best sentence (-1: none)."""

    raw: np.ndarray   # (n_messages, n_types)
    best: np.ndarray  # (n_messages, n_types) int


@dataclass
class LinearModel:
    types: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    weights: np.ndarray  # (n_features, n_types)
    bias: np.ndarray     # (n_types,)
    calibration: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    # -- scoring -----------------------------------------------------------------

    def vectorize(self, rows: Sequence[Counter]) -> sparse.csr_matrix:
        """TF-IDF rows: sublinear term frequency, idf weights, unit length."""
        indptr, indices, values = [0], [], []
        vocabulary = self.vocabulary
        for counts in rows:
            for feature, count in counts.items():
                column = vocabulary.get(feature)
                if column is not None:
                    indices.append(column)
                    values.append(1.0 + np.log(count) if count > 1 else 1.0)
            indptr.append(len(indices))
        matrix = sparse.csr_matrix((np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int32),
                                    np.asarray(indptr, dtype=np.int64)), shape=(len(rows), len(self.idf)))
        matrix = matrix.multiply(self.idf).tocsr()
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.diags(1.0 / norms).dot(matrix).tocsr()

    def decision(self, rows: Sequence[Counter]) -> np.ndarray:
        return np.asarray(self.vectorize(rows) @ self.weights) + self.bias

    def pool(self, documents: Sequence[Document]) -> Pooled:
        """Each message's raw score per type, by the type's pooling, and its best sentence per type.

        Pooling "whole" scores the message as one row; "max" takes the best of
        the message row and its sentence rows.  Training picks one per type,
        whichever does better out of fold.
        """
        whole, best_row, best = self.pool_both(documents)
        pooling = self.meta.get("pooling", {})
        use_max = np.array([pooling.get(t) == "max" for t in self.types])
        return Pooled(np.where(use_max, best_row, whole), best)

    def pool_both(self, documents: Sequence[Document]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(whole-message scores, best-row scores, best sentence index) per message and type."""
        rows: list[Counter] = []
        starts: list[int] = []
        for document in documents:
            starts.append(len(rows))
            rows.append(document.whole())
            if len(document.sentence_features) > 1:
                rows.extend(document.sentence_features)
        scores = self.decision(rows) if rows else np.zeros((0, len(self.types)))
        starts.append(len(rows))
        whole = np.empty((len(documents), len(self.types)))
        best_row = np.empty_like(whole)
        best = np.full((len(documents), len(self.types)), -1, dtype=int)
        for i, document in enumerate(documents):
            block = scores[starts[i]:starts[i + 1]]
            whole[i], best_row[i] = block[0], block.max(axis=0)
            if len(document.sentence_features) == 1:
                best[i] = 0
            elif len(document.sentence_features) > 1:
                best[i] = block[1:].argmax(axis=0)
        return whole, best_row, best

    def confidence(self, type_id: str, raw: np.ndarray) -> np.ndarray:
        """Raw scores to calibrated confidence (observed precision at that score)."""
        xs, ys = self.calibration[type_id]
        return np.interp(raw, xs, ys)

    # -- files -------------------------------------------------------------------

    def save(self, path: Path) -> None:
        order = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        meta = dict(self.meta, types=list(self.types), thresholds=self.thresholds,
                    calibration={t: [xs.tolist(), ys.tolist()] for t, (xs, ys) in self.calibration.items()})
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:  # np.savez_compressed(str) would append ".npz"
            np.savez_compressed(handle, vocabulary=np.frombuffer("\n".join(order).encode(), dtype=np.uint8),
                                idf=self.idf.astype(np.float32), weights=self.weights.astype(np.float16),
                                bias=self.bias.astype(np.float32),
                                meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: Path | Any) -> "LinearModel":
        with np.load(path, allow_pickle=False) as archive:
            words = archive["vocabulary"].tobytes().decode().split("\n")
            meta = json.loads(archive["meta"].tobytes().decode())
            idf, weights, bias = archive["idf"], archive["weights"].astype(np.float32), archive["bias"]
        calibration = {t: (np.asarray(xs), np.asarray(ys)) for t, (xs, ys) in meta.pop("calibration").items()}
        return cls(types=tuple(meta.pop("types")), vocabulary={w: i for i, w in enumerate(words)}, idf=idf,
                   weights=weights, bias=bias, calibration=calibration, thresholds=meta.pop("thresholds"), meta=meta)
