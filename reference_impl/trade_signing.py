"""The broker's trade-record signing key (seed 004 §9.2 template as a signed record; issue 7).

Each broker instance makes its own Ed25519 key on first use and publishes the public half
(``trade_signing_key``); every trade payload it appends to the ledger carries its record signed
with that key (`core.trade_records`). The key lives in memory only: a restarted broker signs
with a new key, and a verifier asks for the current one.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .core import trade_records


class TradeSigningMixin:
    _trade_key: Ed25519PrivateKey | None = None

    def _signing_key(self) -> Ed25519PrivateKey:
        if self._trade_key is None:
            self._trade_key = Ed25519PrivateKey.generate()
        return self._trade_key

    def trade_signing_key(self) -> dict:
        """Returns: ``{"algorithm": "Ed25519", "public_key": <base64 of the raw 32 bytes>}``."""
        return {"algorithm": trade_records.ALGORITHM,
                "public_key": trade_records.public_key_text(self._signing_key())}

    def _signed_trades(self, payloads: Sequence[Mapping]) -> list[dict]:
        """Ledger payloads with each unsigned ``record`` replaced by its signed envelope."""
        return [{**p, "record": trade_records.sign(p["record"], self._signing_key())} if "record" in p
                else dict(p) for p in payloads]
