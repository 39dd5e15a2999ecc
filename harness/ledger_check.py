"""The harness's own check of a SUT's trade ledger. Written independently of the reference
broker (the harness never imports it): it recomputes every entry's SHA-256 from the canonical
form the README specifies and reports each break by entry.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

ZERO_HASH = "0" * 64


def _digest(entry: dict) -> str:
    covered = {name: entry.get(name) for name in ("seq", "recorded_at", "prev_hash", "payload")}
    text = json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_breaks(entries: Sequence[dict]) -> list[str]:
    """Where the chain fails to verify; an empty list means it verifies."""
    breaks: list[str] = []
    expected_prev = ZERO_HASH
    for position, entry in enumerate(entries, start=1):
        label = f"entry #{position}"
        if entry.get("seq") != position:
            breaks.append(f"{label}: seq is {entry.get('seq')!r}")
        if entry.get("prev_hash") != expected_prev:
            breaks.append(f"{label}: prev_hash does not link to the entry before it")
        if _digest(entry) != entry.get("entry_hash"):
            breaks.append(f"{label}: entry_hash does not match its content")
        expected_prev = entry.get("entry_hash")
    return breaks
