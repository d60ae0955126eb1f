"""Training the local model from labelled JSONL, deterministically.

Labelled files use the format of `shared/data/dev_messages.jsonl`, plus two
optional keys for weakly labelled public data: `known` (the types the label
speaks for; a banking query labelled for churn says nothing about action
items) and `weight`.  Vendor-side messages speak only for action items,
because the classifier never reports customer signals from the vendor.

`train` fits one L2 logistic regression per type (liblinear, which is
deterministic), gets out-of-fold scores by k-fold cross-fitting, fits an
isotonic map from raw score to observed precision, and picks each type's
threshold on those out-of-fold scores.  The same seed, data and code give a
byte-identical model file.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from agents.classifiers.combined import Combination, mix
from agents.classifiers.linear import Document, LinearModel
from agents.classifiers.local import document_of
from connectors.base import FatalSourceError
from groundswell.classify import json_object, parse_ts, read_lines
from signals.catalog import MESSAGE_TYPES, TASK_TYPES

MIN_DF = 2
FEEDBACK = "feedback"  # the origin of examples made from people's verdicts in Slack
UNDATED = datetime(2025, 1, 1, tzinfo=timezone.utc)  # the ts of a labelled line that has none


@dataclass(frozen=True)
class TrainingParams:
    c: float = 32.0               # inverse L2 strength (5-fold CV: 4 -> 0.734, 32 -> 0.737, 64 -> 0.739)
    folds: int = 5                # for out-of-fold calibration
    min_df: int = MIN_DF
    # Candidate weights on the best sentence (LinearModel.pool).  Not 0: a message read only as a
    # whole loses the one telling sentence of a long email, which training data (short) under-represents.
    poolings: tuple[float, ...] = (0.5, 1.0)
    class_weight: str | None = "balanced"
    seed: int = 0
    # A signal is reported only if its best sentence scores within this of the threshold on its own:
    # then the quote shows why.  5-fold CV: no margin 0.750, 2.0 -> 0.749, 1.0 -> 0.744, 0.5 -> 0.734.
    evidence_margin: float = 1.0
    # Scales the weight of weakly labelled public lines (banking queries and the like): they teach
    # what "terminate my account" means but not how customers write.  CV 1.0 -> 0.761, 0.3 -> 0.762;
    # held-out 0.790 -> 0.795 with 12.5% -> 10.8% of no-signal messages flagged; public checks unchanged.
    weak_weight: float = 0.3


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    source: str
    author: str
    author_side: str
    ts: datetime
    labels: frozenset[str]
    known: frozenset[str]
    weight: float = 1.0
    origin: str = ""
    gold: bool = True  # hand-labelled for every type, in our domain: calibration and thresholds use only these
    action_items: tuple[dict, ...] = field(default=())


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Every labelled line of every file, in order; a bad line fails with its file and number."""
    out: list[Example] = []
    for path in paths:
        for number, line in enumerate(read_lines(str(path)), start=1):
            if line.strip():
                where = f"{path.name}:{number}"
                out.append(_example(json_object(line, where), where, path.stem))
    return out


def _example(item: dict, where: str, origin: str) -> Example:
    labels = frozenset(item.get("labels") or ())
    unknown = labels - set(MESSAGE_TYPES)
    if unknown or not isinstance(item.get("text"), str):
        raise FatalSourceError(f"{where}: " + (f"unknown labels {sorted(unknown)}" if unknown else "no text"))
    side = item.get("author_side") or "customer"
    known = frozenset(item["known"]) if "known" in item else frozenset(MESSAGE_TYPES)
    if side == "vendor":
        known &= TASK_TYPES
    return Example(id=str(item["id"]), text=item["text"], source=item.get("source") or "slack",
                   author=item.get("author") or "unknown", author_side=side,
                   ts=parse_ts(item.get("ts"), where, default=UNDATED), labels=labels, known=known,
                   weight=float(item.get("weight", 1.0)), origin=origin, gold="known" not in item,
                   action_items=tuple(item.get("action_items") or ()))


