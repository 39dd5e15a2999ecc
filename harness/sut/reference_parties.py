"""Party views of the in-process reference broker (harness/sut/parties.py): each call is first
put to the broker's access rules (reference_impl/access.py) as the named party, exactly as the
HTTP binding does after the TLS handshake, then run on the same broker.

In process there is no transport to authenticate on, so `anonymous()` is the caller the binding
sees when no client certificate came: no principal."""
from __future__ import annotations

from functools import partial

from reference_impl.access import AccessDenied, Principal

from . import Response
from .parties import OPERATIONS


class ReferencePartyView:
    """The reference broker as ``principal`` sees it (None: nobody authenticated)."""

    def __init__(self, sut, principal: Principal | None):
        self._sut, self._principal = sut, principal

    def _run(self, method: str, *args) -> Response:
        operation, shape = OPERATIONS[method]
        ids, body = shape(*args)
        try:
            self._sut.broker.authorise(self._principal, operation, ids, body)
        except AccessDenied as denied:
            return Response(denied.status, None, (denied.to_record(),))
        return getattr(self._sut, method)(*args)

    def __getattr__(self, name: str):
        if name in OPERATIONS:
            return partial(self._run, name)
        raise AttributeError(name)


class ReferencePartyViews:
    """Mixin for `ReferenceSUT`: the `PartySUT` capability."""

    authenticates_parties = True

    def as_party(self, party_id: str) -> ReferencePartyView:
        return ReferencePartyView(self, Principal(party_id, "party"))

    def anonymous(self) -> ReferencePartyView:
        return ReferencePartyView(self, None)
