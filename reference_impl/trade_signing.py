"""The broker's trade-record signing key (seed 004 §9.2 template as a signed record; issue 7).

The broker's Ed25519 key ``trade-records`` comes from its key store (adapters/key_store.py), so
it survives restarts when the broker has a key folder (`harness serve` does); the public half is
published (``trade_signing_key``) and every trade payload appended to the ledger carries its
record signed with it (`core.trade_records`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .core import trade_records


class TradeSigningMixin:
    """Mixed into `ReferenceBroker` (uses its ``keys``)."""

    def _signing_key(self) -> Ed25519PrivateKey:
        return self.keys.ed25519("trade-records")

    def trade_signing_key(self) -> dict:
        """Returns: ``{"algorithm": "Ed25519", "public_key": <base64 of the raw 32 bytes>}``."""
        return {"algorithm": trade_records.ALGORITHM,
                "public_key": trade_records.public_key_text(self._signing_key())}

    def _signed_trades(self, payloads: Sequence[Mapping]) -> list[dict]:
        """Ledger payloads with each unsigned ``record`` replaced by its signed envelope."""
        return [{**p, "record": trade_records.sign(p["record"], self._signing_key())} if "record" in p
                else dict(p) for p in payloads]
