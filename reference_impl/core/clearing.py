"""Clearing the bids on one product into contracts (Y.2072 7.5 second bullet; 8.2.1 bidding
management), by the trading LP of seed 004 §5.1.

How a product's bids become a trading network:
- every open sell bid is a supply node: capacity = offered kWh, generation cost = its price;
- every open buy bid is a demand node: demand = asked kWh;
- one more supply node, "unserved", can cover all demand, and reaching buy bid b from it costs
  b's own limit price: demand left unserved costs what the buyer said the energy is worth to
  it. Minimising total cost is then maximising welfare, so scarce market energy goes to the
  highest-valuing buyers first (price priority), and the LP is always feasible;
- an arc joins a sell bid to a buy bid when the seller's schedule covers the buyer's, and the
  delivered unit cost (offer price + transfer cost between their grid nodes) is within the
  buyer's limit price.
Flows from sell bids to buy bids are the contracts. Contract price per kWh = offer price +
transfer cost: the seller is paid its offer and the network charge is passed through. The
ledger's trade price follows seed 004 §7.2 (trade value divided by the token price).
Bids that had expired before the gate closed are retired as expired, never matched.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import parsing as p
from .bids import Bid
from .contracts import Contract
from .notifications import Notification, notify
from .products import Participant, Product
from .rules import MarketRules
from .trade_records import contract_record
from .trading import Arc, Node, Objective, TradingNetwork, TradingPlan, solve_trading

UNSERVED_NODE = "unserved"
# Energy is contracted to the watt-hour; smaller LP flows are numerical noise.
_KWH_DECIMALS = 3


@dataclass(frozen=True)
class ClearingOutcome:
    product_id: str
    cleared_at: datetime
    contracts: tuple[Contract, ...]
    bids: tuple[Bid, ...]                 # every bid on the product, in its new state
    notifications: tuple[Notification, ...]
    trades: tuple[dict, ...]              # ledger payloads, one per contract
    objective_value: float | None
    unserved_kwh: float                    # demand the market did not serve

    def to_record(self) -> dict:
        return {
            "product_id": self.product_id, "cleared_at": p.fmt_instant(self.cleared_at),
            "contracts": [c.to_record() for c in self.contracts],
            "awards": [{"bid_id": b.bid_id, "side": b.side, "state": b.state,
                        "awarded_kwh": b.awarded_kwh} for b in self.bids],
            "objective_value": self.objective_value, "unserved_kwh": self.unserved_kwh,
        }


def _eligible(sell: Bid, buy: Bid, transfer: Decimal) -> bool:
    covers = sell.delivery_start <= buy.delivery_start and buy.delivery_end <= sell.delivery_end
    quality_ok = buy.quality != "firm" or sell.quality == "firm"
    return covers and quality_ok and sell.price_per_kwh + transfer <= buy.price_per_kwh


def clear_product(product: Product, bids: Sequence[Bid], participants: Mapping[str, Participant],
                  rules: MarketRules, now: datetime,
                  solve: Callable[..., TradingPlan] = solve_trading) -> ClearingOutcome:
    """Close the gate on one product and match its open bids.

    Args:
        product: the product being cleared.
        bids: all bids on it (any state; only open ones take part).
        participants: registered participants by id (for grid nodes and notifications).
        rules: market rules (currency, transfer costs, token price).
        now: gate closure time.
        solve: ``solve(network, objective=...)`` returning a ``TradingPlan``; the in-process
            PuLP/HiGHS LP by default, the min-cost-flow worker in the broker
            (``adapters.flow_solver.solve_trading_flow``); both give the same optimum.
    Returns:
        the contracts, updated bids, notifications and ledger payloads, to be stored together.
    """
    settled_bids: dict[str, Bid] = {b.bid_id: b for b in bids}
    live: list[Bid] = []
    for bid in bids:
        if bid.state != "open":
            continue
        if bid.expires_at <= now:
            settled_bids[bid.bid_id] = bid.apply("expire")
        else:
            live.append(bid)
    sells = [b for b in live if b.side == "sell"]
    buys = [b for b in live if b.side == "buy"]

    contracts: list[Contract] = []
    flows: dict[tuple[str, str], float] = {}
    objective_value = None
    unserved_kwh = 0.0
    if sells and buys:
        node_of = {b.bid_id: participants[b.bidder_id].grid_node for b in live}
        transfer = {(s.bid_id, b.bid_id): rules.transfer_cost(node_of[s.bid_id], node_of[b.bid_id])
                    for s in sells for b in buys}
        nodes = [Node(node_id=s.bid_id, capacity_kwh=s.energy_kwh, demand_kwh=0.0,
                      generation_cost_per_kwh=float(s.price_per_kwh)) for s in sells]
        nodes += [Node(node_id=b.bid_id, capacity_kwh=0.0, demand_kwh=b.energy_kwh,
                       generation_cost_per_kwh=0.0) for b in buys]
        nodes.append(Node(node_id=UNSERVED_NODE, capacity_kwh=sum(b.energy_kwh for b in buys),
                          demand_kwh=0.0, generation_cost_per_kwh=0.0))
        arcs = [Arc(source=s.bid_id, target=b.bid_id, transfer_cost_per_kwh=float(transfer[s.bid_id, b.bid_id]))
                for s in sells for b in buys if _eligible(s, b, transfer[s.bid_id, b.bid_id])]
        arcs += [Arc(source=UNSERVED_NODE, target=b.bid_id, transfer_cost_per_kwh=float(b.price_per_kwh))
                 for b in buys]
        # The standard objective (generation cost + transfer cost) is the one whose optimum is
        # the welfare optimum here; seed 004's product form tc·gc would price every arc out of
        # the unserved node at zero.
        plan = solve(TradingNetwork(nodes=tuple(nodes), arcs=tuple(arcs)),
                     objective=Objective.STANDARD)
        if plan.status != "optimal":
            raise RuntimeError(f"clearing LP for {product.product_id} ended {plan.status}; "
                               "the unserved node should make it always feasible")
        objective_value = plan.objective_value
        for (source, target), kwh in plan.flows.items():
            kwh = round(kwh, _KWH_DECIMALS)
            if kwh <= 0:
                continue
            if source == UNSERVED_NODE:
                unserved_kwh += kwh
            else:
                flows[source, target] = kwh
        by_id = {b.bid_id: b for b in live}
        for (sell_id, buy_id), kwh in sorted(flows.items()):
            sell, buy = by_id[sell_id], by_id[buy_id]
            contracts.append(Contract(
                contract_id=f"CT-{sell_id}-{buy_id}", product_id=product.product_id,
                product_type=product.product_type, seller_id=sell.bidder_id, buyer_id=buy.bidder_id,
                sell_bid_id=sell_id, buy_bid_id=buy_id, energy_kwh=kwh,
                price_per_kwh=sell.price_per_kwh + transfer[sell_id, buy_id], currency=rules.currency,
                delivery_start=buy.delivery_start, delivery_end=buy.delivery_end,
                rules=product.settlement_rules, signed_at=now))

    awarded: dict[str, float] = {}
    for (sell_id, buy_id), kwh in flows.items():
        awarded[sell_id] = awarded.get(sell_id, 0.0) + kwh
        awarded[buy_id] = awarded.get(buy_id, 0.0) + kwh
    for bid in live:
        if bid.bid_id in awarded:
            settled_bids[bid.bid_id] = bid.apply("award", awarded_kwh=round(awarded[bid.bid_id], _KWH_DECIMALS))
        else:
            settled_bids[bid.bid_id] = bid.apply("pass-over")

    final_bids = tuple(settled_bids[b.bid_id] for b in bids)
    results = [{"bid_id": b.bid_id, "side": b.side, "state": b.state, "awarded_kwh": b.awarded_kwh}
               for b in final_bids if b.state in ("awarded", "not-awarded", "expired")]
    notes = notify({b.bidder_id for b in bids}, "bid-result", product.product_id, now,
                   {"product_id": product.product_id, "results": results})
    trades = []
    for contract in contracts:
        notes += notify({contract.seller_id, contract.buyer_id}, "contract-signed",
                        contract.contract_id, now, contract.to_record())
        # seed 004 §9.2: the trade's smart-contract parameters, signed by the broker before the
        # entry is appended (generation cost = the seller's offer price)
        trades.append({**trade_entry(contract, rules), "record": contract_record(
            contract, by_id[contract.sell_bid_id].price_per_kwh, rules)})
    return ClearingOutcome(product_id=product.product_id, cleared_at=now, contracts=tuple(contracts),
                           bids=final_bids, notifications=tuple(notes), trades=tuple(trades),
                           objective_value=objective_value, unserved_kwh=round(unserved_kwh, _KWH_DECIMALS))


def trade_entry(contract: Contract, rules: MarketRules) -> dict:
    """The ledger payload for one trade. Seed 004 §7.2 prices a trade as its value divided by
    the token price; here the value is energy × (offer price + transfer cost)."""
    value = contract.value
    return {"kind": "trade", "contract_id": contract.contract_id, "product_id": contract.product_id,
            "seller_id": contract.seller_id, "buyer_id": contract.buyer_id,
            "energy_kwh": contract.energy_kwh, "price_per_kwh": str(contract.price_per_kwh),
            "currency": contract.currency, "value": str(value),
            "token_price": str(rules.token_price), "trade_price_tokens": str(value / rules.token_price)}
