"""The min-cost-flow worker process: OR-Tools ``SimpleMinCostFlow`` behind a pipe and a shared
memory region.

Run as ``python -m reference_impl.adapters.flow_worker <fd>``.  It imports numpy and OR-Tools
only (never PuLP or highspy: OR-Tools and highspy each bundle HiGHS and clash in one process),
reads requests from stdin and answers on stdout until stdin closes.

Why shared memory: a dense 1,000-node market has about a million arcs, 24 MB of arrays.  Sent
through a pipe (64 KiB at a time) they cost the two processes hundreds of context switches per
request, which on a busy machine took longer than the solve.  So the client writes the arrays
into a memory file it shares with the worker (``<fd>``: an anonymous ``memfd`` inherited at
start, no name in any file system, so nothing leaks when either side dies), and the pipe only
carries a small control frame.  The worker maps that file read-only: it can read the instance
but never write into its client's memory.  The file grows (``ftruncate`` by the client) when a
larger instance comes; the worker maps it again when the size it needs exceeds its mapping.

Wire format on the pipe (both directions), one message = a count line then that many arrays,
each array a header line ``<dtype> <length>`` followed by exactly ``itemsize * length`` raw
little-endian bytes.  A request is one int64 array ``[arcs, nodes]``; the instance is then
laid out in the shared file by ``layout(arcs, nodes)``: tails (int32), heads (int32),
capacities (int64), unit costs (int64), supplies (int64, one per node), each at a 64-byte
aligned offset.  An answer carries three arrays: ``[status, optimal_cost]`` (int64), the
indices of the arcs with non-zero flow (int64) and their flows (int64); both empty unless
OPTIMAL.  Only the non-zero flows travel back: an optimal basic flow uses at most
nodes + 1 arcs, whatever the arc count.  No pickle: nothing received is ever executed, and a
frame or layout that does not fit is a ``ValueError`` naming what is wrong (the worker exits;
its client starts a fresh one).
"""
from __future__ import annotations

import mmap
import os
import sys
from typing import BinaryIO

import numpy as np

_DTYPES = {"<i4": np.dtype("<i4"), "<i8": np.dtype("<i8")}
_ALIGN = 64
# (name, dtype, per "arcs" or "nodes"): the order of the instance in the shared file
FIELDS = (("tails", "<i4", "arcs"), ("heads", "<i4", "arcs"), ("capacities", "<i8", "arcs"),
          ("unit_costs", "<i8", "arcs"), ("supplies", "<i8", "nodes"))


def layout(arcs: int, nodes: int) -> tuple[list[tuple[str, np.dtype, int, int]], int]:
    """Where each array of an instance lies in the shared file.

    Returns:
        ``([(name, dtype, offset, count), ...], total bytes)``, offsets 64-byte aligned.
    Raises:
        ValueError: a negative count.
    """
    if arcs < 0 or nodes < 0:
        raise ValueError(f"layout: arcs {arcs} and nodes {nodes} must be >= 0")
    slots, offset = [], 0
    for name, dtype, per in FIELDS:
        dtype = _DTYPES[dtype]
        count = arcs if per == "arcs" else nodes
        slots.append((name, dtype, offset, count))
        offset += -(-dtype.itemsize * count // _ALIGN) * _ALIGN
    return slots, offset


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


def views(buffer, arcs: int, nodes: int) -> dict[str, np.ndarray]:
    """The instance's arrays as views on ``buffer`` (no copy), by ``layout``.

    Raises:
        ValueError: the buffer is smaller than the layout needs (names both sizes).
    """
    slots, total = layout(arcs, nodes)
    if len(buffer) < total:
        raise ValueError(f"shared file: {arcs} arcs and {nodes} nodes need {total} bytes, "
                         f"the mapping has {len(buffer)}")
    return {name: np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
            for name, dtype, offset, count in slots}


def solve(tails, heads, capacities, unit_costs, supplies) -> tuple[int, int, np.ndarray, np.ndarray]:
    """One min-cost flow by OR-Tools; returns (status, optimal cost, arc indices, flows) with
    only the arcs that carry flow."""
    from ortools.graph.python import min_cost_flow

    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
    smcf.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        empty = np.zeros(0, np.int64)
        return int(status), 0, empty, empty
    flows = np.asarray(smcf.flows(np.arange(len(tails), dtype=np.int32)), dtype=np.int64)
    used = np.flatnonzero(flows)
    return int(status), int(smcf.optimal_cost()), used.astype(np.int64), flows[used]


class _SharedFile:
    """The worker's read-only mapping of its client's memory file, remapped when it grows."""

    def __init__(self, fd: int):
        self.fd = fd
        self.map: mmap.mmap | None = None

    def instance(self, arcs: int, nodes: int) -> dict[str, np.ndarray]:
        needed = layout(arcs, nodes)[1]
        if self.map is None or len(self.map) < needed:
            size = os.fstat(self.fd).st_size
            if size < needed:
                raise ValueError(f"shared file: {arcs} arcs and {nodes} nodes need {needed} "
                                 f"bytes, the file has {size}")
            if self.map is not None:
                self.map.close()
            self.map = mmap.mmap(self.fd, size, access=mmap.ACCESS_READ) if size else None
        return views(self.map if self.map is not None else b"", arcs, nodes)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].isdigit():
        raise SystemExit("usage: python -m reference_impl.adapters.flow_worker <shared-fd>")
    shared = _SharedFile(int(argv[0]))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (request := read_arrays(stdin)) is not None:
        if len(request) != 1 or request[0].size != 2:
            raise ValueError(f"request: expected one array [arcs, nodes], got {len(request)} arrays")
        arcs, nodes = (int(v) for v in request[0])
        arrays = shared.instance(arcs, nodes)
        status, cost, used, flows = solve(*(arrays[name] for name, _, _ in FIELDS))
        del arrays  # views on the mapping: none may outlive the request, or it cannot be remapped
        write_arrays(stdout, [np.array([status, cost], np.int64), used, flows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
