"""City-scale clearing benchmark (issue 7): our solvers against the specialised reference
solver on the same generated instances, as ratios, in one run.

Rows
----
* trading, 1,000 nodes dense (999,000 arcs) and 10,000 nodes sparse (10 out-arcs per node):
  ours = ``reference_impl.adapters.flow_solver.FlowSolver.solve`` from the columns
  (``FlowArrays``: validation, scaling to integers, the hand-over to the worker process
  through their shared memory file, OR-Tools in the worker, the non-zero flows back through
  the pipe, reading back into a ``TradingPlan``; the worker is started before timing, as the
  broker keeps it running); reference = OR-Tools ``SimpleMinCostFlow`` alone on the same
  arrays in a clean process (arc loading + solve).  Objectives must agree within 1e-6
  relative.  Also printed: our time from a ``TradingNetwork`` of Python objects (the
  conversion of a million ``Arc`` objects costs more than the solve).
* EV assignment, 1,000 vehicles x 1,000 stations: ours = ``EvInstance`` validation + eq. (8)
  cost matrix + ``solve_assignment``; reference = ``scipy.optimize.linear_sum_assignment`` on
  the ready cost matrix.

Each side of a case runs in its own long-lived spawned process, so ``ru_maxrss`` (a lifetime
peak) belongs to it alone, and the timed runs alternate between the two sides, so load from
other jobs on the machine falls on both alike; the ratio is the median of the paired ratios.
CPU time (user + system) is printed beside wall time: for ours it is the calling process
plus its worker (read from /proc, one clock tick of resolution), for the reference its own
process; on a shared machine the CPU ratio moves less than the wall-time ratio.
OR-Tools never shares a process with highspy (PuLP imports it), which would fail.
This module therefore imports nothing from ``reference_impl`` at the top: the generators are
numpy only.  Times are medians over ``--repeat`` runs; instance generation is not timed.

Usage: python bench/city_scale.py [--repeat 3] [--seed 7] [--only trading-dense,trading-sparse,ev]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
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


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of another running process (Linux /proc; 0.0 elsewhere).
    The resolution is one clock tick (10 ms)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS   # utime, stime (fields 14, 15)
    except (OSError, IndexError, ValueError, TypeError):
        return 0.0


_STATE: dict = {}   # per process: the instance and solver a side keeps between timed runs


def _ours_trading_state(n: int, kind: str, seed: int) -> dict:
    from reference_impl.adapters.flow_solver import FlowSolver
    from reference_impl.core.flow_arrays import FlowArrays
    from reference_impl.core.trading import Node, TradingNetwork
    a = trading_arrays(n, kind, seed)
    ids = tuple(f"n{k}" for k in range(n))

    def columns() -> FlowArrays:
        return FlowArrays(node_ids=ids, capacity_kwh=a["cap"], demand_kwh=a["dem"],
                          generation_cost_per_kwh=a["gen"], source=a["tails"], target=a["heads"],
                          transfer_cost_per_kwh=a["transfer"],
                          arc_capacity_kwh=np.full(len(a["tails"]), np.nan))
    solver = FlowSolver()
    t0 = time.perf_counter()
    solver.solve(TradingNetwork(nodes=(Node(node_id="w", capacity_kwh=1, demand_kwh=0,
                                            generation_cost_per_kwh=1),), arcs=()))
    return {"solver": solver, "columns": columns, "startup_s": time.perf_counter() - t0,
            "arcs": len(a["tails"]), "objects": None}


def ours_trading(n: int, kind: str, seed: int) -> dict:
    """One timed run of our path from columns (FlowArrays -> TradingPlan)."""
    key = ("ours", n, kind, seed)
    if key not in _STATE:
        _STATE[key] = _ours_trading_state(n, kind, seed)
    st = _STATE[key]
    worker = st["solver"].worker_pid
    c0, w0, t0 = time.process_time(), _cpu_s(worker), time.perf_counter()
    plan = st["solver"].solve(st["columns"]())
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0 + _cpu_s(worker) - w0
    return {"time_s": elapsed, "cpu_s": cpu, "objective": plan.objective_value,
            "status": plan.status, "rss_mb": _peak_mb(), "startup_s": st["startup_s"],
            "arcs": st["arcs"]}


def ours_trading_objects(n: int, kind: str, seed: int) -> float:
    """One timed run from a TradingNetwork of Python objects (for information)."""
    st = _STATE[("ours", n, kind, seed)]
    if st["objects"] is None:
        st["objects"] = st["columns"]().network()
    t0 = time.perf_counter()
    st["solver"].solve(st["objects"])
    return time.perf_counter() - t0


def ours_trading_close(n: int, kind: str, seed: int) -> float:
    """Stop the worker; returns its peak RSS in MB."""
    _STATE.pop(("ours", n, kind, seed))["solver"].close()
    return _peak_mb(resource.RUSAGE_CHILDREN)


def reference_trading(n: int, kind: str, seed: int) -> dict:
    """One timed run of OR-Tools SimpleMinCostFlow on ready arrays (arc loading + solve)."""
    from ortools.graph.python import min_cost_flow
    key = ("ref", n, kind, seed)
    if key not in _STATE:
        _STATE[key] = trading_arrays(n, kind, seed)
    a = _STATE[key]
    total = int(a["cap"].sum())
    c0, t0 = time.process_time(), time.perf_counter()
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(a["tails"], a["heads"],
                                              np.full(len(a["tails"]), total, np.int64),
                                              a["transfer"].astype(np.int64))
    smcf.add_arcs_with_capacity_and_unit_cost(np.full(n, n, np.int32), np.arange(n, dtype=np.int32),
                                              a["cap"].astype(np.int64), a["gen"].astype(np.int64))
    smcf.add_arc_with_capacity_and_unit_cost(n, n + 1, total, 0)
    smcf.set_nodes_supplies(np.arange(n + 2, dtype=np.int32),
                            np.concatenate([-a["dem"], [total, -(total - a["dem"].sum())]])
                            .astype(np.int64))
    t1 = time.perf_counter()
    status = smcf.solve()
    t2 = time.perf_counter()
    return {"time_s": t2 - t0, "solve_s": t2 - t1, "cpu_s": time.process_time() - c0, "rss_mb": _peak_mb(),
            "objective": smcf.optimal_cost() if status == smcf.OPTIMAL else None}


def ours_ev(n: int, seed: int) -> dict:
    """One timed run: EvInstance validation + eq. (8) costs + solve_assignment."""
    from reference_impl.core.ev_charging import EvInstance, Station, Vehicle, solve_assignment
    key = ("ours-ev", n, seed)
    if key not in _STATE:
        a = ev_arrays(n, seed)
        _STATE[key] = (tuple(Vehicle(vehicle_id=f"v{i}", max_charge_kwh=float(b),
                                     current_charge_kwh=float(c), use_kwh_per_km=float(u))
                             for i, (b, c, u) in enumerate(zip(a["battery"], a["charge"], a["use"]))),
                       tuple(Station(station_id=f"s{j}", max_power_kw=float(p), distribution_cost=float(d))
                             for j, (p, d) in enumerate(zip(a["power"], a["dc"]))), a["dist"])
    vehicles, stations, dist = _STATE[key]
    c0, t0 = time.process_time(), time.perf_counter()
    plan = solve_assignment(EvInstance(vehicles, stations, dist))
    return {"time_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
            "objective": plan.total_cost,
            "status": plan.status, "rss_mb": _peak_mb()}


def reference_ev(n: int, seed: int) -> dict:
    """One timed run of scipy's linear_sum_assignment on the ready cost matrix."""
    from scipy.optimize import linear_sum_assignment
    key = ("ref-ev", n, seed)
    if key not in _STATE:
        a = ev_arrays(n, seed)
        travel = a["use"][:, None] * a["dist"]
        allowed = (travel <= a["charge"][:, None]) & (a["battery"][:, None] <= a["power"][None, :])
        _STATE[key] = (np.where(allowed, a["dc"][None, :] + travel, np.inf), float(allowed.mean()))
    cost, share = _STATE[key]
    c0, t0 = time.process_time(), time.perf_counter()
    rows, cols = linear_sum_assignment(cost)
    elapsed = time.perf_counter() - t0
    return {"time_s": elapsed, "cpu_s": time.process_time() - c0, "objective": float(cost[rows, cols].sum()), "rss_mb": _peak_mb(),
            "allowed_share": share}


