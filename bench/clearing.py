"""Benchmark of the trading LP (reference_impl.core.trading, seed 004 §5.1).

Generates seeded, feasible instances and times model building (PuLP) and
solving (HiGHS in-process by default) separately, then cross-checks the
objective with networkx network simplex on the same min-cost flow.

Instances (integer data so both solvers see exactly the same numbers):
  * n <= 1000: DENSE, every ordered pair of nodes is an arc (n*(n-1) arcs).
  * n >  1000: SPARSE, each node has 10 out-arcs: one to its ring successor
    (keeps the graph strongly connected, hence feasible) and 9 to random others.
  Capacities 0..100, demands 0..60, generation costs 1..20, transfer costs
  1..10; node 0 is topped up if total capacity would not exceed total demand.

Each size's LP runs in a fresh spawned process so ``ru_maxrss`` (a
process-lifetime peak) belongs to that size alone.  The networkx oracle runs in
another spawned process that rebuilds the same seeded instance and is killed
after ``--nx-timeout`` seconds (pure-Python network simplex on the dense
1,000-node graph can take far longer than the LP).  ``--repeat`` applies to
sizes <= 1000; larger sizes run once.
Usage: python bench/clearing.py [--sizes 10,100,1000,10000] [--repeat 3]
                                [--solver highs|highs-simplex|cbc]
                                [--objective standard|seed]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import random
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

try:
    from reference_impl.core import trading
except ModuleNotFoundError:  # run as a script from the checkout: python bench/clearing.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from reference_impl.core import trading

DENSE_MAX_NODES = 1000
SPARSE_OUT_DEGREE = 10


def make_instance(n: int, seed: int) -> trading.TradingNetwork:
    """Seeded feasible instance: dense for n <= 1000, 10 out-arcs per node above."""
    rng = random.Random(seed * 1_000_003 + n)
    ids = [f"n{k}" for k in range(n)]
    caps = [rng.randint(0, 100) for _ in ids]
    dems = [rng.randint(0, 60) for _ in ids]
    if sum(caps) <= sum(dems):
        caps[0] += sum(dems) - sum(caps) + 1
    nodes = [trading.Node(node_id=i, capacity_kwh=c, demand_kwh=d,
                          generation_cost_per_kwh=rng.randint(1, 20))
             for i, c, d in zip(ids, caps, dems)]
    arcs = []
    if n <= DENSE_MAX_NODES:
        for s in range(n):
            for t in range(n):
                if s != t:
                    arcs.append(trading.Arc(source=ids[s], target=ids[t],
                                            transfer_cost_per_kwh=rng.randint(1, 10)))
    else:
        for s in range(n):
            targets = {(s + 1) % n}
            while len(targets) < SPARSE_OUT_DEGREE:
                t = rng.randrange(n)
                if t != s:
                    targets.add(t)
            for t in sorted(targets):
                arcs.append(trading.Arc(source=ids[s], target=ids[t],
                                        transfer_cost_per_kwh=rng.randint(1, 10)))
    return trading.TradingNetwork(nodes=tuple(nodes), arcs=tuple(arcs))


def network_simplex(net: trading.TradingNetwork, objective: trading.Objective):
    """Same problem as a networkx min-cost flow; returns (build_s, solve_s, cost)."""
    import networkx as nx  # optional (test extra); only needed for the oracle

    t0 = time.perf_counter()
    g = nx.DiGraph()
    gc_of = {x.node_id: x.generation_cost_per_kwh for x in net.nodes}
    total_c = sum(x.capacity_kwh for x in net.nodes)
    total_d = sum(x.demand_kwh for x in net.nodes)
    g.add_node("__S", demand=-total_c)               # super-source: all capacity
    g.add_node("__T", demand=total_c - total_d)      # sink: unused capacity
    g.add_edge("__S", "__T", weight=0)
    standard = objective is trading.Objective.STANDARD
    for x in net.nodes:
        g.add_node(x.node_id, demand=x.demand_kwh)
        g.add_edge("__S", x.node_id, capacity=x.capacity_kwh,
                   weight=x.generation_cost_per_kwh if standard else 0)
    g.add_edges_from(
        (a.source, a.target,
         {"weight": a.transfer_cost_per_kwh * (1 if standard else gc_of[a.source])})
        for a in net.arcs)
    t1 = time.perf_counter()
    cost, _ = nx.network_simplex(g)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, float(cost)


def run_lp(n: int, repeat: int, solver: str, objective: str, seed: int) -> dict:
    """Time build and solve of one size (meant to run in its own process)."""
    obj = trading.Objective(objective)
    t0 = time.perf_counter()
    net = make_instance(n, seed)
    gen_s = time.perf_counter() - t0
    runs = repeat if n <= DENSE_MAX_NODES else 1
    builds, solves, values, status = [], [], [], ""
    for _ in range(runs):
        t0 = time.perf_counter()
        model = trading.build_model(net, obj)
        t1 = time.perf_counter()
        plan = trading.solve_model(model, solver)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        solves.append(t2 - t1)
        values.append(plan.objective_value)
        status = plan.status
        del model, plan
        gc.collect()
    return {
        "nodes": n, "arcs": len(net.arcs),
        "kind": "dense" if n <= DENSE_MAX_NODES else "sparse",
        "runs": runs, "gen_s": gen_s, "status": status,
        "build_s": statistics.median(builds), "solve_s": statistics.median(solves),
        "objective": values[-1],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "nx": None,
    }


def run_nx(n: int, objective: str, seed: int):
    """Regenerate the same instance and solve it with network simplex."""
    return network_simplex(make_instance(n, seed), trading.Objective(objective))


def _nx_child(conn, n: int, objective: str, seed: int) -> None:
    try:
        conn.send(("ok", run_nx(n, objective, seed)))
    except Exception as exc:  # report, do not hang the parent
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def run_nx_with_timeout(n: int, objective: str, seed: int, timeout_s: float):
    """Run the oracle in a spawned process; kill it after ``timeout_s`` seconds."""
    ctx = multiprocessing.get_context("spawn")
    parent_end, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_nx_child, args=(child_end, n, objective, seed))
    proc.start()
    child_end.close()
    try:
        if parent_end.poll(timeout_s):
            kind, payload = parent_end.recv()
            return payload if kind == "ok" else f"error: {payload}"
        return f"timeout>{timeout_s:g}s"
    except EOFError:
        return "error: oracle process died"
    finally:
        if proc.is_alive():
            proc.kill()  # only the oracle process started just above
        proc.join()
        parent_end.close()


def format_row(r: dict) -> str:
    obj = "-" if r["objective"] is None else f"{r['objective']:.6g}"
    if r["nx"] is None:
        nx_part = f"{'skipped':>10} {'':>9} {'':>12} {'':>9}"
    elif isinstance(r["nx"], str):
        nx_part = f"{r['nx']:>10}"
    else:
        b, s, c = r["nx"]
        rel = abs(r["objective"] - c) / max(1.0, abs(c))
        nx_part = f"{b:10.3f} {s:9.3f} {c:12.6g} {rel:9.1e}"
    return (f"{r['nodes']:>6} {r['arcs']:>8} {r['kind']:>6} {r['runs']:>4} "
            f"{r['gen_s']:7.2f} {r['build_s']:8.3f} {r['solve_s']:8.3f} "
            f"{r['status']:>8} {obj:>12} {r['rss_mb']:8.0f} {nx_part}")


HEADER = (f"{'nodes':>6} {'arcs':>8} {'kind':>6} {'runs':>4} {'gen_s':>7} "
          f"{'build_s':>8} {'solve_s':>8} {'status':>8} {'objective':>12} "
          f"{'rss_MB':>8} {'nx_build_s':>10} {'nx_solve_s':>9} {'nx_objective':>12} "
          f"{'rel_diff':>9}")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark the seed 004 §5.1 trading LP (PuLP build, HiGHS solve) "
                    "against networkx network simplex.")
    p.add_argument("--sizes", default="10,100,1000,10000",
                   help="comma-separated node counts; <=1000 dense, >1000 sparse "
                        "(default: %(default)s)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per size for sizes <= 1000, median reported; larger "
                        "sizes run once (default: %(default)s)")
    p.add_argument("--solver", choices=("highs", "highs-simplex", "cbc"), default="highs",
                   help="highs = in-process HiGHS interior point + crossover (broker); "
                        "highs-simplex = in-process HiGHS default dual simplex; "
                        "cbc = PuLP CBC, temp files, comparison only "
                        "(default: %(default)s)")
    p.add_argument("--objective", choices=("standard", "seed"), default="standard",
                   help="LP objective (default: %(default)s)")
    p.add_argument("--seed", type=int, default=4, help="instance seed (default: %(default)s)")
    p.add_argument("--nx-max-nodes", type=int, default=10_000,
                   help="run the networkx oracle up to this many nodes "
                        "(default: %(default)s)")
    p.add_argument("--nx-timeout", type=float, default=300.0,
                   help="seconds allowed for each networkx oracle run before it is "
                        "killed and reported as a timeout (default: %(default)s)")
    p.add_argument("--no-isolate", action="store_true",
                   help="run all sizes and the oracle in this process (rss_MB then is a "
                        "running peak; no oracle timeout)")
    args = p.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        p.error("--sizes must be comma-separated integers")
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1:
        p.error("--sizes must be positive and --repeat >= 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from importlib.metadata import version
    print(f"trading LP benchmark: solver={args.solver} objective={args.objective} "
          f"seed={args.seed} python={sys.version.split()[0]} pulp={version('pulp')} "
          f"highspy={version('highspy')} networkx={version('networkx')}")
    rss = ("running peak RSS of this process" if args.no_isolate else
           "peak RSS of the size's own process")
    print("times in seconds, medians over 'runs'; gen = instance generation (not "
          "timed in build); build = PuLP model; solve = PuLP->solver transfer + solve "
          f"+ read-back; rss_MB = {rss} after the LP runs (networkx excluded); "
          "rel_diff = |LP - nx| / max(1, |nx|)")
    print(HEADER, flush=True)
    for n in args.sizes:
        call = (n, args.repeat, args.solver, args.objective, args.seed)
        if args.no_isolate:
            row = run_lp(*call)
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
                row = pool.submit(run_lp, *call).result()
        if n <= args.nx_max_nodes and row["status"] == "optimal":
            if args.no_isolate:
                row["nx"] = run_nx(n, args.objective, args.seed)
            else:
                row["nx"] = run_nx_with_timeout(n, args.objective, args.seed,
                                                args.nx_timeout)
        print(format_row(row), flush=True)
    if any(n > args.nx_max_nodes for n in args.sizes):
        print(f"networkx oracle skipped above {args.nx_max_nodes} nodes "
              "(pure-Python network simplex; raise --nx-max-nodes to run it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
