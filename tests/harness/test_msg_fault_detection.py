"""Proof that each MSG-* requirement catches a fault: against each faulty VTN
(tests/harness/faulty_vtns.py) the messaging profile fails exactly the requirement its bug
breaks, passes the others, and the failing scenario names the offending element."""
from __future__ import annotations

import json

import pytest

MSG = {"MSG-SCHEMA-VALID", "MSG-EVENT-INTERVALS", "MSG-MODIFICATION-NUMBER", "MSG-REQUEST-ID-ECHO",
       "MSG-EMIX-UNITS"}


def test_the_reference_vtn_passes_every_message_requirement(harness_cli):
    run = harness_cli("run", "--profile", "messages")
    assert run.exit_code == 0, run.output
    assert {rid: v for rid, v in run.verdicts().items() if rid in MSG} == dict.fromkeys(MSG, "pass")
    wire = [json.loads(line) for path in (run.report_dir / "wire").glob("*.jsonl")
            for line in path.read_text().splitlines()]
    exchanges = [e for e in wire if e.get("layer") == "openadr"]
    assert len(exchanges) >= 20
    assert all(e["http_status"] == 200 and e["response_schema_errors"] == [] for e in exchanges)


@pytest.mark.parametrize("fault, broken, evidence", [
    ("poll_answer_with_text_code", "MSG-SCHEMA-VALID", "responseCode"),
    ("last_interval_overruns", "MSG-EVENT-INTERVALS", "signal-span"),
    ("keeps_modification_number", "MSG-MODIFICATION-NUMBER", "modification"),
    ("opt_answer_with_its_own_request_id", "MSG-REQUEST-ID-ECHO", "id-not-echoed"),
    ("generic_currency_description", "MSG-EMIX-UNITS", "unit-description-mismatch"),
])
def test_each_vtn_fault_fails_its_message_requirement(harness_cli, fault, broken, evidence):
    run = harness_cli("run", "--sut", f"faulty_vtns:{fault}", "--profile", "messages")
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert {rid for rid in MSG if verdicts[rid] == "fail"} == {broken}
    assert {verdicts[rid] for rid in MSG - {broken}} == {"pass"}
    failing = [s for r in run.record["requirements"] if r["id"] == broken
               for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing and any(evidence in s["message"] for s in failing), [s["message"] for s in failing]
    assert all(s["wire_log"] for s in failing)
