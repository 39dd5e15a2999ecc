"""Customer baseline load (CBL): what a customer would have imported on an event day without
demand response, against which delivered reduction is settled (Y.2072 8.2.1 "billing": actual
transaction volume compared with the CBL). Full specification with worked examples:
docs/baselines.md. The methods are the project's own, *in the style of* US ISO/RTO programmes;
they do not reproduce any tariff verbatim.

Methods (candidate days are the most recent eligible days before the event day, looking back at
most ``LOOK_BACK_DAYS`` = 45 calendar days):
- ``high-4-of-5`` (PJM-style): 5 candidates; the 4 with the highest event-window load are
  averaged interval by interval; additive adjustment ``adj = mean actual − mean baseline`` over
  the adjustment window, added to every event interval; the result is floored at 0 kWh.
- ``10-of-10`` (CAISO-style): 10 candidates, all averaged; the same additive adjustment, capped
  per interval: the adjustment applied to interval i lies within ±20 % of that interval's
  unadjusted baseline. ``BaselineResult.adjustment`` reports the adjustment before the cap.
- ``high-5-of-10`` (NYISO-style): 10 candidates; the 5 with the highest event-window load are
  averaged; factor = mean actual / mean baseline over the adjustment window (1 when that
  baseline is 0), clamped to [0.8, 1.2] and multiplied into every event interval.

Rules shared by all methods:
- The adjustment window is ``adjustment_hours`` long and ends ``adjustment_gap_hours`` before
  the event starts; it must lie on the event day. Event-day data must cover it.
- Days, weekdays and intervals are judged in ``local_tz``; intervals are matched by local
  wall-clock start time ("slot"), so 14:00 on a CET day aligns with 14:00 on a CEST day.
- A day is excluded (reason in ``days_excluded``) as ``weekend``, ``holiday``, ``event-day``
  (a prior DR event), or ``missing-data`` when it lacks, or holds twice (the repeated hour of a
  25-hour day), any slot the event or adjustment window needs; the 23-hour day lacks a slot.
- Low-usage rule, one pass: a candidate whose mean event-window load is below 25 % of the mean
  over the candidate set is dropped (``low-usage``) and replaced by the next older eligible days;
  the replacements are not tested again.
- Ranking ties go to the more recent day; unselected candidates are listed as ``not-selected``.
- Too few eligible days within the look-back raises ``insufficient-history`` on ``/history``;
  no data is ever invented.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from itertools import islice

from . import parsing as p
from .errors import FieldError, Rejected

LOOK_BACK_DAYS = 45
LOW_USAGE_FRACTION = 0.25
GRID_MINUTES = (15, 30, 60)


@dataclass(frozen=True)
class Method:
    """How one named method picks days and adjusts. ``cap``: per-interval bound on the additive
    adjustment as a fraction of the unadjusted baseline; ``clamp``: bounds of the factor."""

    candidates: int
    select: int
    kind: str
    cap: float | None = None
    clamp: tuple[float, float] = (0.8, 1.2)


METHODS: Mapping[str, Method] = {
    "high-4-of-5": Method(candidates=5, select=4, kind="additive"),
    "10-of-10": Method(candidates=10, select=10, kind="additive", cap=0.20),
    "high-5-of-10": Method(candidates=10, select=5, kind="multiplicative"),
}


@dataclass(frozen=True, kw_only=True)
class IntervalLoad:
    """Metered import of one interval; validated where it is used (see ``compute_baseline``)."""

    interval_start: datetime
    interval_end: datetime
    energy_kwh: float


@dataclass(frozen=True, kw_only=True)
class BaselineRequest:
    method: str
    event_start: datetime
    event_end: datetime
    interval_minutes: int
    history: tuple[IntervalLoad, ...]
    event_day: tuple[IntervalLoad, ...]
    holidays: frozenset[date] = frozenset()
    event_days: frozenset[date] = frozenset()
    adjustment_hours: float = 3.0
    adjustment_gap_hours: float = 1.0
    local_tz: tzinfo


@dataclass(frozen=True)
class BaselineResult:
    """Baseline of each event interval. ``intervals`` holds the (start, end) UTC instants of the
    event intervals, in order, so actual readings can be matched to them."""

    method: str
    days_used: tuple[date, ...]
    days_excluded: tuple[tuple[date, str], ...]
    unadjusted_kwh: tuple[float, ...]
    adjustment: float
    adjustment_kind: str
    adjusted_kwh: tuple[float, ...]
    intervals: tuple[tuple[datetime, datetime], ...]

    def total_kwh(self) -> float:
        """Adjusted baseline summed over the event window."""
        return math.fsum(self.adjusted_kwh)


def _err(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))


def _utc(value: object, pointer: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise _err("invalid-value", pointer, f"expected an aware datetime with a UTC offset, got {value!r}")
    return value.astimezone(timezone.utc)


def _on_grid(instant: datetime, tz: tzinfo, minutes: int) -> bool:
    local = instant.astimezone(tz)
    return local.second == 0 and local.microsecond == 0 and local.minute % minutes == 0


def _slot(instant: datetime, tz: tzinfo) -> time:
    """Local wall-clock start of an interval; fold dropped, so both 02:00s of a 25-hour day match."""
    return instant.astimezone(tz).time().replace(fold=0)


def _number(value: object, pointer: str, *, minimum: float, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _err("invalid-type", pointer, f"expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise _err("out-of-range", pointer, f"must be greater than 0, got {value!r}")
    if value < minimum:
        raise _err("out-of-range", pointer, f"must be at least {minimum}, got {value!r}")
    return float(value)


def _loads(loads: object, pointer: str, minutes: int, tz: tzinfo | None,
           before: date | None = None) -> dict[datetime, float]:
    """Validate interval loads; returns kWh by UTC interval start. ``tz`` None skips the
    alignment check; ``before`` demands every interval start before that local date."""
    if not isinstance(loads, (tuple, list)):
        raise _err("invalid-type", pointer, "expected a sequence of IntervalLoad")
    out: dict[datetime, float] = {}
    for index, load in enumerate(loads):
        at = f"{pointer}/{index}"
        if not isinstance(load, IntervalLoad):
            raise _err("invalid-type", at, f"expected an IntervalLoad, got {type(load).__name__}")
        start = _utc(load.interval_start, f"{at}/interval_start")
        end = _utc(load.interval_end, f"{at}/interval_end")
        if end <= start:
            raise _err("invalid-interval", f"{at}/interval_end", "interval must end after it starts")
        if tz is not None and not _on_grid(start, tz, minutes):
            raise _err("off-grid", f"{at}/interval_start",
                       f"{p.fmt_instant(load.interval_start)} is not on the {minutes}-minute grid")
        if end - start != timedelta(minutes=minutes):
            raise _err("off-grid", f"{at}/interval_end", f"interval must last {minutes} minutes")
        if before is not None and start.astimezone(tz).date() >= before:
            raise _err("out-of-range", f"{at}/interval_start", f"history must end before {before}")
        kwh = _number(load.energy_kwh, f"{at}/energy_kwh", minimum=0.0)
        if start in out:
            raise _err("duplicate", f"{at}/interval_start",
                       f"a second reading for the interval starting {p.fmt_instant(start)}")
        out[start] = kwh
    return out


def _steps(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    out = []
    while start < end:
        out.append(start)
        start += step
    return out


def _windows(req: BaselineRequest) -> tuple[Method, timedelta, list[datetime], list[datetime]]:
    """Validate the request's scalar fields; returns the method, the interval length and the UTC
    starts of the event and adjustment intervals."""
    if req.method not in METHODS:
        raise _err("invalid-value", "/method", f"expected one of {', '.join(METHODS)}, got {req.method!r}")
    if not isinstance(req.local_tz, tzinfo):
        raise _err("invalid-type", "/local_tz", f"expected a tzinfo, got {req.local_tz!r}")
    minutes, tz = req.interval_minutes, req.local_tz
    if isinstance(minutes, bool) or minutes not in GRID_MINUTES:
        raise _err("invalid-value", "/interval_minutes", f"expected 15, 30 or 60, got {minutes!r}")
    step = timedelta(minutes=minutes)
    start, end = _utc(req.event_start, "/event_start"), _utc(req.event_end, "/event_end")
    if end <= start:
        raise _err("invalid-interval", "/event_end", "the event must end after it starts")
    for name, instant in (("event_start", start), ("event_end", end)):
        if not _on_grid(instant, tz, minutes):
            raise _err("off-grid", f"/{name}", f"not on the {minutes}-minute grid")
    if (end - start) % step:
        raise _err("off-grid", "/event_end", f"the event must last a whole number of {minutes}-minute intervals")
    day = start.astimezone(tz).date()
    if (end - step).astimezone(tz).date() != day:
        raise _err("out-of-range", "/event_end", "the event window must lie within one local day")
    spans = {}
    for name, positive in (("adjustment_hours", True), ("adjustment_gap_hours", False)):
        hours = _number(getattr(req, name), f"/{name}", minimum=0.0, positive=positive)
        if hours * 60 != round(hours * 60) or round(hours * 60) % minutes:
            raise _err("off-grid", f"/{name}", f"must be a whole number of {minutes}-minute intervals")
        spans[name] = timedelta(minutes=round(hours * 60))
    adjust_end = start - spans["adjustment_gap_hours"]
    adjust_start = adjust_end - spans["adjustment_hours"]
    if adjust_start.astimezone(tz).date() != day:
        raise _err("out-of-range", "/adjustment_hours", "the adjustment window must lie on the event day")
    return METHODS[req.method], step, _steps(start, end, step), _steps(adjust_start, adjust_end, step)


def _eligible(event_date: date, req: BaselineRequest, by_day: Mapping[date, Mapping[time, float | None]],
              needed: set[time], excluded: dict[date, str]) -> Iterator[date]:
    """Eligible days, newest first, within the look-back; records why others were passed over."""
    for back in range(1, LOOK_BACK_DAYS + 1):
        day = event_date - timedelta(days=back)
        slots = by_day.get(day, {})
        if day.weekday() >= 5:
            excluded[day] = "weekend"
        elif day in req.holidays:
            excluded[day] = "holiday"
        elif day in req.event_days:
            excluded[day] = "event-day"
        elif any(slots.get(slot) is None for slot in needed):
            excluded[day] = "missing-data"
        else:
            yield day


def _insufficient(method: str, found: int, needed: int, event_date: date) -> Rejected:
    return _err("insufficient-history", "/history",
                f"method {method} needs {needed} eligible days in the {LOOK_BACK_DAYS} days before "
                f"{event_date}; found {found}")


def _mean(values) -> float:
    values = list(values)
    return math.fsum(values) / len(values)


def compute_baseline(request: BaselineRequest) -> BaselineResult:
    """Compute the adjusted customer baseline of each event interval.

    Args:
        request: the method, event window, metered history and event-day data (see
            ``BaselineRequest``); loads may carry any UTC offset and are judged in ``local_tz``.
    Returns:
        the days used and passed over, the unadjusted and adjusted baseline per event interval
        and the adjustment (additive kWh before any cap, or the clamped factor).
    Raises:
        Rejected: a field is malformed (naive time, negative or non-finite energy, interval off
            the grid, duplicate interval, history on or after the event day), the event-day data
            lacks an adjustment interval (``metering-incomplete``, ``/event_day``), or too few
            eligible days exist (``insufficient-history``, ``/history``).
    """
    method, step, event, adjust = _windows(request)
    tz, minutes = request.local_tz, request.interval_minutes
    event_date = event[0].astimezone(tz).date()
    history = _loads(request.history, "/history", minutes, tz, before=event_date)
    actual = _loads(request.event_day, "/event_day", minutes, tz)
    for start in adjust:
        if start not in actual:
            raise _err("metering-incomplete", "/event_day",
                       f"no event-day reading for the adjustment interval starting {p.fmt_instant(start)}")
    by_day: dict[date, dict[time, float | None]] = {}
    for start, kwh in history.items():
        slots = by_day.setdefault(start.astimezone(tz).date(), {})
        slot = _slot(start, tz)
        slots[slot] = None if slot in slots else kwh  # None: the slot occurs twice that day
    event_slots = [_slot(t, tz) for t in event]
    adjust_slots = [_slot(t, tz) for t in adjust]
    excluded: dict[date, str] = {}
    walk = _eligible(event_date, request, by_day, set(event_slots) | set(adjust_slots), excluded)

    def level(day: date) -> float:  # mean load over the event window
        return _mean(by_day[day][slot] for slot in event_slots)

    need = method.candidates
    candidates = list(islice(walk, need))
    if len(candidates) < need:
        raise _insufficient(request.method, len(candidates), need, event_date)
    set_level = _mean(level(day) for day in candidates)
    low = [day for day in candidates if level(day) < LOW_USAGE_FRACTION * set_level]
    excluded.update((day, "low-usage") for day in low)
    candidates = [day for day in candidates if day not in low] + list(islice(walk, len(low)))
    if len(candidates) < need:
        raise _insufficient(request.method, len(candidates), need, event_date)
    ranked = sorted(candidates, key=lambda day: (level(day), day), reverse=True)
    used = sorted(ranked[:method.select])
    excluded.update((day, "not-selected") for day in ranked[method.select:])

    def baseline(slot: time) -> float:
        return _mean(by_day[day][slot] for day in used)

    unadjusted = tuple(baseline(slot) for slot in event_slots)
    baseline_adjust = _mean(baseline(slot) for slot in adjust_slots)
    actual_adjust = _mean(actual[start] for start in adjust)
    if method.kind == "additive":
        adjustment = actual_adjust - baseline_adjust
        if method.cap is None:
            adjusted = tuple(max(0.0, u + adjustment) for u in unadjusted)
        else:
            adjusted = tuple(u + min(max(adjustment, -method.cap * u), method.cap * u) for u in unadjusted)
    else:
        factor = actual_adjust / baseline_adjust if baseline_adjust > 0 else 1.0
        adjustment = min(max(factor, method.clamp[0]), method.clamp[1])
        adjusted = tuple(u * adjustment for u in unadjusted)
    return BaselineResult(
        method=request.method, days_used=tuple(used), days_excluded=tuple(sorted(excluded.items())),
        unadjusted_kwh=unadjusted, adjustment=adjustment, adjustment_kind=method.kind,
        adjusted_kwh=adjusted, intervals=tuple((t, t + step) for t in event))


def delivered_reduction(result: BaselineResult, actual: Sequence[IntervalLoad]) -> tuple[float, ...]:
    """Reduction delivered in each event interval: adjusted baseline − actual import.

    Not clipped: a negative value (consumption above the baseline) is left for settlement.

    Args:
        result: a baseline from ``compute_baseline``.
        actual: metered import; one reading per event interval, matched by instant (any UTC
            offset); readings outside the event window are ignored.
    Returns:
        one value per event interval, in the order of ``result.intervals``.
    Raises:
        Rejected: a reading is malformed (field named under ``/actual``), or an event interval
            has no reading (``metering-incomplete``, ``/actual``).
    """
    minutes = (result.intervals[0][1] - result.intervals[0][0]) // timedelta(minutes=1)
    readings = _loads(actual, "/actual", minutes, None)
    for start, _ in result.intervals:
        if start not in readings:
            raise _err("metering-incomplete", "/actual",
                       f"no reading for the event interval starting {p.fmt_instant(start)}")
    return tuple(b - readings[start] for b, (start, _) in zip(result.adjusted_kwh, result.intervals))
