"""The harness's own optimum of an EV charging instance (seed 004 §5.2) and the feasibility
check of a SUT's assignment.

Allowed pairs follow eqs. (9) and (12): the vehicle's charge covers the trip
(use_kwh_per_km * distance <= current charge) and the station's maximum power is at least the
vehicle's maximum charge.  Cost per pair is eq. (8): distribution cost + use * distance.  The
optimum is ``scipy.optimize.linear_sum_assignment`` with forbidden pairs at +inf; an instance
without a complete assignment is infeasible, and then the vehicles no assignment can place are
those left unmatched by some maximum matching (``maximum_bipartite_matching``), or those with
no allowed station at all.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching


@dataclass(frozen=True)
class EvOptimum:
    status: str                        # "optimal" or "infeasible"
    total_cost: float | None
    unplaceable: tuple[str, ...] = ()  # vehicles a complete assignment cannot place


def _arrays(instance: Mapping):
    v, s = instance["vehicles"], instance["stations"]
    use = np.asarray(v["use_kwh_per_km"], float)
    dist = np.asarray(instance["distances_km"], float)
    travel = use[:, None] * dist
    allowed = (travel <= np.asarray(v["current_charge_kwh"], float)[:, None] + 1e-12) \
        & (np.asarray(v["max_charge_kwh"], float)[:, None] <= np.asarray(s["max_power_kw"], float)[None, :])
    cost = np.asarray(s["distribution_cost"], float)[None, :] + travel
    return list(v["vehicle_id"]), list(s["station_id"]), cost, allowed


def optimum(instance: Mapping) -> EvOptimum:
    vehicles, stations, cost, allowed = _arrays(instance)
    if not vehicles:
        return EvOptimum("optimal", 0.0)
    stranded = [vehicles[i] for i in np.flatnonzero(~allowed.any(axis=1))]
    if stranded:
        return EvOptimum("infeasible", None, tuple(stranded))
    try:
        rows, cols = linear_sum_assignment(np.where(allowed, cost, np.inf))
    except ValueError:
        match = maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column")
        return EvOptimum("infeasible", None, tuple(vehicles[i] for i in np.flatnonzero(match < 0)))
    if len(rows) < len(vehicles):   # more vehicles than stations
        return EvOptimum("infeasible", None, tuple(sorted(set(vehicles) - {vehicles[i] for i in rows})))
    return EvOptimum("optimal", float(cost[rows, cols].sum()))


def check_answer(instance: Mapping, answer: Mapping) -> tuple[list[tuple[str, str]], float]:
    """Feasibility of the SUT's assignment and its eq. (8) cost recomputed by the harness.

    Returns:
        (violations as (JSON pointer, sentence), recomputed total cost).
    """
    vehicles, stations, cost, allowed = _arrays(instance)
    vi = {v: i for i, v in enumerate(vehicles)}
    si = {s: j for j, s in enumerate(stations)}
    table = answer.get("assignment") if isinstance(answer, Mapping) else None
    if not isinstance(table, Mapping) or not all(isinstance(table.get(k), list)
                                                 for k in ("vehicle_id", "station_id")):
        return [("/assignment", "assignment must hold lists vehicle_id, station_id")], math.nan
    problems: list[tuple[str, str]] = []
    seen_v: dict[str, int] = {}
    seen_s: dict[str, str] = {}
    total = 0.0
    for k, (v, s) in enumerate(zip(table["vehicle_id"], table["station_id"])):
        if v not in vi or s not in si:
            problems.append((f"/assignment/vehicle_id/{k}", f"pair {v!r}->{s!r} names an unknown "
                             "vehicle or station"))
            continue
        if v in seen_v:
            problems.append((f"/assignment/vehicle_id/{k}", f"vehicle {v!r} is assigned twice (eq. 11)"))
        if s in seen_s:
            problems.append((f"/assignment/station_id/{k}", f"station {s!r} takes {seen_s[s]!r} and "
                             f"{v!r} at once (eq. 10)"))
        if not allowed[vi[v], si[s]]:
            problems.append((f"/assignment/station_id/{k}", f"vehicle {v!r} cannot reach station "
                             f"{s!r} or the station lacks the power (eqs. 9, 12)"))
        seen_v[v], seen_s[s] = k, v
        total += float(cost[vi[v], si[s]])
    missing = [v for v in vehicles if v not in seen_v]
    if missing:
        problems.append(("/assignment/vehicle_id", f"{len(missing)} vehicles have no station, "
                         f"e.g. {missing[0]!r} (eq. 11)"))
    return problems, total
