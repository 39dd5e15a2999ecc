"""The reference broker end to end: sans-IO core + SQLite file + settable clock, one
transaction per request, nothing stored when a request is refused (Y.2072 8.2.1)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock
from reference_impl.core import ledger
from reference_impl.core.errors import Rejected

DAY = datetime(2026, 6, 1, tzinfo=timezone.utc)


def at(hour: float) -> datetime:
    return DAY + timedelta(hours=hour)


def iso(hour: float) -> str:
    return at(hour).isoformat()


class Market:
    """A broker on a fresh SQLite file; clock starts at 08:00."""

    def __init__(self, path):
        self.repo = SqliteRepository(path)
        self.clock = SettableClock(at(8))
        self.broker = ReferenceBroker(self.repo, self.clock)

    def register(self):
        """Seller S (node N1) with a 10 kW PV on meter M1, buyer B (node N2), product P1."""
        b = self.broker
        b.register_participant({"participant_id": "S", "role": "prosumer", "grid_node": "N1"})
        b.register_participant({"participant_id": "B", "role": "consumer", "grid_node": "N2"})
        b.register_resource({"resource_id": "PV1", "owner_id": "S", "kind": "generator",
                             "max_power_kw": 10.0, "voltage_v": 230.0, "meter_id": "M1"})
        b.register_product(product_request())
        return self

    def bid(self):
        """S offers 30 kWh at 0.12, B asks 30 kWh at up to 0.20, both for 12:00-15:00."""
        self.broker.submit_bid(bid_request("SB1", "S", "sell", "0.12"))
        self.broker.submit_bid(bid_request("BB1", "B", "buy", "0.20"))
        return self

    def clear(self):
        self.clock.set(at(10.5))
        return self.broker.clear_product("P1")


def product_request(**changes) -> dict:
    return {"product_id": "P1", "owner_id": "S", "product_type": "generation", "resource_ids": ["PV1"],
            "max_power_kw": 10.0, "voltage_v": 230.0, "available_from": iso(10),
            "available_until": iso(18), **changes}


def bid_request(bid_id, bidder, side, price, currency="EUR", **changes) -> dict:
    return {"bid_id": bid_id, "product_id": "P1", "bidder_id": bidder, "side": side,
            "price": {"amount": price, "currency": currency}, "energy_kwh": 30.0,
            "delivery_start": iso(12), "delivery_end": iso(15), "expires_at": iso(11), **changes}


def hourly(start: int, end: int, kwh: float, offset_hours: int = 0) -> list[dict]:
    zone = timezone(timedelta(hours=offset_hours))
    return [{"interval_start": at(h).astimezone(zone).isoformat(),
             "interval_end": at(h + 1).astimezone(zone).isoformat(),
             "energy_kwh": kwh, "direction": "export"} for h in range(start, end)]


def refusal(call, *args) -> list[tuple[str, str]]:
    with pytest.raises(Rejected) as caught:
        call(*args)
    return [(e.code, e.field) for e in caught.value.errors]


@pytest.fixture
def market(tmp_path):
    m = Market(tmp_path / "broker.db")
    yield m
    m.repo.close()


# --- the full flow -----------------------------------------------------------------------------

def test_full_flow_register_bid_clear_meter_verify_settle(market):
    clearing = market.register().bid().clear()
    assert [c["contract_id"] for c in clearing["contracts"]] == ["CT-SB1-BB1"]
    contract = market.broker.get_contract("CT-SB1-BB1")
    assert (contract["state"], contract["energy_kwh"], contract["price"]) == (
        "signed", 30.0, {"amount": "0.13", "currency": "EUR"})     # 0.12 offer + 0.01 N1 -> N2

    stored = market.broker.submit_readings("M1", hourly(12, 15, 9.6))
    assert stored == {"meter_id": "M1", "stored": 3, "duplicates": 0}
    market.clock.set(at(15))
    report = market.broker.verify_delivery("CT-SB1-BB1")
    assert (report["delivered_kwh"], report["fulfilled"]) == (pytest.approx(28.8), True)

    market.clock.set(at(16))
    bill = market.broker.settle_contract("CT-SB1-BB1")
    # 28.8 x 0.13 = 3.744 -> 3.74; incentive 2 % of 3.90 = 0.078 -> 0.08
    assert (bill["energy_charge"], bill["incentive"], bill["penalty"], bill["total"]) == (
        "3.74", "0.08", "0.00", "3.82")
    assert market.broker.get_contract("CT-SB1-BB1")["state"] == "settled"
    assert {n["kind"] for n in market.broker.notifications("B")} == {
        "product-advertised", "bid-result", "contract-signed", "delivery-verified", "contract-settled"}


def test_ledger_after_the_flow_verifies(market):
    market.register().bid().clear()
    market.broker.submit_readings("M1", hourly(12, 15, 10.0))
    market.clock.set(at(15))
    market.broker.verify_delivery("CT-SB1-BB1")
    market.broker.settle_contract("CT-SB1-BB1")
    entries = [ledger.LedgerEntry(**rec) for rec in market.broker.ledger_entries()]
    assert [(e.seq, e.payload["kind"]) for e in entries] == [(1, "trade"), (2, "settlement")]
    assert Decimal(entries[0].payload["value"]) == Decimal("3.9")
    assert entries[1].payload["total"] == "3.98"
    assert ledger.verify(entries) == []


# --- refusals store nothing ----------------------------------------------------------------------

def test_refused_bid_stores_nothing(market):
    market.register().bid()
    before = market.repo.find("bids")
    assert refusal(market.broker.submit_bid, bid_request("BB2", "B", "buy", "0.20", "USD")) == [
        ("wrong-currency", "/price/currency")]
    assert refusal(market.broker.submit_bid, bid_request("BB3", "B", "buy", "0.20", energy_kwh="5")) == [
        ("invalid-type", "/energy_kwh")]
    assert market.repo.find("bids") == before
    assert market.repo.get("bids", "BB2") is None


def test_batch_with_one_bad_reading_stores_none_of_them(market):
    market.register()
    batch = hourly(12, 15, 10.0)
    batch[2]["energy_kwh"] = -1.0
    assert refusal(market.broker.submit_readings, "M1", batch) == [("out-of-range", "/readings/2/energy_kwh")]
    assert market.repo.readings(["M1"]) == []


def test_batch_conflicting_with_a_stored_reading_stores_none_of_it(market):
    market.register()
    market.broker.submit_readings("M1", hourly(12, 13, 10.0))
    batch = hourly(13, 14, 10.0) + hourly(12, 13, 11.0)       # new reading, then a conflicting one
    assert refusal(market.broker.submit_readings, "M1", batch) == [("conflicting-reading", "/readings/1")]
    assert [r["energy_kwh"] for r in market.repo.readings(["M1"])] == [10.0]


def test_identical_resubmission_is_idempotent(market):
    market.register()
    assert market.broker.submit_readings("M1", hourly(12, 14, 10.0))["stored"] == 2
    again = market.broker.submit_readings("M1", hourly(12, 15, 10.0))
    assert (again["stored"], again["duplicates"]) == (1, 2)
    assert len(market.repo.readings(["M1"])) == 3


def test_resubmission_in_another_utc_offset_is_not_counted_twice(market):
    market.register().bid().clear()
    market.broker.submit_readings("M1", hourly(12, 15, 10.0))
    again = market.broker.submit_readings("M1", hourly(12, 13, 10.0, offset_hours=2))  # same instant, +02:00
    assert (again["stored"], again["duplicates"]) == (0, 1)
    market.clock.set(at(15))
    assert market.broker.verify_delivery("CT-SB1-BB1")["delivered_kwh"] == 30.0


def test_overlapping_reading_is_refused_and_nothing_of_the_batch_stored(market):
    market.register()
    market.broker.submit_readings("M1", hourly(12, 14, 10.0))
    shifted = [{"interval_start": "2026-06-01T13:30:00+00:00", "interval_end": "2026-06-01T14:30:00+00:00",
                "energy_kwh": 5.0, "direction": "export"}]
    assert refusal(market.broker.submit_readings, "M1", hourly(14, 15, 10.0) + shifted) == [
        ("overlapping-reading", "/readings/1")]
    assert len(market.repo.readings(["M1"])) == 2


def test_overlap_is_found_without_reading_the_whole_history(market):
    """submit_readings fetches only the neighbours of a batch (issue 8 load); an interval held
    long before the batch's span, and one starting inside it, are still neighbours."""
    market.register()
    market.broker.submit_readings("M1", hourly(0, 10, 1.0))
    long_held = [{"interval_start": iso(10), "interval_end": iso(14), "energy_kwh": 8.0, "direction": "export"}]
    market.broker.submit_readings("M1", long_held)
    assert refusal(market.broker.submit_readings, "M1", hourly(12, 13, 2.0)) == [("overlapping-reading", "/readings/0")]
    early = [{"interval_start": iso(14.5), "interval_end": iso(16), "energy_kwh": 1.0, "direction": "export"}]
    market.broker.submit_readings("M1", early)
    assert refusal(market.broker.submit_readings, "M1", hourly(15, 16, 2.0)) == [("overlapping-reading", "/readings/0")]
    # the other direction's readings never collide with these
    imports = [{**r, "direction": "import"} for r in hourly(12, 13, 2.0)]
    assert market.broker.submit_readings("M1", imports)["stored"] == 1
    assert len(market.repo.readings(["M1"])) == 13


def test_unknown_meter_is_refused(market):
    market.register()
    assert refusal(market.broker.submit_readings, "M-GHOST", hourly(12, 13, 1.0)) == [
        ("unknown-meter", "/meter_id")]
    assert market.repo.readings(["M-GHOST"]) == []


@pytest.mark.parametrize("register, request_, pointer", [
    ("register_participant", {"participant_id": "S", "role": "prosumer", "grid_node": "N9"}, "/participant_id"),
    ("register_resource", {"resource_id": "PV1", "owner_id": "S", "kind": "storage", "max_power_kw": 1.0,
                           "voltage_v": 230.0, "meter_id": "M9"}, "/resource_id"),
    ("register_product", product_request(max_power_kw=5.0), "/product_id"),
    ("submit_bid", bid_request("SB1", "S", "sell", "0.11"), "/bid_id"),
])
def test_duplicate_ids_are_refused(market, register, request_, pointer):
    market.register().bid()
    table = {"register_participant": "participants", "register_resource": "resources",
             "register_product": "products", "submit_bid": "bids"}[register]
    before = market.repo.find(table)
    assert refusal(getattr(market.broker, register), request_) == [("duplicate-id", pointer)]
    assert market.repo.find(table) == before
