"""Tests for reference_impl.core.trading (seed 004 §5.1 trading LP, §7.2 price).

Pure data: every instance is built in memory, solved in-process by HiGHS and,
for the oracle cross-check, compared with networkx network simplex.
"""

from __future__ import annotations

import math
import random

import networkx as nx
import pytest

from reference_impl.core import trading
from reference_impl.core.trading import (
    Arc, Node, Objective, TradingModelError, TradingNetwork, TradingPlan,
    build_model, solve_model, solve_trading, trade_price,
)

TOL = 1e-6


def node(node_id, capacity, demand, gen_cost):
    return Node(node_id=node_id, capacity_kwh=capacity, demand_kwh=demand,
                generation_cost_per_kwh=gen_cost)


def arc(source, target, transfer_cost, capacity=None):
    return Arc(source=source, target=target, transfer_cost_per_kwh=transfer_cost,
               capacity_kwh=capacity)


def relay_network() -> TradingNetwork:
    # A has surplus, C has a deficit of 10, B is a pure relay (no capacity).
    return TradingNetwork(
        nodes=(node("A", 20, 5, 10), node("B", 0, 0, 1), node("C", 0, 10, 100)),
        arcs=(arc("A", "B", 1), arc("B", "C", 1), arc("A", "C", 1.5)),
    )


# --------------------------------------------------------------------------- #
# Hand-computed cases
# --------------------------------------------------------------------------- #

def test_seed_objective_prefers_relay_through_cheap_generator():
    # Seed cost of a kWh on arc i->j is tc[i,j] * gc[i].
    #   direct A->C : 1.5 * 10           = 15 per kWh
    #   relay A->B->C: 1 * 10 + 1 * 1     = 11 per kWh  (B's gc=1 is billed on hop 2)
    # C needs 10 kWh -> 10 * 11 = 110.  Local use at A (5 kWh) is free in the seed form.
    plan = solve_trading(relay_network(), Objective.SEED)
    assert plan.status == "optimal"
    assert plan.objective is Objective.SEED
    assert plan.objective_value == pytest.approx(110.0)
    assert plan.flows == pytest.approx({("A", "B"): 10.0, ("B", "C"): 10.0})
    # SEED "generation" = d - inflow + outflow: A uses 5 + 10, the relay B nets 0.
    assert plan.generation == pytest.approx({"A": 15.0, "B": 0.0, "C": 0.0})


def test_standard_objective_prefers_direct_arc():
    # Standard cost of a delivered kWh = gc[producer] + sum of tc on its path.
    #   direct A->C : 10 + 1.5     = 11.5 per kWh
    #   relay A->B->C: 10 + 1 + 1  = 12   per kWh
    # A generates 5 (own demand) + 10 = 15: 15 * 10 + 10 * 1.5 = 150 + 15 = 165.
    plan = solve_trading(relay_network(), Objective.STANDARD)
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(165.0)
    assert plan.flows == pytest.approx({("A", "C"): 10.0})
    assert plan.generation == pytest.approx({"A": 15.0, "B": 0.0, "C": 0.0})


def test_seed_form_does_not_charge_local_generation():
    # B could import from A at 1 + 2 = 3 per kWh (standard), but its own gc is 100.
    #   standard: import 5 kWh -> g_A = 5, cost 5 * 1 + 5 * 2 = 15.
    #   seed:     B covers itself for free (no generation term) -> cost 0, no flows.
    net = TradingNetwork(nodes=(node("A", 10, 0, 1), node("B", 10, 5, 100)),
                         arcs=(arc("A", "B", 2),))
    seed = solve_trading(net, Objective.SEED)
    std = solve_trading(net, Objective.STANDARD)
    assert seed.objective_value == pytest.approx(0.0) and seed.flows == {}
    assert seed.generation == pytest.approx({"A": 0.0, "B": 5.0})
    assert std.objective_value == pytest.approx(15.0)
    assert std.flows == pytest.approx({("A", "B"): 5.0})
    assert std.generation == pytest.approx({"A": 5.0, "B": 0.0})


