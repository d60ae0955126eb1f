"""The cascade's trade-off: how many messages the local screen sends to the LLM, and how many true signals it loses.

    python bench/cascade.py [--slack 0 0.5 1 1.5 2 3]

For each slack (how far below a type's threshold a score may fall and still
go to the LLM) it prints, on the hand-labelled dev set and on the held-out
files (never trained on): the share of messages sent and the share of
labelled signals in messages that were not sent (lost before the LLM could
see them); and on ordinary meeting turns (QMSum, unlabelled, nearly all
without a signal) the share sent.  Target: at most 25% of ordinary traffic
sent, at most 3% of true signals lost.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from agents.classifiers.local import LocalClassifier  # noqa: E402
from bench.classify import MEETINGS, TRAINING, meeting_messages  # noqa: E402
from connectors.base import Message  # noqa: E402
from groundswell.evaluation import to_message  # noqa: E402
from groundswell.training import heldout_files, load_examples  # noqa: E402


def labelled(paths: list[Path]) -> tuple[list[Message], list[int]]:
    examples = load_examples(paths)
    return [to_message(e) for e in examples], [len(e.labels) for e in examples]


def rates(screen: LocalClassifier, messages: list[Message], signals: list[int], slack: float) -> tuple[float, float]:
    sent = screen.plausible(messages, slack=slack)
    lost = sum(n for n, s in zip(signals, sent) if not s)
    return sum(sent) / len(messages), lost / max(1, sum(signals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slack", type=float, nargs="+", default=[0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    ns = parser.parse_args()
    screen = LocalClassifier()
    dev = labelled([TRAINING / "data" / "dev_messages.jsonl"])
    held = labelled(heldout_files(TRAINING))
    meetings = meeting_messages(MEETINGS)
    print(f"dev set {len(dev[0])} messages ({sum(dev[1])} labelled signals); held-out {len(held[0])} "
          f"({sum(held[1])}); ordinary meeting turns {len(meetings):,}")
    print("slack | dev sent | dev lost | held-out sent | held-out lost | meeting turns sent")
    for slack in ns.slack:
        dev_sent, dev_lost = rates(screen, *dev, slack)
        held_sent, held_lost = rates(screen, *held, slack)
        meet_sent, _ = rates(screen, meetings, [0] * len(meetings), slack)
        print(f"{slack:5.1f} | {dev_sent:8.1%} | {dev_lost:8.1%} | {held_sent:13.1%} | {held_lost:13.1%} | "
              f"{meet_sent:18.1%}", flush=True)


if __name__ == "__main__":
    main()
