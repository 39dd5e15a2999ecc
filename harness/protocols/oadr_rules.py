"""Message rules beyond the schema, checked on what a VTN actually sent (the parsed
``oadrPayload`` tree, not the decoded dataclasses), so a rule is judged even when the message
is too broken for the codec to decode, and nothing the codec normalises is hidden from it.

What this module owns: the pure checks behind the MSG-* requirements (harness/catalog/msg.yaml)
that look inside messages; each returns `Finding`s (code, XPath field, expected, actual), never
raises on a bad message, does no I/O. The VEN adapter (`harness.sut.openadr_ven`) feeds them;
the steps turn findings into `ConformanceViolation`s.

Rules checked (paraphrased; the catalog cites the clauses):
- `event_interval_findings`: every signal's intervals run back to back from the event's
  ``dtstart`` (an interval's own ``xcal:dtstart``, when given, equals the running start: a later
  one is a gap, an earlier one an overlap), each lasts longer than zero, and together they
  span exactly the event's active period (``eiActivePeriod`` duration).
- `EventVersions`: an event's ``modificationNumber`` never goes down, goes up whenever the event
  changed (anything but its number and its time-derived ``eventStatus``; a cancellation is a
  change) and stays put when nothing changed.
- `echo_findings`: an answer carries the ``requestID`` of the request it answers, and the IDs
  the request named (``optID``, ``registrationID``); report requests name only report
  specifiers and rIDs the VEN registered.
- `unit_findings`: a price signal carries a currency unit; the unit kind suits the signal name;
  a currency unit's ``itemDescription`` is its own kind and its scale is ``none``; one
  distribution quotes one currency.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta

from lxml import etree

from .oadr_common import NS, parse_datetime, parse_duration
from .oadr_parts import CURRENCY_UNITS, xpath_of

_P = {k: NS[k] for k in ("oadr", "ei", "pyld", "emix", "xcal", "strm", "power", "scale")}

# OpenADR 2.0b profile specification, the table of signal names with their types and units:
# which emix:itemBase a signal of each name may carry. Names not listed take any unit.
UNITS_BY_SIGNAL: dict[str, tuple[str, ...]] = {
    "ELECTRICITY_PRICE": ("currencyPerKWh", "currencyPerKW", "currencyPerThm"),
    "ENERGY_PRICE": ("currencyPerKWh", "currencyPerThm"),
    "DEMAND_CHARGE": ("currencyPerKW",),
    "BID_PRICE": ("currencyPerKWh",),
    "BID_LOAD": ("powerReal",),
    "BID_ENERGY": ("energyReal",),
}
PRICE_TYPES = ("price", "priceRelative")   # an amount of money: needs a currency to mean anything


@dataclass(frozen=True)
class Finding:
    """One rule a message broke: ``code``, the XPath ``field``, what was expected and found."""

    code: str
    field: str
    expected: object
    actual: object
    message: str

    def to_record(self) -> dict:
        return {"code": self.code, "field": self.field, "expected": self.expected,
                "actual": self.actual, "message": self.message}


@lru_cache(maxsize=None)
def _compiled(path: str) -> etree.XPath:
    return etree.XPath(path, namespaces=_P)  # compiled once: the VEN judges every answer


def _all(node: etree._Element, path: str) -> list:
    return _compiled(path)(node)


def _one(node: etree._Element, path: str) -> etree._Element | None:
    if "[" not in path:
        return node.find(path, _P)  # ElementPath: cheaper than XPath for a plain child path
    found = _compiled(path)(node)
    return found[0] if found else None


# The same few durations (PT15M, PT1H) recur in every interval: read each spelling once.
_duration = lru_cache(maxsize=4096)(parse_duration)


def _text(node: etree._Element, path: str) -> str | None:
    hit = _one(node, path)
    return None if hit is None or hit.text is None else hit.text.strip()


def _payload(root: etree._Element) -> etree._Element | None:
    return _one(root, "oadr:oadrSignedObject/*[1]")


def events_of(root: etree._Element) -> list[etree._Element]:
    """The ``ei:eiEvent`` elements of an ``oadrDistributeEvent`` document (none otherwise)."""
    return _all(root, "oadr:oadrSignedObject/oadr:oadrDistributeEvent/oadr:oadrEvent/ei:eiEvent")


# -- event intervals ---------------------------------------------------------------------------
def _when(node, path, parse, findings, what):
    text = _text(node, path)
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError as exc:
        findings.append(Finding("unreadable-time", xpath_of(_one(node, path)), what, text, str(exc)))
        return None


def event_interval_findings(root: etree._Element) -> list[Finding]:
    """Interval consistency of every event in an ``oadrDistributeEvent`` (see module rules)."""
    findings: list[Finding] = []
    for event in events_of(root):
        props = "ei:eiActivePeriod/xcal:properties/"
        dtstart = _when(event, props + "xcal:dtstart/xcal:date-time", parse_datetime, findings,
                        "an xs:dateTime")
        span = _when(event, props + "xcal:duration/xcal:duration", _duration, findings,
                     "an xs:duration")
        if dtstart is None or span is None:
            continue
        for signal in _all(event, "ei:eiEventSignals/ei:eiEventSignal"):
            findings += _signal_findings(signal, dtstart, span)
    return findings


def _signal_findings(signal: etree._Element, dtstart: datetime, span: timedelta) -> list[Finding]:
    findings: list[Finding] = []
    offset = timedelta(0)
    for interval in _all(signal, "strm:intervals/ei:interval"):
        own = _when(interval, "xcal:dtstart/xcal:date-time", parse_datetime, findings, "an xs:dateTime")
        length = _when(interval, "xcal:duration/xcal:duration", _duration, findings, "an xs:duration")
        if own is not None and own - dtstart != offset:
            where = xpath_of(_one(interval, "xcal:dtstart/xcal:date-time"))
            kind = "interval-gap" if own - dtstart > offset else "interval-overlap"
            findings.append(Finding(kind, where, (dtstart + offset).isoformat(), own.isoformat(),
                                    f"the interval starts at {own.isoformat()}, but the one before it "
                                    f"ends at {(dtstart + offset).isoformat()}"))
            offset = own - dtstart
        if length is None:
            continue
        if length <= timedelta(0):
            findings.append(Finding("interval-duration", xpath_of(interval), "> PT0S", str(length),
                                    "an event interval must last longer than zero"))
        offset += length
    if offset != span and span != timedelta(0):  # PT0S: an open-ended event (EI), no span to match
        findings.append(Finding("signal-span", xpath_of(signal), str(span), str(offset),
                                f"the signal's intervals end {offset} after dtstart, but the event's "
                                f"active period lasts {span}"))
    return findings


# -- modification numbers ----------------------------------------------------------------------
def _fingerprint(event: etree._Element) -> tuple[bytes, bool]:
    """The event's content without its modification number, status and creation stamp (the
    status moves with the clock, not with the VTN's changes), and whether it is cancelled."""
    copy = deepcopy(event)
    cancelled = _text(copy, "ei:eventDescriptor/ei:eventStatus") == "cancelled"
    for path in ("ei:eventDescriptor/ei:modificationNumber", "ei:eventDescriptor/ei:eventStatus",
                 "ei:eventDescriptor/ei:modificationDateTime", "ei:eventDescriptor/ei:modificationReason"):
        for node in copy.xpath(path, namespaces=_P):
            node.getparent().remove(node)
    return etree.tostring(copy, method="c14n"), cancelled


