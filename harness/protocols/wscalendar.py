"""WS-Calendar interval sequences as OpenADR 2.0b / EMIX carry them, and their iCalendar form.

Owns the pure model (`Interval`, `IntervalSequence`) and two codecs: RFC 5545 iCalendar (one
VEVENT per interval, via the `icalendar` package) and the xCal/stream XML of the OpenADR 2.0b
schemas (one `xcal:dtstart`, then a `strm:intervals` of `ei:interval`s, each starting where the
one before ended unless it carries its own `xcal:dtstart`).

Rules:
- Instants are held in UTC; `tzid` is presentation only (how iCalendar writes DTSTART).
- A sequence is non-empty, sorted by start, overlap-free, with unique uids; gaps are allowed
  and every codec keeps them. iCalendar gives every VEVENT its DTSTART; xCal gives the first
  interval after a gap its own `xcal:dtstart` (ei:IntervalType allows one, before
  `xcal:duration`) and leaves it out elsewhere, so a gapless sequence is OpenADR's usual
  back-to-back layout. There are no filler intervals: a peer would read a filler as a value.
- Starts and durations are whole seconds (RFC 5545's finest unit), durations positive,
  payloads finite floats or None. Durations are written in hours, minutes and seconds only:
  RFC 5545 3.3.6 makes days nominal, so "P1D" from a zoned start can last 23 or 25 h.
- iCalendar writes a None payload by leaving X-OADR-PAYLOAD out. xCal cannot carry None:
  OpenADR requires a payload in every interval and NaN is not a value, so `to_xcal_intervals`
  refuses it (`payload-required`) and `from_xcal_intervals` refuses NaN and INF
  (`payload-not-finite`).
- The xCal/stream codec lives in `wscalendar_xcal` (`to_xcal_intervals`, `from_xcal_intervals`).
- A refusal is a `WsCalendarError` naming the field: `/intervals/3/start` in the model,
  `/vevents/2/DTSTART` in a calendar (document order), an XPath in xCal. Whether that is a
  finding against a SUT or a harness bug is the caller's call.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar

XCAL = "urn:ietf:params:xml:ns:icalendar-2.0"
STRM = "urn:ietf:params:xml:ns:icalendar-2.0:stream"
EI = "http://docs.oasis-open.org/ns/energyinterop/201110"
NSMAP = {"xcal": XCAL, "strm": STRM, "ei": EI}
PAYLOAD_PROPERTY = "X-OADR-PAYLOAD"
PRODID = "-//energy-conformance-harness//WS-Calendar intervals//EN"
UTC = timezone.utc
_STAMP = "%Y-%m-%dT%H:%M:%SZ"


class WsCalendarError(ValueError):
    """A value the model or a codec refuses: `code` says why, `field` says where."""

    def __init__(self, message: str, code: str, field: str):
        self.message, self.code, self.field = message, code, field
        super().__init__(f"{message} [{code}] at {field}")


def _require(ok: bool, message: str, code: str, field: str) -> None:
    if not ok:
        raise WsCalendarError(message, code, field)


def _aware(value) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


@dataclass(frozen=True)
class Interval:
    """An aware start (kept in UTC), a positive duration, a uid and an optional payload.

    Raises:
        WsCalendarError: naming `/start`, `/duration`, `/uid` or `/payload`.
    """
    start: datetime
    duration: timedelta
    uid: str
    payload: float | None = None

    def __post_init__(self):
        _require(_aware(self.start), "start must be aware: a naive datetime names no instant",
                 "not-aware", "/start")
        _require(not self.start.microsecond, "start must be whole seconds", "sub-second", "/start")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        _require(isinstance(self.duration, timedelta) and self.duration > timedelta(0),
                 "duration must be a positive timedelta", "not-positive", "/duration")
        _require(not self.duration.microseconds, "duration must be whole seconds", "sub-second",
                 "/duration")
        _require(isinstance(self.uid, str) and self.uid.isprintable() and self.uid != "",
                 "uid must be a non-empty printable string", "bad-uid", "/uid")
        if self.payload is not None:
            _require(isinstance(self.payload, (int, float)) and not isinstance(self.payload, bool)
                     and math.isfinite(self.payload), "payload must be a finite number or None",
                     "bad-payload", "/payload")
            object.__setattr__(self, "payload", float(self.payload))

    @property
    def end(self) -> datetime:
        """The (exclusive) end instant, UTC."""
        return self.start + self.duration


@dataclass(frozen=True)
class IntervalSequence:
    """Intervals (any iterable) sorted by start, not overlapping, uids unique, gaps allowed;
    `tzid` is the zoneinfo name starts are presented in (None: UTC).

    Raises:
        WsCalendarError: naming `/intervals`, `/tzid`, `/intervals/<i>/uid` or
            `/intervals/<i>/start` (an overlap names both intervals in the message).
    """
    intervals: tuple[Interval, ...]
    tzid: str | None = None

    def __post_init__(self):
        intervals = tuple(self.intervals)
        object.__setattr__(self, "intervals", intervals)
        _require(bool(intervals), "a sequence needs an interval", "empty", "/intervals")
        if self.tzid is not None:
            _require(_is_zone(self.tzid), f"{self.tzid!r} is not a zoneinfo zone",
                     "unknown-tzid", "/tzid")
        seen: dict[str, int] = {}
        for i, item in enumerate(intervals):
            field = f"/intervals/{i}"
            _require(isinstance(item, Interval), "not an Interval", "bad-interval", field)
            if i and item.start < (before := intervals[i - 1]).end:
                _require(item.start >= before.start, f"interval {i} starts before interval {i - 1}",
                         "unsorted", field + "/start")
                raise WsCalendarError(
                    f"interval {i} (uid {item.uid!r}) starts at {item.start:{_STAMP}}, before "
                    f"interval {i - 1} (uid {before.uid!r}) ends at {before.end:{_STAMP}}",
                    "overlap", field + "/start")
            _require(item.uid not in seen, f"interval {i} repeats the uid {item.uid!r} of "
                     f"interval {seen.get(item.uid)}", "duplicate-uid", field + "/uid")
            seen[item.uid] = i


def _is_zone(tzid) -> bool:
    try:
        ZoneInfo(tzid)
    except (ValueError, KeyError, TypeError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _interval(where: str, names: dict[str, str], **values) -> Interval:
    """An Interval, its refusal renamed to the codec's own name for the field."""
    try:
        return Interval(**values)
    except WsCalendarError as exc:
        raise WsCalendarError(exc.message, exc.code, where + names[exc.field]) from exc


