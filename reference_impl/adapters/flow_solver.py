"""Solving the trading LP as a min-cost flow, with OR-Tools in a worker process.

What this module owns: one long-lived worker process per broker process (started on first use,
reused, stopped at exit) running ``reference_impl.adapters.flow_worker``, the memory file it
shares with that worker, and ``FlowSolver.solve(network, objective)``, the broker's clearing
path.  Why a process: OR-Tools and highspy (which PuLP loads on import) each bundle HiGHS, and
loading both in one process fails with undefined symbols whichever comes first.

Rules:
* The network is scaled to integers by ``core.flow.integer_flow`` (proof of exactness there);
  a network that cannot be scaled exactly (amounts with more than six decimals, or an int64
  overflow) is solved by the PuLP/HiGHS LP of ``core.trading`` instead, and the plan's
  ``solver_status`` says which path ran.
* The instance's arrays go to the worker through an anonymous shared memory file (``memfd``;
  an unlinked temporary file where there is none) that the worker inherits at start and maps
  read-only; the pipe carries only the sizes and, back, the arcs with non-zero flow
  (``flow_worker`` explains why).  The file is sized to the largest instance so far and
  released by ``close``.
* A worker that dies or answers garbage raises ``FlowSolverError``; the next call starts a
  fresh worker on the same file.  Calls are serialised by a lock (the HTTP service is
  threaded), so the worker never reads the file while it is being written.
"""
from __future__ import annotations

import atexit
import mmap
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from ..core import trading
from ..core.flow import IntegerFlow, NotIntegral, integer_flow, plan_from_flows
from ..core.flow_arrays import FlowArrays
from .flow_worker import layout, read_arrays, write_arrays

_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the reference_impl package
_MIN_SHARED_BYTES = 1 << 16


class FlowSolverError(RuntimeError):
    """The min-cost-flow worker failed (not a property of the market)."""


def _memory_file() -> int:
    """A file descriptor of an anonymous memory file (no path, so nothing to clean up)."""
    if hasattr(os, "memfd_create"):  # Linux: RAM-backed, close-on-exec (pass_fds hands it over)
        return os.memfd_create("trading-flow", os.MFD_CLOEXEC)
    with tempfile.TemporaryFile() as handle:  # elsewhere: an unlinked temporary file
        return os.dup(handle.fileno())


class FlowSolver:
    """A client of one ``flow_worker`` process and the memory file they share."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._map: mmap.mmap | None = None

    def _worker(self) -> subprocess.Popen:
        if self._fd is None:
            self._fd = _memory_file()
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "reference_impl.adapters.flow_worker", str(self._fd)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_ROOT, pass_fds=(self._fd,))
        return self._proc

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id (benchmarks read its CPU time), else None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def _shared(self, needed: int) -> mmap.mmap:
        """The shared mapping, grown (doubling: untouched pages of the file cost nothing) to at
        least ``needed`` bytes."""
        if self._map is None or len(self._map) < needed:
            size = max(needed, _MIN_SHARED_BYTES, 2 * len(self._map) if self._map else 0)
            os.ftruncate(self._fd, size)
            if self._map is not None:
                self._map.close()
            self._map = mmap.mmap(self._fd, size)
        return self._map

    def solve_integer(self, instance: IntegerFlow) -> tuple[int, np.ndarray, np.ndarray]:
        """Solve one scaled instance in the worker.

        Returns:
            (status code, indices of the arcs that carry flow, their int64 flows).
        Raises:
            FlowSolverError: the worker died or its answer is malformed.
        """
        arcs, nodes = len(instance.tails), len(instance.supplies)
        slots, needed = layout(arcs, nodes)
        with self._lock:
            proc = self._worker()
            shared = self._shared(needed)
            for name, dtype, offset, count in slots:
                np.frombuffer(shared, dtype=dtype, count=count, offset=offset)[:] = getattr(instance, name)
            try:
                write_arrays(proc.stdin, [np.array([arcs, nodes], np.int64)])
                answer = read_arrays(proc.stdout)
            except (OSError, ValueError) as exc:
                self._stop(proc)
                raise FlowSolverError(f"min-cost-flow worker failed: {exc}") from exc
            if answer is None or len(answer) != 3 or answer[0].size != 2:
                self._stop(proc)
                raise FlowSolverError("min-cost-flow worker ended without an answer "
                                      f"(exit code {proc.poll()})")
            status, used, flows = answer
            if used.size != flows.size or (used.size and not (0 <= used.min() and used.max() < arcs)):
                self._stop(proc)
                raise FlowSolverError(f"min-cost-flow worker answered {used.size} arc indices "
                                      f"for {flows.size} flows, or an index outside 0..{arcs - 1}")
        return int(status[0]), used, flows

    def solve(self, network: trading.TradingNetwork | FlowArrays,
              objective: trading.Objective = trading.Objective.STANDARD) -> trading.TradingPlan:
        """Clear ``network`` at least cost (seed 004 §5.1) by min-cost flow.

        Args:
            network: nodes and arcs, as objects or as columns (``FlowArrays``).
            objective: ``Objective.STANDARD`` (default) or ``Objective.SEED``.
        Returns:
            The ``TradingPlan`` (``solver_status`` starts with "ortools" on the flow path).
        Raises:
            TradingModelError: bad network or objective.
            FlowSolverError: the worker failed.
        """
        try:
            instance = integer_flow(network, objective)
        except NotIntegral as why:
            if isinstance(network, FlowArrays):
                network = network.network()
            plan = trading.solve_trading(network, objective)
            return trading.TradingPlan(**{**plan.__dict__,
                                          "solver_status": f"{plan.solver_status} (LP: {why})"})
        status, used, flows = self.solve_integer(instance)
        return plan_from_flows(instance, status, flows, arcs=used)

    def _stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.kill()  # only our own worker
        proc.wait()
        self._proc = None

    def close(self) -> None:
        """Stop the worker (it also ends by itself when its stdin closes) and release the
        shared memory file."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                try:
                    proc.stdin.close()
                    proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
            if self._map is not None:
                self._map.close()
                self._map = None
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


_SHARED: FlowSolver | None = None
_SHARED_LOCK = threading.Lock()


def shared_solver() -> FlowSolver:
    """The process-wide solver (one worker per process), stopped at interpreter exit."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = FlowSolver()
            atexit.register(_SHARED.close)
        return _SHARED


def solve_trading_flow(network: trading.TradingNetwork | FlowArrays,
                       objective: trading.Objective = trading.Objective.STANDARD
                       ) -> trading.TradingPlan:
    """``shared_solver().solve(network, objective)``: the broker's clearing solver."""
    return shared_solver().solve(network, objective)
