"""Deliberately faulty VTNs: the reference broker's OpenADR 2.0b VTN with one realistic bug
each, one per MSG-* requirement. `harness run --sut faulty_vtns:<name> --profile messages`
must fail the requirement the bug breaks (tests/harness/test_msg_fault_detection.py). The
faults sit in the VTN adapter or the broker, after our codec has built a valid message where
the bug is in the bytes, as a hand-written serialiser's would be.
"""
from __future__ import annotations

import re
from dataclasses import replace

from harness.protocols import oadr_codec as oc
from harness.sut.reference import ReferenceSUT
from reference_impl.adapters.openadr_vtn import Vtn
from reference_impl.broker import ReferenceBroker


class _PollAnswerWithTextCode(Vtn):
    """MSG-SCHEMA-VALID: answers a poll with responseCode "OK" (the schema wants three digits)."""

    def handle(self, service_name, body, fingerprint=None):
        answer = super().handle(service_name, body, fingerprint)
        if service_name == "OadrPoll":
            answer = answer.replace(b"<ei:responseCode>200</ei:responseCode>", b"<ei:responseCode>OK</ei:responseCode>")
        return answer


_LAST_DURATION = re.compile(rb"(<strm:intervals>(?:<ei:interval>.*?</ei:interval>){2,}<ei:interval>"
                            rb"<xcal:duration><xcal:duration>)PT15M(</xcal:duration>)")


class _LastIntervalOverruns(Vtn):
    """MSG-EVENT-INTERVALS: in signals of three or more intervals, writes the last quarter-hour
    interval as 20 minutes, so the signal runs past the event's active period."""

    def handle(self, service_name, body, fingerprint=None):
        return _LAST_DURATION.sub(rb"\1PT20M\2", super().handle(service_name, body, fingerprint))


class _KeepsModificationNumber(ReferenceBroker):
    """MSG-MODIFICATION-NUMBER: a modification changes the event but not its number."""

    def dr_event_action(self, event_id, action, changes=None):
        record = super().dr_event_action(event_id, action, changes)
        if action == "modify":
            with self.repo.transaction():
                stored = self.repo.get("dr_events", event_id)
                self.repo.put("dr_events", {**stored, "modification_number": stored["modification_number"] - 1})
            record = {**record, "modification_number": record["modification_number"] - 1}
        return record


class _OptAnswerWithItsOwnRequestId(Vtn):
    """MSG-REQUEST-ID-ECHO: oadrCreatedOpt carries a request ID of its own, not the VEN's."""

    def _create_opt(self, broker, m):
        answer = super()._create_opt(broker, m)
        return replace(answer, response=replace(answer.response, request_id="vtn-" + m.request_id))


class _GenericCurrencyDescription(Vtn):
    """MSG-EMIX-UNITS: price units describe themselves as plain "currency", whatever their kind."""

    def _event(self, record, ven_id):
        event = super()._event(record, ven_id)
        signals = tuple(replace(s, unit=replace(s.unit, description="currency"))
                        if isinstance(s.unit, oc.Currency) else s for s in event.signals)
        return replace(event, signals=signals)


def _factory(vtn_class=Vtn, broker_class=ReferenceBroker):
    def make(workdir: str) -> ReferenceSUT:
        sut_class = type(f"Faulty{vtn_class.__name__}{broker_class.__name__}", (ReferenceSUT,),
                         {"vtn_class": vtn_class, "broker_class": broker_class})
        return sut_class(workdir=workdir)
    return make


poll_answer_with_text_code = _factory(vtn_class=_PollAnswerWithTextCode)
last_interval_overruns = _factory(vtn_class=_LastIntervalOverruns)
keeps_modification_number = _factory(broker_class=_KeepsModificationNumber)
opt_answer_with_its_own_request_id = _factory(vtn_class=_OptAnswerWithItsOwnRequestId)
generic_currency_description = _factory(vtn_class=_GenericCurrencyDescription)