_DURATION = re.compile(r"([+-])?P(?:([0-9]+)Y)?(?:([0-9]+)M)?(?:([0-9]+)W)?(?:([0-9]+)D)?"
                       r"(?:T(?:([0-9]+)H)?(?:([0-9]+)M)?(?:([0-9]+)([.,][0-9]+)?S)?)?")


def parse_duration(text: str, field: str) -> timedelta:
    """Parse an ISO 8601 / RFC 5545 duration strictly. A week counts 7 x 24 h and a day 24 h:
    exact for xCal's UTC starts (UTC has no discontinuity for a nominal day to absorb).

    Args:
        text: e.g. "PT15M", "P1DT2H".
        field: where the text came from, for the error.
    Returns:
        The positive, whole-second timedelta.
    Raises:
        WsCalendarError: malformed, negative, zero, fractional seconds, or in years or months
            (calendar units with no fixed length).
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    _require(match is not None and any(g is not None for g in match.groups()[1:8])
             and not ("T" in text and all(g is None for g in match.groups()[5:8])),
             f"{text!r} is not an ISO 8601 duration", "bad-duration", field)
    sign, years, months, weeks, days, hours, minutes, seconds, fraction = match.groups()
    _require(not (years or months), f"{text!r} is in years or months, which have no fixed "
             "length", "calendar-unit", field)
    _require(not fraction or not int(fraction[1:]), f"{text!r} has fractional seconds",
             "sub-second", field)
    value = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                      minutes=int(minutes or 0), seconds=int(seconds or 0))
    _require(sign != "-" and value > timedelta(0), f"{text!r} is not positive", "not-positive",
             field)
    return value


def _format_duration(value: timedelta) -> str:
    # exact units only; "PT1H0M5S" since RFC 5545 3.3.6 has no seconds straight after hours
    hours, rest = divmod(int(value.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    return ("PT" + (f"{hours}H" if hours else "")
            + (f"{minutes}M" if minutes or hours and seconds else "")
            + (f"{seconds}S" if seconds else ""))


class _ExactDuration(icalendar.vDuration):
    def to_ical(self) -> bytes:  # icalendar's own writer turns 48 h into the nominal "P2D"
        return _format_duration(self.td).encode()


_FLOAT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


_NOT_FINITE = re.compile(r"NaN|[+-]?INF")  # xs:float's special values


def _parse_payload(text: str, field: str, xcal: bool) -> float:
    text = text.strip()  # xs:float collapses white space
    if xcal:  # legal xs:float, but no value OpenADR can act on (nor a payload the model holds)
        _require(not _NOT_FINITE.fullmatch(text) and not (
            _FLOAT.fullmatch(text) and math.isinf(float(text))),
            f"{text!r} is not a finite number", "payload-not-finite", field)
    _require(bool(_FLOAT.fullmatch(text)) and math.isfinite(float(text)),
             f"{text!r} is not a finite decimal number", "bad-payload", field)
    return float(text)


# ---- iCalendar (RFC 5545) ---------------------------------------------------------------------

_ICAL_NAMES = {"/start": "DTSTART", "/duration": "DURATION", "/uid": "UID",
               "/payload": PAYLOAD_PROPERTY}


def to_icalendar(seq: IntervalSequence, *, stamp: datetime | None = None) -> icalendar.Calendar:
    """One VEVENT per interval: UID, DTSTAMP, DTSTART, DURATION, X-OADR-PAYLOAD (when set).

    With a tzid, DTSTART is local time with TZID (and its VTIMEZONE, RFC 5545 3.2.19), except
    in the second pass through a repeated local hour: RFC 5545 3.3.5 reads an ambiguous local
    time as its first occurrence, so those starts are written in UTC. X-WR-TIMEZONE keeps tzid.

    Args:
        seq: the sequence.
        stamp: DTSTAMP (RFC 5545 3.6.1 requires one); defaults to now, whole seconds.
    Returns:
        The calendar, with PRODID and VERSION.
    Raises:
        WsCalendarError: `/stamp` when it is naive.
    """
    stamp = stamp or datetime.now(UTC).replace(microsecond=0)
    _require(_aware(stamp), "stamp must be aware", "not-aware", "/stamp")
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    zone = ZoneInfo(seq.tzid) if seq.tzid else None
    if zone is not None:
        cal.add("X-WR-TIMEZONE", seq.tzid)
    for item in seq.intervals:
        event = icalendar.Event()
        event.add("UID", item.uid)
        event.add("DTSTAMP", stamp.astimezone(UTC))
        local = item.start.astimezone(zone).replace(fold=0) if zone else item.start
        event.add("DTSTART", local if local.astimezone(UTC) == item.start else item.start)
        event.add("DURATION", _ExactDuration(item.duration))
        if item.payload is not None:
            event.add(PAYLOAD_PROPERTY, repr(item.payload))
        cal.add_component(event)
    if zone is not None:
        cal.add_missing_timezones()
    return cal


def _single(component, name: str, where: str, required: bool):
    value = component.get(name)
    _require(not isinstance(value, list), f"{name} appears more than once", "repeated",
             where + name)
    _require(value is not None or not required, f"no {name}", "missing", where + name)
    return value


def _dt(prop):
    """The parsed value, or None for what icalendar could not parse (a vBroken)."""
    return None if isinstance(prop, icalendar.vBroken) else getattr(prop, "dt", None)


def _instant(prop, field: str) -> datetime:
    _require(_aware(value := _dt(prop)), "not a UTC or TZID date-time: a date or a floating "
             "time names no instant", "not-aware", field)
    return value.astimezone(UTC)


def from_icalendar(cal: icalendar.Calendar) -> IntervalSequence:
    """Read VEVENTs back into a sequence, sorted by start (component order means nothing in
    RFC 5545; model errors index the sorted intervals). The length is DURATION or DTEND, never
    both (RFC 5545 3.6.1), taken in UTC. icalendar has already made DURATION a timedelta, so a
    foreign "P1D" reads as 24 h. tzid: X-WR-TIMEZONE, else the zoneinfo TZID all zoned
    DTSTARTs share.

    Args:
        cal: the calendar.
    Returns:
        The sequence.
    Raises:
        WsCalendarError: `/vevents/<k>/<PROPERTY>` for a missing, repeated or unusable property
            (recurrences included), else the model's refusal.
    """
    intervals, tzids = [], set()
    for k, event in enumerate(cal.walk("VEVENT")):
        where = f"/vevents/{k}/"
        for name in ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"):
            _require(name not in event, "a recurring VEVENT is not an interval", "recurrence",
                     where + name)
        start_prop = _single(event, "DTSTART", where, True)
        start = _instant(start_prop, where + "DTSTART")
        tzids.add(start_prop.params.get("TZID"))
        duration, end = (_single(event, name, where, False) for name in ("DURATION", "DTEND"))
        _require(duration is not None or end is not None, "no DURATION or DTEND", "missing",
                 where + "DURATION")
        _require(duration is None or end is None, "both DURATION and DTEND", "conflict",
                 where + "DTEND")
        if end is not None:
            length = _instant(end, where + "DTEND") - start
        elif isinstance(_dt(duration), timedelta):
            length = duration.dt
        else:  # icalendar keeps what it cannot parse as text: say why it is refused
            length = parse_duration(str(duration), where + "DURATION")
        payload = _single(event, PAYLOAD_PROPERTY, where, False)
        if payload is not None:
            payload = _parse_payload(str(payload), where + PAYLOAD_PROPERTY, False)
        intervals.append(_interval(where, _ICAL_NAMES, start=start, duration=length,
                                   uid=str(_single(event, "UID", where, True)), payload=payload))
    tzid = _single(cal, "X-WR-TIMEZONE", "/", False)
    tzids.discard(None)
    if tzid is None and len(tzids) == 1 and _is_zone(only := str(next(iter(tzids)))):
        tzid = only  # (a TZID that is no zoneinfo name, e.g. a Windows one, is not kept)
    return IntervalSequence(sorted(intervals, key=lambda i: i.start),
                            None if tzid is None else str(tzid))


def to_ics(seq: IntervalSequence, *, stamp: datetime | None = None) -> bytes:
    """`to_icalendar`, serialised. Args and Raises: as `to_icalendar`. Returns: the bytes."""
    return to_icalendar(seq, stamp=stamp).to_ical()


def from_ics(data: bytes) -> IntervalSequence:
    """Parse iCalendar bytes (one VCALENDAR).

    Args:
        data: the bytes.
    Returns:
        The sequence.
    Raises:
        WsCalendarError: `/` when the bytes are not one VCALENDAR; else as `from_icalendar`.
    """
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise WsCalendarError(f"not iCalendar: {exc}", "bad-ics", "/") from exc
    _require(isinstance(cal, icalendar.Calendar), "not a VCALENDAR", "bad-ics", "/")
    return from_icalendar(cal)
