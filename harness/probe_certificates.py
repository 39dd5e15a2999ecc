"""Client certificates a platform must refuse, made on the spot for the security-policy checks
(Y2072-10-02; harness/sut/transport_probe.py): one a CA the platform does not trust issued,
and one the platform's own CA issued but whose validity ended.

Rules:
- The untrusted CA carries the same subject name as the lab's CA (``harness pki init``), so a
  platform that matches issuers by name instead of verifying signatures is caught too.
- The expired certificate is issued by the lab's CA itself (``ca.pem`` and ``ca.key`` of the
  credentials folder), for a party the platform knows: only its dates are wrong. Without
  ``ca.key`` it cannot be made, and `expired_identity` says so.
- ECDSA P-256 keys, as `harness.pki` makes; files go to a folder the caller owns (keys 0600).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from . import pki
from .errors import HarnessError

EXPIRED_FOR = timedelta(days=30)   # how long ago the expired certificate's validity ended


def _client_certificate(party: str, key, issuer: x509.Certificate, issuer_key, not_before: datetime,
                        not_after: datetime) -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(pki._name(party, "party")).issuer_name(issuer.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(issuer_key, hashes.SHA256()))


def _save(folder: Path, stem: str, cert: x509.Certificate, key) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki._write_key(key_path, key)
    return cert_path, key_path


def untrusted_identity(party: str, folder: Path) -> tuple[Path, Path]:
    """A certificate for ``party`` from a fresh CA the platform has never seen.

    Returns:
        (certificate PEM, key PEM) paths in ``folder``.
    """
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = pki._name("energy-conformance-harness test CA")
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _client_certificate(party, key, ca_cert, ca_key, now - timedelta(days=1), now + timedelta(days=30))
    return _save(folder, f"untrusted-{party}", cert, key)


def expired_identity(party: str, credentials: Path, folder: Path) -> tuple[Path, Path]:
    """A certificate for ``party`` from the lab's own CA, expired `EXPIRED_FOR` ago.

    Returns:
        (certificate PEM, key PEM) paths in ``folder``.
    Raises:
        HarnessError: ``no-ca-key``: the credentials folder has no ``ca.key`` (or ``ca.pem``)
            to issue it with.
    """
    ca_pem, ca_key_pem = Path(credentials) / "ca.pem", Path(credentials) / "ca.key"
    for path in (ca_pem, ca_key_pem):
        if not path.is_file():
            raise HarnessError(f"{path} is missing: an expired certificate of the platform's CA cannot be made; "
                               "use a `harness pki init` folder that keeps ca.key", code="no-ca-key",
                               field="--credentials", actual=str(path))
    ca_cert = x509.load_pem_x509_certificate(ca_pem.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_pem.read_bytes(), password=None)
    now = datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _client_certificate(party, key, ca_cert, ca_key, now - EXPIRED_FOR - timedelta(days=60),
                               now - EXPIRED_FOR)
    return _save(folder, f"expired-{party}", cert, key)
