"""Deliberately faulty platforms for Y.2072 clause 10 beyond tests/harness/faulty_suts.py (which
had grown past the module-size rule): the reference broker with one realistic security bug each.
Factories are `--sut faulty_security_suts:<name>` entry points; the broker classes can be served
over HTTPS with `serving_in_thread(broker_class=...)`.
"""
from __future__ import annotations

from faulty_suts import _factory
from reference_impl.access import Principal
from reference_impl.broker import ReferenceBroker


class _ActsInTheNamedParty(ReferenceBroker):
    """SEC-ISOLATION-WRITE: a change is authorised for the party its body names (a resource's
    ``owner_id``, a contract action's ``by``) instead of the party that authenticated, so bob
    registers resources as alice and carol cancels bob's contract in his name (a confused
    deputy). Reads, and changes named only by the path (meter readings), are still checked."""

    def authorise(self, principal, operation, ids, body):
        named = None
        if principal is not None and principal.role == "party" and isinstance(body, dict):
            named = body.get("owner_id") if operation == "register_resource" else (
                body.get("by") if operation == "contract_event" else None)
        if isinstance(named, str) and named.strip():
            principal = Principal(named, "party")
        super().authorise(principal, operation, ids, body)


acts_in_the_named_party = _factory(_ActsInTheNamedParty, "changes records in the name the request gives")


# -- security policy compliance (Y2072-10-02): the broker breaks a rule its declared policy states --
class _IgnoresSignatureAge(ReferenceBroker):
    """Y2072-10-02: checks a signed request's signature and nonce but not its date, so a request
    signed long ago (or dated in the future) is accepted, against the 300 s window the reference
    declares in profiles/reference-broker.yaml."""

    def verify_signature(self, public_key, method, path, body, headers, now_s):
        created = headers.get("Signature-Created") or ""
        judged_at = float(created) if created.isdigit() else now_s   # the age check always sees 0 s
        return super().verify_signature(public_key, method, path, body, headers, judged_at)


ignores_signature_age = _factory(_IgnoresSignatureAge, "ignores the age of signed requests")
