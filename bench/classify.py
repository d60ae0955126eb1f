"""Benchmark of the local classifier: throughput, and quality measured honestly.

    python bench/classify.py                # messages/s of the default (n-grams + encoder on the messages
                                            # they are unsure of): in process, and `groundswell classify`
                                            # end to end
    python bench/classify.py --quality      # 5-fold cross-validation with its spread, the held-out
                                            # files, and churn_intent on public test splits
    python bench/classify.py --no-encoder [--quality]   # the same for the n-gram model alone
    python bench/classify.py --bands        # cross-validated F1 and share of messages the encoder reads,
                                            # by band of doubt (`[local] encoder_screen`, `encoder_trust`)
    python bench/classify.py --encoder-folds F [F ...]   # cross-validation only, with these seeds' fold
                                            # scores averaged: what an ensemble of those seeds would do

Speed is measured on three inputs: the dev messages (trained on, so the
n-gram model is sure of most and the encoder reads few), the held-out files
(never trained on: the honest figure for new customer text, signal-dense),
and ordinary meeting turns (QMSum: what most traffic looks like).

Cross-validation: the hand-labelled messages (training/data, held-out file
excluded) are split into 5 folds by a hash of their ids; each fold is
scored by a model trained, calibrated and thresholded on the other four
(plus the weakly labelled public training data, never scored).  The
held-out file (training/data/heldout/) was written by someone who never saw
the training data and is never trained on: it is the figure to trust.

With `--encoder`, cross-validation uses the encoder's own folds
(training/encoder_folds.npz, `fold_of(id, 5)`): each test fold is read by
the fold encoder that never saw it, and the n-gram model and the combination
are fit on the other four folds.  (The combination's inputs for those four
folds come from fold encoders that did see the test fold's text, though
never its scores: a mild leak that 20 more fine-tuning runs would remove.)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from agents.classifiers.local import LocalClassifier, load_encoder, new_text  # noqa: E402
from connectors.base import Message  # noqa: E402
from groundswell.evaluation import Evaluation, cross_validate, record, to_message  # noqa: E402
from groundswell.training import (FOLDS_FILE, TrainingParams, fold_of, heldout_files, load_encoder_folds,  # noqa: E402
                                  load_examples, train, training_files)
from signals.catalog import MESSAGE_TYPES  # noqa: E402

TRAINING = REPO / "training"
PUBLIC_TESTS = REPO / "tests" / "data" / "public" / "churn_hard_negatives.json"
MEETINGS = REPO.parent / "shared" / "data" / "public" / "meetings_qmsum"  # not in the repository: skipped if absent
# Id prefixes of the later rounds of writing (training/LABELLING.md), scored apart in cross-validation.
ROUNDS = {"round 7": "r7", "round 8": "r8"}
# The bands of doubt `--bands` compares: (screen below the threshold, trust above it).
BANDS = ((2.0, float("inf")), (2.0, 2.0), (1.5, 1.5), (1.25, 1.25), (1.0, 1.0), (0.75, 0.75), (0.5, 0.5))


def measure_speed(classifier: LocalClassifier, messages: list[Message], total: int) -> tuple[float, float]:
    """(messages per second, share the encoder read) classifying `messages` repeated to `total` (best of three)."""
    batch = (messages * (total // len(messages) + 1))[:total]
    best = float("inf")
    for _ in range(3):
        classifier.read = classifier.screened = 0
        started = time.perf_counter()
        for i in range(0, total, 1000):  # the batch size `groundswell classify` uses
            classifier.classify(batch[i:i + 1000])
        best = min(best, time.perf_counter() - started)
    return total / best, classifier.read / classifier.screened


def measure_cli(messages: list[Message], total: int, *, encoder: bool) -> tuple[float, float]:
    """(messages/s, seconds) for `groundswell classify --input FILE` on `total` lines, process start included."""
    lines = [json.dumps({"id": f"m{i}", "text": m.text, "source": m.source, "author": m.author,
                         "author_side": m.author_side, "ts": m.ts.isoformat()})
             for i, m in enumerate((messages * (total // len(messages) + 1))[:total])]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        started = time.perf_counter()
        command = [sys.executable, "-m", "groundswell", "classify", "--input", str(path),
                   "--encoder" if encoder else "--no-encoder"]
        done = subprocess.run(command, cwd=tmp,
                              capture_output=True, text=True, check=True, env=dict(os.environ))
        elapsed = time.perf_counter() - started
    assert len(done.stdout.splitlines()) == total
    return total / elapsed, elapsed


def print_scores(title: str, result: Evaluation) -> None:
    print(f"\n{title}\n{'type':22} {'P':>5} {'R':>5} {'F1':>5} {'n':>4}")
    for type_id in MESSAGE_TYPES:
        s = result.per_type[type_id]
        print(f"{type_id:22} {s.precision:5.2f} {s.recall:5.2f} {s.f1:5.2f} {s.tp + s.fn:4d}")
    print(f"{'macro-F1':22} {result.macro_f1:17.3f}   no-signal messages flagged: {result.false_positive_rate:.1%}")


def recorded(pairs) -> Evaluation:
    """An evaluation of (example, verdicts) pairs already classified."""
    result = Evaluation()
    for example, found in pairs:
        record(result, example, found)
    return result


def heldout(classifier: LocalClassifier, resamples: int = 1000) -> list:
    """The shipped model on each held-out file and on all of them, with a bootstrap interval over messages;
    returns the (example, verdicts) pairs."""
    files = heldout_files(TRAINING)
    pairs = []
    for path in files:
        examples = load_examples([path])
        classified = list(zip(examples, classifier.classify([to_message(e) for e in examples])))
        result = recorded(classified)
        print(f"  {path.name}: {result.messages} messages, macro-F1 {result.macro_f1:.3f}")
        pairs += classified
    total = recorded(pairs)
    print_scores(f"held-out files together, shipped model: {total.messages} messages", total)
    rng = random.Random(0)
    macros = sorted(recorded(rng.choices(pairs, k=len(pairs))).macro_f1 for _ in range(resamples))
    low, high = macros[int(0.05 * resamples)], macros[int(0.95 * resamples) - 1]
    print(f"macro-F1 {total.macro_f1:.3f}, 90% bootstrap interval {low:.3f}-{high:.3f} ({resamples} resamples of messages)")
    print("reliability:", json.dumps(total.reliability_table()))
    items = total.to_dict()["action_items"]
    print(f"action items: owner agrees {items['owner_accuracy']:.0%}, due agrees {items['due_accuracy']:.0%} "
          f"(of {items['found']} found)")
    return pairs


class RecordedEncoder:
    """An encoder that answers with each text's out-of-fold logits: what the fold model that never saw it said.

    Messages written after the fold runs have none; the shipped encoder never saw them either, so it reads them."""

    def __init__(self, examples, logits: dict[str, np.ndarray], unseen) -> None:
        self.types = MESSAGE_TYPES
        self.by_text = {new_text(e.text): logits[e.id] for e in examples if e.id in logits}
        self.unseen = unseen

    def logits(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.by_text]
        read = dict(zip(missing, self.unseen.logits(missing))) if missing else {}
        return np.array([self.by_text[t] if t in self.by_text else read[t] for t in texts])


def mean_fold_logits(paths: list[Path]) -> dict[str, np.ndarray]:
    """Several seeds' out-of-fold logits averaged; every file must score the same messages."""
    seeds = [load_encoder_folds(path) for path in paths]
    for path, seed in zip(paths[1:], seeds[1:]):
        if set(seed) != set(seeds[0]):  # a file from an older training set: its fold models saw other data
            sys.exit(f"{path}: scores {len(seed):,} messages, {paths[0].name} {len(seeds[0]):,}; "
                     "rerun tools/train_encoder.py --folds for it on the current training data")
    return {i: np.mean([s[i] for s in seeds], axis=0) for i in seeds[0]}


