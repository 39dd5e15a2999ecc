"""The hash-chained trade ledger: chain() links payloads, verify() names every entry where
the chain breaks (seed 003: any later change is evident)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, timezone

import pytest

from reference_impl.core.ledger import GENESIS, chain, entry_digest, verify

T1 = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 6, 1, 15, 0, tzinfo=timezone.utc)


def trade(n: int) -> dict:
    return {"kind": "trade", "contract_id": f"CT-{n}", "energy_kwh": float(n), "value": f"{n * 0.13:.2f}"}


def ledger(count=4):
    return chain(None, [trade(n) for n in range(1, count + 1)], T1)


def test_clean_chain_verifies():
    entries = ledger()
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS == "0" * 64
    assert all(later.prev_hash == earlier.entry_hash for earlier, later in zip(entries, entries[1:]))
    assert verify(entries) == []


def test_hash_is_sha256_of_the_canonical_json():
    entry = ledger(1)[0]
    body = {"seq": 1, "recorded_at": T1.isoformat(), "prev_hash": GENESIS, "payload": trade(1)}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.entry_hash == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_digest_ignores_key_order_but_not_content():
    assert entry_digest(1, "t", GENESIS, {"a": 1, "b": 2}) == entry_digest(1, "t", GENESIS, {"b": 2, "a": 1})
    assert entry_digest(1, "t", GENESIS, {"a": 1}) != entry_digest(1, "t", GENESIS, {"a": 2})


def test_empty_ledger():
    assert chain(None, [], T1) == [] and verify([]) == []


# --- tampering ------------------------------------------------------------------------------------

def test_altered_payload_is_named():
    entries = ledger()
    entries[1] = replace(entries[1], payload={**entries[1].payload, "value": "0.01"})
    assert verify(entries) == ["entry 2: content does not match its hash"]


def test_altered_payload_with_recomputed_hash_breaks_the_next_link():
    entries = ledger()
    forged = {**entries[1].payload, "value": "0.01"}
    entries[1] = replace(entries[1], payload=forged,
                         entry_hash=entry_digest(2, entries[1].recorded_at, entries[1].prev_hash, forged))
    assert verify(entries) == ["entry 3: prev_hash does not match the previous entry"]


def test_dropped_entry_is_named():
    entries = ledger()
    del entries[1]
    problems = verify(entries)
    assert "entry 2: sequence number is 3" in problems
    assert "entry 3: prev_hash does not match the previous entry" in problems


def test_swapped_entries_are_named():
    entries = ledger()
    entries[1], entries[2] = entries[2], entries[1]
    assert verify(entries) == [
        "entry 2: sequence number is 3",
        "entry 3: prev_hash does not match the previous entry",
        "entry 3: sequence number is 2",
        "entry 2: prev_hash does not match the previous entry",
        "entry 4: prev_hash does not match the previous entry",
    ]


def test_changed_prev_hash_is_named():
    entries = ledger()
    entries[2] = replace(entries[2], prev_hash="f" * 64)
    assert verify(entries) == ["entry 3: prev_hash does not match the previous entry",
                               "entry 3: content does not match its hash"]


@pytest.mark.parametrize("field, value", [("seq", 9), ("recorded_at", T2.isoformat())])
def test_changed_header_fields_are_named(field, value):
    entries = ledger()
    entries[3] = replace(entries[3], **{field: value})
    problems = verify(entries)
    assert problems and all(p.startswith(("entry 4:", "entry 9:")) for p in problems)
    assert any("content does not match its hash" in p for p in problems)


# --- continuing -----------------------------------------------------------------------------------

def test_continuing_from_the_last_entry():
    first = chain(None, [trade(1), trade(2)], T1)
    more = chain(first[-1], [trade(3)], T2)
    assert (more[0].seq, more[0].prev_hash, more[0].recorded_at) == (3, first[-1].entry_hash, T2.isoformat())
    assert verify(first + more) == []


def test_continuing_from_the_wrong_entry_is_evident():
    first = chain(None, [trade(1), trade(2)], T1)
    more = chain(first[0], [trade(3)], T2)   # appended as if entry 2 did not exist
    assert verify(first + more) == ["entry 3: sequence number is 2",
                                    "entry 2: prev_hash does not match the previous entry"]
