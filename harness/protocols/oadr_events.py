"""OpenADR 2.0b event messages: ``oadrDistributeEvent`` (VTN to VEN) and ``oadrCreatedEvent``.

This module owns the event model (`Interval`, `Signal`, `Event`, `DistributeEvent`,
`EventResponse`, `CreatedEvent`) and its XML form; `oadr_codec` wraps it in the envelope.

Rules (beyond the schema, which every message is also checked against):

- An event's intervals are a WS-Calendar stream (``strm:intervals``): back-to-back
  ``ei:interval``s, each with an ``xcal:duration``, an ``xcal:uid`` and one
  ``ei:signalPayload``; they start at the event's ``dtstart`` in order. They are contiguous by
  definition: OpenADR 2.0b runs a signal's intervals back to back from the event's dtstart
  (rule 8 makes them fill its active period), so the model holds durations only and has no
  gaps. ei:IntervalType still allows an ``xcal:dtstart`` per interval (openleadr writes one);
  it is accepted when it equals the running start (event dtstart plus the durations before
  it) and refused otherwise (``interval-not-contiguous``), never ignored: a gap or overlap
  read by duration alone would shift every later interval without a word. This is the layout
  `wscalendar_xcal.to_xcal_intervals` writes for a gapless sequence.
- OpenADR 2.0b profile specification, conformance rule 8: the intervals of every signal add up
  to the event's ``eiActivePeriod`` duration. `Event.duration` defaults to that sum and is
  refused (``duration-mismatch``) when a signal disagrees.
- Conformance rule 9: a ``SIMPLE`` signal's payloads (and current value) are 0, 1, 2 or 3
  (``simple-signal-level``).
- Event IDs are unique within a message, signal IDs within an event, interval uids within a
  signal (``duplicate-id``); an opt response per event answers with optIn or optOut.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from lxml import etree

from .oadr_common import (EVENT_STATUSES, OPT_TYPES, RESPONSE_REQUIRED, SIGNAL_NAMES,
                          SIGNAL_TYPES, Fields, fmt_bool, fmt_datetime, fmt_duration,
                          fmt_float)
from .oadr_parts import (UNIT_TYPES, EiResponse, Reader, Target, Unit, add, add_dtstart,
                         add_duration, add_message, message, read_unit, xpath_of)
from .xml_safety import XmlRejected

SIMPLE_LEVELS = (0.0, 1.0, 2.0, 3.0)


@dataclass(frozen=True)
class Interval:
    """One ``ei:interval`` of a signal: its uid, its length and the signal's value during it."""

    uid: str
    duration: timedelta
    value: float

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("uid")
        f.duration("duration", positive=True)
        f.number("value")