def fold_of(example_id: str, folds: int) -> int:
    """A stable fold for an id, the same on every machine and run."""
    return zlib.crc32(example_id.encode()) % folds


# -- fitting -----------------------------------------------------------------------

def fit(examples: Sequence[Example], documents: Sequence[Document], params: TrainingParams,
        types: Sequence[str] = MESSAGE_TYPES) -> LinearModel:
    """An uncalibrated model: vocabulary, idf and one logistic regression per type."""
    from sklearn.linear_model import LogisticRegression  # training only: the runtime needs numpy/scipy

    rows = [d.whole() for d in documents]
    vocabulary, idf = _vocabulary(rows, params.min_df)
    model = LinearModel(types=tuple(types), vocabulary=vocabulary, idf=idf,
                        weights=np.zeros((len(idf), len(types)), dtype=np.float32),
                        bias=np.zeros(len(types), dtype=np.float32))
    matrix = model.message_matrix(documents)
    sample_weights = np.array([_sample_weight(e, params) for e in examples])
    for j, type_id in enumerate(types):
        mask = np.array([type_id in e.known for e in examples])
        y = np.array([type_id in e.labels for e in examples])[mask]
        if y.all() or not y.any():
            model.bias[j] = 10.0 if y.all() else -10.0
            continue
        classifier = LogisticRegression(C=params.c, solver="liblinear", class_weight=params.class_weight,
                                        random_state=params.seed, max_iter=1000)
        classifier.fit(matrix[mask], y, sample_weight=sample_weights[mask])
        model.weights[:, j] = classifier.coef_[0]
        model.bias[j] = classifier.intercept_[0]
    return model


def _sample_weight(example: Example, params: TrainingParams) -> float:
    weak = not example.gold and example.origin != FEEDBACK  # people's corrections count in full
    return example.weight * (params.weak_weight if weak else 1.0)


def _vocabulary(rows: Sequence[Counter], min_df: int) -> tuple[dict[str, int], np.ndarray]:
    df: Counter = Counter()
    for row in rows:
        df.update(row.keys())
    kept = sorted(f for f, n in df.items() if n >= min_df)
    n = len(rows)
    idf = np.array([np.log((1 + n) / (1 + df[f])) + 1.0 for f in kept], dtype=np.float32)
    return {f: i for i, f in enumerate(kept)}, idf


def out_of_fold(examples: Sequence[Example], documents: Sequence[Document],
                params: TrainingParams) -> dict[str, np.ndarray]:
    """Each example's raw scores, by pooling, from a model that never saw it."""
    raw = {p: np.zeros((len(examples), len(MESSAGE_TYPES))) for p in ("whole", "max")}
    folds = np.array([fold_of(e.id, params.folds) for e in examples])
    for k in range(params.folds):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        model = fit([examples[i] for i in train], [documents[i] for i in train], params)
        raw["whole"][test], raw["max"][test], _, _ = model.pool_both([documents[i] for i in test])
    return raw


def choose_pooling(model: LinearModel, examples: Sequence[Example], raw: dict[str, np.ndarray],
                   candidates: Sequence[float]) -> np.ndarray:
    """Per type, the pooling weight with the best out-of-fold F1 (ties: the larger weight,
    which reads long messages best); returns the pooled raw scores."""
    chosen = np.zeros_like(raw["whole"])
    model.meta["pooling"] = {}
    for j, type_id in enumerate(model.types):
        mask, y = _gold(examples, type_id)
        pooled = {w: (1 - w) * raw["whole"][:, j] + w * raw["max"][:, j] for w in candidates}
        best = max(candidates, key=lambda w: (round(_f1_at_best(pooled[w][mask], y), 3), w))
        model.meta["pooling"][type_id] = best
        chosen[:, j] = pooled[best]
    return chosen


