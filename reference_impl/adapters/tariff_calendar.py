"""Tariff calendars in WS-Calendar form (OASIS WS-Calendar as profiled by EMIX: a price is the
payload of an interval). Converts a tariff's prices over a span into a
`harness.protocols.wscalendar.IntervalSequence`, and reads a dynamic tariff's price series from
iCalendar (RFC 5545, one VEVENT per price interval, X-OADR-PAYLOAD = price per kWh).

Rules: a time-of-use or flat tariff becomes one interval per stretch of constant period
(quarter-hour resolution, the finest TOU window edge `core.tariffs` allows), uid
``<tariff>/<period>/<n>``; a dynamic tariff's own intervals are kept as they are. Prices are
written as floats (WS-Calendar payloads are floats) and read back as decimals of the float's
shortest repr, so a price with up to 15 significant digits survives the round trip.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from harness.protocols.wscalendar import Interval, IntervalSequence, from_ics, to_ics
from reference_impl.core.tariffs import Tariff

_STEP = timedelta(minutes=15)


def price_sequence(tariff: Tariff, start: datetime, end: datetime) -> IntervalSequence:
    """The tariff's energy prices over [start, end) as WS-Calendar intervals."""
    if tariff.energy_kind == "dynamic":
        items = [Interval(x.start, x.end - x.start, f"{tariff.tariff_id}/dynamic/{n}", float(x.price_per_kwh))
                 for n, x in enumerate(tariff.dynamic) if x.end > start and x.start < end]
        return IntervalSequence(items, tzid=tariff.local_tz)
    table = tariff.week_table()
    names = tariff.period_names()
    items, cursor, n = [], start, 0
    while cursor < end:
        period = tariff.period_of(cursor, table)
        stop = cursor + _STEP
        while stop < end and tariff.period_of(stop, table) == period:
            stop += _STEP
        stop = min(stop, end)
        items.append(Interval(cursor, stop - cursor, f"{tariff.tariff_id}/{names[period]}/{n}",
                              float(tariff.unit_price(period))))
        cursor, n = stop, n + 1
    return IntervalSequence(items, tzid=tariff.local_tz)


def to_calendar(tariff: Tariff, start: datetime, end: datetime) -> bytes:
    """iCalendar bytes of `price_sequence`."""
    return to_ics(price_sequence(tariff, start, end))


def dynamic_prices_from_ics(data: bytes) -> list[dict]:
    """The ``energy.prices`` list of a dynamic tariff record, read from iCalendar.

    Raises:
        WsCalendarError: the calendar is malformed or an interval has no price payload
            (``/vevents/<i>/X-OADR-PAYLOAD``).
    """
    from harness.protocols.wscalendar import WsCalendarError
    prices = []
    for index, item in enumerate(from_ics(data).intervals):
        if item.payload is None:
            raise WsCalendarError("a price interval needs its price", "payload-required",
                                  f"/vevents/{index}/X-OADR-PAYLOAD")
        prices.append({"start": item.start.isoformat(), "end": item.end.isoformat(),
                       "price_per_kwh": str(Decimal(repr(item.payload)))})
    return prices
