"""The min-cost-flow worker process: OR-Tools ``SimpleMinCostFlow`` behind a pipe.

Run as ``python -m reference_impl.adapters.flow_worker``.  It imports numpy and OR-Tools only
(never PuLP or highspy: OR-Tools and highspy each bundle HiGHS and clash in one process), reads
requests from stdin and answers on stdout until stdin closes.

Wire format (both directions), one message = a count line then that many arrays, each array a
header line ``<dtype> <length>`` followed by exactly ``itemsize * length`` raw little-endian
bytes.  Requests carry five arrays: tails (int32), heads (int32), capacities (int64), unit
costs (int64), supplies (int64, one per node).  Answers carry two: ``[status, optimal_cost]``
(int64) and the flow per arc (int64, empty unless OPTIMAL).  No pickle: nothing received is
ever executed.
"""
from __future__ import annotations

import sys
from typing import BinaryIO

import numpy as np

_DTYPES = {"<i4": np.dtype("<i4"), "<i8": np.dtype("<i8")}


def write_arrays(stream: BinaryIO, arrays) -> None:
    """Frame ``arrays`` (int32/int64 vectors) onto ``stream`` and flush."""
    stream.write(f"{len(arrays)}\n".encode())
    for array in arrays:
        array = np.ascontiguousarray(array)
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        array = array.astype(dtype, copy=False)
        stream.write(f"{dtype.str} {array.size}\n".encode())
        stream.write(array.tobytes())
    stream.flush()


def read_arrays(stream: BinaryIO) -> list[np.ndarray] | None:
    """Read one framed message; None at a clean end of stream.

    Raises:
        ValueError: the frame is malformed (names what was wrong).
    """
    line = stream.readline()
    if not line:
        return None
    try:
        count = int(line)
    except ValueError:
        raise ValueError(f"frame: expected an array count, got {line[:40]!r}") from None
    arrays = []
    for position in range(count):
        header = stream.readline().split()
        if len(header) != 2 or header[0].decode() not in _DTYPES:
            raise ValueError(f"frame: array {position} header {header!r} is not '<dtype> <n>'")
        dtype, size = _DTYPES[header[0].decode()], int(header[1])
        raw = stream.read(dtype.itemsize * size)
        if len(raw) != dtype.itemsize * size:
            raise ValueError(f"frame: array {position} ended after {len(raw)} bytes")
        arrays.append(np.frombuffer(raw, dtype=dtype))
    return arrays


def solve(tails, heads, capacities, unit_costs, supplies) -> tuple[int, int, np.ndarray]:
    """One min-cost flow by OR-Tools; returns (status, optimal cost, flows)."""
    from ortools.graph.python import min_cost_flow

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        return int(status), 0, np.zeros(0, np.int64)
    flows = np.asarray(smcf.flows(np.arange(len(tails), dtype=np.int32)), dtype=np.int64)
    return int(status), int(smcf.optimal_cost()), flows


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_arrays(stdin)) is not None:
        if len(request) != 5:
            raise ValueError(f"request: expected 5 arrays, got {len(request)}")
        status, cost, flows = solve(*request)
        write_arrays(stdout, [np.array([status, cost], np.int64), flows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
