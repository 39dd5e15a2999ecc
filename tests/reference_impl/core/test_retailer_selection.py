"""Retailer selection (seed 000): hand-computed mixes, the Pareto front, the rules, baselines,
and the PuLP model agreeing with exact enumeration on generated small instances."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impl.core.retailer_selection import (Customer, Retailer, RetailerModelError,
                                                    enumerate_optimum, least_cost_mix, select)


def retailer(rid, peak, off, standing, green, availability=99.9, interval=15, accuracy=99.5):
    return Retailer(retailer_id=rid, prices_per_kwh={"peak": peak, "offpeak": off},
                    standing_charge=standing, renewable_share=green, availability_pct=availability,
                    metering_interval_min=interval, billing_accuracy_pct=accuracy)


CITY = (retailer("grey", 0.25, 0.15, 5, 0.2), retailer("mixed", 0.28, 0.18, 5, 0.6),
        retailer("green", 0.32, 0.22, 6, 1.0), retailer("flaky", 0.10, 0.10, 0, 1.0, availability=95))


def customer(**kw):
    return Customer(customer_id="c1", demand_kwh={"peak": 100, "offpeak": 200}, **kw)


def test_cheapest_mix_meeting_the_renewable_minimum_blends_two_retailers():
    # energy costs: grey 25+30=55 (+5), mixed 28+36=64 (+5), green 32+44=76 (+6).
    # At share >= 0.5: grey+green t=(0.5-0.2)/0.8=0.375 -> 0.625*55+0.375*76+11 = 73.875;
    # mixed alone = 69; grey+mixed t=0.75 -> 0.25*55+0.75*64+10 = 71.75. Mixed alone wins.
    sel = select(CITY, customer(min_renewable_share=0.5, min_availability_pct=99))
    assert sel.status == "ok" and sel.chosen.shares == {"mixed": 1.0}
    assert sel.chosen.cost == pytest.approx(69.0)
    assert sel.excluded == {"flaky": "availability 95 % < 99 %"}
    # at 0.8: grey+green t=0.75 -> 0.25*55+0.75*76+11 = 81.75; mixed+green t=0.5 -> 70+11=81
    sel = select(CITY, customer(min_renewable_share=0.8, min_availability_pct=99))
    assert sel.chosen.shares == pytest.approx({"mixed": 0.5, "green": 0.5})
    assert sel.chosen.cost == pytest.approx(81.0)
    assert sel.baselines["cheapest_single"].shares == {"grey": 1.0}
    assert sel.baselines["enumeration"].cost == pytest.approx(81.0)


def test_front_is_non_dominated_and_spans_cheapest_to_greenest():
    sel = select(CITY, customer(min_renewable_share=0.0, min_availability_pct=99))
    costs = [m.cost for m in sel.front]
    greens = [m.renewable_share for m in sel.front]
    assert costs == sorted(costs) and greens == sorted(greens)
    assert sel.front[0].shares == {"grey": 1.0} and sel.front[-1].renewable_share == pytest.approx(1.0)


def test_greenest_within_budget():
    # past mixed (69, 0.6) the front runs to mixed+green (81, 0.8): 0.2 share per 12 EUR less
    # the green standing charge's jump: mixed+green at share t costs 64 + 12t + 11.
    sel = select(CITY, customer(min_availability_pct=99, rule="greenest-within-budget", budget=70))
    assert sel.chosen.cost <= 70 + 1e-6
    assert sel.chosen.shares == pytest.approx({"mixed": 1.0})
    sel = select(CITY, customer(min_availability_pct=99, rule="greenest-within-budget", budget=80))
    assert sel.chosen.cost == pytest.approx(80.0)
    assert sel.chosen.renewable_share == pytest.approx(0.6 + 0.4 * 5 / 12)


def test_preferences_no_retailer_meets_are_infeasible_with_the_reason():
    sel = select(CITY, customer(min_billing_accuracy_pct=99.9))
    assert sel.status == "infeasible" and sel.reason == "no retailer meets the service preferences"
    assert set(sel.excluded) == {"grey", "mixed", "green", "flaky"}


@pytest.mark.parametrize("build, message", [
    (lambda: retailer("x", 0.2, 0.1, 1, 1.5), r"retailer 'x': renewable_share must be a number >= 0 and <= 1"),
    (lambda: customer(rule="cheapest"), "customer 'c1': rule must be one of"),
    (lambda: customer(rule="greenest-within-budget"), "customer 'c1': budget is required"),
    (lambda: select((Retailer(retailer_id="y", prices_per_kwh={"peak": 1}, standing_charge=0,
                              renewable_share=0, availability_pct=100, metering_interval_min=15,
                              billing_accuracy_pct=100),), customer()),
     "retailer 'y': prices_per_kwh has no price for period 'offpeak'"),
])
def test_bad_input_names_the_field(build, message):
    with pytest.raises(RetailerModelError, match=message):
        build()


@st.composite
def cities(draw):
    n = draw(st.integers(1, 5))
    price = st.integers(5, 40).map(lambda c: c / 100)
    return tuple(retailer(f"r{k}", draw(price), draw(price), draw(st.integers(0, 8)),
                          draw(st.integers(0, 10).map(lambda g: g / 10))) for k in range(n))


@settings(max_examples=60, deadline=None)
@given(city=cities(), share=st.integers(0, 10).map(lambda g: g / 10))
def test_pulp_model_matches_exact_enumeration(city, share):
    c = customer(min_renewable_share=share)
    model, exact = least_cost_mix(city, c, share), enumerate_optimum(city, c, share)
    assert (model is None) == (exact is None)
    if exact is not None:
        assert model.cost == pytest.approx(exact.cost, rel=1e-6, abs=1e-6)
        assert model.renewable_share >= share - 1e-6
        assert math.isclose(sum(model.shares.values()), 1.0, abs_tol=1e-6)
