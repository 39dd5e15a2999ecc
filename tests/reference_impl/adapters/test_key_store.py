"""The broker's key store: secrets made once, kept across restarts, never half-written."""
from __future__ import annotations

import os
import stat

import pytest

from reference_impl.adapters.key_store import KeyStore, KeyStoreError


def _raw(key) -> bytes:
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def test_secrets_survive_a_new_store_on_the_same_folder(tmp_path):
    first = KeyStore(tmp_path / "keys")
    trade, bill, master = first.ed25519("trade-records"), first.ecdsa_p256("bill-signing"), first.secret("m")
    again = KeyStore(tmp_path / "keys")
    assert _raw(again.ed25519("trade-records")) == _raw(trade)
    assert _raw(again.ecdsa_p256("bill-signing")) == _raw(bill)
    assert again.secret("m") == master and len(master) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "keys").st_mode) == 0o700
    for file in (tmp_path / "keys").iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["bill-signing.pem", "m.hex",
                                                                     "trade-records.pem"]  # no temporaries


def test_in_memory_stores_are_independent():
    assert _raw(KeyStore(None).ed25519("k")) != _raw(KeyStore(None).ed25519("k"))


def test_a_damaged_key_file_is_named_not_replaced(tmp_path):
    store = KeyStore(tmp_path)
    store.ed25519("trade-records")
    (tmp_path / "trade-records.pem").write_text("-----BEGIN PRIVATE KEY-----\ngarbage\n")
    with pytest.raises(KeyStoreError, match="trade-records.pem is not a readable private key"):
        KeyStore(tmp_path).ed25519("trade-records")
    assert "garbage" in (tmp_path / "trade-records.pem").read_text()


def test_a_key_of_the_wrong_type_is_refused(tmp_path):
    KeyStore(tmp_path).ed25519("bill-signing")
    with pytest.raises(KeyStoreError, match="not the expected key type"):
        KeyStore(tmp_path).ecdsa_p256("bill-signing")
