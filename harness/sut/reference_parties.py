"""Party views of the in-process reference broker (harness/sut/parties.py): each call is first
put to the broker's access rules (reference_impl/access.py) as the named party, exactly as the
HTTP binding does after the TLS handshake, then run on the same broker.

In process there is no transport to authenticate on, so `anonymous()` is the caller the binding
sees when no client certificate came: no principal. Each party gets an ECDSA P-256 key on first
use (in the binding, its certificate's); its changes are signed with it and checked by the
broker's `request_signing` rules (signature, then the nonce spent) as the binding checks them.
"""
from __future__ import annotations

import json
import time
from functools import partial

from cryptography.hazmat.primitives.asymmetric import ec

from reference_impl.access import AccessDenied, Principal

from ..errors import HarnessError
from ..protocols import request_signature
from . import Response
from .http_parties import altered
from .parties import OPERATIONS, SIGNED


class ReferencePartyView:
    """The reference broker as ``principal`` sees it (None: nobody authenticated)."""

    def __init__(self, sut, principal: Principal | None, key: ec.EllipticCurvePrivateKey | None):
        self._sut, self._principal, self._key = sut, principal, key
        self._last: tuple | None = None
        self._alter = False
        self._sign_offset_s: int | None = None

    def _refused(self, denied: AccessDenied) -> Response:
        return Response(denied.status, None, (denied.to_record(),))

    def _run(self, method: str, *args, signed: tuple | None = None) -> Response:
        operation, shape = OPERATIONS[method]
        ids, body = shape(*args)
        broker = self._sut.broker
        try:
            broker.authorise(self._principal, operation, ids, body)
            if method in SIGNED and self._principal is not None:
                if signed is None:
                    path = "/" + "/".join((operation, *ids))
                    data = json.dumps(body, sort_keys=True, default=str).encode("utf-8")
                    created = None
                    if self._sign_offset_s is not None:  # sign_next_at
                        created, self._sign_offset_s = int(time.time()) + self._sign_offset_s, None
                    headers = request_signature.sign(self._key, "POST", path, data, created=created)
                    if self._alter:
                        self._alter, data = False, altered(data)
                    signed = (path, data, headers)
                    self._last = (method, args, signed)
                path, data, headers = signed
                created, nonce = broker.verify_signature(self._key.public_key(), "POST", path, data, headers,
                                                         time.time())
                broker.spend_nonce(self._principal.party_id, nonce, created)
        except AccessDenied as denied:
            return self._refused(denied)
        return getattr(self._sut, method)(*args)

    def replay_last(self) -> Response:
        if self._last is None:
            raise HarnessError("no signed request was sent to replay", code="feature-error")
        method, args, signed = self._last
        return self._run(method, *args, signed=signed)

    def alter_next(self) -> None:
        self._alter = True

    def sign_next_at(self, offset_s: int) -> None:
        self._sign_offset_s = int(offset_s)

    def __getattr__(self, name: str):
        if name in OPERATIONS:
            return partial(self._run, name)
        raise AttributeError(name)


class ReferencePartyViews:
    """Mixin for `ReferenceSUT`: the `PartySUT` capability."""

    authenticates_parties = True
    _party_keys: dict | None = None

    def as_party(self, party_id: str) -> ReferencePartyView:
        if self._party_keys is None:
            self._party_keys = {}
        if party_id not in self._party_keys:
            self._party_keys[party_id] = ec.generate_private_key(ec.SECP256R1())
        key = self._party_keys[party_id]
        return ReferencePartyView(self, Principal(party_id, "party"), key)

    def anonymous(self) -> ReferencePartyView:
        return ReferencePartyView(self, None, None)
