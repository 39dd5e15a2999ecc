"""Autonomous-vehicle charging assignment (seed 004, Petrović & Kocić, §5.2).

What this module owns
---------------------
Vehicles (maximum battery charge mc[i], current charge cc[i], energy used per km tc[i]),
charging stations (maximum power mp[j], distribution cost dc[j]) and the path lengths d[i,j]
between them.  Each vehicle goes to exactly one station (eq. 11), a station takes one vehicle
at a time (eq. 10), a vehicle only goes where its charge gets it (tc[i]*d[i,j] <= cc[i],
eq. 9) and where the station can give its whole battery (mc[i] <= mp[j], eq. 12, which
compares the two figures directly, as the seed does), at least total cost
sum dc[j] + tc[i]*d[i,j] (eq. 8; the seed adds the distribution cost and the energy spent
travelling as they are, and so do we).

Two solvers, one answer
-----------------------
Eqs. (9) and (12) only forbid pairs, so the model is a rectangular assignment problem: its LP
relaxation has integral vertices (the constraint matrix is totally unimodular), and
``solve_assignment`` hands the cost matrix, forbidden pairs at +inf, to
``scipy.optimize.linear_sum_assignment`` (shortest augmenting paths).  ``build_model`` states
eqs. (7)-(12) literally as a PuLP MILP, the general form to which side constraints can be
added; ``solve_model`` solves it with HiGHS in-process.  Both return an ``EvPlan``; tests
check they agree.

Rules: sans-IO (numpy, scipy and PuLP only).  Bad input raises ``EvModelError`` naming the
vehicle, station or distance entry and the field.  An instance with no feasible assignment is a
result (status "infeasible") whose ``reason`` names the vehicle that cannot be placed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pulp
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

__all__ = ["EvInstance", "EvModelError", "EvPlan", "Station", "Vehicle", "build_model",
           "solve_assignment", "solve_model"]


class EvModelError(ValueError):
    """Invalid charging input; the message names the vehicle/station/entry and the field."""


def _check(owner: str, name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise EvModelError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class Vehicle:
    """mc[i], cc[i] and tc[i] of seed 004 §5.2."""

    vehicle_id: str
    max_charge_kwh: float
    current_charge_kwh: float
    use_kwh_per_km: float

    def __post_init__(self) -> None:
        if not isinstance(self.vehicle_id, str) or not self.vehicle_id:
            raise EvModelError(f"vehicle {self.vehicle_id!r}: vehicle_id must be a non-empty string")
        for name in ("max_charge_kwh", "current_charge_kwh", "use_kwh_per_km"):
            _check(f"vehicle {self.vehicle_id!r}", name, getattr(self, name))
        if self.current_charge_kwh > self.max_charge_kwh:
            raise EvModelError(f"vehicle {self.vehicle_id!r}: current_charge_kwh "
                               f"{self.current_charge_kwh!r} exceeds max_charge_kwh "
                               f"{self.max_charge_kwh!r}")


@dataclass(frozen=True, kw_only=True)
class Station:
    """mp[j] and dc[j] of seed 004 §5.2."""

    station_id: str
    max_power_kw: float
    distribution_cost: float

    def __post_init__(self) -> None:
        if not isinstance(self.station_id, str) or not self.station_id:
            raise EvModelError(f"station {self.station_id!r}: station_id must be a non-empty string")
        for name in ("max_power_kw", "distribution_cost"):
            _check(f"station {self.station_id!r}", name, getattr(self, name))


@dataclass(frozen=True, eq=False)
class EvInstance:
    """Vehicles, stations and the path length matrix ``distances_km[i][j]`` (vehicle i to
    station j), validated on construction; ``distances_km`` is stored as a float64 array."""

    vehicles: tuple[Vehicle, ...]
    stations: tuple[Station, ...]
    distances_km: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "stations", tuple(self.stations))
        for kind, items, cls, key in (("vehicles", self.vehicles, Vehicle, "vehicle_id"),
                                      ("stations", self.stations, Station, "station_id")):
            seen: set[str] = set()
            for item in items:
                if not isinstance(item, cls):
                    raise EvModelError(f"{kind}: expected {cls.__name__}, got {item!r}")
                if getattr(item, key) in seen:
                    raise EvModelError(f"{kind[:-1]} {getattr(item, key)!r}: {key} is duplicated")
                seen.add(getattr(item, key))
        try:
            dist = np.array(self.distances_km, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise EvModelError(f"distances_km: not a numeric matrix ({exc})") from None
        shape = (len(self.vehicles), len(self.stations))
        if dist.shape != shape:
            raise EvModelError(f"distances_km: shape {dist.shape} should be (vehicles, stations) "
                               f"= {shape}")
        bad = ~np.isfinite(dist) | (dist < 0)
        if bad.any():
            i, j = map(int, np.argwhere(bad)[0])
            raise EvModelError(f"distances_km[{i}][{j}] (vehicle {self.vehicles[i].vehicle_id!r}, "
                               f"station {self.stations[j].station_id!r}): must be a finite "
                               f"number >= 0, got {dist[i, j]!r}")
        dist.setflags(write=False)
        object.__setattr__(self, "distances_km", dist)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(cost, allowed): eq. (8) cost per pair and the pairs eqs. (9) and (12) allow."""
        use = np.fromiter((v.use_kwh_per_km for v in self.vehicles), np.float64, len(self.vehicles))
        charge = np.fromiter((v.current_charge_kwh for v in self.vehicles), np.float64,
                             len(self.vehicles))
        battery = np.fromiter((v.max_charge_kwh for v in self.vehicles), np.float64,
                              len(self.vehicles))
        power = np.fromiter((s.max_power_kw for s in self.stations), np.float64, len(self.stations))
        dc = np.fromiter((s.distribution_cost for s in self.stations), np.float64,
                         len(self.stations))
        travel = use[:, None] * self.distances_km
        allowed = (travel <= charge[:, None]) & (battery[:, None] <= power[None, :])
        return dc[None, :] + travel, allowed


