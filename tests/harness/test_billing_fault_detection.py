"""Proof that each billing requirement catches its fault: against a broker with one billing bug
(tests/harness/faulty_suts.py), `harness run --profile billing` fails exactly that requirement
and passes the other billing requirements."""
from __future__ import annotations

import pytest

BILLING = {"SC38-GRANULARITY", "SC38-UNIT", "SC38-PERIOD", "SC38-MODE", "SC38-ACCURACY", "SC38-COMPLETENESS",
           "SC38-DR-CBL", "SC38-AVAILABILITY", "SC38-RESPONSE-TIME", "GDPR-PSEUDONYM", "GDPR-CURVE-CONSENT",
           "GDPR-COUNTERPARTY", "GDPR-RETENTION", "GDPR-SIGNATURE"}


def test_reference_broker_passes_every_billing_requirement(harness_cli):
    run = harness_cli("run", "--profile", "billing")
    assert run.exit_code == 0, run.output
    verdicts = run.verdicts()
    assert {rid: verdicts[rid] for rid in BILLING} == dict.fromkeys(BILLING, "pass")


@pytest.mark.parametrize("fault, broken", [
    ("declares_hourly_granularity", "SC38-GRANULARITY"),
    ("wh_billed_as_kwh", "SC38-UNIT"),
    ("declares_usage_based", "SC38-MODE"),
    ("off_by_a_cent", "SC38-ACCURACY"),
    ("hides_estimates", "SC38-COMPLETENESS"),
    ("allows_overlapping_bills", "SC38-PERIOD"),
    ("flat_baseline_for_dr", "SC38-DR-CBL"),
    ("flaky_metering", "SC38-AVAILABILITY"),
    ("slow_metering", "SC38-RESPONSE-TIME"),
    ("bare_hash_pseudonym", "GDPR-PSEUDONYM"),
    ("curve_for_everyone", "GDPR-CURVE-CONSENT"),
    ("counterparty_in_clear", "GDPR-COUNTERPARTY"),
    ("no_retention_rule", "GDPR-RETENTION"),
    ("broken_signature", "GDPR-SIGNATURE"),
])
def test_each_billing_fault_fails_exactly_its_requirement(harness_cli, fault, broken):
    run = harness_cli("run", "--profile", "billing", "--sut", f"faulty_suts:{fault}")
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert {rid for rid in BILLING if verdicts[rid] != "pass"} == {broken}, run.output
    assert verdicts[broken] == "fail"
    failing = [s for r in run.record["requirements"] if r["id"] == broken for s in r["scenarios"]
               if s["outcome"] == "fail"]
    assert failing and any(m["outcome"] == "fail" for s in failing for m in s["measurements"])


def test_a_platform_without_billing_is_an_error_not_a_finding(harness_cli):
    run = harness_cli("run", "--profile", "billing", "--sut", "faulty_suts:market_only", "-r", "SC38-ACCURACY")
    assert run.exit_code == 1, run.output
    assert run.verdicts()["SC38-ACCURACY"] == "error"
    messages = [s["message"] for r in run.record["requirements"] if r["id"] == "SC38-ACCURACY" for s in r["scenarios"]]
    assert any("does not implement harness.sut.billing.BillingSUT" in m for m in messages)
