"""Bids: parse_bid (form), validate_bid (market rules, each refusal naming its field) and the
bid state machine BID_TRANSITIONS (Y.2072 7.5, 8.2.1 bidding management)."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reference_impl.core.bids import BID_TRANSITIONS, parse_bid, validate_bid
from reference_impl.core.errors import Conflict, Rejected
from reference_impl.core.products import Participant, Product
from reference_impl.core.rules import MarketRules

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
RULES = MarketRules()  # EUR


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


def participant(pid: str) -> Participant:
    return Participant(participant_id=pid, role="prosumer", grid_node="N1", display_name=pid)


def product(quality="firm") -> Product:
    """seller's 5 kW product, available 10:00-18:00."""
    return Product(product_id="P1", owner_id="seller", name="pv", product_type="generation",
                   resource_ids=("PV1",), max_power_kw=5.0, voltage_v=230.0,
                   available_from=at(2), available_until=at(10), quality=quality)


def bid_request(**changes) -> dict:
    """buyer wants 4 kWh at 0.20 EUR, delivered 12:00-14:00, bid valid until 11:00."""
    raw = {"bid_id": "B1", "product_id": "P1", "bidder_id": "buyer", "side": "buy",
           "price": {"amount": "0.20", "currency": "EUR"}, "energy_kwh": 4.0,
           "delivery_start": at(4).isoformat(), "delivery_end": at(6).isoformat(),
           "expires_at": at(3).isoformat(), "quality": "non-firm"}
    raw.update(changes)
    return raw


def sell_request(**changes) -> dict:
    return bid_request(**{"bid_id": "S1", "bidder_id": "seller", "side": "sell",
                          "price": {"amount": "0.12", "currency": "EUR"}, **changes})


def validated(raw: dict, product_=None, bidder="from-request", now=NOW):
    bid = parse_bid(raw, now)
    bidder = participant(bid.bidder_id) if bidder == "from-request" else bidder
    return validate_bid(bid, product() if product_ is None else product_, bidder, RULES, now)


