"""Market messages OpenADR 2.0b has no element for (tenders, transactions, delivery records) to
and from XML in the project's own schema, ``schemas/market.xsd`` (namespace
``urn:energy-conformance-harness:market:1``), which reuses EMIX, EMIX power, WS-Calendar and
ISO 4217 types from the official OpenADR 2.0b schema set.

What this module owns: the message dataclasses (`Tender`, `Transaction`, `Delivery`), their
XML form, and compiling the schema: ``market.xsd`` comes from the repository (located by
`project_schema.locate`), the official XSDs it imports from the installed openleadr wheel
(`oadr_schema.schema_dir`); nothing else is opened, never the network.

Rules:
- Every message built is validated before `to_xml` returns it, every document read after
  `parse_xml` and before it is decoded; a violation raises `MarketSchemaViolation` listing
  each failing element's path and the reason (libxml2's, from the compiled schema).
- Constructors validate what the schema cannot: times are UTC-aware, an interval lasts longer
  than zero, amounts are finite decimals, a delivery's readings are back to back and add up to
  its delivered total (`MessageInvalid` naming the field).
- Quantities are in kWh (power:energyReal, scale ``k``); prices per kWh.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from lxml import etree

from harness.errors import HarnessError

from . import oadr_schema, project_schema
from .oadr_common import Fields, MessageInvalid, fmt_datetime, fmt_duration, parse_datetime, parse_duration
from .oadr_parts import xpath_of
from .oadr_schema import SchemaError, SchemaViolation
from .xml_safety import XmlRejected, parse_xml

MKT = "urn:energy-conformance-harness:market:1"
NS = {"mkt": MKT, "emix": "http://docs.oasis-open.org/ns/emix/2011/06",
      "power": "http://docs.oasis-open.org/ns/emix/2011/06/power",
      "scale": "http://docs.oasis-open.org/ns/emix/2011/06/siscale",
      "xcal": "urn:ietf:params:xml:ns:icalendar-2.0"}
_LOCK = threading.Lock()


class _ProjectThenOfficial(etree.Resolver):
    """``market.xsd``'s imports name the official files by their bare names: take them from the
    openleadr wheel's schema folder; refuse anything outside the two folders."""

    def __init__(self, project: Path, official: Path):
        super().__init__()
        self._project, self._official = project.resolve(), official.resolve()

    def resolve(self, system_url, public_id, context):
        path = Path(url2pathname(urlsplit(system_url).path)) if system_url.startswith("file:") else Path(system_url)
        if "://" in system_url and not system_url.startswith("file:"):
            raise OSError(f"schema location {system_url!r} is remote; refused")
        path = path.resolve()
        if path.is_relative_to(self._official):
            return None
        if path.is_relative_to(self._project) and not path.is_file() and (self._official / path.name).is_file():
            return self.resolve_filename(str(self._official / path.name), context)
        if path.is_relative_to(self._project):
            return None
        raise OSError(f"schema location {system_url!r} is outside the project and openleadr schema folders")


@lru_cache(maxsize=1)
def market_schema() -> etree.XMLSchema:
    """The compiled ``market.xsd`` (once per process).

    Raises:
        HarnessError: ``market-schema-broken`` when it (or an import) cannot be loaded.
    """
    xsd = project_schema.locate("market.xsd")
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    parser.resolvers.add(_ProjectThenOfficial(xsd.parent, oadr_schema.schema_dir()))
    try:
        return etree.XMLSchema(etree.parse(str(xsd), parser))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        raise HarnessError(f"cannot compile market.xsd: {exc}", code="market-schema-broken", field=str(xsd)) from exc


class MarketSchemaViolation(SchemaViolation):
    """A document ``market.xsd`` refuses; ``errors`` lists every violation (path, reason)."""

    def __init__(self, errors: list[SchemaError]):
        self.errors = tuple(errors)
        first = self.errors[0]
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        reason = first.reason if len(first.reason) <= 300 else first.reason[:300] + "…"
        XmlRejected.__init__(self, "schema-invalid", first.path, f"not valid against market.xsd: {reason}{more}")


def check(root: etree._Element) -> list[SchemaError]:
    """Every violation of ``market.xsd`` in a document; empty when valid."""
    schema = market_schema()
    with _LOCK:  # an XMLSchema's error log belongs to the schema object
        if schema.validate(root):
            return []
        return [SchemaError(path=e.path or f"line {e.line}", reason=e.message) for e in schema.error_log]


