"""Choosing an end user's electricity retailers (seed 000: a city broker that selects, among
several renewable retailers with their own pricing, the most suitable supply for each user).

What this module owns
---------------------
Retailers with a time-of-use tariff (a price per kWh for each named period, as an EMIX price
schedule carries them, plus a standing charge per billing period), a renewable share and
service indicators (availability %, metering interval in minutes, billing accuracy %, the SC 38
kind of indicators); a customer with an expected demand per period and preferences (minimum
renewable share, minimum availability, coarsest acceptable metering interval, minimum billing
accuracy).  The decision is a supply mix: the share of the customer's demand each retailer
serves.

The model (PuLP, solved by HiGHS in-process)
--------------------------------------------
Shares y[r] >= 0 summing to 1, y[r] <= z[r] with z[r] binary (a retailer used charges its
standing charge).  Retailers failing a service preference are excluded before the model is
built (their reason is kept).  Two objectives: expected cost
``sum_r y[r] * energy_cost[r] + z[r] * standing[r]`` (energy_cost = sum over periods of demand
times price) and renewable share ``sum_r y[r] * renewable[r]``.  ``pareto_front`` traces the
efficient cost/renewable trade-off by the epsilon-constraint method (least cost subject to
renewable share >= e, for every e among the eligible retailers' shares and the customer's
minimum) and drops dominated points.  ``select`` then applies a stated rule:

* ``cheapest-meeting-renewable-minimum`` (default): the least-cost mix whose renewable share
  is at least the customer's minimum;
* ``greenest-within-budget``: the highest renewable share whose cost is within the customer's
  budget (the same model maximising renewable share under a cost cap; ties to the cheaper).

Baselines on the same instance: the cheapest single eligible retailer (ignoring the renewable
minimum, as a price-comparison site would), a given single retailer (the caller draws it at
random: this module has no randomness), and the exact optimum by enumeration (an optimal mix
of this model uses at most two retailers: with z fixed it is an LP with two constraints, so a
vertex has at most two non-zero shares; enumerating singles and pairs is exact).

Rules: sans-IO; bad input raises ``RetailerModelError`` naming the retailer/customer and field.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulp

RULES = ("cheapest-meeting-renewable-minimum", "greenest-within-budget")
_TOL = 1e-9


class RetailerModelError(ValueError):
    """Invalid retailer-selection input; the message names the owner and field."""


def _number(owner: str, name: str, value: object, high: float = math.inf) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0 or value > high:
        bound = "" if high == math.inf else f" and <= {high:g}"
        raise RetailerModelError(f"{owner}: {name} must be a number >= 0{bound}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Retailer:
    retailer_id: str
    prices_per_kwh: Mapping[str, float]      # time-of-use period -> price
    standing_charge: float
    renewable_share: float                   # 0..1
    availability_pct: float
    metering_interval_min: float
    billing_accuracy_pct: float

    def __post_init__(self) -> None:
        owner = f"retailer {self.retailer_id!r}"
        if not isinstance(self.retailer_id, str) or not self.retailer_id:
            raise RetailerModelError(f"{owner}: retailer_id must be a non-empty string")
        if not isinstance(self.prices_per_kwh, Mapping) or not self.prices_per_kwh:
            raise RetailerModelError(f"{owner}: prices_per_kwh must map periods to prices")
        for period, price in self.prices_per_kwh.items():
            _number(owner, f"prices_per_kwh[{period!r}]", price)
        _number(owner, "standing_charge", self.standing_charge)
        _number(owner, "renewable_share", self.renewable_share, 1.0)
        _number(owner, "availability_pct", self.availability_pct, 100.0)
        _number(owner, "metering_interval_min", self.metering_interval_min)
        _number(owner, "billing_accuracy_pct", self.billing_accuracy_pct, 100.0)


@dataclass(frozen=True, kw_only=True)
class Customer:
    customer_id: str
    demand_kwh: Mapping[str, float]          # expected kWh per period in the billing period
    min_renewable_share: float = 0.0
    min_availability_pct: float = 0.0
    max_metering_interval_min: float = math.inf
    min_billing_accuracy_pct: float = 0.0
    rule: str = RULES[0]
    budget: float | None = None

    def __post_init__(self) -> None:
        owner = f"customer {self.customer_id!r}"
        if not isinstance(self.customer_id, str) or not self.customer_id:
            raise RetailerModelError(f"{owner}: customer_id must be a non-empty string")
        if not isinstance(self.demand_kwh, Mapping) or not self.demand_kwh:
            raise RetailerModelError(f"{owner}: demand_kwh must map periods to kWh")
        for period, kwh in self.demand_kwh.items():
            _number(owner, f"demand_kwh[{period!r}]", kwh)
        _number(owner, "min_renewable_share", self.min_renewable_share, 1.0)
        _number(owner, "min_availability_pct", self.min_availability_pct, 100.0)
        if self.max_metering_interval_min != math.inf:
            _number(owner, "max_metering_interval_min", self.max_metering_interval_min)
        _number(owner, "min_billing_accuracy_pct", self.min_billing_accuracy_pct, 100.0)
        if self.rule not in RULES:
            raise RetailerModelError(f"{owner}: rule must be one of {RULES}, got {self.rule!r}")
        if self.rule == "greenest-within-budget":
            if self.budget is None:
                raise RetailerModelError(f"{owner}: budget is required by rule {self.rule!r}")
            _number(owner, "budget", self.budget)


@dataclass(frozen=True)
class Mix:
    shares: dict[str, float]                 # retailer -> share of demand (only > 0)
    cost: float
    renewable_share: float


@dataclass(frozen=True)
class Selection:
    status: str                              # "ok" or "infeasible"
    rule: str
    chosen: Mix | None
    front: tuple[Mix, ...]
    excluded: dict[str, str]                 # retailer -> which preference it fails
    reason: str = ""
    baselines: dict[str, Mix | None] = field(default_factory=dict)


def energy_cost(retailer: Retailer, customer: Customer) -> float:
    """Expected energy charge if ``retailer`` served the customer's whole demand."""
    missing = [p for p in customer.demand_kwh if p not in retailer.prices_per_kwh]
    if missing:
        raise RetailerModelError(f"retailer {retailer.retailer_id!r}: prices_per_kwh has no price "
                                 f"for period {missing[0]!r} of customer {customer.customer_id!r}")
    return sum(kwh * retailer.prices_per_kwh[p] for p, kwh in customer.demand_kwh.items())


