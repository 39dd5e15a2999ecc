"""Contracts formed by clearing, and the events that may change them before execution
(Y.2072 8.2.1 "contract management": terms change, cancellation, rebidding).

Every legal move is a row of `CONTRACT_TRANSITIONS`; any other (state, event) raises
`Conflict`. Changes by either party are allowed only before delivery starts: once a contract
executes, its terms are what delivery is verified and settled against.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from . import parsing as p
from .errors import Conflict, FieldError, Rejected
from .products import SettlementRules
from .states import next_state

CONTRACT_TRANSITIONS: dict[tuple[str, str], str] = {
    ("signed", "amend"): "signed",
    ("signed", "cancel"): "cancelled",
    ("signed", "rebid"): "rebid",
    ("signed", "verify-delivery"): "delivered",
    ("delivered", "settle"): "settled",
}

# Events a party may raise; delivery and settlement are the market's own steps.
PARTY_EVENTS = ("amend", "cancel", "rebid")


@dataclass(frozen=True, kw_only=True)
class Contract:
    contract_id: str
    product_id: str
    product_type: str
    seller_id: str
    buyer_id: str
    sell_bid_id: str
    buy_bid_id: str
    energy_kwh: float
    price_per_kwh: Decimal
    currency: str
    delivery_start: datetime
    delivery_end: datetime
    rules: SettlementRules
    signed_at: datetime
    state: str = "signed"
    terms_version: int = 1

    def apply(self, event: str, **changes) -> Contract:
        """Move the contract along CONTRACT_TRANSITIONS (Conflict if there is no such row)."""
        target = next_state(CONTRACT_TRANSITIONS, self.state, event, f"contract {self.contract_id}")
        return replace(self, state=target, **changes)

    @property
    def value(self) -> Decimal:
        return Decimal(str(self.energy_kwh)) * self.price_per_kwh

    def to_record(self) -> dict:
        return {
            "contract_id": self.contract_id, "product_id": self.product_id,
            "product_type": self.product_type, "seller_id": self.seller_id,
            "buyer_id": self.buyer_id, "sell_bid_id": self.sell_bid_id, "buy_bid_id": self.buy_bid_id,
            "energy_kwh": self.energy_kwh,
            "price": {"amount": str(self.price_per_kwh), "currency": self.currency},
            "delivery_start": p.fmt_instant(self.delivery_start),
            "delivery_end": p.fmt_instant(self.delivery_end),
            "settlement_rules": self.rules.to_record(), "signed_at": p.fmt_instant(self.signed_at),
            "state": self.state, "terms_version": self.terms_version,
        }

    @classmethod
    def from_record(cls, rec: Mapping) -> Contract:
        return cls(
            contract_id=rec["contract_id"], product_id=rec["product_id"],
            product_type=rec["product_type"], seller_id=rec["seller_id"], buyer_id=rec["buyer_id"],
            sell_bid_id=rec["sell_bid_id"], buy_bid_id=rec["buy_bid_id"],
            energy_kwh=rec["energy_kwh"], price_per_kwh=Decimal(rec["price"]["amount"]),
            currency=rec["price"]["currency"],
            delivery_start=datetime.fromisoformat(rec["delivery_start"]),
            delivery_end=datetime.fromisoformat(rec["delivery_end"]),
            rules=SettlementRules(**rec["settlement_rules"]),
            signed_at=datetime.fromisoformat(rec["signed_at"]), state=rec["state"],
            terms_version=rec["terms_version"],
        )


def apply_party_event(contract: Contract, event: str, by: str, changes: Mapping | None,
                      now: datetime) -> Contract:
    """Apply an amendment, cancellation or rebid raised by one of the parties.

    Args:
        changes: for ``amend``, the new terms: ``energy_kwh`` (may only shrink: the offer
            behind it was cleared for no more) and/or ``price`` ``{"amount", "currency"}``.
    Returns:
        the contract in its new state.
    Raises:
        Rejected: not a party, unknown event, or bad amendment (field named).
        Conflict: the contract is executing or already ended.
    """
    if event not in PARTY_EVENTS:
        raise Rejected(FieldError("invalid-value", "/event", f"expected one of {', '.join(PARTY_EVENTS)}"))
    if by not in (contract.seller_id, contract.buyer_id):
        raise Rejected(FieldError("not-a-party", "/by", f"{by!r} is not a party to {contract.contract_id}"))
    if now >= contract.delivery_start:
        raise Conflict(FieldError("contract-executing", "/event",
                                  f"delivery started at {p.fmt_instant(contract.delivery_start)}; "
                                  "terms can no longer change"))
    if event != "amend":
        return contract.apply(event)
    changes = changes or {}
    energy = p.number(changes, "energy_kwh", "/changes", required=False, positive=True,
                      default=contract.energy_kwh)
    if energy > contract.energy_kwh + 1e-9:
        raise Rejected(FieldError("exceeds-contract", "/changes/energy_kwh",
                                  f"an amendment may reduce the energy, not raise it above "
                                  f"{contract.energy_kwh:g} kWh"))
    price = contract.price_per_kwh
    price_raw = p.mapping(changes, "price", "/changes", required=False)
    if price_raw is not None:
        price = p.decimal(price_raw, "amount", "/changes/price", minimum=Decimal("0"))
        currency = p.text(price_raw, "currency", "/changes/price")
        if currency != contract.currency:
            raise Rejected(FieldError("wrong-currency", "/changes/price/currency",
                                      f"contract is in {contract.currency}, not {currency}"))
    if energy == contract.energy_kwh and price == contract.price_per_kwh:
        raise Rejected(FieldError("no-change", "/changes", "the amendment changes nothing"))
    return contract.apply("amend", energy_kwh=energy, price_per_kwh=price,
                          terms_version=contract.terms_version + 1)
