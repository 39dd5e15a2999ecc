"""The xCal/stream XML of WS-Calendar interval sequences, as the OpenADR 2.0b schemas carry
them: one `xcal:dtstart`, then a `strm:intervals` of `ei:interval`s, each starting where the one
before ended unless it carries its own `xcal:dtstart`. The model and its rules (UTC instants,
whole seconds, no filler intervals, refusals naming the field) are `harness.protocols.wscalendar`'s.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from .wscalendar import (
    _STAMP, EI, NSMAP, STRM, UTC, XCAL, Interval, IntervalSequence, WsCalendarError, _aware, _format_duration, _interval,
    _parse_payload, _require, parse_duration,
)

# ---- xCal / stream, OpenADR 2.0b ------------------------------------------------------------

_XML_NAMES = {"/start": "/xcal:dtstart", "/duration": "/xcal:duration", "/uid": "/xcal:uid",
              "/payload": "/ei:signalPayload/ei:payloadFloat/ei:value"}


@dataclass(frozen=True)
class XcalIntervals:
    """The OpenADR layout: `dtstart` and `duration` (the whole span), as an event's
    eiActivePeriod xcal:properties holds them, and the `strm:intervals` running from dtstart."""
    dtstart: etree._Element
    duration: etree._Element
    intervals: etree._Element


def _el(parent, ns: str, name: str, text: str | None = None):
    tag = f"{{{ns}}}{name}"
    element = etree.Element(tag, nsmap=NSMAP) if parent is None else etree.SubElement(parent, tag)
    element.text = text
    return element


def _xml_interval(parent, item: Interval, own_start: bool) -> None:
    interval = _el(parent, EI, "interval")  # ei:IntervalType: dtstart? duration? uid? payload+
    if own_start:
        _el(_el(interval, XCAL, "dtstart"), XCAL, "date-time", f"{item.start:{_STAMP}}")
    _el(_el(interval, XCAL, "duration"), XCAL, "duration", _format_duration(item.duration))
    _el(_el(interval, XCAL, "uid"), XCAL, "text", item.uid)
    _el(_el(_el(interval, EI, "signalPayload"), EI, "payloadFloat"), EI, "value",
        repr(item.payload))


def to_xcal_intervals(seq: IntervalSequence) -> XcalIntervals:
    """Lay a sequence out as OpenADR 2.0b does: one UTC dtstart, then ei:intervals, each with
    xcal:duration, xcal:uid/xcal:text and ei:signalPayload/ei:payloadFloat/ei:value.

    An interval that starts where the one before ended carries no start (OpenADR's usual
    back-to-back layout); the first interval after a gap carries its own xcal:dtstart, which
    `from_xcal_intervals` reads back. No filler intervals are written. The tzid is not carried.

    Args:
        seq: the sequence.
    Returns:
        xcal:dtstart, xcal:duration (first start to last end) and strm:intervals, each valid
        against the OpenADR 2.0b schemas.
    Raises:
        WsCalendarError: `payload-required` at `/intervals/<i>/payload` for a None payload
            (ei:IntervalType demands a payload, and NaN is not a value).
    """
    for i, item in enumerate(seq.intervals):
        _require(item.payload is not None, f"interval {i} (uid {item.uid!r}) has no payload; "
                 "OpenADR requires one in every interval", "payload-required",
                 f"/intervals/{i}/payload")
    first, last = seq.intervals[0], seq.intervals[-1]
    dtstart, duration = _el(None, XCAL, "dtstart"), _el(None, XCAL, "duration")
    _el(dtstart, XCAL, "date-time", f"{first.start:{_STAMP}}")
    _el(duration, XCAL, "duration", _format_duration(last.end - first.start))
    intervals, cursor = _el(None, STRM, "intervals"), first.start
    for item in seq.intervals:
        _xml_interval(intervals, item, own_start=item.start != cursor)
        cursor = item.end
    return XcalIntervals(dtstart, duration, intervals)


_DATE_TIME = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]*)?(Z?)")


def _parse_instant(element, field: str) -> datetime:
    text = (element.text or "").strip() if element is not None else ""  # xs:dateTime collapses
    match = _DATE_TIME.fullmatch(text)  # xcal:DateTimeType: no UTC offset, an optional Z
    _require(match is not None, f"{text!r} is not an xcal date-time", "bad-date-time", field)
    _require(bool(match[3]), f"{text!r} has no Z: a floating time names no instant",
             "not-aware", field)
    _require(not (match[2] or ".").strip(".0"), f"{text!r} has fractional seconds",
             "sub-second", field)
    try:
        return datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError as exc:
        raise WsCalendarError(f"{text!r} is no date-time", "bad-date-time", field) from exc


def _dtstart(value) -> datetime:
    if isinstance(value, datetime):
        _require(_aware(value), "dtstart must be aware", "not-aware", "/xcal:dtstart")
        return value.astimezone(UTC)
    if value.tag == f"{{{XCAL}}}dtstart":
        value = value.find("xcal:date-time", NSMAP)
    return _parse_instant(value, "/xcal:dtstart/xcal:date-time")


def from_xcal_intervals(dtstart, intervals: etree._Element, *,
                        tzid: str | None = None) -> IntervalSequence:
    """Read OpenADR intervals: each starts where the one before ended (the first at
    `dtstart`), or at its own xcal:dtstart (ei:IntervalType allows one; reports use it, and
    `to_xcal_intervals` writes one after a gap), which must not be earlier than that.
    Every interval needs a uid and a finite payload.

    Args:
        dtstart: an aware datetime, or the xcal:dtstart or xcal:date-time element.
        intervals: the strm:intervals element.
        tzid: the presentation zone to give the sequence (xCal carries none).
    Returns:
        The sequence.
    Raises:
        WsCalendarError: an XPath such as `/strm:intervals/ei:interval[2]/xcal:duration` for a
            missing (`missing`, a missing xcal:uid included) or malformed element;
            `intervals-overlap` at `.../xcal:dtstart/xcal:date-time` for an own start before
            the previous interval's end (or before `dtstart`); `payload-not-finite` at
            `.../ei:value` for NaN or INF; else the model's refusal.
    """
    _require(intervals.tag == f"{{{STRM}}}intervals", f"expected strm:intervals, got "
             f"{intervals.tag}", "bad-element", "/")
    cursor, result = _dtstart(dtstart), []
    for k, element in enumerate((e for e in intervals if isinstance(e.tag, str)), start=1):
        where = f"/strm:intervals/ei:interval[{k}]"
        _require(element.tag == f"{{{EI}}}interval", f"unexpected {element.tag}", "bad-element",
                 where)
        if (own_start := element.find("xcal:dtstart/xcal:date-time", NSMAP)) is not None:
            field = where + "/xcal:dtstart/xcal:date-time"
            start = _parse_instant(own_start, field)
            _require(start >= cursor, f"interval {k} starts at {start:{_STAMP}}, before "
                     + (f"interval {k - 1} ends" if result else "the stream's dtstart")
                     + f" at {cursor:{_STAMP}}", "intervals-overlap", field)
            cursor = start
        text = element.findtext("xcal:duration/xcal:duration", None, NSMAP)
        _require(text is not None, "no duration", "missing", where + "/xcal:duration")
        length = parse_duration(text, where + "/xcal:duration/xcal:duration")
        values = element.findall(".//ei:payloadFloat/ei:value", NSMAP)
        _require(len(values) == 1, f"expected one ei:payloadFloat, found {len(values)}",
                 "bad-payload", where + "/ei:signalPayload")
        payload = _parse_payload(values[0].text or "", where + _XML_NAMES["/payload"], True)
        uid = element.findtext("xcal:uid/xcal:text", None, NSMAP)
        _require(uid is not None, "an interval needs a uid", "missing", where + "/xcal:uid")
        result.append(_interval(where, _XML_NAMES, start=cursor, duration=length, uid=uid,
                                payload=payload))
        cursor += length
    return IntervalSequence(result, tzid)
