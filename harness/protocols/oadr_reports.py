"""OpenADR 2.0b report messages: ``oadrRegisterReport``, ``oadrRegisteredReport`` and
``oadrUpdateReport``.

This module owns the report model (`ReportDescription`, `ReportPayload`, `ReportInterval`,
`Report`, ``oadrRegisterReport`` and ``oadrUpdateReport``) and its XML form; the VTN's report
requests (`SpecifierPayload`, `ReportRequest`, ``oadrRegisteredReport``) are `oadr_report_requests`'s;
`oadr_codec` wraps both in the envelope.

Rules (beyond the schema, which every message is also checked against):

- An ``oadrRegisterReport`` offers *metadata* reports: each has at least one
  ``oadrReportDescription`` (one per data point, ``rID``), no intervals, and a ``METADATA_...``
  name (or an ``x-...`` extension name) when it is named.
- An ``oadrUpdateReport`` carries data: each report has at least one interval; every interval
  has a ``dtstart`` and one ``oadrReportPayload`` per data point (``rID``, ``payloadFloat``, and
  optionally confidence 0-100, accuracy and ``oadrDataQuality``).
- Within a report, ``rID``s of the descriptions are unique, and when a report carries both
  descriptions and intervals every payload's ``rID`` is one of them (``unknown-rid``).
- Metering readings are values in the description's unit, e.g. ``EnergyReal("k")`` for kWh
  (``power:energyReal`` is Wh with SI scale ``k``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from lxml import etree

from .oadr_common import (DATA_QUALITIES, READING_TYPES, REPORT_NAMES, REPORT_TYPES, Fields,
                          fmt_bool, fmt_datetime, fmt_duration, fmt_float)
from .oadr_parts import (UNIT_TYPES, EnergyReal, Reader, Target, Unit, add, add_dtstart, add_duration,
                         add_message, message, read_unit)


@dataclass(frozen=True)
class SamplingRate:
    """``oadr:oadrSamplingRate``: how often a data point can be sampled."""

    min_period: timedelta
    max_period: timedelta
    on_change: bool = False

    def __post_init__(self) -> None:
        f = Fields(self)
        f.duration("min_period")
        f.duration("max_period")
        f.boolean("on_change")
        if self.min_period > self.max_period:
            f.fail("min_period", f"({self.min_period}) is longer than max_period ({self.max_period})")


@dataclass(frozen=True)
class ReportDescription:
    """``oadr:oadrReportDescription``: one data point a report can carry (``rID``)."""

    r_id: str
    report_type: str = "usage"
    reading_type: str = "Direct Read"
    unit: Unit | None = EnergyReal("k")
    market_context: str | None = None
    sampling_rate: SamplingRate | None = None
    data_source: Target | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("r_id")
        f.token("report_type", REPORT_TYPES, extension=True)
        f.token("reading_type", READING_TYPES, extension=True)
        f.instance("unit", UNIT_TYPES, optional=True)
        f.uri("market_context", optional=True)
        f.instance("sampling_rate", SamplingRate, optional=True)
        f.instance("data_source", Target, optional=True)

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "oadr:oadrReportDescription")
        add(node, "ei:rID", self.r_id)
        if self.data_source is not None:
            self.data_source._build(node, "ei:reportDataSource")
        add(node, "ei:reportType", self.report_type)
        if self.unit is not None:
            self.unit._build(node)
        add(node, "ei:readingType", self.reading_type)
        if self.market_context is not None:
            add(node, "emix:marketContext", self.market_context)
        if self.sampling_rate is not None:
            rate = add(node, "oadr:oadrSamplingRate")
            add(rate, "oadr:oadrMinPeriod", fmt_duration(self.sampling_rate.min_period))
            add(rate, "oadr:oadrMaxPeriod", fmt_duration(self.sampling_rate.max_period))
            add(rate, "oadr:oadrOnChange", fmt_bool(self.sampling_rate.on_change))

    @classmethod
    def _read(cls, element: etree._Element) -> ReportDescription:
        r = Reader(element)
        rate = r.child("oadr:oadrSamplingRate", optional=True)
        if rate is not None:
            s = Reader(rate)
            rate = s.make(SamplingRate, min_period=s.duration("oadr:oadrMinPeriod"),
                          max_period=s.duration("oadr:oadrMaxPeriod"),
                          on_change=s.boolean("oadr:oadrOnChange"))
        source = r.child("ei:reportDataSource", optional=True)
        return r.make(cls, r_id=r.text("ei:rID"), report_type=r.token("ei:reportType"),
                      reading_type=r.token("ei:readingType"), unit=read_unit(element),
                      market_context=r.token("emix:marketContext", optional=True),
                      sampling_rate=rate,
                      data_source=None if source is None else Target._read(source))


@dataclass(frozen=True)
class ReportPayload:
    """``oadr:oadrReportPayload``: one data point's value in one interval."""

    r_id: str
    value: float
    confidence: int | None = None
    accuracy: float | None = None
    data_quality: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("r_id")
        f.number("value")
        f.uint("confidence", optional=True)
        if self.confidence is not None and self.confidence > 100:  # ei:ConfidenceType
            f.fail("confidence", f"must be 0 to 100; got {self.confidence}")
        f.number("accuracy", optional=True)
        f.token("data_quality", DATA_QUALITIES, extension=True, optional=True)


