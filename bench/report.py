"""How fast `report` and `nrr` answer on a large portfolio: 5,000 accounts, 500,000 messages.

    python bench/report.py [--messages 500000] [--accounts 5000] [--db URL] [--keep DIR]

Builds the portfolio once (generated exports in the real formats, plus 24
months of revenue per account; ingest and analyze are not what is timed),
then runs `groundswell report --format json`, `report --account`, `nrr` and
`nrr --by segment` as a user would — fresh processes, start-up included —
three times each, and prints the best and worst wall time. `analyze` stores
the scored portfolio for its date (a snapshot), so those reports read it; the
"cold" line asks for a date with no snapshot, which scores the portfolio from
its signals, and is run once, because it stores what it computed. With `--keep DIR`
the portfolio is built in DIR the first time and reused afterwards, so the
timings can be rerun (or profiled) without the ten-minute build.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.pipeline import generate  # noqa: E402
from tools import exports  # noqa: E402

AS_OF = date(2026, 10, 31)  # the generated messages run from START (3 August 2026) for 88 days
COLD = date(2026, 10, 30)


def revenue(path: Path, accounts: list[str], seed: int = 11) -> None:
    """24 months per account ending at AS_OF, with realistic churn, contraction and expansion."""
    rng = random.Random(seed)
    months = [f"{2024 + (10 + k) // 12}-{(10 + k) % 12 + 1:02d}" for k in range(24)]  # 2024-11 .. 2026-10
    rows = []
    for a in accounts:
        mrr = rng.choice([500, 2000, 8000, 30000])
        for month in months:
            r = rng.random()
            mrr = 0 if mrr and r < 0.01 else mrr * 0.8 if r < 0.02 else mrr * 1.2 if r < 0.04 else mrr
            rows.append({"account_id": a, "month": month, "mrr": round(mrr, 2)})
    exports.write_csv(path, rows, ["account_id", "month", "mrr"])


def timed(args: list[str], cwd: Path, runs: int = 3) -> tuple[float, float]:
    """Best and worst wall time; output goes to a file, as in `groundswell report --format json > report.json`."""
    times = []
    for _ in range(runs):
        with open(cwd / "out.txt", "wb") as out:
            t0 = time.perf_counter()
            result = subprocess.run([sys.executable, "-m", "groundswell", *args], cwd=cwd, stdout=out,
                                    stderr=subprocess.PIPE, text=True)
            times.append(time.perf_counter() - t0)
        if result.returncode:
            raise SystemExit(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return min(times), max(times)


def build(root: Path, db: str, ns: argparse.Namespace) -> list[str]:
    t0 = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    accounts = generate(root / "data", ns.messages, accounts_n=ns.accounts)
    revenue(root / "data" / "revenue.csv", accounts)
    if ns.db:
        from bench.pipeline import _empty
        _empty(ns.db)
    for step in (["ingest", str(root / "data"), "--revenue", str(root / "data" / "revenue.csv")],
                 ["analyze", "--as-of", AS_OF.isoformat()]):
        subprocess.run([sys.executable, "-m", "groundswell", *step, "--db", db], cwd=root, check=True,
                       capture_output=True)
    print(f"built {ns.accounts:,} accounts, {ns.messages:,} messages in {time.perf_counter() - t0:.0f} s "
          f"({db.split(':')[0]}); {datetime.now(timezone.utc):%Y-%m-%d}")
    return accounts


def forget(db: str, day: date) -> None:
    """Drop the stored report for `day` (left by an earlier run with --keep), so the cold run is cold."""
    from sqlalchemy import create_engine, text
    engine = create_engine(db)
    with engine.begin() as connection:
        for table in ("report_account", "report_snapshot"):
            connection.execute(text(f"DELETE FROM {table} WHERE as_of = :day"), {"day": day.isoformat()})
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file); emptied first")
    parser.add_argument("--keep", type=Path, default=None,
                        help="build the portfolio in this directory once and reuse it on later runs")
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = ns.keep or Path(tmp)
        db = ns.db or f"sqlite:///{root / 'bench.db'}"
        built = root / "built.txt"
        if built.exists():
            accounts = built.read_text().split()
            print(f"reusing the portfolio in {root} ({len(accounts):,} accounts)")
        else:
            accounts = build(root, db, ns)
            built.write_text("\n".join(accounts))
        for label, args, *runs in (
                ("report --format json", ["report", "--format", "json", "--as-of", AS_OF.isoformat()]),
                ("report (table)", ["report", "--as-of", AS_OF.isoformat()]),
                ("report --account", ["report", "--account", accounts[0], "--as-of", AS_OF.isoformat()]),
                # A day nothing was scored for: the whole portfolio is scored from its signals, then stored.
                ("report, cold (json)", ["report", "--format", "json", "--as-of", COLD.isoformat()], 1),
                ("nrr (12 months)", ["nrr", "--start", "2025-10", "--end", "2026-10"]),
                ("nrr --by segment", ["nrr", "--start", "2025-10", "--end", "2026-10", "--by", "segment"])):
            if COLD.isoformat() in args:
                forget(db, COLD)
            best, worst = timed([*args, "--db", db], root, *runs)
            print(f"{label:<22} best {best:5.2f} s   worst {worst:5.2f} s", flush=True)


if __name__ == "__main__":
    main()
