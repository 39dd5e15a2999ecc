"""Steps shared by every feature: market time, participants and their resources, and the
generic checks on refusals (status and the field named)."""
from __future__ import annotations

from datetime import datetime

import pytest
from pytest_bdd import given, parsers, then

from .. import measurements as m
from .session import MarketSession, require_ok

REFUSAL_STATUS = m.declare("refusal_status", unit=None,
                           description="status the SUT answered an invalid request with")
REFUSAL_FIELD = m.declare("refusal_field", unit=None,
                          description="the SUT's refusal names the offending field (JSON pointer)")


@pytest.fixture
def market() -> MarketSession:
    return MarketSession()


@given(parsers.parse("the market time is {when}"))
def _(sut, market: MarketSession, when: str):
    instant = datetime.fromisoformat(when)
    market.day = market.day or instant.date()
    sut.set_clock(instant)


def _register_participant(sut, name: str, role: str, node: str) -> None:
    require_ok(sut.register_participant({"participant_id": name, "role": role, "grid_node": node,
                                         "display_name": name.title()}), f"participant {name}")


@given(parsers.parse('a {role} "{name}" at grid node "{node}" with resources:'))
def _(sut, role: str, name: str, node: str, datatable):
    _register_participant(sut, name, role, node)
    header, *rows = datatable
    for row in rows:
        cells = dict(zip(header, row))
        require_ok(sut.register_resource({
            "resource_id": cells["resource"], "owner_id": name, "kind": cells["kind"],
            "max_power_kw": float(cells["max_power_kw"]), "voltage_v": float(cells["voltage_v"]),
            "meter_id": cells["meter"]}), f"resource {cells['resource']}")


@given(parsers.parse('a {role} "{name}" at grid node "{node}"'))
def _(sut, role: str, name: str, node: str):
    _register_participant(sut, name, role, node)


@then(parsers.parse('the {what} is rejected at field "{pointer}"'))
def _(market: MarketSession, evidence: m.ScenarioEvidence, what: str, pointer: str):
    evidence.measure(REFUSAL_STATUS, market.last.status, m.equals("rejected"), subject=what)
    fields = [e.get("field") for e in market.last.errors]
    evidence.measure(REFUSAL_FIELD, pointer if pointer in fields else ", ".join(map(str, fields)) or "(none)",
                     m.equals(pointer), field="/errors", subject=what)


@then(parsers.parse('the {what} is refused as "{status}"'))
def _(market: MarketSession, evidence: m.ScenarioEvidence, what: str, status: str):
    evidence.measure(REFUSAL_STATUS, market.last.status, m.equals(status), subject=what)
