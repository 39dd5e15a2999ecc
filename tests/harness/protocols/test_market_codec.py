"""The project's market schema (schemas/market.xsd) and its codec: tenders, transactions and
delivery records round-trip, validated both ways; what the schema or the constructors refuse
is refused with the element or field named; the official imports come from the openleadr wheel."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.protocols import market_codec as mc
from harness.protocols.oadr_common import MessageInvalid
from harness.protocols.xml_safety import XmlRejected

T0 = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)
MARKET = "http://market.example/energy"


def tender(**changes) -> mc.Tender:
    fields = dict(tender_id="B-1", side="buy", party_id="bob", product_id="P-1", market_context=MARKET,
                  quantity_kwh=Decimal("30.0"), price=Decimal("0.20"), currency="EUR",
                  interval=mc.Interval(T0, timedelta(hours=4)), expires=T0 - timedelta(minutes=30))
    return mc.Tender(**{**fields, **changes})


def transaction() -> mc.Transaction:
    return mc.Transaction("C-1", "P-1", MARKET, "B-1", "S-1", "bob", "alice", Decimal("30"), Decimal("0.12"),
                          "EUR", mc.Interval(T0, timedelta(hours=4)), T0 - timedelta(minutes=20))


def delivery(values=("1.875",) * 16) -> mc.Delivery:
    readings = tuple((mc.Interval(T0 + i * Q15, Q15), Decimal(v)) for i, v in enumerate(values))
    return mc.Delivery("C-1", "M-A1", readings, sum((r[1] for r in readings), Decimal(0)), "delivered")


@pytest.mark.parametrize("message", [tender(), tender(side="sell", currency="USD"), transaction(), delivery()])
def test_market_messages_round_trip_valid_against_market_xsd(message):
    document = mc.to_xml(message)
    assert b"urn:energy-conformance-harness:market:1" in document and b"power:energyReal" in document
    assert mc.from_xml(document) == message


def test_the_schema_names_the_offending_element():
    document = mc.to_xml(tender())
    for broken, path in ((document.replace(b">EUR<", b">EURO<"), "/mkt:tender/mkt:price/mkt:currency"),
                         (document.replace(b">buy<", b">maybe<"), "/mkt:tender/mkt:side"),
                         (document.replace(b">0.20<", b">-0.20<"), "/mkt:tender/mkt:price/mkt:amount"),
                         (document.replace(b">Wh<", b">kWh<"), "/mkt:tender/mkt:quantity/power:energyReal/power:itemUnits"),
                         (document.replace(b"PT4H", b"four hours"), "/mkt:tender/mkt:interval/xcal:duration/xcal:duration")):
        with pytest.raises(mc.MarketSchemaViolation) as refused:
            mc.from_xml(broken)
        assert refused.value.code == "schema-invalid" and refused.value.field == path, refused.value
        assert "market.xsd" in str(refused.value)


def test_constructors_refuse_what_the_schema_cannot_see():
    with pytest.raises(MessageInvalid) as refused:
        replace(delivery(), delivered_kwh=Decimal("29"))
    assert (refused.value.code, refused.value.field) == ("total-mismatch", "Delivery.delivered_kwh")
    gap = delivery().readings[:1] + ((mc.Interval(T0 + 2 * Q15, Q15), Decimal("1")),)
    with pytest.raises(MessageInvalid) as refused:
        mc.Delivery("C-1", "M-A1", gap, Decimal("2.875"), "delivered")
    assert refused.value.code == "interval-not-contiguous"
    with pytest.raises(MessageInvalid):
        tender(price=-Decimal("1"))
    with pytest.raises(MessageInvalid):
        tender(interval=mc.Interval(T0, timedelta(0)))
    with pytest.raises(MessageInvalid):
        replace(transaction(), seller_id="bob")


def test_other_documents_are_refused_before_decoding():
    with pytest.raises(XmlRejected) as refused:
        mc.from_xml(b"<tender/>")
    assert refused.value.code == "unknown-message"
    with pytest.raises(XmlRejected) as refused:
        mc.from_xml(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    assert refused.value.code == "xml-doctype-forbidden"
    with pytest.raises(TypeError):
        mc.to_xml(mc.Interval(T0, Q15))


@settings(max_examples=40, deadline=None)
@given(cents=st.integers(0, 10**6), wh=st.integers(0, 10**9), minutes=st.integers(1, 7 * 24 * 60),
       currency=st.sampled_from(["EUR", "USD", "CHF", "JPY"]), side=st.sampled_from(["buy", "sell"]))
def test_any_valid_tender_survives_the_round_trip(cents, wh, minutes, currency, side):
    message = tender(price=Decimal(cents).scaleb(-2), quantity_kwh=Decimal(wh).scaleb(-3), currency=currency,
                     side=side, interval=mc.Interval(T0, timedelta(minutes=minutes)))
    assert mc.from_xml(mc.to_xml(message)) == message
