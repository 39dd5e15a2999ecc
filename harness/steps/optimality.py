"""Steps for the optimality oracle (MKT-TRADE-*, MKT-EV-*): the harness generates a market
instance, the SUT decides it, and the harness judges the answer's feasibility on the SUT's own
flows or assignment and its cost against the optimum the harness computes itself
(harness.optimality; HiGHS for trading, scipy for the assignment).

An answer that is not feasible has no meaningful cost, so the optimality Then step does not
judge it (the scenario is not tested for optimality); the feasibility requirement fails instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..optimality import ev_oracle, instances, trading_oracle
from ..sut.decisions import require_decisions

COST_REL_TOL = 1e-6   # the declared tolerance of MKT-TRADE-OPTIMAL and MKT-EV-OPTIMAL

STATUS = m.declare("decision_status", unit=None,
                   description="the SUT's status for the instance, against the harness's own")
VIOLATIONS = m.declare("decision_violations", unit="count",
                       description="constraints of the instance the SUT's answer breaks")
COST_GAP = m.declare("decision_cost_gap", unit="ratio",
                     description="(cost of the SUT's answer - harness optimum) / max(1, |optimum|)")
REPORTED_GAP = m.declare("decision_reported_cost_gap", unit="ratio",
                         description="(cost the SUT reports - cost of its answer) / max(1, |cost|)")
NAMED = m.declare("decision_unplaceable_vehicle_named", unit=None,
                  description="the SUT's infeasibility reason names a vehicle no assignment can place")


@dataclass
class Decision:
    kind: str = ""                   # "trading" or "ev"
    instance: dict = field(default_factory=dict)
    answer: dict | None = None
    status: str = ""


@pytest.fixture
def decision() -> Decision:
    return Decision()


def _oracle(decision: Decision):
    return trading_oracle if decision.kind == "trading" else ev_oracle


@given(parsers.parse("a generated trading network of {nodes:d} nodes with up to {degree:d} arcs "
                     "per node, seed {seed:d}, {objective} objective"))
def _(decision: Decision, nodes: int, degree: int, seed: int, objective: str):
    decision.kind = "trading"
    decision.instance = instances.trading_instance(nodes, seed, out_degree=degree, objective=objective)


@given(parsers.parse("a generated EV charging instance of {vehicles:d} vehicles and {stations:d} "
                     "stations, seed {seed:d}"))
def _(decision: Decision, vehicles: int, stations: int, seed: int):
    decision.kind = "ev"
    decision.instance = instances.ev_instance(vehicles, stations, seed)


@given(parsers.parse("a generated EV charging instance of {vehicles:d} vehicles and {stations:d} "
                     "stations, seed {seed:d}, where vehicle \"{vehicle}\" has an empty battery"))
def _(decision: Decision, vehicles: int, stations: int, seed: int, vehicle: str):
    decision.kind = "ev"
    decision.instance = instances.ev_instance(vehicles, stations, seed, stranded=True)
    assert decision.instance["vehicles"]["vehicle_id"][0] == vehicle, "the generator strands v0"


@when("the SUT decides the instance")
def _(sut, decision: Decision):
    decider = require_decisions(sut)
    response = (decider.clear_trading if decision.kind == "trading" else decider.assign_ev)(decision.instance)
    decision.status = response.status if not response.accepted else str(response.body.get("status"))
    decision.answer = response.body if response.accepted else None


@then(parsers.parse('the SUT answers "{status}"'))
def _(decision: Decision, evidence: m.ScenarioEvidence, status: str):
    evidence.measure(STATUS, decision.status, m.equals(status), field="/status", subject=decision.kind)


@then("the SUT's answer respects every constraint of the instance")
def _(decision: Decision, evidence: m.ScenarioEvidence):
    problems, _ = _oracle(decision).check_answer(decision.instance, decision.answer or {})
    pointer, first = problems[0] if problems else ("", "")
    evidence.measure(VIOLATIONS, len(problems), m.equals(0), field=pointer,
                     subject=first or f"{decision.kind} answer")


@then("the cost of the SUT's answer is within 1e-6 relative of the harness's optimum")
def _(decision: Decision, evidence: m.ScenarioEvidence):
    oracle = _oracle(decision)
    problems, cost = oracle.check_answer(decision.instance, decision.answer or {})
    if problems:
        pytest.skip(f"not-tested: the answer breaks {len(problems)} constraints, so its cost is "
                    "not comparable with the optimum (the feasibility requirement judges it)")
    best = oracle.optimum(decision.instance)
    value = best.objective_value if decision.kind == "trading" else best.total_cost
    gap = (cost - value) / max(1.0, abs(value))
    evidence.measure(COST_GAP, gap, m.within(0.0, COST_REL_TOL), field="/flows" if
                     decision.kind == "trading" else "/assignment", subject=f"optimum {value:.6f}")
    key = "objective_value" if decision.kind == "trading" else "total_cost"
    reported = decision.answer.get(key)
    reported_gap = ((reported - cost) / max(1.0, abs(cost))
                    if isinstance(reported, (int, float)) and not isinstance(reported, bool) else reported)
    evidence.measure(REPORTED_GAP, reported_gap, m.within(0.0, COST_REL_TOL), field=f"/{key}",
                     subject=f"cost of the answer {cost:.6f}")


@then(parsers.parse('the SUT finds the instance infeasible, naming vehicle "{vehicle}"'))
def _(decision: Decision, evidence: m.ScenarioEvidence, vehicle: str):
    best = ev_oracle.optimum(decision.instance)
    evidence.measure(STATUS, decision.status, m.equals(best.status), field="/status", subject="ev")
    reason = str((decision.answer or {}).get("reason", ""))
    named = vehicle in best.unplaceable and (f"'{vehicle}'" in reason or f'"{vehicle}"' in reason)
    evidence.measure(NAMED, named, m.is_true(), field="/reason", subject=reason or "(no reason)")
