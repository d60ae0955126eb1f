"""Training: deterministic, partial labels honoured, feedback turned into training data."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import Session

from agents.classifiers.linear import LinearModel
from agents.classifiers.local import LocalClassifier
from connectors.base import FatalSourceError, Message
from groundswell import store
from signals.portfolio import Account
from groundswell.training import (COMBINATION_WEIGHTS, Example, TrainingParams, feedback_examples,
                                  load_encoder_folds, load_examples, train, training_files)
from signals.catalog import MESSAGE_TYPES

REPO = Path(__file__).resolve().parents[2]
DEV = REPO / "training" / "data" / "dev_messages.jsonl"
TS = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)
FAST = TrainingParams(folds=3)


@pytest.fixture(scope="module")
def dev() -> list[Example]:
    return load_examples([DEV])


@pytest.fixture(scope="module")
def model(dev) -> LinearModel:
    return train(dev, FAST)


def test_training_is_deterministic_to_the_byte(dev, model, tmp_path: Path) -> None:
    model.save(tmp_path / "a.npz")
    train(dev, FAST).save(tmp_path / "b.npz")
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_saved_model_round_trips(model, tmp_path: Path) -> None:
    model.save(tmp_path / "m.npz")
    loaded = LinearModel.load(tmp_path / "m.npz")
    assert loaded.types == model.types and loaded.vocabulary == model.vocabulary
    assert loaded.thresholds == model.thresholds and loaded.meta["pooling"] == model.meta["pooling"]
    message = Message(source="slack", source_id="x", ts=TS, author="A", text="We will not renew the contract.")
    assert LocalClassifier(loaded).classify([message]) == LocalClassifier(model).classify([message])


def test_calibration_maps_scores_to_a_monotone_precision(model) -> None:
    for type_id in model.types:
        xs, ys = model.calibration[type_id]
        assert np.all(np.diff(xs) >= 0) and np.all(np.diff(ys) >= -1e-9)
        assert 0.0 <= ys.min() and ys.max() <= 1.0
        assert type_id in model.meta["pooling"] and type_id in model.thresholds


def test_weak_labels_teach_only_the_types_they_know(dev, tmp_path: Path) -> None:
    weak = [json.dumps({"id": f"w{i}", "text": f"please close my account number {i}", "labels": ["churn_intent"],
                        "known": ["churn_intent"], "weight": 0.5}) for i in range(30)]
    (tmp_path / "weak.jsonl").write_text("\n".join(weak) + "\n")
    extra = load_examples([tmp_path / "weak.jsonl"])
    assert all(e.known == frozenset({"churn_intent"}) and not e.gold for e in extra)
    with_weak = train(dev + extra, FAST)
    churn = with_weak.types.index("churn_intent")
    column = with_weak.vocabulary["close my"]
    assert with_weak.weights[column, churn] > 0  # learnt for churn
    action = with_weak.types.index("action_item")
    assert with_weak.weights[column, action] == 0  # and not counted as a negative for action items


def test_vendor_side_examples_speak_only_for_action_items(tmp_path: Path) -> None:
    line = {"id": "v1", "text": "Sorry about the outage, I'll send the RCA.", "author_side": "vendor",
            "labels": ["action_item"], "action_items": [{"owner": "vendor", "due": None}]}
    (tmp_path / "v.jsonl").write_text(json.dumps(line) + "\n")
    [example] = load_examples([tmp_path / "v.jsonl"])
    assert example.known == frozenset({"action_item"})


def test_a_bad_label_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"id": "1", "text": "hi", "labels": []}\n'
                                        '{"id": "2", "text": "hi", "labels": ["churn"]}\n')
    with pytest.raises(FatalSourceError, match=r"bad.jsonl:2: unknown labels \['churn'\]"):
        load_examples([tmp_path / "bad.jsonl"])


def test_training_files_never_include_the_held_out_set() -> None:
    files = training_files(REPO / "training")
    assert DEV in files and any(p.parent.name == "public" for p in files)
    assert not any("heldout" in p.parts for p in files)


def test_no_training_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FatalSourceError, match="no training data"):
        training_files(tmp_path)


def _message(source_id: str, text: str, side: str = "customer") -> Message:
    return Message(source="slack", source_id=source_id, ts=TS, author="Dana", text=text, author_side=side,
                   account_id="A1")


def _stored(session: Session, *messages: Message) -> None:
    store.upsert_accounts(session, accounts=[Account(account_id="A1", name="Acme", mrr=1000.0)])
    store.insert_messages(session, messages=list(messages))


def test_feedback_becomes_partial_labels() -> None:
    budget = _message("1", "We need to trim the invoice a bit this year.")
    vendor = _message("2", "I'll look into the outage.", side="vendor")
    examples = feedback_examples([
        (budget, "churn_intent", "wrong", "budget_pressure"),
        (budget, "dissatisfaction", "not_signal", None),
        (vendor, "dissatisfaction", "confirmed", None),  # vendor side: only action items count
        (vendor, "action_item", "confirmed", None),
    ])
    by_id = {e.id: e for e in examples}
    first = by_id["feedback:slack:1"]
    assert first.labels == {"budget_pressure"}
    assert first.known == {"churn_intent", "budget_pressure", "dissatisfaction"} and not first.gold
    second = by_id["feedback:slack:2"]
    assert second.labels == {"action_item"} and second.known == {"action_item"}


def test_the_latest_verdict_wins() -> None:
    message = _message("1", "hmm")
    [example] = feedback_examples([(message, "advocacy", "confirmed", None), (message, "advocacy", "not_signal", None)])
    assert example.labels == frozenset() and example.known == {"advocacy"}


def test_feedback_is_stored_and_read_back(engine) -> None:
    with Session(engine) as session:
        _stored(session, _message("m1", "We might drop the analytics module."))
        first = store.add_feedback(session, source="slack", source_id="m1", signal_type="churn_intent",
                                   verdict="wrong", corrected_type="budget_pressure", author="U123", at=TS)
        again = store.add_feedback(session, source="slack", source_id="m1", signal_type="churn_intent",
                                   verdict="wrong", corrected_type="budget_pressure", author="U123", at=TS)
        session.commit()
        assert again == first  # a double click is one verdict
        [(message, signal_type, verdict, corrected)] = store.load_feedback(session)
    assert message.source_id == "m1" and message.text.startswith("We might")
    assert (signal_type, verdict, corrected) == ("churn_intent", "wrong", "budget_pressure")


def test_feedback_rejects_what_it_cannot_use(engine) -> None:
    with Session(engine) as session:
        _stored(session, _message("m1", "hello"))
        with pytest.raises(ValueError, match="verdict"):
            store.add_feedback(session, source="slack", source_id="m1", signal_type="advocacy", verdict="meh", at=TS)
        with pytest.raises(ValueError, match="corrected type"):
            store.add_feedback(session, source="slack", source_id="m1", signal_type="advocacy", verdict="wrong", at=TS)
        with pytest.raises(LookupError, match="slack:nope"):
            store.add_feedback(session, source="slack", source_id="nope", signal_type="advocacy",
                               verdict="not_signal", at=TS)


def _folds(examples: list[Example], logit_of) -> dict[str, np.ndarray]:
    return {e.id: np.array([logit_of(t in e.labels) for t in MESSAGE_TYPES], dtype=np.float32)
            for e in examples if e.gold}


def test_a_perfect_encoder_makes_a_perfect_combination(dev, model) -> None:
    combined = train(dev, FAST, encoder_folds=_folds(dev, lambda positive: 5.0 if positive else -5.0))
    assert set(combined.meta["combination"]["weights"].values()) <= set(COMBINATION_WEIGHTS)
    assert min(combined.meta["combination_out_of_fold_f1"].values()) >= 0.99
    assert min(model.meta["out_of_fold_f1"].values()) < 0.9  # the n-gram model alone is not
    assert combined.meta["combination_examples"] == len(dev)


def test_a_useless_encoder_leaves_the_n_gram_ranking_alone(dev, model) -> None:
    combined = train(dev, FAST, encoder_folds=_folds(dev, lambda positive: 0.0))
    # a constant logit only shifts the n-gram score, so each type's F1 is the n-gram model's own
    assert combined.meta["combination_out_of_fold_f1"] == model.meta["out_of_fold_f1"]


def test_encoder_folds_for_other_types_are_refused(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "f.npz", ids=np.array(["a"]), logits=np.zeros((1, 2), dtype=np.float32),
                        types=np.array(["churn_intent", "gone_type"]))
    with pytest.raises(FatalSourceError, match="rerun tools/train_encoder.py --folds"):
        load_encoder_folds(tmp_path / "f.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(FatalSourceError, match="not the encoder's out-of-fold scores"):
        load_encoder_folds(tmp_path / "junk.npz")
