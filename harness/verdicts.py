"""From scenario outcomes to per-requirement verdicts and the conformance summary (docs/contracts.md,
"Verdicts", a contract). Pure functions of their inputs.

Rules, in order of precedence for a requirement inside the profile:
1. any of its scenarios ``fail``  -> ``fail``;
2. otherwise any ``error``        -> ``error``;
3. otherwise, when every scenario is ``not-applicable`` (the SUT lacks what they need) ->
   ``not-applicable`` (a required one still keeps the SUT from being conformant); scenarios
   that are not-applicable beside others are set aside (they stay listed with their reason);
4. otherwise any scenario not run (deselected, or none encoded) -> ``not-tested``;
5. otherwise (at least one ran, all passed) -> ``pass``.
A requirement outside the profile is ``not-applicable``. The SUT is conformant for the profile
when every ``required`` requirement in it that has scenarios passes; requirements with no
scenarios yet are listed in ``summary.not_encoded`` and do not count either way.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .catalog import Profile, Requirement

OUTCOMES = ("pass", "fail", "error", "not-applicable", "not-tested")


@dataclass(frozen=True)
class ScenarioResult:
    feature: str
    name: str
    requirement_ids: tuple[str, ...]
    outcome: str
    duration_s: float = 0.0
    message: str | None = None
    measurements: tuple[dict, ...] = ()
    wire_log: str | None = None           # path of the scenario's wire log, relative to the reports

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown scenario outcome {self.outcome!r}; expected one of {OUTCOMES}")

    def to_record(self) -> dict:
        return {"feature": self.feature, "name": self.name, "outcome": self.outcome,
                "duration_s": round(self.duration_s, 4), "message": self.message,
                "measurements": list(self.measurements), "wire_log": self.wire_log}


def requirement_verdict(outcomes: Sequence[str], in_profile: bool) -> str:
    if not in_profile:
        return "not-applicable"
    if "fail" in outcomes:
        return "fail"
    if "error" in outcomes:
        return "error"
    # Inside the profile a scenario is not-applicable only when the SUT lacks what it needs
    # (harness.errors.SUTLacksFeature); it neither passes nor blocks the requirement.
    if outcomes and all(o == "not-applicable" for o in outcomes):
        return "not-applicable"
    outcomes = [o for o in outcomes if o != "not-applicable"]
    if not outcomes or "not-tested" in outcomes:
        return "not-tested"
    return "pass"


def aggregate(catalog: Iterable[Requirement], profile: Profile, results: Iterable[ScenarioResult]) -> tuple[list[dict], dict]:
    """Per-requirement records and the summary, as conformance.json carries them.

    Raises:
        ValueError: a scenario names a requirement that is not in the catalog.
    """
    catalog = list(catalog)
    known = {r.id for r in catalog}
    by_requirement: dict[str, list[ScenarioResult]] = {r.id: [] for r in catalog}
    scenario_counts = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        scenario_counts[result.outcome] += 1
        for rid in result.requirement_ids:
            if rid not in known:
                raise ValueError(f"scenario {result.feature!r} / {result.name!r} is tagged {rid}, "
                                 "which is not in the requirement catalog")
            by_requirement[rid].append(result)

    records, counts = [], dict.fromkeys(OUTCOMES, 0)
    not_encoded, conformant_basis = [], []
    for req in catalog:
        scenarios = by_requirement[req.id]
        in_profile = profile.covers(req.id)
        verdict = requirement_verdict([s.outcome for s in scenarios], in_profile)
        counts[verdict] += 1
        if in_profile and not scenarios:
            not_encoded.append(req.id)
        if in_profile and scenarios and req.level == "required":
            conformant_basis.append(verdict)
        records.append({"id": req.id, "source": req.source, "level": req.level, "title": req.title,
                        "paraphrase": req.paraphrase, "encoded": bool(scenarios), "in_profile": in_profile,
                        "verdict": verdict, "scenarios": [s.to_record() for s in scenarios]})
    summary = {**counts,
               "conformant": bool(conformant_basis) and all(v == "pass" for v in conformant_basis),
               "not_encoded": not_encoded, "scenarios": scenario_counts}
    return records, summary
