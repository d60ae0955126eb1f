"""The n-gram model and the encoder read together: one score per type, calibrated and thresholded.

For each type the combined score is a weighted sum of the n-gram model's raw
score, measured from its own threshold, and the encoder's logit.  Training
(`groundswell.training.fit_combination`) picks each type's weight, threshold
and score-to-precision map on out-of-fold scores of both models, so the
confidence of a combined signal is, like the n-gram model's, roughly its
observed precision.  The parameters live in the n-gram model file's metadata
(`meta["combination"]`), next to the n-gram thresholds they are measured from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np


def mix(weight: float | np.ndarray, ngram_centred: np.ndarray, encoder_logits: np.ndarray) -> np.ndarray:
    """The combined score: `weight` of the n-gram score (measured from its threshold), the rest the encoder's logit."""
    return weight * ngram_centred + (1.0 - weight) * encoder_logits


@dataclass(frozen=True)
class Combination:
    types: tuple[str, ...]
    weights: np.ndarray     # per type: the n-gram model's share; the encoder has the rest
    centres: np.ndarray     # per type: the n-gram threshold its raw score is measured from
    thresholds: np.ndarray  # per type, on the combined score
    calibration: dict[str, tuple[np.ndarray, np.ndarray]]

    def score(self, ngram_raw: np.ndarray, encoder_logits: np.ndarray) -> np.ndarray:
        return mix(self.weights, ngram_raw - self.centres, encoder_logits)

    def confidence(self, type_id: str, scores: np.ndarray) -> np.ndarray:
        xs, ys = self.calibration[type_id]
        return np.interp(scores, xs, ys)

    def to_meta(self) -> dict[str, Any]:
        return {"weights": dict(zip(self.types, self.weights.tolist())),
                "thresholds": dict(zip(self.types, self.thresholds.tolist())),
                "calibration": {t: [xs.tolist(), ys.tolist()] for t, (xs, ys) in self.calibration.items()}}

    @classmethod
    def from_meta(cls, meta: dict[str, Any], types: Sequence[str], centres: dict[str, float]) -> "Combination":
        return cls(types=tuple(types), weights=np.array([meta["weights"][t] for t in types]),
                   centres=np.array([centres[t] for t in types]),
                   thresholds=np.array([meta["thresholds"][t] for t in types]),
                   calibration={t: (np.asarray(xs), np.asarray(ys)) for t, (xs, ys) in meta["calibration"].items()})