@dataclass(frozen=True)
class ReportInterval:
    """One ``ei:interval`` of report data: when, how long, and a payload per data point."""

    dtstart: datetime
    payloads: tuple[ReportPayload, ...]
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.utc("dtstart")
        payloads = f.items("payloads", ReportPayload, min_items=1)
        f.unique("payloads", (p.r_id for p in payloads), "rID")
        f.duration("duration", optional=True)

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "ei:interval")
        add_dtstart(node, self.dtstart)
        if self.duration is not None:
            add_duration(node, "xcal:duration", self.duration)
        for p in self.payloads:
            payload = add(node, "oadr:oadrReportPayload")
            add(payload, "ei:rID", p.r_id)
            if p.confidence is not None:
                add(payload, "ei:confidence", str(p.confidence))
            if p.accuracy is not None:
                add(payload, "ei:accuracy", fmt_float(p.accuracy))
            add(add(payload, "ei:payloadFloat"), "ei:value", fmt_float(p.value))
            if p.data_quality is not None:
                add(payload, "oadr:oadrDataQuality", p.data_quality)

    @classmethod
    def _read(cls, element: etree._Element) -> ReportInterval:
        r = Reader(element)
        payloads = []
        for node in r.children("oadr:oadrReportPayload"):
            p = Reader(node)
            payloads.append(p.make(
                ReportPayload, r_id=p.text("ei:rID"), value=p.number("ei:payloadFloat/ei:value"),
                confidence=p.uint("ei:confidence", optional=True),
                accuracy=p.number("ei:accuracy", optional=True),
                data_quality=p.token("oadr:oadrDataQuality", optional=True)))
        return r.make(cls, dtstart=r.datetime("xcal:dtstart/xcal:date-time"),
                      payloads=tuple(payloads),
                      duration=r.duration("xcal:duration/xcal:duration", optional=True))


