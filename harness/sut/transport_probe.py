"""The platform's transport as a certification lab probes it (Y2072-10-02, security policy
compliance): open one TLS connection with a chosen protocol version and client certificate,
ask for the product list, and report how far it got.

A declared policy (harness/catalog/security_policy.py) says which connections the platform
refuses: TLS below its minimum version, no client certificate, one from a CA it does not trust,
an expired one. The steps (harness/steps/security_policy.py) judge the `ConnectionProbe`s.

Implemented over HTTPS by `HttpSUT` with ``--credentials DIR`` (`HttpTransportProbe`, stdlib
`ssl` and `http.client`). An in-process SUT has no transport: it does not implement this, and
the scenarios are not tested (never passed).

Rules:
- A probe names the TLS version it offers (the only one it offers) and the certificate it
  presents: ``valid`` (the party's own from the credentials folder), ``none``, ``untrusted-ca``
  or ``expired`` (harness/probe_certificates.py).
- Refused means the platform served nothing: the handshake failed, the connection closed
  before an answer (TLS 1.3 rejects a client certificate after the client's side of the
  handshake is done), or an HTTP 401/403 came back. Served means an HTTP 2xx answer.
- A platform that cannot be reached at all (TCP refused, timeout), or whose server certificate the
  lab's CA does not verify, is `SUTError` (verdict error), not a refusal.
- To offer TLS 1.0/1.1 the probe lowers OpenSSL's security level for that one connection; the
  harness's own connections keep the library defaults. When the local OpenSSL cannot offer the
  version at all, the probe raises ``tls-version-unavailable`` instead of reporting a refusal
  the platform never made.
"""
from __future__ import annotations

import http.client
import socket
import ssl
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from .. import probe_certificates
from ..errors import HarnessError, SUTError

CERTIFICATES = ("valid", "none", "untrusted-ca", "expired")
with warnings.catch_warnings():   # the old versions are offered on purpose, to see them refused
    warnings.simplefilter("ignore", DeprecationWarning)
    _TLS = {"1.0": ssl.TLSVersion.TLSv1, "1.1": ssl.TLSVersion.TLSv1_1, "1.2": ssl.TLSVersion.TLSv1_2,
            "1.3": ssl.TLSVersion.TLSv1_3}


@dataclass(frozen=True)
class ConnectionProbe:
    """What one probing connection met.

    Attributes:
        offered: the TLS version offered ("1.2"), or None for the library's range.
        certificate: which client certificate was presented (`CERTIFICATES`).
        established: the TLS handshake completed on the client's side.
        tls_version: the version negotiated ("TLSv1.2"), None without a handshake.
        http_status: the HTTP status of the answer, None when none came.
        refusal: how the platform refused (alert text, closed connection, HTTP status), or None.
    """

    offered: str | None
    certificate: str
    established: bool
    tls_version: str | None
    http_status: int | None
    refusal: str | None

    @property
    def served(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300


@runtime_checkable
class TransportProbe(Protocol):
    """A SUT whose TLS transport the harness can open connections to at will."""

    @property
    def probes_transport(self) -> bool: ...
    def probe_connection(self, *, tls_version: str | None = None, certificate: str = "valid",
                         party: str = "alice") -> ConnectionProbe: ...


def _unavailable(version: str | None, why: str) -> HarnessError:
    return HarnessError(f"the harness cannot offer TLS {version}: {why}", code="tls-version-unavailable",
                        field="tls_version", actual=version)


class HttpTransportProbe:
    """Mixin for `HttpSUT` (``base_url``, ``credentials``, ``timeout``, ``wire_tap``)."""

    @property
    def probes_transport(self) -> bool:
        return self.credentials is not None and self.base_url.startswith("https://")

    def _probe_context(self, tls_version: str | None, certificate: str, party: str, folder: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(cafile=str(self.credentials / "ca.pem"))
        if tls_version is not None:
            if not {"1.0": ssl.HAS_TLSv1, "1.1": ssl.HAS_TLSv1_1}.get(tls_version, True):
                raise _unavailable(tls_version, "this Python's OpenSSL was built without it")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                context.minimum_version = context.maximum_version = _TLS[tls_version]
            if tls_version in ("1.0", "1.1"):
                context.set_ciphers("DEFAULT:@SECLEVEL=0")   # else OpenSSL 3 will not offer them
        if certificate == "valid":
            files = (self.credentials / f"{party}.pem", self.credentials / f"{party}.key")
        elif certificate == "untrusted-ca":
            files = probe_certificates.untrusted_identity(party, folder)
        elif certificate == "expired":
            files = probe_certificates.expired_identity(party, self.credentials, folder)
        elif certificate == "none":
            files = None
        else:
            raise ValueError(f"certificate must be one of {CERTIFICATES}, not {certificate!r}")
        if files is not None:
            context.load_cert_chain(*files)
        return context

    def probe_connection(self, *, tls_version: str | None = None, certificate: str = "valid",
                         party: str = "alice") -> ConnectionProbe:
        """Open one connection and ask for the product list on it.

        Args:
            tls_version: the only TLS version offered ("1.1"...), None for the library's range.
            certificate: the client certificate presented (`CERTIFICATES`).
            party: whose name the certificate carries.
        Returns:
            the `ConnectionProbe`.
        Raises:
            SUTError: ``sut-unreachable``: no TCP connection could be made.
            HarnessError: ``no-ca-key`` for an expired certificate without ``ca.key``.
        """
        parts = urlsplit(self.base_url)
        path = (parts.path.rstrip("/") or "") + "/products"
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="probe-") as folder:
            context = self._probe_context(tls_version, certificate, party, Path(folder))
            connection = http.client.HTTPSConnection(parts.hostname, parts.port or 443, context=context,
                                                     timeout=self.timeout)
            established, negotiated, status, refusal = False, None, None, None
            try:
                try:
                    connection.connect()
                except ssl.SSLCertVerificationError as exc:   # the platform's own certificate: not a refusal
                    raise SUTError(f"{self.base_url} presents a certificate the credentials' ca.pem does not "
                                   f"verify: {exc.verify_message}", code="sut-untrusted-certificate", field=path,
                                   expected="a server certificate of the lab's CA", actual=str(exc)) from exc
                except ssl.SSLError as exc:
                    if exc.reason in ("NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE"):   # refused here, unsent
                        raise _unavailable(tls_version, str(exc)) from exc
                    refusal = f"handshake refused: {exc.reason or exc}"
                except (ConnectionResetError, BrokenPipeError) as exc:
                    refusal = f"handshake refused: connection closed ({type(exc).__name__})"
                except OSError as exc:
                    raise SUTError(f"cannot connect to {self.base_url}: {exc}", code="sut-unreachable",
                                   field=path, expected="a TCP connection", actual=str(exc)) from exc
                if refusal is None:
                    established, negotiated = True, connection.sock.version()
                    try:
                        connection.request("GET", path, headers={"Accept": "application/json"})
                        answer = connection.getresponse()
                        answer.read()
                        status = answer.status
                        if not 200 <= status < 300:
                            refusal = f"HTTP {status}"
                    except (ssl.SSLError, ConnectionError, http.client.HTTPException, socket.timeout) as exc:
                        refusal = f"connection closed without an answer: {getattr(exc, 'reason', None) or exc}"
            finally:
                connection.close()
        probe = ConnectionProbe(tls_version, certificate, established, negotiated, status, refusal)
        if self.wire_tap is not None:
            self.wire_tap({"layer": "tls", "url": self.base_url + path, **asdict(probe),
                           "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
        return probe
