"""Reports a VEN registers with the broker's VTN, what the VTN asks of them, and how metering
report data becomes the broker's meter readings (OpenADR 2.0b EiReport service; Y.2072 9.5
metering information in the data repository).

What this module owns: the plain-data model of report registrations and the mapping of report
data to readings, with no XML and no I/O (sans-IO rules of `reference_impl.core`).

Rules:
- A VEN registers reports (``oadrRegisterReport``): per report a specifier ID and data
  points (``rID``), each with its data source (``ei:resourceID``), unit and sampling rate.
  Registering the same specifier again replaces the earlier registration.
- The VTN requests every energy data point (``power:energyReal``) of each report, with
  ``report_request_id = "<ven_id>:<report_specifier_id>"`` and a granularity: the broker's
  default (15 minutes) when the data point's sampling rate allows it, else the nearest bound.
  Other data points (power, status) are registered but not requested.
- **Meter mapping.** A data point's readings belong to meter ``resourceID`` when its
  ``ei:reportDataSource`` names exactly one resource, else to ``"<ven_id>:<rID>"``. Each report
  interval becomes one reading ``{interval_start, interval_end, energy_kwh, direction:
  "import"}``: start = the interval's dtstart, end = start + the interval's duration (or the
  requested granularity when the VEN sends none), energy = value × the SI scale of the
  registered unit, in kWh. The readings then take the broker's one path for meter data
  (``submit_readings``), so a meter that no resource declares, overlaps and conflicting
  duplicates are refused there exactly as for JSON readings.
- A data point not registered by this VEN is ``unknown-rid``; a report specifier it never
  registered is ``unknown-report``; energy readings without any duration are refused.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from . import parsing as p
from .errors import FieldError, NotFound, Rejected

DEFAULT_GRANULARITY = timedelta(minutes=15)
ENERGY_UNIT = "energyReal"
# SI scale code of a Wh value (scale:SiScaleCodeType) -> factor to kWh; "k" is exact
KWH_FACTORS = {"p": 1e-15, "n": 1e-12, "micro": 1e-9, "m": 1e-6, "c": 1e-5, "d": 1e-4,
               "none": 1e-3, "k": 1.0, "M": 1e3, "G": 1e6, "T": 1e9}


@dataclass(frozen=True, kw_only=True)
class DataPoint:
    r_id: str
    resource_ids: tuple[str, ...] = ()
    unit: str | None = None            # energyReal, powerReal, or None (not modelled / status)
    scale: str | None = None
    min_period: timedelta | None = None
    max_period: timedelta | None = None

    def __post_init__(self) -> None:
        if self.unit == ENERGY_UNIT and self.scale not in KWH_FACTORS:
            raise Rejected(FieldError("invalid-value", "/scale", f"unknown SI scale {self.scale!r}"))

    def to_record(self) -> dict:
        return {"r_id": self.r_id, "resource_ids": list(self.resource_ids), "unit": self.unit,
                "scale": self.scale,
                "min_period_s": None if self.min_period is None else int(self.min_period.total_seconds()),
                "max_period_s": None if self.max_period is None else int(self.max_period.total_seconds())}

    @classmethod
    def from_record(cls, rec: Mapping) -> DataPoint:
        def period(key):
            return None if rec[key] is None else timedelta(seconds=rec[key])
        return cls(r_id=rec["r_id"], resource_ids=tuple(rec["resource_ids"]), unit=rec["unit"],
                   scale=rec["scale"], min_period=period("min_period_s"), max_period=period("max_period_s"))


@dataclass(frozen=True, kw_only=True)
class ReportRegistration:
    ven_id: str
    report_specifier_id: str
    report_name: str | None
    data_points: tuple[DataPoint, ...]
    registered_at: datetime
    report_request_id: str | None = None
    requested_r_ids: tuple[str, ...] = ()
    granularity: timedelta | None = None

    @property
    def key(self) -> str:
        return f"{self.ven_id}|{self.report_specifier_id}"

    def point(self, r_id: str) -> DataPoint | None:
        return next((d for d in self.data_points if d.r_id == r_id), None)

    def to_record(self) -> dict:
        return {"report_key": self.key, "ven_id": self.ven_id,
                "report_specifier_id": self.report_specifier_id, "report_name": self.report_name,
                "data_points": [d.to_record() for d in self.data_points],
                "registered_at": p.fmt_instant(self.registered_at),
                "report_request_id": self.report_request_id,
                "requested_r_ids": list(self.requested_r_ids),
                "granularity_s": None if self.granularity is None else int(self.granularity.total_seconds())}

    @classmethod
    def from_record(cls, rec: Mapping) -> ReportRegistration:
        return cls(ven_id=rec["ven_id"], report_specifier_id=rec["report_specifier_id"],
                   report_name=rec["report_name"],
                   data_points=tuple(DataPoint.from_record(d) for d in rec["data_points"]),
                   registered_at=datetime.fromisoformat(rec["registered_at"]),
                   report_request_id=rec["report_request_id"],
                   requested_r_ids=tuple(rec["requested_r_ids"]),
                   granularity=None if rec["granularity_s"] is None else timedelta(seconds=rec["granularity_s"]))


def meter_id_for(ven_id: str, point: DataPoint) -> str:
    """The meter a data point's readings belong to (module rules, "Meter mapping")."""
    return point.resource_ids[0] if len(point.resource_ids) == 1 else f"{ven_id}:{point.r_id}"


