"""The harness's own customer baseline (CBL) and DR credit, written from docs/baselines.md and
the settlement rules (docs/contracts.md, Y.2072 7.5 and 8.2.1), not from the reference
broker's code; see `harness.billing.oracle` for why an oracle must be independent.

Construction (different from the reference's on purpose): the meter data is first laid out as
one table of local day x wall-clock slot (summed over the supply point's meters), then the walk
back over calendar days, the low-usage pass, the selection and the adjustment read that table.
Sums use `math.fsum`, so the figures do not depend on summation order.

Defaults the bill checks use (the same the broker documents): adjustment window of 3 h ending
1 h before the event, look-back of 45 days, no holidays or prior event days declared.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from math import fsum
from zoneinfo import ZoneInfo

from .oracle import OracleRefusal

LOOK_BACK_DAYS = 45
LOW_USAGE = 0.25
# method -> (candidate days, days kept, adjustment)
METHODS = {"high-4-of-5": (5, 4, "additive"), "10-of-10": (10, 10, "additive-capped"),
           "high-5-of-10": (10, 5, "multiplicative")}
CAP = 0.2
CLAMP = (0.8, 1.2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Baseline:
    days_used: tuple[date, ...]
    adjusted_kwh: tuple[float, ...]
    adjustment: float

    @property
    def total_kwh(self) -> float:
        return fsum(self.adjusted_kwh)


def _mean(values) -> float:
    values = list(values)
    return fsum(values) / len(values)


def _steps(first: datetime, stop: datetime, step: timedelta) -> list[datetime]:
    out = []
    while first < stop:
        out.append(first)
        first += step
    return out


def baseline(method: str, start: datetime, end: datetime, readings: Sequence, zone: ZoneInfo,
             adjustment_hours: int = 3, gap_hours: int = 1) -> tuple[Baseline, list[float]]:
    """(the baseline, the actual import per event interval) for the event [start, end)."""
    if method not in METHODS:
        raise OracleRefusal(f"unknown CBL method {method!r}; known: {', '.join(METHODS)}")
    wanted, kept, kind = METHODS[method]
    imports: dict[tuple[datetime, datetime], list[float]] = defaultdict(list)
    for r in readings:
        if r.direction == "import":
            imports[(r.interval_start, r.interval_end)].append(float(r.energy_kwh))
    lengths = {e - s for s, e in imports}
    if len(lengths) != 1:
        raise OracleRefusal(f"a baseline needs one interval length; the data holds {len(lengths)}")
    step = lengths.pop()
    load = {s: fsum(v) for (s, _), v in imports.items()}
    event = _steps(start, end, step)
    window_end = start - timedelta(hours=gap_hours)
    window = _steps(window_end - timedelta(hours=adjustment_hours), window_end, step)
    event_day = start.astimezone(zone).date()
    if window[0].astimezone(zone).date() != event_day:
        raise OracleRefusal("the adjustment window does not start on the event day")
    missing = [t for t in window + event if t not in load]
    if missing:
        raise OracleRefusal(f"no import reading for the interval starting {missing[0].isoformat()}")
    slot = lambda t: t.astimezone(zone).time()  # noqa: E731 - local wall-clock slot of an instant
    event_slots, window_slots = [slot(t) for t in event], [slot(t) for t in window]
    table: dict[date, dict] = defaultdict(lambda: defaultdict(list))  # day -> slot -> readings
    for instant, kwh in load.items():
        local = instant.astimezone(zone)
        if local.date() < event_day:
            table[local.date()][local.time()].append(kwh)
    needed = set(event_slots) | set(window_slots)
    eligible = []
    for back in range(1, LOOK_BACK_DAYS + 1):
        day = event_day - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        if all(len(table[day][s]) == 1 for s in needed):
            eligible.append(day)      # newest first
    if len(eligible) < wanted:
        raise OracleRefusal(f"{method} needs {wanted} eligible days in the {LOOK_BACK_DAYS} days before "
                            f"{event_day}; found {len(eligible)}")
    value = lambda day, s: table[day][s][0]  # noqa: E731
    level = {day: _mean(value(day, s) for s in event_slots) for day in eligible}
    candidates, spare = eligible[:wanted], eligible[wanted:]
    threshold = LOW_USAGE * _mean(level[d] for d in candidates)
    survivors = [d for d in candidates if level[d] >= threshold]
    dropped = wanted - len(survivors)
    if dropped > len(spare):
        raise OracleRefusal(f"{method} needs {wanted} eligible days in the {LOOK_BACK_DAYS} days before "
                            f"{event_day} after dropping low-usage days; found {len(survivors) + len(spare)}")
    candidates = survivors + spare[:dropped]
    by_recency = {day: -day.toordinal() for day in candidates}
    used = sorted(sorted(candidates, key=lambda d: (-level[d], by_recency[d]))[:kept])
    per_slot = {s: _mean(value(d, s) for d in used) for s in needed}
    unadjusted = [per_slot[s] for s in event_slots]
    b = _mean(per_slot[s] for s in window_slots)
    a = _mean(load[t] for t in window)
    if kind == "multiplicative":
        factor = min(max(a / b if b else 1.0, CLAMP[0]), CLAMP[1])
        adjusted, adjustment = [u * factor for u in unadjusted], factor
    elif kind == "additive":
        adjustment = a - b
        adjusted = [max(0.0, u + adjustment) for u in unadjusted]
    else:
        adjustment = a - b
        adjusted = [u + min(max(adjustment, -CAP * u), CAP * u) for u in unadjusted]
    return Baseline(tuple(used), tuple(adjusted), adjustment), [load[t] for t in event]


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class CreditFigures:
    baseline_kwh: float
    delivered_kwh: float
    amount: Decimal


def dr_credit(credit: Mapping, method: str, readings: Sequence, zone: ZoneInfo) -> CreditFigures:
    """A bill's DR credit recomputed: delivered reduction = adjusted baseline - actual import over
    the window (negative counts as none), then the settlement rules of the contract terms the
    bill carries: min(delivered, contracted) x price; fulfilled (delivered >= contracted less the
    tolerance) earns incentive_pct % of the contract value, otherwise the shortfall pays the
    penalty; every line to the cent, half to even."""
    start, end = datetime.fromisoformat(credit["window_start"]), datetime.fromisoformat(credit["window_end"])
    cbl, actual = baseline(method, start, end, readings, zone)
    delivered = round(max(cbl.total_kwh - fsum(actual), 0.0), 3)
    contracted = float(credit["contracted_kwh"])
    price = Decimal(str(credit["price_per_kwh"]))
    threshold = round(contracted * (1 - float(credit["tolerance_pct"]) / 100), 3)
    energy = _cents(Decimal(str(min(delivered, contracted))) * price)
    if delivered >= threshold:
        extra = _cents(Decimal(str(contracted)) * price * Decimal(str(float(credit["incentive_pct"]))) / 100)
    else:
        shortfall = round(max(contracted - delivered, 0.0), 3)
        extra = -_cents(Decimal(str(shortfall)) * Decimal(str(credit["penalty_per_kwh"])))
    return CreditFigures(round(cbl.total_kwh, 3), delivered, energy + extra)
