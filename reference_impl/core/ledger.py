"""The append-only, hash-chained trade ledger (seed 003: every sale recorded so that any later
change is evident).

Each entry's hash is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of
``{"seq", "recorded_at", "prev_hash", "payload"}``; the first entry's ``prev_hash`` is 64
zeros. Changing, dropping, reordering or inserting an entry breaks the chain at that point.
This canonical form is the harness's contract with any SUT that exposes a ledger.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from . import parsing as p

GENESIS = "0" * 64


@dataclass(frozen=True, kw_only=True)
class LedgerEntry:
    seq: int
    recorded_at: str
    prev_hash: str
    payload: Mapping
    entry_hash: str

    def to_record(self) -> dict:
        return {"seq": self.seq, "recorded_at": self.recorded_at, "prev_hash": self.prev_hash,
                "payload": dict(self.payload), "entry_hash": self.entry_hash}


def entry_digest(seq: int, recorded_at: str, prev_hash: str, payload: Mapping) -> str:
    body = {"seq": seq, "recorded_at": recorded_at, "prev_hash": prev_hash, "payload": payload}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def chain(last: LedgerEntry | None, payloads: Sequence[Mapping], now: datetime) -> list[LedgerEntry]:
    """Link new payloads after `last` (None for an empty ledger)."""
    seq = last.seq if last else 0
    prev = last.entry_hash if last else GENESIS
    stamp = p.fmt_instant(now)
    entries = []
    for payload in payloads:
        seq += 1
        digest = entry_digest(seq, stamp, prev, payload)
        entries.append(LedgerEntry(seq=seq, recorded_at=stamp, prev_hash=prev, payload=payload,
                                   entry_hash=digest))
        prev = digest
    return entries


def verify(entries: Sequence[LedgerEntry]) -> list[str]:
    """Every break in the chain, as sentences naming the entry; empty when it verifies."""
    problems = []
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq}: sequence number is {entry.seq}")
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.seq}: prev_hash does not match the previous entry")
        if entry_digest(entry.seq, entry.recorded_at, entry.prev_hash, entry.payload) != entry.entry_hash:
            problems.append(f"entry {entry.seq}: content does not match its hash")
        prev = entry.entry_hash
    return problems