def encoder_fold_runs(examples, folds: int, logits: dict[str, np.ndarray]):
    """Per fold of the encoder's folds: the n-gram model and combination trained on the other folds, the fold's
    hand-labelled examples and their messages, and the encoder answering with out-of-fold logits."""
    recorded_encoder = RecordedEncoder(examples, logits, unseen=load_encoder())
    for k in range(folds):
        model = train([e for e in examples if fold_of(e.id, folds) != k], TrainingParams(), encoder_folds=logits)
        tested = [e for e in examples if e.gold and fold_of(e.id, folds) == k]
        yield model, tested, [to_message(e) for e in tested], recorded_encoder


def cross_validate_with_encoder(examples, folds: int, logits: dict[str, np.ndarray]) -> dict[str, list[Evaluation]]:
    """Per fold, on the encoder's folds: each test fold scored with the encoder and by the n-grams alone,
    on all its messages and on each later round of writing apart (to show how hard the new data is)."""
    later = tuple(ROUNDS.values())
    parts = [("", lambda e: True), (", rounds 1-6", lambda e: not e.id.startswith(later))]
    parts += [(f", {name}", lambda e, prefix=prefix: e.id.startswith(prefix)) for name, prefix in ROUNDS.items()]
    results: dict[str, list[Evaluation]] = {}
    for model, tested, messages, recorded_encoder in encoder_fold_runs(examples, folds, logits):
        for mode, encoder in (("with the encoder", recorded_encoder), ("n-grams alone", None)):
            pairs = list(zip(tested, LocalClassifier(model, encoder=encoder).classify(messages)))
            for part, keep in parts:
                results.setdefault(mode + part, []).append(recorded((e, v) for e, v in pairs if keep(e)))
    return results