def eligible(retailers: Sequence[Retailer], customer: Customer) -> tuple[list[Retailer], dict[str, str]]:
    """Retailers meeting the customer's service preferences, and why the others do not."""
    keep, excluded = [], {}
    for r in retailers:
        if r.availability_pct < customer.min_availability_pct:
            excluded[r.retailer_id] = f"availability {r.availability_pct:g} % < {customer.min_availability_pct:g} %"
        elif r.metering_interval_min > customer.max_metering_interval_min:
            excluded[r.retailer_id] = (f"metering interval {r.metering_interval_min:g} min > "
                                       f"{customer.max_metering_interval_min:g} min")
        elif r.billing_accuracy_pct < customer.min_billing_accuracy_pct:
            excluded[r.retailer_id] = (f"billing accuracy {r.billing_accuracy_pct:g} % < "
                                       f"{customer.min_billing_accuracy_pct:g} %")
        else:
            keep.append(r)
    return keep, excluded


def _mix(retailers: Sequence[Retailer], customer: Customer, shares: Mapping[str, float]) -> Mix:
    by_id = {r.retailer_id: r for r in retailers}
    used = {rid: s for rid, s in shares.items() if s > _TOL}
    cost = sum(s * energy_cost(by_id[rid], customer) + by_id[rid].standing_charge for rid, s in used.items())
    renewable = sum(s * by_id[rid].renewable_share for rid, s in used.items())
    return Mix(shares=used, cost=cost, renewable_share=renewable)


def _solve(retailers: Sequence[Retailer], customer: Customer, *, min_share: float = 0.0,
           budget: float | None = None) -> Mix | None:
    """The PuLP model. Without ``budget``: least expected cost with renewable share >=
    ``min_share``; with it: greatest renewable share at cost <= ``budget`` (None if infeasible)."""
    if not retailers:
        return None
    greenest = budget is not None
    prob = pulp.LpProblem("retailer_mix", pulp.LpMaximize if greenest else pulp.LpMinimize)
    y = {r.retailer_id: prob.add_variable(f"y{k}", lowBound=0, upBound=1) for k, r in enumerate(retailers)}
    z = {r.retailer_id: prob.add_variable(f"z{k}", cat=pulp.LpBinary) for k, r in enumerate(retailers)}
    cost = pulp.LpAffineExpression([(y[r.retailer_id], energy_cost(r, customer)) for r in retailers]
                                   + [(z[r.retailer_id], r.standing_charge) for r in retailers])
    green = pulp.LpAffineExpression([(y[r.retailer_id], r.renewable_share) for r in retailers])
    prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression([(v, 1.0) for v in y.values()]),
                                         sense=pulp.LpConstraintEQ, rhs=1.0, name="whole_demand"))
    prob.addConstraint(pulp.LpConstraint(green, sense=pulp.LpConstraintGE, rhs=min_share, name="renewable"))
    if greenest:
        prob.addConstraint(pulp.LpConstraint(cost, sense=pulp.LpConstraintLE, rhs=budget, name="budget"))
    for rid in y:
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression([(y[rid], 1.0), (z[rid], -1.0)]),
                                             sense=pulp.LpConstraintLE, rhs=0.0, name=f"used_{rid}"))
    prob.setObjective(green if greenest else cost)
    prob.solve(pulp.HiGHS(msg=False))
    if pulp.LpStatus[prob.status] != "Optimal":
        return None
    if greenest:  # among the greenest mixes, the cheapest: fix the share, minimise cost
        return _solve(retailers, customer, min_share=float(pulp.value(green)) - 1e-9)
    shares = {rid: v.varValue or 0.0 for rid, v in y.items()}
    total = sum(shares.values())
    return _mix(retailers, customer, {rid: v / total for rid, v in shares.items()})


