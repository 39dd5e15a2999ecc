"""The broker's own secrets, kept across restarts: the Ed25519 key that signs trade records, the
ECDSA P-256 key that signs bills and the master secret of the customers' HMAC pseudonyms.

Why they must persist: a restarted broker that drew new keys could no longer show that the
records and bills it issued before are its own (their signatures name a key nobody publishes any
more), and the same customer would get a new pseudonym in the same retailer domain, so a
retailer could not relate that customer's bills (GDPR Art. 4(5): pseudonymised, still
attributable by the key holder).

Rules:
- One folder per broker (mode 0700), one file per secret (mode 0600): PKCS#8 PEM for keys, hex for
  a raw secret. Secrets never go into the SQLite database, whose rows the HTTP binding serves.
- A secret is made the first time it is asked for and never replaced. It is written to a
  temporary file, flushed to disk and then hard-linked to its name, so a crash leaves either the
  whole file or none (never a half-written key), and two writers cannot both win.
- ``KeyStore(None)`` keeps secrets in memory only: a throwaway broker in a test.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class KeyStoreError(RuntimeError):
    """A secret on disk cannot be read; the message names the file and what to do."""


class KeyStore:
    """Args:
        folder: where the secrets live (created if missing); None keeps them in memory.
    """

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder is not None else None
        self._memory: dict[str, object] = {}

    def ed25519(self, name: str) -> Ed25519PrivateKey:
        return self._key(name, Ed25519PrivateKey.generate, Ed25519PrivateKey)

    def ecdsa_p256(self, name: str) -> ec.EllipticCurvePrivateKey:
        return self._key(name, lambda: ec.generate_private_key(ec.SECP256R1()), ec.EllipticCurvePrivateKey)

    def secret(self, name: str, size: int = 32) -> bytes:
        if name in self._memory:
            return self._memory[name]
        if self.folder is None:
            value = secrets.token_bytes(size)
        else:
            path = self.folder / f"{name}.hex"
            raw = self._read_or_create(path, lambda: secrets.token_bytes(size).hex().encode())
            try:
                value = bytes.fromhex(raw.decode("ascii").strip())
            except ValueError:
                raise KeyStoreError(f"{path} is not a hex secret; restore it from backup (deleting it "
                                    "makes every pseudonym of this broker change)") from None
        self._memory[name] = value
        return value

    # -- plumbing ----------------------------------------------------------------------------
    def _key(self, name: str, generate, expected_type):
        if name in self._memory:
            return self._memory[name]
        if self.folder is None:
            key = generate()
        else:
            path = self.folder / f"{name}.pem"
            raw = self._read_or_create(path, lambda: generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
            try:
                key = serialization.load_pem_private_key(raw, password=None)
            except (ValueError, TypeError) as exc:
                raise KeyStoreError(f"{path} is not a readable private key ({exc}); restore it from backup "
                                    "(deleting it means earlier signatures no longer match the published key)") from exc
            if not isinstance(key, expected_type):
                raise KeyStoreError(f"{path} holds a {type(key).__name__}, not the expected key type")
        self._memory[name] = key
        return key

    def _read_or_create(self, path: Path, make) -> bytes:
        if path.is_file():
            return path.read_bytes()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(make())
                stream.flush()
                os.fsync(stream.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another writer won; its secret is the one
        finally:
            temporary.unlink(missing_ok=True)
        return path.read_bytes()
