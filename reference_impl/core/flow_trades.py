"""The trades of a cleared trading network, as ledger payloads (seed 004 §7.2, §9.2; issue 7).

What this module owns: turning a ``TradingPlan`` of the decision service (a network cleared by
min-cost flow, seed 004 §5.1) into one trade per arc that carries energy, each with the
unsigned record of seed 004's smart-contract template (``core.trade_records``).  The broker
signs the records and appends them to its hash-chained ledger in one transaction.

Rules
-----
* One trade per non-zero entry of the energy trading matrix, as seed 004 §9.2 builds its
  contracts: the arc's source is the generator, its target the buyer, the flow the amount,
  the arc's transfer cost and the source's generation cost the two costs, and the price is
  §7.2 eq. (14).  A node that relays energy is the generator of the leg it sends on (the
  seed's matrix has arcs, not paths).
* ``trade_id`` is ``<clearing_id>/<source>-><target>``; the caller chooses a clearing id
  unique in its ledger.  Trades come in (source, target) order, so the same plan always gives
  the same records.
* Amounts and costs are the decimal form of the float they come from (``repr``, the shortest
  string that reads back as the same float), so the record states exactly the plan's numbers.
* Sans-IO: no clock, key or storage here.
"""
from __future__ import annotations

from decimal import Decimal

import numpy as np

from .flow_arrays import FlowArrays
from .trade_records import seed_trade_price
from .trading import TradingPlan

__all__ = ["flow_trade_payloads"]


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _arc_costs(arrays: FlowArrays, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Transfer cost of each listed (source, target) arc, found with one pass over the arcs."""
    index = {node_id: k for k, node_id in enumerate(arrays.node_ids)}
    n = max(len(index), 1)
    keys = arrays.source.astype(np.int64) * n + arrays.target
    wanted = np.array([index[s] * n + index[t] for s, t in pairs], dtype=np.int64)
    found = np.flatnonzero(np.isin(keys, wanted))
    ids = arrays.node_ids
    return {(ids[arrays.source[a]], ids[arrays.target[a]]): float(arrays.transfer_cost_per_kwh[a])
            for a in found.tolist()}


def flow_trade_payloads(clearing_id: str, plan: TradingPlan, arrays: FlowArrays,
                        token_price: Decimal, currency: str) -> list[dict]:
    """The ledger payloads of the trades of ``plan`` (records unsigned).

    Args:
        clearing_id: names this clearing in the ledger (unique there).
        plan: an optimal plan of ``arrays``.
        arrays: the network that was cleared.
        token_price: the market's token price (seed 004 §7.2 tp), > 0.
        currency: the currency the costs are in.
    Returns:
        ``[{"kind": "trade", "clearing_id", "source", "target", "energy_kwh", "record"}, ...]``,
        one per arc with flow; empty unless the plan is optimal.
    Raises:
        ValueError: ``token_price`` is not positive, or a flow is on no arc of ``arrays``.
    """
    if plan.status != "optimal" or not plan.flows:
        return []
    pairs = sorted(plan.flows)
    transfer = _arc_costs(arrays, pairs)
    generation = dict(zip(arrays.node_ids, arrays.generation_cost_per_kwh.tolist()))
    payloads = []
    for source, target in pairs:
        if (source, target) not in transfer:
            raise ValueError(f"flows: {source!r}->{target!r} is no arc of the network")
        amount, energy = _decimal(plan.flows[source, target]), plan.flows[source, target]
        tc, gc = _decimal(transfer[source, target]), _decimal(generation[source])
        record = {"trade_id": f"{clearing_id}/{source}->{target}", "buyer": target,
                  "generator": source, "amount_kwh": str(amount),
                  "transfer_cost_per_kwh": str(tc), "generation_cost_per_kwh": str(gc),
                  "token_price": str(token_price),
                  "trade_price_tokens": str(seed_trade_price(amount, tc, gc, token_price)),
                  "currency": currency}
        payloads.append({"kind": "trade", "clearing_id": clearing_id, "source": source,
                         "target": target, "energy_kwh": energy, "record": record})
    return payloads
