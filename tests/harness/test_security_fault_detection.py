"""Clause 10 (SEC-*): the security features pass on the reference broker, in process and over
HTTPS with client certificates, and each deliberately faulty broker fails exactly the
requirement its bug breaks; without party credentials they are not tested, never passed."""
from __future__ import annotations

import pytest

import faulty_security_suts
import faulty_suts
from harness import pki
from reference_impl.adapters.http_service import serving_in_thread
from reference_impl.adapters.tls_auth import TlsSettings

SEC = {"SEC-AUTHN", "SEC-ISOLATION-READ", "SEC-ISOLATION-WRITE", "SEC-SIGNED-INTEGRITY", "SEC-REPLAY",
       "SEC-OPERATOR-SERVICES"}
ONLY_SEC = [arg for rid in sorted(SEC) for arg in ("-r", rid)]


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    pki.init(folder, ("alice", "bob", "carol"))
    return folder


def _failing_clauses(run) -> set[str]:
    return {rid for rid, v in run.verdicts().items() if rid.startswith("Y2072-10-") and v == "fail"}


def _sec_verdicts(run) -> dict:
    verdicts = run.verdicts()
    return {rid: verdicts[rid] for rid in SEC}


def test_reference_passes_in_process(harness_cli):
    run = harness_cli("run", *ONLY_SEC)
    assert _sec_verdicts(run) == dict.fromkeys(SEC, "pass"), run.output


def test_reference_passes_over_https_with_client_certificates(harness_cli, credentials, tmp_path):
    with serving_in_thread(tmp_path / "db.sqlite3", test_mode=True, log_stream=None,
                           tls=TlsSettings.from_dir(credentials)) as server:
        assert server.url.startswith("https://")
        run = harness_cli("run", "--sut", server.url, "--credentials", str(credentials), *ONLY_SEC)
    assert _sec_verdicts(run) == dict.fromkeys(SEC, "pass"), run.output
    assert run.verdicts()["Y2072-10-01"] == "pass"


@pytest.mark.parametrize("fault, broken, clauses", [
    ("no_authentication", {"SEC-AUTHN"}, {"Y2072-10-01"}),
    ("leaks_others_bills", {"SEC-ISOLATION-READ"}, {"Y2072-10-03", "Y2072-10-05"}),
    ("accepts_replays", {"SEC-REPLAY"}, {"Y2072-10-04"}),
    ("ignores_signatures", {"SEC-SIGNED-INTEGRITY"}, {"Y2072-10-04"}),
    ("customers_issue_bills", {"SEC-OPERATOR-SERVICES"}, {"Y2072-10-03"}),
    ("faulty_security_suts:acts_in_the_named_party", {"SEC-ISOLATION-WRITE"}, {"Y2072-10-03"}),
])
def test_each_security_fault_fails_exactly_its_requirement(harness_cli, fault, broken, clauses):
    run = harness_cli("run", "--sut", fault if ":" in fault else f"faulty_suts:{fault}", *ONLY_SEC)
    verdicts = _sec_verdicts(run)
    assert {rid for rid, v in verdicts.items() if v == "fail"} == broken, run.output
    # the Y.2072 clause-10 items fail exactly as the failing scenarios are tagged
    assert _failing_clauses(run) == clauses, run.output
    assert {verdicts[rid] for rid in SEC - broken} == {"pass"}
    failing = [s for r in run.record["requirements"] if r["id"] in broken
               for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing and all(s["message"] for s in failing)


@pytest.mark.parametrize("broker, broken, clauses", [
    (faulty_suts._NoAuthentication, "SEC-AUTHN", {"Y2072-10-01"}),
    (faulty_suts._LeaksOthersBills, "SEC-ISOLATION-READ", {"Y2072-10-03", "Y2072-10-05"}),
    (faulty_suts._AcceptsReplays, "SEC-REPLAY", {"Y2072-10-04"}),
    (faulty_security_suts._ActsInTheNamedParty, "SEC-ISOLATION-WRITE", {"Y2072-10-03"}),
])
def test_a_security_fault_behind_https_is_found(harness_cli, credentials, tmp_path, broker, broken, clauses):
    with serving_in_thread(tmp_path / "db.sqlite3", test_mode=True, log_stream=None, broker_class=broker,
                           tls=TlsSettings.from_dir(credentials)) as server:
        run = harness_cli("run", "--sut", server.url, "--credentials", str(credentials), *ONLY_SEC)
    verdicts = _sec_verdicts(run)
    assert {rid for rid, v in verdicts.items() if v == "fail"} == {broken}, run.output
    assert _failing_clauses(run) == clauses, run.output


def test_without_credentials_the_security_features_are_not_tested(harness_cli, tmp_path):
    with serving_in_thread(tmp_path / "db.sqlite3", test_mode=True, log_stream=None) as server:
        run = harness_cli("run", "--sut", server.url, *ONLY_SEC)
    assert _sec_verdicts(run) == dict.fromkeys(SEC, "not-tested"), run.output
    skipped = [s["message"] for r in run.record["requirements"] if r["id"] == "SEC-AUTHN" for s in r["scenarios"]]
    assert skipped and all("--credentials" in m for m in skipped)


@pytest.mark.parametrize("in_clear", [False, True])
def test_the_log_privacy_check_reads_the_platforms_log(harness_cli, credentials, tmp_path, in_clear):
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log, serving_in_thread(tmp_path / "db.sqlite3", test_mode=True, log_stream=log,
                                                      tls=TlsSettings.from_dir(credentials)) as server:
        if in_clear:  # the faulty platform: its access log keeps the path ids as they came
            server.loggable = lambda path: path
        run = harness_cli("run", "--sut", server.url, "--credentials", str(credentials), "--sut-log", str(log_path),
                          "-r", "SEC-LOG-PRIVACY")
    assert run.verdicts()["SEC-LOG-PRIVACY"] == ("fail" if in_clear else "pass"), run.output
    if in_clear:
        assert "/meters/M-A1/readings" in log_path.read_text()


def test_without_a_readable_log_the_log_privacy_check_is_not_tested(harness_cli):
    run = harness_cli("run", "-r", "SEC-LOG-PRIVACY")
    assert run.verdicts()["SEC-LOG-PRIVACY"] == "not-tested"
