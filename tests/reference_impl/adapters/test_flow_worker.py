"""The min-cost-flow worker's shared memory file (issue 7): the instance goes to the worker
through a memory file it maps read-only, only the non-zero flows come back, the file grows
with the instances without restarting the worker, and a worker that answers nonsense is an
error, not a plan."""
from __future__ import annotations

import mmap
import os
import subprocess
import sys

import numpy as np
import pytest

from reference_impl.adapters import flow_worker
from reference_impl.adapters.flow_solver import FlowSolver, FlowSolverError
from reference_impl.core.flow import integer_flow, plan_from_flows
from reference_impl.core.flow_arrays import FlowArrays
from reference_impl.core.trading import Arc, Node, Objective, TradingNetwork, solve_trading


def generated(n: int, seed: int) -> FlowArrays:
    """A complete network of n nodes with whole-number data (seeded)."""
    rng = np.random.default_rng(seed)
    cap, dem = rng.integers(0, 30, n), rng.integers(0, 20, n)
    cap[0] += max(0, int(dem.sum() - cap.sum()) + 1)
    tails, heads = np.nonzero(~np.eye(n, dtype=bool))
    return FlowArrays(node_ids=tuple(f"n{k}" for k in range(n)), capacity_kwh=cap, demand_kwh=dem,
                      generation_cost_per_kwh=rng.integers(1, 20, n), source=tails, target=heads,
                      transfer_cost_per_kwh=rng.integers(1, 10, len(tails)),
                      arc_capacity_kwh=np.where(rng.random(len(tails)) < 0.5, np.nan,
                                                rng.integers(0, 15, len(tails))))


def test_layout_aligns_every_array_and_counts_its_bytes():
    slots, total = flow_worker.layout(3, 2)
    assert [(name, offset, count) for name, _, offset, count in slots] == [
        ("tails", 0, 3), ("heads", 64, 3), ("capacities", 128, 3), ("unit_costs", 192, 3),
        ("supplies", 256, 2)]
    assert total == 320
    with pytest.raises(ValueError, match="arcs -1"):
        flow_worker.layout(-1, 2)


def test_views_refuse_a_mapping_too_small_for_the_sizes_sent():
    with pytest.raises(ValueError, match=r"1000 arcs and 10 nodes need \d+ bytes, the mapping has 64"):
        flow_worker.views(bytearray(64), 1000, 10)


def test_the_worker_maps_the_file_read_only():
    fd = os.memfd_create("test-flow")
    try:
        slots, total = flow_worker.layout(2, 3)
        os.ftruncate(fd, total)
        with mmap.mmap(fd, total) as writer:
            np.frombuffer(writer, np.int32, 2, 0)[:] = [7, 8]
            arrays = flow_worker._SharedFile(fd).instance(2, 3)
            assert arrays["tails"].tolist() == [7, 8]
            assert not arrays["tails"].flags.writeable
            with pytest.raises(ValueError, match="read-only"):
                arrays["tails"][0] = 1
            with pytest.raises(ValueError, match="the file has"):
                flow_worker._SharedFile(fd).instance(2000, 3)
    finally:
        os.close(fd)


def test_sparse_flows_read_back_like_dense_ones():
    inst = integer_flow(generated(6, 3), Objective.SEED)
    dense = np.zeros(len(inst.tails), np.int64)
    dense[[0, 4, len(dense) - 3]] = [5, 2, 9]
    used = np.flatnonzero(dense)
    assert plan_from_flows(inst, 1, dense[used], arcs=used) == plan_from_flows(inst, 1, dense)


def test_the_file_grows_with_the_instances_and_the_worker_stays():
    solver = FlowSolver()
    try:
        small = TradingNetwork(nodes=(Node(node_id="A", capacity_kwh=5, demand_kwh=0, generation_cost_per_kwh=2),
                                      Node(node_id="B", capacity_kwh=0, demand_kwh=3, generation_cost_per_kwh=1)),
                               arcs=(Arc(source="A", target="B", transfer_cost_per_kwh=1),))
        assert solver.solve(small).objective_value == pytest.approx(9.0)
        pid = solver.worker_pid
        for n, seed in ((40, 1), (120, 2), (10, 3)):   # 1,560 then 14,280 arcs, then few again
            columns = generated(n, seed)
            plan = solver.solve(columns)
            lp = solve_trading(columns.network())
            assert plan.status == lp.status == "optimal"
            assert plan.objective_value == pytest.approx(lp.objective_value, rel=1e-6)
        assert solver.worker_pid == pid     # grown in place: the worker mapped it again
    finally:
        solver.close()
    assert solver.worker_pid is None


def test_close_releases_the_memory_file():
    solver = FlowSolver()
    solver.solve(generated(5, 4))
    fd = solver._fd
    solver.close()
    with pytest.raises(OSError):
        os.fstat(fd)


@pytest.mark.parametrize("answer", [
    b"3\n<i8 2\n" + np.array([1, 0], np.int64).tobytes() + b"<i8 1\n" + np.array([10 ** 6], np.int64).tobytes()
    + b"<i8 1\n" + np.array([1], np.int64).tobytes(),                 # an arc that does not exist
    b"3\n<i8 2\n" + np.array([1, 0], np.int64).tobytes() + b"<i8 1\n" + np.array([0], np.int64).tobytes()
    + b"<i8 0\n",                                                      # an index without its flow
])
def test_an_answer_naming_impossible_arcs_is_an_error(answer):
    solver = FlowSolver()
    stand_in = ("import sys; sys.stdin.buffer.readline(); sys.stdin.buffer.readline();"
                f"sys.stdin.buffer.read(16); sys.stdout.buffer.write({answer!r}); sys.stdout.flush()")
    try:
        solver._fd = os.memfd_create("test-flow")
        solver._proc = subprocess.Popen([sys.executable, "-c", stand_in],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        with pytest.raises(FlowSolverError, match="arc indices"):
            solver.solve(generated(4, 5))
        assert solver.solve(generated(4, 5)).status == "optimal"   # a fresh worker took over
    finally:
        solver.close()