def test_arc_capacity_forces_second_route():
    # Direct arc A->C limited to 4 kWh; the other 6 go via B.
    # standard: 15 * 10 + 4 * 1.5 + 6 * (1 + 1) = 150 + 6 + 12 = 168.
    net = TradingNetwork(
        nodes=relay_network().nodes,
        arcs=(arc("A", "B", 1), arc("B", "C", 1), arc("A", "C", 1.5, capacity=4)),
    )
    plan = solve_trading(net, Objective.STANDARD)
    assert plan.objective_value == pytest.approx(168.0)
    assert plan.flows == pytest.approx({("A", "C"): 4.0, ("A", "B"): 6.0, ("B", "C"): 6.0})


def test_build_and_solve_separately_and_objective_given_as_string():
    model = build_model(relay_network(), "seed")
    assert model.objective is Objective.SEED
    assert len(model.flow_vars) == 3 and model.generation_vars == []
    plan = solve_model(model)
    assert isinstance(plan, TradingPlan)
    assert plan.objective_value == pytest.approx(110.0)


def test_empty_network_is_trivially_optimal():
    plan = solve_trading(TradingNetwork(nodes=(), arcs=()))
    assert plan.status == "optimal" and plan.objective_value == 0.0
    assert plan.flows == {} and plan.generation == {}


# --------------------------------------------------------------------------- #
# Infeasible instances are results, not exceptions
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("solver", ["highs", "highs-simplex"])
@pytest.mark.parametrize("objective", list(Objective))
def test_total_demand_above_total_capacity_is_infeasible(objective, solver):
    net = TradingNetwork(nodes=(node("A", 5, 1, 1), node("B", 2, 8, 1)),
                         arcs=(arc("A", "B", 1), arc("B", "A", 1)))
    plan = solve_trading(net, objective, solver)
    assert plan.status == "infeasible"
    assert plan.objective_value is None and plan.flows == {} and plan.generation == {}


@pytest.mark.parametrize("objective", list(Objective))
def test_unreachable_deficit_is_infeasible(objective):
    # Enough energy overall, but nothing can reach B (the only arc leaves B).
    net = TradingNetwork(nodes=(node("A", 50, 0, 1), node("B", 0, 5, 1)),
                         arcs=(arc("B", "A", 1),))
    assert solve_trading(net, objective).status == "infeasible"


@pytest.mark.parametrize("objective", list(Objective))
def test_arc_capacity_too_small_is_infeasible(objective):
    net = TradingNetwork(nodes=(node("A", 50, 0, 1), node("B", 0, 5, 1)),
                         arcs=(arc("A", "B", 1, capacity=4.5),))
    assert solve_trading(net, objective).status == "infeasible"


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #

def test_negative_capacity_names_node_and_field():
    with pytest.raises(TradingModelError,
                       match=r"node 'n3': capacity_kwh must be >= 0, got -1\.0"):
        node("n3", -1, 0, 0)


@pytest.mark.parametrize("field", ["capacity_kwh", "demand_kwh", "generation_cost_per_kwh"])
def test_nan_and_inf_rejected(field):
    values = {"capacity_kwh": 1.0, "demand_kwh": 1.0, "generation_cost_per_kwh": 1.0}
    for bad in (math.nan, math.inf):
        with pytest.raises(TradingModelError, match=rf"node 'x': {field} must be finite"):
            Node(node_id="x", **{**values, field: bad})


def test_non_numeric_and_empty_id_rejected():
    with pytest.raises(TradingModelError, match="demand_kwh must be a number"):
        node("x", 1, "3", 1)
    with pytest.raises(TradingModelError, match="node_id must be a non-empty string"):
        node("", 1, 1, 1)


def test_arc_field_errors():
    with pytest.raises(TradingModelError, match=r"arc 'a'->'a': target must differ"):
        arc("a", "a", 1)
    with pytest.raises(TradingModelError,
                       match=r"arc 'a'->'b': transfer_cost_per_kwh must be finite"):
        arc("a", "b", math.nan)
    with pytest.raises(TradingModelError, match=r"arc 'a'->'b': capacity_kwh must be >= 0"):
        arc("a", "b", 1, capacity=-2)


