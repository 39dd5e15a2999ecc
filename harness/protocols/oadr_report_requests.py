"""OpenADR 2.0b report requests: what a VTN asks a VEN to report (`ReportRequest` with its
`SpecifierPayload`s: which data points, at what granularity, how often) and the
``oadrRegisteredReport`` answer that carries them. The report model they refer to is
`oadr_reports`'s; `oadr_codec` re-exports every class and owns the envelope.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar

from lxml import etree

from .oadr_common import READING_TYPES, Fields
from .oadr_parts import UNIT_TYPES, EiResponse, Period, Reader, Unit, add, add_duration, add_message, message, read_unit


@dataclass(frozen=True)
class SpecifierPayload:
    """``ei:specifierPayload``: one requested data point (``rID``)."""

    r_id: str
    reading_type: str = "x-notApplicable"
    unit: Unit | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("r_id")
        f.token("reading_type", READING_TYPES, extension=True)
        f.instance("unit", UNIT_TYPES, optional=True)


@dataclass(frozen=True)
class ReportRequest:
    """``oadr:oadrReportRequest``: which data points to report, how finely, how often."""

    report_request_id: str
    report_specifier_id: str
    specifiers: tuple[SpecifierPayload, ...]
    granularity: timedelta
    report_back_duration: timedelta
    report_interval: Period | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("report_request_id")
        f.text("report_specifier_id")
        specifiers = f.items("specifiers", SpecifierPayload, min_items=1)
        f.unique("specifiers", (s.r_id for s in specifiers), "rID")
        f.duration("granularity")
        f.duration("report_back_duration")
        f.instance("report_interval", Period, optional=True)

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "oadr:oadrReportRequest")
        add(node, "ei:reportRequestID", self.report_request_id)
        spec = add(node, "ei:reportSpecifier")
        add(spec, "ei:reportSpecifierID", self.report_specifier_id)
        add_duration(spec, "xcal:granularity", self.granularity)
        add_duration(spec, "ei:reportBackDuration", self.report_back_duration)
        if self.report_interval is not None:
            self.report_interval._build(add(spec, "ei:reportInterval"))
        for s in self.specifiers:
            payload = add(spec, "ei:specifierPayload")
            add(payload, "ei:rID", s.r_id)
            if s.unit is not None:
                s.unit._build(payload)
            add(payload, "ei:readingType", s.reading_type)

    @classmethod
    def _read(cls, element: etree._Element) -> ReportRequest:
        r = Reader(element)
        spec = Reader(r.child("ei:reportSpecifier"))
        specifiers = []
        for node in spec.children("ei:specifierPayload"):
            s = Reader(node)
            specifiers.append(s.make(SpecifierPayload, r_id=s.text("ei:rID"),
                                     reading_type=s.token("ei:readingType"),
                                     unit=read_unit(node)))
        interval = spec.child("ei:reportInterval", optional=True)
        return r.make(cls, report_request_id=r.text("ei:reportRequestID"),
                      report_specifier_id=spec.text("ei:reportSpecifierID"),
                      specifiers=tuple(specifiers),
                      granularity=spec.duration("xcal:granularity/xcal:duration"),
                      report_back_duration=spec.duration("ei:reportBackDuration/xcal:duration"),
                      report_interval=None if interval is None else Period._read(interval))


@message
@dataclass(frozen=True)
class RegisteredReport:
    """``oadrRegisteredReport``: acknowledgement of a registration, with report requests."""

    ELEMENT: ClassVar[str] = "oadrRegisteredReport"
    response: EiResponse
    report_requests: tuple[ReportRequest, ...] = ()
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        requests = f.items("report_requests", ReportRequest)
        f.unique("report_requests", (q.report_request_id for q in requests), "report request ID")
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        for request in self.report_requests:
            request._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> RegisteredReport:
        r = Reader(element)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      report_requests=tuple(ReportRequest._read(n)
                                            for n in r.children("oadr:oadrReportRequest")),
                      ven_id=r.text("ei:venID", optional=True))
