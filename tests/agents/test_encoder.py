"""The encoder: BERT's tokenizer exactly, PyTorch's forward pass closely (int8, in ONNX Runtime), and the local
backend with it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from agents.base import ClassifierError
from agents.classifiers.encoder import MAX_TOKENS, Encoder, WordPiece, quantise
from agents.classifiers.linear import LinearModel
from agents.classifiers.local import PACKAGED_ENCODER, LocalClassifier, document_of, load_encoder, load_model
from connectors.base import Message

TS = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder()


def pieces(encoder: Encoder, text: str) -> list[str]:
    words = {i: w for w, i in encoder.tokenizer.ids.items()}
    return [words[i] for i in encoder.tokenizer.encode(text)]


# What Hugging Face's BertTokenizer (all-MiniLM-L6-v2's) makes of each text.
@pytest.mark.parametrize("text, expected", [
    ("Thanks! Works for me, see you Tuesday.",
     "[CLS] thanks ! works for me , see you tuesday . [SEP]"),
    ("The CFO is scrutinising every line item",
     "[CLS] the cf ##o is sc ##rut ##ini ##sing every line item [SEP]"),
    ("I'm moving over to the platform team, so Priya will be your contact.",
     "[CLS] i ' m moving over to the platform team , so pri ##ya will be your contact . [SEP]"),
    ("Café résumé: 我们 naïve-ish, über-long-hyphenated-words & emoji 🚀 in one line.",
     "[CLS] cafe resume : 我 [UNK] naive - is ##h , uber - long - h ##yp ##hen ##ated - words & em ##oj ##i [UNK] "
     "in one line . [SEP]"),
    ("", "[CLS] [SEP]"),
    ("We’re “not” renewing—sorry…", "[CLS] we ’ re “ not ” renew ##ing — sorry … [SEP]"),
    ("ΟΔΟΣ ΣΟΦΟΣ", "[CLS] ο ##δ ##ο ##σ σ ##ο ##φ ##ο ##σ [SEP]"),  # lowercased a letter at a time: no final ς
    ("İstanbul office", "[CLS] istanbul office [SEP]"),
    ("zero\u200dwidth\ufeffjoin", "[CLS] zero ##wi ##dt ##h ##jo ##in [SEP]"),
    ("a\x0bb\x1cc\x85d\u2028e\u00a0f", "[CLS] abc ##d e f [SEP]"),  # control characters vanish, even spacing ones
])
def test_wordpiece_matches_bert(encoder: Encoder, text: str, expected: str) -> None:
    assert pieces(encoder, text) == expected.split()


def test_control_characters_vanish_and_overlong_words_are_unknown(encoder: Encoder) -> None:
    assert pieces(encoder, "renew\x00al\u200b\tplease") == pieces(encoder, "renewal please")
    assert pieces(encoder, "x" * 101 + " ok") == ["[CLS]", "[UNK]", "ok", "[SEP]"]


def test_the_word_cache_is_bounded_and_never_changes_a_tokenisation() -> None:
    vocab = ["[UNK]", "[CLS]", "[SEP]", "re", "##new", "##al", "a", "##b", "##c"]
    small, large = WordPiece(vocab, cache_size=2), WordPiece(vocab)
    texts = ["renewal abc", "re ab ac", "renew abcabc zz", "renewal abc"]
    assert [small.encode(t) for t in texts] == [large.encode(t) for t in texts]
    assert small.encode("renewal") == [1, 3, 4, 5, 2]
    assert len(small._pieces) <= 2 + 3 and len(large._pieces) > 5  # emptied when past the bound


def test_long_text_is_cut_to_the_length_the_encoder_was_trained_on(encoder: Encoder) -> None:
    ids = encoder.tokenizer.encode("we will not renew " * 200)
    assert len(ids) == MAX_TOKENS and ids[-1] == encoder.tokenizer.sep
    assert np.isfinite(encoder.logits(["we will not renew " * 200])).all()


def test_int8_forward_pass_matches_the_pytorch_reference(encoder: Encoder) -> None:
    # check_logits were computed by PyTorch in float32 when the file was exported; int8 weights and
    # activations cost about 0.1 on average (0.59 at most on these six texts)
    got = encoder.logits(encoder.meta["check_texts"])
    reference = np.array(encoder.meta["check_logits"])
    assert got.shape == reference.shape
    assert np.abs(got - reference).mean() <= 0.15
    assert np.abs(got - reference).max() <= 0.75
    assert (np.sign(got) == np.sign(reference))[np.abs(reference) > 0.5].all()


def test_a_missing_or_broken_graph_is_one_clear_error(tmp_path) -> None:
    shipped = resources.files("agents.classifiers") / PACKAGED_ENCODER
    (tmp_path / "encoder.npz").write_bytes(shipped.read_bytes())
    with pytest.raises(ClassifierError, match=r"cannot load the encoder from .*encoder\.npz: .*encoder\.onnx"):
        load_encoder(tmp_path / "encoder.npz")
    (tmp_path / "encoder.onnx").write_bytes(b"not a graph")
    with pytest.raises(ClassifierError, match="not an encoder graph ONNX Runtime can run"):
        load_encoder(tmp_path / "encoder.npz")


def test_a_message_scores_the_same_alone_and_in_a_batch_of_other_lengths(encoder: Encoder) -> None:
    texts = ["We will not renew.", "Can we get pricing for fifty more seats across the EMEA team next quarter?",
             "ok", "The CFO is scrutinising every line item this quarter. " * 5]
    together = encoder.logits(texts)
    alone = np.concatenate([encoder.logits([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_quantise_round_trips_within_half_a_step() -> None:
    matrix = np.random.default_rng(0).normal(size=(50, 7)).astype(np.float32)
    for axis in (0, 1):
        values, scale = quantise(matrix, axis)
        assert values.dtype == np.int8
        assert np.abs(values * scale - matrix).max() <= scale.max() / 2 + 1e-6


def customer(text: str, side: str = "customer") -> Message:
    return Message(source="slack", source_id=text[:20], ts=TS, author="Dana Kim", text=text, author_side=side)


@pytest.fixture(scope="module")
def combined(encoder: Encoder) -> LocalClassifier:
    return LocalClassifier(load_model(), encoder=encoder)


def test_paraphrased_churn_is_found_with_its_evidence(combined: LocalClassifier) -> None:
    text = "Morning! Quick heads-up: we'll probably consolidate onto what the parent company uses after the merger."
    verdicts = combined.classify([customer(text)])[0]
    churn = [v for v in verdicts if v.type == "churn_intent"]
    assert churn and churn[0].evidence in text and "consolidate" in churn[0].evidence


def test_the_vendors_own_words_raise_only_action_items(combined: LocalClassifier) -> None:
    text = "We'll probably consolidate onto what the parent company uses. I'll send the migration plan by Friday."
    verdicts = combined.classify([customer(text, side="vendor")])[0]
    assert {v.type for v in verdicts} == {"action_item"}


SURE_NO = "Thanks, see you Tuesday!"
SURE_YES = "We're cancelling our subscription at the end of the month."


def test_the_encoder_reads_only_what_the_n_grams_are_unsure_of(encoder: Encoder) -> None:
    model = load_model()
    centred = model.pool([document_of(t) for t in (SURE_NO, SURE_YES)]).raw - np.array(
        [model.thresholds[t] for t in model.types])
    assert centred[0].max() < -1.0 and centred[1].max() > 1.0  # the premise: far from doubt, both ways
    classifier = LocalClassifier(model, encoder=encoder)
    verdicts = classifier.classify([customer(SURE_NO), customer(SURE_YES)])
    assert (classifier.read, classifier.screened) == (0, 2)
    assert verdicts == LocalClassifier(model).classify([customer(SURE_NO), customer(SURE_YES)])
    assert "churn_intent" in {v.type for v in verdicts[1]}
    borderline = "last day of my internship today! thanks Arjun for answering all my dumb questions :sob:"
    classifier.classify([customer(borderline)])
    assert (classifier.read, classifier.screened) == (1, 3)


def test_a_wider_band_sends_more_to_the_encoder(encoder: Encoder) -> None:
    classifier = LocalClassifier(load_model(), encoder=encoder, screen=50.0, trust=50.0)
    classifier.classify([customer(SURE_NO), customer(SURE_YES)])
    assert classifier.read == 2


def test_a_model_without_a_combination_is_refused(encoder: Encoder) -> None:
    model = load_model()
    bare = LinearModel(types=model.types, vocabulary=model.vocabulary, idf=model.idf, weights=model.weights,
                       bias=model.bias, calibration=model.calibration, thresholds=model.thresholds,
                       meta={k: v for k, v in model.meta.items() if k != "combination"})
    with pytest.raises(ClassifierError, match="groundswell train"):
        LocalClassifier(bare, encoder=encoder)


def test_an_unreadable_model_file_is_one_clear_error(tmp_path) -> None:
    junk = tmp_path / "encoder.npz"
    junk.write_bytes(b"not a zip archive")
    with pytest.raises(ClassifierError, match=r"cannot load the encoder from .*encoder\.npz: .*tools/train_encoder\.py"):
        load_encoder(junk)
    with pytest.raises(ClassifierError, match=r"cannot load the local model from .*missing\.npz: .*groundswell train"):
        load_model(tmp_path / "missing.npz")


def test_the_config_defaults_are_the_classifiers_and_a_band_can_be_set(tmp_path) -> None:
    from agents.classifiers.local import DEFAULT_SCREEN, DEFAULT_TRUST
    from groundswell.settings import load_config

    default = load_config(None, environ={}).local
    assert (default.encoder, default.encoder_screen, default.encoder_trust) == (True, DEFAULT_SCREEN, DEFAULT_TRUST)
    (tmp_path / "gs.toml").write_text("[local]\nencoder_screen = 2.0\nencoder_trust = inf\n")
    wide = load_config(tmp_path / "gs.toml", environ={}).local
    assert (wide.encoder_screen, wide.encoder_trust) == (2.0, float("inf"))


@pytest.mark.skipif(shutil.which("taskset") is None or not hasattr(os, "sched_getaffinity"), reason="needs taskset")
def test_the_encoder_uses_the_cores_it_may_run_on_not_the_hosts() -> None:
    script = "from agents.classifiers.local import load_encoder; print(load_encoder().threads)"
    pinned = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], check=True)
    assert pinned.stdout.strip() == "1"