def test_network_rejects_unknown_endpoint():
    with pytest.raises(TradingModelError, match=r"arc 'a'->'zz': target 'zz' is not a known"):
        TradingNetwork(nodes=(node("a", 1, 0, 1),), arcs=(arc("a", "zz", 1),))


def test_network_rejects_duplicate_node_id_and_arc():
    with pytest.raises(TradingModelError, match=r"node 'a': node_id is duplicated"):
        TradingNetwork(nodes=(node("a", 1, 0, 1), node("a", 2, 0, 1)), arcs=())
    with pytest.raises(TradingModelError, match=r"arc 'a'->'b': duplicate arc"):
        TradingNetwork(nodes=(node("a", 1, 0, 1), node("b", 1, 0, 1)),
                       arcs=(arc("a", "b", 1), arc("a", "b", 2)))


def test_unknown_solver_and_objective_rejected():
    with pytest.raises(TradingModelError, match="solver"):
        solve_trading(relay_network(), solver="glpk")
    with pytest.raises(TradingModelError, match="objective"):
        build_model(relay_network(), "cheapest")


def test_core_module_imports_no_io_modules():
    # SANS-IO rule: the module's namespace holds none of the I/O or clock modules.
    forbidden = {"socket", "os", "sqlite3", "time", "datetime", "random",
                 "subprocess", "logging", "io", "tempfile", "pathlib"}
    assert not forbidden & set(vars(trading))


# --------------------------------------------------------------------------- #
# Oracle: networkx network simplex on the same min-cost flow
# --------------------------------------------------------------------------- #

def random_network(seed: int) -> TradingNetwork:
    """Integer data; a bidirectional ring keeps it connected, extras are sparse."""
    rng = random.Random(seed)
    n = rng.randint(5, 40)
    ids = [f"n{k}" for k in range(n)]
    nodes = [node(i, rng.randint(0, 60), rng.randint(0, 40), rng.randint(0, 15)) for i in ids]
    total_c = sum(x.capacity_kwh for x in nodes)
    total_d = sum(x.demand_kwh for x in nodes)
    if total_c <= total_d:  # top up node 0 so the instance is feasible
        nodes[0] = node(ids[0], nodes[0].capacity_kwh + total_d - total_c + 10,
                        nodes[0].demand_kwh, nodes[0].generation_cost_per_kwh)
    pairs = {(ids[k], ids[(k + 1) % n]) for k in range(n)}
    pairs |= {(ids[(k + 1) % n], ids[k]) for k in range(n)}
    for _ in range(2 * n):
        s, t = rng.sample(ids, 2)
        pairs.add((s, t))
    arcs = []
    for s, t in sorted(pairs):
        ring = abs(int(s[1:]) - int(t[1:])) in (1, n - 1)
        cap = None if ring or rng.random() < 0.5 else rng.randint(0, 30)
        arcs.append(arc(s, t, rng.randint(0, 9), cap))
    return TradingNetwork(nodes=tuple(nodes), arcs=tuple(arcs))


def network_simplex_cost(net: TradingNetwork, objective: Objective) -> float:
    """Same problem as a min-cost flow: super-source S, surplus sink T.

    S supplies every node's capacity (arc S->i, capacity c[i], cost gc[i] for
    STANDARD, 0 for SEED where local energy is free); unused capacity goes
    S->T at cost 0 and node excess i->T at cost 0.  Network arcs cost tc (STANDARD)
    or tc * gc[source] (SEED).
    """
    g = nx.DiGraph()
    gc = {x.node_id: x.generation_cost_per_kwh for x in net.nodes}
    total_c = sum(x.capacity_kwh for x in net.nodes)
    total_d = sum(x.demand_kwh for x in net.nodes)
    g.add_node("__S", demand=-total_c)
    g.add_node("__T", demand=total_c - total_d)
    g.add_edge("__S", "__T", weight=0)
    for x in net.nodes:
        g.add_node(x.node_id, demand=x.demand_kwh)
        cost = x.generation_cost_per_kwh if objective is Objective.STANDARD else 0
        g.add_edge("__S", x.node_id, weight=cost, capacity=x.capacity_kwh)
        g.add_edge(x.node_id, "__T", weight=0)
    for a in net.arcs:
        cost = a.transfer_cost_per_kwh
        if objective is Objective.SEED:
            cost *= gc[a.source]
        attrs = {"weight": cost}
        if a.capacity_kwh is not None:
            attrs["capacity"] = a.capacity_kwh
        g.add_edge(a.source, a.target, **attrs)
    cost, _ = nx.network_simplex(g)
    return float(cost)