@dataclass(frozen=True)
class Signal:
    """``ei:eiEventSignal``: a named, typed series of intervals, optionally with a unit."""

    signal_id: str
    intervals: tuple[Interval, ...]
    signal_name: str = "simple"
    signal_type: str = "level"
    unit: Unit | None = None
    current_value: float | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("signal_id")
        intervals = f.items("intervals", Interval, min_items=1)
        f.unique("intervals", (i.uid for i in intervals), "interval uid")
        f.token("signal_name", SIGNAL_NAMES, extension=True)
        f.token("signal_type", SIGNAL_TYPES)
        f.instance("unit", UNIT_TYPES, optional=True)
        f.number("current_value", optional=True)
        if self.signal_name in ("SIMPLE", "simple"):  # conformance rule 9
            for i, interval in enumerate(intervals):
                if interval.value not in SIMPLE_LEVELS:
                    f.fail(f"intervals[{i}].value", f"must be 0, 1, 2 or 3 for a SIMPLE signal; "
                           f"got {interval.value!r}", code="simple-signal-level")
            if self.current_value is not None and self.current_value not in SIMPLE_LEVELS:
                f.fail("current_value", "must be 0, 1, 2 or 3 for a SIMPLE signal",
                       code="simple-signal-level")

    @property
    def total_duration(self) -> timedelta:
        """The sum of the intervals' durations."""
        return sum((i.duration for i in self.intervals), timedelta(0))

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "ei:eiEventSignal")
        stream = add(node, "strm:intervals")
        for interval in self.intervals:
            item = add(stream, "ei:interval")
            add_duration(item, "xcal:duration", interval.duration)
            add(add(item, "xcal:uid"), "xcal:text", interval.uid)
            add(add(add(item, "ei:signalPayload"), "ei:payloadFloat"), "ei:value",
                fmt_float(interval.value))
        add(node, "ei:signalName", self.signal_name)
        add(node, "ei:signalType", self.signal_type)
        add(node, "ei:signalID", self.signal_id)
        if self.unit is not None:
            self.unit._build(node)
        if self.current_value is not None:
            add(add(add(node, "ei:currentValue"), "ei:payloadFloat"), "ei:value",
                fmt_float(self.current_value))

    @classmethod
    def _read(cls, element: etree._Element, dtstart: datetime) -> Signal:
        r = Reader(element)
        intervals, offset = [], timedelta(0)
        for node in Reader(r.child("strm:intervals")).children("ei:interval"):
            intervals.append(interval := _read_interval(node, dtstart, offset))
            offset += interval.duration
        intervals = tuple(intervals)
        return r.make(cls, signal_id=r.text("ei:signalID"), intervals=intervals,
                      signal_name=r.token("ei:signalName"), signal_type=r.token("ei:signalType"),
                      unit=read_unit(element),
                      current_value=r.number("ei:currentValue/ei:payloadFloat/ei:value",
                                             optional=True))


def _read_interval(element: etree._Element, dtstart: datetime, offset: timedelta) -> Interval:
    """One event interval, which must begin at the event's ``dtstart`` plus ``offset`` (the
    durations of the intervals before it).

    Event intervals are contiguous by definition (OpenADR 2.0b: back to back from the event's
    dtstart), and the model keeps durations only. An ``xcal:dtstart`` on the interval is
    allowed by ei:IntervalType, so it is checked rather than ignored: a start that differs
    from the running one describes a gap or an overlap this model cannot hold, and reading it
    by duration alone would silently misplace this interval and every later one.

    Raises:
        XmlRejected: ``interval-not-contiguous`` at the interval's
            ``xcal:dtstart/xcal:date-time``; ``unsupported-content`` for other than one
            ``ei:signalPayload``; or a value refusal.
    """
    r = Reader(element)
    own_start = r.datetime("xcal:dtstart/xcal:date-time", optional=True)
    # Contiguous by definition: an own start is only a restatement of the running start, and
    # one that differs (a gap or an overlap) cannot be held by this model, so it is refused
    # rather than ignored. Compared as an offset: dtstart + offset can pass year 9999.
    if own_start is not None and own_start - dtstart != offset:
        try:
            expected = fmt_datetime(dtstart + offset)
        except OverflowError:
            expected = f"{fmt_datetime(dtstart)} + {fmt_duration(offset)}"
        raise XmlRejected("interval-not-contiguous",
                          xpath_of(Reader(r.child("xcal:dtstart")).child("xcal:date-time")),
                          f"an event interval starts where the one before ends ({expected}), "
                          f"not at {fmt_datetime(own_start)}")
    payloads = r.children("ei:signalPayload")
    if len(payloads) != 1:
        raise XmlRejected("unsupported-content", xpath_of(element),
                          f"an event interval needs exactly one ei:signalPayload; found {len(payloads)}")
    value = Reader(payloads[0]).number("ei:payloadFloat/ei:value")
    return r.make(Interval, uid=r.text("xcal:uid/xcal:text"),
                  duration=r.duration("xcal:duration/xcal:duration"), value=value)


