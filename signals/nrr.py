"""Revenue arithmetic: MRR movements, NRR, GRR, logo retention, cohorts, segments.

Pure functions over monthly MRR history, ``{account_id: {"YYYY-MM": mrr}}``,
with no I/O and nothing beyond the standard library, so the CLI, the demo,
the digest and the benchmarks all compute retention the same way.

Conventions (SaaS Metrics Standards Board and ChartMogul):

* Activity.  An account is active in a month when its MRR there is > 0.  A
  month with no row counts as 0, so a missing month after an active one is
  churn.  Negative or non-finite MRR is rejected with ValueError.
* Movements are ChartMogul's five, per account between consecutive months:
  new (first paid MRR ever), expansion (any increase), contraction (any
  decrease that leaves it paying), churn (paying -> 0) and reactivation
  (paying again after having churned).  Amounts are positive magnitudes.  The
  movements of a range (start, end] are those of each month after ``start`` up
  to and including ``end``, so MRR(start) + net == MRR(end).
* Retention compares two snapshots of one cohort: the accounts active in the
  start month.  Each one's end-month MRR is compared with its start-month MRR:
  more is expansion, less is contraction, 0 or missing is churned.  New logos,
  and reactivations of accounts outside the cohort, are excluded, as in
  ChartMogul's NRR chart (not its cohort "Net MRR Retention", which counts
  reactivation).  A cohort account that churned mid-period and pays again by
  the end month counts by its end-month MRR alone; what happened between the
  two snapshots does not matter.
* NRR = (start + expansion - contraction - churned) / start x 100.
  GRR = (start - contraction - churned) / start x 100, capped at 100: one
  account's expansion never offsets another's loss.  Logo retention = cohort
  accounts active at the end / cohort size x 100.  An empty cohort gives None
  for all three rather than dividing by zero.
* Dataclasses keep full floats; ``to_dict()`` rounds for presentation only
  (money to 2 decimals, percentages to 1).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Collection, Iterator, Mapping

History = Mapping[str, Mapping[str, float]]
KINDS = ("new", "expansion", "contraction", "churn", "reactivation")
NO_GROUP = "(none)"
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month: ``Month.parse("2025-11") + 3 == Month(2026, 2)``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"invalid month {self.year}-{self.month}: the month must be 1 to 12")

    @classmethod
    def parse(cls, value: str | date | Month) -> Month:
        """A Month from "YYYY-MM", a date, or a Month (returned as is)."""
        if isinstance(value, Month):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month)
        return _parse_text(str(value))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __add__(self, months: int) -> Month:
        if not isinstance(months, int):
            return NotImplemented
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __sub__(self, other: int | Month):
        """``month - n`` is n months earlier; ``month - other`` is the months between them."""
        if isinstance(other, Month):
            return (self.year - other.year) * 12 + self.month - other.month
        if isinstance(other, int):
            return self + -other
        return NotImplemented

    @property
    def quarter(self) -> str:
        """The calendar quarter's label, e.g. "2025-Q3"."""
        return f"{self.year:04d}-Q{(self.month - 1) // 3 + 1}"

    @property
    def quarter_start(self) -> Month:
        return Month(self.year, (self.month - 1) // 3 * 3 + 1)


@functools.lru_cache(maxsize=4096)
def _parse_text(value: str) -> Month:
    # Cached: a revenue history repeats the same few dozen month strings across thousands of accounts.
    match = _MONTH.fullmatch(value.strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"invalid month {value!r}: expected YYYY-MM, e.g. 2025-07")
    return Month(int(match[1]), int(match[2]))


_Series = dict[Month, float]  # one account's active months only (MRR > 0)


def month_range(start: str | Month, end: str | Month) -> Iterator[Month]:
    """Every month from ``start`` to ``end``, both included; nothing if start > end."""
    first, last = Month.parse(start), Month.parse(end)
    for offset in range(last - first + 1):
        yield first + offset


@dataclass(frozen=True, slots=True)
class Movement:
    """One account's MRR change from the month before ``month`` to ``month``."""

    account_id: str
    month: Month
    kind: str  # one of KINDS
    before: float
    after: float

    @property
    def amount(self) -> float:
        """The size of the change, always positive."""
        return abs(self.after - self.before)


@dataclass(frozen=True)
class Movements:
    """MRR movements summed over a range, with each account's movements in ``detail``."""

    new: float = 0.0
    expansion: float = 0.0
    contraction: float = 0.0
    churn: float = 0.0
    reactivation: float = 0.0
    detail: tuple[Movement, ...] = ()

    @property
    def net(self) -> float:
        """Net new MRR: new + expansion + reactivation - contraction - churn."""
        return self.new + self.expansion + self.reactivation - self.contraction - self.churn

    def to_dict(self) -> dict[str, float]:
        return {kind: round(getattr(self, kind), 2) for kind in KINDS} | {"net": round(self.net, 2)}


@dataclass(frozen=True)
class Retention:
    """Revenue and logo retention of the cohort active in ``start``, measured at ``end``.

    Percentages are None when the cohort is empty; ``accounts`` is the cohort size.
    """

    start: Month
    end: Month
    starting_mrr: float
    expansion_mrr: float
    contraction_mrr: float
    churned_mrr: float
    nrr: float | None
    grr: float | None
    logo_retention: float | None
    accounts: int

    @property
    def ending_mrr(self) -> float:
        """The cohort's MRR at ``end`` (new logos excluded)."""
        return self.starting_mrr + self.expansion_mrr - self.contraction_mrr - self.churned_mrr

    def to_dict(self) -> dict[str, object]:
        """The figures under the `nrr --format json` keys, rounded for presentation."""
        money = {key: round(getattr(self, key), 2)
                 for key in ("starting_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr")}
        percent = {key: None if getattr(self, key) is None else round(getattr(self, key), 1)
                   for key in ("nrr", "grr", "logo_retention")}
        return {"start": str(self.start), "end": str(self.end), **money, **percent, "accounts": self.accounts}


def classify_movement(before: float, after: float, *, paid_before: bool) -> str | None:
    """The kind of an account's MRR change from ``before`` to ``after``, or None if none.

    ``paid_before`` says whether the account paid in any earlier month, which
    tells reactivation from new business.
    """
    if before > 0 and after > 0:
        return "expansion" if after > before else "contraction" if after < before else None
    if before > 0:
        return "churn"
    if after > 0:
        return "reactivation" if paid_before else "new"
    return None


def classify_movements(history: History, month: str | Month) -> list[Movement]:
    """Every account's movement from the month before ``month`` into ``month``."""
    target = Month.parse(month)
    return list(movements(history, target - 1, target).detail)


def movements(history: History, start: str | Month, end: str | Month) -> Movements:
    """The movements of every month after ``start`` up to and including ``end``."""
    first, last = _span(start, end)
    months = list(month_range(first + 1, last))
    detail = [move for account_id, series in _normalise(history).items()
              for move in _account_movements(account_id, series, months)]
    detail.sort(key=lambda move: (move.month, move.account_id))
    sums = dict.fromkeys(KINDS, 0.0)
    for move in detail:
        sums[move.kind] += move.amount
    return Movements(**sums, detail=tuple(detail))


def retention(history: History, start: str | Month, end: str | Month, *,
              accounts: Collection[str] | None = None) -> Retention:
    """NRR, GRR and logo retention of the accounts active in ``start``, at ``end``.

    ``accounts`` restricts the cohort to those ids (ids not in history are ignored).
    """
    first, last = _span(start, end)
    series = _normalise(history)
    chosen = series.values() if accounts is None else (series.get(a, {}) for a in set(accounts))
    return _measure([(s[first], s.get(last, 0.0)) for s in chosen if first in s], first, last)


def retention_by(history: History, start: str | Month, end: str | Month,
                 groups: Mapping[str, str | None]) -> dict[str, Retention]:
    """Retention per group value (segment, plan, CSM...) of ``groups[account_id]``.

    Cohort accounts without a value go to "(none)".  Only groups with cohort
    accounts appear, so the groups' starting MRR adds up to the whole
    cohort's.  Keys are sorted, with "(none)" last.
    """
    first, last = _span(start, end)
    cohorts: dict[str, list[tuple[float, float]]] = {}
    for account_id, series in _normalise(history).items():
        if first in series:
            group = str(groups.get(account_id) or "").strip() or NO_GROUP
            cohorts.setdefault(group, []).append((series[first], series.get(last, 0.0)))
    ordered = sorted(cohorts, key=lambda group: (group == NO_GROUP, group))
    return {group: _measure(cohorts[group], first, last) for group in ordered}


def trailing_twelve_months(history: History, end: str | Month, *, first: str | Month | None = None) -> Retention:
    """Retention of the accounts paying twelve months before ``end``, at ``end``.

    With ``first`` (the history's first month), a history shorter than a year
    is measured from its start instead.
    """
    last = Month.parse(end)
    start = last - 12 if first is None else max(last - 12, Month.parse(first))
    return retention(history, start, last)


def cohort_vintages(history: History, end: str | Month) -> dict[str, Retention]:
    """Retention at ``end`` per vintage: the calendar quarter of each account's first paid month.

    A vintage's starting MRR is the sum of its accounts' MRR in their own first
    paid month, so its NRR is their MRR in ``end`` / that starting MRR.  Each
    account is compared with its own first month (expansion, contraction or
    churned, as in ``retention``); one that churned and came back counts by its
    MRR in ``end``.  Accounts first paying after ``end`` are left out.
    ``Retention.start`` is the first month of the quarter.  Keys like
    "2025-Q3", oldest first.
    """
    last = Month.parse(end)
    vintages: dict[Month, list[tuple[float, float]]] = {}
    for series in _normalise(history).values():
        first = min((month for month in series if month <= last), default=None)
        if first is not None:
            vintages.setdefault(first.quarter_start, []).append((series[first], series.get(last, 0.0)))
    return {quarter.quarter: _measure(pairs, quarter, last) for quarter, pairs in sorted(vintages.items())}


def compound(nrr_percent: float, years: float) -> float:
    """The value multiple of a cohort after ``years`` at a constant annual NRR."""
    if nrr_percent < 0:
        raise ValueError(f"invalid NRR {nrr_percent}: a retention percentage cannot be negative")
    return (nrr_percent / 100) ** years


def monthly_mrr_series(history: History) -> dict[str, float]:
    """Total MRR per "YYYY-MM", every month from the first to the last in history, gaps as 0."""
    months = [Month.parse(key) for series in history.values() for key in series]
    if not months:
        return {}
    totals = dict.fromkeys(month_range(min(months), max(months)), 0.0)
    for series in _normalise(history).values():
        for month, mrr in series.items():
            totals[month] += mrr
    return {str(month): total for month, total in totals.items()}


def _span(start: str | Month, end: str | Month) -> tuple[Month, Month]:
    first, last = Month.parse(start), Month.parse(end)
    if first > last:
        raise ValueError(f"start {first} is after end {last}: give the earlier month first")
    return first, last


def _normalise(history: History) -> dict[str, _Series]:
    """Validated history keyed by Month, keeping only active (MRR > 0) months."""
    parse = Month.parse  # bound once: this runs over every account-month of the history
    normalised: dict[str, _Series] = {}
    for account_id, rows in history.items():
        series: _Series = {}
        for key, mrr in rows.items():
            month, value = parse(key), float(mrr)
            if 0 < value < math.inf:
                series[month] = value
            elif value != 0:  # negative, NaN or infinite
                raise ValueError(f"invalid MRR {mrr!r} for {account_id} in {month}: expected a number >= 0")
        normalised[account_id] = series
    return normalised


def _account_movements(account_id: str, series: _Series, months: list[Month]) -> Iterator[Movement]:
    first_paid = min(series, default=None)
    for month in months:
        before, after = series.get(month - 1, 0.0), series.get(month, 0.0)
        paid_before = first_paid is not None and first_paid < month
        kind = classify_movement(before, after, paid_before=paid_before)
        if kind is not None:
            yield Movement(account_id, month, kind, before, after)


def _measure(pairs: list[tuple[float, float]], start: Month, end: Month) -> Retention:
    """Retention from each cohort account's (starting MRR > 0, ending MRR)."""
    expansion = contraction = churned = 0.0
    retained = 0
    for before, after in pairs:
        if after <= 0:
            churned += before
            continue
        retained += 1
        expansion += max(after - before, 0.0)
        contraction += max(before - after, 0.0)
    if not pairs:
        return Retention(start, end, 0.0, 0.0, 0.0, 0.0, None, None, None, 0)
    starting = sum(before for before, _ in pairs)
    nrr = (starting + expansion - contraction - churned) / starting * 100
    grr = min(100.0, (starting - contraction - churned) / starting * 100)
    return Retention(start, end, starting, expansion, contraction, churned,
                     nrr, grr, retained / len(pairs) * 100, len(pairs))
