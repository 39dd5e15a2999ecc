"""Solving the trading LP as a min-cost flow, with OR-Tools in a worker process.

What this module owns: one long-lived worker process per broker process (started on first use,
reused, stopped at exit) running ``reference_impl.adapters.flow_worker``, and
``FlowSolver.solve(network, objective)``, the broker's clearing path.  Why a process: OR-Tools
and highspy (which PuLP loads on import) each bundle HiGHS, and loading both in one process
fails with undefined symbols whichever comes first.

Rules:
* The network is scaled to integers by ``core.flow.integer_flow`` (proof of exactness there);
  a network that cannot be scaled exactly (amounts with more than six decimals, or an int64
  overflow) is solved by the PuLP/HiGHS LP of ``core.trading`` instead, and the plan's
  ``solver_status`` says which path ran.
* A worker that dies or answers garbage raises ``FlowSolverError``; the next call starts a
  fresh worker.  Calls are serialised by a lock (the HTTP service is threaded).
"""
from __future__ import annotations

import atexit
import subprocess
import sys
import threading
from pathlib import Path

from ..core import trading
from ..core.flow import IntegerFlow, NotIntegral, integer_flow, plan_from_flows
from ..core.flow_arrays import FlowArrays
from .flow_worker import read_arrays, write_arrays

_ROOT = Path(__file__).resolve().parents[2]  # the directory holding the reference_impl package


class FlowSolverError(RuntimeError):
    """The min-cost-flow worker failed (not a property of the market)."""


class FlowSolver:
    """A client of one ``flow_worker`` process."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def _worker(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "reference_impl.adapters.flow_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_ROOT)
        return self._proc

    def solve_integer(self, instance: IntegerFlow) -> tuple[int, object]:
        """Send one scaled instance to the worker; returns (status code, int64 flows).

        Raises:
            FlowSolverError: the worker died or its answer is malformed.
        """
        with self._lock:
            proc = self._worker()
            try:
                write_arrays(proc.stdin, [instance.tails, instance.heads, instance.capacities,
                                          instance.unit_costs, instance.supplies])
                answer = read_arrays(proc.stdout)
            except (OSError, ValueError) as exc:
                self._stop(proc)
                raise FlowSolverError(f"min-cost-flow worker failed: {exc}") from exc
            if answer is None or len(answer) != 2 or answer[0].size != 2:
                self._stop(proc)
                raise FlowSolverError("min-cost-flow worker ended without an answer "
                                      f"(exit code {proc.poll()})")
        return int(answer[0][0]), answer[1]

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
        status, flows = self.solve_integer(instance)
        return plan_from_flows(instance, status, flows)

    def _stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            proc.kill()  # only our own worker
        proc.wait()
        self._proc = None

    def close(self) -> None:
        """Stop the worker (it also ends by itself when its stdin closes)."""
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