def run_case(name: str, seed: int, repeat: int) -> dict:
    """Alternate our run and the reference's, each in its own long-lived spawned process, so
    that load from other jobs hits both alike; the ratio is the median of the paired ratios."""
    family, n, kind = CASES[name]
    ctx = multiprocessing.get_context("spawn")
    args = (n, kind, seed) if family == "trading" else (n, seed)
    ours_f, ref_f = (ours_trading, reference_trading) if family == "trading" else (ours_ev, reference_ev)
    with ProcessPoolExecutor(1, mp_context=ctx) as mine, ProcessPoolExecutor(1, mp_context=ctx) as theirs:
        ours_runs, ref_runs = [], []
        for _ in range(repeat):
            ours_runs.append(mine.submit(ours_f, *args).result())
            ref_runs.append(theirs.submit(ref_f, *args).result())
        extra = {}
        if family == "trading":
            extra["objects_s"] = statistics.median(mine.submit(ours_trading_objects, *args).result()
                                                   for _ in range(repeat))
            extra["worker_rss_mb"] = mine.submit(ours_trading_close, *args).result()
    ours = {**ours_runs[-1], **extra, "time_s": statistics.median(r["time_s"] for r in ours_runs)}
    ref = {**ref_runs[-1], "time_s": statistics.median(r["time_s"] for r in ref_runs)}
    if "solve_s" in ref:
        ref["solve_s"] = statistics.median(r["solve_s"] for r in ref_runs)
    ratio = statistics.median(o["time_s"] / r["time_s"] for o, r in zip(ours_runs, ref_runs))
    cpu_ratio = statistics.median(o["cpu_s"] / max(r["cpu_s"], 1e-9) for o, r in zip(ours_runs, ref_runs))
    ours["cpu_s"] = statistics.median(r["cpu_s"] for r in ours_runs)
    ref["cpu_s"] = statistics.median(r["cpu_s"] for r in ref_runs)
    if family == "trading":
        label = f"trading {n:,} {kind} ({ours['arcs']:,} arcs)"
        ref_name = "OR-Tools SimpleMinCostFlow"
    else:
        label = f"EV {n:,} x {n:,} ({ref['allowed_share']:.0%} pairs allowed)"
        ref_name = "scipy linear_sum_assignment"
    rel = abs(ours["objective"] - ref["objective"]) / max(1.0, abs(ref["objective"]))
    return {"label": label, "ref_name": ref_name, "ours": ours, "ref": ref, "rel": rel, "ratio": ratio,
            "cpu_ratio": cpu_ratio}


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
    print("ours_s = our path end to end (trading: from columns; EV: from Vehicle/Station objects); "
          "ref_s = reference solver from ready arrays; runs alternate ours/reference; ratio = median "
          "of the paired ours/ref ratios (target <= 2); rel = |ours - ref| / max(1, ref) "
          "(target <= 1e-6); RSS = peak of each process; cpu = user + system CPU seconds of the "
          "same runs (ours: the calling process plus its worker), cpu_ratio the median of the "
          "paired ratios (less sensitive to other jobs than wall time)")
    print(f"{'case':<44} {'ours_s':>8} {'ref_s':>8} {'ratio':>6} {'rel':>8} {'ours_cpu':>8} "
          f"{'ref_cpu':>8} {'cpu_ratio':>9} {'ours_MB':>8} {'worker_MB':>9} {'ref_MB':>7}  reference")
    failures = 0
    for name in names:
        r = run_case(name, args.seed, args.repeat)
        ok = r["ratio"] <= 2.0 and r["rel"] <= 1e-6
        failures += not ok
        worker = r["ours"].get("worker_rss_mb")
        print(f"{r['label']:<44} {r['ours']['time_s']:8.3f} {r['ref']['time_s']:8.3f} "
              f"{r['ratio']:6.2f} {r['rel']:8.1e} {r['ours']['cpu_s']:8.3f} {r['ref']['cpu_s']:8.3f} "
              f"{r['cpu_ratio']:9.2f} {r['ours']['rss_mb']:8.0f} "
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
