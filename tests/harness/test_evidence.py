"""The signed evidence bundle: a real run seals its reports; any change is caught."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from harness import evidence
from harness.errors import HarnessError


@pytest.fixture(scope="module")
def sealed_run(tmp_path_factory):
    """One real `harness run` (one requirement, to stay quick), sealed by the CLI."""
    import os
    import subprocess
    import sys
    base = tmp_path_factory.mktemp("evidence")
    key_path = base / "lab-key.pem"
    evidence.create_key(key_path)
    reports = base / "reports"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "run", "-r", "Y2072-7.5-01", "-q",
                           "--report-dir", str(reports), "--lab-key", str(key_path)],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert done.returncode == 1, done.stdout + done.stderr  # -r leaves the rest not-tested
    return reports, key_path


def _copy(reports: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(reports, target)
    return target


def _flip_one_byte(path: Path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    index = len(data) // 2 if at is None else at
    data[index] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_run_seals_every_artefact_and_verifies(sealed_run):
    reports, key_path = sealed_run
    result = evidence.verify(reports, evidence.load_private_key(key_path).public_key())
    assert result.ok, result.problems
    listed = {entry["path"] for entry in json.loads((reports / evidence.MANIFEST).read_text())["artefacts"]}
    assert {"conformance.json", "conformance.html", "junit.xml"} <= listed
    assert any(p.startswith("wire/") for p in listed) and any(p.startswith("allure-results/") for p in listed)
    assert result.artefacts_checked == len(listed)


def test_one_byte_changed_in_any_artefact_fails_verification(sealed_run, tmp_path):
    reports, _ = sealed_run
    artefacts = [e["path"] for e in json.loads((reports / evidence.MANIFEST).read_text())["artefacts"]
                 if e["bytes"] > 0]
    assert len(artefacts) > 5
    for relative in artefacts:
        copy = _copy(reports, tmp_path / relative.replace("/", "_"))
        _flip_one_byte(copy / relative)
        result = evidence.verify(copy)
        assert not result.ok, relative
        assert any(p.startswith(f"{relative}: SHA-256 differs") for p in result.problems), result.problems


@pytest.mark.parametrize("tamper, expected", [
    (lambda d: (d / "extra.txt").write_text("added later"), "extra.txt: present but not in the manifest"),
    (lambda d: (d / "conformance.json").unlink(), "conformance.json: listed but missing"),
    (lambda d: _flip_one_byte(d / evidence.SIGNATURE, at=3), "signature does not verify"),
    (lambda d: (d / evidence.MANIFEST).write_text(
        (d / evidence.MANIFEST).read_text().replace('"sequence":1', '"sequence":2')), "signature does not verify"),
    (lambda d: (d / evidence.SIGNATURE).unlink(), "signature file missing"),
])
def test_bundle_tampering_is_named(sealed_run, tmp_path, tamper, expected):
    copy = _copy(sealed_run[0], tmp_path)
    tamper(copy)
    result = evidence.verify(copy)
    assert any(expected in p for p in result.problems), result.problems


def test_a_bundle_signed_by_another_key_fails_when_the_lab_key_is_pinned(sealed_run):
    stranger = Ed25519PrivateKey.generate().public_key()
    result = evidence.verify(sealed_run[0], stranger)
    assert any("not by the pinned key" in p for p in result.problems)


def _files(folder: Path, **contents: str) -> None:
    for name, text in contents.items():
        (folder / name).write_text(text)


def test_runs_chain_and_a_removed_or_altered_link_is_caught(tmp_path):
    key = Ed25519PrivateKey.generate()
    _files(tmp_path, **{"conformance.json": "{}"})
    for run in range(3):
        (tmp_path / "conformance.json").write_text(json.dumps({"run": run}))
        evidence.seal(tmp_path, key, command="harness run", harness_version="test")
    result = evidence.verify(tmp_path, key.public_key())
    assert result.ok and result.chain_length == 2, result.problems
    manifest = json.loads((tmp_path / evidence.MANIFEST).read_text())
    assert manifest["sequence"] == 3 and manifest["previous_manifest_sha256"]

    links = sorted((tmp_path / evidence.CHAIN_DIR).glob("*.json"))
    altered = tmp_path / "altered"
    shutil.copytree(tmp_path, altered)
    _flip_one_byte(altered / evidence.CHAIN_DIR / links[0].name, at=20)
    assert any("does not hash to its name" in p for p in evidence.verify(altered).problems)

    for link in links:  # a removed link anywhere in the history is named
        trimmed = tmp_path / f"trimmed-{link.stem[:8]}"
        shutil.copytree(tmp_path, trimmed, ignore=shutil.ignore_patterns(trimmed.name))
        (trimmed / evidence.CHAIN_DIR / link.name).unlink()
        problems = evidence.verify(trimmed).problems
        assert any("missing from evidence/chain/" in p for p in problems), problems


def test_no_bundle_is_reported_not_assumed(tmp_path):
    result = evidence.verify(tmp_path)
    assert not result.ok and "holds no evidence bundle" in result.problems[0]


def test_keys_are_never_overwritten_and_bad_keys_are_named(tmp_path):
    path = tmp_path / "lab.pem"
    evidence.create_key(path)
    assert (tmp_path / "lab.pub.pem").is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(HarnessError, match="never overwritten"):
        evidence.create_key(path)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(HarnessError, match="cannot read the lab key .*junk.pem"):
        evidence.load_private_key(tmp_path / "junk.pem")


def test_cli_verify_exit_codes(sealed_run, tmp_path, harness_cli):
    reports, key_path = sealed_run
    ok = harness_cli("evidence", "verify", str(reports), "--public-key",
                     str(key_path.with_name("lab-key.pub.pem")))
    assert ok.exit_code == 0 and "evidence verified" in ok.output, ok.output
    copy = _copy(reports, tmp_path)
    _flip_one_byte(copy / "conformance.html")
    bad = harness_cli("evidence", "verify", str(copy))
    assert bad.exit_code == 1 and "conformance.html: SHA-256 differs" in bad.output, bad.output
    again = harness_cli("evidence", "keygen", "--out", str(key_path))
    assert again.exit_code == 2 and "never overwritten" in again.output