def cross_validation(folds: int, *, encoder: bool, encoder_folds: list[Path] | None = None) -> None:
    examples = load_examples(training_files(TRAINING))
    scored = [e.gold for e in examples]
    started = time.perf_counter()
    if encoder:
        paths = encoder_folds or [TRAINING / FOLDS_FILE]
        print(f"encoder fold scores: {' + '.join(p.name for p in paths)}")
        by_mode = cross_validate_with_encoder(examples, folds, mean_fold_logits(paths))
        results = by_mode.pop("with the encoder")
    else:
        results, by_mode = cross_validate(examples, TrainingParams(), folds=folds, scored=scored), {}
    print(f"\n{folds}-fold cross-validation: {sum(scored)} hand-labelled messages scored, "
          f"{len(examples) - sum(scored)} weakly labelled public ones trained on only ({time.perf_counter() - started:.0f}s)")
    print_folds(results)
    for mode, parts in by_mode.items():
        macro = [r.macro_f1 for r in parts]
        weakest = min(MESSAGE_TYPES, key=lambda t: statistics.mean(r.per_type[t].f1 for r in parts))
        print(f"  {mode} ({sum(r.messages for r in parts):,} messages): "
              f"{statistics.mean(macro):.3f} ± {statistics.stdev(macro):.3f}; weakest {weakest} "
              f"{statistics.mean(r.per_type[weakest].f1 for r in parts):.3f}; no-signal flagged "
              f"{statistics.mean(r.false_positive_rate for r in parts):.1%}")


def print_folds(results: list[Evaluation]) -> None:
    macro = [r.macro_f1 for r in results]
    print(f"macro-F1 per fold: {', '.join(f'{m:.3f}' for m in macro)}; "
          f"mean {statistics.mean(macro):.3f} ± {statistics.stdev(macro):.3f} (sd)")
    print(f"{'type':22} {'F1 mean':>8} {'sd':>6} {'min':>6}")
    for type_id in MESSAGE_TYPES:
        f1s = [r.per_type[type_id].f1 for r in results]
        print(f"{type_id:22} {statistics.mean(f1s):8.3f} {statistics.stdev(f1s):6.3f} {min(f1s):6.3f}")
    fpr = [r.false_positive_rate for r in results]
    print(f"no-signal messages flagged: {statistics.mean(fpr):.1%} ± {statistics.stdev(fpr):.1%}")


def encoder_difference(with_encoder: list) -> None:
    """Labelled signals on the held-out files that the encoder finds (`with_encoder`: heldout()'s pairs) and the
    n-grams alone miss, and the reverse."""
    examples = [e for e, _ in with_encoder]
    alone = LocalClassifier().classify([to_message(e) for e in examples])
    found = [[{v.type for v in vs} & e.labels for e, vs in zip(examples, verdicts)]
             for verdicts in (alone, [vs for _, vs in with_encoder])]
    gained = sum(len(b - a) for a, b in zip(*found))
    lost = sum(len(a - b) for a, b in zip(*found))
    print(f"\nheld-out labelled signals the encoder finds that n-grams alone miss: {gained}; the reverse: {lost}")


def public_tests(classifier: LocalClassifier) -> None:
    sets = json.loads(PUBLIC_TESTS.read_text(encoding="utf-8"))
    print("\nchurn_intent on public test splits (never trained on)")
    for name, texts in sets.items():
        messages = [Message(source="slack", source_id=f"p{i}", ts=datetime(2025, 1, 1, tzinfo=timezone.utc),
                            author="unknown", text=t) for i, t in enumerate(texts)]
        rate = sum(any(v.type == "churn_intent" for v in vs) for vs in classifier.classify(messages)) / len(texts)
        role = "recall" if "terminate" in name else "flagged (hard negative)"
        print(f"  {name} (n={len(texts)}): {rate:.1%} {role}")


def meeting_messages(folder: Path) -> list[Message]:
    """Ordinary meeting turns (QMSum, unlabelled, nearly all without a signal) of three words or more, as calls."""
    turns = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        turns += [t["content"].replace("{disfmarker}", "").replace("{vocalsound}", "")
                  for t in data["meeting_transcripts"] if len(t["content"].split()) >= 3]
    return [Message(source="call", source_id=f"q{i}", ts=datetime(2025, 1, 1, tzinfo=timezone.utc),
                    author="unknown", text=t) for i, t in enumerate(turns)]


