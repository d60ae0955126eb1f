"""Benchmark: ingest + analyze throughput and peak memory, in the real input formats.

    python bench/pipeline.py                 # N = 10,000 and 100,000, each in a fresh process
    python bench/pipeline.py --n 50000       # one size
    python bench/pipeline.py --db postgresql://postgres@127.0.0.1:5432/test

Generates N messages across N/250 accounts — 60% Slack export day files,
30% mbox email, 10% call-transcript turns (WebVTT) — with a realistic mix
of ordinary chatter and signal-bearing sentences, then times `ingest` and
`analyze` exactly as the CLI runs them.  Generation is not timed.  Peak
memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tools import exports  # noqa: E402

START = datetime(2026, 8, 3, 9, 0, tzinfo=timezone.utc)
CHATTER = [
    "quick one: is there a way to pin a flow to the top of the dashboard?",
    "thanks, that fixed it. appreciate the fast turnaround",
    "can we move Thursday's sync to 3pm? half the team is out",
    "the export finished fine this time, numbers look right",
    "we cancelled the stand-up today, nothing to report",
    "looping in Priya who owns the finance workflows now",
    "Our customers churned less this quarter, good news all round.",
    "Any chance the webhook retries are configurable per endpoint?",
]
SIGNALS = [
    "Heads up: we're not planning to renew when the contract ends in January.",
    "Our VP wants us to run a pilot with Flowstack before the renewal.",
    "Finance wants us to cut 30% of seats next quarter, the budget got cut.",
    "Dana's last day is Friday, Sam will take over the admin work.",
    "Third outage this month, this is not acceptable for our ops team.",
    "Can you send pricing for 50 more seats on the Scale plan?",
    "Our support org saw the dashboards and wants in as well.",
    "We just closed our Series C and are doubling the team.",
    "This cut our ticket backlog in half, happy to do a case study.",
    "I'll send the signed SOW by Thursday.",
]


def generate(root: Path, n: int, seed: int = 7, accounts_n: int | None = None) -> list[str]:
    """N messages over `accounts_n` accounts (default N/250) in the real formats; returns the account ids."""
    rng = random.Random(seed)
    accounts = [f"ACC-{i:05d}" for i in range(accounts_n or max(1, n // 250))]
    exports.write_csv(root / "accounts.csv", [
        {"account_id": a, "name": f"Company {a}", "mrr": rng.choice([500, 2000, 8000, 30000]),
         "domains": f"{a.lower()}.example", "slack_channels": f"ext-{a.lower()}",
         "csm": f"csm{i % 12}@vendor.example", "segment": ("SMB", "Mid-Market", "Enterprise")[i % 3],
         "renewal_date": f"2026-{i % 12 + 1:02d}-15"}
        for i, a in enumerate(accounts)],
        ["account_id", "name", "mrr", "domains", "slack_channels", "csm", "segment", "renewal_date"])
    text = lambda: rng.choice(SIGNALS) if rng.random() < 0.15 else rng.choice(CHATTER)  # noqa: E731
    _slack(root / "slack", accounts, int(n * 0.6), rng, text)
    _email(root / "email", accounts, int(n * 0.3), rng, text)
    _calls(root / "calls", accounts, n - int(n * 0.6) - int(n * 0.3), rng, text)
    return accounts


def _when(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(0, 88 * 24 * 60))


def _slack(root: Path, accounts: list[str], n: int, rng: random.Random, text) -> None:
    users = [{"id": f"U{i}", "name": f"user{i}", "real_name": f"Person {i}",
              "profile": {"real_name": f"Person {i}", "email": f"person{i}@{accounts[i % len(accounts)].lower()}.example"}}
             for i in range(len(accounts) * 3)]
    users.append({"id": "UCSM", "name": "csm", "real_name": "Casey CSM", "profile": {"real_name": "Casey CSM", "email": "csm@vendor.example"}})
    channels = [{"id": f"C{i}", "name": f"ext-{a.lower()}", "members": [f"U{i}", "UCSM"]} for i, a in enumerate(accounts)]
    messages: dict[str, list[dict]] = {c["name"]: [] for c in channels}
    for k in range(n):
        i = rng.randrange(len(accounts))
        user = f"U{i + len(accounts) * rng.randrange(3)}" if rng.random() < 0.7 else "UCSM"
        messages[channels[i]["name"]].append({"type": "message", "user": user, "text": text(),
                                              "ts": exports.make_slack_ts(_when(rng), k)})
    exports.write_slack_export(root, users=users, channels=channels, messages=messages)


def _email(root: Path, accounts: list[str], n: int, rng: random.Random, text) -> None:
    emails = []
    for k in range(n):
        a = accounts[rng.randrange(len(accounts))].lower()
        emails.append({"message_id": f"<bench-{k}@{a}.example>", "date": _when(rng),
                       "from": (f"Person {k % 7}", f"p{k % 7}@{a}.example"), "to": [("Casey CSM", "csm@vendor.example")],
                       "subject": "Re: weekly check-in", "body": f"Hi Casey,\n\n{text()}\n\nBest,\nPerson {k % 7}\n"})
    for part in range(0, len(emails), 5000):
        exports.write_mbox(root / f"box{part // 5000}.mbox", emails[part:part + 5000])


def _calls(root: Path, accounts: list[str], n: int, rng: random.Random, text) -> None:
    turns_per_call = 20
    for call in range(max(1, n // turns_per_call)):
        a = accounts[call % len(accounts)]
        turns = [{"speaker": "Casey CSM" if t % 2 else f"Person {t % 5}", "start": t * 30.0, "end": t * 30.0 + 25,
                  "text": text()} for t in range(turns_per_call)]
        exports.write_vtt(root / a / f"{_when(rng):%Y-%m-%d}-call-{call}.vtt", turns, style="voice")


def run_once(n: int, db: str | None) -> None:
    from groundswell.pipeline import analyze, ingest
    from groundswell.report import end_of_day
    from groundswell.settings import Settings, load_config
    from groundswell.wiring import build_agents, build_classifier, build_engine
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        generate(data, n)
        if db:
            _empty(db)
        engine = build_engine(db or f"sqlite:///{Path(tmp) / 'bench.db'}")
        t0 = time.perf_counter()
        ingested = ingest(engine, paths=[data])
        t1 = time.perf_counter()
        classifier = build_classifier("local", Settings())
        agents, multithread = build_agents(classifier, load_config())
        now = datetime.now(timezone.utc)
        analysed = analyze(engine, classifier=classifier, agents=agents, multithread=multithread,
                           as_of=end_of_day(START.date() + timedelta(days=90)), now=now)
        t2 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"N={n:>7,}  stored {ingested.inserted:>7,}  signals {analysed.signals:>6,}  "
          f"ingest {ingested.seen / (t1 - t0):>7,.0f} msg/s  analyze {analysed.messages / (t2 - t1):>7,.0f} msg/s  "
          f"ingest+analyze {ingested.seen / (t2 - t0):>7,.0f} msg/s ({t2 - t0:.1f} s)  peak RSS {peak_mb:,.0f} MB",
          flush=True)


def _empty(db: str) -> None:
    """A benchmark database starts empty: drop Groundswell's tables (never point this at real data)."""
    from groundswell import store
    engine = store.make_engine(db)
    store.drop_schema(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="messages to generate (repeatable)")
    parser.add_argument("--db", default=None,
                        help="database URL (default: a fresh SQLite file); its Groundswell tables are DROPPED first")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = args.n or [10_000, 100_000]
    if args.child:
        run_once(sizes[0], args.db)
        return
    for n in sizes:  # a fresh process per size, so peak memory is that size's own
        command = [sys.executable, __file__, "--child", "--n", str(n)] + (["--db", args.db] if args.db else [])
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
