"""Loopback test of the min-cost-flow worker (OR-Tools in its own process): the flow path and
the PuLP/HiGHS LP of seed 004 §5.1 agree on the same instances, hand-made and generated."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.adapters.flow_solver import FlowSolver, FlowSolverError, solve_trading_flow
from reference_impl.adapters.flow_worker import read_arrays, write_arrays
from reference_impl.core.flow_arrays import FlowArrays
from reference_impl.core.trading import Arc, Node, Objective, TradingNetwork, solve_trading

REL = 1e-6


def node(i, cap, dem, gc):
    return Node(node_id=i, capacity_kwh=cap, demand_kwh=dem, generation_cost_per_kwh=gc)


def relay():
    return TradingNetwork(nodes=(node("A", 20, 5, 10), node("B", 0, 0, 1), node("C", 0, 10, 100)),
                          arcs=(Arc(source="A", target="B", transfer_cost_per_kwh=1),
                                Arc(source="B", target="C", transfer_cost_per_kwh=1),
                                Arc(source="A", target="C", transfer_cost_per_kwh=1.5)))


@pytest.mark.parametrize("objective, cost, flows", [
    (Objective.SEED, 110.0, {("A", "B"): 10.0, ("B", "C"): 10.0}),
    (Objective.STANDARD, 165.0, {("A", "C"): 10.0}),
])
def test_hand_computed_relay_network(objective, cost, flows):
    plan = solve_trading_flow(relay(), objective)
    assert plan.status == "optimal" and plan.solver_status == "ortools OPTIMAL"
    assert plan.objective_value == pytest.approx(cost, rel=1e-12)
    assert plan.flows == pytest.approx(flows)


def test_too_little_capacity_is_infeasible():
    short = TradingNetwork(nodes=(node("A", 3, 0, 1), node("B", 0, 5, 1)),
                           arcs=(Arc(source="A", target="B", transfer_cost_per_kwh=1),))
    plan = solve_trading_flow(short)
    assert plan.status == "infeasible" and plan.objective_value is None


def test_unreachable_demand_is_infeasible():
    cut = TradingNetwork(nodes=(node("A", 10, 0, 1), node("B", 0, 5, 1)), arcs=())
    assert solve_trading_flow(cut).status == "infeasible"


def test_amounts_off_the_decimal_grid_fall_back_to_the_lp():
    net = TradingNetwork(nodes=(node("A", 10, 0, 1), node("B", 0, 1 / 3, 1)),
                         arcs=(Arc(source="A", target="B", transfer_cost_per_kwh=2),))
    plan = solve_trading_flow(net)
    assert plan.status == "optimal" and "LP: capacity_kwh/demand_kwh" in plan.solver_status
    assert plan.objective_value == pytest.approx(1.0, rel=1e-9)
    by_columns = solve_trading_flow(FlowArrays.from_network(net))
    assert by_columns.objective_value == pytest.approx(1.0, rel=1e-9)
    assert "LP:" in by_columns.solver_status


@st.composite
def networks(draw):
    n = draw(st.integers(2, 7))
    ids = [f"n{k}" for k in range(n)]
    amounts = st.integers(0, 40).map(lambda v: v / 4)        # quarter kWh
    costs = st.one_of(st.integers(0, 30).map(float), st.floats(0.01, 20, allow_nan=False))
    nodes = [node(i, draw(amounts), draw(amounts), draw(costs)) for i in ids]
    pairs = [(s, t) for s in ids for t in ids if s != t]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    arcs = [Arc(source=s, target=t, transfer_cost_per_kwh=draw(costs),
                capacity_kwh=draw(st.one_of(st.none(), amounts))) for s, t in chosen]
    return TradingNetwork(nodes=tuple(nodes), arcs=tuple(arcs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(net=networks(), objective=st.sampled_from(list(Objective)))
def test_flow_path_agrees_with_the_pulp_model(net, objective):
    lp = solve_trading(net, objective)
    flow = solve_trading_flow(net, objective)
    by_columns = solve_trading_flow(FlowArrays.from_network(net), objective)
    assert flow.status == lp.status == by_columns.status
    assert by_columns.objective_value == flow.objective_value
    if lp.status == "optimal":
        assert flow.objective_value == pytest.approx(lp.objective_value, rel=REL, abs=1e-7)
        # the flow plan is feasible for the original network: balances and capacities hold
        inflow = {v.node_id: 0.0 for v in net.nodes}
        outflow = dict(inflow)
        for (s, t), x in flow.flows.items():
            outflow[s] += x
            inflow[t] += x
        for v in net.nodes:
            own = flow.generation[v.node_id] if objective is Objective.STANDARD else v.capacity_kwh
            assert own + inflow[v.node_id] - outflow[v.node_id] >= v.demand_kwh - 1e-9
            assert flow.generation[v.node_id] <= v.capacity_kwh + 1e-9
        for a in net.arcs:
            if a.capacity_kwh is not None:
                assert flow.flows.get((a.source, a.target), 0.0) <= a.capacity_kwh + 1e-9


def test_a_worker_dying_between_calls_is_restarted():
    solver = FlowSolver()
    try:
        assert solver.solve(relay()).status == "optimal"
        solver._proc.kill()          # the worker this test started
        solver._proc.wait()
        assert solver.solve(relay()).objective_value == pytest.approx(165.0)
    finally:
        solver.close()


def test_a_worker_dying_mid_request_is_an_error_and_the_next_call_recovers():
    import subprocess
    import sys
    solver = FlowSolver()
    try:
        # a stand-in worker that reads one byte and exits without answering
        solver._proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(1)"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        with pytest.raises(FlowSolverError, match="worker"):
            solver.solve(relay())
        assert solver.solve(relay()).objective_value == pytest.approx(165.0)
    finally:
        solver.close()


def test_frames_round_trip_and_malformed_frames_are_named():
    import io
    buf = io.BytesIO()
    write_arrays(buf, [np.array([1, -2], np.int32), np.arange(3, dtype=np.int64)])
    buf.seek(0)
    got = read_arrays(buf)
    assert [a.tolist() for a in got] == [[1, -2], [0, 1, 2]]
    with pytest.raises(ValueError, match="array 0 header"):
        read_arrays(io.BytesIO(b"1\n<f8 2\n"))
    with pytest.raises(ValueError, match="array 0 ended after 4 bytes"):
        read_arrays(io.BytesIO(b"1\n<i8 1\nabcd"))


def test_clearing_a_product_by_min_cost_flow_gives_the_lp_contracts():
    from tests.reference_impl.core.test_clearing import (GATE, PRODUCT, RULES, buy, participants,
                                                         sell)
    from reference_impl.core.clearing import clear_product
    bids = [sell("S1", "0.12", 4.0), sell("S2", "0.11", 1.5), buy("B1", "b1", "0.20", 3.0),
            buy("B2", "b2", "0.15", 3.0), buy("B3", "b3", "0.10", 2.0)]
    people = participants(b1="N2", b2="N1", b3="N2")
    by_lp = clear_product(PRODUCT, bids, people, RULES, GATE)
    by_flow = clear_product(PRODUCT, bids, people, RULES, GATE, solve=solve_trading_flow)
    assert by_flow.objective_value == pytest.approx(by_lp.objective_value, rel=1e-9)
    assert by_flow.contracts == by_lp.contracts and by_flow.contracts
    assert by_flow.unserved_kwh == by_lp.unserved_kwh
