"""The harness's own optimum of a trading instance (seed 004 §5.1) and the feasibility check of
a SUT's clearing answer.

The optimum comes from HiGHS (``highspy``), given the whole sparse LP at once: interior point
with crossover, a different algorithm from the network solvers a platform is likely to use, so
a shared bug is unlikely to hide.  Columns: one flow per arc, then (standard objective) one
generation per node; rows: one balance per node, ``g[i] + inflow - outflow >= d[i]`` (seed
objective: ``c[i] + inflow - outflow >= d[i]``, cost tc[i,j]*gc[i] per kWh on each arc).

Feasibility, judged on the SUT's flows alone (never on the cost it reports): every flow is on an
arc of the instance, >= 0 and within the arc's capacity; generation is within [0, capacity];
every node's balance holds. Amounts are compared with an absolute tolerance of
``AMOUNT_TOL`` kWh.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np

AMOUNT_TOL = 1e-6


@dataclass(frozen=True)
class TradingOptimum:
    status: str                   # "optimal" or "infeasible" (or HiGHS's word)
    objective_value: float | None


@dataclass
class _Arrays:
    ids: list[str]
    cap: np.ndarray
    dem: np.ndarray
    gen: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    tc: np.ndarray
    arc_cap: np.ndarray            # inf where unbounded
    seed: bool


def _arrays(instance: Mapping) -> _Arrays:
    nodes, arcs = instance["nodes"], instance["arcs"]
    ids = list(nodes["node_id"])
    index = {node_id: k for k, node_id in enumerate(ids)}
    caps = arcs.get("capacity_kwh") or [None] * len(arcs["source"])
    return _Arrays(ids=ids, cap=np.asarray(nodes["capacity_kwh"], float),
                   dem=np.asarray(nodes["demand_kwh"], float),
                   gen=np.asarray(nodes["generation_cost_per_kwh"], float),
                   src=np.array([index[s] for s in arcs["source"]], dtype=np.int64),
                   dst=np.array([index[t] for t in arcs["target"]], dtype=np.int64),
                   tc=np.asarray(arcs["transfer_cost_per_kwh"], float),
                   arc_cap=np.array([math.inf if c is None else c for c in caps], float),
                   seed=instance.get("objective", "standard") == "seed")


def optimum(instance: Mapping) -> TradingOptimum:
    """Solve the instance's LP with HiGHS; the objective value the SUT must reach."""
    a = _arrays(instance)
    n, m = len(a.ids), len(a.src)
    gcols = 0 if a.seed else n
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + gcols, n
    arc_cost = a.tc * a.gen[a.src] if a.seed else a.tc
    lp.col_cost_ = np.concatenate([arc_cost, [] if a.seed else a.gen])
    lp.col_lower_ = np.zeros(m + gcols)
    lp.col_upper_ = np.concatenate([a.arc_cap, [] if a.seed else a.cap])
    lp.row_lower_ = a.dem - a.cap if a.seed else a.dem
    lp.row_upper_ = np.full(n, highspy.kHighsInf)
    index = np.empty(2 * m + gcols, np.int32)
    value = np.empty(2 * m + gcols)
    index[0:2 * m:2], index[1:2 * m:2] = a.src, a.dst
    value[0:2 * m:2], value[1:2 * m:2] = -1.0, 1.0
    index[2 * m:], value[2 * m:] = np.arange(gcols), 1.0
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([np.arange(0, 2 * m + 1, 2),
                                          2 * m + np.arange(1, gcols + 1)]).astype(np.int32)
    lp.a_matrix_.index_, lp.a_matrix_.value_ = index, value
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("solver", "ipm")   # with crossover: ends on an exact vertex
    solver.passModel(lp)
    solver.run()
    word = solver.modelStatusToString(solver.getModelStatus())
    if word == "Optimal":
        return TradingOptimum("optimal", float(solver.getInfo().objective_function_value))
    return TradingOptimum("infeasible" if "nfeasible" in word else word, None)


