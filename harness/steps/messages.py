"""Steps of the messaging features (features/messages/, MSG-* requirements): the harness as a
VEN against the SUT's OpenADR 2.0b VTN.

Steps reach the VTN only through the ``sut`` fixture: `vtn_of(sut)` for the operator's side
(publish, modify, cancel an event) and ``sut.ven`` (`harness.sut.openadr_ven.OpenAdrVen`) for
the VEN's messages; they never build XML. The VEN checks every answer as it arrives; a Then
step judges one check's findings over the whole scenario, through a declared measurement,
and fails naming the first offending element by XPath.

A SUT without a VTN, or a VTN without an operation a scenario needs (e.g. modifying a
published event), raises `SUTLacksFeature`: the scenario is not-applicable, with the reason.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pytest_bdd import parsers, then, when

from .. import measurements as m
from ..errors import ConformanceViolation
from ..protocols import oadr_rules
from ..sut.vtn import vtn_of
from .session import require_ok

MARKET_CONTEXT = "http://market.example/dr"

FINDINGS = {
    check: m.declare(f"openadr_{check}_findings", unit="count",
                     description=f"messages from the VTN that broke the {label} rules")
    for check, label in (("schema", "OpenADR 2.0b schema"), ("echo", "request-ID echo"),
                         ("intervals", "event interval"), ("modification", "modification-number"),
                         ("units", "EMIX unit and currency"))
}
VALIDATED = m.declare("openadr_messages_validated", unit="count",
                      description="OpenADR messages, sent and received, checked against the schema")
UNANSWERED = m.declare("openadr_unreadable_answers", unit="count",
                       description="VTN answers that were not a readable OpenADR document")
MODIFICATION = m.declare("openadr_modification_number", unit=None,
                         description="the modification number of an event as the VEN was sent it")
EVENT_INTERVALS = m.declare("openadr_event_intervals", unit=None,
                            description="an event's intervals as the VEN was sent them, (seconds, value) each")
EVENT_STATUS = m.declare("openadr_event_status", unit=None,
                         description="an event's eventStatus as the VEN was sent it")
PRICE_UNIT = m.declare("openadr_price_unit", unit=None,
                       description="a price signal's currency and EMIX unit kind as the VEN was sent them")


def _numbers(text: str) -> list[float]:
    return [float(v) for v in text.replace(" ", "").split(",") if v]


def _intervals(levels: str, durations: str) -> list[dict]:
    values, seconds = _numbers(levels), [int(d) for d in _numbers(durations)]
    if len(seconds) == 1:
        seconds = seconds * len(values)
    if len(seconds) != len(values):
        raise ValueError(f"{len(values)} values but {len(seconds)} durations in the step")
    return [{"duration_s": s, "value": v} for s, v in zip(seconds, values)]


def _stamp() -> datetime:
    # createdDateTime of the VEN's own messages: a record stamp, not a scheduling input
    return datetime.now(timezone.utc).replace(microsecond=0)


def _judge(evidence: m.ScenarioEvidence, ven, check: str) -> None:
    found = ven.findings(check)
    first = found[0][1] if found else None
    evidence.measure(FINDINGS[check], len(found), m.equals(0), field=first.field if first else "",
                     subject=oadr_rules.summarise(f for _, f in found[:3]) or f"{len(ven.exchanges)} answers")


def _registered(exchange) -> None:
    answer = exchange.answer
    code = getattr(getattr(answer, "response", None), "code", None)
    if answer is None or code != "200" or not getattr(answer, "ven_id", None):
        raise ConformanceViolation("the VTN did not register the VEN", code="registration-failed",
                                   field="/oadrCreatedPartyRegistration", expected="code 200 with a venID",
                                   actual=exchange.refusal or f"{exchange.answer_name} code {code}")


# -- the VEN's messages ----------------------------------------------------------------------------
@when(parsers.parse('the VEN "{name}" queries the VTN\'s registration'))
def _(sut, name: str):
    vtn_of(sut).ven.query_registration()


@when(parsers.parse('the VEN "{name}" registers with the VTN'))
def _(sut, name: str):
    _registered(vtn_of(sut).ven.register(name))


@when(parsers.parse('the VEN "{name}" registers with the VTN again'))
def _(sut, name: str):
    _registered(vtn_of(sut).ven.register(name))


@when("the VEN requests its events")
def _(sut):
    vtn_of(sut).ven.request_events()


@when("the VEN polls the VTN")
def _(sut):
    vtn_of(sut).ven.poll()


@when("the VEN opts in to the events it was sent")
def _(sut):
    vtn_of(sut).ven.answer_events("optIn")


@when(parsers.parse('the VEN opts out of event "{event_id}" with a separate opt'))
def _(sut, event_id: str):
    vtn_of(sut).ven.opt(event_id, "optOut", _stamp())


@when("the VEN cancels its separate opt")
def _(sut):
    vtn_of(sut).ven.cancel_opt()


@when(parsers.parse('the VEN registers a usage report for meter "{meter}"'))
def _(sut, meter: str):
    vtn_of(sut).ven.register_reports(meter, _stamp())


@when("the VEN cancels its registration")
def _(sut):
    vtn_of(sut).ven.cancel_registration()


# -- the VTN operator's side ---------------------------------------------------------------------
@when(parsers.parse('the VTN publishes DR event "{event_id}" for VEN "{ven}" starting {start} with '
                    'SIMPLE levels {levels} over {durations} s intervals'))
def _(sut, event_id: str, ven: str, start: str, levels: str, durations: str):
    require_ok(vtn_of(sut).publish_dr_event({
        "event_id": event_id, "market_context": MARKET_CONTEXT, "dtstart": start,
        "signal_name": "SIMPLE", "signal_type": "level", "intervals": _intervals(levels, durations),
        "ven_names": [ven]}), f"DR event {event_id}")


@when(parsers.parse('the VTN publishes price event "{event_id}" for VEN "{ven}" starting {start} with '
                    '{signal} prices {values} in {currency} over {durations} s intervals'))
def _(sut, event_id: str, ven: str, start: str, signal: str, values: str, currency: str, durations: str):
    require_ok(vtn_of(sut).publish_dr_event({
        "event_id": event_id, "market_context": MARKET_CONTEXT, "dtstart": start,
        "signal_name": signal, "signal_type": "price", "currency": currency,
        "intervals": _intervals(values, durations), "ven_names": [ven]}), f"price event {event_id}")


@when(parsers.parse('the VTN changes the intervals of DR event "{event_id}" to SIMPLE levels {levels} '
                    'over {durations} s intervals'))
def _(sut, event_id: str, levels: str, durations: str):
    require_ok(vtn_of(sut).dr_event_action(event_id, "modify", {"intervals": _intervals(levels, durations)}),
               f"the modification of DR event {event_id}")


@when(parsers.parse('the VTN cancels DR event "{event_id}"'))
def _(sut, event_id: str):
    require_ok(vtn_of(sut).dr_event_action(event_id, "cancel"), f"the cancellation of DR event {event_id}")


# -- judgements -----------------------------------------------------------------------------------
@then("every message exchanged with the VTN is valid against the OpenADR 2.0b schema")
def _(sut, evidence: m.ScenarioEvidence):
    ven = vtn_of(sut).ven
    evidence.measure(VALIDATED, ven.counts["validated"], m.at_least(2), subject="this scenario")
    _judge(evidence, ven, "schema")


@then("every answer names the request it answers")
def _(sut, evidence: m.ScenarioEvidence):
    ven = vtn_of(sut).ven
    _judge(evidence, ven, "echo")
    unread = [x for x in ven.exchanges if x.http_status != 200]
    evidence.measure(UNANSWERED, len(unread), m.equals(0),
                     subject="; ".join(f"{x.service}: {x.refusal}" for x in unread[:3]))


def _sent_event(ven, event_id: str):
    event = ven.events.get(event_id)
    if event is None:
        unread = next((x for x in reversed(ven.exchanges) if x.service in ("EiEvent", "OadrPoll")
                       and x.answer is None), None)
        why = f" (its last answer could not be read: {unread.refusal})" if unread and unread.refusal else ""
        raise ConformanceViolation(f"the VTN did not send event {event_id!r} in its last distribution{why}",
                                   code="event-missing", field="/oadrDistributeEvent/oadrEvent",
                                   expected=event_id, actual=sorted(ven.events))
    return event


@then(parsers.parse('the VEN was sent event "{event_id}" with SIMPLE levels {levels} over {durations} s intervals'))
def _(sut, evidence: m.ScenarioEvidence, event_id: str, levels: str, durations: str):
    event = _sent_event(vtn_of(sut).ven, event_id)
    expected = [(i["duration_s"], i["value"]) for i in _intervals(levels, durations)]
    actual = [(int(i.duration.total_seconds()), i.value) for i in event.signals[0].intervals]
    evidence.measure(EVENT_INTERVALS, actual, m.equals(expected), subject=event_id,
                     field="/ei:eiEventSignals/ei:eiEventSignal[1]/strm:intervals")


@then("every event's intervals run back to back from its start and fill its active period")
def _(sut, evidence: m.ScenarioEvidence):
    ven = vtn_of(sut).ven
    _judge(evidence, ven, "intervals")
    if not any(x.answer_name == "oadrDistributeEvent" and x.answer.events for x in ven.exchanges):
        raise ConformanceViolation("the VTN sent no readable event to check", code="event-missing",
                                   field="/oadrDistributeEvent", expected="at least one event", actual=0)


def _history(ven, event_id: str) -> list[tuple[int, str]]:
    return [(e.modification_number, e.status) for x in ven.exchanges if x.answer_name == "oadrDistributeEvent"
            for e in x.answer.events if e.event_id == event_id]


@then(parsers.parse('event "{event_id}" kept its modification number'))
def _(sut, evidence: m.ScenarioEvidence, event_id: str):
    seen = _history(vtn_of(sut).ven, event_id)
    if len(seen) < 2:
        raise ConformanceViolation(f"event {event_id} was not sent twice", code="event-missing",
                                   field="/oadrDistributeEvent", expected=">= 2 distributions", actual=len(seen))
    evidence.measure(MODIFICATION, seen[-1][0], m.equals(seen[-2][0]), subject=f"{event_id}, unchanged",
                     field="/ei:eventDescriptor/ei:modificationNumber")


@then(parsers.parse('event "{event_id}" came with a greater modification number, as "{status}"'))
def _(sut, evidence: m.ScenarioEvidence, event_id: str, status: str):
    seen = _history(vtn_of(sut).ven, event_id)
    if len(seen) < 2:
        raise ConformanceViolation(f"event {event_id} was not sent again after the change", code="event-missing",
                                   field="/oadrDistributeEvent", expected=">= 2 distributions", actual=len(seen))
    evidence.measure(MODIFICATION, seen[-1][0], m.at_least(seen[-2][0] + 1), subject=f"{event_id}, changed",
                     field="/ei:eventDescriptor/ei:modificationNumber")
    if status == "cancelled":  # other statuses move with the VTN's clock
        evidence.measure(EVENT_STATUS, seen[-1][1], m.equals(status), subject=event_id,
                         field="/ei:eventDescriptor/ei:eventStatus")


@then("no event's modification number broke the rules")
def _(sut, evidence: m.ScenarioEvidence):
    _judge(evidence, vtn_of(sut).ven, "modification")


@then(parsers.parse('the VEN was sent price event "{event_id}" in "{currency}" as "{kind}"'))
def _(sut, evidence: m.ScenarioEvidence, event_id: str, currency: str, kind: str):
    unit = _sent_event(vtn_of(sut).ven, event_id).signals[0].unit
    actual = None if unit is None else f"{getattr(unit, 'code', None)} {getattr(unit, 'kind', type(unit).__name__)}"
    evidence.measure(PRICE_UNIT, actual, m.equals(f"{currency} {kind}"), subject=event_id,
                     field="/ei:eiEventSignal/emix:itemBase")


@then("every signal's units and currency are consistent")
def _(sut, evidence: m.ScenarioEvidence):
    _judge(evidence, vtn_of(sut).ven, "units")
