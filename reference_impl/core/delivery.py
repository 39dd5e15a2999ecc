"""Meter readings and delivery verification (Y.2072 7.5 third bullet; 8.2.1 "delivery
management"; 9.4 second role: actual against contracted energy, within an acceptable limit).

A contract is checked only after its delivery window has closed, and only on complete metered
data: every meter behind the product must have readings covering the whole window, or the check
refuses (it never assumes a missing interval delivered nothing, or everything).
Delivered energy:
- generation products: energy exported through the product's resource meters in the window;
- demand-reduction products: baseline minus energy imported, where the baseline is either the
  customer baseline load computed by the product's named method (core.baseline) from the
  meters' stored history (Y.2072 8.2.1 billing against the CBL), or the declared flat
  baseline_kw × hours. The product's meters are summed interval by interval first.
When several contracts share one product and window, the metered delivery is split between
them pro rata to their contracted energy. Fulfilled means delivered >= contracted ×
(1 − tolerance_pct / 100); over-delivery is not a breach.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from . import parsing as p
from .baseline import BaselineRequest, IntervalLoad, compute_baseline, delivered_reduction
from .contracts import Contract
from .errors import Conflict, FieldError, MarketError, Rejected
from .products import Product, Resource

DIRECTIONS = ("import", "export")
READING_QUALITIES = ("actual", "estimated")


@dataclass(frozen=True, kw_only=True)
class MeterReading:
    meter_id: str
    interval_start: datetime
    interval_end: datetime
    energy_kwh: float
    direction: str
    quality: str = "actual"

    def to_record(self) -> dict:
        return {"meter_id": self.meter_id, "interval_start": p.fmt_instant(self.interval_start),
                "interval_end": p.fmt_instant(self.interval_end), "energy_kwh": self.energy_kwh,
                "direction": self.direction, "quality": self.quality}

    @classmethod
    def from_record(cls, rec: Mapping) -> MeterReading:
        return cls(meter_id=rec["meter_id"],
                   interval_start=datetime.fromisoformat(rec["interval_start"]),
                   interval_end=datetime.fromisoformat(rec["interval_end"]),
                   energy_kwh=rec["energy_kwh"], direction=rec["direction"], quality=rec["quality"])


def parse_readings(meter_id: str, raw: Sequence[Mapping]) -> tuple[MeterReading, ...]:
    """Read a batch of interval readings for one meter; the whole batch is refused if any
    reading is bad, so nothing is stored half-way.

    Raises:
        Rejected: naming the reading by index, e.g. ``/readings/3/energy_kwh``.
    """
    if not isinstance(raw, (list, tuple)) or not raw:
        raise Rejected(FieldError("invalid-type", "/readings", "expected a non-empty list of readings"))
    readings = []
    for index, item in enumerate(raw):
        prefix = f"/readings/{index}"
        # Stored in UTC: the same interval sent as 12:00+02:00 and 10:00Z is one interval.
        reading = MeterReading(
            meter_id=meter_id,
            interval_start=p.instant(item, "interval_start", prefix).astimezone(timezone.utc),
            interval_end=p.instant(item, "interval_end", prefix).astimezone(timezone.utc),
            energy_kwh=p.number(item, "energy_kwh", prefix, minimum=0.0),
            direction=p.text(item, "direction", prefix, choices=DIRECTIONS),
            quality=p.text(item, "quality", prefix, required=False, choices=READING_QUALITIES,
                           default="actual"),
        )
        if reading.interval_end <= reading.interval_start:
            raise Rejected(FieldError("invalid-interval", f"{prefix}/interval_end",
                                      "interval must end after it starts"))
        readings.append(reading)
    return tuple(readings)


class HeldReadings:
    """The readings a meter already holds, per direction, kept sorted by interval start so a new
    reading is checked by binary search rather than against every held reading (a year of
    15-minute data is 35,040 readings per direction).

    Held intervals of one direction never overlap (this check keeps it so), hence only two
    neighbours can collide with a new interval: the last one starting before it and the first
    one starting at or after it.
    """

    def __init__(self, readings: Iterable[MeterReading] = ()):
        self._starts: dict[str, list[datetime]] = {}
        self._by_start: dict[tuple[str, datetime], MeterReading] = {}
        for reading in sorted(readings, key=lambda r: r.interval_start):
            self.add(reading)

    def same_interval(self, new: MeterReading) -> MeterReading | None:
        """The held reading for exactly this direction and start, if any."""
        return self._by_start.get((new.direction, new.interval_start))

    def overlap_error(self, new: MeterReading, index: int) -> FieldError | None:
        """A reading that overlaps a held one of the same direction without being the same
        interval would be counted twice; None when it is new or an exact repeat."""
        starts = self._starts.get(new.direction, [])
        position = bisect_left(starts, new.interval_start)
        for neighbour in (position - 1, position):
            if not 0 <= neighbour < len(starts):
                continue
            other = self._by_start[(new.direction, starts[neighbour])]
            same = (other.interval_start, other.interval_end) == (new.interval_start, new.interval_end)
            if not same and other.interval_start < new.interval_end and new.interval_start < other.interval_end:
                return FieldError("overlapping-reading", f"/readings/{index}",
                                  f"{new.direction} interval {p.fmt_instant(new.interval_start)} .. "
                                  f"{p.fmt_instant(new.interval_end)} overlaps the held interval "
                                  f"{p.fmt_instant(other.interval_start)} .. {p.fmt_instant(other.interval_end)}")
        return None

    def add(self, reading: MeterReading) -> None:
        key = (reading.direction, reading.interval_start)
        if key not in self._by_start:
            insort(self._starts.setdefault(reading.direction, []), reading.interval_start)
        self._by_start[key] = reading


@dataclass(frozen=True, kw_only=True)
class DeliveryReport:
    contract_id: str
    contracted_kwh: float
    delivered_kwh: float
    shortfall_kwh: float
    tolerance_pct: float
    threshold_kwh: float
    fulfilled: bool
    meters: tuple[str, ...]
    readings_used: int
    verified_at: datetime
    baseline_method: str | None = None     # demand reduction: how the baseline was set
    baseline_kwh: float | None = None      # the baseline over the window (product total)
    baseline_adjustment: float | None = None   # CBL in-day adjustment (kWh per interval, or factor)

    def to_record(self) -> dict:
        return {"contract_id": self.contract_id, "contracted_kwh": self.contracted_kwh,
                "delivered_kwh": self.delivered_kwh, "shortfall_kwh": self.shortfall_kwh,
                "tolerance_pct": self.tolerance_pct, "threshold_kwh": self.threshold_kwh,
                "fulfilled": self.fulfilled, "meters": list(self.meters),
                "readings_used": self.readings_used, "verified_at": p.fmt_instant(self.verified_at),
                "baseline_method": self.baseline_method, "baseline_kwh": self.baseline_kwh,
                "baseline_adjustment": self.baseline_adjustment}

    @classmethod
    def from_record(cls, rec: Mapping) -> DeliveryReport:
        return cls(**{**rec, "meters": tuple(rec["meters"]),
                      "verified_at": datetime.fromisoformat(rec["verified_at"])})


def _covered(readings: Sequence[MeterReading], start: datetime, end: datetime) -> bool:
    cursor = start
    for reading in sorted(readings, key=lambda r: r.interval_start):
        if reading.interval_start > cursor:
            return False
        cursor = max(cursor, reading.interval_end)
        if cursor >= end:
            return True
    return cursor >= end


def _summed_import(readings: Sequence[MeterReading]) -> list[IntervalLoad]:
    totals: dict[tuple[datetime, datetime], float] = {}
    for r in readings:
        if r.direction == "import":
            key = (r.interval_start, r.interval_end)
            totals[key] = totals.get(key, 0.0) + r.energy_kwh
    return [IntervalLoad(interval_start=s, interval_end=e, energy_kwh=kwh) for (s, e), kwh in sorted(totals.items())]


def _cbl_reduction(product: Product, start: datetime, end: datetime, readings: Sequence[MeterReading],
                   local_tz: tzinfo | None) -> tuple[float, float, float]:
    """(delivered reduction, baseline kWh, adjustment) by the product's CBL method."""
    return cbl_reduction(product.baseline_method, start, end, readings, local_tz)


