"""The fast scoring path agrees with scoring each row on its own."""

from __future__ import annotations

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
