"""Signed trade records: seed 004's smart-contract template (§9.2, Listing 3) as data.

The paper fills a Solidity template per trade with the buyer, the generator, the amount, the
transfer cost and the generation cost, and prices the trade by §7.2 eq. (14):
``price = amount * transfer_cost * generation_cost / token_price`` tokens, moved from the
buyer's balance to the generator's.  Here the template becomes a record with exactly those
parameters plus the price, signed by the platform with Ed25519 so that anyone holding the
platform's public key can check that a record in the ledger is the one the platform issued.

Rules
-----
* Amounts and prices are decimal strings (no binary floats in signed data).
* What is signed is the record's canonical JSON: keys sorted, no spaces, UTF-8
  (``canonical_bytes``).  The envelope is ``{"record", "algorithm": "Ed25519", "signature"}``
  with the signature in base64 (RFC 4648, standard alphabet).
* For a market contract, the generation cost is the seller's offer price and the transfer cost
  the network charge between the two grid nodes (contract price = offer + transfer).
* Sans-IO: the private key is passed in (the broker owns it); Ed25519 signing is
  deterministic, so no randomness is needed here.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from decimal import Decimal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .contracts import Contract
from .rules import MarketRules

ALGORITHM = "Ed25519"
RECORD_FIELDS = ("trade_id", "buyer", "generator", "amount_kwh", "transfer_cost_per_kwh",
                 "generation_cost_per_kwh", "token_price", "trade_price_tokens", "currency")


def seed_trade_price(amount: Decimal, transfer_cost: Decimal, generation_cost: Decimal,
                     token_price: Decimal) -> Decimal:
    """Seed 004 §7.2 eq. (14): amount * transfer cost * generation cost / token price."""
    if token_price <= 0:
        raise ValueError(f"token_price must be > 0, got {token_price}")
    return amount * transfer_cost * generation_cost / token_price


def contract_record(contract: Contract, generation_cost: Decimal, rules: MarketRules) -> dict:
    """The trade record of one contract (unsigned)."""
    amount = Decimal(str(contract.energy_kwh))
    transfer = contract.price_per_kwh - generation_cost
    return {"trade_id": contract.contract_id, "buyer": contract.buyer_id,
            "generator": contract.seller_id, "amount_kwh": str(amount),
            "transfer_cost_per_kwh": str(transfer), "generation_cost_per_kwh": str(generation_cost),
            "token_price": str(rules.token_price),
            "trade_price_tokens": str(seed_trade_price(amount, transfer, generation_cost,
                                                       rules.token_price)),
            "currency": contract.currency}


def canonical_bytes(record: Mapping) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(record: Mapping, key: Ed25519PrivateKey) -> dict:
    """The signed envelope of ``record``."""
    signature = key.sign(canonical_bytes(record))
    return {"record": dict(record), "algorithm": ALGORITHM,
            "signature": base64.b64encode(signature).decode("ascii")}


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64: what a platform publishes for verifiers."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def verify(envelope: Mapping, public_key: str) -> bool:
    """True when ``envelope``'s signature verifies over its record with ``public_key``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(envelope["signature"], validate=True),
                   canonical_bytes(envelope["record"]))
        return envelope.get("algorithm") == ALGORITHM
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return False