def _gold(examples: Sequence[Example], type_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(which examples speak for the type and are gold, their 0/1 labels): what calibration is fit on."""
    mask = np.array([e.gold and type_id in e.known for e in examples])
    y = np.array([type_id in e.labels for e in examples], dtype=float)[mask]
    return mask, y


def _f1(scores: np.ndarray, y: np.ndarray, threshold: float) -> float:
    hit = scores >= threshold
    return 2 * float((hit & (y > 0)).sum()) / max(float(hit.sum() + y.sum()), 1.0)


def _f1_at_best(scores: np.ndarray, y: np.ndarray) -> float:
    return _f1(scores, y, best_threshold(scores, y))


def calibrate(model: LinearModel, examples: Sequence[Example], raw: np.ndarray) -> None:
    """Attach each type's isotonic score-to-precision map and its F1-best threshold (on raw scores).

    Only gold examples count: weakly labelled public data would set the
    thresholds for banking queries, not for customer conversations.
    """
    from sklearn.isotonic import IsotonicRegression

    for j, type_id in enumerate(model.types):
        mask, y = _gold(examples, type_id)
        scores = raw[mask, j]
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, y)
        model.calibration[type_id] = (np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_))
        model.thresholds[type_id] = best_threshold(scores, y)


def best_threshold(scores: np.ndarray, y: np.ndarray) -> float:
    """The raw score threshold with the best F1 (midway between neighbours, for stability)."""
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order]
    tp = np.cumsum(t)
    fp = np.cumsum(1 - t)
    f1 = 2 * tp / (tp + fp + t.sum())
    i = int(np.argmax(f1))
    return float((s[i] + s[i + 1]) / 2) if i + 1 < len(s) else float(s[i] - 1e-6)


def train(examples: Sequence[Example], params: TrainingParams = TrainingParams(),
          encoder_folds: dict[str, np.ndarray] | None = None) -> LinearModel:
    """The shipped model: fit on everything, calibrated and thresholded out of fold; with the encoder's
    out-of-fold logits (`load_encoder_folds`), also how to combine the two (`fit_combination`)."""
    documents = [document_of(e.text) for e in examples]
    by_pooling = out_of_fold(examples, documents, params)
    model = fit(examples, documents, params)
    raw = choose_pooling(model, examples, by_pooling, params.poolings)
    calibrate(model, examples, raw)
    model.meta.update(examples=len(examples), evidence_margin=params.evidence_margin, c=params.c,
                      folds=params.folds, min_df=params.min_df,
                      class_weight=params.class_weight, seed=params.seed, weak_weight=params.weak_weight,
                      out_of_fold_f1=out_of_fold_f1(model, examples, raw))
    if encoder_folds:
        combination, f1 = fit_combination(model, examples, raw, encoder_folds)
        model.meta.update(combination=combination.to_meta(), combination_out_of_fold_f1=f1,
                          combination_examples=sum(e.id in encoder_folds for e in examples if e.gold))
    return model


# Candidate n-gram shares of the combined score.  Out of fold the encoder and the n-gram model
# are about as good; what each type gets is chosen by its out-of-fold F1.
COMBINATION_WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7)


def fit_combination(model: LinearModel, examples: Sequence[Example], raw: np.ndarray,
                    encoder_folds: dict[str, np.ndarray]) -> tuple[Combination, dict[str, float]]:
    """Per type: the weight with the best out-of-fold F1 (ties: nearest an even split), the F1-best
    threshold and the isotonic map, all on gold examples that have both models' out-of-fold scores."""
    from sklearn.isotonic import IsotonicRegression

    has = np.array([e.id in encoder_folds for e in examples])
    logits = np.array([encoder_folds.get(e.id, np.zeros(len(model.types))) for e in examples])
    centres = np.array([model.thresholds[t] for t in model.types])
    weights, thresholds, calibration, f1 = [], [], {}, {}
    for j, type_id in enumerate(model.types):
        mask, y = _gold(examples, type_id)
        y = y[has[mask]]
        mask &= has
        combined = {w: mix(w, raw[mask, j] - centres[j], logits[mask, j]) for w in COMBINATION_WEIGHTS}
        w = max(COMBINATION_WEIGHTS, key=lambda w: (round(_f1_at_best(combined[w], y), 3), -abs(w - 0.5)))
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(combined[w], y)
        weights.append(w)
        thresholds.append(best_threshold(combined[w], y))
        calibration[type_id] = (np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_))
        f1[type_id] = round(_f1(combined[w], y, thresholds[-1]), 4)
    return Combination(types=model.types, weights=np.array(weights), centres=centres,
                       thresholds=np.array(thresholds), calibration=calibration), f1


