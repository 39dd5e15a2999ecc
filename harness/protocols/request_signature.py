"""Signed requests of the HTTP binding (README, "Signed requests"): a participant signs each
request that changes something with the private key of its client certificate, so the platform
can tell an altered request (the signature no longer verifies) and a replayed one (its nonce
was seen before) from a fresh one. Y.2072 clause 10 (integrity of platform data).

The signed bytes are five lines joined by ``\\n``: the method in upper case, the request path
(with its query string, if any), ``Signature-Created`` (Unix seconds), ``Signature-Nonce``
(16-64 characters of ``[A-Za-z0-9_-]``), and the SHA-256 of the body in lower-case hex (of the
empty string without a body). ``Signature`` is the base64 of the DER ECDSA-SHA256 signature.
This module is the harness's side; reference_impl/request_signing.py checks it in the broker,
independently written from this description.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

CREATED, NONCE, SIGNATURE = "Signature-Created", "Signature-Nonce", "Signature"


def signed_bytes(method: str, path: str, created: int, nonce: str, body: bytes) -> bytes:
    """Returns: the bytes a request's signature covers."""
    return "\n".join((method.upper(), path, str(created), nonce, hashlib.sha256(body).hexdigest())).encode("utf-8")


def sign(key: ec.EllipticCurvePrivateKey, method: str, path: str, body: bytes, *,
         created: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """Sign one request.

    Args:
        key: the party's ECDSA private key (the one its client certificate certifies).
        method, path, body: the request as it will be sent.
        created: Unix seconds; now by default.
        nonce: a fresh random one by default.
    Returns:
        the three headers to send with the request.
    """
    created = int(time.time()) if created is None else created
    nonce = nonce or secrets.token_urlsafe(18)
    signature = key.sign(signed_bytes(method, path, created, nonce, body), ec.ECDSA(hashes.SHA256()))
    return {CREATED: str(created), NONCE: nonce, SIGNATURE: base64.b64encode(signature).decode("ascii")}
