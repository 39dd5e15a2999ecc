"""SUT-declared profiles (harness/catalog/declared.py): a platform's claim, read from YAML or
JSON, decides which requirements are judged; the rest are not-applicable, never silent."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import catalog
from harness.errors import HarnessError

PROFILES = Path(__file__).parents[2] / "profiles"


def test_market_only_claims_the_markets_domain_and_nothing_of_7_1_to_7_4():
    profile = catalog.profile(str(PROFILES / "market-only.yaml"))
    assert profile.name == "market-only"
    assert all(profile.covers(f"Y2072-7.5-0{n}") for n in range(1, 5))
    assert profile.covers("Y2072-8.2.1-03")
    assert not any(profile.covers(r.id) for r in catalog.requirements() if r.id.startswith(("Y2072-7.1", "Y2072-7.4")))


def test_reference_declaration_claims_every_clause_7_requirement():
    profile = catalog.profile(str(PROFILES / "reference-broker.yaml"))
    assert all(profile.covers(r.id) for r in catalog.requirements() if r.id.startswith("Y2072-7."))


def test_recommended_requirements_are_claimed_only_when_listed(tmp_path):
    path = tmp_path / "prosumer.json"
    path.write_text(json.dumps({"roles": ["prosumer"], "optional": []}))
    profile = catalog.profile(str(path))
    assert profile.covers("Y2072-7.1-01") and not profile.covers("Y2072-7.1-04")
    path.write_text(json.dumps({"roles": ["prosumer"], "optional": ["Y2072-7.1-04"]}))
    assert catalog.profile(str(path)).covers("Y2072-7.1-04")


@pytest.mark.parametrize("content, field", [
    ({"roles": ["market", "wizard"]}, "/roles/1"),
    ({"roles": ["market"], "optional": ["Y2072-7.1-04"]}, "/optional/0"),
    ({"roles": ["market"], "optional": ["Y2072-7.5-01"]}, "/optional/0"),
    ({"roles": "market"}, "/roles"),
    ({"roles": ["market"], "claims": []}, "/claims"),
])
def test_bad_declarations_name_the_field(tmp_path, content, field):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(HarnessError) as raised:
        catalog.profile(str(path))
    assert raised.value.field == field


def test_missing_declaration_is_a_usage_error(harness_cli, tmp_path):
    run = harness_cli("run", "--profile", str(tmp_path / "nope.yaml"))
    assert run.exit_code == 2 and "nope.yaml" in run.output


def test_market_only_platform_is_conformant_to_its_own_claim_and_not_to_all(harness_cli, tmp_path):
    run = harness_cli("run", "--sut", "faulty_domain_suts:market_only", "--profile", str(PROFILES / "market-only.yaml"))
    assert run.exit_code == 0, run.output
    verdicts = run.verdicts()
    assert {verdicts[f"Y2072-7.5-0{n}"] for n in range(1, 5)} == {"pass"}
    domain = [rid for rid in verdicts if rid[:9] in ("Y2072-7.1", "Y2072-7.2", "Y2072-7.3", "Y2072-7.4")]
    assert len(domain) == 17 and {verdicts[rid] for rid in domain} == {"not-applicable"}
    assert run.record["profile"] == "market-only"
    skipped = [s for r in run.record["requirements"] if r["id"] == "Y2072-7.1-01" for s in r["scenarios"]]
    assert skipped and {s["outcome"] for s in skipped} == {"not-applicable"}, "listed, not dropped"
    whole = harness_cli("run", "--sut", "faulty_domain_suts:market_only", "-r", "Y2072-7.1-01",
                        report_dir=tmp_path / "all")
    assert whole.exit_code == 1 and whole.verdicts()["Y2072-7.1-01"] == "error"