@dataclass(frozen=True)
class EvPlan:
    """``status`` "optimal" or "infeasible"; ``assignment`` vehicle id -> station id;
    ``total_cost`` the eq. (8) objective (None unless optimal); ``reason`` says, when
    infeasible, which vehicle cannot be placed and why."""

    status: str
    assignment: dict[str, str]
    total_cost: float | None
    reason: str = ""
    solver: str = ""


def _infeasibility(instance: EvInstance, allowed: np.ndarray) -> str:
    """Name a vehicle that cannot be placed (Hall's condition, seed 004 eqs. 9-12)."""
    vehicles, stations = instance.vehicles, instance.stations
    stranded = np.flatnonzero(~allowed.any(axis=1))
    if stranded.size:
        names = ", ".join(repr(vehicles[i].vehicle_id) for i in stranded[:5])
        more = f" and {stranded.size - 5} more" if stranded.size > 5 else ""
        return (f"vehicle {names}{more} can reach no station with enough power "
                "(seed 004 eqs. 9 and 12)")
    if len(vehicles) > len(stations):
        return (f"{len(vehicles)} vehicles but only {len(stations)} stations; vehicle "
                f"{vehicles[len(stations)].vehicle_id!r} and others cannot be placed (eq. 10)")
    match = maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column")
    unmatched = np.flatnonzero(match < 0)
    if unmatched.size == 0:
        return "the solver found no assignment, though a complete matching exists"
    i = int(unmatched[0])
    options = [stations[j].station_id for j in np.flatnonzero(allowed[i])]
    return (f"vehicle {vehicles[i].vehicle_id!r} can reach only stations {options}, and every "
            "assignment gives them to other vehicles (one vehicle per station, eq. 10)")


