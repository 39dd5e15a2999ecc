"""The broker's check of signed requests (README, "Signed requests"; Y.2072 clause 10,
integrity): a party's request that changes something carries ``Signature-Created``,
``Signature-Nonce`` and ``Signature`` (ECDSA-SHA256 by the key of its client certificate over
method, path, created, nonce and the body's SHA-256).

Rules:
- `verify` refuses (``unauthenticated``, naming the header) a missing or malformed header, a
  creation time more than `MAX_SKEW_S` from ``now``, and a signature that does not verify
  under the party's public key (the request was altered, or signed by another key).
- The nonce is then spent: `NonceBook` refuses a nonce the same party used before, so a
  captured request cannot be sent again (replay). Nonces older than the skew window are no
  longer needed to tell a replay (its time is refused anyway).
Pure logic over the given key, headers and records; no I/O of its own.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from .access import AccessDenied

MAX_SKEW_S = 300
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CREATED, NONCE, SIGNATURE = "Signature-Created", "Signature-Nonce", "Signature"


def _refuse(header: str, message: str) -> AccessDenied:
    return AccessDenied("unauthenticated", f"/headers/{header}", message)


def verify(public_key, method: str, path: str, body: bytes, headers: Mapping[str, str], now_s: float) -> tuple[int, str]:
    """Check one signed request.

    Args:
        public_key: the party's public key (from its verified client certificate).
        method, path, body: the request as received.
        headers: its headers (``Signature-*`` looked up as given).
        now_s: the server's time, Unix seconds.
    Returns:
        ``(created, nonce)`` of the valid signature.
    Raises:
        AccessDenied: ``unauthenticated``, with the header at fault as the field.
    """
    values = {name: headers.get(name) for name in (CREATED, NONCE, SIGNATURE)}
    for name, value in values.items():
        if not value:
            raise _refuse(name, f"a party's changes must be signed: {name} is missing")
    try:
        created = int(values[CREATED])
    except ValueError:
        raise _refuse(CREATED, "Signature-Created must be Unix seconds") from None
    if abs(now_s - created) > MAX_SKEW_S:
        raise _refuse(CREATED, f"the request was signed {int(now_s - created)} s from now; at most {MAX_SKEW_S} s")
    nonce = values[NONCE]
    if not _NONCE.match(nonce):
        raise _refuse(NONCE, "Signature-Nonce must be 16-64 characters of A-Z, a-z, 0-9, '_' or '-'")
    try:
        signature = base64.b64decode(values[SIGNATURE], validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(SIGNATURE, "Signature is not base64") from None
    signed = "\n".join((method.upper(), path, str(created), nonce, hashlib.sha256(body).hexdigest())).encode("utf-8")
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _refuse(SIGNATURE, "the party's certificate has no ECDSA key to check the signature with")
    try:
        public_key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _refuse(SIGNATURE, "the signature does not match the request: altered, or signed by another key") from None
    return created, nonce


class NonceBook:
    """Broker mixin: check a signed request (`verify`) and spend its nonce once (table
    ``request_nonces``). Methods of the broker so that a deliberately faulty broker can forget
    one of them."""

    def verify_signature(self, public_key, method: str, path: str, body: bytes, headers: Mapping[str, str],
                         now_s: float) -> tuple[int, str]:
        """`verify` (see there)."""
        return verify(public_key, method, path, body, headers, now_s)

    def spend_nonce(self, party_id: str, nonce: str, created: int) -> None:
        """Record the nonce; call inside the caller's lock, before the request takes effect.

        Raises:
            AccessDenied: ``unauthenticated`` (field ``/headers/Signature-Nonce``): used before.
        """
        key = f"{party_id}\n{nonce}"
        with self.repo.transaction():
            if self.repo.get("request_nonces", key) is not None:
                raise _refuse(NONCE, "this signed request was already received (a replay)")
            self.repo.put("request_nonces", {"nonce_key": key, "created": created})