@dataclass(frozen=True)
class Event:
    """``oadrEvent``: one ``ei:eiEvent`` and whether the VEN must answer it.

    ``duration`` (the ``eiActivePeriod`` length) defaults to the signals' common total; when
    changing ``signals`` with `dataclasses.replace`, pass ``duration=None`` too.
    """

    event_id: str
    modification_number: int
    market_context: str
    dtstart: datetime
    signals: tuple[Signal, ...]
    created: datetime
    status: str = "far"
    duration: timedelta | None = None
    target: Target = Target()
    priority: int | None = None
    test_event: bool = False
    vtn_comment: str | None = None
    response_required: str = "always"

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("event_id")
        f.uint("modification_number")
        f.uri("market_context")
        f.utc("dtstart")
        signals = f.items("signals", Signal, min_items=1)
        f.unique("signals", (s.signal_id for s in signals), "signal ID")
        f.utc("created")
        f.token("status", EVENT_STATUSES)
        if self.duration is None:
            object.__setattr__(self, "duration", signals[0].total_duration)
        f.duration("duration")
        for i, signal in enumerate(signals):  # conformance rule 8
            if signal.total_duration != self.duration:
                f.fail(f"signals[{i}].intervals", f"add up to {signal.total_duration}, but the "
                       f"event lasts {self.duration}", code="duration-mismatch")
        f.instance("target", Target)
        f.uint("priority", optional=True)
        f.boolean("test_event")
        f.text("vtn_comment", optional=True)
        f.token("response_required", RESPONSE_REQUIRED)

    def _build(self, parent: etree._Element) -> None:
        wrapper = add(parent, "oadr:oadrEvent")
        event = add(wrapper, "ei:eiEvent")
        descriptor = add(event, "ei:eventDescriptor")
        add(descriptor, "ei:eventID", self.event_id)
        add(descriptor, "ei:modificationNumber", str(self.modification_number))
        if self.priority is not None:
            add(descriptor, "ei:priority", str(self.priority))
        add(add(descriptor, "ei:eiMarketContext"), "emix:marketContext", self.market_context)
        add(descriptor, "ei:createdDateTime", fmt_datetime(self.created))
        add(descriptor, "ei:eventStatus", self.status)
        if self.test_event:
            add(descriptor, "ei:testEvent", fmt_bool(True))
        if self.vtn_comment is not None:
            add(descriptor, "ei:vtnComment", self.vtn_comment)
        period = add(event, "ei:eiActivePeriod")
        props = add(period, "xcal:properties")
        add_dtstart(props, self.dtstart)
        add_duration(props, "xcal:duration", self.duration)
        add(period, "xcal:components")
        signals = add(event, "ei:eiEventSignals")
        for signal in self.signals:
            signal._build(signals)
        self.target._build(event)
        add(wrapper, "oadr:oadrResponseRequired", self.response_required)

    @classmethod
    def _read(cls, element: etree._Element) -> Event:
        r = Reader(element)
        event = r.child("ei:eiEvent")
        e = Reader(event)
        d = "ei:eventDescriptor/"
        props = "ei:eiActivePeriod/xcal:properties/"
        test = e.token(d + "ei:testEvent", optional=True)
        dtstart = e.datetime(props + "xcal:dtstart/xcal:date-time")
        signals = tuple(Signal._read(node, dtstart)
                        for node in Reader(e.child("ei:eiEventSignals")).children("ei:eiEventSignal"))
        return r.make(
            cls, event_id=e.text(d + "ei:eventID"),
            modification_number=e.uint(d + "ei:modificationNumber"),
            market_context=e.token(d + "ei:eiMarketContext/emix:marketContext"),
            dtstart=dtstart,
            duration=e.duration(props + "xcal:duration/xcal:duration"),
            signals=signals, created=e.datetime(d + "ei:createdDateTime"),
            status=e.token(d + "ei:eventStatus"), target=Target._read(e.child("ei:eiTarget")),
            priority=e.uint(d + "ei:priority", optional=True),
            # testEvent is xs:string: anything but "false" marks a test event (conformance
            # rule 6, read the same way by openleadr)
            test_event=test is not None and test.lower() != "false",
            vtn_comment=e.text(d + "ei:vtnComment", optional=True),
            response_required=r.token("oadr:oadrResponseRequired"))


