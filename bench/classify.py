"""Benchmark of the local classifier: throughput, and quality on the dev set.

    python bench/classify.py                 # messages/s on dev_messages repeated to 100k,
                                             # all of them and the short (<= 200 chars) ones
    python bench/classify.py --quality       # per-type P/R/F1 on the tuned and held-out splits,
                                             # plus churn_intent on public hard negatives

The dev set is split deterministically: ids whose number is divisible by 5
are the held-out 20%, never read while tuning the cues; the other 80% is
the tuned part.  `--data` points at the shared data folder (default: the
`shared/data` folder beside the repository).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agents.classifiers.local import CueClassifier  # noqa: E402
from connectors.base import Message  # noqa: E402
from signals.catalog import MESSAGE_TYPES  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)
SHORT = 200  # characters: a chat-sized message


def load_dev(data: Path) -> list[dict]:
    with (data / "dev_messages.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def to_message(row: dict) -> Message:
    ts = datetime.fromisoformat(row["ts"].replace("Z", "+00:00")).astimezone(timezone.utc)
    return Message(source=row["source"], source_id=row["id"], ts=ts, author=row["author"],
                   text=row["text"], author_side=row["author_side"])


def is_held_out(row: dict) -> bool:
    return int(row["id"].lstrip("d")) % 5 == 0


def measure_speed(rows: list[dict], total: int) -> float:
    """Messages per second classifying `rows` repeated to `total` messages (best of three runs)."""
    messages = [to_message(r) for r in rows]
    batch = (messages * (total // len(messages) + 1))[:total]
    classifier = CueClassifier()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        classifier.classify(batch)
        best = min(best, time.perf_counter() - started)
    return total / best


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(rows: list[dict], classifier: CueClassifier) -> dict[str, Counter]:
    counts = {t: Counter() for t in MESSAGE_TYPES}
    predictions = classifier.classify([to_message(r) for r in rows])
    for row, verdicts in zip(rows, predictions):
        gold, got = set(row["labels"]), {v.type for v in verdicts}
        for t in MESSAGE_TYPES:
            counts[t]["tp" if t in gold and t in got else "fp" if t in got else "fn" if t in gold else "tn"] += 1
    return counts


def print_scores(title: str, counts: dict[str, Counter]) -> None:
    print(f"\n{title}\n{'type':22} {'P':>5} {'R':>5} {'F1':>5} {'tp':>4} {'fp':>4} {'fn':>4}")
    f1s = []
    for t, c in counts.items():
        p, r, f = f1(c["tp"], c["fp"], c["fn"])
        f1s.append(f)
        print(f"{t:22} {p:5.2f} {r:5.2f} {f:5.2f} {c['tp']:4d} {c['fp']:4d} {c['fn']:4d}")
    print(f"{'macro-F1':22} {sum(f1s) / len(f1s):17.3f}")


def owner_due_accuracy(rows: list[dict], classifier: CueClassifier) -> tuple[float, float, int]:
    """Of action items found and labelled: owner (first name) and due agree with any labelled item."""
    owner_ok = due_ok = n = 0
    for row, verdicts in zip(rows, classifier.classify([to_message(r) for r in rows])):
        items = row.get("action_items") or []
        found = [v for v in verdicts if v.type == "action_item"]
        if not items or not found:
            continue
        n += 1
        owner = (found[0].owner or "").split()[0].lower()
        owner_ok += any(owner == (i["owner"] or "").split()[0].lower() for i in items)
        due_ok += any((found[0].due.isoformat() if found[0].due else None) == i["due"] for i in items)
    return owner_ok / max(n, 1), due_ok / max(n, 1), n


def churn_rate(texts: list[str], classifier: CueClassifier) -> float:
    messages = [Message(source="slack", source_id=f"x{i}", ts=EPOCH, author="", text=t, author_side="customer")
                for i, t in enumerate(texts)]
    hits = sum(any(v.type == "churn_intent" for v in vs) for vs in classifier.classify(messages))
    return hits / max(len(texts), 1)


def hard_negative_report(data: Path, classifier: CueClassifier) -> None:
    public = data / "public"
    clinc = json.loads((public / "clinc150_oos" / "data_full.json").read_text(encoding="utf-8"))
    cancel = [text for text, intent in clinc["test"] if intent == "cancel"]
    with (public / "banking77" / "test.csv").open(encoding="utf-8", newline="") as handle:
        banking = list(csv.DictReader(handle))
    by_intent = {name: [r["text"] for r in banking if r["category"] == name]
                 for name in ("cancel_transfer", "terminate_account")}
    print("\nchurn_intent on public sets")
    print(f"  clinc150 test 'cancel' (hard negative, n={len(cancel)}): {churn_rate(cancel, classifier):.1%} flagged")
    for name, texts in by_intent.items():
        role = "recall" if name == "terminate_account" else "flagged (hard negative)"
        print(f"  banking77 test '{name}' (n={len(texts)}): {churn_rate(texts, classifier):.1%} {role}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--quality", action="store_true")
    args = parser.parse_args()
    rows = load_dev(args.data)
    if not args.quality:
        short = [r for r in rows if len(r["text"]) <= SHORT]
        print(f"local classifier, single thread, {args.messages:,} messages (best of 3):")
        print(f"  dev_messages repeated:       {measure_speed(rows, args.messages):9,.0f} messages/s"
              f"  (mean {sum(len(r['text']) for r in rows) / len(rows):.0f} chars)")
        print(f"  dev messages <= {SHORT} chars:  {measure_speed(short, args.messages):9,.0f} messages/s"
              f"  ({len(short)} distinct, mean {sum(len(r['text']) for r in short) / len(short):.0f} chars)")
        return
    classifier = CueClassifier()
    for title, part in (("tuned 80%", [r for r in rows if not is_held_out(r)]),
                        ("held-out 20% (id % 5 == 0)", [r for r in rows if is_held_out(r)])):
        print_scores(f"{title}: {len(part)} messages", score(part, classifier))
        owner, due, n = owner_due_accuracy(part, classifier)
        print(f"action items found and labelled: {n}; owner agrees {owner:.0%}, due agrees {due:.0%}")
    hard_negative_report(args.data, classifier)


if __name__ == "__main__":
    main()
