"""Deliberately faulty TLS set-ups of the reference broker (`harness serve --pki`), each one
realistic misconfiguration that breaks the security policy the broker declares in
profiles/reference-broker.yaml (Y2072-10-02): pass one as ``tls=`` to `serving_in_thread`.
"""
from __future__ import annotations

import ssl
import warnings

from reference_impl.adapters.tls_auth import TlsSettings

X509_V_FLAG_NO_CHECK_TIME = 0x200000   # OpenSSL: skip the validity-period check of the chain


class AcceptsTls11(TlsSettings):
    """Keeps an old client library working: TLS 1.0 and 1.1 allowed (and OpenSSL's security level
    lowered so it will negotiate them), below the TLS 1.2 the policy declares."""

    def context(self) -> ssl.SSLContext:
        context = super().context()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        return context


class AcceptsExpiredCertificates(TlsSettings):
    """Ignores certificate dates (a lab shortcut left on): an expired party certificate of the
    right CA is still accepted."""

    def context(self) -> ssl.SSLContext:
        context = super().context()
        context.verify_flags = context.verify_flags | X509_V_FLAG_NO_CHECK_TIME
        return context
