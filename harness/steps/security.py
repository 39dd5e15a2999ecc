"""Steps for the security features (Y.2072 clause 10, SEC-*): the platform as one participant
sees it, or as a caller who proved no identity (harness/sut/parties.py). Set-up runs as the
operator through the usual steps; the When steps here act as a party through
``sut.as_party(...)`` / ``sut.anonymous()``, and the Then steps judge the answer.

A SUT without party credentials (an ``http://`` SUT in the insecure test mode, or no
``--credentials``) cannot be asked who may do what: those scenarios are skipped as not-tested,
never passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..errors import HarnessError
from ..sut import Response
from ..sut.parties import PartySUT
from .billing import BillingSession
from .session import MarketSession, require_ok

REFUSAL = m.declare("access_refusal", unit=None,
                    description="status of a request the caller had no right to make (Y.2072 clause 10)")
SERVED = m.declare("access_served", unit=None, description="status of a request the caller had the right to make")
DISCLOSED = m.declare("refusal_discloses_record", unit=None,
                      description="a refused request's answer carries any part of the record")
STORED_READINGS = m.declare("readings_held", unit="count", description="readings the meter holds after the request")
LOG_LINES = m.declare("log_lines_written", unit="count", description="lines the platform logged during the scenario")
LOG_IDS = m.declare("log_identifiers_in_clear", unit="count",
                    description="participant, meter and bill identifiers found in clear in the platform's log")
CONTRACT_UNCHANGED = m.declare("contract_state_after_refusal", unit=None,
                               description="state of the contract after a refused change")


@dataclass
class SecurityAttempt:
    answer: Response | None = None
    what: str = ""
    views: dict = field(default_factory=dict)   # caller -> its PartyView, kept for replays
    log_mark: int | None = None                 # where the platform's log stood (service_log.py)
    probe: object | None = None                 # a ConnectionProbe (security_policy.py, Y2072-10-02)


@pytest.fixture
def attempt() -> SecurityAttempt:
    return SecurityAttempt()


def _views(sut) -> PartySUT:
    if not isinstance(sut, PartySUT):
        pytest.skip("not-tested: the SUT does not implement harness.sut.parties.PartySUT (as_party, anonymous)")
    if not sut.authenticates_parties:
        pytest.skip("not-tested: no party credentials; run an https:// SUT with --credentials DIR "
                    "(harness pki init) to test authentication and isolation")
    return sut


def _caller(sut, who: str, attempt: SecurityAttempt | None = None):
    if attempt is not None and who in attempt.views:
        return attempt.views[who]
    views = _views(sut)
    view = views.anonymous() if who == "a caller without credentials" else views.as_party(who.strip('"'))
    if attempt is not None:
        attempt.views[who] = view
    return view


def _bill_id(billing: BillingSession, meter: str) -> str:
    for bill in reversed(billing.bills):
        if bill.get("supply_point_id") == meter:
            return bill["bill_id"]
    raise HarnessError(f"no bill of {meter} was issued in this scenario", code="precondition-failed")


_WHO = "{who}"   # `"alice"` or `a caller without credentials`


@when(parsers.parse(_WHO + " asks for the product list"))
def _(sut, attempt, who):
    attempt.answer, attempt.what = _caller(sut, who).list_products(), "the product list"


@when(parsers.parse(_WHO + ' asks for the bill of "{meter}"'))
def _(sut, billing, attempt, who, meter):
    attempt.answer, attempt.what = _caller(sut, who).get_bill(_bill_id(billing, meter)), f"the bill of {meter}"


@when(parsers.parse(_WHO + ' asks for the readings of meter "{meter}"'))
def _(sut, attempt, who, meter):
    attempt.answer, attempt.what = _caller(sut, who).meter_readings(meter), f"the readings of {meter}"


@when(parsers.parse(_WHO + ' asks for the notifications of "{owner}"'))
def _(sut, attempt, who, owner):
    attempt.answer, attempt.what = _caller(sut, who).notifications(owner), f"the notifications of {owner}"


@when(parsers.parse(_WHO + ' asks for the contract of bid "{bid_id}"'))
def _(sut, market: MarketSession, attempt, who, bid_id):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    attempt.answer, attempt.what = _caller(sut, who).get_contract(contract_id), f"contract {contract_id}"


@when(parsers.parse(_WHO + ' asks for bid "{bid_id}"'))
def _(sut, attempt, who, bid_id):
    attempt.answer, attempt.what = _caller(sut, who).get_bid(bid_id), f"bid {bid_id}"


@when(parsers.parse(_WHO + ' cancels, in the name of "{party}", the contract from bid "{bid_id}"'))
def _(sut, market: MarketSession, attempt, who, bid_id, party):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    attempt.answer = _caller(sut, who).contract_event(contract_id, "cancel", party)
    attempt.what = f"cancelling contract {contract_id}"


@when(parsers.parse(_WHO + ' submits a reading of {kwh:g} kWh imported by meter "{meter}" from {start} to {end}'))
def _(sut, attempt, who, kwh, meter, start, end):
    _submit_reading(sut, attempt, who, kwh, meter, start, end)


def _submit_reading(sut, attempt, who, kwh, meter, start, end, *, alter: bool = False) -> Response:
    reading = {"interval_start": start, "interval_end": end, "energy_kwh": kwh, "direction": "import",
               "quality": "actual"}
    caller = _caller(sut, who, attempt)
    if alter:
        caller.alter_next()
    attempt.answer, attempt.what = caller.submit_readings(meter, [reading]), f"readings for {meter}"
    return attempt.answer


@given(parsers.parse(_WHO + ' has submitted a signed reading of {kwh:g} kWh imported by meter "{meter}" from {start} '
                     'to {end}'))
def _(sut, attempt, who, kwh, meter, start, end):
    require_ok(_submit_reading(sut, attempt, who, kwh, meter, start, end), f"{who}'s signed reading")


@when(parsers.parse(_WHO + ' submits a reading of {kwh:g} kWh imported by meter "{meter}" from {start} to {end}, '
                    'its body altered after signing'))
def _(sut, attempt, who, kwh, meter, start, end):
    _submit_reading(sut, attempt, who, kwh, meter, start, end, alter=True)


@when(parsers.parse('the same signed request of {who} is received again'))
def _(sut, attempt, who):
    attempt.answer, attempt.what = _caller(sut, who, attempt).replay_last(), f"a replay of {who}'s request"


@when(parsers.parse(_WHO + ' registers resource "{resource}" with meter "{meter}" in the name of "{owner}"'))
def _(sut, attempt, who, resource, meter, owner):
    attempt.answer = _caller(sut, who).register_resource(
        {"resource_id": resource, "owner_id": owner, "kind": "load", "max_power_kw": 5.0, "voltage_v": 230,
         "meter_id": meter})
    attempt.what = f"registering {resource} for {owner}"


@given("the platform's request log is read from here on")
def _(sut, attempt):
    log = getattr(sut, "service_log", None)
    if log is None:
        pytest.skip("not-tested: the platform's log is not readable; give harness run --sut-log FILE")
    attempt.log_mark = log.mark()


@then(parsers.parse("the platform's log names none of {names} in clear, nor the bill of \"{meter}\""))
def _(sut, billing, attempt, evidence, names, meter):
    if attempt.log_mark is None:
        raise HarnessError("the log was not marked in this scenario", code="feature-error")
    text = sut.service_log.since(attempt.log_mark)
    evidence.measure(LOG_LINES, len(text.splitlines()), m.at_least(1), subject="the platform's log")
    secrets = [n.strip().strip('"') for n in names.replace(" and ", ", ").split(",") if n.strip()]
    secrets.append(_bill_id(billing, meter))
    found = sorted({s for s in secrets if s in text})
    evidence.measure(LOG_IDS, len(found), m.equals(0), subject=", ".join(found) or "none found")


@when(parsers.parse(_WHO + ' asks the platform to issue the bill of "{meter}" for {start} to {end}'))
def _(sut, attempt, who, meter, start, end):
    attempt.answer = _caller(sut, who, attempt).issue_bill(
        {"supply_point_id": meter, "period_start": start, "period_end": end})
    attempt.what = f"issuing a bill of {meter}"


@then(parsers.parse('the operator can still issue the bill of "{meter}" for {start} to {end}'))
def _(sut, evidence, meter, start, end):
    # a period is billed once: had the refused request issued the bill, this one would conflict
    answer = sut.issue_bill({"supply_point_id": meter, "period_start": start, "period_end": end})
    evidence.measure(SERVED, answer.status, m.equals("ok"), field="/status", subject=f"the operator's bill of {meter}")


def _answer(attempt: SecurityAttempt) -> Response:
    if attempt.answer is None:
        raise HarnessError("no request was made in this scenario", code="feature-error")
    return attempt.answer


@then(parsers.parse('the platform refuses the request as "{status}"'))
def _(attempt, evidence, status):
    answer = _answer(attempt)
    evidence.measure(REFUSAL, answer.status, m.equals(status), field="/status", subject=attempt.what)


@then("the platform refuses the request without disclosing the record")
def _(attempt, evidence):
    answer = _answer(attempt)
    # hiding that the record exists (not-found) is as good as refusing it (forbidden)
    evidence.measure(REFUSAL, answer.status, m.one_of("forbidden", "not-found"), field="/status",
                     subject=attempt.what)
    evidence.measure(DISCLOSED, answer.body is not None, m.equals(False), subject=attempt.what)


@then("the platform refuses the request")
def _(attempt, evidence):
    answer = _answer(attempt)
    evidence.measure(REFUSAL, answer.status, m.one_of("unauthenticated", "forbidden", "conflict", "rejected"),
                     field="/status", subject=attempt.what)


@then("the platform serves the request")
def _(attempt, evidence):
    evidence.measure(SERVED, _answer(attempt).status, m.equals("ok"), field="/status", subject=attempt.what)


@then(parsers.parse('meter "{meter}" holds {count:d} readings'))
def _(sut, evidence, meter, count):
    held = require_ok(sut.meter_readings(meter), f"the readings of {meter}")
    readings = held.get("readings") if isinstance(held, dict) else None
    evidence.measure(STORED_READINGS, len(readings) if isinstance(readings, list) else None, m.equals(count),
                     field="/readings", subject=meter)


@then(parsers.parse('the contract of bid "{bid_id}" is still "{state}"'))
def _(sut, market: MarketSession, evidence, bid_id, state):
    contract_id = market.contract_of_bid(bid_id)["contract_id"]
    contract = require_ok(sut.get_contract(contract_id), f"contract {contract_id}")
    evidence.measure(CONTRACT_UNCHANGED, contract.get("state"), m.equals(state), field="/state", subject=contract_id)
