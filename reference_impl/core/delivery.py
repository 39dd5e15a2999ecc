"""Meter readings and delivery verification (Y.2072 7.5 third bullet; 8.2.1 "delivery
management"; 9.4 second role: actual against contracted energy, within an acceptable limit).

A contract is checked only after its delivery window has closed, and only on complete metered
data: every meter behind the product must have readings covering the whole window, or the check
refuses (it never assumes a missing interval delivered nothing, or everything).
Delivered energy:
- generation products: energy exported through the product's resource meters in the window;
- demand-reduction products: declared baseline (baseline_kw × hours) minus energy imported.
When several contracts share one product and window, the metered delivery is split between
them pro rata to their contracted energy. Fulfilled means delivered >= contracted ×
(1 − tolerance_pct / 100); over-delivery is not a breach.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from . import parsing as p
from .contracts import Contract
from .errors import Conflict, FieldError, Rejected
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


def overlap_error(new: MeterReading, index: int, held: Sequence[MeterReading]) -> FieldError | None:
    """A reading that overlaps a held one of the same direction without being the same
    interval would be counted twice; None when it is new or an exact repeat."""
    for other in held:
        same_interval = (other.interval_start, other.interval_end) == (new.interval_start, new.interval_end)
        overlaps = other.interval_start < new.interval_end and new.interval_start < other.interval_end
        if other.direction == new.direction and overlaps and not same_interval:
            return FieldError("overlapping-reading", f"/readings/{index}",
                              f"{new.direction} interval {p.fmt_instant(new.interval_start)} .. "
                              f"{p.fmt_instant(new.interval_end)} overlaps the held interval "
                              f"{p.fmt_instant(other.interval_start)} .. {p.fmt_instant(other.interval_end)}")
    return None


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

    def to_record(self) -> dict:
        return {"contract_id": self.contract_id, "contracted_kwh": self.contracted_kwh,
                "delivered_kwh": self.delivered_kwh, "shortfall_kwh": self.shortfall_kwh,
                "tolerance_pct": self.tolerance_pct, "threshold_kwh": self.threshold_kwh,
                "fulfilled": self.fulfilled, "meters": list(self.meters),
                "readings_used": self.readings_used, "verified_at": p.fmt_instant(self.verified_at)}

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


def verify_delivery(contract: Contract, product: Product, resources: Mapping[str, Resource],
                    readings: Sequence[MeterReading], peers: Sequence[Contract],
                    now: datetime) -> tuple[Contract, DeliveryReport]:
    """Compare metered delivery with the contract.

    Args:
        readings: readings of the product's meters (others are ignored).
        peers: the product's other live contracts over the same window (for the pro-rata split).
    Returns:
        the contract moved to ``delivered`` and the report.
    Raises:
        Conflict: the window has not closed, or a meter's data does not cover it.
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
    if contract.product_type == "generation":
        total = sum(r.energy_kwh for r in used if r.direction == "export")
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
        fulfilled=delivered >= threshold, meters=meters, readings_used=len(used), verified_at=now)
    return contract.apply("verify-delivery"), report
