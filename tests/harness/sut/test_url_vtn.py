"""A VTN known only by its URL (``--sut openadr+http://...``, harness.sut.url_vtn): the VEN-only
scenarios judge it, those that need an operator are not-applicable with the reason, and a URL
where no VTN answers is a usage error. Run against the reference VTN and openleadr's."""
from __future__ import annotations

import pytest

from reference_impl.adapters.http_service import serving_in_thread

MSG = {"MSG-SCHEMA-VALID", "MSG-EVENT-INTERVALS", "MSG-MODIFICATION-NUMBER", "MSG-REQUEST-ID-ECHO",
       "MSG-EMIX-UNITS"}
VEN_ONLY = {"MSG-SCHEMA-VALID", "MSG-REQUEST-ID-ECHO"}


def check_url_run(run, vtn_url: str) -> None:
    verdicts = {rid: v for rid, v in run.verdicts().items() if rid in MSG}
    assert verdicts == {**dict.fromkeys(MSG - VEN_ONLY, "not-applicable"), **dict.fromkeys(VEN_ONLY, "pass")}
    assert run.exit_code == 1  # required requirements not demonstrated: no conformance claim
    assert run.record["sut"] == {"name": f"OpenADR 2.0b VTN at {vtn_url}", "adapter": "openadr-vtn",
                                 "endpoint": vtn_url}
    lacking = [s for r in run.record["requirements"] if r["id"] in MSG for s in r["scenarios"]
               if s["outcome"] == "not-applicable"]
    assert lacking and all("given by URL only" in s["message"] for s in lacking)
    passed = [s["name"] for r in run.record["requirements"] if r["id"] in VEN_ONLY for s in r["scenarios"]
              if s["outcome"] == "pass"]
    assert set(passed) == {"Registration, a poll and its cancellation are schema-valid both ways",
                           "Registration answers and its cancellation name the request they answer"}


def test_the_reference_vtn_by_url(harness_cli, tmp_path):
    with serving_in_thread(tmp_path / "vtn.sqlite3", port=0, log_stream=None) as server:
        vtn_url = server.url + "/OpenADR2/Simple/2.0b"
        run = harness_cli("run", "--sut", f"openadr+{vtn_url}", "--profile", "messages")
    check_url_run(run, vtn_url)


def test_openleadrs_vtn_by_url(harness_cli, tmp_path):
    pytest.importorskip("openleadr")
    from harness.sut.openleadr_vtn import OpenleadrVtnSUT
    vtn = OpenleadrVtnSUT(str(tmp_path))  # its server, configured by the operator, in this process
    try:
        vtn_url = vtn.description.endpoint + "/OpenADR2/Simple/2.0b"
        run = harness_cli("run", "--sut", f"openadr+{vtn_url}", "--profile", "messages")
    finally:
        vtn.close()
    check_url_run(run, vtn_url)


def test_a_url_where_no_vtn_answers_is_a_usage_error(harness_cli, tmp_path):
    with serving_in_thread(tmp_path / "vtn.sqlite3", port=0, log_stream=None) as server:
        wrong = harness_cli("run", "--sut", f"openadr+{server.url}/elsewhere", "--profile", "messages")
    assert wrong.exit_code == 2 and "no EiRegisterParty service" in wrong.output
    gone = harness_cli("run", "--sut", f"openadr+{server.url}/OpenADR2/Simple/2.0b", "--profile", "messages")
    assert gone.exit_code == 2 and "did not answer an oadrQueryRegistration" in gone.output
