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
