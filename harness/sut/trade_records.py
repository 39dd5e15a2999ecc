"""The trade-record capability of a SUT (issue 7): the platform signs each trade record it puts
in the ledger (seed 004's smart-contract template as data: buyer, generator, amount, transfer
cost, generation cost, trade price per §7.2) and publishes the public key that verifies them.
Over HTTP: ``GET /trade-records/key`` answers ``{"algorithm": "Ed25519", "public_key": base64}``.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from . import Response


@runtime_checkable
class TradeRecordSUT(Protocol):
    def trade_signing_key(self) -> Response: ...
