"""Proof that the encoded requirements catch faults: against each deliberately faulty broker
(tests/harness/faulty_suts.py), `harness run` must fail the requirement the bug breaks, pass
the others, and exit 1. A check that cannot fail is worth nothing."""
from __future__ import annotations

import json

import pytest

ENCODED = {"Y2072-7.5-01", "Y2072-7.5-02", "Y2072-7.5-03", "Y2072-7.5-04"}


def test_reference_broker_is_conformant(harness_cli):
    run = harness_cli("run")
    assert run.exit_code == 0, run.output
    verdicts = run.verdicts()
    assert {rid: verdicts[rid] for rid in ENCODED} == dict.fromkeys(ENCODED, "pass")
    clause7 = [rid for rid in verdicts if rid.startswith("Y2072-7.")]
    assert len(clause7) == 21  # every bullet of clause 7 is encoded (issue 3) and passes
    assert {verdicts[rid] for rid in clause7} == {"pass"}
    summary = run.record["summary"]
    assert summary["conformant"] is True
    assert not set(clause7) & set(summary["not_encoded"])
    assert summary["scenarios"]["pass"] >= 30 and summary["scenarios"]["fail"] == 0
    for name in ("conformance.json", "conformance.html", "junit.xml"):
        assert (run.report_dir / name).stat().st_size > 0
    assert any((run.report_dir / "allure-results").glob("*-result.json"))


@pytest.mark.parametrize("fault, broken", [
    ("no_product_verification", {"Y2072-7.5-01"}),
    ("accepts_expired_bids", {"Y2072-7.5-02"}),
    ("tells_only_winners", {"Y2072-7.5-02"}),
    # the settlement feature re-checks the chain after settling, so 7.5-04 fails too
    ("unlinked_ledger", {"Y2072-7.5-02", "Y2072-7.5-04"}),
    ("no_delivery_tolerance", {"Y2072-7.5-03"}),
    ("capacity_as_baseline", {"Y2072-7.5-03"}),
    ("forgets_penalty", {"Y2072-7.5-04"}),
])
def test_each_fault_fails_exactly_its_requirement(harness_cli, fault, broken):
    run = harness_cli("run", "--sut", f"faulty_suts:{fault}")
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert {rid for rid in ENCODED if verdicts[rid] == "fail"} == broken
    assert {verdicts[rid] for rid in ENCODED - broken} == {"pass"}
    assert run.record["summary"]["conformant"] is False
    failing = [s for r in run.record["requirements"] if r["id"] in broken
               for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing and all(s["message"] for s in failing)
    assert any(m["outcome"] == "fail" for s in failing for m in s["measurements"])


def test_a_crashing_sut_is_an_error_not_a_finding(harness_cli):
    run = harness_cli("run", "--sut", "faulty_suts:crashes_on_settlement")
    assert run.exit_code == 1
    verdicts = run.verdicts()
    assert verdicts["Y2072-7.5-04"] == "error"
    assert {verdicts[r] for r in ENCODED - {"Y2072-7.5-04"}} == {"pass"}
    messages = [s["message"] for r in run.record["requirements"] if r["id"] == "Y2072-7.5-04"
                for s in r["scenarios"] if s["outcome"] == "error"]
    assert any("database connection lost" in m for m in messages)


def test_a_finding_links_to_the_wire_log_of_the_exchange_that_produced_it(harness_cli):
    run = harness_cli("run", "--sut", "faulty_suts:forgets_penalty", "-r", "Y2072-7.5-04")
    failing = [s for r in run.record["requirements"] if r["id"] == "Y2072-7.5-04"
               for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing
    log = run.report_dir / failing[0]["wire_log"]
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    settle = [e for e in entries if e.get("operation") == "settle_contract"]
    assert settle and settle[-1]["body"]["penalty"] == "0.00", "the log holds the faulty answer"
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    html = (run.report_dir / "conformance.html").read_text()
    assert f'href="{failing[0]["wire_log"]}"' in html
