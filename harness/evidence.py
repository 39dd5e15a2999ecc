"""Signed evidence bundles: proof of what a run produced, that a third party can check.

After `harness run` (and the other verbs that write reports) every artefact in the report
directory is listed in `evidence/manifest.json` with its SHA-256 and size, the manifest names the
previous run's manifest by its SHA-256 (a hash chain across runs in the same directory), and the
lab's Ed25519 key signs the manifest's canonical bytes (`evidence/manifest.sig`, base64).

Rules:
- Canonical bytes are the manifest as JSON with sorted keys, no insignificant whitespace, ASCII
  only, plus one newline; the file on disk *is* those bytes, so its SHA-256 is the chain link.
- Earlier manifests are kept, with their signatures, under `evidence/chain/<sha256>.json|.sig`
  when a new run replaces them, so the whole chain stays checkable from one directory.
- Verification fails on: a bad or missing signature, a signer other than the pinned public key,
  an artefact changed, missing or added, or a broken chain link. It reports every problem found,
  not just the first.
- The private key never enters the bundle; the manifest carries the public key and its
  fingerprint (SHA-256 of the raw 32-byte key), so a reader can pin it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import HarnessError

FORMAT = "energy-harness-evidence/1"
EVIDENCE_DIR = "evidence"
MANIFEST = f"{EVIDENCE_DIR}/manifest.json"
SIGNATURE = f"{EVIDENCE_DIR}/manifest.sig"
CHAIN_DIR = f"{EVIDENCE_DIR}/chain"
KEY_ENV = "HARNESS_LAB_KEY"
DEFAULT_KEY = Path.home() / ".config" / "energy-harness" / "lab-key.pem"
_CHUNK = 1 << 20


def canonical(manifest: dict) -> bytes:
    return (json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=True) + "\n").encode()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# --- keys ---------------------------------------------------------------------------------

def create_key(path: Path) -> Ed25519PrivateKey:
    """Write a new Ed25519 lab key (PKCS#8 PEM, mode 0600) and its public half beside it.

    Raises:
        HarnessError: the file exists already (a lab key is never overwritten).
    """
    if path.exists():
        raise HarnessError(f"{path} exists; a lab key is never overwritten (move it away first)",
                           code="key-exists", field="--out", actual=str(path))
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    path.with_name(path.name.removesuffix(".pem") + ".pub.pem").write_bytes(public_pem)
    return key


def _load_key(path: Path, private: bool):
    kind, option, expected = (("lab key", "--lab-key", Ed25519PrivateKey) if private
                              else ("public key", "--public-key", Ed25519PublicKey))
    try:
        data = path.read_bytes()
        key = (serialization.load_pem_private_key(data, password=None) if private
               else serialization.load_pem_public_key(data))
    except (OSError, ValueError, TypeError) as exc:
        raise HarnessError(f"cannot read the {kind} {path}: {exc}", code=f"{kind.replace(' ', '-')}-unreadable",
                           field=option, actual=str(path)) from exc
    if not isinstance(key, expected):
        raise HarnessError(f"the {kind} {path} is not an Ed25519 key", code=f"{kind.replace(' ', '-')}-type",
                           field=option, expected="Ed25519", actual=type(key).__name__)
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Raises HarnessError naming the file when it is missing or not an Ed25519 private key."""
    return _load_key(path, private=True)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Raises HarnessError naming the file when it is missing or not an Ed25519 public key."""
    return _load_key(path, private=False)


def lab_key(explicit: Path | None) -> tuple[Ed25519PrivateKey, Path, bool]:
    """The key that signs evidence: `--lab-key`, else $HARNESS_LAB_KEY, else the per-user default,
    created on first use. Returns (key, path, created)."""
    path = explicit or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else DEFAULT_KEY)
    if explicit is None and not path.exists():
        return create_key(path), path, True
    return load_private_key(path), path, False


# --- sealing --------------------------------------------------------------------------------

def _artefacts(report_dir: Path) -> list[dict]:
    listed = []
    for path in sorted(p for p in report_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(report_dir).as_posix()
        if relative.split("/", 1)[0] == EVIDENCE_DIR:
            continue
        listed.append({"path": relative, "sha256": sha256_file(path), "bytes": path.stat().st_size})
    return listed


def seal(report_dir: Path, key: Ed25519PrivateKey, *, command: str, harness_version: str,
         verdict: str | None = None, now: datetime | None = None) -> Path:
    """Write `evidence/manifest.json` and its signature for everything now in `report_dir`.

    A manifest already there (the previous run's) is moved into the chain folder with its
    signature and linked from the new one.

    Returns:
        The path of the new manifest.
    """
    report_dir = Path(report_dir)
    manifest_path, signature_path = report_dir / MANIFEST, report_dir / SIGNATURE
    previous, sequence = None, 1
    if manifest_path.is_file():
        previous_bytes = manifest_path.read_bytes()
        previous = hashlib.sha256(previous_bytes).hexdigest()
        try:
            sequence = int(json.loads(previous_bytes).get("sequence", 0)) + 1
        except (ValueError, AttributeError):
            sequence = 1  # an unreadable predecessor still gets linked; verify will report it
        chain = report_dir / CHAIN_DIR
        chain.mkdir(parents=True, exist_ok=True)
        shutil.move(manifest_path, chain / f"{previous}.json")
        if signature_path.is_file():
            shutil.move(signature_path, chain / f"{previous}.sig")
    public = key.public_key()
    manifest = {
        "format": FORMAT,
        "command": command,
        "harness_version": harness_version,
        "created_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "verdict": verdict,
        "sequence": sequence,
        "previous_manifest_sha256": previous,
        "signer": {"algorithm": "Ed25519", "fingerprint_sha256": fingerprint(public),
                   "public_key_pem": public.public_bytes(
                       serialization.Encoding.PEM,
                       serialization.PublicFormat.SubjectPublicKeyInfo).decode()},
        "artefacts": _artefacts(report_dir),
    }
    body = canonical(manifest)
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_bytes(body)
    signature_path.write_text(base64.b64encode(key.sign(body)).decode() + "\n")
    return manifest_path


# --- verification ---------------------------------------------------------------------------

@dataclass
class Verification:
    report_dir: Path
    problems: list[str] = field(default_factory=list)
    artefacts_checked: int = 0
    chain_length: int = 0
    signer_fingerprint: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _check_signed(body: bytes, signature_text: str | None, where: str, pinned: Ed25519PublicKey | None,
                  result: Verification) -> dict | None:
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        result.problems.append(f"{where}: not JSON ({exc})")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        result.problems.append(f"{where}: format is not {FORMAT!r}")
        return None
    if body != canonical(manifest):
        result.problems.append(f"{where}: bytes are not the canonical form (edited after signing?)")
    try:
        signer = serialization.load_pem_public_key(manifest["signer"]["public_key_pem"].encode())
        assert isinstance(signer, Ed25519PublicKey)
    except (KeyError, TypeError, ValueError, AssertionError):
        result.problems.append(f"{where}: signer.public_key_pem is missing or not an Ed25519 key")
        return manifest
    if manifest["signer"].get("fingerprint_sha256") != fingerprint(signer):
        result.problems.append(f"{where}: signer fingerprint does not match its public key")
    if pinned is not None and fingerprint(pinned) != fingerprint(signer):
        result.problems.append(f"{where}: signed by {fingerprint(signer)[:16]}…, not by the pinned key "
                               f"{fingerprint(pinned)[:16]}…")
    if signature_text is None:
        result.problems.append(f"{where}: signature file missing")
        return manifest
    try:
        signer.verify(base64.b64decode(signature_text.strip(), validate=True), body)
    except (InvalidSignature, ValueError):
        result.problems.append(f"{where}: signature does not verify")
    return manifest


def verify(report_dir: Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check the bundle in `report_dir`: signature, every artefact, nothing added, the chain.

    Args:
        public_key: pin the signer; without it the manifest's own key is used and only the
            bundle's internal consistency is proved.
    """
    report_dir = Path(report_dir)
    result = Verification(report_dir)
    manifest_path = report_dir / MANIFEST
    if not manifest_path.is_file():
        result.problems.append(f"{MANIFEST}: missing; this directory holds no evidence bundle")
        return result
    signature_path = report_dir / SIGNATURE
    manifest = _check_signed(manifest_path.read_bytes(),
                             signature_path.read_text() if signature_path.is_file() else None,
                             MANIFEST, public_key, result)
    if manifest is None:
        return result
    result.signer_fingerprint = (manifest.get("signer") or {}).get("fingerprint_sha256")
    listed = {entry["path"]: entry for entry in manifest.get("artefacts", [])}
    for relative, entry in sorted(listed.items()):
        path = report_dir / relative
        if not path.is_file():
            result.problems.append(f"{relative}: listed but missing")
        elif path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            result.problems.append(f"{relative}: SHA-256 differs from the manifest (changed after the run)")
        result.artefacts_checked += 1
    for entry in _artefacts(report_dir):
        if entry["path"] not in listed:
            result.problems.append(f"{entry['path']}: present but not in the manifest (added after the run)")
    _verify_chain(report_dir, manifest, public_key, result)
    return result


def _verify_chain(report_dir: Path, manifest: dict, pinned: Ed25519PublicKey | None,
                  result: Verification) -> None:
    link, sequence, seen = manifest.get("previous_manifest_sha256"), manifest.get("sequence"), set()
    while link is not None:
        if link in seen:
            result.problems.append(f"chain: manifest {link[:16]}… appears twice (a loop)")
            return
        seen.add(link)
        path = report_dir / CHAIN_DIR / f"{link}.json"
        if not path.is_file():
            result.problems.append(f"chain: previous manifest {link[:16]}… is missing from {CHAIN_DIR}/")
            return
        body = path.read_bytes()
        if hashlib.sha256(body).hexdigest() != link:
            result.problems.append(f"chain: {path.name} does not hash to its name (changed)")
        signature = path.with_suffix(".sig")
        older = _check_signed(body, signature.read_text() if signature.is_file() else None,
                              f"{CHAIN_DIR}/{path.name}", pinned, result)
        if older is None:
            return
        if isinstance(sequence, int) and older.get("sequence") != sequence - 1:
            result.problems.append(f"chain: {path.name} has sequence {older.get('sequence')}, "
                                   f"expected {sequence - 1}")
        result.chain_length += 1
        link, sequence = older.get("previous_manifest_sha256"), older.get("sequence")
    if isinstance(sequence, int) and sequence != 1:
        result.problems.append(f"chain: the oldest manifest has sequence {sequence}, expected 1 "
                               "(earlier links were removed)")
