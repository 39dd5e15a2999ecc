"""Bids on energy products (Y.2072 7.5 second bullet; 8.2.1 "bidding management").

Both sides bid on a registered product: the owner offers its capacity with a *sell* bid at its
lowest acceptable price; buyers send *buy* bids with the highest price they will pay. Each bid
carries a price, an expiry, a delivery schedule, an energy amount and a quality condition, as
8.2.1 lists. A bid is refused, with the field named, when it is malformed, has expired, names
an unknown product, uses another currency, asks for delivery outside the product's window,
offers more than the product can deliver, or asks for firmer quality than the product has.

Bid states move only along `BID_TRANSITIONS`; anything else raises `Conflict`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from . import parsing as p
from .errors import FieldError, Rejected
from .products import QUALITIES, Participant, Product
from .rules import MarketRules
from .states import next_state

SIDES = ("buy", "sell")

# (state, event) -> next state. Clearing awards or passes over open bids, the expiry check
# retires them, and a rebid on a contract puts the buyer's bid back into the market.
BID_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "award"): "awarded",
    ("open", "pass-over"): "not-awarded",
    ("open", "expire"): "expired",
    ("awarded", "reopen"): "open",
}


@dataclass(frozen=True, kw_only=True)
class Bid:
    bid_id: str
    product_id: str
    bidder_id: str
    side: str
    price_per_kwh: Decimal
    currency: str
    energy_kwh: float
    delivery_start: datetime
    delivery_end: datetime
    expires_at: datetime
    quality: str
    submitted_at: datetime
    state: str = "open"
    awarded_kwh: float = 0.0

    def apply(self, event: str, **changes) -> Bid:
        """Move the bid along BID_TRANSITIONS.

        Raises:
            Conflict: no transition for (state, event).
        """
        target = next_state(BID_TRANSITIONS, self.state, event, f"bid {self.bid_id}")
        return replace(self, state=target, **changes)

    def to_record(self) -> dict:
        return {
            "bid_id": self.bid_id, "product_id": self.product_id, "bidder_id": self.bidder_id,
            "side": self.side, "price": {"amount": str(self.price_per_kwh), "currency": self.currency},
            "energy_kwh": self.energy_kwh,
            "delivery_start": p.fmt_instant(self.delivery_start),
            "delivery_end": p.fmt_instant(self.delivery_end),
            "expires_at": p.fmt_instant(self.expires_at), "quality": self.quality,
            "submitted_at": p.fmt_instant(self.submitted_at), "state": self.state,
            "awarded_kwh": self.awarded_kwh,
        }

    @classmethod
    def from_record(cls, rec: Mapping) -> Bid:
        return cls(
            bid_id=rec["bid_id"], product_id=rec["product_id"], bidder_id=rec["bidder_id"],
            side=rec["side"], price_per_kwh=Decimal(rec["price"]["amount"]),
            currency=rec["price"]["currency"], energy_kwh=rec["energy_kwh"],
            delivery_start=datetime.fromisoformat(rec["delivery_start"]),
            delivery_end=datetime.fromisoformat(rec["delivery_end"]),
            expires_at=datetime.fromisoformat(rec["expires_at"]), quality=rec["quality"],
            submitted_at=datetime.fromisoformat(rec["submitted_at"]), state=rec["state"],
            awarded_kwh=rec.get("awarded_kwh", 0.0),
        )


def parse_bid(raw: Mapping, now: datetime) -> Bid:
    """Read a bid request (form only). Raises Rejected naming the field."""
    price = p.mapping(raw, "price")
    bid = Bid(
        bid_id=p.text(raw, "bid_id"),
        product_id=p.text(raw, "product_id"),
        bidder_id=p.text(raw, "bidder_id"),
        side=p.text(raw, "side", choices=SIDES),
        price_per_kwh=p.decimal(price, "amount", "/price", minimum=Decimal("0")),
        currency=p.text(price, "currency", "/price"),
        energy_kwh=p.number(raw, "energy_kwh", positive=True),
        delivery_start=p.instant(raw, "delivery_start"),
        delivery_end=p.instant(raw, "delivery_end"),
        expires_at=p.instant(raw, "expires_at"),
        quality=p.text(raw, "quality", choices=QUALITIES, required=False, default="non-firm"),
        submitted_at=now,
    )
    if bid.delivery_end <= bid.delivery_start:
        raise Rejected(FieldError("invalid-schedule", "/delivery_end", "delivery must end after it starts"))
    return bid


def validate_bid(bid: Bid, product: Product | None, bidder: Participant | None,
                 rules: MarketRules, now: datetime) -> Bid:
    """Check a parsed bid against the market's products, participants and rules.

    Returns:
        the bid, open.
    Raises:
        Rejected: one FieldError per broken rule, each naming its field.
    """
    errors: list[FieldError] = []
    if bid.expires_at <= now:
        errors.append(FieldError("bid-expired", "/expires_at",
                                 f"bid expired at {p.fmt_instant(bid.expires_at)}; market time is "
                                 f"{p.fmt_instant(now)}"))
    if bid.currency != rules.currency:
        errors.append(FieldError("wrong-currency", "/price/currency",
                                 f"this market trades in {rules.currency}, not {bid.currency}"))
    if bidder is None:
        errors.append(FieldError("unknown-participant", "/bidder_id",
                                 f"participant {bid.bidder_id!r} is not registered"))
    if product is None:
        errors.append(FieldError("unknown-product", "/product_id",
                                 f"product {bid.product_id!r} is not registered"))
        raise Rejected(*errors)
    if bid.expires_at > bid.delivery_start:
        errors.append(FieldError("expiry-after-delivery", "/expires_at",
                                 "a bid must expire no later than its delivery starts"))
    window = (f"{p.fmt_instant(product.available_from)} .. {p.fmt_instant(product.available_until)}")
    if bid.delivery_start < product.available_from:
        errors.append(FieldError("outside-availability", "/delivery_start",
                                 f"delivery starts before the product's availability window {window}"))
    if bid.delivery_end > product.available_until:
        errors.append(FieldError("outside-availability", "/delivery_end",
                                 f"delivery ends after the product's availability window {window}"))
    if bid.side == "sell":
        if bid.bidder_id != product.owner_id:
            errors.append(FieldError("not-owner", "/bidder_id", "only the product's owner can offer it"))
        deliverable = product.max_power_kw * p.interval_hours(bid.delivery_start, bid.delivery_end)
        if bid.energy_kwh > deliverable + 1e-9:
            errors.append(FieldError("exceeds-capacity", "/energy_kwh",
                                     f"offered {bid.energy_kwh:g} kWh but the product delivers at most "
                                     f"{deliverable:g} kWh in that schedule"))
    elif bid.bidder_id == product.owner_id:
        errors.append(FieldError("own-product", "/bidder_id", "an owner cannot buy its own product"))
    if bid.quality == "firm" and product.quality != "firm":
        # neither side can promise or demand firmer delivery than the product has
        errors.append(FieldError("quality-unavailable", "/quality",
                                 f"firm delivery {'offered' if bid.side == 'sell' else 'asked'} on a "
                                 "non-firm product"))
    if errors:
        raise Rejected(*errors)
    return bid