def _q(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


def _add(parent, name: str, text: str | None = None):
    prefix, local = name.split(":")
    node = etree.SubElement(parent, _q(prefix, local))
    if text is not None:
        node.text = text
    return node


def _text(node, path: str) -> str:
    found = node.find(path, NS)
    if found is None or found.text is None:
        raise XmlRejected("missing-element", xpath_of(node), f"{path} is missing")
    return found.text.strip()


@dataclass(frozen=True)
class Interval:
    """A WS-Calendar interval: ``start`` (UTC) and ``duration``."""

    start: datetime
    duration: timedelta

    def __post_init__(self) -> None:
        f = Fields(self)
        f.utc("start")
        f.duration("duration", positive=True)

    @property
    def end(self) -> datetime:
        return self.start + self.duration

    def _build(self, parent, name: str = "mkt:interval") -> None:
        node = _add(parent, name)
        _add(_add(node, "xcal:dtstart"), "xcal:date-time", fmt_datetime(self.start))
        _add(_add(node, "xcal:duration"), "xcal:duration", fmt_duration(self.duration))

    @classmethod
    def _read(cls, node) -> Interval:
        return cls(parse_datetime(_text(node, "xcal:dtstart/xcal:date-time")),
                   parse_duration(_text(node, "xcal:duration/xcal:duration")))


def _energy(parent) -> None:
    item = _add(parent, "power:energyReal")
    _add(item, "power:itemDescription", "RealEnergy")
    _add(item, "power:itemUnits", "Wh")
    _add(item, "scale:siScaleCode", "k")


def _decimal(f: Fields, obj, name: str) -> None:
    value = getattr(obj, name)
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        f.fail(name, f"expected a finite, non-negative Decimal, got {value!r}")


@dataclass(frozen=True)
class Tender:
    """``mkt:tender``: a buy bid or sell offer of ``quantity_kwh`` at ``price`` per kWh."""

    ELEMENT: ClassVar[str] = "tender"
    tender_id: str
    side: str
    party_id: str
    product_id: str
    market_context: str
    quantity_kwh: Decimal
    price: Decimal
    currency: str
    interval: Interval
    expires: datetime

    def __post_init__(self) -> None:
        f = Fields(self)
        for name in ("tender_id", "party_id", "product_id"):
            f.text(name)
        f.token("side", ("buy", "sell"))
        f.uri("market_context")
        _decimal(f, self, "quantity_kwh")
        _decimal(f, self, "price")
        f.text("currency")
        f.instance("interval", Interval)
        f.utc("expires")

    def _build(self, root) -> None:
        for tag, value in (("tenderID", self.tender_id), ("side", self.side), ("partyID", self.party_id),
                           ("productID", self.product_id)):
            _add(root, f"mkt:{tag}", value)
        _add(root, "emix:marketContext", self.market_context)
        _quantity(root, self.quantity_kwh)
        _price(root, self.price, self.currency)
        self.interval._build(root)
        _add(root, "mkt:expires", fmt_datetime(self.expires))

    @classmethod
    def _read(cls, root) -> Tender:
        return cls(_text(root, "mkt:tenderID"), _text(root, "mkt:side"), _text(root, "mkt:partyID"),
                   _text(root, "mkt:productID"), _text(root, "emix:marketContext"),
                   Decimal(_text(root, "mkt:quantity/mkt:value")), Decimal(_text(root, "mkt:price/mkt:amount")),
                   _text(root, "mkt:price/mkt:currency"), Interval._read(root.find("mkt:interval", NS)),
                   parse_datetime(_text(root, "mkt:expires")))


@dataclass(frozen=True)
class Transaction:
    """``mkt:transaction``: a cleared contract between two tenders."""

    ELEMENT: ClassVar[str] = "transaction"
    transaction_id: str
    product_id: str
    market_context: str
    buy_tender_id: str
    sell_tender_id: str
    buyer_id: str
    seller_id: str
    quantity_kwh: Decimal
    price: Decimal
    currency: str
    interval: Interval
    executed: datetime

    def __post_init__(self) -> None:
        f = Fields(self)
        for name in ("transaction_id", "product_id", "buy_tender_id", "sell_tender_id", "buyer_id", "seller_id"):
            f.text(name)
        f.uri("market_context")
        if self.buyer_id == self.seller_id:
            f.fail("seller_id", "a transaction needs two different parties")
        _decimal(f, self, "quantity_kwh")
        _decimal(f, self, "price")
        f.text("currency")
        f.instance("interval", Interval)
        f.utc("executed")

    def _build(self, root) -> None:
        _add(root, "mkt:transactionID", self.transaction_id)
        _add(root, "mkt:productID", self.product_id)
        _add(root, "emix:marketContext", self.market_context)
        for tag, value in (("buyTenderID", self.buy_tender_id), ("sellTenderID", self.sell_tender_id),
                           ("buyerID", self.buyer_id), ("sellerID", self.seller_id)):
            _add(root, f"mkt:{tag}", value)
        _quantity(root, self.quantity_kwh)
        _price(root, self.price, self.currency)
        self.interval._build(root)
        _add(root, "mkt:executed", fmt_datetime(self.executed))

    @classmethod
    def _read(cls, root) -> Transaction:
        return cls(_text(root, "mkt:transactionID"), _text(root, "mkt:productID"), _text(root, "emix:marketContext"),
                   _text(root, "mkt:buyTenderID"), _text(root, "mkt:sellTenderID"), _text(root, "mkt:buyerID"),
                   _text(root, "mkt:sellerID"), Decimal(_text(root, "mkt:quantity/mkt:value")),
                   Decimal(_text(root, "mkt:price/mkt:amount")), _text(root, "mkt:price/mkt:currency"),
                   Interval._read(root.find("mkt:interval", NS)), parse_datetime(_text(root, "mkt:executed")))


@dataclass(frozen=True)
class Delivery:
    """``mkt:delivery``: metered energy per interval for a transaction, its total and outcome."""

    ELEMENT: ClassVar[str] = "delivery"
    transaction_id: str
    meter_id: str
    readings: tuple[tuple[Interval, Decimal], ...]
    delivered_kwh: Decimal
    outcome: str

    def __post_init__(self) -> None:
        f = Fields(self)
        f.text("transaction_id")
        f.text("meter_id")
        readings = f.items("readings", tuple, min_items=1)
        for i, (interval, value) in enumerate(readings):
            if not isinstance(interval, Interval):
                f.fail(f"readings[{i}][0]", "expected an Interval")
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                f.fail(f"readings[{i}][1]", f"expected a non-negative Decimal, got {value!r}")
            if i and interval.start != readings[i - 1][0].end:
                f.fail(f"readings[{i}][0]", f"starts at {fmt_datetime(interval.start)}, not where the reading "
                       f"before ends ({fmt_datetime(readings[i - 1][0].end)})", code="interval-not-contiguous")
        _decimal(f, self, "delivered_kwh")
        if sum((v for _, v in readings), Decimal(0)) != self.delivered_kwh:
            f.fail("delivered_kwh", "must equal the sum of the readings", code="total-mismatch")
        f.token("outcome", ("delivered", "short", "incomplete"))

    def _build(self, root) -> None:
        _add(root, "mkt:transactionID", self.transaction_id)
        _add(root, "mkt:meterID", self.meter_id)
        _energy(root)
        for interval, value in self.readings:
            reading = _add(root, "mkt:reading")
            interval._build(reading)
            _add(reading, "mkt:value", format(value, "f"))
        _add(root, "mkt:delivered", format(self.delivered_kwh, "f"))
        _add(root, "mkt:outcome", self.outcome)

    @classmethod
    def _read(cls, root) -> Delivery:
        readings = tuple((Interval._read(r.find("mkt:interval", NS)), Decimal(_text(r, "mkt:value")))
                         for r in root.findall("mkt:reading", NS))
        return cls(_text(root, "mkt:transactionID"), _text(root, "mkt:meterID"), readings,
                   Decimal(_text(root, "mkt:delivered")), _text(root, "mkt:outcome"))


def _quantity(root, value: Decimal) -> None:
    node = _add(root, "mkt:quantity")
    _add(node, "mkt:value", format(value, "f"))
    _energy(node)


def _price(root, amount: Decimal, currency: str) -> None:
    node = _add(root, "mkt:price")
    _add(node, "mkt:amount", format(amount, "f"))
    _add(node, "mkt:currency", currency)


MarketMessage = Tender | Transaction | Delivery
_BY_ELEMENT = {cls.ELEMENT: cls for cls in (Tender, Transaction, Delivery)}


def to_xml(message: MarketMessage) -> bytes:
    """The message as a ``market.xsd`` document, validated first.

    Raises:
        MarketSchemaViolation: the built document is not valid (a codec bug).
        TypeError: not a market message.
    """
    if _BY_ELEMENT.get(getattr(type(message), "ELEMENT", None)) is not type(message):
        raise TypeError(f"not a market message: {type(message).__name__}")
    root = etree.Element(_q("mkt", message.ELEMENT), nsmap={k: v for k, v in NS.items()})
    message._build(root)
    errors = check(root)
    if errors:
        raise MarketSchemaViolation(errors)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def from_xml(data: bytes) -> MarketMessage:
    """Parse (`parse_xml`), validate against ``market.xsd`` and decode a market document.

    Raises:
        XmlRejected: `parse_xml`'s refusals; ``unknown-message`` for another root element; a
            constructor rule broken, with the root's XPath and the field named.
        MarketSchemaViolation: not valid against ``market.xsd`` (every violation listed).
    """
    root = parse_xml(data)
    name = etree.QName(root)
    cls = _BY_ELEMENT.get(name.localname) if name.namespace == MKT else None
    if cls is None:
        raise XmlRejected("unknown-message", "/", f"root element {root.tag} is not a market message")
    errors = check(root)
    if errors:
        raise MarketSchemaViolation(errors)
    try:
        return cls._read(root)
    except MessageInvalid as exc:
        raise XmlRejected(exc.code, f"/mkt:{cls.ELEMENT}", f"{exc.field}: {exc}") from None