def _granularity(points: Sequence[DataPoint], default: timedelta) -> timedelta:
    chosen = default
    for point in points:
        if point.max_period is not None and chosen > point.max_period:
            chosen = point.max_period
        if point.min_period is not None and chosen < point.min_period:
            chosen = point.min_period
    return chosen


def plan_requests(registration: ReportRegistration,
                  default_granularity: timedelta = DEFAULT_GRANULARITY) -> ReportRegistration:
    """The registration with what the VTN requests of it (its energy data points), if any."""
    energy = [d for d in registration.data_points if d.unit == ENERGY_UNIT]
    if not energy:
        return registration
    return replace(registration, report_request_id=f"{registration.ven_id}:{registration.report_specifier_id}",
                   requested_r_ids=tuple(d.r_id for d in energy),
                   granularity=_granularity(energy, default_granularity))


# -- report data -> readings -----------------------------------------------------------------
@dataclass(frozen=True)
class DataInterval:
    dtstart: datetime
    duration: timedelta | None
    values: tuple[tuple[str, float], ...]     # (rID, value)


@dataclass(frozen=True)
class ReportData:
    report_specifier_id: str
    intervals: tuple[DataInterval, ...]


@dataclass
class MeterBatch:
    """Readings for one meter, with where in the update each came from (JSON pointers)."""

    meter_id: str
    readings: list[dict] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)


def readings_from_update(ven_id: str, registrations: Mapping[str, ReportRegistration],
                         reports: Sequence[ReportData]) -> tuple[list[MeterBatch], int]:
    """Map an ``oadrUpdateReport``'s data to meter readings, grouped by meter.

    Args:
        registrations: this VEN's report registrations by report specifier ID.
    Returns:
        the batches in first-seen order, and the count of values that are not energy (kept out).
    Raises:
        NotFound: ``unknown-report`` or ``unknown-rid`` (pointer into the update).
        Rejected: ``missing-duration`` for an energy value with no interval length.
    """
    batches: dict[str, MeterBatch] = {}
    ignored = 0
    for ri, report in enumerate(reports):
        registration = registrations.get(report.report_specifier_id)
        if registration is None:
            raise NotFound(FieldError("unknown-report", f"/reports/{ri}/report_specifier_id",
                                      f"VEN {ven_id} registered no report {report.report_specifier_id!r}"))
        for ii, interval in enumerate(report.intervals):
            for pi, (r_id, value) in enumerate(interval.values):
                where = f"/reports/{ri}/intervals/{ii}/payloads/{pi}"
                point = registration.point(r_id)
                if point is None:
                    raise NotFound(FieldError("unknown-rid", f"{where}/r_id",
                                              f"report {report.report_specifier_id} has no data point {r_id!r}"))
                if point.unit != ENERGY_UNIT:
                    ignored += 1
                    continue
                duration = interval.duration or registration.granularity
                if not duration:
                    raise Rejected(FieldError("missing-duration", f"/reports/{ri}/intervals/{ii}/duration",
                                              "an energy reading needs an interval length"))
                meter = meter_id_for(ven_id, point)
                batch = batches.setdefault(meter, MeterBatch(meter))
                batch.readings.append({
                    "interval_start": p.fmt_instant(interval.dtstart),
                    "interval_end": p.fmt_instant(interval.dtstart + duration),
                    "energy_kwh": value * KWH_FACTORS[point.scale], "direction": "import"})
                batch.origins.append(where)
    return list(batches.values()), ignored


def locate(error: FieldError, batch: MeterBatch) -> FieldError:
    """A `submit_readings` error re-pointed into the update: ``/readings/3/energy_kwh`` becomes
    ``/reports/0/intervals/3/payloads/0/value``; ``/meter_id`` the first reading's ``r_id``."""
    parts = error.field.split("/")
    if len(parts) >= 3 and parts[1] == "readings" and parts[2].isdigit() and int(parts[2]) < len(batch.origins):
        rest = "/value" if len(parts) > 3 and parts[3] == "energy_kwh" else ""
        return replace(error, field=batch.origins[int(parts[2])] + rest)
    if error.field == "/meter_id" and batch.origins:
        return replace(error, field=batch.origins[0] + "/r_id")
    return error
