"""OpenADR 2.0b cancellations of opts and reports: ``oadrCancelOpt`` / ``oadrCanceledOpt``
(EiOpt service) and ``oadrCancelReport`` / ``oadrCanceledReport`` (EiReport service).

This module owns these four messages and their XML form; `oadr_codec` re-exports them and
wraps them in the envelope.

Rules (beyond the schema, which every message is also checked against, both ways):

- Field order follows the XSD sequences (oadr_20b.xsd).
- ``oadrCancelOpt`` names one opt (``ei:optID``) and the VEN that created it (``ei:venID``,
  required there); the answer repeats the optID.
- ``oadrCancelReport`` names one or more report requests (``ei:reportRequestID``, unique) and
  says whether one last report is to follow (``pyld:reportToFollow``); ``oadrCanceledReport``
  lists the report requests still pending at the answering party (``oadrPendingReports``, which
  the schema requires even when empty).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lxml import etree

from .oadr_common import Fields, fmt_bool
from .oadr_parts import EiResponse, Reader, add, add_message, message


@message
@dataclass(frozen=True)
class CancelOpt:
    """``oadrCancelOpt``: a VEN withdraws an opt it created with ``oadrCreateOpt``."""

    ELEMENT: ClassVar[str] = "oadrCancelOpt"
    request_id: str
    opt_id: str
    ven_id: str

    def __post_init__(self) -> None:
        f = Fields(self)
        for name in ("request_id", "opt_id", "ven_id"):
            f.text(name)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        add(node, "ei:optID", self.opt_id)
        add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CancelOpt:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"), opt_id=r.text("ei:optID"),
                      ven_id=r.text("ei:venID"))


@message
@dataclass(frozen=True)
class CanceledOpt:
    """``oadrCanceledOpt``: the VTN's answer to ``oadrCancelOpt``."""

    ELEMENT: ClassVar[str] = "oadrCanceledOpt"
    response: EiResponse
    opt_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("opt_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        if self.opt_id is not None:
            add(node, "ei:optID", self.opt_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CanceledOpt:
        r = Reader(element)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      opt_id=r.text("ei:optID", optional=True))


@message
@dataclass(frozen=True)
class CancelReport:
    """``oadrCancelReport``: the party that requested reports stops them."""

    ELEMENT: ClassVar[str] = "oadrCancelReport"
    request_id: str
    report_request_ids: tuple[str, ...]
    report_to_follow: bool = False
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id")
        f.text_items("report_request_ids")
        if not self.report_request_ids:
            f.fail("report_request_ids", "name at least one report request to cancel")
        f.unique("report_request_ids", self.report_request_ids, "report request ID")
        f.boolean("report_to_follow")
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "pyld:requestID", self.request_id)
        for request_id in self.report_request_ids:
            add(node, "ei:reportRequestID", request_id)
        add(node, "pyld:reportToFollow", fmt_bool(self.report_to_follow))
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CancelReport:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"),
                      report_request_ids=tuple("".join(n.itertext()).strip()
                                               for n in r.children("ei:reportRequestID")),
                      report_to_follow=r.boolean("pyld:reportToFollow"),
                      ven_id=r.text("ei:venID", optional=True))


@message
@dataclass(frozen=True)
class CanceledReport:
    """``oadrCanceledReport``: the answer to ``oadrCancelReport``, with the report requests
    still pending."""

    ELEMENT: ClassVar[str] = "oadrCanceledReport"
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
    def _read(cls, element: etree._Element) -> CanceledReport:
        r = Reader(element)
        pending = Reader(r.child("oadr:oadrPendingReports"))
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      pending_report_request_ids=tuple(
                          "".join(n.itertext()).strip() for n in pending.children("ei:reportRequestID")),
                      ven_id=r.text("ei:venID", optional=True))
