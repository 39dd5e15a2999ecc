"""Proof that the Y.2072 7.1-7.4 requirements catch faults: against each deliberately faulty
broker of faulty_domain_suts.py, `harness run` restricted to those requirements must fail
exactly the one the bug breaks and pass the others (clause 9.4's DR manager
and purchase decision included); over the HTTP binding the reference
passes them all and a faulty broker behind the binding fails its requirement."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from reference_impl.adapters.http_service import serving_in_thread

_spec = importlib.util.spec_from_file_location("faulty_domain_suts_in_process",
                                               Path(__file__).parent / "faulty_domain_suts.py")
faulty = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faulty)

DOMAIN = [f"Y2072-7.{clause}-{n:02d}" for clause, count in ((1, 6), (2, 2), (3, 3), (4, 6))
          for n in range(1, count + 1)] + ["Y2072-9.4-03", "Y2072-9.4-04"]
ONLY_DOMAIN = [arg for rid in DOMAIN for arg in ("-r", rid)]


def test_every_requirement_has_a_fault_that_breaks_it():
    assert {rid for _, rid in faulty.FAULTS.values()} == set(DOMAIN)


@pytest.mark.parametrize("fault", sorted(faulty.FAULTS))
def test_each_domain_fault_fails_exactly_its_requirement(harness_cli, fault):
    broken = faulty.FAULTS[fault][1]
    run = harness_cli("run", "--sut", f"faulty_domain_suts:{fault}", *ONLY_DOMAIN)
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert {rid for rid in DOMAIN if verdicts[rid] != "pass"} == {broken}, {r: verdicts[r] for r in DOMAIN}
    assert verdicts[broken] == "fail"
    failing = [s for r in run.record["requirements"] if r["id"] == broken
               for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing and all(s["message"] for s in failing)
    assert any(m["outcome"] == "fail" for s in failing for m in s["measurements"])


def test_domains_pass_over_the_http_binding_and_a_fault_behind_it_is_found(harness_cli, tmp_path):
    with serving_in_thread(tmp_path / "served.sqlite3", port=0, test_mode=True, log_stream=None) as server:
        run = harness_cli("run", "--sut", server.url, *ONLY_DOMAIN)
    assert {run.verdicts()[rid] for rid in DOMAIN} == {"pass"}, run.output  # (-r: exit 1, 7.5 not tested)
    with serving_in_thread(tmp_path / "faulty.sqlite3", port=0, test_mode=True, log_stream=None,
                           broker_class=faulty._TellsFirstCustomerOnly) as server:
        run = harness_cli("run", "--sut", server.url, "-r", "Y2072-7.4-06", report_dir=tmp_path / "faulty")
    assert run.exit_code == 1, run.output
    assert run.verdicts()["Y2072-7.4-06"] == "fail"