def solve_assignment(instance: EvInstance) -> EvPlan:
    """Optimal assignment by ``scipy.optimize.linear_sum_assignment`` (forbidden pairs +inf).

    Args:
        instance: a validated ``EvInstance``.
    Returns:
        The ``EvPlan``; infeasible instances name the vehicle that cannot be placed.
    Raises:
        EvModelError: ``instance`` is not an ``EvInstance``.
    """
    if not isinstance(instance, EvInstance):
        raise EvModelError(f"instance: expected EvInstance, got {instance!r}")
    if not instance.vehicles:
        return EvPlan("optimal", {}, 0.0, solver="scipy linear_sum_assignment")
    cost, allowed = instance.arrays()
    if len(instance.vehicles) > len(instance.stations) or not allowed.any(axis=1).all():
        return EvPlan("infeasible", {}, None, _infeasibility(instance, allowed),
                      solver="scipy linear_sum_assignment")
    try:
        rows, cols = linear_sum_assignment(np.where(allowed, cost, np.inf))
    except ValueError:  # scipy: "cost matrix is infeasible" (Hall's condition fails)
        return EvPlan("infeasible", {}, None, _infeasibility(instance, allowed),
                      solver="scipy linear_sum_assignment")
    assignment = {instance.vehicles[i].vehicle_id: instance.stations[j].station_id
                  for i, j in zip(rows.tolist(), cols.tolist())}
    return EvPlan("optimal", assignment, float(cost[rows, cols].sum()),
                  solver="scipy linear_sum_assignment")


def build_model(instance: EvInstance) -> tuple[pulp.LpProblem, dict[tuple[int, int], pulp.LpVariable]]:
    """Seed 004 eqs. (7)-(12) as a PuLP MILP (binary x[i,j] for every vehicle-station pair).

    Returns:
        The problem and its variables keyed by (vehicle index, station index).
    """
    if not isinstance(instance, EvInstance):
        raise EvModelError(f"instance: expected EvInstance, got {instance!r}")
    cost, _ = instance.arrays()
    vehicles, stations, dist = instance.vehicles, instance.stations, instance.distances_km
    prob = pulp.LpProblem("ev_charging", pulp.LpMinimize)
    x = {(i, j): prob.add_variable(f"x{i}_{j}", cat=pulp.LpBinary)          # eq. (7)
         for i in range(len(vehicles)) for j in range(len(stations))}
    prob.setObjective(pulp.LpAffineExpression(                                  # eq. (8)
        [(var, float(cost[i, j])) for (i, j), var in x.items()]))
    for i, v in enumerate(vehicles):
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(           # eq. (9)
            [(x[i, j], v.use_kwh_per_km * float(dist[i, j])) for j in range(len(stations))]),
            sense=pulp.LpConstraintLE, rhs=v.current_charge_kwh, name=f"reach{i}"))
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(           # eq. (11)
            [(x[i, j], 1.0) for j in range(len(stations))]),
            sense=pulp.LpConstraintEQ, rhs=1.0, name=f"one_station{i}"))
    for j, s in enumerate(stations):
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(           # eq. (10)
            [(x[i, j], 1.0) for i in range(len(vehicles))]),
            sense=pulp.LpConstraintLE, rhs=1.0, name=f"one_vehicle{j}"))
        for i, v in enumerate(vehicles):                                        # eq. (12)
            if v.max_charge_kwh > s.max_power_kw:
                prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(
                    [(x[i, j], v.max_charge_kwh)]), sense=pulp.LpConstraintLE,
                    rhs=s.max_power_kw, name=f"power{i}_{j}"))
    return prob, x


def solve_model(instance: EvInstance) -> EvPlan:
    """Solve ``build_model(instance)`` with HiGHS in-process (the general form).

    Returns:
        The ``EvPlan``; when infeasible, ``reason`` names a vehicle as ``solve_assignment`` does.
    """
    prob, x = build_model(instance)
    if not instance.vehicles:
        return EvPlan("optimal", {}, 0.0, solver="pulp HiGHS")
    prob.solve(pulp.HiGHS(msg=False))
    if pulp.LpStatus[prob.status] != "Optimal":
        _, allowed = instance.arrays()
        return EvPlan("infeasible", {}, None, _infeasibility(instance, allowed),
                      solver="pulp HiGHS")
    assignment = {instance.vehicles[i].vehicle_id: instance.stations[j].station_id
                  for (i, j), var in x.items() if (var.varValue or 0.0) > 0.5}
    return EvPlan("optimal", assignment, float(pulp.value(prob.objective) or 0.0),
                  solver="pulp HiGHS")
