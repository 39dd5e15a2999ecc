"""The harness's own optima and feasibility checks (harness.optimality), against the reference
broker's independent solvers and against hand-broken answers."""
from __future__ import annotations

import copy

import pytest

from harness.optimality import ev_oracle, instances, retail_oracle, trading_oracle
from reference_impl.core.decision_codec import (ev_answer, parse_ev, parse_trading,
                                                trading_answer)
from reference_impl.core.ev_charging import solve_assignment
from reference_impl.core.trading import solve_trading


@pytest.mark.parametrize("nodes, objective", [(10, "standard"), (60, "seed"), (200, "standard")])
def test_trading_optimum_matches_the_pulp_model_and_the_answer_checks_clean(nodes, objective):
    instance = instances.trading_instance(nodes, 3, objective=objective)
    arrays, objective_ = parse_trading(instance)
    plan = solve_trading(arrays.network(), objective_)
    best = trading_oracle.optimum(instance)
    assert best.status == "optimal"
    assert best.objective_value == pytest.approx(plan.objective_value, rel=1e-7)
    problems, cost = trading_oracle.check_answer(instance, trading_answer(plan))
    assert problems == [] and cost == pytest.approx(plan.objective_value, rel=1e-9)


def test_trading_check_names_each_kind_of_violation():
    instance = instances.trading_instance(10, 1)
    arrays, objective = parse_trading(instance)
    answer = trading_answer(solve_trading(arrays.network(), objective))
    bad = copy.deepcopy(answer)
    bad["flows"]["source"].append("n0")
    bad["flows"]["target"].append("n0")
    bad["flows"]["energy_kwh"].append(1.0)
    problems, _ = trading_oracle.check_answer(instance, bad)
    assert ("/flows/source/%d" % (len(bad["flows"]["source"]) - 1),
            "flow 'n0'->'n0' is on no arc of the instance") in problems
    short = copy.deepcopy(answer)
    short["generation"]["energy_kwh"] = [0.0] * len(short["generation"]["energy_kwh"])
    problems, _ = trading_oracle.check_answer(instance, short)
    assert any("is short of its demand" in text for _, text in problems)
    ragged = copy.deepcopy(answer)
    ragged["flows"]["energy_kwh"].pop()
    assert trading_oracle.check_answer(instance, ragged)[0][0][1].startswith("flows lists differ")
    assert trading_oracle.check_answer(instance, {})[0] == [
        ("/flows", "flows must hold lists source, target, energy_kwh")]


def test_ev_optimum_matches_and_double_booking_is_caught():
    instance = instances.ev_instance(30, 35, 2)
    plan = solve_assignment(parse_ev(instance))
    assert ev_oracle.optimum(instance).total_cost == pytest.approx(plan.total_cost, rel=1e-12)
    answer = ev_answer(plan)
    assert ev_oracle.check_answer(instance, answer) == ([], pytest.approx(plan.total_cost))
    answer["assignment"]["station_id"][-1] = answer["assignment"]["station_id"][0]
    problems, _ = ev_oracle.check_answer(instance, answer)
    assert any("(eq. 10)" in text for _, text in problems)


def test_ev_stranded_vehicle_is_the_unplaceable_one():
    best = ev_oracle.optimum(instances.ev_instance(10, 12, 4, stranded=True))
    assert best.status == "infeasible" and best.unplaceable == ("v0",)


def test_retail_front_membership():
    request = {"retailers": [
        {"retailer_id": "a", "prices_per_kwh": {"p": 0.2}, "standing_charge": 0, "renewable_share": 0.0,
         "availability_pct": 99, "metering_interval_min": 15, "billing_accuracy_pct": 99},
        {"retailer_id": "b", "prices_per_kwh": {"p": 0.4}, "standing_charge": 0, "renewable_share": 1.0,
         "availability_pct": 99, "metering_interval_min": 15, "billing_accuracy_pct": 99}],
        "customer": {"customer_id": "c", "demand_kwh": {"p": 100}}}
    # the front is the segment from (20, 0) to (40, 1); a half-half mix costs 30 at share 0.5
    assert retail_oracle.least_cost(request, 0.5) == pytest.approx(30.0)
    assert retail_oracle.greenest(request, 30.0) == pytest.approx(0.5)
    assert retail_oracle.dominated_by(request, 30.0, 0.5) == ""
    assert "costs 30.000000 < 35.000000" in retail_oracle.dominated_by(request, 35.0, 0.5)
