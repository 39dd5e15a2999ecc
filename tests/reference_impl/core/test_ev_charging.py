"""Tests for reference_impl.core.ev_charging (seed 004 §5.2): hand-computed cases, errors that
name the field, and the assignment solver agreeing with the PuLP model of eqs. (7)-(12)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impl.core.ev_charging import (EvInstance, EvModelError, Station, Vehicle,
                                             solve_assignment, solve_model)


def car(i, battery=40, charge=20, use=0.2):
    return Vehicle(vehicle_id=i, max_charge_kwh=battery, current_charge_kwh=charge,
                   use_kwh_per_km=use)


def station(j, power=50, cost=1.0):
    return Station(station_id=j, max_power_kw=power, distribution_cost=cost)


def test_hand_computed_two_by_three():
    # cost = dc[j] + use[i]*d[i,j]; v1 reaches s1 (2+0.2*10=4) or s2 (1+0.2*40=9);
    # v2 (use 0.5, charge 6) reaches s1 (2+5=7) or s2 (1+0.5*4=3); s3 is too weak for both.
    inst = EvInstance((car("v1"), car("v2", charge=6, use=0.5)),
                      (station("s1", cost=2), station("s2", cost=1), station("s3", power=10)),
                      [[10, 40, 1], [10, 4, 1]])
    for plan in (solve_assignment(inst), solve_model(inst)):
        assert plan.status == "optimal"
        assert plan.assignment == {"v1": "s1", "v2": "s2"}
        assert plan.total_cost == pytest.approx(7.0)


def test_a_vehicle_that_reaches_no_station_is_named():
    inst = EvInstance((car("v1"), car("far", charge=1)), (station("s1"), station("s2")),
                      [[1, 1], [10, 20]])   # far needs 2 and 4 kWh, has 1
    for plan in (solve_assignment(inst), solve_model(inst)):
        assert plan.status == "infeasible" and plan.total_cost is None
        assert "vehicle 'far' can reach no station" in plan.reason


def test_a_vehicle_crowded_out_is_named_with_its_stations():
    # both vehicles can only reach s1 (s2 is too far): one station, one vehicle at a time
    inst = EvInstance((car("v1"), car("v2")), (station("s1"), station("s2")),
                      [[1, 500], [1, 500]])
    plan = solve_assignment(inst)
    assert plan.status == "infeasible"
    assert "can reach only stations ['s1']" in plan.reason
    assert solve_model(inst).status == "infeasible"


def test_more_vehicles_than_stations_is_infeasible():
    inst = EvInstance((car("v1"), car("v2")), (station("s1"),), [[1], [1]])
    assert "2 vehicles but only 1 stations" in solve_assignment(inst).reason


@pytest.mark.parametrize("build, message", [
    (lambda: car("v", charge=50), "vehicle 'v': current_charge_kwh 50 exceeds max_charge_kwh 40"),
    (lambda: car("v", use=-1), "vehicle 'v': use_kwh_per_km must be a finite number >= 0"),
    (lambda: station("s", cost=float("nan")), "station 's': distribution_cost must be"),
    (lambda: EvInstance((car("v"),), (station("s"),), [[1, 2]]),
     r"distances_km: shape \(1, 2\) should be \(vehicles, stations\) = \(1, 1\)"),
    (lambda: EvInstance((car("v"), car("w")), (station("s"),), [[1], [-3]]),
     r"distances_km\[1\]\[0\] \(vehicle 'w', station 's'\): must be a finite number >= 0"),
    (lambda: EvInstance((car("v"), car("v")), (station("s"), station("t")), [[1, 1], [1, 1]]),
     "vehicle 'v': vehicle_id is duplicated"),
    (lambda: solve_assignment("nope"), "instance: expected EvInstance"),
])
def test_bad_input_names_the_field(build, message):
    with pytest.raises(EvModelError, match=message):
        build()


def brute_force(inst):
    cost, allowed = inst.arrays()
    best = None
    for perm in itertools.permutations(range(len(inst.stations)), len(inst.vehicles)):
        if all(allowed[i, j] for i, j in enumerate(perm)):
            total = sum(cost[i, j] for i, j in enumerate(perm))
            best = total if best is None else min(best, total)
    return best


@st.composite
def instances(draw):
    nv = draw(st.integers(1, 4))
    ns = draw(st.integers(1, 5))
    vehicles = []
    for i in range(nv):
        battery = draw(st.integers(10, 80))
        vehicles.append(Vehicle(vehicle_id=f"v{i}", max_charge_kwh=battery,
                                current_charge_kwh=draw(st.integers(0, battery)),
                                use_kwh_per_km=draw(st.sampled_from([0.1, 0.15, 0.2, 0.25]))))
    stations = [Station(station_id=f"s{j}", max_power_kw=draw(st.integers(5, 100)),
                        distribution_cost=draw(st.integers(0, 20) .map(lambda c: c / 2)))
                for j in range(ns)]
    dist = draw(st.lists(st.lists(st.integers(0, 300), min_size=ns, max_size=ns),
                         min_size=nv, max_size=nv))
    return EvInstance(tuple(vehicles), tuple(stations), dist)


@settings(max_examples=80, deadline=None)
@given(inst=instances())
def test_assignment_pulp_model_and_enumeration_agree(inst):
    fast, general, exact = solve_assignment(inst), solve_model(inst), brute_force(inst)
    assert fast.status == general.status == ("infeasible" if exact is None else "optimal")
    if exact is not None:
        assert fast.total_cost == pytest.approx(exact, rel=1e-9, abs=1e-9)
        assert general.total_cost == pytest.approx(exact, rel=1e-6, abs=1e-6)
        cost, allowed = inst.arrays()
        ids = {s.station_id: j for j, s in enumerate(inst.stations)}
        assert len(set(fast.assignment.values())) == len(inst.vehicles)
        assert all(allowed[i, ids[fast.assignment[v.vehicle_id]]]
                   for i, v in enumerate(inst.vehicles))
    else:
        assert fast.reason and general.reason


def test_a_300_by_300_instance_assigns_every_vehicle_its_own_station():
    rng = np.random.default_rng(7)
    n = 300
    inst = EvInstance(tuple(car(f"v{i}", charge=30) for i in range(n)),
                      tuple(station(f"s{j}", cost=float(c)) for j, c in enumerate(rng.integers(1, 9, n))),
                      rng.uniform(0, 100, (n, n)))
    plan = solve_assignment(inst)
    assert plan.status == "optimal" and len(set(plan.assignment.values())) == n