@message
@dataclass(frozen=True)
class DistributeEvent:
    """``oadrDistributeEvent``: the VTN's current events for a VEN (possibly none)."""

    ELEMENT: ClassVar[str] = "oadrDistributeEvent"
    request_id: str
    vtn_id: str
    events: tuple[Event, ...] = ()
    response: EiResponse | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        f.text("vtn_id")
        events = f.items("events", Event)
        f.unique("events", (e.event_id for e in events), "event ID")
        f.instance("response", EiResponse, optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        if self.response is not None:
            self.response._build(node)
        add(node, "pyld:requestID", self.request_id)
        add(node, "ei:vtnID", self.vtn_id)
        for event in self.events:
            event._build(node)

    @classmethod
    def _read(cls, element: etree._Element) -> DistributeEvent:
        r = Reader(element)
        response = r.child("ei:eiResponse", optional=True)
        return r.make(cls, request_id=r.text("pyld:requestID"), vtn_id=r.text("ei:vtnID"),
                      events=tuple(Event._read(n) for n in r.children("oadr:oadrEvent")),
                      response=None if response is None else EiResponse._read(response))


@dataclass(frozen=True)
class EventResponse:
    """``ei:eventResponse``: the VEN's opt-in or opt-out for one event version."""

    event_id: str
    modification_number: int
    opt_type: str
    request_id: str
    code: str = "200"
    description: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("event_id")
        f.uint("modification_number")
        f.token("opt_type", OPT_TYPES)
        f.text("request_id")
        f.response_code("code")
        f.text("description", optional=True)


@message
@dataclass(frozen=True)
class CreatedEvent:
    """``oadrCreatedEvent``: the VEN's answer to an ``oadrDistributeEvent``, opt per event."""

    ELEMENT: ClassVar[str] = "oadrCreatedEvent"
    response: EiResponse
    ven_id: str
    event_responses: tuple[EventResponse, ...] = ()

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("ven_id")
        answers = f.items("event_responses", EventResponse)
        f.unique("event_responses", ((a.event_id, a.modification_number) for a in answers),
                 "event version")

    def _build(self, signed_object: etree._Element) -> None:
        body = add(add_message(signed_object, self.ELEMENT), "pyld:eiCreatedEvent")
        self.response._build(body)
        if self.event_responses:
            answers = add(body, "ei:eventResponses")
            for a in self.event_responses:
                node = add(answers, "ei:eventResponse")
                add(node, "ei:responseCode", a.code)
                if a.description is not None:
                    add(node, "ei:responseDescription", a.description)
                add(node, "pyld:requestID", a.request_id)
                qualified = add(node, "ei:qualifiedEventID")
                add(qualified, "ei:eventID", a.event_id)
                add(qualified, "ei:modificationNumber", str(a.modification_number))
                add(node, "ei:optType", a.opt_type)
        add(body, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CreatedEvent:
        body = Reader(Reader(element).child("pyld:eiCreatedEvent"))
        answers = []
        holder = body.child("ei:eventResponses", optional=True)
        for node in ([] if holder is None else Reader(holder).children("ei:eventResponse")):
            a = Reader(node)
            answers.append(a.make(
                EventResponse, event_id=a.text("ei:qualifiedEventID/ei:eventID"),
                modification_number=a.uint("ei:qualifiedEventID/ei:modificationNumber"),
                opt_type=a.token("ei:optType"), request_id=a.text("pyld:requestID"),
                code=a.text("ei:responseCode"),
                description=a.text("ei:responseDescription", optional=True)))
        return body.make(cls, response=EiResponse._read(body.child("ei:eiResponse")),
                         ven_id=body.text("ei:venID"), event_responses=tuple(answers))
