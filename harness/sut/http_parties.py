"""Party credentials for `HttpSUT` (``harness run --credentials DIR``) and its party views
(harness/sut/parties.py).

DIR is a `harness pki init` folder: ``ca.pem`` (the CA the platform's server certificate must
chain to), ``operator.pem``/``.key`` (the harness's own identity, role operator) and
``<party>.pem``/``.key`` per participant the security features act as. Each view is another
`HttpSUT` on the same URL presenting that party's certificate, or none (`anonymous`).
"""
from __future__ import annotations

import re
import ssl
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ..errors import HarnessError
from ..protocols import request_signature

OPERATOR = "operator"


def client_context(credentials: Path, identity: str | None) -> ssl.SSLContext:
    """A TLS client context trusting ``credentials/ca.pem`` and presenting ``identity``'s
    certificate (none when ``identity`` is None).

    Raises:
        HarnessError: a file of the folder is missing or unreadable (the error names it).
    """
    folder = Path(credentials)
    ca = folder / "ca.pem"
    if not ca.is_file():
        raise HarnessError(f"{ca} is missing; create the folder with `harness pki init {folder}`",
                           code="no-party-credentials", field="--credentials", actual=str(ca))
    context = ssl.create_default_context(cafile=str(ca))
    if identity is not None:
        cert, key = folder / f"{identity}.pem", folder / f"{identity}.key"
        for path in (cert, key):
            if not path.is_file():
                raise HarnessError(f"no certificate for party {identity!r}: {path} is missing; "
                                   f"`harness pki init {folder} --party {identity}` makes one",
                                   code="no-party-credentials", field="--credentials", actual=str(path))
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise HarnessError(f"cannot load {cert}: {exc}", code="no-party-credentials",
                               field="--credentials", actual=str(cert)) from exc
    return context


def altered(data: bytes) -> bytes:
    """The body with its last digit changed (still valid JSON, no longer what was signed)."""
    match = None
    for match in re.finditer(rb"[0-9]", data):
        pass
    if match is None:
        return data + b" "
    digit = int(match.group())
    return data[:match.start()] + str((digit + 1) % 10).encode() + data[match.end():]


class HttpPartyViews:
    """Mixin for `HttpSUT`: the `PartySUT` capability, when it was given ``credentials``.

    A view acting as a party signs each POST with its key (harness/protocols/request_signature.py);
    `replay_last` sends the last signed request again, byte for byte, and `alter_next` changes
    the body of the next one after it has been signed.
    """

    credentials: Path | None = None
    identity: str | None = None
    _last_signed: tuple | None = None
    _replaying: tuple | None = None
    _alter: bool = False
    _signing_key = None
    _sign_offset_s: int | None = None

    def _prepare_request(self, method: str, path: str, data: bytes | None, headers: dict) -> tuple:
        if self._replaying is not None:
            replay, self._replaying = self._replaying, None
            return replay
        if method != "POST" or self.identity in (None, OPERATOR) or self.credentials is None:
            return data, headers
        if self._signing_key is None:
            pem = (self.credentials / f"{self.identity}.key").read_bytes()
            self._signing_key = serialization.load_pem_private_key(pem, password=None)
        created = None
        if self._sign_offset_s is not None:  # sign_next_at (Y2072-10-02: the declared freshness window)
            created, self._sign_offset_s = int(time.time()) + self._sign_offset_s, None
        headers = {**headers, **request_signature.sign(self._signing_key, method, path, data or b"",
                                                       created=created)}
        if self._alter:
            self._alter, data = False, altered(data or b"")
        self._last_signed = (method, path, data, headers)
        return data, headers

    def replay_last(self):
        """Send the last signed request again, unchanged (a replay). Returns: the Response."""
        if self._last_signed is None:
            raise HarnessError("no signed request was sent to replay", code="feature-error")
        method, path, data, headers = self._last_signed
        self._replaying = (data, headers)
        return self._call(method, path)

    def alter_next(self) -> None:
        """Change the body of the next signed request after signing it."""
        self._alter = True

    def sign_next_at(self, offset_s: int) -> None:
        """Date the next signed request ``offset_s`` seconds from now (negative: in the past)."""
        self._sign_offset_s = int(offset_s)

    @property
    def authenticates_parties(self) -> bool:
        return self.credentials is not None and self.base_url.startswith("https://")

    def _view(self, identity: str | None):
        if not self.authenticates_parties:
            raise HarnessError("acting as a party needs an https:// SUT and --credentials DIR",
                               code="no-party-credentials", field="--credentials", actual=self.base_url)
        view = type(self)(self.base_url, self.workdir, timeout=self.timeout, credentials=self.credentials,
                          identity=identity)
        view.wire_tap = self.wire_tap
        return view

    def as_party(self, party_id: str):
        return self._view(party_id)

    def anonymous(self):
        return self._view(None)