def least_cost_mix(retailers: Sequence[Retailer], customer: Customer, min_share: float) -> Mix | None:
    """Least expected cost with renewable share >= ``min_share`` (None if no mix reaches it)."""
    return _solve(retailers, customer, min_share=min_share)


def greenest_mix(retailers: Sequence[Retailer], customer: Customer, budget: float) -> Mix | None:
    """Greatest renewable share at expected cost <= ``budget``, the cheapest such mix."""
    return _solve(retailers, customer, budget=budget)


def pareto_front(retailers: Sequence[Retailer], customer: Customer) -> tuple[Mix, ...]:
    """Efficient (cost, renewable share) mixes by the epsilon-constraint method, cheapest first."""
    levels = sorted({r.renewable_share for r in retailers} | {customer.min_renewable_share})
    points = [m for e in levels if (m := least_cost_mix(retailers, customer, e)) is not None]
    front = [m for m in points if not any(
        o.cost <= m.cost + _TOL and o.renewable_share >= m.renewable_share - _TOL
        and (o.cost < m.cost - 1e-7 or o.renewable_share > m.renewable_share + 1e-7) for o in points)]
    unique = {(round(m.cost, 9), round(m.renewable_share, 9)): m for m in front}
    return tuple(sorted(unique.values(), key=lambda m: (m.cost, -m.renewable_share)))


def enumerate_optimum(retailers: Sequence[Retailer], customer: Customer, min_share: float) -> Mix | None:
    """Exact least-cost mix with renewable share >= ``min_share`` over all singles and pairs."""
    best: Mix | None = None
    for r in retailers:
        if r.renewable_share >= min_share - _TOL:
            cand = _mix(retailers, customer, {r.retailer_id: 1.0})
            best = cand if best is None or cand.cost < best.cost else best
    for a, b in itertools.permutations(retailers, 2):
        if a.renewable_share < min_share < b.renewable_share:
            t = (min_share - a.renewable_share) / (b.renewable_share - a.renewable_share)
            cand = _mix(retailers, customer, {a.retailer_id: 1 - t, b.retailer_id: t})
            best = cand if best is None or cand.cost < best.cost else best
    return best


def select(retailers: Sequence[Retailer], customer: Customer, random_pick: int = 0) -> Selection:
    """Front, chosen mix by the customer's rule, and the baselines.

    Args:
        retailers: the city's retailers.
        customer: demand profile and preferences.
        random_pick: index (modulo the eligible count) of the "random" baseline retailer; the
            caller draws it.
    Raises:
        RetailerModelError: bad input, or a tariff without a price for a demanded period.
    """
    ids = [r.retailer_id for r in retailers]
    if len(set(ids)) != len(ids):
        raise RetailerModelError(f"retailers: retailer_id {next(i for i in ids if ids.count(i) > 1)!r} "
                                 "is duplicated")
    pool, excluded = eligible(retailers, customer)
    for r in retailers:
        energy_cost(r, customer)          # every tariff must price every demanded period
    front = pareto_front(pool, customer) if pool else ()
    if customer.rule == RULES[0]:
        chosen = least_cost_mix(pool, customer, customer.min_renewable_share)
        why = (f"no eligible retailer mix reaches renewable share {customer.min_renewable_share:g}"
               if pool else "no retailer meets the service preferences")
    else:
        chosen = greenest_mix(pool, customer, customer.budget)
        why = f"no mix costs at most the budget {customer.budget:g}"
    singles = [_mix(pool, customer, {r.retailer_id: 1.0}) for r in pool]
    baselines = {
        "cheapest_single": min(singles, key=lambda m: m.cost, default=None),
        "random_single": singles[random_pick % len(singles)] if singles else None,
        "enumeration": enumerate_optimum(pool, customer, customer.min_renewable_share),
    }
    if chosen is None:
        return Selection("infeasible", customer.rule, None, front, excluded, why, baselines)
    return Selection("ok", customer.rule, chosen, front, excluded, "", baselines)