def meeting_turns(classifier: LocalClassifier, folder: Path) -> None:
    """Share of ordinary meeting turns that raise each type: a false-positive floor."""
    messages = meeting_messages(folder)
    counts: dict[str, int] = {}
    for verdicts in classifier.classify(messages):
        for v in {v.type for v in verdicts}:
            counts[v] = counts.get(v, 0) + 1
    flagged = ", ".join(f"{t} {n / len(messages):.1%}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    print(f"\nmeetings_qmsum: {len(messages):,} ordinary meeting turns; flagged: {flagged or 'none'}")


def bands(folds: int) -> None:
    """Cross-validated macro-F1 and the share of messages the encoder reads, for each band of doubt in BANDS."""
    examples = load_examples(training_files(TRAINING))
    results: dict[tuple[float, float], list[Evaluation]] = {band: [] for band in BANDS + ((0.0, 0.0),)}
    read = {band: 0 for band in results}
    for model, tested, messages, recorded_encoder in encoder_fold_runs(
            examples, folds, load_encoder_folds(TRAINING / FOLDS_FILE)):
        for band in results:
            classifier = LocalClassifier(model, encoder=recorded_encoder, screen=band[0], trust=band[1])
            results[band].append(recorded(zip(tested, classifier.classify(messages))))
            read[band] += classifier.read
    scored = sum(r.messages for r in results[BANDS[0]])
    print(f"\n{folds}-fold cross-validation by band of doubt ({scored:,} hand-labelled messages; the encoder's folds)")
    print(f"{'screen':>7} {'trust':>6} {'macro-F1':>9} {'sd':>6} {'weakest type':>26} {'no-signal flagged':>18} {'read':>6}")
    for band, parts in results.items():
        macro = [r.macro_f1 for r in parts]
        weakest = min(MESSAGE_TYPES, key=lambda t: statistics.mean(r.per_type[t].f1 for r in parts))
        print(f"{band[0]:7.2f} {band[1]:6.2f} {statistics.mean(macro):9.3f} {statistics.stdev(macro):6.3f} "
              f"{weakest:>20} {statistics.mean(r.per_type[weakest].f1 for r in parts):.3f} "
              f"{statistics.mean(r.false_positive_rate for r in parts):18.1%} {read[band] / scored:6.1%}")


def speed(classifier: LocalClassifier, total: int, *, encoder: bool) -> None:
    inputs = {"dev messages (trained on)": [to_message(e) for e in load_examples([TRAINING / "data" / "dev_messages.jsonl"])],
              "held-out files (never trained on)": [to_message(e) for e in load_examples(heldout_files(TRAINING))]}
    if MEETINGS.is_dir():
        inputs["QMSum meeting turns"] = meeting_messages(MEETINGS)
    print(f"local classifier{' with the encoder' if encoder else ', n-grams alone'}, one process, batches of 1,000, "
          f"{total:,} messages (best of 3):")
    for name, messages in inputs.items():
        rate, read = measure_speed(classifier, messages, total)
        print(f"  {name + ':':36} {rate:7,.0f} messages/s, encoder read {read:5.1%}  "
              f"({len(messages):,} distinct, mean {sum(len(m.text) for m in messages) / len(messages):.0f} chars)")
    for name in ("dev messages (trained on)", "held-out files (never trained on)"):
        rate, seconds = measure_cli(inputs[name], total, encoder=encoder)
        print(f"  `groundswell classify --input`, {total:,} lines of the {name}: {rate:7,.0f} messages/s "
              f"({seconds:.1f}s including process start and model load)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--encoder", action=argparse.BooleanOptionalAction, default=True,
                        help="the default: n-grams, and the encoder on the messages they are unsure of")
    parser.add_argument("--bands", action="store_true", help="cross-validated F1 and encoder reads by band")
    parser.add_argument("--encoder-folds", nargs="+", type=Path,
                        help="cross-validate only, the encoder's scores being the mean of these fold files")
    args = parser.parse_args()
    if args.encoder_folds:
        cross_validation(args.folds, encoder=True, encoder_folds=args.encoder_folds)
        return
    if args.bands:
        bands(args.folds)
        return
    classifier = LocalClassifier(encoder=load_encoder() if args.encoder else None)
    if args.quality:
        print(f"held-out files (never trained on), shipped model{' with the encoder' if args.encoder else ''}:")
        pairs = heldout(classifier)
        if args.encoder:
            encoder_difference(pairs)
        public_tests(classifier)
        if MEETINGS.is_dir():
            meeting_turns(classifier, MEETINGS)
        cross_validation(args.folds, encoder=args.encoder)
        return
    speed(classifier, args.messages, encoder=args.encoder)


if __name__ == "__main__":
    main()
