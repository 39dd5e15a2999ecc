"""OpenADR 2.0b messages to and from XML: `to_xml`, `from_xml`, and the smaller messages.

This module owns the ``oadrPayload`` / ``oadrSignedObject`` envelope, the dispatch between
message classes and XML payload elements, and the opt (``oadrCreateOpt``, ``oadrCreatedOpt``)
and poll (``oadrPoll``, ``oadrResponse``) messages. Registration messages
(``oadrCreatePartyRegistration``, ``oadrCreatedPartyRegistration``) live in `oadr_registration`,
event and report messages in `oadr_events` and
`oadr_reports`, cancellations of opts and reports in `oadr_cancel`, the pull exchange's queries and acknowledgements (``oadrQueryRegistration``,
``oadrRequestEvent``, ``oadrCreatedReport``, ``oadrUpdatedReport``, ...) in `oadr_requests`;
every message class is re-exported here, so callers import this module only.

Rules:

- Every message built validates against the official schema before `to_xml` returns it
  (``validate=False`` exists only for tests that craft invalid messages), and every message
  read validates after `parse_xml` and before it is decoded; a failure raises
  `SchemaViolation` with xmlschema's path and reason for each violation.
- Input is parsed only by `parse_xml` (size, DOCTYPE and depth limits apply).
- A document whose root is not ``oadr:oadrPayload``, or whose payload this codec does not model
  (e.g. ``oadrRequestReregistration``), is refused with ``unknown-message``; in the second case the
  document is schema-valid and the refusal is an `UnknownMessage` (a subclass), so a VTN can
  answer it with an OpenADR error code instead of an HTTP one.
- An XML signature (``ds:Signature``) is not verified and is not kept; this codec decodes the
  signed object only.
- Namespaces: oadr ``http://openadr.org/oadr-2.0b/2012/07``, ei, pyld, emix, xcal, strm,
  power and scale as in `oadr_common.NS` (taken from the XSDs' target namespaces).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lxml import etree

from .oadr_common import NS, OPT_REASONS, OPT_TYPES, Fields, MessageInvalid, fmt_datetime, q
from .oadr_parts import (MESSAGES, Currency, EiResponse, EnergyReal, Period, PowerReal, Reader, Target, add,
                         add_message, message, xpath_of)
from .oadr_events import CreatedEvent, DistributeEvent, Event, EventResponse, Interval, Signal
from .oadr_reports import (RegisterReport, Report, ReportDescription, ReportInterval, ReportPayload,
                           SamplingRate, UpdateReport)
from .oadr_report_requests import RegisteredReport, ReportRequest, SpecifierPayload
from .oadr_registration import CreatedPartyRegistration, CreatePartyRegistration, Profile
from .oadr_cancel import CanceledOpt, CanceledReport, CancelOpt, CancelReport
from .oadr_requests import (CanceledPartyRegistration, CancelPartyRegistration, CreatedReport,
                            CreateReport, QueryRegistration, RequestEvent, UpdatedReport)
from .oadr_schema import SchemaError, SchemaViolation, require_valid
from .xml_safety import XmlRejected, parse_xml

__all__ = [
    "to_xml", "from_xml", "decode", "Message", "XmlRejected", "SchemaViolation", "SchemaError",
    "MessageInvalid", "EiResponse", "Target", "Period", "EnergyReal", "PowerReal",
    "CreatePartyRegistration", "CreatedPartyRegistration", "Profile", "CreateOpt", "CreatedOpt",
    "Poll", "Response", "DistributeEvent", "Event", "Signal", "Interval", "CreatedEvent",
    "EventResponse", "RegisterReport", "RegisteredReport", "UpdateReport", "Report",
    "ReportDescription", "ReportInterval", "ReportPayload", "ReportRequest", "SamplingRate",
    "SpecifierPayload", "QueryRegistration", "CancelPartyRegistration",
    "CanceledPartyRegistration", "RequestEvent", "CreateReport", "CreatedReport", "UpdatedReport",
    "UnknownMessage", "Currency", "CancelOpt", "CanceledOpt", "CancelReport", "CanceledReport",
]


class UnknownMessage(XmlRejected):
    """A schema-valid ``oadrPayload`` whose payload this codec does not model (``unknown-message``)."""


@message
@dataclass(frozen=True)
class CreateOpt:
    """``oadrCreateOpt``: a VEN opts in or out of an event, or of periods (vavailability)."""

    ELEMENT: ClassVar[str] = "oadrCreateOpt"
    request_id: str
    opt_id: str
    opt_type: str
    opt_reason: str
    ven_id: str
    created: datetime
    market_context: str | None = None
    event_id: str | None = None
    modification_number: int | None = None
    availability: tuple[Period, ...] = ()
    target: Target = Target()

    def __post_init__(self) -> None:
        f = Fields(self)
        for name in ("request_id", "opt_id", "ven_id"):
            f.text(name)
        f.token("opt_type", OPT_TYPES)
        f.token("opt_reason", OPT_REASONS, extension=True)
        f.utc("created")
        f.uri("market_context", optional=True)
        f.text("event_id", optional=True)
        f.uint("modification_number", optional=True)
        if (self.event_id is None) != (self.modification_number is None):
            # ei:qualifiedEventID needs both parts
            f.fail("modification_number", "and event_id go together (ei:qualifiedEventID)")
        f.items("availability", Period)
        f.instance("target", Target)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        add(node, "ei:optID", self.opt_id)  # ei:EiOptType first, then the oadr extension
        add(node, "ei:optType", self.opt_type)
        add(node, "ei:optReason", self.opt_reason)
        if self.market_context is not None:
            add(node, "emix:marketContext", self.market_context)
        add(node, "ei:venID", self.ven_id)
        if self.availability:
            components = add(add(node, "xcal:vavailability"), "xcal:components")
            for period in self.availability:
                period._build(add(components, "xcal:available"))
        add(node, "ei:createdDateTime", fmt_datetime(self.created))
        add(node, "pyld:requestID", self.request_id)
        if self.event_id is not None:
            qualified = add(node, "ei:qualifiedEventID")
            add(qualified, "ei:eventID", self.event_id)
            add(qualified, "ei:modificationNumber", str(self.modification_number))
        self.target._build(node)

    @classmethod
    def _read(cls, element: etree._Element) -> CreateOpt:
        r = Reader(element)
        avail = r.child("xcal:vavailability", optional=True)
        periods = () if avail is None else tuple(
            Period._read(n) for n in Reader(Reader(avail).child("xcal:components"))
            .children("xcal:available"))
        return r.make(
            cls, request_id=r.text("pyld:requestID"), opt_id=r.text("ei:optID"),
            opt_type=r.token("ei:optType"), opt_reason=r.token("ei:optReason"),
            ven_id=r.text("ei:venID"), created=r.datetime("ei:createdDateTime"),
            market_context=r.token("emix:marketContext", optional=True),
            event_id=r.text("ei:qualifiedEventID/ei:eventID", optional=True),
            modification_number=r.uint("ei:qualifiedEventID/ei:modificationNumber", optional=True),
            availability=periods, target=Target._read(r.child("ei:eiTarget")))


@message
@dataclass(frozen=True)
class CreatedOpt:
    """``oadrCreatedOpt``: the VTN acknowledges an opt."""

    ELEMENT: ClassVar[str] = "oadrCreatedOpt"
    response: EiResponse
    opt_id: str

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("opt_id")

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        add(node, "ei:optID", self.opt_id)

    @classmethod
    def _read(cls, element: etree._Element) -> CreatedOpt:
        r = Reader(element)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      opt_id=r.text("ei:optID"))


@message
@dataclass(frozen=True)
class Poll:
    """``oadrPoll``: a pull-mode VEN asks the VTN for anything pending."""

    ELEMENT: ClassVar[str] = "oadrPoll"
    ven_id: str

    def __post_init__(self) -> None:
        Fields(self).text("ven_id")

    def _build(self, signed_object: etree._Element) -> None:
        add(add_message(signed_object, self.ELEMENT), "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> Poll:
        r = Reader(element)
        return r.make(cls, ven_id=r.text("ei:venID"))


@message
@dataclass(frozen=True)
class Response:
    """``oadrResponse``: a plain acknowledgement (e.g. "nothing pending" to a poll)."""

    ELEMENT: ClassVar[str] = "oadrResponse"
    response: EiResponse
    ven_id: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.instance("response", EiResponse)
        f.text("ven_id", optional=True)

    def _build(self, signed_object: etree._Element) -> None:
        node = add_message(signed_object, self.ELEMENT)
        self.response._build(node)
        if self.ven_id is not None:
            add(node, "ei:venID", self.ven_id)

    @classmethod
    def _read(cls, element: etree._Element) -> Response:
        r = Reader(element)
        return r.make(cls, response=EiResponse._read(r.child("ei:eiResponse")),
                      ven_id=r.text("ei:venID", optional=True))


Message = (CreatePartyRegistration | CreatedPartyRegistration | DistributeEvent | CreatedEvent
           | RegisterReport | RegisteredReport | UpdateReport | CreateOpt | CreatedOpt | Poll
           | Response | QueryRegistration | CancelPartyRegistration | CanceledPartyRegistration
           | RequestEvent | CreateReport | CreatedReport | UpdatedReport | CancelOpt | CanceledOpt
           | CancelReport | CanceledReport)
_NSMAP = {prefix: NS[prefix] for prefix in ("oadr", "ei", "pyld", "emix", "xcal", "strm",
                                            "power", "scale")}


def to_element(message: Message) -> etree._Element:
    """The ``oadrPayload`` tree of a message, not validated.

    Args:
        message: any message class of this codec.

    Returns:
        The root element.

    Raises:
        TypeError: ``message`` is not a message of this codec.
    """
    if MESSAGES.get(getattr(type(message), "ELEMENT", None)) is not type(message):
        raise TypeError(f"not an OpenADR message of this codec: {type(message).__name__}")
    root = etree.Element(q("oadr", "oadrPayload"), nsmap=_NSMAP)
    message._build(etree.SubElement(root, q("oadr", "oadrSignedObject")))
    return root


def to_xml(message: Message, *, validate: bool = True) -> bytes:
    """Serialise a message as an ``oadrPayload`` document (UTF-8, with XML declaration).

    Args:
        message: any message class of this codec.
        validate: check against the official schema first (leave on; ``False`` is for tests
            that craft invalid messages).

    Returns:
        The document.

    Raises:
        SchemaViolation: the built document is not schema-valid (a codec bug).
        TypeError: ``message`` is not a message of this codec.
    """
    root = to_element(message)
    if validate:
        require_valid(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def from_xml(data: bytes) -> Message:
    """Parse, validate and decode an ``oadrPayload`` document.

    Args:
        data: the document.

    Returns:
        The message, as the dataclass of its payload element.

    Raises:
        XmlRejected: `parse_xml`'s refusals; ``unknown-message`` for a root other than
            ``oadrPayload``, or (as `UnknownMessage`) a payload this codec does not model; a
            value rule broken (``datetime-not-utc``, ``duration-mismatch``, ...) with the element's XPath.
        SchemaViolation: the document is not valid against the official schema.
    """
    root = parse_xml(data)
    if root.tag != q("oadr", "oadrPayload"):
        raise XmlRejected("unknown-message", xpath_of(root),
                          f"root element is {root.tag}, not oadr:oadrPayload")
    require_valid(root)
    return decode(root)


def decode(root: etree._Element) -> Message:
    """Decode an ``oadrPayload`` tree the caller has already parsed with `parse_xml` and found
    schema-valid (a VEN that records the schema check itself, then decodes).

    Raises:
        XmlRejected: as `from_xml`, except schema violations, which are not checked here.
    """
    if root.tag != q("oadr", "oadrPayload"):
        raise XmlRejected("unknown-message", xpath_of(root),
                          f"root element is {root.tag}, not oadr:oadrPayload")
    payload = next(Reader(root).child("oadr:oadrSignedObject").iterchildren(etree.Element))
    name = etree.QName(payload)
    cls = MESSAGES.get(name.localname) if name.namespace == NS["oadr"] else None
    if cls is None:
        raise UnknownMessage("unknown-message", xpath_of(payload),
                             f"{name.localname} is valid OpenADR 2.0b but not modelled by this codec")
    return cls._read(payload)

