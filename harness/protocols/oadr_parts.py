"""Shared parts of OpenADR 2.0b messages, and the helpers that read and build them.

This module owns the structures several messages share (``ei:eiResponse``, ``ei:eiTarget``,
WS-Calendar periods, EMIX units ``power:energyReal`` / ``power:powerReal``), the `Reader` that
decodes a schema-valid element, the `add` helpers that build one, and the registry of message
classes by payload element name.

Rules:

- `Reader` refuses with the XPath of the element concerned (`xpath_of`, the same prefixes as
  the schema errors), so every refusal of a parsed message points into the document; a
  constructor's `MessageInvalid` becomes `XmlRejected` with that XPath and the same code.
- xs:token values are whitespace-collapsed when read, as the schema does before checking them.
- An optional element present but empty reads as absent (openleadr, for one, writes
  ``<oadr:oadrTransportAddress></oadr:oadrTransportAddress>``); required ones must carry text.
- Only ``power:energyReal``, ``power:powerReal`` and the currency units (``oadr:currency``,
  ``oadr:currencyPerKWh``, ``oadr:currencyPerKW``, ``oadr:currencyPerThm``) are modelled; any
  other ``emix:itemBase`` member is refused as ``unsupported-unit`` rather than dropped.
- A currency unit keeps its element name and its ``itemDescription`` apart: the schema lets
  them disagree (both are free picks from the same four words), and whether they agree is a
  conformance question (MSG-EMIX-UNITS), not something a decoder should quietly settle.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from lxml import etree

from .oadr_common import (NS, SI_SCALES, Fields, MessageInvalid, fmt_bool, fmt_datetime,
                          fmt_duration, parse_datetime, parse_duration, q)
from .xml_safety import XmlRejected

_URI_TO_PREFIX = {uri: prefix for prefix, uri in NS.items()}


def xpath_of(element: etree._Element) -> str:
    """XPath of an element with the `NS` prefixes, ``[n]`` only where siblings share a tag."""
    steps = []
    node = element
    while node is not None:
        name = etree.QName(node)
        if name.namespace in _URI_TO_PREFIX:
            step = f"{_URI_TO_PREFIX[name.namespace]}:{name.localname}"
        else:
            step = name.text  # {namespace}local, or local without a namespace
        parent = node.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == node.tag]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


class Reader:
    """Reads values out of a schema-valid element, refusing with the element's XPath.

    A package-internal helper of the message modules: ``child``/``children`` find elements by
    ``prefix:local`` name; ``text``, ``token``, ``datetime``, ``duration``, ``number``,
    ``uint`` and ``boolean`` read a ``/``-separated path of such names (``optional=True``
    gives ``None`` when absent, otherwise a missing element raises ``missing-element``);
    ``make`` constructs a part or message and turns its `MessageInvalid` into `XmlRejected`.
    """

    def __init__(self, element: etree._Element):
        self.element = element

    def refuse(self, exc: MessageInvalid, element: etree._Element | None = None) -> XmlRejected:
        return XmlRejected(exc.code, xpath_of(self.element if element is None else element),
                           exc.message)

    def child(self, name: str, *, optional: bool = False) -> etree._Element | None:
        found = next(self.element.iterchildren(clark(name)), None)
        if found is None and not optional:
            raise XmlRejected("missing-element", xpath_of(self.element), f"{name} is required here")
        return found

    def children(self, name: str) -> list[etree._Element]:
        return list(self.element.iterchildren(clark(name)))

    def text(self, path: str, *, optional: bool = False) -> str | None:
        """Text at a ``/``-separated path of prefixed names below this element.

        An optional element that is present but empty reads as absent (``None``): peers such
        as openleadr write empty optional elements, which the schema allows. Text split by a
        comment or processing instruction is joined, as XML's data model has it.
        """
        node = self.element
        for step in path.split("/"):
            node = Reader(node).child(step, optional=optional)
            if node is None:
                return None
        text = "".join(node.itertext())
        return None if optional and not text.strip() else text

    def token(self, path: str, *, optional: bool = False) -> str | None:
        value = self.text(path, optional=optional)
        return None if value is None else " ".join(value.split())  # xs:token collapse

    def _node(self, path: str) -> etree._Element:
        node = self.element
        for step in path.split("/"):
            node = Reader(node).child(step)
        return node

    def datetime(self, path: str, *, optional: bool = False) -> datetime | None:
        value = self.text(path, optional=optional)
        if value is None:
            return None
        try:
            return parse_datetime(value)
        except MessageInvalid as exc:
            raise self.refuse(exc, self._node(path)) from None

    def duration(self, path: str, *, optional: bool = False) -> timedelta | None:
        value = self.text(path, optional=optional)
        if value is None:
            return None
        try:
            return parse_duration(value)
        except MessageInvalid as exc:
            raise self.refuse(exc, self._node(path)) from None

    def number(self, path: str, *, optional: bool = False) -> float | None:
        value = self.text(path, optional=optional)
        return None if value is None else float(value.strip())

    def uint(self, path: str, *, optional: bool = False) -> int | None:
        value = self.text(path, optional=optional)
        return None if value is None else int(value.strip())

    def boolean(self, path: str, *, optional: bool = False) -> bool | None:
        value = self.token(path, optional=optional)
        return None if value is None else value in ("true", "1")

    def make(self, cls: type, **fields: Any) -> Any:
        """Construct ``cls`` from values read here, turning a refusal into `XmlRejected`."""
        try:
            return cls(**fields)
        except MessageInvalid as exc:
            raise self.refuse(exc) from None


@lru_cache(maxsize=512)
def clark(name: str) -> str:
    """Clark name ``{namespace}local`` of a ``prefix:local`` name (prefixes of `NS`)."""
    prefix, local = name.split(":")
    return q(prefix, local)


def add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """Append a ``prefix:local`` child, with text when given."""
    child = etree.SubElement(parent, clark(name))
    if text is not None:
        child.text = text
    return child


def add_duration(parent: etree._Element, name: str, value: timedelta) -> None:
    """xcal:DurationPropType: ``<name><xcal:duration>PT..</xcal:duration></name>``."""
    add(add(parent, name), "xcal:duration", fmt_duration(value))


def add_dtstart(parent: etree._Element, value: datetime) -> None:
    """``<xcal:dtstart><xcal:date-time>...Z</xcal:date-time></xcal:dtstart>``."""
    add(add(parent, "xcal:dtstart"), "xcal:date-time", fmt_datetime(value))


# --------------------------------------------------------------------------- shared parts
@dataclass(frozen=True)
class EiResponse:
    """``ei:eiResponse``: a response code (3 digits, 200 = OK) for the request ``request_id``."""

    request_id: str
    code: str = "200"
    description: str | None = "OK"

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("request_id", empty_ok=True)  # oadrResponse to an oadrPoll may carry ""
        f.response_code("code")
        f.text("description", optional=True)

    def _build(self, parent: etree._Element, name: str = "ei:eiResponse") -> None:
        node = add(parent, name)
        add(node, "ei:responseCode", self.code)
        if self.description is not None:
            add(node, "ei:responseDescription", self.description)
        add(node, "pyld:requestID", self.request_id)

    @classmethod
    def _read(cls, element: etree._Element) -> EiResponse:
        r = Reader(element)
        return r.make(cls, request_id=r.text("pyld:requestID"), code=r.text("ei:responseCode"),
                      description=r.text("ei:responseDescription", optional=True))


_TARGET_ORDER = (("group_ids", "ei:groupID"), ("resource_ids", "ei:resourceID"),
                 ("ven_ids", "ei:venID"), ("party_ids", "ei:partyID"))


@dataclass(frozen=True)
class Target:
    """``ei:eiTarget`` (ei:EiTargetType) by identifiers; empty means "everyone addressed"."""

    ven_ids: tuple[str, ...] = ()
    resource_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    party_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        f = Fields(self)
        for field, _ in _TARGET_ORDER:
            f.text_items(field)

    def _build(self, parent: etree._Element, name: str = "ei:eiTarget") -> None:
        node = add(parent, name)
        for field, element in _TARGET_ORDER:  # the order of EiTargetType's sequence
            for value in getattr(self, field):
                add(node, element, value)

    @classmethod
    def _read(cls, element: etree._Element) -> Target:
        r = Reader(element)
        return r.make(cls, **{field: tuple("".join(c.itertext()) for c in r.children(name))
                             for field, name in _TARGET_ORDER})


@dataclass(frozen=True)
class Period:
    """A WS-Calendar period (``xcal:properties``: dtstart and duration)."""

    dtstart: datetime
    duration: timedelta

    def __post_init__(self) -> None:
        f = Fields(self)
        f.utc("dtstart")
        f.duration("duration")

    def _build(self, parent: etree._Element) -> None:
        props = add(parent, "xcal:properties")
        add_dtstart(props, self.dtstart)
        add_duration(props, "xcal:duration", self.duration)

    @classmethod
    def _read(cls, element: etree._Element) -> Period:
        r = Reader(element)
        return r.make(cls, dtstart=r.datetime("xcal:properties/xcal:dtstart/xcal:date-time"),
                      duration=r.duration("xcal:properties/xcal:duration/xcal:duration"))


@dataclass(frozen=True)
class EnergyReal:
    """``power:energyReal``: real energy in Wh times the SI scale (``k`` = kWh)."""

    scale: str = "k"

    def __post_init__(self) -> None:
        Fields(self).token("scale", SI_SCALES)

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "power:energyReal")
        add(node, "power:itemDescription", "RealEnergy")  # fixed in power:EnergyRealType
        add(node, "power:itemUnits", "Wh")
        add(node, "scale:siScaleCode", self.scale)


@dataclass(frozen=True)
class PowerReal:
    """``power:powerReal``: real power in W times the SI scale, with its power attributes."""

    scale: str = "k"
    hertz: Decimal = Decimal(50)
    voltage: Decimal = Decimal(230)
    ac: bool = True

    def __post_init__(self) -> None:
        f = Fields(self)
        f.token("scale", SI_SCALES)
        f.decimal("hertz")
        f.decimal("voltage")
        f.boolean("ac")

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, "power:powerReal")
        add(node, "power:itemDescription", "RealPower")  # fixed in power:PowerRealType
        add(node, "power:itemUnits", "W")
        add(node, "scale:siScaleCode", self.scale)
        attrs = add(node, "power:powerAttributes")
        add(attrs, "power:hertz", format(self.hertz, "f"))
        add(attrs, "power:voltage", format(self.voltage, "f"))
        add(attrs, "power:ac", fmt_bool(self.ac))


CURRENCY_UNITS = ("currency", "currencyPerKWh", "currencyPerKW", "currencyPerThm")


@dataclass(frozen=True)
class Currency:
    """``oadr:currency`` / ``currencyPerKWh`` / ``currencyPerKW`` / ``currencyPerThm``: an
    amount of money, or a price per unit of energy or power (OpenADR 2.0b, EMIX itemBase
    substitutes). ``code`` is the ISO 4217 alphabetic code the schema enumerates (``EUR``);
    ``description`` is the ``itemDescription`` as sent, normally equal to ``kind``."""

    kind: str = "currencyPerKWh"
    code: str = "EUR"
    scale: str = "none"
    description: str | None = None

    def __post_init__(self) -> None:
        f = Fields(self)
        f.token("kind", CURRENCY_UNITS)
        f.text("code")
        if not (len(self.code) == 3 and self.code.isalpha() and self.code.isupper()):
            f.fail("code", f"expected an ISO 4217 alphabetic code such as EUR, got {self.code!r}")
        f.token("scale", SI_SCALES)
        if self.description is None:
            object.__setattr__(self, "description", self.kind)
        f.token("description", CURRENCY_UNITS)

    def _build(self, parent: etree._Element) -> None:
        node = add(parent, f"oadr:{self.kind}")
        add(node, "oadr:itemDescription", self.description)
        add(node, "oadr:itemUnits", self.code)
        add(node, "scale:siScaleCode", self.scale)


Unit = EnergyReal | PowerReal | Currency
UNIT_TYPES = (EnergyReal, PowerReal, Currency)


def read_unit(parent: etree._Element) -> Unit | None:
    """The emix:itemBase member below ``parent`` that this codec models, if any.

    Raises:
        XmlRejected: ``unsupported-unit`` for another itemBase substitute (voltage, temperature...).
    """
    for node in parent.iterchildren(etree.Element):  # elements only, not comments
        name = etree.QName(node)
        r = Reader(node)
        if name.namespace == NS["power"] and name.localname == "energyReal":
            return r.make(EnergyReal, scale=r.token("scale:siScaleCode"))
        if name.namespace == NS["power"] and name.localname == "powerReal":
            return r.make(PowerReal, scale=r.token("scale:siScaleCode"),
                          hertz=r.text("power:powerAttributes/power:hertz").strip(),
                          voltage=r.text("power:powerAttributes/power:voltage").strip(),
                          ac=r.boolean("power:powerAttributes/power:ac"))
        if name.namespace == NS["oadr"] and name.localname in CURRENCY_UNITS:
            return r.make(Currency, kind=name.localname, code=r.token("oadr:itemUnits"),
                          scale=r.token("scale:siScaleCode"),
                          description=r.token("oadr:itemDescription"))
        if _is_item_base(node):
            raise XmlRejected("unsupported-unit", xpath_of(node),
                              f"unit {name.localname} is valid OpenADR but not modelled by this codec")
    return None


def _is_item_base(node: etree._Element) -> bool:
    # Below a signal, report description or specifier payload, every power:* child and these
    # oadr:* elements are emix:itemBase substitutes.
    name = etree.QName(node)
    return name.namespace == NS["power"] or (name.namespace == NS["oadr"] and name.localname in (
        "customUnit", "current", "currency", "currencyPerKWh", "currencyPerKW", "currencyPerThm",
        "frequency", "Therm", "temperature", "pulseCount", "oadrGBDataDescription"))


# ----------------------------------------------------------------------- message registry
MESSAGES: dict[str, type] = {}


def message(cls: type) -> type:
    """Class decorator: register a message class under its ``ELEMENT`` (e.g. ``oadrPoll``)."""
    MESSAGES[cls.ELEMENT] = cls
    return cls


def add_message(signed_object: etree._Element, element: str) -> etree._Element:
    """The ``oadr:<element>`` payload below ``oadrSignedObject``, marked ``ei:schemaVersion="2.0b"``."""
    node = add(signed_object, f"oadr:{element}")
    node.set(q("ei", "schemaVersion"), "2.0b")
    return node