def cbl_reduction(method: str, start: datetime, end: datetime, readings: Sequence[MeterReading],
                  local_tz: tzinfo | None) -> tuple[float, float, float]:
    """(delivered reduction, baseline kWh, adjustment) of summed import readings against the
    customer baseline computed by the named method; shared by delivery verification and by the
    bill checks that recompute a DR credit.

    Raises:
        Conflict: one interval length is needed, or the history is too short or incomplete.
    """
    if local_tz is None:
        raise ValueError("a customer baseline needs the market's local time zone")
    loads = _summed_import(readings)
    grids = {round((load.interval_end - load.interval_start) / timedelta(minutes=1)) for load in loads}
    if len(grids) != 1:
        raise Conflict(FieldError("metering-grid", "/readings",
                                  f"the baseline needs one interval length; the meters hold {sorted(grids)} min"))
    event_day = start.astimezone(local_tz).date()
    try:
        result = compute_baseline(BaselineRequest(
            method=method, event_start=start, event_end=end,
            interval_minutes=grids.pop(), local_tz=local_tz,
            history=tuple(x for x in loads if x.interval_start.astimezone(local_tz).date() < event_day),
            event_day=tuple(x for x in loads if x.interval_start.astimezone(local_tz).date() == event_day
                            and x.interval_end <= start)))
        actual = [x for x in loads if x.interval_start >= start and x.interval_end <= end]
        reduction = sum(delivered_reduction(result, actual))
    except MarketError as refusal:  # short history or missing data: cannot judge yet
        raise Conflict(*refusal.errors) from None
    return reduction, result.total_kwh(), result.adjustment


