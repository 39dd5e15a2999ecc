"""Idempotent retries for the HTTP binding: a POST carrying an ``Idempotency-Key`` header has
its effect at most once, however often the client retries it (after a timeout, a reset
connection, or a broker killed and restarted mid-request).

Rules (in the spirit of the IETF httpapi "Idempotency-Key" header draft):
- The key is 1-200 visible ASCII characters, chosen by the client, unique per intended effect.
- The broker stores the key, a fingerprint of the request (method, path, body as canonical
  JSON) and the successful answer in the *same SQLite transaction* as the effect. A kill at any
  point therefore leaves either both (a retry gets the stored answer, marked
  ``Idempotent-Replayed: true``) or neither (a retry runs the request afresh).
- A refused request (422/404/409) stores nothing, like any refusal, and a retry is judged again.
- The same key with a different request is refused (422 ``idempotency-key-reused``): the
  client has a bug, and guessing which request it meant would be worse.
- Without the header a POST behaves as before (no replay protection).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from ..core.errors import FieldError, Rejected

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
TABLE = "idempotency"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(repository, key: str, request_fingerprint: str,
             action: Callable[[], tuple[int, Any]]) -> tuple[int, Any, bool]:
    """Run ``action`` unless this key already has a stored answer.

    Args:
        repository: the broker's `SqliteRepository` (its transactions nest).
        key: the client's Idempotency-Key.
        request_fingerprint: `fingerprint` of the request.
        action: performs the request; returns (status, body); raises MarketError on refusal.

    Returns:
        (status, body, replayed).

    Raises:
        Rejected: ``idempotency-key-reused`` when the key came with a different request.
        MarketError: whatever ``action`` raises (then nothing is stored).
    """
    with repository.transaction():
        stored = repository.get(TABLE, key)
        if stored is not None:
            if stored["fingerprint"] != request_fingerprint:
                raise Rejected(FieldError("idempotency-key-reused", f"header:{HEADER}",
                                          "this key was used with a different request; use a new key "
                                          "for each new request"))
            return stored["status"], stored["body"], True
        status, body = action()
        repository.put(TABLE, {"request_key": key, "fingerprint": request_fingerprint,
                               "status": status, "body": body})
    return status, body, False
