"""City-scale clearing benchmark (issue 7): our solvers against the specialised reference
solver on the same generated instances, as ratios, in one run.

Rows
----
* trading, 1,000 nodes dense (999,000 arcs) and 10,000 nodes sparse (10 out-arcs per node):
  ours = ``reference_impl.adapters.flow_solver.FlowSolver.solve`` from the columns
  (``FlowArrays``: validation, scaling to integers, the pipe to the worker process, OR-Tools
  in the worker, reading back into a ``TradingPlan``; the worker is started before timing, as
  the broker keeps it running); reference = OR-Tools ``SimpleMinCostFlow`` alone on the same
  arrays in a clean process (arc loading + solve).  Objectives must agree within 1e-6
  relative.  Also printed: our time from a ``TradingNetwork`` of Python objects (the
  conversion of a million ``Arc`` objects costs more than the solve).
* EV assignment, 1,000 vehicles x 1,000 stations: ours = ``EvInstance`` validation + eq. (8)
  cost matrix + ``solve_assignment``; reference = ``scipy.optimize.linear_sum_assignment`` on
  the ready cost matrix.

Every measurement runs in its own spawned process so ``ru_maxrss`` (a lifetime peak) belongs to
it alone; OR-Tools never shares a process with highspy (PuLP imports it), which would fail.
This module therefore imports nothing from ``reference_impl`` at the top: the generators are
numpy only.  Times are medians over ``--repeat`` runs.

Usage: python bench/city_scale.py [--repeat 3] [--seed 7] [--only trading-dense,trading-sparse,ev]
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # run as a script from the checkout
    sys.path.insert(0, str(_ROOT))

SPARSE_OUT_DEGREE = 10
CASES = {"trading-dense": ("trading", 1000, "dense"), "trading-sparse": ("trading", 10_000, "sparse"),
         "ev": ("ev", 1000, "")}


def trading_arrays(n: int, kind: str, seed: int) -> dict:
    """Seeded feasible trading instance as arrays (integer data, like bench/clearing.py)."""
    rng = np.random.default_rng([seed, n])
    cap = rng.integers(0, 101, n)
    dem = rng.integers(0, 61, n)
    if cap.sum() <= dem.sum():
        cap[0] += dem.sum() - cap.sum() + 1
    gen = rng.integers(1, 21, n)
    if kind == "dense":
        tails, heads = np.nonzero(~np.eye(n, dtype=bool))
    else:  # a ring (so every node is reachable) plus 9 random distinct targets per node
        tails_l, heads_l = [], []
        for s in range(n):
            targets = {(s + 1) % n}
            while len(targets) < SPARSE_OUT_DEGREE:
                t = int(rng.integers(n))
                if t != s:
                    targets.add(t)
            tails_l += [s] * SPARSE_OUT_DEGREE
            heads_l += sorted(targets)
        tails, heads = np.array(tails_l), np.array(heads_l)
    transfer = rng.integers(1, 11, len(tails))
    return {"cap": cap, "dem": dem, "gen": gen, "tails": tails.astype(np.int32),
            "heads": heads.astype(np.int32), "transfer": transfer}


def ev_arrays(n: int, seed: int) -> dict:
    """n vehicles x n stations; about 1 pair in 10 is out of reach or under-powered."""
    rng = np.random.default_rng([seed, n, 5])
    battery = rng.integers(30, 90, n).astype(float)
    return {"battery": battery, "charge": np.floor(battery * rng.uniform(0.2, 1.0, n)),
            "use": rng.choice([0.12, 0.15, 0.18, 0.2], n), "power": rng.integers(50, 151, n),
            "dc": rng.integers(1, 30, n) / 2, "dist": np.rint(rng.uniform(0, 150, (n, n)))}


def _peak_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def ours_trading(n: int, kind: str, seed: int, repeat: int) -> dict:
    """Our path from columns (FlowArrays: validation, scaling, pipe, OR-Tools, read-back), and
    for information the same from a TradingNetwork of objects."""
    from reference_impl.adapters.flow_solver import FlowSolver
    from reference_impl.core.flow_arrays import FlowArrays
    from reference_impl.core.trading import Node, TradingNetwork
    a = trading_arrays(n, kind, seed)
    ids = tuple(f"n{k}" for k in range(n))
    warm_up = TradingNetwork(nodes=(Node(node_id="w", capacity_kwh=1, demand_kwh=0,
                                         generation_cost_per_kwh=1),), arcs=())

    def columns() -> FlowArrays:
        return FlowArrays(node_ids=ids, capacity_kwh=a["cap"], demand_kwh=a["dem"],
                          generation_cost_per_kwh=a["gen"], source=a["tails"], target=a["heads"],
                          transfer_cost_per_kwh=a["transfer"],
                          arc_capacity_kwh=np.full(len(a["tails"]), np.nan))
    solver = FlowSolver()
    t0 = time.perf_counter()
    solver.solve(warm_up)  # start the worker
    startup = time.perf_counter() - t0
    times, plan = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = solver.solve(columns())
        times.append(time.perf_counter() - t0)
    net = columns().network()
    object_times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        by_objects = solver.solve(net)
        object_times.append(time.perf_counter() - t0)
    solver.close()
    assert by_objects.objective_value == plan.objective_value
    return {"time_s": statistics.median(times), "objects_s": statistics.median(object_times),
            "objective": plan.objective_value, "status": plan.status, "rss_mb": _peak_mb(),
            "worker_rss_mb": _peak_mb(resource.RUSAGE_CHILDREN), "startup_s": startup,
            "arcs": len(a["tails"])}


def reference_trading(n: int, kind: str, seed: int, repeat: int) -> dict:
    from ortools.graph.python import min_cost_flow
    a = trading_arrays(n, kind, seed)
    total = int(a["cap"].sum())
    times, solve_times, cost = [], [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        smcf = min_cost_flow.SimpleMinCostFlow()
        smcf.add_arcs_with_capacity_and_unit_cost(a["tails"], a["heads"],
                                                  np.full(len(a["tails"]), total, np.int64),
                                                  a["transfer"].astype(np.int64))
        smcf.add_arcs_with_capacity_and_unit_cost(np.full(n, n, np.int32),
                                                  np.arange(n, dtype=np.int32),
                                                  a["cap"].astype(np.int64), a["gen"].astype(np.int64))
        smcf.add_arc_with_capacity_and_unit_cost(n, n + 1, total, 0)
        smcf.set_nodes_supplies(np.arange(n + 2, dtype=np.int32),
                                np.concatenate([-a["dem"], [total, -(total - a["dem"].sum())]])
                                .astype(np.int64))
        t1 = time.perf_counter()
        status = smcf.solve()
        t2 = time.perf_counter()
        times.append(t2 - t0)
        solve_times.append(t2 - t1)
        cost = smcf.optimal_cost() if status == smcf.OPTIMAL else None
    return {"time_s": statistics.median(times), "solve_s": statistics.median(solve_times),
            "objective": cost, "rss_mb": _peak_mb()}


def ours_ev(n: int, seed: int, repeat: int) -> dict:
    from reference_impl.core.ev_charging import EvInstance, Station, Vehicle, solve_assignment
    a = ev_arrays(n, seed)
    vehicles = tuple(Vehicle(vehicle_id=f"v{i}", max_charge_kwh=float(b), current_charge_kwh=float(c),
                             use_kwh_per_km=float(u))
                     for i, (b, c, u) in enumerate(zip(a["battery"], a["charge"], a["use"])))
    stations = tuple(Station(station_id=f"s{j}", max_power_kw=float(p), distribution_cost=float(d))
                     for j, (p, d) in enumerate(zip(a["power"], a["dc"])))
    times, plan = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = solve_assignment(EvInstance(vehicles, stations, a["dist"]))
        times.append(time.perf_counter() - t0)
    return {"time_s": statistics.median(times), "objective": plan.total_cost,
            "status": plan.status, "rss_mb": _peak_mb(), "allowed_share": None}


def reference_ev(n: int, seed: int, repeat: int) -> dict:
    from scipy.optimize import linear_sum_assignment
    a = ev_arrays(n, seed)
    travel = a["use"][:, None] * a["dist"]
    allowed = (travel <= a["charge"][:, None]) & (a["battery"][:, None] <= a["power"][None, :])
    cost = np.where(allowed, a["dc"][None, :] + travel, np.inf)
    times, value = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows, cols = linear_sum_assignment(cost)
        times.append(time.perf_counter() - t0)
        value = float(cost[rows, cols].sum())
    return {"time_s": statistics.median(times), "objective": value, "rss_mb": _peak_mb(),
            "allowed_share": float(allowed.mean())}


def _isolated(func, *args):
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(func, *args).result()


def run_case(name: str, seed: int, repeat: int) -> dict:
    family, n, kind = CASES[name]
    if family == "trading":
        ours = _isolated(ours_trading, n, kind, seed, repeat)
        ref = _isolated(reference_trading, n, kind, seed, repeat)
        label, ref_name = f"trading {n:,} {kind} ({ours['arcs']:,} arcs)", "OR-Tools SimpleMinCostFlow"
    else:
        ours = _isolated(ours_ev, n, seed, repeat)
        ref = _isolated(reference_ev, n, seed, repeat)
        label, ref_name = f"EV {n:,} x {n:,} ({ref['allowed_share']:.0%} pairs allowed)", \
            "scipy linear_sum_assignment"
    rel = abs(ours["objective"] - ref["objective"]) / max(1.0, abs(ref["objective"]))
    return {"label": label, "ref_name": ref_name, "ours": ours, "ref": ref, "rel": rel,
            "ratio": ours["time_s"] / ref["time_s"]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="runs per case, median (default 3)")
    p.add_argument("--seed", type=int, default=7, help="instance seed (default 7)")
    p.add_argument("--only", default=",".join(CASES), help="comma-separated cases")
    args = p.parse_args(argv)
    names = [c for c in args.only.split(",") if c]
    unknown = [c for c in names if c not in CASES]
    if unknown or args.repeat < 1:
        p.error(f"--only takes {sorted(CASES)}; --repeat >= 1 (got {unknown}, {args.repeat})")
    from importlib.metadata import version
    print(f"city-scale clearing: seed={args.seed} repeat={args.repeat} (medians) "
          f"python={sys.version.split()[0]} ortools={version('ortools')} scipy={version('scipy')} "
          f"numpy={version('numpy')}")
    print("ours_s = our path end to end (trading: from columns; EV: from Vehicle/Station objects); ref_s = reference solver from "
          "ready arrays; ratio = ours_s / ref_s (target <= 2); rel = |ours - ref| / max(1, ref) "
          "(target <= 1e-6); RSS = peak of each process")
    print(f"{'case':<44} {'ours_s':>8} {'ref_s':>8} {'ratio':>6} {'rel':>8} {'ours_MB':>8} "
          f"{'worker_MB':>9} {'ref_MB':>7}  reference")
    failures = 0
    for name in names:
        r = run_case(name, args.seed, args.repeat)
        ok = r["ratio"] <= 2.0 and r["rel"] <= 1e-6
        failures += not ok
        worker = r["ours"].get("worker_rss_mb")
        print(f"{r['label']:<44} {r['ours']['time_s']:8.3f} {r['ref']['time_s']:8.3f} "
              f"{r['ratio']:6.2f} {r['rel']:8.1e} {r['ours']['rss_mb']:8.0f} "
              f"{'-' if worker is None else f'{worker:.0f}':>9} {r['ref']['rss_mb']:7.0f}  "
              f"{r['ref_name']}{'' if ok else '  <-- target missed'}", flush=True)
        if "solve_s" in r["ref"]:
            print(f"{'':<44} reference solve alone {r['ref']['solve_s']:.3f} s; ours from "
                  f"TradingNetwork objects {r['ours']['objects_s']:.3f} s "
                  f"(ratio {r['ours']['objects_s'] / r['ref']['time_s']:.2f}); worker start-up "
                  f"(once per process, not timed) {r['ours']['startup_s']:.3f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
