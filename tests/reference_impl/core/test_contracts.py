"""Contract events raised by a party before delivery (amend, cancel, rebid) and the contract
state machine CONTRACT_TRANSITIONS (Y.2072 8.2.1 contract management)."""
from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reference_impl.core.contracts import CONTRACT_TRANSITIONS, Contract, apply_party_event
from reference_impl.core.errors import Conflict, Rejected
from reference_impl.core.products import SettlementRules

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
START = NOW + timedelta(hours=3)


def contract(**changes) -> Contract:
    """S sells B 30 kWh at 0.13 EUR, delivered 12:00-14:00."""
    base = Contract(contract_id="CT-1", product_id="P1", product_type="generation", seller_id="S",
                    buyer_id="B", sell_bid_id="SB", buy_bid_id="BB", energy_kwh=30.0,
                    price_per_kwh=Decimal("0.13"), currency="EUR", delivery_start=START,
                    delivery_end=START + timedelta(hours=2), rules=SettlementRules(), signed_at=NOW)
    return replace(base, **changes)


def amend(changes, by="B", now=NOW, target=None):
    return apply_party_event(target or contract(), "amend", by, changes, now)


def refusal(call, *args, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(Rejected) as caught:
        call(*args, **kwargs)
    return [(e.code, e.field) for e in caught.value.errors]


# --- amend -------------------------------------------------------------------------------

def test_amend_can_shrink_the_energy():
    amended = amend({"energy_kwh": 20})
    assert (amended.state, amended.energy_kwh, amended.terms_version) == ("signed", 20.0, 2)
    assert amended.price_per_kwh == Decimal("0.13")


def test_amend_can_change_the_price_in_the_same_currency():
    amended = amend({"price": {"amount": "0.12", "currency": "EUR"}}, by="S")
    assert (amended.price_per_kwh, amended.currency, amended.energy_kwh) == (Decimal("0.12"), "EUR", 30.0)
    assert amended.terms_version == 2


def test_amending_twice_counts_terms_versions():
    assert amend({"energy_kwh": 10}, target=amend({"energy_kwh": 20})).terms_version == 3


def test_amend_leaves_the_original_value_unchanged():
    original = contract()
    apply_party_event(original, "amend", "B", {"energy_kwh": 20}, NOW)
    assert original.energy_kwh == 30.0 and original.terms_version == 1


def test_amend_cannot_raise_the_energy():
    assert refusal(amend, {"energy_kwh": 31}) == [("exceeds-contract", "/changes/energy_kwh")]


def test_amend_cannot_switch_currency():
    assert refusal(amend, {"price": {"amount": "0.13", "currency": "USD"}}) == [
        ("wrong-currency", "/changes/price/currency")]


@pytest.mark.parametrize("changes", [None, {}, {"energy_kwh": 30},
                                     {"price": {"amount": "0.130", "currency": "EUR"}}])
def test_amend_that_changes_nothing_is_refused(changes):
    assert refusal(amend, changes) == [("no-change", "/changes")]


@pytest.mark.parametrize("changes, expected", [
    ({"energy_kwh": "20"}, ("invalid-type", "/changes/energy_kwh")),
    ({"energy_kwh": 0}, ("out-of-range", "/changes/energy_kwh")),
    ({"price": {"amount": "0.12"}}, ("missing-field", "/changes/price/currency")),
    ({"price": "0.12"}, ("invalid-type", "/changes/price")),
])
def test_malformed_amendment_names_the_field(changes, expected):
    assert refusal(amend, changes) == [expected]


# --- cancel, rebid, who and when -------------------------------------------------------------

@pytest.mark.parametrize("event, state", [("cancel", "cancelled"), ("rebid", "rebid")])
@pytest.mark.parametrize("by", ["S", "B"])
def test_either_party_can_cancel_or_rebid(event, state, by):
    after = apply_party_event(contract(), event, by, None, NOW)
    assert after.state == state and after.terms_version == 1


def test_non_party_is_refused_at_by():
    assert refusal(apply_party_event, contract(), "cancel", "mallory", None, NOW) == [("not-a-party", "/by")]


def test_unknown_event_is_refused():
    assert refusal(apply_party_event, contract(), "settle", "S", None, NOW) == [("invalid-value", "/event")]


@pytest.mark.parametrize("now", [START, START + timedelta(minutes=30), START + timedelta(days=1)])
@pytest.mark.parametrize("event", ["amend", "cancel", "rebid"])
def test_no_party_event_once_delivery_started(event, now):
    with pytest.raises(Conflict) as caught:
        apply_party_event(contract(), event, "B", {"energy_kwh": 10}, now)
    assert (caught.value.code, caught.value.status) == ("contract-executing", "conflict")


def test_cancelled_contract_cannot_be_cancelled_again():
    with pytest.raises(Conflict) as caught:
        apply_party_event(contract(state="cancelled"), "cancel", "S", None, NOW)
    assert caught.value.code == "illegal-transition"


# --- state machine -----------------------------------------------------------------------------

STATES = sorted({s for s, _ in CONTRACT_TRANSITIONS} | set(CONTRACT_TRANSITIONS.values()))
EVENTS = sorted({e for _, e in CONTRACT_TRANSITIONS})


def test_states_are_the_documented_ones():
    assert STATES == ["cancelled", "delivered", "rebid", "settled", "signed"]


@pytest.mark.parametrize("state, event", sorted(CONTRACT_TRANSITIONS))
def test_every_transition_row_works(state, event):
    assert contract(state=state).apply(event).state == CONTRACT_TRANSITIONS[state, event]


@pytest.mark.parametrize("state, event", [pair for pair in itertools.product(STATES, EVENTS)
                                          if pair not in CONTRACT_TRANSITIONS])
def test_illegal_transition_raises_conflict(state, event):
    with pytest.raises(Conflict) as caught:
        contract(state=state).apply(event)
    assert (caught.value.code, caught.value.errors[0].field) == ("illegal-transition", "/state")