def load_encoder_folds(path: Path) -> dict[str, np.ndarray]:
    """The encoder's out-of-fold logits by example id (`tools/train_encoder.py --folds`)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            types, ids, logits = archive["types"].tolist(), archive["ids"].tolist(), archive["logits"]
    except (OSError, KeyError, ValueError) as exc:
        raise FatalSourceError(f"{path}: not the encoder's out-of-fold scores ({exc})") from None
    if types != list(MESSAGE_TYPES):
        raise FatalSourceError(f"{path}: scores for types {types}, not this version's; rerun tools/train_encoder.py --folds")
    return dict(zip(ids, logits))


def out_of_fold_f1(model: LinearModel, examples: Sequence[Example], raw: np.ndarray) -> dict[str, float]:
    """Each type's F1 on gold examples at its chosen threshold, from out-of-fold scores (optimistic:
    the threshold was picked on these same scores; `groundswell eval` on held-out data is the honest figure)."""
    out = {}
    for j, type_id in enumerate(model.types):
        mask, y = _gold(examples, type_id)
        out[type_id] = round(_f1(raw[mask, j], y, model.thresholds[type_id]), 4)
    return out


def packaged_model_path() -> Path:
    """The model file inside the installed package (in a source checkout, the repository's copy)."""
    import agents.classifiers
    return Path(agents.classifiers.__file__).with_name("model") / "local.npz"



# -- the repository's training data -------------------------------------------------

HELD_OUT = "heldout"  # training/data/heldout/: the yardstick, never trained on
FOLDS_FILE = "encoder_folds.npz"  # training/: the encoder's out-of-fold logits (tools/train_encoder.py --folds)


def training_files(root: Path) -> list[Path]:
    """Every labelled JSONL file under `root` (the repository's `training/`), held-out files excluded."""
    files = sorted(p for p in root.rglob("*.jsonl") if HELD_OUT not in p.relative_to(root).parts)
    if not files:
        raise FatalSourceError(f"{root}: no training data (*.jsonl) found; run from the repository or pass --data")
    return files


def heldout_files(root: Path) -> list[Path]:
    return sorted((root / "data" / HELD_OUT).glob("*.jsonl"))


def feedback_examples(feedback: Iterable[tuple]) -> list[Example]:
    """People's verdicts on signals as partial labels: each speaks only for the types it names.

    "confirmed" makes the message a positive for the type; "not_signal" a
    negative; "wrong" a negative for the type and a positive for the corrected
    one.  The latest verdict on a (message, type) wins.
    """
    verdicts: dict[tuple[str, str], bool] = {}
    messages = {}
    for message, signal_type, verdict, corrected in feedback:
        key = f"{message.source}:{message.source_id}"
        messages[key] = message
        verdicts[(key, signal_type)] = verdict == "confirmed"
        if verdict == "wrong" and corrected:
            verdicts[(key, corrected)] = True
    out = []
    for key, message in messages.items():
        said = {t: positive for (k, t), positive in verdicts.items() if k == key and t in MESSAGE_TYPES
                and (message.author_side != "vendor" or t in TASK_TYPES)}
        if not said:
            continue
        out.append(Example(id=f"feedback:{key}", text=message.text, source=message.source, author=message.author,
                           author_side=message.author_side, ts=message.ts,
                           labels=frozenset(t for t, positive in said.items() if positive),
                           known=frozenset(said), origin=FEEDBACK, gold=False))
    return out
