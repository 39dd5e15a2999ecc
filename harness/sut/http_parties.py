"""Party credentials for `HttpSUT` (``harness run --credentials DIR``) and its party views
(harness/sut/parties.py).

DIR is a `harness pki init` folder: ``ca.pem`` (the CA the platform's server certificate must
chain to), ``operator.pem``/``.key`` (the harness's own identity, role operator) and
``<party>.pem``/``.key`` per participant the security features act as. Each view is another
`HttpSUT` on the same URL presenting that party's certificate, or none (`anonymous`).
"""
from __future__ import annotations

import ssl
from pathlib import Path

from ..errors import HarnessError

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


class HttpPartyViews:
    """Mixin for `HttpSUT`: the `PartySUT` capability, when it was given ``credentials``."""

    credentials: Path | None = None

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
