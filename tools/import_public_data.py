"""Turn the public data sets' training splits into Groundswell training JSONL.

    python tools/import_public_data.py ../shared/data/public training/public

Each public set speaks for only some signal types, so each line carries
`known` (the types its label says something about) and a `weight` below one
for weak mappings.  Only training splits are read; the test splits stay out
of the repository's training data so `bench/classify.py` can measure on them.
Sampling is seeded, so the output is the same on every run.  Each set's
README and licence are copied beside its file (attribution; Bitext's data is
share-alike, so it stays in the repository, never in the package).

The mapping (README of `shared/data/public`):
- banking77 `terminate_account` -> churn_intent; every other intent,
  `cancel_transfer` above all, is a negative for churn and the other
  relationship types.
- CLINC150 `cancel` ("never mind") and out-of-scope queries -> negatives.
- Bitext `delete_account`, `check_cancellation_fee` -> churn_intent;
  `complaint` -> dissatisfaction; a sample of the other intents -> negatives.
- Enron asks (`Yes`) -> action_item (a request to the other party); `No`
  lines are negatives unless they hold a first-person promise, which the
  Enron labels call No but our taxonomy calls an action item.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import shutil
from pathlib import Path
from typing import Iterator

SEED = 20261123
TS = "2025-01-01T12:00:00Z"
RELATIONSHIP = ["churn_intent", "competitor_mention", "champion_departure", "growth_event", "new_use_case"]
_PROMISE = re.compile(r"\b(?:i'?ll|i will|we'?ll|we will|let me|i'?m going to|we'?re going to)\b", re.I)


def line(prefix: str, i: int, text: str, labels: list[str], known: list[str], weight: float, source: str = "slack") -> dict:
    return {"id": f"{prefix}{i:05d}", "source": source, "author": "unknown", "author_side": "customer", "ts": TS,
            "text": text.strip(), "labels": labels, "known": known, "weight": weight,
            "action_items": [{"owner": "vendor", "due": None}] if "action_item" in labels else []}


def banking77(root: Path, rng: random.Random) -> Iterator[dict]:
    rows = list(csv.DictReader(open(root / "banking77" / "train.csv", encoding="utf-8")))
    churn = [r for r in rows if r["category"] == "terminate_account"]
    hard = [r for r in rows if r["category"] == "cancel_transfer"]
    rest = rng.sample([r for r in rows if r["category"] not in ("terminate_account", "cancel_transfer")], 500)
    for i, r in enumerate(churn + hard + rest):
        yield line("pb", i, r["text"], ["churn_intent"] if r["category"] == "terminate_account" else [], RELATIONSHIP, 1.0)


def clinc150(root: Path, rng: random.Random) -> Iterator[dict]:
    data = json.load(open(root / "clinc150_oos" / "data_full.json", encoding="utf-8"))
    cancel = [t for t, intent in data["train"] if intent == "cancel"]
    rest = rng.sample([t for t, intent in data["train"] if intent != "cancel"], 300)
    oos = [t for t, _ in data["oos_train"]]
    for i, text in enumerate(cancel + oos + rest):
        yield line("pc", i, text, [], RELATIONSHIP, 1.0)


def bitext(root: Path, rng: random.Random) -> Iterator[dict]:
    path = root / "bitext_customer_support" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    by_intent: dict[str, list[str]] = {}
    for r in rows:
        by_intent.setdefault(r["intent"], []).append(r["instruction"])
    mapped = {"delete_account": "churn_intent", "check_cancellation_fee": "churn_intent", "complaint": "dissatisfaction"}
    picked = [(t, [label]) for intent, label in mapped.items() for t in rng.sample(by_intent[intent], 80)]
    others = sorted(set(by_intent) - set(mapped) - {"switch_account", "review"})
    picked += [(t, []) for intent in others for t in rng.sample(by_intent[intent], 12)]
    for i, (text, labels) in enumerate(picked):
        yield line("pt", i, text, labels, RELATIONSHIP + ["dissatisfaction"], 0.5)


def enron(root: Path, rng: random.Random) -> Iterator[dict]:
    rows = [l.rstrip("\n").split("\t", 1) for l in open(root / "enron_email_intent_parakweet" / "train_Ask0729-fixed.tsv",
                                                         encoding="utf-8", errors="replace")]
    asks = [t for label, t in rows if label == "Yes"]
    others = [t for label, t in rows if label == "No" and not _PROMISE.search(t)]
    picked = [(t, ["action_item"]) for t in rng.sample(asks, 400)] + [(t, []) for t in rng.sample(others, 400)]
    for i, (text, labels) in enumerate(picked):
        yield line("pe", i, text, labels, ["action_item"], 0.5, source="email")


SETS = {"banking77": banking77, "clinc150_oos": clinc150, "bitext_customer_support": bitext,
        "enron_email_intent_parakweet": enron}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the shared/data/public folder")
    parser.add_argument("out", type=Path, help="where the JSONL files go (training/public)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, reader in SETS.items():
        rng = random.Random(f"{SEED}:{name}")
        with open(args.out / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            count = 0
            for item in reader(args.source, rng):
                if item["text"]:
                    handle.write(json.dumps(item, ensure_ascii=False) + "\n")
                    count += 1
        for notice in ("README.txt", "LICENSE.txt"):
            (args.out / name).mkdir(exist_ok=True)
            shutil.copyfile(args.source / name / notice, args.out / name / notice)
        print(f"{name}: {count} lines")


if __name__ == "__main__":
    main()