def check_answer(instance: Mapping, answer: Mapping) -> tuple[list[tuple[str, str]], float]:
    """Feasibility of the SUT's flows, and their cost recomputed by the harness.

    Returns:
        (violations as (JSON pointer, sentence), cost of the SUT's flows under the instance's
        objective).  A malformed answer is one violation at the offending pointer.
    """
    a = _arrays(instance)
    n = len(a.ids)
    index = {node_id: k for k, node_id in enumerate(a.ids)}
    arc_of = {(int(s), int(t)): k for k, (s, t) in enumerate(zip(a.src, a.dst))}
    flows = answer.get("flows") if isinstance(answer, Mapping) else None
    generation = answer.get("generation") if isinstance(answer, Mapping) else None
    if not isinstance(flows, Mapping) or not all(isinstance(flows.get(k), list)
                                                 for k in ("source", "target", "energy_kwh")):
        return [("/flows", "flows must hold lists source, target, energy_kwh")], math.nan
    lengths = {k: len(flows[k]) for k in ("source", "target", "energy_kwh")}
    if len(set(lengths.values())) != 1:
        return [("/flows", f"flows lists differ in length: {lengths}")], math.nan
    x = np.zeros(len(a.src))
    problems: list[tuple[str, str]] = []
    for k, (s, t, e) in enumerate(zip(flows["source"], flows["target"], flows["energy_kwh"])):
        arc = arc_of.get((index.get(s, -1), index.get(t, -1)))
        if arc is None:
            problems.append((f"/flows/source/{k}", f"flow {s!r}->{t!r} is on no arc of the instance"))
        elif not isinstance(e, (int, float)) or isinstance(e, bool) or not math.isfinite(e) or e < -AMOUNT_TOL:
            problems.append((f"/flows/energy_kwh/{k}", f"flow {s!r}->{t!r} is {e!r}, not a number >= 0"))
        else:
            x[arc] += e
    over = np.flatnonzero(x > a.arc_cap + AMOUNT_TOL)
    problems += [("/flows", f"arc {a.ids[a.src[k]]!r}->{a.ids[a.dst[k]]!r} carries {x[k]:g} kWh, "
                  f"capacity {a.arc_cap[k]:g}") for k in over[:5]]
    g = np.zeros(n)
    if a.seed:
        own = a.cap
    else:
        if not isinstance(generation, Mapping) or not all(isinstance(generation.get(k), list)
                                                          for k in ("node_id", "energy_kwh")):
            return problems + [("/generation", "generation must hold lists node_id, energy_kwh")], math.nan
        for k, (node_id, e) in enumerate(zip(generation["node_id"], generation["energy_kwh"])):
            if node_id not in index or not isinstance(e, (int, float)) or not math.isfinite(e):
                problems.append((f"/generation/node_id/{k}", f"generation {node_id!r}: {e!r} is not "
                                 "a number for a node of the instance"))
            else:
                g[index[node_id]] += e
        bad = np.flatnonzero((g < -AMOUNT_TOL) | (g > a.cap + AMOUNT_TOL))
        problems += [("/generation", f"node {a.ids[k]!r} generates {g[k]:g} kWh, capacity "
                      f"{a.cap[k]:g}") for k in bad[:5]]
        own = g
    balance = own + np.bincount(a.dst, weights=x, minlength=n) - np.bincount(a.src, weights=x, minlength=n)
    short = np.flatnonzero(balance < a.dem - AMOUNT_TOL)
    problems += [("/flows", f"node {a.ids[k]!r} balance {balance[k]:g} kWh is short of its demand "
                  f"{a.dem[k]:g} kWh") for k in short[:5]]
    cost = float(np.dot(x, a.tc * a.gen[a.src] if a.seed else a.tc)) + (0.0 if a.seed else float(np.dot(g, a.gen)))
    return problems, cost