def assert_plan_feasible(net: TradingNetwork, plan: TradingPlan) -> None:
    inflow = {x.node_id: 0.0 for x in net.nodes}
    outflow = dict(inflow)
    caps = {(a.source, a.target): a.capacity_kwh for a in net.arcs}
    for (s, t), v in plan.flows.items():
        assert v > 0
        assert caps[(s, t)] is None or v <= caps[(s, t)] + TOL
        outflow[s] += v
        inflow[t] += v
    for x in net.nodes:
        net_in = inflow[x.node_id] - outflow[x.node_id]
        gen = plan.generation[x.node_id]
        assert -TOL <= gen <= x.capacity_kwh + TOL
        if plan.objective is Objective.SEED:
            assert x.capacity_kwh + net_in >= x.demand_kwh - TOL  # seed 004 §5.1 eq. (5)
        else:
            assert gen + net_in >= x.demand_kwh - TOL


def plan_cost(net: TradingNetwork, plan: TradingPlan) -> float:
    gc = {x.node_id: x.generation_cost_per_kwh for x in net.nodes}
    tc = {(a.source, a.target): a.transfer_cost_per_kwh for a in net.arcs}
    if plan.objective is Objective.SEED:
        return sum(v * tc[k] * gc[k[0]] for k, v in plan.flows.items())
    return (sum(gc[i] * g for i, g in plan.generation.items())
            + sum(v * tc[k] for k, v in plan.flows.items()))


@pytest.mark.parametrize("solver", ["highs", "highs-simplex"])
@pytest.mark.parametrize("objective", list(Objective))
@pytest.mark.parametrize("seed", range(20))
def test_matches_network_simplex(seed, objective, solver):
    net = random_network(seed)
    plan = solve_trading(net, objective, solver)
    assert plan.status == "optimal"
    expected = network_simplex_cost(net, objective)
    assert math.isclose(plan.objective_value, expected, rel_tol=1e-6, abs_tol=1e-6)
    assert_plan_feasible(net, plan)
    assert math.isclose(plan_cost(net, plan), plan.objective_value, rel_tol=1e-6, abs_tol=1e-6)


def test_oracle_agrees_on_infeasibility():
    net = TradingNetwork(nodes=(node("A", 50, 0, 1), node("B", 0, 5, 1)),
                         arcs=(arc("A", "B", 1, capacity=4),))
    with pytest.raises(nx.NetworkXUnfeasible):
        network_simplex_cost(net, Objective.STANDARD)
    assert solve_trading(net).status == "infeasible"


# --------------------------------------------------------------------------- #
# Trade price, seed 004 §7.2 eq. (14)
# --------------------------------------------------------------------------- #

def test_trade_price_example():
    # 10 kWh * tc 0.5 * gc 0.2 = 1.0 money; at 2.0 money per token -> 0.5 tokens.
    assert trade_price(10, 0.5, 0.2, token_price=2.0) == pytest.approx(0.5)
    assert trade_price(10, 0.5, 0.2) == pytest.approx(1.0)
    assert trade_price(0, 0.5, 0.2) == 0.0


@pytest.mark.parametrize("kwargs, message", [
    ({"token_price": 0}, "token_price must be > 0"),
    ({"token_price": -1.0}, "token_price must be > 0, got -1.0"),
    ({"token_price": math.nan}, "token_price must be finite"),
    ({"amount_kwh": -1.0}, "amount_kwh must be >= 0"),
    ({"generation_cost": math.inf}, "generation_cost must be finite"),
])
def test_trade_price_validation(kwargs, message):
    args = {"amount_kwh": 1.0, "transfer_cost": 1.0, "generation_cost": 1.0,
            "token_price": 1.0, **kwargs}
    with pytest.raises(TradingModelError, match=message):
        trade_price(**args)
