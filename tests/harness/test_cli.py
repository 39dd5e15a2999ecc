"""The `harness` command's contract: verbs, options, exit codes, report layout."""
from __future__ import annotations

import json
import re

from harness import catalog


def test_run_help_explains_every_option(harness_cli):
    run = harness_cli("run", "--help")
    assert run.exit_code == 0
    for option in ("--sut", "--profile", "--report-dir", "--requirement", "-k", "-m", "--features",
                   "exit status"):
        assert option in run.output


def test_requirements_table_lists_catalog_with_coverage(harness_cli):
    run = harness_cli("requirements")
    assert run.exit_code == 0
    assert "Y2072-7.5-02" in run.output and "Y2072-10-05" in run.output
    # counts follow the catalog, which grows as requirement families land (MSG-*, SC38-*, GDPR-* ...)
    assert "Y2072-" in run.output and "MSG-SCHEMA-VALID" in run.output
    from harness.features import coverage, default_features_dir
    encoded = sum(1 for r in catalog.requirements() if coverage(default_features_dir()).get(r.id))
    assert f"{len(catalog.requirements())} requirements catalogued, {encoded} encoded by scenarios." in run.output
    assert encoded >= 23 + 5 + 14 + 6 + 6  # Y.2072 7.1-7.5 and 9.4-03/04, MSG, SC38/GDPR, HIL, MKT


def test_requirements_json_matches_table(harness_cli):
    run = harness_cli("requirements", "--format", "json")
    rows = json.loads(run.output)
    assert len(rows) == len(catalog.requirements()) >= 61 + 14
    assert len([r for r in rows if r["id"].startswith("Y2072-")]) == 61
    by_id = {r["id"]: r for r in rows}
    assert by_id["Y2072-7.1-04"]["level"] == "recommended"
    assert by_id["Y2072-7.5-03"]["source"] == "ITU-T Y.2072 7.5"
    assert by_id["Y2072-7.5-03"]["scenarios"], "7.5-03 should be covered"
    assert by_id["Y2072-7.1-01"]["scenarios"], "7.1-01 is covered since issue 3"
    assert by_id["Y2072-10-01"]["scenarios"], "10-01 is covered by the SEC-AUTHN features since issue 8"
    assert by_id["Y2072-10-02"]["scenarios"], "10-02 (security policy compliance) is covered against the declared policy"


def test_requirement_filter_leaves_the_rest_not_tested_and_no_claim(harness_cli):
    run = harness_cli("run", "-r", "Y2072-7.5-04")
    assert run.exit_code == 1, "a partial run cannot claim conformance"
    verdicts = run.verdicts()
    assert verdicts["Y2072-7.5-04"] == "pass"
    assert verdicts["Y2072-7.5-01"] == "not-tested"


def test_profile_excludes_requirements_as_not_applicable(harness_cli):
    run = harness_cli("run", "--profile", "y2072-markets")
    assert run.exit_code == 0
    verdicts = run.verdicts()
    assert verdicts["Y2072-7.1-01"] == "not-applicable"
    assert verdicts["Y2072-7.5-01"] == "pass"
    assert run.record["profile"] == "y2072-markets"


def test_unknown_profile_is_a_usage_error_naming_the_choices(harness_cli):
    run = harness_cli("run", "--profile", "nope")
    assert run.exit_code == 2
    assert "y2072-markets" in run.output


def test_unresolvable_sut_is_a_harness_error(harness_cli):
    run = harness_cli("run", "--sut", "no_such_module:factory")
    assert run.exit_code == 2
    assert "PYTHONPATH" in run.output


def test_object_that_is_not_a_sut_is_refused(harness_cli):
    run = harness_cli("run", "--sut", "faulty_suts:not_a_sut")
    assert run.exit_code == 2
    assert "does not implement MarketSUT" in run.output


def test_empty_features_directory_is_refused(harness_cli, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    run = harness_cli("run", "--features", str(empty))
    assert run.exit_code == 2
    assert "no .feature files" in run.output


def test_conformance_json_has_the_contract_fields(harness_cli):
    record = harness_cli("run", "-r", "Y2072-7.5-01").record
    assert list(record) == ["harness_version", "sut", "profile", "started_at", "finished_at",
                            "requirements", "summary"]
    assert set(record["sut"]) == {"name", "adapter", "endpoint"}
    requirement = next(r for r in record["requirements"] if r["id"] == "Y2072-7.5-01")
    assert {"id", "source", "level", "verdict", "scenarios"} <= set(requirement)
    assert {"feature", "name", "outcome"} <= set(requirement["scenarios"][0])
    assert {"pass", "fail", "error", "not-applicable", "not-tested", "conformant"} <= set(record["summary"])


def test_allure_results_carry_the_requirement_ids(harness_cli):
    run = harness_cli("run", "-r", "Y2072-7.5-03")
    results = [json.loads(p.read_text()) for p in (run.report_dir / "allure-results").glob("*-result.json")]
    assert results
    for result in results:
        labels = {(label["name"], label["value"]) for label in result["labels"]}
        assert ("requirement", "Y2072-7.5-03") in labels
        assert result["status"] == "passed"
