"""Seeded market instances of any size, in the columnar JSON of the decision services.

Trading networks: each node gets capacity and demand in quarter kWh, a generation cost in
cents; each node sends to its ring successor (unbounded, so every demand is reachable) and to
``out_degree - 1`` random other nodes, one arc in five capped.  Total capacity exceeds total
demand, so every instance is feasible.

EV instances: every vehicle has a "home" station it can reach with enough power (so the
instance is feasible), other pairs are reachable or not as distances fall; ``stranded`` makes
one vehicle unable to reach any station (an infeasible instance).
"""
from __future__ import annotations

import numpy as np


def trading_instance(nodes: int, seed: int, *, out_degree: int = 10,
                     objective: str = "standard") -> dict:
    rng = np.random.default_rng([seed, nodes])
    cap = rng.integers(0, 401, nodes) / 4
    dem = rng.integers(0, 241, nodes) / 4
    if cap.sum() <= dem.sum():
        cap[0] += dem.sum() - cap.sum() + 1
    degree = min(out_degree, nodes - 1)
    sources, targets = [], []
    for s in range(nodes):
        chosen = {(s + 1) % nodes}
        while len(chosen) < degree:
            t = int(rng.integers(nodes))
            if t != s:
                chosen.add(t)
        sources += [s] * degree
        targets += sorted(chosen)
    ring = np.array([t == (s + 1) % nodes for s, t in zip(sources, targets)])
    capped = (rng.random(len(sources)) < 0.2) & ~ring
    arc_cap = np.where(capped, rng.integers(0, 81, len(sources)) / 4, np.nan)
    ids = [f"n{k}" for k in range(nodes)]
    return {"objective": objective,
            "nodes": {"node_id": ids, "capacity_kwh": cap.tolist(), "demand_kwh": dem.tolist(),
                      "generation_cost_per_kwh": (rng.integers(5, 40, nodes) / 100).tolist()},
            "arcs": {"source": [ids[s] for s in sources], "target": [ids[t] for t in targets],
                     "transfer_cost_per_kwh": (rng.integers(0, 6, len(sources)) / 100).tolist(),
                     "capacity_kwh": [None if np.isnan(c) else float(c) for c in arc_cap]}}


def ev_instance(vehicles: int, stations: int, seed: int, *, stranded: bool = False) -> dict:
    if stations < vehicles:
        raise ValueError(f"stations ({stations}) must be at least vehicles ({vehicles})")
    rng = np.random.default_rng([seed, vehicles, stations])
    battery = rng.integers(30, 90, vehicles).astype(float)
    charge = np.floor(battery * rng.uniform(0.2, 1.0, vehicles))
    use = rng.choice([0.12, 0.15, 0.18, 0.2], vehicles)
    power = rng.integers(20, 151, stations).astype(float)
    dist = np.round(rng.uniform(0, 150, (vehicles, stations)), 1)
    home = rng.permutation(stations)[:vehicles]
    for i, j in enumerate(home):               # a reachable, strong-enough home station
        dist[i, j] = np.floor(10 * charge[i] / use[i] * rng.uniform(0, 1)) / 10
        power[j] = max(power[j], battery[i])
    if stranded:
        charge[0] = 0.0
        dist[0, :] = np.maximum(dist[0, :], 1.0)
    return {"vehicles": {"vehicle_id": [f"v{i}" for i in range(vehicles)],
                         "max_charge_kwh": battery.tolist(), "current_charge_kwh": charge.tolist(),
                         "use_kwh_per_km": use.tolist()},
            "stations": {"station_id": [f"s{j}" for j in range(stations)],
                         "max_power_kw": power.tolist(),
                         "distribution_cost": (rng.integers(1, 30, stations) / 2).tolist()},
            "distances_km": dist.tolist()}
