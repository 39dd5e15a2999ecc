"""A test public-key infrastructure for local runs: one CA, a server certificate for the broker
and one client certificate per party (`harness pki init DIR --party alice ...`).

The OpenADR 2.0b profile authenticates both ends with X.509 certificates over TLS; this module
makes the same shape for a lab: the party id is the certificate's common name, its role
(``operator`` or ``party``, reference_impl/access.py) the organisational unit. Keys are ECDSA
P-256 (the curve the OpenADR 2.0b certificates use), made with `cryptography`.

Layout of DIR (read by `harness serve --pki DIR` and `harness run --credentials DIR`):
``ca.pem`` (the CA certificate; ``ca.key`` its key, kept to issue more), ``server.pem`` and
``server.key`` (SAN ``localhost``, ``127.0.0.1``, ``::1`` and any ``--host``), and
``<party>.pem`` / ``<party>.key`` per party. Private keys are written with mode 0600. These are
test credentials: never use them outside a lab.
"""
from __future__ import annotations

import ipaddress
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .errors import HarnessError

DEFAULT_PARTIES = ("alice", "bob", "carol")  # the parties the security features act as
OPERATOR = "operator"
VALID_DAYS = 825
_PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def _issue(subject: x509.Name, key, issuer: x509.Name, issuer_key, now: datetime, *, ca: bool,
           usage, san: list | None = None) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=VALID_DAYS))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "energy-conformance-harness test PKI")]
    if unit:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def init(directory: Path, parties: tuple[str, ...] = DEFAULT_PARTIES, *, hosts: tuple[str, ...] = (),
         operator: str = OPERATOR) -> list[Path]:
    """Create a CA, a server certificate and one client certificate per party in ``directory``.

    Args:
        directory: where the files go (created; existing files of the same names are replaced).
        parties: participant ids to certify with role ``party``.
        hosts: extra DNS names or IP addresses for the server certificate.
        operator: the id certified with role ``operator`` (the harness's own identity).
    Returns:
        the files written.
    Raises:
        HarnessError: a party id that is not 1-64 letters, digits, ``.``, ``_`` or ``-``, or
            a party id used twice.
    """
    names = (operator, *parties)
    for index, party in enumerate(names):
        if not _PARTY_ID.match(party) or party in ("ca", "server"):
            raise HarnessError(f"party id {party!r} must be 1-64 letters, digits, '.', '_' or '-', "
                               "and not 'ca' or 'server'", code="bad-party-id", field=f"--party[{index}]",
                               actual=party)
    if len(set(names)) != len(names):
        raise HarnessError("each party id once, and none equal to the operator's", code="bad-party-id",
                           field="--party", actual=list(names))
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("energy-conformance-harness test CA")
    ca_cert = _issue(ca_name, ca_key, ca_name, ca_key, now, ca=True, usage=None)
    written = []

    def save(stem: str, cert: x509.Certificate, key) -> None:
        (directory / f"{stem}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(directory / f"{stem}.key", key)
        written.extend([directory / f"{stem}.pem", directory / f"{stem}.key"])

    save("ca", ca_cert, ca_key)
    san: list = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 x509.IPAddress(ipaddress.ip_address("::1"))]
    for host in hosts:
        try:
            san.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            san.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    save("server", _issue(_name("reference broker"), server_key, ca_name, ca_key, now, ca=False,
                          usage=ExtendedKeyUsageOID.SERVER_AUTH, san=san), server_key)
    for party in names:
        key = ec.generate_private_key(ec.SECP256R1())
        role = "operator" if party == operator else "party"
        save(party, _issue(_name(party, role), key, ca_name, ca_key, now, ca=False,
                           usage=ExtendedKeyUsageOID.CLIENT_AUTH), key)
    return written
