"""Steps for retailer selection (MKT-RETAIL-CHOICE, seed 000): the harness gives the city's
retailers and a customer's demand and preferences, the SUT chooses a supply mix and reports the
cost/renewable Pareto front and its baselines, and the harness judges all of it by its own exact
enumeration (harness.optimality.retail_oracle)."""
from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..optimality import retail_oracle as oracle
from ..sut.decisions import require_decisions

VIOLATIONS = m.declare("retail_choice_violations", unit="count",
                       description="preferences of the customer the chosen mix breaks")
OFF_FRONT = m.declare("retail_points_off_front", unit="count",
                      description="reported mixes (the choice and the front) that another mix dominates")
RULE_GAP = m.declare("retail_rule_gap", unit="ratio",
                     description="how far the choice is from the best its rule allows (relative)")
BASELINES = m.declare("retail_baseline_mismatches", unit="count",
                      description="baselines (cheapest single retailer, enumeration optimum) that "
                                  "disagree with the harness")
STATUS = m.declare("retail_status", unit=None, description="the SUT's status for the selection")


@pytest.fixture
def retail() -> dict:
    return {"retailers": [], "customer": {}, "answer": None, "status": ""}


@given("the city's retailers are:")
def _(retail: dict, datatable):
    header, *rows = datatable
    for row in rows:
        c = dict(zip(header, row))
        retail["retailers"].append({
            "retailer_id": c["retailer"],
            "prices_per_kwh": {"peak": float(c["peak_eur_per_kwh"]), "offpeak": float(c["offpeak_eur_per_kwh"])},
            "standing_charge": float(c["standing_eur"]), "renewable_share": float(c["renewable_share"]),
            "availability_pct": float(c["availability_pct"]),
            "metering_interval_min": float(c["metering_interval_min"]),
            "billing_accuracy_pct": float(c["billing_accuracy_pct"])})


@given(parsers.parse('customer "{name}" expects {peak:g} kWh at peak and {offpeak:g} kWh off-peak, '
                     'wants a renewable share of at least {share:g}, {availability:g} % availability '
                     'and metering every {interval:g} minutes or finer, chosen by rule "{rule}" '
                     'with budget {budget}'))
def _(retail: dict, name: str, peak: float, offpeak: float, share: float, availability: float,
      interval: float, rule: str, budget: str):
    retail["customer"] = {"customer_id": name, "demand_kwh": {"peak": peak, "offpeak": offpeak},
                          "min_renewable_share": share, "min_availability_pct": availability,
                          "max_metering_interval_min": interval, "rule": rule,
                          "budget": None if budget == "none" else float(budget)}


@when("the SUT selects the customer's retailers")
def _(sut, retail: dict):
    response = require_decisions(sut).select_retailers(
        {"retailers": retail["retailers"], "customer": retail["customer"], "random_seed": 7})
    retail["answer"] = response.body if response.accepted else None
    retail["status"] = str(response.body.get("status")) if response.accepted else response.status


def _chosen(retail: dict, evidence) -> tuple[list[str], float, float]:
    evidence.measure(STATUS, retail["status"], m.equals("ok"), field="/status")
    chosen = retail["answer"].get("chosen") or {}
    return oracle.evaluate(retail, chosen.get("shares"))


@then("the chosen mix meets the customer's preferences")
def _(retail: dict, evidence: m.ScenarioEvidence):
    problems, cost, green = _chosen(retail, evidence)
    c = retail["customer"]
    if c["rule"] == "cheapest-meeting-renewable-minimum" and green < c["min_renewable_share"] - oracle.TOL:
        problems.append(f"renewable share {green:.6f} is below the minimum {c['min_renewable_share']:g}")
    if c.get("budget") is not None and cost > c["budget"] + oracle.TOL:
        problems.append(f"cost {cost:.6f} exceeds the budget {c['budget']:g}")
    evidence.measure(VIOLATIONS, len(problems), m.equals(0), field="/chosen/shares",
                     subject="; ".join(problems[:3]))


@then("the chosen mix and every front point the SUT reports are on the cost/renewable Pareto front")
def _(retail: dict, evidence: m.ScenarioEvidence):
    problems, cost, green = _chosen(retail, evidence)
    if problems:
        pytest.skip("not-tested: the chosen mix breaks the preferences, so its place on the front "
                    "is moot (the preference check judges it)")
    off = []
    for where, mix in [("chosen", retail["answer"]["chosen"])] + [
            (f"front/{k}", p) for k, p in enumerate(retail["answer"].get("front") or [])]:
        broken, c, g = oracle.evaluate(retail, (mix or {}).get("shares"))
        reason = "; ".join(broken) or oracle.dominated_by(retail, c, g)
        if reason:
            off.append(f"{where}: {reason}")
    evidence.measure(OFF_FRONT, len(off), m.equals(0), field="/front", subject="; ".join(off[:3]))


@then("the chosen mix is the best its rule allows, within 1e-6 relative")
def _(retail: dict, evidence: m.ScenarioEvidence):
    problems, cost, green = _chosen(retail, evidence)
    if problems:
        pytest.skip("not-tested: the chosen mix breaks the preferences (the preference check judges it)")
    c = retail["customer"]
    if c["rule"] == "cheapest-meeting-renewable-minimum":
        best = oracle.least_cost(retail, c["min_renewable_share"])
        gap, subject = (cost - best) / max(1.0, abs(best)), f"least cost {best:.6f}"
    else:
        best = oracle.greenest(retail, c["budget"])
        gap, subject = best - green, f"greenest share within budget {best:.6f}"
    evidence.measure(RULE_GAP, gap, m.within(0.0, oracle.TOL), field="/chosen", subject=subject)


@then("the baselines beside it agree with the harness: the cheapest single retailer and the "
      "exact optimum by enumeration")
def _(retail: dict, evidence: m.ScenarioEvidence):
    baselines = retail["answer"].get("baselines") or {}
    pool = oracle.eligible(retail)
    singles = {rid: oracle.evaluate(retail, {rid: 1.0})[1] for rid in pool}
    wrong = []
    cheapest = (baselines.get("cheapest_single") or {}).get("shares") or {}
    if not singles or list(cheapest) != [min(singles, key=singles.get)] and \
            singles.get(next(iter(cheapest), None), float("inf")) > min(singles.values()) + oracle.TOL:
        wrong.append(f"cheapest single retailer {list(cheapest)} is not the cheapest eligible one")
    exact = oracle.least_cost(retail, retail["customer"]["min_renewable_share"])
    enum = (baselines.get("enumeration") or {}).get("cost")
    if not isinstance(enum, (int, float)) or abs(enum - exact) > oracle.TOL * max(1.0, exact):
        wrong.append(f"enumeration optimum {enum!r} differs from the harness's {exact:.6f}")
    if not (baselines.get("random_single") or {}).get("shares"):
        wrong.append("no random-choice baseline")
    evidence.measure(BASELINES, len(wrong), m.equals(0), field="/baselines", subject="; ".join(wrong))


@then(parsers.parse('the SUT finds no supply mix, saying "{why}"'))
def _(retail: dict, evidence: m.ScenarioEvidence, why: str):
    evidence.measure(STATUS, retail["status"], m.equals("infeasible"), field="/status")
    evidence.measure(STATUS, (retail["answer"] or {}).get("reason"), m.equals(why), field="/reason")
