"""harness.verdicts: scenario outcomes -> requirement verdicts -> conformance summary
(DESIGN.md "Verdicts"). Catalog and profile are built directly, not loaded."""
from __future__ import annotations

import pytest

from harness.catalog import Profile, Requirement
from harness.verdicts import ScenarioResult, aggregate, requirement_verdict

MARKETS = Profile("markets", "clause 7.5 only", ("Y2072-7.5-*",))


def req(rid: str, level: str = "required") -> Requirement:
    return Requirement(id=rid, source=f"ITU-T Y.2072 {rid.split('-')[1]}", level=level,
                       title=f"title {rid}", paraphrase=f"paraphrase {rid}", domain="markets")


def run(outcome: str, *rids: str, name: str | None = None) -> ScenarioResult:
    return ScenarioResult(feature="Markets", name=name or f"{outcome} {' '.join(rids)}",
                          requirement_ids=tuple(rids), outcome=outcome)


# R1, R2 required and in profile; R3 recommended; R4 required but no scenario yet;
# OUT required but outside the markets profile.
R1, R2, R3, R4, OUT = "Y2072-7.5-01", "Y2072-7.5-02", "Y2072-7.5-03", "Y2072-7.5-04", "Y2072-8.2.1-01"
CATALOG = (req(R1), req(R2), req(R3, "recommended"), req(R4), req(OUT))


def verdicts(results, catalog=CATALOG, profile=MARKETS):
    records, summary = aggregate(catalog, profile, results)
    return {r["id"]: r["verdict"] for r in records}, summary


# --- requirement_verdict: precedence ---------------------------------------------------------------

@pytest.mark.parametrize("outcomes, verdict", [
    (["pass", "error", "not-tested", "fail"], "fail"),       # fail beats everything
    (["fail", "fail"], "fail"),
    (["pass", "not-tested", "error"], "error"),              # error beats not-tested and pass
    (["error"], "error"),
    (["pass", "not-tested"], "not-tested"),                  # a scenario not run beats pass
    (["pass", "not-applicable"], "pass"),                    # a scenario the SUT lacks the means for is set aside
    (["not-applicable", "not-applicable"], "not-applicable"),  # ... and if all are, so is the requirement
    (["not-applicable", "fail"], "fail"),
    (["not-applicable", "not-tested", "pass"], "not-tested"),
    ([], "not-tested"),                                      # pass needs at least one run
    (["pass"], "pass"),
    (["pass", "pass", "pass"], "pass"),
])
def test_precedence_inside_the_profile(outcomes, verdict):
    assert requirement_verdict(outcomes, in_profile=True) == verdict


@pytest.mark.parametrize("outcomes", [["fail"], ["error"], ["pass"], []])
def test_outside_the_profile_is_not_applicable(outcomes):
    assert requirement_verdict(outcomes, in_profile=False) == "not-applicable"


# --- aggregate -----------------------------------------------------------------------------------------

def test_records_carry_verdict_encoding_and_profile_membership():
    records, _ = aggregate(CATALOG, MARKETS, [run("pass", R1), run("fail", OUT)])
    by_id = {r["id"]: r for r in records}
    assert [r["id"] for r in records] == [R1, R2, R3, R4, OUT]   # catalog order
    assert (by_id[R1]["verdict"], by_id[R1]["encoded"], by_id[R1]["in_profile"]) == ("pass", True, True)
    assert (by_id[R4]["verdict"], by_id[R4]["encoded"]) == ("not-tested", False)
    assert (by_id[OUT]["verdict"], by_id[OUT]["encoded"], by_id[OUT]["in_profile"]) == ("not-applicable", True, False)
    assert by_id[R1]["scenarios"][0]["name"] == "pass Y2072-7.5-01"
    assert by_id[R1]["level"] == "required" and by_id[R1]["source"] == "ITU-T Y.2072 7.5"


def test_not_encoded_requirements_are_listed_and_not_tested():
    found, summary = verdicts([run("pass", R1), run("pass", R2), run("pass", R3)])
    assert found[R4] == "not-tested"
    assert summary["not_encoded"] == [R4]      # OUT has no scenario either, but is outside the profile
    assert (summary["pass"], summary["not-tested"], summary["not-applicable"]) == (3, 1, 1)


def test_conformant_when_every_required_encoded_requirement_passes():
    found, summary = verdicts([run("pass", R1), run("pass", R2)])
    assert summary["conformant"] is True
    assert found[R4] == "not-tested"           # not encoded: does not count either way


def test_recommended_failure_does_not_break_conformance():
    found, summary = verdicts([run("pass", R1), run("pass", R2), run("fail", R3)])
    assert found[R3] == "fail" and summary["fail"] == 1
    assert summary["conformant"] is True


def test_failure_outside_the_profile_does_not_break_conformance():
    found, summary = verdicts([run("pass", R1), run("pass", R2), run("fail", OUT)])
    assert found[OUT] == "not-applicable"
    assert summary["conformant"] is True


@pytest.mark.parametrize("r2_outcome", ["fail", "error", "not-tested"])
def test_required_requirement_not_passing_breaks_conformance(r2_outcome):
    found, summary = verdicts([run("pass", R1), run("pass", R2, name="first"), run(r2_outcome, R2)])
    assert found[R2] == r2_outcome
    assert summary["conformant"] is False


def test_no_evidence_is_no_conformance():
    _, summary = verdicts([run("pass", R3)])   # only a recommended requirement was tested
    assert summary["conformant"] is False
    assert summary["not_encoded"] == [R1, R2, R4]


def test_one_scenario_can_cover_several_requirements():
    found, summary = verdicts([run("fail", R1, R2), run("pass", R1)])
    assert (found[R1], found[R2]) == ("fail", "fail")
    assert summary["scenarios"] == {"pass": 1, "fail": 1, "error": 0, "not-applicable": 0, "not-tested": 0}


def test_unknown_requirement_in_a_scenario_raises():
    with pytest.raises(ValueError, match="Y2072-9.9-99"):
        aggregate(CATALOG, MARKETS, [run("pass", R1), run("pass", "Y2072-9.9-99")])


def test_unknown_scenario_outcome_raises():
    with pytest.raises(ValueError, match="skipped"):
        run("skipped", R1)
