"""Tariff calendars through WS-Calendar / iCalendar (loopback through the real icalendar codec)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from harness.protocols.wscalendar import WsCalendarError, from_ics
from reference_impl.adapters.tariff_calendar import dynamic_prices_from_ics, price_sequence, to_calendar
from reference_impl.core.tariffs import parse_tariff

DAY = datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)     # Monday 2026-03-02 00:00 in Luxembourg
TOU = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use", "local_tz": "Europe/Luxembourg",
       "energy": {"kind": "time-of-use", "periods": [
           {"name": "off-peak", "price_per_kwh": "0.18"},
           {"name": "peak", "price_per_kwh": "0.30",
            "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]}]}}


def test_tou_day_is_three_stretches_with_their_prices():
    seq = price_sequence(parse_tariff(TOU), DAY, DAY + timedelta(days=1))
    assert [(i.uid, i.duration, i.payload) for i in seq.intervals] == [
        ("TOU-1/off-peak/0", timedelta(hours=8), 0.18), ("TOU-1/peak/1", timedelta(hours=12), 0.30),
        ("TOU-1/off-peak/2", timedelta(hours=4), 0.18)]
    assert from_ics(to_calendar(parse_tariff(TOU), DAY, DAY + timedelta(days=1))).intervals == seq.intervals


def test_dynamic_prices_round_trip_through_icalendar():
    prices = [{"start": (DAY + timedelta(hours=h)).isoformat(), "end": (DAY + timedelta(hours=h + 1)).isoformat(),
               "price_per_kwh": str(Decimal("0.1234") + h)} for h in range(3)]
    tariff = parse_tariff({"tariff_id": "D", "currency": "EUR", "billing_mode": "time-of-use",
                           "energy": {"kind": "dynamic", "prices": prices}})
    back = dynamic_prices_from_ics(to_calendar(tariff, DAY, DAY + timedelta(hours=3)))
    again = parse_tariff({**tariff.to_record(), "energy": {"kind": "dynamic", "prices": back}})
    assert again.dynamic == tariff.dynamic


def test_a_price_interval_without_price_is_refused():
    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
           b"DTSTART:20260302T000000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with pytest.raises(WsCalendarError) as refusal:
        dynamic_prices_from_ics(ics)
    assert refusal.value.field == "/vevents/0/X-OADR-PAYLOAD"
