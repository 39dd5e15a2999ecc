"""TLS with client certificates for the broker's HTTP binding and its OpenADR VTN (the OpenADR
2.0b profile's choice: both ends present X.509 certificates of a CA the other trusts).

What this module owns: the server's `ssl.SSLContext` built from a PKI folder, and the mapping
from a verified client certificate to a `Principal` (reference_impl/access.py).

Rules:
- TLS 1.2 or later. A client certificate is asked for and, when sent, must chain to the
  folder's ``ca.pem``, or the handshake fails. A client that sends none still completes the
  handshake, and every request on its connection is refused 401 by the binding (so it learns
  why, instead of seeing a reset connection).
- The party id is the certificate's subject common name; the role its organisational unit
  (``operator`` or ``party``; anything else counts as ``party``).
- The certificate's SHA-256 fingerprint (hex, lower case) identifies a VEN to the VTN, as the
  OpenADR 2.0b certificate profile does.
- `pseudonym` turns a party id into a keyed, stable tag for the log: the log never holds a
  participant id in clear.
"""
from __future__ import annotations

import hashlib
import hmac
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..access import Principal


@dataclass(frozen=True)
class TlsSettings:
    """The server's certificate, key, and the CA its clients' certificates must chain to."""

    cert: Path
    key: Path
    ca: Path

    @classmethod
    def from_dir(cls, directory: str | Path) -> TlsSettings:
        """Read ``server.pem``, ``server.key`` and ``ca.pem`` of a `harness pki init` folder.

        Raises:
            FileNotFoundError: one of the three is missing (the message names it).
        """
        folder = Path(directory)
        settings = cls(folder / "server.pem", folder / "server.key", folder / "ca.pem")
        for path in (settings.cert, settings.key, settings.ca):
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing; create the folder with `harness pki init {folder}`")
        return settings

    def context(self) -> ssl.SSLContext:
        """Returns: a server context asking for (and verifying) client certificates."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        context.load_verify_locations(cafile=self.ca)
        context.verify_mode = ssl.CERT_OPTIONAL
        return context


def principal_from_der(der: bytes | None) -> Principal | None:
    """The party a verified client certificate names, or None without a certificate.

    Args:
        der: the peer certificate as ``SSLSocket.getpeercert(binary_form=True)`` gives it (the
            handshake has already verified it against the CA).
    Returns:
        the principal, or None (no certificate, or one without a common name).
    """
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names or not str(names[0].value).strip():
        return None
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    role = "operator" if units and units[0].value == "operator" else "party"
    return Principal(str(names[0].value), role)


def fingerprint(der: bytes) -> str:
    """Returns: the SHA-256 fingerprint of a DER certificate, lower-case hex."""
    return hashlib.sha256(der).hexdigest()


def pseudonym(key: bytes, party_id: str) -> str:
    """Returns: a 12-hex-digit keyed tag of ``party_id`` for the log (HMAC-SHA-256)."""
    return hmac.new(key, party_id.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


def public_key_from_der(der: bytes | None):
    """Returns: the public key of a DER certificate (None without one)."""
    return x509.load_der_x509_certificate(der).public_key() if der else None


class AuthenticatingServer:
    """Mixin for a `socketserver` TCP server: TLS with client certificates when ``ssl_context``
    is set (the handshake in the request's own thread, never in the accept loop, so one slow
    client cannot stall the others), and `principal` for a connection. ``log(line)`` and a
    handler class with a ``timeout`` come from the server it is mixed into."""

    ssl_context: ssl.SSLContext | None = None   # None: the insecure test mode
    handshake_timeout_s = 60.0

    def get_request(self):
        sock, address = super().get_request()
        if self.ssl_context is None:
            return sock, address
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def finish_request(self, request, client_address) -> None:
        if self.ssl_context is not None:
            try:
                request.settimeout(self.handshake_timeout_s)
                request.do_handshake()
            except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
                self.log(f"tls: handshake refused: {type(exc).__name__}: {getattr(exc, 'reason', None) or exc}")
                return
        super().finish_request(request, client_address)

    def principal(self, connection) -> Principal | None:
        """Who sent the requests on ``connection``: the operator in the insecure test mode,
        else the party of its verified client certificate (None without one)."""
        if self.ssl_context is None:
            return Principal("operator", "operator")
        return principal_from_der(connection.getpeercert(binary_form=True))
