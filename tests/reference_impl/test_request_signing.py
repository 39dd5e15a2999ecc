"""Signed requests: the harness's signer (harness/protocols/request_signature.py) and the
broker's independent check (reference_impl/request_signing.py) agree, and every way a request
can be wrong is refused naming the header at fault."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness.protocols.request_signature import sign
from reference_impl.access import AccessDenied
from reference_impl.request_signing import MAX_SKEW_S, verify

KEY = ec.generate_private_key(ec.SECP256R1())
BODY = b'{"readings": [{"energy_kwh": 0.5}]}'
NOW = 1_800_000_000


def headers(**changes):
    return {**sign(KEY, "POST", "/meters/M-1/readings", BODY, created=NOW, nonce="n" * 20), **changes}


def refused_field(*, key=KEY, body=BODY, path="/meters/M-1/readings", now=NOW, **changes) -> str:
    with pytest.raises(AccessDenied) as caught:
        verify(key.public_key(), "POST", path, body, headers(**changes), now)
    assert caught.value.status == "unauthenticated"
    return caught.value.field


def test_a_signed_request_verifies():
    assert verify(KEY.public_key(), "post", "/meters/M-1/readings", BODY, headers(), NOW + MAX_SKEW_S) == (NOW, "n" * 20)


def test_each_wrong_request_is_refused_naming_the_header():
    assert refused_field(body=BODY.replace(b"0.5", b"0.6")) == "/headers/Signature"
    assert refused_field(path="/meters/M-2/readings") == "/headers/Signature"
    assert refused_field(key=ec.generate_private_key(ec.SECP256R1())) == "/headers/Signature"
    assert refused_field(now=NOW + MAX_SKEW_S + 1) == "/headers/Signature-Created"
    assert refused_field(**{"Signature-Nonce": "short"}) == "/headers/Signature-Nonce"
    assert refused_field(**{"Signature": "not base64!"}) == "/headers/Signature"
    assert refused_field(**{"Signature-Created": ""}) == "/headers/Signature-Created"
