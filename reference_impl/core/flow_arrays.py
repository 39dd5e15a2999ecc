"""A trading network as columns (numpy arrays), validated in bulk: the city-scale input form.

What this module owns
---------------------
``FlowArrays``: the nodes and arcs of seed 004 §5.1 as one array per field, arcs naming their
endpoints by node index.  A 10,000-node network arrives this way from the decision service's
columnar JSON, and the min-cost-flow path (``core.flow``) works on it directly, without a
million ``Arc`` objects; ``from_network`` converts a ``trading.TradingNetwork`` and ``network``
converts back (for the LP fallback).

Rules: the same checks as ``TradingNetwork``/``Node``/``Arc``, done on whole columns: node ids
unique non-empty strings; amounts and costs finite and >= 0 (an arc capacity may be NaN,
meaning unbounded); endpoints valid indices, no arc from a node to itself, one arc per ordered
pair.  A failure raises ``ColumnError`` naming the column and the first bad index
(``pointer``: ``/arcs/transfer_cost_per_kwh/17``).  The checks are whole-column reductions
(min/max; fmin/fmax where NaN is allowed) and look for the first bad index only when one
fails: a dense city network has a million arcs.  A column that already has the right dtype is
kept, not copied: do not change an array after handing it to ``FlowArrays``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .trading import Arc, Node, TradingModelError, TradingNetwork

__all__ = ["ColumnError", "FlowArrays"]


class ColumnError(TradingModelError):
    """Bad column data; ``pointer`` is ``/<table>/<column>[/<index>]``."""

    def __init__(self, pointer: str, message: str):
        self.pointer = pointer
        super().__init__(f"{pointer}: {message}")


def _amounts(table: str, name: str, values, size: int, *, nan_ok: bool = False) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ColumnError(f"/{table}/{name}", "must hold numbers only") from None
    if array.shape != (size,):
        raise ColumnError(f"/{table}/{name}", f"has {array.size} entries, expected {size}")
    if not size:
        return array
    # Fast path, two reductions and no temporaries (a column may hold a million arcs): fmin/fmax
    # skip NaN, min/max propagate it.  Only a column that fails looks for the first bad entry.
    low, high = (np.fmin.reduce(array), np.fmax.reduce(array)) if nan_ok else (array.min(), array.max())
    if (low >= 0 and np.isfinite(high)) or (nan_ok and np.isnan(low)):
        return array
    bad = ~(array >= 0) | np.isinf(array)     # negative, NaN or infinite
    if nan_ok:
        bad &= ~np.isnan(array)
    k = int(np.flatnonzero(bad)[0])
    raise ColumnError(f"/{table}/{name}/{k}", f"must be a finite number >= 0, got {array[k]!r}")


def _indices(name: str, values, size: int, n: int) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (size,) or (size and array.dtype.kind not in "iu"):
        raise ColumnError(f"/arcs/{name}", f"must hold {size} node indices")
    if size and (array.min() < 0 or array.max() >= n):   # two reductions; search only on failure
        k = int(np.flatnonzero((array < 0) | (array >= n))[0])
        raise ColumnError(f"/arcs/{name}/{k}", f"{array[k]} is not a known node")
    return array.astype(np.int32, copy=False)


@dataclass(frozen=True, eq=False)
class FlowArrays:
    """Columns of a trading network; see the module docstring for the rules."""

    node_ids: tuple[str, ...]
    capacity_kwh: np.ndarray
    demand_kwh: np.ndarray
    generation_cost_per_kwh: np.ndarray
    source: np.ndarray                 # node index per arc
    target: np.ndarray
    transfer_cost_per_kwh: np.ndarray
    arc_capacity_kwh: np.ndarray       # NaN = unbounded

    def __post_init__(self) -> None:
        ids = tuple(self.node_ids)
        object.__setattr__(self, "node_ids", ids)
        n = len(ids)
        if not all(isinstance(i, str) and i for i in ids):
            k = next(k for k, i in enumerate(ids) if not (isinstance(i, str) and i))
            raise ColumnError(f"/nodes/node_id/{k}", "must be a non-empty string")
        if len(set(ids)) != n:
            seen: set[str] = set()
            k = next(k for k, i in enumerate(ids) if i in seen or seen.add(i))
            raise ColumnError(f"/nodes/node_id/{k}", f"{ids[k]!r} is duplicated")
        for name in ("capacity_kwh", "demand_kwh", "generation_cost_per_kwh"):
            object.__setattr__(self, name, _amounts("nodes", name, getattr(self, name), n))
        m = len(self.transfer_cost_per_kwh)
        src = _indices("source", self.source, m, n)
        dst = _indices("target", self.target, m, n)
        loops = src == dst
        if loops.any():
            k = int(np.flatnonzero(loops)[0])
            raise ColumnError(f"/arcs/target/{k}", "must differ from source")
        keys = src.astype(np.int64) * max(n, 1) + dst
        if n * n <= 1 << 26:   # a count per ordered pair is cheaper than sorting (dense networks)
            counts = np.bincount(keys, minlength=n * n)
            if m and counts.max() > 1:  # report the second occurrence of the first repeated pair
                first = np.flatnonzero(counts[keys] > 1)
                k = int(np.flatnonzero(keys == keys[first[0]])[1])
                raise ColumnError(f"/arcs/target/{k}", f"duplicate arc {ids[src[k]]!r}->{ids[dst[k]]!r}")
        else:
            order = np.argsort(keys, kind="stable")
            repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
            if repeated.size:
                k = int(order[repeated[0] + 1])
                raise ColumnError(f"/arcs/target/{k}", f"duplicate arc {ids[src[k]]!r}->{ids[dst[k]]!r}")
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "target", dst)
        object.__setattr__(self, "transfer_cost_per_kwh",
                           _amounts("arcs", "transfer_cost_per_kwh", self.transfer_cost_per_kwh, m))
        object.__setattr__(self, "arc_capacity_kwh",
                           _amounts("arcs", "capacity_kwh", self.arc_capacity_kwh, m, nan_ok=True))

    @classmethod
    def from_network(cls, network: TradingNetwork) -> FlowArrays:
        """The columns of a validated ``TradingNetwork``."""
        if not isinstance(network, TradingNetwork):
            raise TradingModelError(f"network: expected TradingNetwork, got {network!r}")
        nodes, arcs = network.nodes, network.arcs
        n, m = len(nodes), len(arcs)
        index = {node.node_id: k for k, node in enumerate(nodes)}
        return cls(
            node_ids=tuple(index),
            capacity_kwh=np.fromiter((x.capacity_kwh for x in nodes), np.float64, n),
            demand_kwh=np.fromiter((x.demand_kwh for x in nodes), np.float64, n),
            generation_cost_per_kwh=np.fromiter((x.generation_cost_per_kwh for x in nodes), np.float64, n),
            source=np.fromiter((index[a.source] for a in arcs), np.int32, m),
            target=np.fromiter((index[a.target] for a in arcs), np.int32, m),
            transfer_cost_per_kwh=np.fromiter((a.transfer_cost_per_kwh for a in arcs), np.float64, m),
            arc_capacity_kwh=np.fromiter((math.nan if a.capacity_kwh is None else a.capacity_kwh
                                          for a in arcs), np.float64, m))

    def network(self) -> TradingNetwork:
        """The same network as objects (for the PuLP/HiGHS LP)."""
        ids = self.node_ids
        nodes = [Node(node_id=i, capacity_kwh=float(c), demand_kwh=float(d), generation_cost_per_kwh=float(g))
                 for i, c, d, g in zip(ids, self.capacity_kwh, self.demand_kwh, self.generation_cost_per_kwh)]
        arcs = [Arc(source=ids[s], target=ids[t], transfer_cost_per_kwh=float(c),
                    capacity_kwh=None if math.isnan(u) else float(u))
                for s, t, c, u in zip(self.source.tolist(), self.target.tolist(),
                                      self.transfer_cost_per_kwh.tolist(), self.arc_capacity_kwh.tolist())]
        return TradingNetwork(nodes=nodes, arcs=arcs)
