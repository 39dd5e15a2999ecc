"""The harness's own judgement of a retailer choice (seed 000), by exact enumeration.

A supply mix serves shares of the customer's expected demand from several retailers; its cost
is the sum over used retailers of share x (demand per period x price per period) plus the
retailer's standing charge, its renewable share the share-weighted renewable shares.  With a
fixed set of used retailers the least-cost mix for a renewable floor is a two-constraint LP, so
an optimal mix uses one or two retailers; enumerating singles and pairs is exact.  The same
holds for the greenest mix under a cost cap.  A point is on the cost/renewable Pareto front
when no mix is cheaper at an equal or greater renewable share and none is greener at an equal
or lower cost.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

TOL = 1e-6


def _energy(retailer: Mapping, demand: Mapping) -> float:
    return sum(kwh * retailer["prices_per_kwh"][p] for p, kwh in demand.items())


def eligible(request: Mapping) -> dict[str, Mapping]:
    c = request["customer"]
    interval = c.get("max_metering_interval_min")
    return {r["retailer_id"]: r for r in request["retailers"]
            if r["availability_pct"] >= c.get("min_availability_pct", 0)
            and (interval is None or r["metering_interval_min"] <= interval)
            and r["billing_accuracy_pct"] >= c.get("min_billing_accuracy_pct", 0)}


def _candidates(request: Mapping):
    """(cost(t), green(t), shares(t)) for singles (t unused) and ordered pairs, t in [0, 1]."""
    pool = eligible(request)
    demand = request["customer"]["demand_kwh"]
    info = {rid: (_energy(r, demand), r["standing_charge"], r["renewable_share"]) for rid, r in pool.items()}
    for rid, (e, s, g) in info.items():
        yield (lambda t, e=e, s=s: e + s), (lambda t, g=g: g), (lambda t, rid=rid: {rid: 1.0}), (0.0, 0.0)
    for a, b in itertools.permutations(info, 2):
        (ea, sa, ga), (eb, sb, gb) = info[a], info[b]
        yield ((lambda t, ea=ea, eb=eb, s=sa + sb: (1 - t) * ea + t * eb + s),
               (lambda t, ga=ga, gb=gb: (1 - t) * ga + t * gb),
               (lambda t, a=a, b=b: {a: 1 - t, b: t}), (ea - eb, ga - gb))


def least_cost(request: Mapping, min_share: float) -> float:
    """Least cost of a mix with renewable share >= ``min_share`` (inf when none)."""
    best = math.inf
    for cost, green, _, _ in _candidates(request):
        for t in (0.0, 1.0) + _crossing(green, min_share):
            if 0 <= t <= 1 and green(t) >= min_share - 1e-12:
                best = min(best, cost(t))
    return best


def greenest(request: Mapping, budget: float) -> float:
    """Greatest renewable share of a mix costing at most ``budget`` (-inf when none)."""
    best = -math.inf
    for cost, green, _, _ in _candidates(request):
        for t in (0.0, 1.0) + _crossing(cost, budget):
            if 0 <= t <= 1 and cost(t) <= budget + 1e-9:
                best = max(best, green(t))
    return best


def _crossing(line, level: float) -> tuple[float, ...]:
    """The t in [0, 1] where a linear function of t reaches ``level`` (if any)."""
    f0, f1 = line(0.0), line(1.0)
    if abs(f1 - f0) < 1e-15:
        return ()
    t = (level - f0) / (f1 - f0)
    return (t,) if 0 <= t <= 1 else ()


def evaluate(request: Mapping, shares: object) -> tuple[list[str], float, float]:
    """Problems with a mix's shares, and its cost and renewable share recomputed."""
    pool = eligible(request)
    everyone = {r["retailer_id"]: r for r in request["retailers"]}
    demand = request["customer"]["demand_kwh"]
    if not isinstance(shares, Mapping) or not shares:
        return ["the mix has no shares"], math.nan, math.nan
    problems, cost, green = [], 0.0, 0.0
    for rid, share in shares.items():
        if rid not in everyone:
            problems.append(f"{rid!r} is not a retailer of the city")
            continue
        if rid not in pool:
            problems.append(f"{rid!r} fails the customer's service preferences")
        if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1 + TOL:
            problems.append(f"share of {rid!r} is {share!r}, not in [0, 1]")
            continue
        if share > 1e-12:
            cost += share * _energy(everyone[rid], demand) + everyone[rid]["standing_charge"]
            green += share * everyone[rid]["renewable_share"]
    total = sum(v for v in shares.values() if isinstance(v, (int, float)))
    if abs(total - 1) > TOL:
        problems.append(f"shares sum to {total:g}, not 1 (the whole demand)")
    return problems, cost, green


def dominated_by(request: Mapping, cost: float, green: float) -> str:
    """Why (cost, green) is off the Pareto front, or "" when it is on it."""
    cheaper = least_cost(request, green - 1e-9)
    if cheaper < cost - TOL * max(1.0, abs(cost)):
        return f"a mix with renewable share >= {green:.6f} costs {cheaper:.6f} < {cost:.6f}"
    greener = greenest(request, cost)
    if greener > green + TOL:
        return f"a mix costing <= {cost:.6f} reaches renewable share {greener:.6f} > {green:.6f}"
    return ""