@dataclass(frozen=True)
class Report:
    """``oadr:oadrReport``: metadata (descriptions) or data (intervals) of one report."""

    report_specifier_id: str
    created: datetime
    report_name: str | None = None
    report_request_id: str = "0"
    report_id: str | None = None
    descriptions: tuple[ReportDescription, ...] = ()
    intervals: tuple[ReportInterval, ...] = ()
    dtstart: datetime | None = None
    duration: timedelta | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("report_specifier_id")
        f.utc("created")
        f.token("report_name", REPORT_NAMES, extension=True, optional=True)
        f.text("report_request_id")
        f.text("report_id", optional=True)
        descriptions = f.items("descriptions", ReportDescription)
        f.unique("descriptions", (d.r_id for d in descriptions), "rID")
        intervals = f.items("intervals", ReportInterval)
        f.utc("dtstart", optional=True)
        f.duration("duration", optional=True)
        known = {d.r_id for d in descriptions}
        for i, interval in enumerate(intervals if known else ()):
            for j, payload in enumerate(interval.payloads):
                if payload.r_id not in known:
                    f.fail(f"intervals[{i}].payloads[{j}].r_id", f"{payload.r_id!r} is not "
                           "described in this report", code="unknown-rid")

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "oadr:oadrReport")
        if self.dtstart is not None:
            add_dtstart(node, self.dtstart)
        if self.duration is not None:
            add_duration(node, "xcal:duration", self.duration)
        if self.intervals:
            stream = add(node, "strm:intervals")
            for interval in self.intervals:
                interval._build(stream)
        if self.report_id is not None:
            add(node, "ei:eiReportID", self.report_id)
        for description in self.descriptions:
            description._build(node)
        add(node, "ei:reportRequestID", self.report_request_id)
        add(node, "ei:reportSpecifierID", self.report_specifier_id)
        if self.report_name is not None:
            add(node, "ei:reportName", self.report_name)
        add(node, "ei:createdDateTime", fmt_datetime(self.created))

    @classmethod
    def _read(cls, element: etree._Element) -> Report:
        r = Reader(element)
        stream = r.child("strm:intervals", optional=True)
        intervals = () if stream is None else tuple(
            ReportInterval._read(n) for n in Reader(stream).children("ei:interval"))
        return r.make(
            cls, report_specifier_id=r.text("ei:reportSpecifierID"),
            created=r.datetime("ei:createdDateTime"),
            report_name=r.token("ei:reportName", optional=True),
            report_request_id=r.text("ei:reportRequestID"),
            report_id=r.text("ei:eiReportID", optional=True),
            descriptions=tuple(ReportDescription._read(n)
                               for n in r.children("oadr:oadrReportDescription")),
            intervals=intervals, dtstart=r.datetime("xcal:dtstart/xcal:date-time", optional=True),
            duration=r.duration("xcal:duration/xcal:duration", optional=True))


def _reports(f: Fields, *, metadata: bool) -> None:
    for i, report in enumerate(f.items("reports", Report, min_items=0 if metadata else 1)):
        if metadata:
            if not report.descriptions:
                f.fail(f"reports[{i}].descriptions", "needs at least one report description")
            if report.intervals:
                f.fail(f"reports[{i}].intervals", "must be empty: a registration carries metadata")
            name = report.report_name
            if name is not None and not (name.startswith("METADATA_") or name.startswith("x-")):
                f.fail(f"reports[{i}].report_name", f"must be a METADATA_ report; got {name!r}")
        elif not report.intervals:
            f.fail(f"reports[{i}].intervals", "needs at least one interval of data")


@message
@dataclass(frozen=True)
class RegisterReport:
    """``oadrRegisterReport``: the reports (metadata) a party is able to send."""

    ELEMENT: ClassVar[str] = "oadrRegisterReport"
    request_id: str
    reports: tuple[Report, ...]
    ven_id: str | None = None
    report_request_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        _reports(f, metadata=True)
        f.text("ven_id", optional=True)
        f.text("report_request_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        for report in self.reports:
            report._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)
        if self.report_request_id is not None:
            add(node, "ei:reportRequestID", self.report_request_id)

    @classmethod
    def _read(cls, element: etree._Element) -> RegisterReport:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"),
                      reports=tuple(Report._read(n) for n in r.children("oadr:oadrReport")),
                      ven_id=r.text("ei:venID", optional=True),
                      report_request_id=r.text("ei:reportRequestID", optional=True))


@message
@dataclass(frozen=True)
class UpdateReport:
    """``oadrUpdateReport``: report data, e.g. interval meter readings in kWh."""

    ELEMENT: ClassVar[str] = "oadrUpdateReport"
    request_id: str
    reports: tuple[Report, ...]
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        _reports(f, metadata=False)
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        for report in self.reports:
            report._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> UpdateReport:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"),
                      reports=tuple(Report._read(n) for n in r.children("oadr:oadrReport")),
                      ven_id=r.text("ei:venID", optional=True))
