"""The fast scoring path agrees with scoring each row on its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from agents.classifiers.local import document_of, load_model
from groundswell.training import load_examples

DEV = Path(__file__).resolve().parents[2] / "training" / "data" / "dev_messages.jsonl"


def test_batched_pooling_matches_row_by_row_scores() -> None:
    model = load_model()
    documents = [document_of(e.text) for e in load_examples([DEV])[:120]]
    whole, best_row, best, _ = model.pool_both(documents)
    for i, document in enumerate(documents):
        parts = document.sentence_features
        rows = [document.whole()] + ([p.counts() for p in parts] if len(parts) > 1 else [])
        scores = model.decision(rows)
        assert np.allclose(scores[0], whole[i], atol=1e-4)
        assert np.allclose(scores.max(axis=0), best_row[i], atol=1e-4)
        expected = scores[1:].argmax(axis=0) if len(parts) > 1 else np.zeros(len(model.types), dtype=int)
        assert (best[i] == expected).all()


def test_an_empty_batch_and_an_unknown_vocabulary_score_safely() -> None:
    model = load_model()
    whole, best_row, best, _ = model.pool_both([])
    assert whole.shape == (0, len(model.types))
    [scores] = model.decision([{"zzzz-not-a-feature": 3}])
    assert np.allclose(scores, model.bias)  # no known feature: the bias alone


def test_the_word_cache_is_bounded_and_never_changes_a_score() -> None:
    model = load_model()
    small = dataclasses.replace(model, word_cache=50, _gram_columns={})
    words = ["".join(chr(97 + i // 26 ** k % 26) for k in range(3)) + "ment" for i in range(200)]  # 200 distinct
    batches = [[f"The {w} renewal quote for {v} seats" for w, v in zip(words[i:i + 20], words[i + 1:i + 21])]
               for i in range(0, 180, 20)]
    for texts in batches:
        documents = [document_of(t) for t in texts]
        assert np.allclose(small.pool(documents).raw, model.pool(documents).raw, atol=1e-6)
        assert len(small._gram_columns) <= 50 + 45  # emptied when past the bound; one batch adds at most its words
    assert len(model._gram_columns) > 95  # unbounded by default for a batch this small: the bound was what held
