"""Steps for metering, delivery verification and settlement (Y.2072 7.5-03, 7.5-04), and for the
trade ledger that records trades and settlements."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..ledger_check import chain_breaks
from .session import MarketSession, require_ok

DELIVERED = m.declare("delivered_energy", unit="kWh",
                      description="energy the SUT found delivered under a contract")
CONTRACTED = m.declare("contracted_energy", unit="kWh",
                       description="energy the SUT reports as contracted")
FULFILLED = m.declare("delivery_fulfilled", unit=None,
                      description="the SUT's judgement whether the contract was fulfilled")
SETTLED_AMOUNT = m.declare("settlement_amount", unit="EUR",
                           description="a settlement line recomputed from the contract's rules")
LEDGER_TRADES = m.declare("ledger_trade_entries", unit=None,
                          description="trade entries in the ledger, per contract (id, kWh, EUR/kWh)")
LEDGER_CHAIN = m.declare("ledger_chain_breaks", unit="count",
                         description="places where the ledger's hash chain does not verify")
LEDGER_LAST = m.declare("ledger_last_entry", unit=None,
                        description="the most recent ledger entry (kind, contract, total)")

_QUARTER = timedelta(minutes=15)


def _readings(direction: str, values: list[float], start: datetime, step: timedelta = _QUARTER) -> list[dict]:
    return [{"interval_start": (start + i * step).isoformat(),
             "interval_end": (start + (i + 1) * step).isoformat(),
             "energy_kwh": value, "direction": direction, "quality": "actual"}
            for i, value in enumerate(values)]


@given(parsers.parse('meter "{meter}" reports {direction} of {values} kWh in {minutes:d}-minute intervals '
                     'from {start}'))
def _(sut, meter: str, direction: str, values: str, minutes: int, start: str):
    readings = _readings(direction, [float(v) for v in values.split(",")], datetime.fromisoformat(start),
                         timedelta(minutes=minutes))
    require_ok(sut.submit_readings(meter, readings), f"readings of meter {meter}")


@given(parsers.parse('meter "{meter}" reports hourly import of {kwh:g} kWh from {start} to {end} on each of the '
                     '{days:d} weekdays before {day}'))
def _(sut, meter: str, kwh: float, start: str, end: str, days: int, day: str):
    """Metered history for a customer baseline: the same hourly import on each of the last
    ``days`` weekdays (Monday to Friday, UTC dates) before ``day``."""
    first, last = time.fromisoformat(start), time.fromisoformat(end)
    hours = (datetime.combine(date.min, last) - datetime.combine(date.min, first)) // timedelta(hours=1)
    current, readings = date.fromisoformat(day), []
    while days:
        current -= timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
            begin = datetime.combine(current, first, tzinfo=timezone.utc)
            readings += _readings("import", [kwh] * hours, begin, timedelta(hours=1))
    require_ok(sut.submit_readings(meter, readings), f"history of meter {meter}")


@given(parsers.parse('meter "{meter}" reports a total export of {total:g} kWh evenly over 15-minute intervals '
                     'from {start} to {end}'))
def _(sut, meter: str, total: float, start: str, end: str):
    begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    count = int((finish - begin) / _QUARTER)
    require_ok(sut.submit_readings(meter, _readings("export", [total / count] * count, begin)),
               f"readings of meter {meter}")


@when(parsers.parse('delivery of the contract of bid "{bid_id}" is verified'))
def _(sut, market: MarketSession, bid_id: str):
    market.last = sut.verify_delivery(market.contract_of_bid(bid_id)["contract_id"])


@given(parsers.parse('delivery of the contract of bid "{bid_id}" has been verified'))
def _(sut, market: MarketSession, bid_id: str):
    require_ok(sut.verify_delivery(market.contract_of_bid(bid_id)["contract_id"]), "delivery verification")


@then(parsers.parse("the delivery shows {delivered:g} kWh delivered of {contracted:g} kWh contracted"))
def _(market: MarketSession, evidence, delivered: float, contracted: float):
    report = require_ok(market.last, "delivery verification")
    evidence.measure(DELIVERED, report.get("delivered_kwh"), m.within(delivered, 5e-4), field="/delivered_kwh")
    evidence.measure(CONTRACTED, report.get("contracted_kwh"), m.within(contracted, 5e-4), field="/contracted_kwh")


@then(parsers.parse("the delivery is reported as {verdict}"))
def _(market: MarketSession, evidence, verdict: str):
    report = require_ok(market.last, "delivery verification")
    evidence.measure(FULFILLED, report.get("fulfilled"), m.equals(verdict == "fulfilled"), field="/fulfilled")


@when(parsers.parse('the contract of bid "{bid_id}" is settled'))
def _(sut, market: MarketSession, bid_id: str):
    market.last = sut.settle_contract(market.contract_of_bid(bid_id)["contract_id"])


@then(parsers.parse("the settlement is, in EUR: energy {energy}, incentive {incentive}, penalty {penalty}, "
                    "total {total}"))
def _(market: MarketSession, evidence, energy: str, incentive: str, penalty: str, total: str):
    settlement = require_ok(market.last, "settlement")
    for key, expected in (("energy_charge", energy), ("incentive", incentive), ("penalty", penalty),
                          ("total", total)):
        shown = settlement.get(key)
        evidence.measure(SETTLED_AMOUNT, None if shown is None else Decimal(str(shown)),
                         m.equals(Decimal(expected)), field=f"/{key}", subject=key)


def _ledger(sut) -> list[dict]:
    return require_ok(sut.ledger(), "the trade ledger")


@then("the trade ledger holds one trade entry per contract, with its energy and price")
def _(sut, market: MarketSession, evidence):
    trades = sorted((e["payload"].get("contract_id"), round(float(e["payload"].get("energy_kwh", 0)), 3),
                     Decimal(str(e["payload"].get("price_per_kwh"))).normalize())
                    for e in _ledger(sut) if e.get("payload", {}).get("kind") == "trade")
    expected = sorted((c["contract_id"], round(float(c["energy_kwh"]), 3),
                       Decimal(str(c["price"]["amount"])).normalize()) for c in market.contracts())
    evidence.measure(LEDGER_TRADES, str(trades), m.equals(str(expected)), field="/entries")


@then("the trade ledger's hash chain verifies")
def _(sut, evidence):
    breaks = chain_breaks(_ledger(sut))
    evidence.measure(LEDGER_CHAIN, len(breaks), m.equals(0), field="/entries",
                     subject="; ".join(breaks[:3]))


@then(parsers.parse('the trade ledger\'s last entry is the settlement of the contract of bid "{bid_id}" '
                    'with total {total} EUR'))
def _(sut, market: MarketSession, evidence, bid_id: str, total: str):
    entries = _ledger(sut)
    last = entries[-1].get("payload", {}) if entries else {}
    shown = (last.get("kind"), last.get("contract_id"),
             str(Decimal(str(last["total"]))) if "total" in last else None)
    expected = ("settlement", market.contract_of_bid(bid_id)["contract_id"], str(Decimal(total)))
    evidence.measure(LEDGER_LAST, str(shown), m.equals(str(expected)), field="/entries/-1")
