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

from agents.classifiers.features import GRAM_PREFIX, WORD_CACHE, Features, char_grams, split_features


@dataclass(frozen=True, slots=True)
class Document:
    """A message as the model reads it: its sentences' spans and features."""

    spans: tuple[tuple[int, int], ...]
    sentence_features: tuple[Features, ...]

    @classmethod
    def of(cls, text: str, spans: Sequence[tuple[int, int]]) -> "Document":
        return cls(tuple(spans), tuple(split_features(text[a:b]) for a, b in spans))

    def whole(self) -> Counter:
        """Every feature of the message, counted (what the vocabulary is built from)."""
        total: Counter = Counter()
        for part in self.sentence_features:
            total.update(part.counts())
        return total


@dataclass(frozen=True)
class Pooled:
    """Per message and type: the raw score and the index of the best sentence (-1: none)."""

    raw: np.ndarray   # (n_messages, n_types)
    best: np.ndarray  # (n_messages, n_types) int
    best_score: np.ndarray  # (n_messages, n_types): the best sentence's own score


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
    _gram_columns: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False, compare=False)
    word_cache: int = field(default=WORD_CACHE, repr=False, compare=False)
    _is_gram: np.ndarray = field(default=None, repr=False, compare=False)  # per column: a character n-gram?

    def __post_init__(self) -> None:
        self._is_gram = np.zeros(len(self.idf), dtype=np.int64)
        for feature, column in self.vocabulary.items():
            if feature.startswith(GRAM_PREFIX):
                self._is_gram[column] = 1

    # -- scoring -----------------------------------------------------------------

    def vectorize(self, rows: Sequence[Counter]) -> sparse.csr_matrix:
        """TF-IDF rows of plain feature counts: sublinear term frequency, idf weights, unit length."""
        get = self.vocabulary.get
        row_ids: list[int] = []
        columns: list[int] = []
        counts: list[float] = []
        for r, row in enumerate(rows):
            for feature, count in row.items():
                column = get(feature)
                if column is not None:
                    row_ids.append(r)
                    columns.append(column)
                    counts.append(count)
        return self._tfidf(row_ids, columns, counts, n_rows=len(rows))

    def _columns(self, parts: Sequence[Features]) -> tuple[list[int], list[int], list[float]]:
        """(part index, column, count) triplets of the parts' features that are in the vocabulary.

        A word's character n-grams are looked up once per model and cached:
        most of a message's features are those n-grams, and words repeat.
        The cache is emptied when full (`features.WORD_CACHE`).
        """
        if len(self._gram_columns) > self.word_cache:
            self._gram_columns.clear()
        get, grams_of = self.vocabulary.get, self._gram_columns
        part_ids: list[int] = []
        columns: list[int] = []
        counts: list[float] = []
        for p, part in enumerate(parts):
            before = len(columns)
            for feature, count in part.words.items():
                column = get(feature)
                if column is not None:
                    columns.append(column)
                    counts.append(count)
            for token, count in part.tokens.items():
                cached = grams_of.get(token)
                if cached is None:
                    cached = grams_of[token] = tuple(c for g in char_grams(token) if (c := get(g)) is not None)
                columns.extend(cached)
                counts.extend([count] * len(cached))
            part_ids.extend([p] * (len(columns) - before))
        return part_ids, columns, counts

    def _tfidf(self, row_ids: list[int], columns: list[int], counts: list[float], *, n_rows: int) -> sparse.csr_matrix:
        # coo -> csr sums duplicate (row, column) pairs: how a message's row adds up its sentences
        matrix = sparse.csr_matrix((np.asarray(counts, dtype=np.float32), (np.asarray(row_ids, dtype=np.int64),
                                    np.asarray(columns, dtype=np.int64))), shape=(n_rows, len(self.idf)))
        data = matrix.data
        np.log(data, out=data)
        data += 1.0
        data *= self.idf[matrix.indices]
        # Words and character n-grams are normalised as two blocks, each to unit length: one
        # block of hundreds of n-grams would otherwise drown the few words that carry a phrase.
        row_of = np.repeat(np.arange(n_rows), np.diff(matrix.indptr))
        block = row_of * 2 + self._is_gram[matrix.indices]
        norms = np.sqrt(np.bincount(block, weights=data * data, minlength=2 * n_rows))
        norms[norms == 0] = 1.0
        data /= norms[block].astype(np.float32)
        return matrix

    def decision(self, rows: Sequence[Counter]) -> np.ndarray:
        return np.asarray(self.vectorize(rows) @ self.weights) + self.bias

    def message_matrix(self, documents: Sequence[Document]) -> sparse.csr_matrix:
        """One TF-IDF row per message, all its sentences together (what training fits on)."""
        return self._document_matrix(documents, sentences=False)[0]

    def _document_matrix(self, documents: Sequence[Document], *, sentences: bool) -> tuple[sparse.csr_matrix, list[int]]:
        """One row per message (all its sentences), then, with `sentences`, one per sentence when it has several;
        and where each message's rows start.

        Each sentence's features are looked up once; the message row reuses
        them, its counts summed by the sparse constructor.
        """
        row_ids: list[int] = []
        columns: list[int] = []
        counts: list[float] = []
        starts: list[int] = []
        n_rows = 0
        for document in documents:
            starts.append(n_rows)
            parts = document.sentence_features
            rows, cols, cnts = self._columns(parts)
            row_ids.extend([n_rows] * len(cols))
            columns.extend(cols)
            counts.extend(cnts)
            if sentences and len(parts) > 1:
                row_ids.extend(n_rows + 1 + r for r in rows)
                columns.extend(cols)
                counts.extend(cnts)
                n_rows += len(parts)
            n_rows += 1
        starts.append(n_rows)
        return self._tfidf(row_ids, columns, counts, n_rows=n_rows), starts

    def pool(self, documents: Sequence[Document]) -> Pooled:
        """Each message's raw score per type, by the type's pooling, and its best sentence per type.

        A type's pooling is a weight w on its best row: raw = (1 - w) * whole
        message + w * best of (message, sentences).  w = 0 reads the message
        as one text; w = 1 lets one telling sentence in a long email decide.
        Training picks w per type, whichever does best out of fold.
        """
        whole, best_row, best, best_score = self.pool_both(documents)
        pooling = self.meta.get("pooling", {})
        w = np.array([float(pooling.get(t, 0.0)) for t in self.types])
        return Pooled((1.0 - w) * whole + w * best_row, best, best_score)

    def pool_both(self, documents: Sequence[Document]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per message and type: the whole message's score, the best row's score (message or
        sentence), the best sentence's index and that sentence's own score."""
        whole = np.empty((len(documents), len(self.types)))
        best_row = np.empty_like(whole)
        best_score = np.empty_like(whole)
        best = np.full((len(documents), len(self.types)), -1, dtype=int)
        if not documents:
            return whole, best_row, best, best_score
        matrix, starts = self._document_matrix(documents, sentences=True)
        scores = np.asarray(matrix @ self.weights) + self.bias
        for i, document in enumerate(documents):
            block = scores[starts[i]:starts[i + 1]]
            whole[i], best_row[i], best_score[i] = block[0], block.max(axis=0), block[0]
            if len(document.sentence_features) == 1:
                best[i] = 0
            elif len(document.sentence_features) > 1:
                best[i] = block[1:].argmax(axis=0)
                best_score[i] = block[1:].max(axis=0)
        return whole, best_row, best, best_score

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
