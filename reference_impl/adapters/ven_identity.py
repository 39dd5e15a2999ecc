"""Which client certificate a VEN is (OpenADR 2.0b profile, security: the VTN knows a VEN by
the fingerprint of the X.509 certificate it presents over TLS).

What this module owns: the ``ven_certificates`` table (venID -> SHA-256 fingerprint) and the
two rules `Vtn` applies when TLS is on:
- a registration binds the venID the VTN assigned to the certificate that registered it;
- a message naming a venID bound to another certificate is refused (HTTP 403), so one VEN
  cannot poll, opt or report as another, even knowing its venID.
Without TLS (the insecure test mode) nothing is bound or checked. Call with the service lock
held; the repository is the broker's.
"""
from __future__ import annotations

TABLE = "ven_certificates"


class VenIdentityRefused(Exception):
    """The message's venID belongs to another certificate."""


def check(repo, ven_id: str | None, fingerprint: str | None) -> None:
    """Refuse a message naming ``ven_id`` from a certificate it is not bound to.

    Raises:
        VenIdentityRefused: the venID is bound to another fingerprint.
    """
    if fingerprint is None or not ven_id:
        return
    bound = repo.get(TABLE, ven_id)
    if bound is not None and bound["fingerprint"] != fingerprint:
        raise VenIdentityRefused(f"venID {ven_id!r} is registered to another client certificate")


def bind(repo, ven_id: str | None, fingerprint: str | None) -> None:
    """Bind ``ven_id`` to the certificate that registered it (first registration wins)."""
    if fingerprint is None or not ven_id or repo.get(TABLE, ven_id) is not None:
        return
    with repo.transaction():
        repo.put(TABLE, {"ven_id": ven_id, "fingerprint": fingerprint})
