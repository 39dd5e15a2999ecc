"""OpenADR 2.0b messages of the Simple HTTP pull exchange beyond the first set: the VEN's
queries and the acknowledgements a VTN sends back.

This module owns ``oadrQueryRegistration``, ``oadrCancelPartyRegistration``,
``oadrCanceledPartyRegistration`` (EiRegisterParty service), ``oadrRequestEvent`` (EiEvent),
``oadrCreateReport``, ``oadrCreatedReport`` and ``oadrUpdatedReport`` (EiReport). They are
what an unmodified VEN such as openleadr's ``OpenADRClient`` sends or expects besides the
messages of `oadr_codec`, `oadr_events` and `oadr_reports`; `oadr_codec` re-exports them and
wraps them in the envelope.

Rules (beyond the schema, which every message is also checked against, both ways):

- Field order follows the XSD sequences (oadr_20b.xsd, oadr_pyld_20b.xsd).
- ``oadrUpdatedReport`` may carry an ``oadrCancelReport`` (a VTN stopping a report in the same
  answer); it is kept as `UpdatedReport.cancel_report`.
- ``oadrRequestEvent``'s optional ``replyLimit`` is an xs:unsignedInt; ``0`` is allowed by the
  schema and kept as given.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from .oadr_cancel import CancelReport
from .oadr_common import Fields
from .oadr_parts import EiResponse, Reader, add, add_message, message
from .oadr_report_requests import ReportRequest


@message
@dataclass(frozen=True)
class QueryRegistration:
    """``oadrQueryRegistration``: a VEN asks what the VTN offers, without registering."""

    ELEMENT: ClassVar[str] = "oadrQueryRegistration"
    request_id: str

    def __post_init__(self) -> None:
        Fields(self).text("request_id")

    def _build(self, signed_object: etree._Element) -> None:
        add(add_message(signed_object, self.ELEMENT), "pyld:requestID", self.request_id)

    @classmethod
    def _read(cls, element: etree._Element) -> QueryRegistration:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"))


@message
@dataclass(frozen=True)
class CancelPartyRegistration:
    """``oadrCancelPartyRegistration``: either party ends a registration."""

    ELEMENT: ClassVar[str] = "oadrCancelPartyRegistration"
    request_id: str
    registration_id: str
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        f.text("registration_id")
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        add(node, "ei:registrationID", self.registration_id)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CancelPartyRegistration:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"),
                      registration_id=r.text("ei:registrationID"),
                      ven_id=r.text("ei:venID", optional=True))


@message
@dataclass(frozen=True)
class CanceledPartyRegistration:
    """``oadrCanceledPartyRegistration``: acknowledgement of a cancelled registration."""

    ELEMENT: ClassVar[str] = "oadrCanceledPartyRegistration"
    response: EiResponse
    registration_id: str | None = None
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("registration_id", optional=True)
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        if self.registration_id is not None:
            add(node, "ei:registrationID", self.registration_id)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CanceledPartyRegistration:
        r = Reader(element)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      registration_id=r.text("ei:registrationID", optional=True),
                      ven_id=r.text("ei:venID", optional=True))


@message
@dataclass(frozen=True)
class RequestEvent:
    """``oadrRequestEvent``: a pull-mode VEN asks for its current events."""

    ELEMENT: ClassVar[str] = "oadrRequestEvent"
    request_id: str
    ven_id: str
    reply_limit: int | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        f.text("ven_id")
        f.uint("reply_limit", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        body = add(add_message(signed_object, self.ELEMENT), "pyld:eiRequestEvent")
        add(body, "pyld:requestID", self.request_id)
        add(body, "ei:venID", self.ven_id)
        if self.reply_limit is not None:
            add(body, "pyld:replyLimit", str(self.reply_limit))

    @classmethod
    def _read(cls, element: etree._Element) -> RequestEvent:
        body = Reader(Reader(element).child("pyld:eiRequestEvent"))
        return body.make(cls, request_id=body.text("pyld:requestID"),
                         ven_id=body.text("ei:venID"),
                         reply_limit=body.uint("pyld:replyLimit", optional=True))


@message
@dataclass(frozen=True)
class CreateReport:
    """``oadrCreateReport``: a party asks the other for reports it registered earlier."""

    ELEMENT: ClassVar[str] = "oadrCreateReport"
    request_id: str
    report_requests: tuple[ReportRequest, ...]
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        requests = f.items("report_requests", ReportRequest, min_items=1)
        f.unique("report_requests", (q.report_request_id for q in requests), "report request ID")
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        for request in self.report_requests:
            request._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CreateReport:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"),
                      report_requests=tuple(ReportRequest._read(n)
                                            for n in r.children("oadr:oadrReportRequest")),
                      ven_id=r.text("ei:venID", optional=True))


@message
@dataclass(frozen=True)
class CreatedReport:
    """``oadrCreatedReport``: a party accepts report requests; lists those still pending."""

    ELEMENT: ClassVar[str] = "oadrCreatedReport"
    response: EiResponse
    pending_report_request_ids: tuple[str, ...] = ()
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text_items("pending_report_request_ids")
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        pending = add(node, "oadr:oadrPendingReports")
        for request_id in self.pending_report_request_ids:
            add(pending, "ei:reportRequestID", request_id)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CreatedReport:
        r = Reader(element)
        pending = Reader(r.child("oadr:oadrPendingReports"))
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      pending_report_request_ids=tuple(
                          "".join(n.itertext()) for n in pending.children("ei:reportRequestID")),
                      ven_id=r.text("ei:venID", optional=True))


@message
@dataclass(frozen=True)
class UpdatedReport:
    """``oadrUpdatedReport``: acknowledgement of an ``oadrUpdateReport`` (report data)."""

    ELEMENT: ClassVar[str] = "oadrUpdatedReport"
    response: EiResponse
    ven_id: str | None = None
    cancel_report: CancelReport | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("ven_id", optional=True)
        f.instance("cancel_report", CancelReport, optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        if self.cancel_report is not None:
            self.cancel_report._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> UpdatedReport:
        r = Reader(element)
        cancel = r.child("oadr:oadrCancelReport", optional=True)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      ven_id=r.text("ei:venID", optional=True),
                      cancel_report=None if cancel is None else CancelReport._read(cancel))