def verify_delivery(contract: Contract, product: Product, resources: Mapping[str, Resource],
                    readings: Sequence[MeterReading], peers: Sequence[Contract],
                    now: datetime, local_tz: tzinfo | None = None) -> tuple[Contract, DeliveryReport]:
    """Compare metered delivery with the contract.

    Args:
        readings: readings of the product's meters (others are ignored).
        peers: the product's other live contracts over the same window (for the pro-rata split).
        local_tz: the market's time zone; needed when the product names a baseline method
            (days and weekdays are judged in local time).
    Returns:
        the contract moved to ``delivered`` and the report.
    Raises:
        Conflict: the window has not closed, a meter's data does not cover it, or (CBL) the
            history is too short or incomplete to compute the baseline.
    """
    if now < contract.delivery_end:
        raise Conflict(FieldError("delivery-not-over", "/contract_id",
                                  f"delivery runs until {p.fmt_instant(contract.delivery_end)}"))
    start, end = contract.delivery_start, contract.delivery_end
    meters = tuple(sorted({resources[r].meter_id for r in product.resource_ids}))
    used = [r for r in readings if r.meter_id in meters
            and r.interval_start >= start and r.interval_end <= end]
    for meter in meters:
        if not _covered([r for r in used if r.meter_id == meter], start, end):
            raise Conflict(FieldError("metering-incomplete", "/readings",
                                      f"meter {meter} has no readings covering all of "
                                      f"{p.fmt_instant(start)} .. {p.fmt_instant(end)}"))
    baseline_kwh = adjustment = None
    if contract.product_type == "generation":
        total = sum(r.energy_kwh for r in used if r.direction == "export")
    elif product.baseline_method:
        total, baseline_kwh, adjustment = _cbl_reduction(
            product, start, end, [r for r in readings if r.meter_id in meters], local_tz)
    else:
        baseline_kwh = (product.baseline_kw or 0.0) * p.interval_hours(start, end)
        total = baseline_kwh - sum(r.energy_kwh for r in used if r.direction == "import")
    contracted_all = contract.energy_kwh + sum(c.energy_kwh for c in peers
                                               if c.contract_id != contract.contract_id)
    delivered = round(max(total, 0.0) * contract.energy_kwh / contracted_all, 3)
    threshold = round(contract.energy_kwh * (1 - contract.rules.tolerance_pct / 100), 3)
    report = DeliveryReport(
        contract_id=contract.contract_id, contracted_kwh=contract.energy_kwh,
        delivered_kwh=delivered, shortfall_kwh=round(max(contract.energy_kwh - delivered, 0.0), 3),
        tolerance_pct=contract.rules.tolerance_pct, threshold_kwh=threshold,
        fulfilled=delivered >= threshold, meters=meters, readings_used=len(used), verified_at=now,
        baseline_method=product.baseline_method if contract.product_type != "generation" else None,
        baseline_kwh=None if baseline_kwh is None else round(baseline_kwh, 3),
        baseline_adjustment=None if adjustment is None else round(adjustment, 6))
    return contract.apply("verify-delivery"), report
