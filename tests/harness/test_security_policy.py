"""Y2072-10-02, security policy compliance: the declared policy is read and checked field by
field; the reference broker keeps to the policy profiles/reference-broker.yaml declares, over
HTTPS; each deliberately faulty platform (TLS 1.1 accepted, expired certificates accepted, the
signed-request window not enforced) fails exactly Y2072-10-02; and without a declared policy or
without a transport to probe the requirement is not tested, never passed."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import faulty_security_suts
import faulty_tls
from harness import pki
from harness.catalog import profile
from harness.catalog.security_policy import SecurityPolicy, SignedRequestPolicy
from harness.errors import HarnessError
from reference_impl.adapters.http_service import serving_in_thread
from reference_impl.adapters.tls_auth import TlsSettings

REPO = Path(__file__).resolve().parents[2]
DECLARED = str(REPO / "profiles" / "reference-broker.yaml")
SEC = ("SEC-AUTHN", "SEC-ISOLATION-READ", "SEC-ISOLATION-WRITE", "SEC-SIGNED-INTEGRITY", "SEC-REPLAY",
       "SEC-OPERATOR-SERVICES")
CLAUSE_10 = tuple(f"Y2072-10-0{n}" for n in range(1, 6))
SELECTED = [arg for rid in ("Y2072-10-02", *SEC) for arg in ("-r", rid)]


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    pki.init(folder, ("alice", "bob", "carol"))
    return folder


def _scenarios(run, rid: str = "Y2072-10-02") -> list[dict]:
    return next(r["scenarios"] for r in run.record["requirements"] if r["id"] == rid)


def _failing(run) -> set[str]:
    verdicts = run.verdicts()
    return {rid for rid in (*SEC, *CLAUSE_10) if verdicts[rid] == "fail"}


# -- the declaration --------------------------------------------------------------------------
def test_the_reference_broker_declares_the_policy_it_enforces():
    declared = profile(DECLARED).security_policy
    assert declared == SecurityPolicy("1.2", "required", SignedRequestPolicy(300, 300), "pseudonymised")
    from reference_impl.request_signing import MAX_SKEW_S
    assert declared.signed_requests.freshness_window_s == MAX_SKEW_S == declared.signed_requests.max_clock_skew_s


def _declare(tmp_path, policy) -> str:
    path = tmp_path / "declared.yaml"
    path.write_text(yaml.safe_dump({"roles": ["market"], "include": ["Y2072-10-*", "SEC-*"], "security_policy": policy}))
    return str(path)


@pytest.mark.parametrize("policy, field", [
    ({"tls_min_version": "1.2", "client_certificate": "required", "cipher": "x"}, "/security_policy/cipher"),
    ({"tls_min_version": "2.0", "client_certificate": "required"}, "/security_policy/tls_min_version"),
    ({"tls_min_version": "1.2", "client_certificate": "maybe"}, "/security_policy/client_certificate"),
    ({"tls_min_version": "1.2", "client_certificate": "required", "signed_requests": {"freshness_window_s": 300}},
     "/security_policy/signed_requests/max_clock_skew_s"),
    ({"tls_min_version": "1.2", "client_certificate": "required",
      "signed_requests": {"freshness_window_s": -5, "max_clock_skew_s": 300}},
     "/security_policy/signed_requests/freshness_window_s"),
    ({"tls_min_version": "1.2", "client_certificate": "required", "log_identifiers": "hashed"},
     "/security_policy/log_identifiers"),
    (["tls 1.2"], "/security_policy"),
])
def test_a_malformed_policy_is_refused_naming_the_field(tmp_path, policy, field):
    with pytest.raises(HarnessError) as refused:
        profile(_declare(tmp_path, policy))
    assert refused.value.field == field and refused.value.code == "bad-profile"


def test_a_bad_policy_is_a_usage_error_of_harness_run(harness_cli, tmp_path):
    run = harness_cli("run", "--profile", _declare(tmp_path, {"tls_min_version": "1.2"}), "-r", "Y2072-10-02")
    assert run.exit_code == 2 and "/security_policy/client_certificate" in run.output, run.output


def test_yaml_numbers_are_read_as_versions(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("roles: [market]\nsecurity_policy: {tls_min_version: 1.3, client_certificate: required}\n")
    assert profile(str(path)).security_policy.tls_min_version == "1.3"


# -- verdicts ---------------------------------------------------------------------------------
def test_without_a_declared_policy_it_is_not_tested(harness_cli):
    run = harness_cli("run", "-r", "Y2072-10-02")
    assert run.verdicts()["Y2072-10-02"] == "not-tested", run.output
    assert all(s["outcome"] == "not-tested" and "--profile FILE" in s["message"] for s in _scenarios(run))


def test_in_process_the_wire_checks_are_not_tested(harness_cli):
    run = harness_cli("run", "--profile", DECLARED, "-r", "Y2072-10-02")
    assert run.verdicts()["Y2072-10-02"] == "not-tested", run.output
    outcomes = {s["name"]: (s["outcome"], s["message"]) for s in _scenarios(run)}
    wire = [o for name, o in outcomes.items()
            if "connect" in name.lower() or "certificate" in name or "handshake" in name]
    assert len(wire) == 5 and all(o == "not-tested" and "https://" in m for o, m in wire), outcomes
    log = [o for name, o in outcomes.items() if "log" in name]
    assert log == [("not-tested", log[0][1])] and "--sut-log" in log[0][1], outcomes
    # what needs no transport is judged: the policy's adequacy, and the dates of signed requests
    assert [o for o, _ in outcomes.values()].count("pass") == 4, outcomes


def test_an_inadequate_policy_fails(harness_cli, tmp_path):
    weak = _declare(tmp_path, {"tls_min_version": "1.1", "client_certificate": "required"})
    run = harness_cli("run", "--profile", weak, "-r", "Y2072-10-02")
    assert run.verdicts()["Y2072-10-02"] == "fail", run.output
    failed = [s for s in _scenarios(run) if s["outcome"] == "fail"]
    assert [s["name"] for s in failed] == ["The declared policy meets the baseline for an energy-trading platform"]
    assert "tls_min_version" in failed[0]["message"]


def _run_https(harness_cli, credentials, tmp_path, *, log_in_clear=False, **server):
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log, serving_in_thread(
            tmp_path / "db.sqlite3", test_mode=True, log_stream=log,
            tls=server.pop("tls", TlsSettings.from_dir(credentials)), **server) as running:
        if log_in_clear:  # the faulty platform: its access log keeps the path ids as they came
            running.loggable = lambda path: path
        return harness_cli("run", "--sut", running.url, "--credentials", str(credentials), "--profile", DECLARED,
                           "--sut-log", str(log_path), *SELECTED)


def test_the_reference_broker_keeps_its_policy_over_https(harness_cli, credentials, tmp_path):
    run = _run_https(harness_cli, credentials, tmp_path)
    verdicts = run.verdicts()
    assert {rid: verdicts[rid] for rid in ("Y2072-10-02", *SEC)} == dict.fromkeys(("Y2072-10-02", *SEC), "pass"), \
        run.output
    assert all(s["outcome"] == "pass" for s in _scenarios(run)) and len(_scenarios(run)) == 10


@pytest.mark.parametrize("fault, scenario", [
    ({"tls": faulty_tls.AcceptsTls11}, "A handshake below the declared minimum TLS version is refused"),
    ({"tls": faulty_tls.AcceptsExpiredCertificates},
     "An expired client certificate of the platform's own CA is refused"),
    ({"broker_class": faulty_security_suts._IgnoresSignatureAge},
     "A signed reading older than the declared freshness window is refused"),
    ({"log_in_clear": True}, "The platform's log keeps participants out of clear text as its policy declares"),
], ids=["accepts-tls-1.1", "accepts-expired-certificates", "ignores-signature-age", "logs-ids-in-clear"])
def test_each_policy_fault_fails_exactly_y2072_10_02(harness_cli, credentials, tmp_path, fault, scenario):
    if "tls" in fault:
        fault = {"tls": fault["tls"].from_dir(credentials)}
    run = _run_https(harness_cli, credentials, tmp_path, **fault)
    assert _failing(run) == {"Y2072-10-02"}, run.output
    failed = {s["name"]: s["message"] for s in _scenarios(run) if s["outcome"] == "fail"}
    assert scenario in failed and all(failed.values()), failed
    assert {s["outcome"] for s in _scenarios(run) if s["name"] not in failed} == {"pass"}


def test_a_version_the_harness_cannot_offer_is_never_counted_as_refused(credentials, monkeypatch):
    # OpenSSL refuses locally to offer TLS 1.1 without the lowered security level: that must be
    # the harness's inability (not-tested), not the platform's refusal (a pass)
    import socket

    from harness.sut import transport_probe
    from harness.sut.http import HttpSUT
    with socket.create_server(("127.0.0.1", 0)) as listening:   # answers nothing: no bytes may be needed
        sut = HttpSUT(f"https://127.0.0.1:{listening.getsockname()[1]}", credentials=credentials, timeout=5)
        monkeypatch.setattr(transport_probe.ssl.SSLContext, "set_ciphers", lambda self, spec: None)
        with pytest.raises(HarnessError) as unable:
            sut.probe_connection(tls_version="1.1")
    assert unable.value.code == "tls-version-unavailable"


def test_a_platform_certificate_the_lab_cannot_verify_is_an_error_not_a_refusal(credentials, tmp_path):
    # the platform serves a certificate of another CA: the harness never reached it, so no
    # refusal may be credited to it
    from harness.errors import SUTError
    from harness.sut.http import HttpSUT
    other = tmp_path / "other-pki"
    pki.init(other, ("alice",))
    with serving_in_thread(tmp_path / "db.sqlite3", test_mode=True, log_stream=None,
                           tls=TlsSettings.from_dir(other)) as running:
        with pytest.raises(SUTError) as unreached:
            HttpSUT(running.url, credentials=credentials).probe_connection(certificate="expired")
    assert unreached.value.code == "sut-untrusted-certificate"