def refusal(call, *args, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(Rejected) as caught:
        call(*args, **kwargs)
    return [(e.code, e.field) for e in caught.value.errors]


# --- accepted ------------------------------------------------------------------------------

def test_valid_buy_bid_is_open():
    bid = validated(bid_request())
    assert (bid.state, bid.side, bid.bidder_id) == ("open", "buy", "buyer")
    assert bid.price_per_kwh == Decimal("0.20") and bid.currency == "EUR"
    assert bid.submitted_at == NOW and bid.awarded_kwh == 0.0


def test_sell_bid_up_to_the_deliverable_energy_is_accepted():
    # 5 kW x 2 h = 10 kWh deliverable
    assert validated(sell_request(energy_kwh=10.0)).energy_kwh == 10.0


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize("expires", [at(-1), NOW])  # in the past, and exactly now
def test_expired_bid_is_refused(expires):
    assert refusal(validated, bid_request(expires_at=expires.isoformat())) == [("bid-expired", "/expires_at")]


def test_wrong_currency_is_refused():
    raw = bid_request(price={"amount": "0.20", "currency": "USD"})
    assert refusal(validated, raw) == [("wrong-currency", "/price/currency")]


def test_unknown_product_is_refused():
    bid = parse_bid(bid_request(product_id="NOPE"), NOW)
    assert refusal(validate_bid, bid, None, participant("buyer"), RULES, NOW) == [
        ("unknown-product", "/product_id")]


def test_unknown_bidder_is_refused():
    assert refusal(validated, bid_request(), bidder=None) == [("unknown-participant", "/bidder_id")]


def test_unknown_product_still_reports_the_earlier_errors():
    bid = parse_bid(bid_request(price={"amount": "0.2", "currency": "GBP"}), NOW)
    assert refusal(validate_bid, bid, None, None, RULES, NOW) == [
        ("wrong-currency", "/price/currency"), ("unknown-participant", "/bidder_id"),
        ("unknown-product", "/product_id")]


def test_expiry_after_delivery_start_is_refused():
    assert refusal(validated, bid_request(expires_at=at(4.5).isoformat())) == [
        ("expiry-after-delivery", "/expires_at")]


def test_delivery_starting_before_the_window_names_delivery_start():
    raw = bid_request(delivery_start=at(1.5).isoformat(), expires_at=at(1).isoformat())
    assert refusal(validated, raw) == [("outside-availability", "/delivery_start")]


def test_delivery_ending_after_the_window_names_delivery_end():
    assert refusal(validated, bid_request(delivery_end=at(10.5).isoformat())) == [
        ("outside-availability", "/delivery_end")]


def test_sell_bid_by_non_owner_is_refused():
    assert refusal(validated, sell_request(bidder_id="mallory")) == [("not-owner", "/bidder_id")]


def test_sell_bid_above_deliverable_energy_is_refused():
    assert refusal(validated, sell_request(energy_kwh=10.5)) == [("exceeds-capacity", "/energy_kwh")]


def test_owner_cannot_buy_its_own_product():
    assert refusal(validated, bid_request(bidder_id="seller")) == [("own-product", "/bidder_id")]


def test_firm_delivery_asked_of_a_non_firm_product_is_refused():
    assert refusal(validated, bid_request(quality="firm"), product("non-firm")) == [
        ("quality-unavailable", "/quality")]
    assert validated(bid_request(quality="non-firm"), product("non-firm")).quality == "non-firm"


def test_firm_offer_of_a_non_firm_product_is_refused():
    assert refusal(validated, sell_request(quality="firm"), product("non-firm")) == [
        ("quality-unavailable", "/quality")]


def test_several_rule_breaks_are_reported_together():
    raw = sell_request(bidder_id="mallory", energy_kwh=11.0, price={"amount": "0.1", "currency": "USD"})
    assert refusal(validated, raw) == [("wrong-currency", "/price/currency"), ("not-owner", "/bidder_id"),
                                       ("exceeds-capacity", "/energy_kwh")]


# --- form --------------------------------------------------------------------------------------

@pytest.mark.parametrize("end_hours", [3.5, 4])
def test_delivery_ending_before_it_starts_is_refused_at_parse(end_hours):
    assert refusal(parse_bid, bid_request(delivery_end=at(end_hours).isoformat()), NOW) == [
        ("invalid-schedule", "/delivery_end")]


@pytest.mark.parametrize("changes, expected", [
    ({"price": {"currency": "EUR"}}, ("missing-field", "/price/amount")),
    ({"price": {"amount": "cheap", "currency": "EUR"}}, ("invalid-type", "/price/amount")),
    ({"price": {"amount": "-0.01", "currency": "EUR"}}, ("out-of-range", "/price/amount")),
    ({"side": "lend"}, ("invalid-value", "/side")),
    ({"energy_kwh": "4"}, ("invalid-type", "/energy_kwh")),
])
def test_malformed_bid_names_the_field(changes, expected):
    assert refusal(parse_bid, bid_request(**changes), NOW) == [expected]


# --- state machine -------------------------------------------------------------------------------

STATES = sorted({s for s, _ in BID_TRANSITIONS} | set(BID_TRANSITIONS.values()))
EVENTS = sorted({e for _, e in BID_TRANSITIONS})


def bid_in(state: str):
    return replace(parse_bid(bid_request(), NOW), state=state)


def test_transition_table_is_the_documented_one():
    assert BID_TRANSITIONS == {("open", "award"): "awarded", ("open", "pass-over"): "not-awarded",
                               ("open", "expire"): "expired", ("awarded", "reopen"): "open"}


@pytest.mark.parametrize("state, event", sorted(BID_TRANSITIONS))
def test_every_transition_row_works(state, event):
    before = bid_in(state)
    after = before.apply(event)
    assert after.state == BID_TRANSITIONS[state, event]
    assert before.state == state  # bids are immutable values


def test_transition_carries_changes():
    assert bid_in("open").apply("award", awarded_kwh=2.5).awarded_kwh == 2.5


@pytest.mark.parametrize("state, event", [pair for pair in itertools.product(STATES, EVENTS)
                                          if pair not in BID_TRANSITIONS])
def test_illegal_transition_raises_conflict(state, event):
    with pytest.raises(Conflict) as caught:
        bid_in(state).apply(event)
    assert (caught.value.code, caught.value.errors[0].field) == ("illegal-transition", "/state")
    assert caught.value.status == "conflict"