@dataclass
class EventVersions:
    """What the VEN has been told about each event, in order, to judge modification numbers."""

    seen: dict[str, tuple[int, bytes, bool]] = field(default_factory=dict)

    def observe(self, root: etree._Element) -> list[Finding]:
        """Take in one ``oadrDistributeEvent``; returns the modification-number findings."""
        findings = []
        for event in events_of(root):
            event_id = _text(event, "ei:eventDescriptor/ei:eventID")
            number_text = _text(event, "ei:eventDescriptor/ei:modificationNumber")
            if event_id is None or number_text is None or not number_text.isdigit():
                continue  # the schema check reports it
            number = int(number_text)
            content, cancelled = _fingerprint(event)
            before = self.seen.get(event_id)
            self.seen[event_id] = (number, content, cancelled)
            if before is None:
                continue
            old_number, old_content, was_cancelled = before
            where = xpath_of(_one(event, "ei:eventDescriptor/ei:modificationNumber"))
            changed = content != old_content or cancelled != was_cancelled
            if number < old_number:
                findings.append(Finding("modification-decreased", where, f">= {old_number}", number,
                                        f"event {event_id} went back from modification {old_number} to {number}"))
            elif changed and number == old_number:
                findings.append(Finding("modification-not-incremented", where, f"> {old_number}", number,
                                        f"event {event_id} changed but kept modification number {number}"))
            elif not changed and number != old_number:
                findings.append(Finding("modification-without-change", where, old_number, number,
                                        f"event {event_id} did not change, yet its modification number "
                                        f"moved from {old_number} to {number}"))
        return findings

    def number(self, event_id: str) -> int | None:
        seen = self.seen.get(event_id)
        return None if seen is None else seen[0]


