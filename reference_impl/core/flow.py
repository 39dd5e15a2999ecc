"""The trading LP of seed 004 §5.1 as an integer minimum-cost flow (the broker's clearing path).

What this module owns
---------------------
Turning a ``trading.TradingNetwork`` into the integer arrays a network min-cost-flow solver
takes (OR-Tools ``SimpleMinCostFlow``: int64 capacities, unit costs and supplies), and turning
the solver's integer flows back into a ``trading.TradingPlan``.  It solves nothing itself: the
solver runs in its own process (``reference_impl.adapters.flow_solver``) because OR-Tools and
``highspy`` (loaded by PuLP) each bundle HiGHS and cannot share a process.

The network
-----------
Nodes 0..n-1 are the trading nodes (supply ``-d[i]``: each must receive its demand); node n is
a super-source holding all capacity (supply ``sum c``); node n+1 absorbs the capacity nobody
uses.  Arcs, in order: the m trading arcs (cost tc, or tc*gc[source] for ``Objective.SEED``;
capacity as given, or the total capacity when unbounded, which never binds: with costs >= 0 an
optimal flow exists that is a sum of source-to-node paths, so no arc carries more than the
total supply), then n arcs source->i (capacity c[i], cost gc[i] for STANDARD, 0 for SEED: the
seed gives a node's own energy away free), then one arc source->sink (cost 0, capacity sum c).
A node's balance ``g[i] + inflow - outflow >= d[i]`` is then an equality with the surplus
left on the source->sink arc, which is the same feasible set.

Why integer scaling keeps the optimum (within 1e-6 relative)
------------------------------------------------------------
* Amounts (capacities, demands): each is taken on the decimal grid 10**-k for the smallest
  k <= ``MAX_AMOUNT_DIGITS`` on which every amount lies.  A float within 1e-9 relative of a
  grid point is read as that decimal (0.1 is stored as the nearest binary fraction; the
  decimal is what the caller meant).  Multiplying all amounts by 10**k maps the feasible set
  one-to-one onto the scaled one and scales no cost, and a min-cost flow with integer data has
  an integral optimal flow (its constraint matrix is totally unimodular), so the integer
  optimum divided by 10**k is the optimum.  Amounts off that grid are not scaled:
  ``integer_flow`` raises ``NotIntegral`` and the caller uses the LP.
* Costs: decimal costs with at most ``MAX_AMOUNT_DIGITS`` decimals are scaled by 10**k
  exactly, as amounts are.  Otherwise every unit cost is multiplied by one factor s and
  rounded, s chosen so that each non-zero cost is rounded by at most ``COST_REL_ERROR`` of
  itself.  For any flow x >= 0 the
  rounded objective c'(x) then lies within that relative error of c(x) (all terms are >= 0),
  so if x' is optimal for c' and x* for c:  c(x') <= c'(x')/(1-e) <= c'(x*)/(1-e) <=
  c(x*)(1+e)/(1-e), i.e. c(x') exceeds the optimum by at most 2e/(1-e) relative; with
  e = 2.5e-7 that is < 5.1e-7 < 1e-6.  The reported objective is c(x') itself, evaluated with
  the unrounded costs.
* Range: OR-Tools refuses costs or capacities whose products could overflow int64
  (BAD_COST_RANGE / BAD_CAPACITY_RANGE); we refuse earlier, with ``NotIntegral``, when
  (n+2) * max scaled cost * total scaled supply would pass 2**62.

Rules: sans-IO (numpy only); bad input is rejected by ``TradingNetwork``'s own validation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .flow_arrays import FlowArrays
from .trading import Objective, TradingModelError, TradingNetwork, TradingPlan

__all__ = ["COST_REL_ERROR", "IntegerFlow", "MAX_AMOUNT_DIGITS", "NotIntegral",
           "integer_flow", "plan_from_flows"]

MAX_AMOUNT_DIGITS = 6        # amounts to 1e-6 kWh (a milliwatt-hour)
COST_REL_ERROR = 2.5e-7      # per-cost rounding bound e; objective error <= 2e/(1-e) < 1e-6
_GRID_TOL = 1e-9             # float noise tolerated around a decimal grid point
_INT_LIMIT = 2 ** 62
_FLOW_EPS = 1e-9

# OR-Tools SimpleMinCostFlow.Status values (ortools/graph/min_cost_flow.h), mapped to the
# TradingPlan vocabulary; the worker sends the integer.
SOLVER_STATUS = {0: "NOT_SOLVED", 1: "OPTIMAL", 2: "FEASIBLE", 3: "INFEASIBLE",
                 4: "UNBALANCED", 5: "BAD_RESULT", 6: "BAD_COST_RANGE", 7: "BAD_CAPACITY_RANGE"}


class NotIntegral(TradingModelError):
    """The network cannot be scaled to integers exactly; the message says which field."""


@dataclass(frozen=True)
class IntegerFlow:
    """The scaled network: arrays for ``SimpleMinCostFlow`` plus what reading back needs."""

    arrays: FlowArrays
    objective: Objective
    tails: np.ndarray          # int32, m + n + 1 arcs
    heads: np.ndarray          # int32
    capacities: np.ndarray     # int64
    unit_costs: np.ndarray     # int64
    supplies: np.ndarray       # int64, n + 2 nodes
    amount_scale: int          # 10**k
    cost_scale: float          # s
    exact_costs: np.ndarray    # float64, unrounded cost per arc (for the reported objective)


def _grid_digits(values: np.ndarray) -> int | None:
    """Smallest k <= MAX_AMOUNT_DIGITS with every value on the 10**-k grid, else None."""
    if np.array_equal(values, np.rint(values)):   # whole numbers: the common case, one pass
        return 0
    for k in range(MAX_AMOUNT_DIGITS + 1):
        scaled = values * 10.0 ** k
        if np.all(np.abs(scaled - np.rint(scaled)) <= _GRID_TOL * np.abs(scaled)):
            return k
    return None


def _decimal_digits(values: np.ndarray, field: str) -> int:
    """Like ``_grid_digits``, but an amount off the grid raises ``NotIntegral``."""
    k = _grid_digits(values)
    if k is not None:
        return k
    worst = values[np.argmax(np.abs(values * 10.0 ** MAX_AMOUNT_DIGITS
                                    - np.rint(values * 10.0 ** MAX_AMOUNT_DIGITS)))]
    raise NotIntegral(f"{field}: {float(worst)!r} has more than {MAX_AMOUNT_DIGITS} decimals; "
                      "it cannot be scaled to an exact integer")


def integer_flow(network: TradingNetwork | FlowArrays,
                 objective: Objective = Objective.STANDARD) -> IntegerFlow:
    """Build the scaled integer min-cost-flow instance of ``network``.

    Args:
        network: validated nodes and arcs, as objects or as columns (``FlowArrays``).
        objective: ``Objective.STANDARD`` or ``Objective.SEED`` (see ``trading``).
    Returns:
        The ``IntegerFlow`` arrays.
    Raises:
        TradingModelError: ``network`` is neither form or the objective is unknown.
        NotIntegral: an amount is off the decimal grid, or scaled values would overflow int64.
    """
    try:
        objective = Objective(objective)
    except ValueError:
        raise TradingModelError(f"objective: unknown objective {objective!r}") from None
    arrays = network if isinstance(network, FlowArrays) else FlowArrays.from_network(network)
    n, m = len(arrays.node_ids), len(arrays.source)
    src, dst = arrays.source, arrays.target
    transfer, arc_cap = arrays.transfer_cost_per_kwh, arrays.arc_capacity_kwh
    cap, dem, gen = arrays.capacity_kwh, arrays.demand_kwh, arrays.generation_cost_per_kwh

    # Few whole-column passes: a dense city has a million arcs (bench/city_scale.py).
    # fmax skips NaN, so it is NaN only when no arc has a capacity (the common case).
    unbounded = m == 0 or bool(np.isnan(np.fmax.reduce(arc_cap)))
    bounded = None if unbounded else ~np.isnan(arc_cap)
    k = _decimal_digits(np.concatenate([cap, dem] if unbounded else [cap, dem, arc_cap[bounded]]),
                        "capacity_kwh/demand_kwh")
    amount_scale = 10 ** k
    total = float(cap.sum())
    total_int = int(np.rint(cap * amount_scale).sum())
    arc_cap_int = np.full(m, total_int, np.int64)   # an unbounded arc never carries more
    if not unbounded:
        arc_cap_int[bounded] = np.rint(arc_cap[bounded] * amount_scale)

    if objective is Objective.SEED:
        # seed 004 §5.1 eq. (6): a kWh sent on i->j costs tc[i,j]*gc[i]; own energy is free
        exact = np.concatenate([transfer * gen[src], np.zeros(n + 1)])
    else:
        exact = np.concatenate([transfer, gen, [0.0]])
    scaled_cost = np.rint(exact)
    if np.array_equal(scaled_cost, exact):   # whole costs: the common case, no scaling
        cost_scale = 1.0
    else:
        cost_digits = _grid_digits(exact)
        if cost_digits is not None:  # decimal costs (prices in cents...) scale exactly
            cost_scale = float(10 ** cost_digits)
        else:
            cost_scale = 0.5 / (COST_REL_ERROR * float(exact[exact > 0].min()))
        scaled_cost = np.rint(exact * cost_scale)
    if (n + 2) * float(scaled_cost.max(initial=0.0)) * max(total_int, 1) >= _INT_LIMIT \
            or total_int >= _INT_LIMIT:
        positive = exact[exact > 0]
        cheapest = float(positive.min()) if positive.size else 0.0
        raise NotIntegral(f"transfer_cost_per_kwh/generation_cost_per_kwh: costs from "
                          f"{cheapest!r} to {float(exact.max(initial=0.0))!r} with "
                          f"{total!r} kWh of capacity overflow int64 when scaled")

    source, sink = n, n + 1
    tails = np.concatenate([src, np.full(n, source, np.int32), [source]], dtype=np.int32)
    heads = np.concatenate([dst, np.arange(n, dtype=np.int32), [sink]], dtype=np.int32)
    cap_int = np.rint(cap * amount_scale).astype(np.int64)
    dem_int = np.rint(dem * amount_scale).astype(np.int64)
    capacities = np.concatenate([arc_cap_int, cap_int, [total_int]], dtype=np.int64)
    supplies = np.concatenate([-dem_int, [total_int, -(total_int - int(dem_int.sum()))]])
    return IntegerFlow(arrays=arrays, objective=objective, tails=tails, heads=heads,
                       capacities=capacities, unit_costs=scaled_cost.astype(np.int64),
                       supplies=supplies.astype(np.int64), amount_scale=amount_scale,
                       cost_scale=cost_scale, exact_costs=exact)


def plan_from_flows(instance: IntegerFlow, status_code: int, flows: np.ndarray | None,
                    arcs: np.ndarray | None = None) -> TradingPlan:
    """Read the solver's integer flows back into a ``TradingPlan``.

    Args:
        instance: what ``integer_flow`` built.
        status_code: the ``SimpleMinCostFlow.Status`` integer.
        flows: int64 flows (ignored unless OPTIMAL): one per arc of ``instance``, or, with
            ``arcs``, one per listed arc (the others carry none).
        arcs: indices of the arcs ``flows`` belong to (the worker sends only non-zero flows).
    Returns:
        The plan; status "infeasible" when total capacity cannot reach the demand, "error" for
        any other non-optimal solver status.  ``objective_value`` is the unrounded objective
        of the returned flow.
    """
    word = SOLVER_STATUS.get(int(status_code), f"status {status_code}")
    objective = instance.objective
    if word != "OPTIMAL":
        status = "infeasible" if word in ("INFEASIBLE", "UNBALANCED") else "error"
        return TradingPlan(status=status, objective=objective, objective_value=None,
                           flows={}, generation={}, solver_status=f"ortools {word}")
    arrays = instance.arrays
    ids = arrays.node_ids
    n, m = len(ids), len(arrays.source)
    x = np.asarray(flows, dtype=np.int64) / instance.amount_scale
    used = np.arange(len(x)) if arcs is None else np.asarray(arcs, dtype=np.int64)
    value = float(np.dot(x, instance.exact_costs[used]))
    on_arc = (used < m) & (x > _FLOW_EPS)
    flow_map = {(ids[arrays.source[a]], ids[arrays.target[a]]): float(v)
                for a, v in zip(used[on_arc].tolist(), x[on_arc].tolist())}
    own = np.zeros(n)
    if objective is Objective.STANDARD:
        from_source = (used >= m) & (used < m + n)
        own[used[from_source] - m] = x[from_source]
    else:  # the seed has no g[i]: the node's own energy put to use, d - inflow + outflow
        trading_arcs = used < m
        sent, carried = used[trading_arcs], x[trading_arcs]
        own = (arrays.demand_kwh + np.bincount(arrays.source[sent], weights=carried, minlength=n)
               - np.bincount(arrays.target[sent], weights=carried, minlength=n))
    generation = {i: (float(u) if u > _FLOW_EPS else 0.0) for i, u in zip(ids, own.tolist())}
    return TradingPlan(status="optimal", objective=objective, objective_value=value,
                       flows=flow_map, generation=generation, solver_status="ortools OPTIMAL")
