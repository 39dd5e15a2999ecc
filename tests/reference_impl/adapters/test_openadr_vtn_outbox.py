"""The VTN's own requests to a pull VEN (oadrCreateReport, oadrCancelReport delivered on poll and
acknowledged) and the VEN's cancellations (oadrCancelOpt, oadrCancelReport), through the VTN
adapter without HTTP; every answer schema-valid."""
from __future__ import annotations

from datetime import timedelta

import pytest

from harness.protocols import oadr_codec as oc
from harness.protocols.oadr_codec import EiResponse
from reference_impl.core.errors import NotFound

from test_openadr_vtn import NOW, create_event, register, register_report, send, vtn  # noqa: F401


def test_a_report_request_and_its_cancellation_go_out_on_polls_and_are_acknowledged(vtn):
    ven_id = register(vtn)
    registered = register_report(vtn, ven_id)
    [planned] = registered.report_requests
    with vtn.service.lock:
        again = vtn.service.broker.request_ven_report(ven_id, "spec-1", report_back_duration_s=3600)
        stop = vtn.service.broker.cancel_ven_report(ven_id, planned.report_request_id, report_to_follow=True)
        with pytest.raises(NotFound) as unknown:
            vtn.service.broker.cancel_ven_report(ven_id, "no-such-request")
    assert unknown.value.errors[0].code == "unknown-report"
    create = send(vtn, "OadrPoll", oc.Poll(ven_id))
    assert isinstance(create, oc.CreateReport) and create.request_id == again["outbox_id"]
    [request] = create.report_requests
    assert (request.report_request_id, request.report_specifier_id) == (planned.report_request_id, "spec-1")
    assert [s.r_id for s in request.specifiers] == ["r-energy"]
    assert request.report_back_duration == timedelta(hours=1)
    ack = send(vtn, "EiReport", oc.CreatedReport(EiResponse(create.request_id), (planned.report_request_id,), ven_id))
    assert ack.response.code == "200" and ack.response.request_id == create.request_id
    cancel = send(vtn, "OadrPoll", oc.Poll(ven_id))
    assert cancel == oc.CancelReport(stop["outbox_id"], (planned.report_request_id,), True, ven_id)
    done = send(vtn, "EiReport", oc.CanceledReport(EiResponse(cancel.request_id), (), ven_id))
    assert done.response.code == "200"
    assert send(vtn, "OadrPoll", oc.Poll(ven_id)).response.code == "200"  # nothing more queued
    with vtn.service.lock:
        states = [(e["kind"], e["state"], e["answer_code"]) for e in vtn.service.broker.outbox(ven_id)]
    assert states == [("create-report", "acknowledged", "200"), ("cancel-report", "acknowledged", "200")]


def test_a_ven_cancels_its_opt_once_and_cannot_cancel_reports_of_a_vtn_that_offers_none(vtn):
    ven_id = register(vtn)
    create_event(vtn)
    send(vtn, "EiEvent", oc.RequestEvent("e-1", ven_id))
    created = send(vtn, "EiOpt", oc.CreateOpt("o-1", "opt-1", "optOut", "economic", ven_id, NOW,
                                              event_id="DR-1", modification_number=0))
    assert created.response.code == "200"
    cancelled = send(vtn, "EiOpt", oc.CancelOpt("c-1", "opt-1", ven_id))
    assert cancelled == oc.CanceledOpt(EiResponse("c-1"), "opt-1")
    with vtn.service.lock:
        [opt] = vtn.service.broker.get_dr_event("DR-1")["opts"]
    assert (opt["state"], opt["source"]) == ("pending", "oadrCancelOpt")
    twice = send(vtn, "EiOpt", oc.CancelOpt("c-2", "opt-1", ven_id))
    assert twice.response.code == "451" and twice.opt_id == "opt-1"
    unknown = send(vtn, "EiOpt", oc.CancelOpt("c-3", "opt-9", ven_id))
    assert unknown.response.code == "452" and "unknown-opt" in unknown.response.description
    refused = send(vtn, "EiReport", oc.CancelReport("c-4", ("rr-1",), False, ven_id))
    assert isinstance(refused, oc.CanceledReport) and refused.response.code == "452"
    assert refused.response.request_id == "c-4"
