"""Tests for reference_impl.core.flow: the trading network scaled to an integer min-cost flow.

Pure data: the arrays are checked by hand; solving happens in the adapter tests
(tests/reference_impl/adapters/test_flow_solver.py), since OR-Tools runs in its own process.
"""
from __future__ import annotations

import numpy as np
import pytest

from reference_impl.core.flow import (COST_REL_ERROR, NotIntegral, SOLVER_STATUS, integer_flow,
                                      plan_from_flows)
from reference_impl.core.trading import Arc, Node, Objective, TradingModelError, TradingNetwork


def net(cap_a=20, dem_c=10, tc_ac=1.5, gc_a=10):
    return TradingNetwork(
        nodes=(Node(node_id="A", capacity_kwh=cap_a, demand_kwh=5, generation_cost_per_kwh=gc_a),
               Node(node_id="B", capacity_kwh=0, demand_kwh=0, generation_cost_per_kwh=1),
               Node(node_id="C", capacity_kwh=0, demand_kwh=dem_c, generation_cost_per_kwh=100)),
        arcs=(Arc(source="A", target="B", transfer_cost_per_kwh=1),
              Arc(source="B", target="C", transfer_cost_per_kwh=1, capacity_kwh=4),
              Arc(source="A", target="C", transfer_cost_per_kwh=tc_ac)))


def test_standard_network_layout_and_exact_decimal_scaling():
    inst = integer_flow(net(), Objective.STANDARD)
    # 3 trading arcs, 3 source->node arcs, 1 source->sink arc; nodes 0..2, source 3, sink 4
    assert inst.tails.tolist() == [0, 1, 0, 3, 3, 3, 3]
    assert inst.heads.tolist() == [1, 2, 2, 0, 1, 2, 4]
    assert inst.amount_scale == 1 and inst.cost_scale == 10.0   # 1.5 needs one decimal
    assert inst.unit_costs.tolist() == [10, 10, 15, 100, 10, 1000, 0]
    # unbounded arcs get the total capacity (20), which never binds
    assert inst.capacities.tolist() == [20, 4, 20, 20, 0, 0, 20]
    assert inst.supplies.tolist() == [-5, 0, -10, 20, -5]
    assert inst.supplies.sum() == 0


def test_seed_objective_prices_each_arc_by_its_senders_generation_cost():
    inst = integer_flow(net(), Objective.SEED)
    assert inst.exact_costs.tolist() == [10.0, 1.0, 15.0, 0.0, 0.0, 0.0, 0.0]


def test_fractional_amounts_scale_to_the_smallest_decimal_grid():
    inst = integer_flow(net(cap_a=20.125, dem_c=0.1), Objective.STANDARD)
    assert inst.amount_scale == 1000
    assert inst.supplies.tolist() == [-5000, 0, -100, 20125, -20125 + 5100]


def test_off_grid_costs_are_rounded_within_the_proven_bound():
    inst = integer_flow(net(tc_ac=1 / 3), Objective.STANDARD)
    nonzero = inst.exact_costs > 0
    rel = np.abs(inst.unit_costs[nonzero] / inst.cost_scale - inst.exact_costs[nonzero]) \
        / inst.exact_costs[nonzero]
    assert rel.max() <= COST_REL_ERROR
    assert 2 * COST_REL_ERROR / (1 - COST_REL_ERROR) < 1e-6


def test_amounts_off_the_grid_are_refused_by_name():
    with pytest.raises(NotIntegral, match=r"capacity_kwh/demand_kwh: 0\.1234567"):
        integer_flow(net(dem_c=0.12345678), Objective.STANDARD)


def test_overflowing_costs_are_refused():
    with pytest.raises(NotIntegral, match="overflow int64"):
        integer_flow(net(tc_ac=1e-300 + 1e-12, gc_a=1e12), Objective.STANDARD)


def test_bad_arguments_name_the_field():
    with pytest.raises(TradingModelError, match="network: expected TradingNetwork"):
        integer_flow("not a network")
    with pytest.raises(TradingModelError, match="objective: unknown objective"):
        integer_flow(net(), "cheapest")


def test_plan_reads_flows_back_with_the_unrounded_objective():
    inst = integer_flow(net(tc_ac=1 / 3), Objective.STANDARD)
    flows = np.array([0, 0, 10, 15, 0, 0, 5], np.int64)   # A makes 15, sends 10 to C
    plan = plan_from_flows(inst, 1, flows)
    assert plan.status == "optimal"
    assert plan.flows == {("A", "C"): 10.0}
    assert plan.generation == {"A": 15.0, "B": 0.0, "C": 0.0}
    assert plan.objective_value == pytest.approx(15 * 10 + 10 / 3, rel=1e-12)


def test_seed_plan_reports_own_energy_used():
    inst = integer_flow(net(), Objective.SEED)
    plan = plan_from_flows(inst, 1, np.array([4, 4, 6, 20, 0, 0, 0], np.int64))
    assert plan.generation == {"A": 15.0, "B": 0.0, "C": 0.0}
    assert plan.objective_value == pytest.approx(4 * 10 + 4 * 1 + 6 * 15)


@pytest.mark.parametrize("code, status", [(3, "infeasible"), (4, "infeasible"), (6, "error"),
                                          (0, "error")])
def test_non_optimal_solver_status_is_a_result(code, status):
    plan = plan_from_flows(integer_flow(net()), code, None)
    assert plan.status == status and plan.objective_value is None
    assert plan.solver_status == f"ortools {SOLVER_STATUS[code]}"
