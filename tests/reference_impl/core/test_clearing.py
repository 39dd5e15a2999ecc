"""clear_product: one product's open bids become contracts by the trading LP; hand-computed
cases plus a property test over random small markets."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.core.bids import Bid
from reference_impl.core.clearing import clear_product
from reference_impl.core.products import Participant, Product
from reference_impl.core.rules import MarketRules

GATE = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)   # clearing time
RULES = MarketRules()                                      # EUR, 0.01 EUR/kWh between grid nodes


def at(hour: float) -> datetime:
    return datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(hours=hour)


PRODUCT = Product(product_id="P1", owner_id="S", name="pv", product_type="generation",
                  resource_ids=("PV1",), max_power_kw=20.0, voltage_v=230.0,
                  available_from=at(10), available_until=at(18), quality="firm")


def participants(**nodes: str) -> dict[str, Participant]:
    """The seller S on node N1 plus the given bidder -> node."""
    nodes = {"S": "N1", **nodes}
    return {pid: Participant(participant_id=pid, role="prosumer", grid_node=node, display_name=pid)
            for pid, node in nodes.items()}


def bid(bid_id, side, bidder, price, kwh, start=12, end=14, expires=11, quality="non-firm"):
    return Bid(bid_id=bid_id, product_id="P1", bidder_id=bidder, side=side,
               price_per_kwh=Decimal(price), currency="EUR", energy_kwh=kwh,
               delivery_start=at(start), delivery_end=at(end), expires_at=at(expires),
               quality=quality, submitted_at=at(8))


def sell(bid_id, price, kwh, **kw):
    return bid(bid_id, "sell", "S", price, kwh, **kw)


def buy(bid_id, bidder, price, kwh, **kw):
    return bid(bid_id, "buy", bidder, price, kwh, **kw)


def contracted(outcome) -> dict[tuple[str, str], tuple[float, Decimal]]:
    return {(c.sell_bid_id, c.buy_bid_id): (c.energy_kwh, c.price_per_kwh) for c in outcome.contracts}


def states(outcome) -> dict[str, tuple[str, float]]:
    return {b.bid_id: (b.state, b.awarded_kwh) for b in outcome.bids}


def price_priority_market(rules=RULES):
    bids = [sell("S1", "0.12", 4.0), buy("B1", "b1", "0.20", 3.0), buy("B2", "b2", "0.15", 3.0),
            buy("B3", "b3", "0.10", 2.0)]
    return clear_product(PRODUCT, bids, participants(b1="N2", b2="N2", b3="N2"), rules, GATE)


# --- hand-computed cases ------------------------------------------------------------------------

def test_price_priority_serves_the_highest_valuing_buyers_first():
    # 4 kWh at 0.12 + 0.01 transfer = 0.13 delivered. Welfare per kWh: B1 0.07, B2 0.02,
    # B3 below cost. So B1 gets all 3 kWh, B2 the remaining 1, B3 nothing.
    outcome = price_priority_market()
    assert contracted(outcome) == {("S1", "B1"): (3.0, Decimal("0.13")),
                                   ("S1", "B2"): (1.0, Decimal("0.13"))}
    assert states(outcome) == {"S1": ("awarded", 4.0), "B1": ("awarded", 3.0),
                               "B2": ("awarded", 1.0), "B3": ("not-awarded", 0.0)}
    assert outcome.unserved_kwh == 4.0  # 2 kWh of B2 and all 2 of B3


def test_contract_terms_come_from_the_bids_and_product():
    contract = next(c for c in price_priority_market().contracts if c.buy_bid_id == "B1")
    assert contract.contract_id == "CT-S1-B1"
    assert (contract.seller_id, contract.buyer_id, contract.currency) == ("S", "b1", "EUR")
    assert (contract.delivery_start, contract.delivery_end) == (at(12), at(14))
    assert contract.rules == PRODUCT.settlement_rules
    assert (contract.state, contract.signed_at) == ("signed", GATE)


def test_transfer_cost_can_make_a_buyer_ineligible():
    # 0.12 offer + 0.01 transfer = 0.13 > the remote buyer's 0.125 limit; the same limit on the
    # seller's own node (no transfer cost) is enough.
    bids = [sell("S1", "0.12", 4.0), buy("FAR", "far", "0.125", 2.0), buy("NEAR", "near", "0.125", 1.0)]
    outcome = clear_product(PRODUCT, bids, participants(far="N2", near="N1"), RULES, GATE)
    assert contracted(outcome) == {("S1", "NEAR"): (1.0, Decimal("0.12"))}
    assert states(outcome)["FAR"] == ("not-awarded", 0.0)


def test_node_specific_transfer_cost_is_applied():
    rules = MarketRules(node_transfer_costs={("N1", "N2"): Decimal("0.05")})
    bids = [sell("S1", "0.12", 4.0), buy("B1", "b1", "0.20", 3.0), buy("B2", "b2", "0.15", 3.0)]
    outcome = clear_product(PRODUCT, bids, participants(b1="N2", b2="N2"), rules, GATE)
    # 0.17 delivered: B1 (0.20) still buys, B2 (0.15) no longer can
    assert contracted(outcome) == {("S1", "B1"): (3.0, Decimal("0.17"))}


def test_cheaper_seller_is_used_first():
    bids = [sell("DEAR", "0.14", 5.0), sell("CHEAP", "0.10", 3.0), buy("B1", "b1", "0.20", 4.0)]
    outcome = clear_product(PRODUCT, bids, participants(b1="N2"), RULES, GATE)
    assert contracted(outcome) == {("CHEAP", "B1"): (3.0, Decimal("0.11")),
                                   ("DEAR", "B1"): (1.0, Decimal("0.15"))}
    assert states(outcome)["DEAR"] == ("awarded", 1.0)


@pytest.mark.parametrize("start, end", [(11, 13), (13, 15), (11, 15)])
def test_buyer_schedule_not_covered_by_the_offer_gets_no_contract(start, end):
    bids = [sell("S1", "0.12", 8.0, start=12, end=14, expires=10),
            buy("B1", "b1", "0.30", 2.0, start=start, end=end, expires=10)]
    outcome = clear_product(PRODUCT, bids, participants(b1="N2"), RULES, GATE)
    assert outcome.contracts == ()
    assert states(outcome) == {"S1": ("not-awarded", 0.0), "B1": ("not-awarded", 0.0)}


def test_firm_buyer_is_not_matched_to_a_non_firm_offer():
    bids = [sell("S1", "0.12", 4.0), buy("B1", "b1", "0.30", 2.0, quality="firm")]
    outcome = clear_product(PRODUCT, bids, participants(b1="N2"), RULES, GATE)
    assert outcome.contracts == ()


def test_expired_bids_are_retired_and_never_matched():
    gate = at(11.5)
    bids = [sell("S1", "0.12", 4.0, expires=12), buy("GONE", "b1", "0.30", 3.0, expires=11),
            buy("LIVE", "b2", "0.20", 3.0, expires=12)]
    outcome = clear_product(PRODUCT, bids, participants(b1="N2", b2="N2"), RULES, gate)
    assert contracted(outcome) == {("S1", "LIVE"): (3.0, Decimal("0.13"))}
    assert states(outcome)["GONE"] == ("expired", 0.0)


def test_bids_no_longer_open_are_left_as_they_are():
    done = buy("OLD", "b1", "0.50", 3.0).apply("award", awarded_kwh=3.0)
    outcome = clear_product(PRODUCT, [done, sell("S1", "0.12", 4.0)], participants(b1="N2"), RULES, GATE)
    assert outcome.contracts == ()
    assert states(outcome) == {"OLD": ("awarded", 3.0), "S1": ("not-awarded", 0.0)}


# --- notifications and ledger payloads -------------------------------------------------------------

def test_every_bidder_gets_a_bid_result():
    notes = [n for n in price_priority_market().notifications if n.kind == "bid-result"]
    assert sorted(n.recipient_id for n in notes) == ["S", "b1", "b2", "b3"]
    results = {r["bid_id"]: (r["state"], r["awarded_kwh"]) for r in notes[0].body["results"]}
    assert results == {"S1": ("awarded", 4.0), "B1": ("awarded", 3.0), "B2": ("awarded", 1.0),
                       "B3": ("not-awarded", 0.0)}
    assert {n.subject_id for n in notes} == {"P1"} and {n.sent_at for n in notes} == {GATE}


def test_both_parties_get_contract_signed():
    notes = [n for n in price_priority_market().notifications if n.kind == "contract-signed"]
    assert sorted((n.subject_id, n.recipient_id) for n in notes) == [
        ("CT-S1-B1", "S"), ("CT-S1-B1", "b1"), ("CT-S1-B2", "S"), ("CT-S1-B2", "b2")]
    assert len({n.notification_id for n in notes}) == 4


def test_trade_payloads_carry_value_and_token_price():
    outcome = price_priority_market(MarketRules(token_price=Decimal("2")))
    trades = {t["contract_id"]: t for t in outcome.trades}
    assert set(trades) == {"CT-S1-B1", "CT-S1-B2"}
    first = trades["CT-S1-B1"]
    assert (first["kind"], first["seller_id"], first["buyer_id"], first["energy_kwh"]) == ("trade", "S", "b1", 3.0)
    assert Decimal(first["price_per_kwh"]) == Decimal("0.13")
    assert Decimal(first["value"]) == Decimal("0.39")                # 3 kWh x 0.13
    assert Decimal(first["token_price"]) == Decimal("2")
    assert Decimal(first["trade_price_tokens"]) == Decimal("0.195")  # 0.39 / 2
    assert Decimal(trades["CT-S1-B2"]["value"]) == Decimal("0.13")
    assert Decimal(trades["CT-S1-B2"]["trade_price_tokens"]) == Decimal("0.065")


# --- property: random small markets ----------------------------------------------------------------

NODES = ("N1", "N2", "N3")
prices = st.integers(min_value=5, max_value=30).map(lambda cents: Decimal(cents) / 100)
schedules = st.tuples(st.integers(10, 15), st.integers(1, 3)).map(lambda s: (s[0], s[0] + s[1]))


@st.composite
def markets(draw):
    sells = [sell(f"S{i}", draw(prices), float(draw(st.integers(1, 10))), start=s, end=e, expires=9.5)
             for i, (s, e) in enumerate(draw(st.lists(schedules, min_size=1, max_size=3)))]
    buys, nodes = [], {}
    for i, (s, e) in enumerate(draw(st.lists(schedules, min_size=1, max_size=4))):
        nodes[f"b{i}"] = draw(st.sampled_from(NODES))
        buys.append(buy(f"B{i}", f"b{i}", draw(prices), float(draw(st.integers(1, 10))),
                        start=s, end=e, expires=9.5))
    return sells + buys, participants(**nodes)


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_random_markets_never_oversell_and_respect_limits(market):
    bids, people = market
    outcome = clear_product(PRODUCT, bids, people, RULES, GATE)
    by_id = {b.bid_id: b for b in bids}
    per_bid: dict[str, float] = defaultdict(float)
    for contract in outcome.contracts:
        seller, buyer = by_id[contract.sell_bid_id], by_id[contract.buy_bid_id]
        per_bid[seller.bid_id] += contract.energy_kwh
        per_bid[buyer.bid_id] += contract.energy_kwh
        transfer = RULES.transfer_cost(people[seller.bidder_id].grid_node, people[buyer.bidder_id].grid_node)
        assert contract.energy_kwh > 0
        assert contract.price_per_kwh == seller.price_per_kwh + transfer
        assert contract.price_per_kwh <= buyer.price_per_kwh
        assert seller.delivery_start <= contract.delivery_start < contract.delivery_end <= seller.delivery_end
    for b in bids:
        assert per_bid[b.bid_id] <= b.energy_kwh + 1e-9, f"{b.bid_id} contracted beyond its energy"
    for b in outcome.bids:
        assert b.awarded_kwh == pytest.approx(per_bid[b.bid_id], abs=1e-9)
        assert b.state == ("awarded" if per_bid[b.bid_id] > 0 else "not-awarded")


@settings(derandomize=True, max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(markets())
def test_random_markets_leave_no_profitable_match_unmade(market):
    # Welfare optimum: if a buyer still wants energy and an eligible offer still has some,
    # with the buyer valuing it strictly above offer + transfer, clearing stopped too early.
    bids, people = market
    outcome = clear_product(PRODUCT, bids, people, RULES, GATE)
    left = {b.bid_id: b.energy_kwh - b.awarded_kwh for b in outcome.bids}
    for s in (b for b in bids if b.side == "sell"):
        for d in (b for b in bids if b.side == "buy"):
            transfer = RULES.transfer_cost(people[s.bidder_id].grid_node, people[d.bidder_id].grid_node)
            covers = s.delivery_start <= d.delivery_start and d.delivery_end <= s.delivery_end
            if covers and s.price_per_kwh + transfer < d.price_per_kwh:
                assert min(left[s.bid_id], left[d.bid_id]) <= 1e-9, (s.bid_id, d.bid_id)