# -- request IDs echoed --------------------------------------------------------------------------
# request element -> (answer elements, IDs the answer must repeat: (request path, answer path))
ECHO_RULES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "oadrQueryRegistration": (("oadrCreatedPartyRegistration",),
                              (("pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
    "oadrCreatePartyRegistration": (("oadrCreatedPartyRegistration",),
                                    (("pyld:requestID", "ei:eiResponse/pyld:requestID"),
                                     ("ei:registrationID", "ei:registrationID"))),
    "oadrCancelPartyRegistration": (("oadrCanceledPartyRegistration",),
                                    (("pyld:requestID", "ei:eiResponse/pyld:requestID"),
                                     ("ei:registrationID", "ei:registrationID"))),
    "oadrRequestEvent": (("oadrDistributeEvent",),
                         (("pyld:eiRequestEvent/pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
    "oadrCreatedEvent": (("oadrResponse",),
                         (("pyld:eiCreatedEvent/ei:eiResponse/pyld:requestID",
                           "ei:eiResponse/pyld:requestID"),)),
    "oadrCreateOpt": (("oadrCreatedOpt",),
                      (("pyld:requestID", "ei:eiResponse/pyld:requestID"), ("ei:optID", "ei:optID"))),
    "oadrCancelOpt": (("oadrCanceledOpt",),
                      (("pyld:requestID", "ei:eiResponse/pyld:requestID"), ("ei:optID", "ei:optID"))),
    "oadrCancelReport": (("oadrCanceledReport",), (("pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
    "oadrRegisterReport": (("oadrRegisteredReport",),
                           (("pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
    "oadrUpdateReport": (("oadrUpdatedReport",),
                         (("pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
    "oadrCreatedReport": (("oadrResponse",),
                          (("ei:eiResponse/pyld:requestID", "ei:eiResponse/pyld:requestID"),)),
}


def echo_findings(sent: etree._Element, answer: etree._Element) -> list[Finding]:
    """Whether ``answer`` (an ``oadrPayload``) answers ``sent`` and repeats its IDs."""
    request, reply = _payload(sent), _payload(answer)
    if request is None or reply is None:
        return []
    rule = ECHO_RULES.get(etree.QName(request).localname)
    if rule is None:
        return []
    kinds, echoes = rule
    got = etree.QName(reply).localname
    if got not in kinds:
        return [Finding("wrong-answer", xpath_of(reply), " or ".join(kinds), got,
                        f"{etree.QName(request).localname} was answered with {got}")]
    findings = []
    for asked_path, answer_path in echoes:
        asked = _text(request, asked_path)
        if asked is None:
            continue  # the request did not name one (e.g. a first registration)
        echoed = _text(reply, answer_path)
        if echoed != asked:
            node = _one(reply, answer_path)
            findings.append(Finding("id-not-echoed", xpath_of(node) if node is not None else
                                    f"{xpath_of(reply)}/{answer_path}", asked, echoed,
                                    f"the answer names {echoed!r}, not the {answer_path.split(':')[-1]} "
                                    f"{asked!r} of the request"))
    if got == "oadrRegisteredReport":
        findings += _report_request_findings(request, reply)
    return findings


def _report_request_findings(register: etree._Element, registered: etree._Element) -> list[Finding]:
    offered: dict[str, set[str]] = {}
    for report in _all(register, "oadr:oadrReport"):
        specifier = _text(report, "ei:reportSpecifierID")
        offered[specifier] = {r.text.strip() for r in report.xpath(
            "oadr:oadrReportDescription/ei:rID", namespaces=_P) if r.text}
    findings = []
    for request in _all(registered, "oadr:oadrReportRequest"):
        specifier_node = _one(request, "ei:reportSpecifier/ei:reportSpecifierID")
        specifier = None if specifier_node is None else (specifier_node.text or "").strip()
        if specifier not in offered:
            findings.append(Finding("unknown-report-specifier", xpath_of(specifier_node),
                                    sorted(offered), specifier,
                                    f"the VTN requests report {specifier!r}, which the VEN never registered"))
            continue
        for r_id in _all(request, "ei:reportSpecifier/ei:specifierPayload/ei:rID"):
            if (r_id.text or "").strip() not in offered[specifier]:
                findings.append(Finding("unknown-rid", xpath_of(r_id), sorted(offered[specifier]),
                                        r_id.text, f"rID {r_id.text!r} is not in report {specifier!r}"))
    return findings


# -- EMIX units ----------------------------------------------------------------------------------
def _unit(signal: etree._Element) -> etree._Element | None:
    for node in signal.iterchildren(etree.Element):
        name = etree.QName(node)
        if name.namespace == NS["power"] or (name.namespace == NS["oadr"] and
                                             name.localname not in ("oadrReportDescription",)):
            return node
    return None


def unit_findings(root: etree._Element) -> list[Finding]:
    """EMIX unit and currency consistency of the signals in an ``oadrDistributeEvent``."""
    findings: list[Finding] = []
    currencies: dict[str, str] = {}
    for event in events_of(root):
        for signal in _all(event, "ei:eiEventSignals/ei:eiEventSignal"):
            name, kind = _text(signal, "ei:signalName"), _text(signal, "ei:signalType")
            unit = _unit(signal)
            unit_kind = None if unit is None else etree.QName(unit).localname
            if kind in PRICE_TYPES and unit_kind not in CURRENCY_UNITS:
                findings.append(Finding("price-without-currency", xpath_of(signal if unit is None else unit), "a currency unit",
                                        unit_kind, f"a {name} signal of type {kind} states an amount of "
                                        "money, but carries no currency unit"))
            allowed = UNITS_BY_SIGNAL.get(name or "")
            if allowed and unit_kind is not None and unit_kind not in allowed:
                findings.append(Finding("unit-not-for-signal", xpath_of(signal if unit is None else unit), allowed, unit_kind,
                                        f"a {name} signal is quoted in {', '.join(allowed)}, not {unit_kind}"))
            if unit_kind in CURRENCY_UNITS:
                findings += _currency_findings(unit, unit_kind, currencies)
    return findings


def _currency_findings(unit: etree._Element, unit_kind: str, currencies: dict[str, str]) -> list[Finding]:
    findings = []
    description = _text(unit, "oadr:itemDescription")
    if description != unit_kind:
        node = _one(unit, "oadr:itemDescription")
        findings.append(Finding("unit-description-mismatch", xpath_of(node if node is not None else unit),
                                unit_kind, description,
                                f"a {unit_kind} unit describes itself as {description!r}"))
    scale = _text(unit, "scale:siScaleCode")
    if scale != "none":
        findings.append(Finding("currency-scaled", xpath_of(_one(unit, "scale:siScaleCode")), "none", scale,
                                "money is not scaled by SI prefixes"))
    code = _text(unit, "oadr:itemUnits")
    first = next(iter(currencies.values()), None)
    if first is not None and code != first:
        findings.append(Finding("mixed-currencies", xpath_of(_one(unit, "oadr:itemUnits")), first, code,
                                f"prices in one distribution are quoted in {first} and {code}"))
    currencies.setdefault(unit_kind, code or "")
    return findings


def summarise(findings: Iterable[Finding]) -> str:
    """One line per finding, for a violation message."""
    return "; ".join(f"{f.code} at {f.field}: {f.message}" for f in findings)


def as_records(findings: Iterable[Finding]) -> list[Mapping]:
    return [f.to_record() for f in findings]
