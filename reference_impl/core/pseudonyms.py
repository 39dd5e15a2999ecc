"""Keyed pseudonyms for bills (GDPR Art. 4(5) pseudonymisation, Art. 25 data protection by
design): a customer or counterparty is named on a bill by HMAC-SHA256 under the retailer's key
for one pseudonym domain, never by a bare hash (a bare SHA-256 of an identifier is reversed by
hashing candidate identifiers, so it identifies).

Rules: the key is the retailer's secret (at least 32 bytes); the message is
``domain || 0x1f || kind || 0x1f || identifier`` (UTF-8), so the same customer has unrelated
pseudonyms in two domains and a customer cannot be confused with a counterparty of the same
name. Written ``hmac-sha256:<hex>``.
"""
from __future__ import annotations

import hashlib
import hmac

PREFIX = "hmac-sha256:"
MIN_KEY_BYTES = 32


def pseudonym(key: bytes, domain: str, kind: str, identifier: str) -> str:
    """Raises ValueError for a short key or an empty domain, kind or identifier."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"a pseudonym key needs at least {MIN_KEY_BYTES} bytes, got {len(key)}")
    if not (domain and kind and identifier):
        raise ValueError("domain, kind and identifier must be non-empty")
    message = "\x1f".join((domain, kind, identifier)).encode("utf-8")
    return PREFIX + hmac.new(key, message, hashlib.sha256).hexdigest()


def domain_key(master: bytes, domain: str) -> bytes:
    """One key per retailer domain, derived from a master secret (HMAC as a PRF)."""
    return hmac.new(master, b"bill-pseudonym-domain\x1f" + domain.encode("utf-8"), hashlib.sha256).digest()


def bare_hashes(identifier: str) -> set[str]:
    """What an unkeyed pseudonym of ``identifier`` would look like (for the GDPR checks)."""
    data = identifier.encode("utf-8")
    digests = {hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()}
    return digests | {PREFIX + d for d in digests}
