"""Market-wide rules the reference broker runs by: currency, transfer costs between grid nodes
and the token price of seed 004 §7.2.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

# Money is settled to the cent with banker's rounding; stated here because billing accuracy
# checks (SC 38) recompute totals under this rule.
CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_EVEN


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUNDING)


@dataclass(frozen=True, kw_only=True)
class MarketRules:
    """Attributes:
        currency: ISO 4217 code every price in this market must use.
        transfer_cost_per_kwh: network charge between two different grid nodes.
        node_transfer_costs: overrides per (from_node, to_node).
        token_price: seed 004 §7.2 divides the trade value by a token price; 1 means the
            market settles in its currency.
        local_tz: the market's time zone (IANA name), in which baseline days are judged.
    """

    currency: str = "EUR"
    transfer_cost_per_kwh: Decimal = Decimal("0.01")
    node_transfer_costs: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    token_price: Decimal = Decimal("1")
    local_tz: str = "Europe/Luxembourg"   # IANA name; days for customer baselines are local days

    def transfer_cost(self, from_node: str, to_node: str) -> Decimal:
        if from_node == to_node:
            return Decimal("0")
        return self.node_transfer_costs.get((from_node, to_node), self.transfer_cost_per_kwh)
