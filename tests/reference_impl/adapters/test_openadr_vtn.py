"""The VTN adapter's message handlers (reference_impl.adapters.openadr_vtn), without HTTP: an
OpenADR document in, a schema-valid OpenADR document out, and the broker's store changed (or,
on an EI error code, not)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harness.protocols import oadr_codec as oc
from harness.protocols import oadr_schema
from harness.protocols.oadr_codec import EiResponse
from reference_impl.adapters.broker_service import BrokerService
from reference_impl.adapters.openadr_vtn import HttpRefusal, Vtn, VtnSettings

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
START = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)


@pytest.fixture
def vtn(tmp_path):
    service = BrokerService(tmp_path / "broker.sqlite3", test_mode=True)
    service.set_clock({"now": NOW.isoformat()})
    yield Vtn(service, VtnSettings(poll_frequency=timedelta(seconds=5)))
    service.close()


def send(vtn: Vtn, service: str, message) -> object:
    """One message through the adapter; the answer is schema-valid (checked by both validators)."""
    answer = vtn.handle(service, oc.to_xml(message))
    assert oadr_schema.validate(answer) == []
    return oc.from_xml(answer)


def register(vtn, name="ven-a") -> str:
    answer = send(vtn, "EiRegisterParty", oc.CreatePartyRegistration("r-reg", ven_name=name))
    assert answer.response.code == "200"
    return answer.ven_id


def create_event(vtn, **changes) -> dict:
    with vtn.service.lock:
        return vtn.service.broker.create_dr_event({
            "event_id": "DR-1", "market_context": "http://market.example/dr",
            "dtstart": START.isoformat(), "intervals": [{"duration_s": 900, "value": 1},
                                                        {"duration_s": 900, "value": 2}],
            "ven_names": ["ven-a"], **changes})


def test_query_registration_describes_the_vtn_without_registering(vtn):
    answer = send(vtn, "EiRegisterParty", oc.QueryRegistration("q-1"))
    assert isinstance(answer, oc.CreatedPartyRegistration)
    assert (answer.response.request_id, answer.response.code, answer.vtn_id) == ("q-1", "200", "REFERENCE-VTN")
    assert answer.registration_id is None and answer.ven_id is None
    assert answer.poll_frequency == timedelta(seconds=5)
    assert answer.profiles == (oc.Profile("2.0b", ("simpleHttp",)),)
    assert vtn.service.broker.ven_registrations() == []


def test_registration_gives_ids_and_a_reregistration_the_same_ones(vtn):
    first = send(vtn, "EiRegisterParty", oc.CreatePartyRegistration("r-1", ven_name="ven-a"))
    assert (first.registration_id, first.ven_id) == ("REG-1", "VEN-1")
    again = send(vtn, "EiRegisterParty", oc.CreatePartyRegistration("r-2", ven_name="ven-a"))
    assert (again.registration_id, again.ven_id) == ("REG-1", "VEN-1")
    push = send(vtn, "EiRegisterParty", oc.CreatePartyRegistration("r-3", ven_name="ven-b",
                                                                   http_pull_model=False))
    assert push.response.code == "454" and push.ven_id is None
    assert "push-not-supported" in push.response.description
    unknown = send(vtn, "EiRegisterParty", oc.CreatePartyRegistration("r-4", registration_id="REG-9"))
    assert unknown.response.code == "452"
    cancel = send(vtn, "EiRegisterParty", oc.CancelPartyRegistration("r-5", "REG-1", "VEN-1"))
    assert isinstance(cancel, oc.CanceledPartyRegistration) and cancel.response.code == "200"
    assert send(vtn, "OadrPoll", oc.Poll("VEN-1")).response.code == "463"


def test_events_are_distributed_once_per_modification_by_polling(vtn):
    ven_id = register(vtn)
    assert send(vtn, "OadrPoll", oc.Poll(ven_id)) == oc.Response(EiResponse("", "200", "OK"), ven_id)
    create_event(vtn)
    distributed = send(vtn, "OadrPoll", oc.Poll(ven_id))
    assert isinstance(distributed, oc.DistributeEvent) and distributed.vtn_id == "REFERENCE-VTN"
    [event] = distributed.events
    assert (event.event_id, event.modification_number, event.status) == ("DR-1", 0, "far")
    assert event.dtstart == START and event.duration == timedelta(minutes=30)
    assert event.target == oc.Target(ven_ids=(ven_id,))
    assert [(i.duration, i.value) for i in event.signals[0].intervals] == [(Q15, 1.0), (Q15, 2.0)]
    assert event.signals[0].signal_name == "SIMPLE"
    assert isinstance(send(vtn, "OadrPoll", oc.Poll(ven_id)), oc.Response)  # already sent
    with vtn.service.lock:
        vtn.service.broker.dr_event_action("DR-1", "cancel")
    cancelled = send(vtn, "OadrPoll", oc.Poll(ven_id)).events[0]
    assert (cancelled.modification_number, cancelled.status) == (1, "cancelled")
    requested = send(vtn, "EiEvent", oc.RequestEvent("q-7", ven_id))
    assert requested.response.request_id == "q-7" and requested.events[0].status == "cancelled"


def test_an_event_not_for_this_ven_is_not_sent(vtn):
    ven_id = register(vtn)
    create_event(vtn, ven_names=["someone-else"])
    assert send(vtn, "EiEvent", oc.RequestEvent("q-1", ven_id)).events == ()
    assert send(vtn, "EiEvent", oc.RequestEvent("q-2", "VEN-404")).response.code == "463"


def created_event(ven_id, opt_type="optIn", modification=0, event_id="DR-1"):
    return oc.CreatedEvent(EiResponse("d-1"), ven_id,
                           (oc.EventResponse(event_id, modification, opt_type, "d-1"),))


def test_created_event_records_the_opt_and_answers_with_ei_codes(vtn):
    ven_id = register(vtn)
    create_event(vtn)
    register(vtn, "ven-b")
    ok = send(vtn, "EiEvent", created_event(ven_id))
    assert ok == oc.Response(EiResponse("d-1", "200", "OK"), ven_id)
    assert send(vtn, "EiEvent", created_event(ven_id, modification=3)).response.code == "450"
    assert send(vtn, "EiEvent", created_event(ven_id, event_id="DR-9")).response.code == "452"
    assert send(vtn, "EiEvent", created_event("VEN-2")).response.code == "462"
    assert send(vtn, "EiEvent", created_event("VEN-404")).response.code == "463"
    [opt] = vtn.service.broker.get_dr_event("DR-1")["opts"]
    assert (opt["ven_id"], opt["state"], opt["source"]) == (ven_id, "opted-in", "oadrCreatedEvent")


def test_create_opt_records_an_opt_on_an_event(vtn):
    ven_id = register(vtn)
    create_event(vtn)
    answer = send(vtn, "EiOpt", oc.CreateOpt("o-1", "opt-1", "optOut", "economic", ven_id, NOW,
                                             event_id="DR-1", modification_number=0))
    assert answer == oc.CreatedOpt(EiResponse("o-1"), "opt-1")
    [opt] = vtn.service.broker.get_dr_event("DR-1")["opts"]
    assert (opt["state"], opt["opt_id"], opt["reason"]) == ("opted-out", "opt-1", "economic")
    schedule = send(vtn, "EiOpt", oc.CreateOpt("o-2", "opt-2", "optIn", "economic", ven_id, NOW,
                                               availability=(oc.Period(NOW, Q15),)))
    assert schedule.response.code == "454" and "opt-without-event" in schedule.response.description


def register_report(vtn, ven_id, resource="meter-A") -> oc.RegisteredReport:
    report = oc.Report("spec-1", NOW, report_name="METADATA_TELEMETRY_USAGE", descriptions=(
        oc.ReportDescription("r-energy", report_type="usage", data_source=oc.Target(resource_ids=(resource,)),
                             sampling_rate=oc.SamplingRate(timedelta(minutes=1), timedelta(hours=1))),
        oc.ReportDescription("r-power", report_type="reading", unit=oc.PowerReal())))
    return send(vtn, "EiReport", oc.RegisterReport("rr-1", (report,), ven_id=ven_id))


def update_report(ven_id, values=(1.25, 2.5), request_id="u-1"):
    intervals = tuple(oc.ReportInterval(NOW + i * Q15, (oc.ReportPayload("r-energy", v),), Q15)
                      for i, v in enumerate(values))
    return oc.UpdateReport(request_id, (oc.Report("spec-1", NOW, report_name="TELEMETRY_USAGE",
                                                  report_request_id=f"{ven_id}:spec-1",
                                                  intervals=intervals),), ven_id=ven_id)


def seed_meter(vtn, meter="meter-A"):
    broker = vtn.service.broker
    broker.register_participant({"participant_id": "C1", "role": "consumer", "grid_node": "N1"})
    broker.register_resource({"resource_id": "L1", "owner_id": "C1", "kind": "load", "max_power_kw": 5.0,
                              "voltage_v": 230.0, "meter_id": meter})


def test_registered_energy_reports_are_requested_and_their_data_stored_as_readings(vtn):
    ven_id = register(vtn)
    seed_meter(vtn)
    registered = register_report(vtn, ven_id)
    [request] = registered.report_requests
    assert (request.report_request_id, request.report_specifier_id) == (f"{ven_id}:spec-1", "spec-1")
    assert [s.r_id for s in request.specifiers] == ["r-energy"]  # power is not metering data
    assert request.granularity == Q15
    assert send(vtn, "EiReport", oc.CreatedReport(EiResponse("rr-1"), (request.report_request_id,),
                                                  ven_id)).response.code == "200"
    answer = send(vtn, "EiReport", update_report(ven_id))
    assert answer == oc.UpdatedReport(EiResponse("u-1"), ven_id)
    readings = vtn.service.broker.repo.readings(["meter-A"])
    assert [(r["interval_start"], r["energy_kwh"], r["direction"]) for r in readings] == [
        (NOW.isoformat(), 1.25, "import"), ((NOW + Q15).isoformat(), 2.5, "import")]
    again = send(vtn, "EiReport", update_report(ven_id, request_id="u-2"))  # same data: duplicates
    assert again.response.code == "200"
    conflicting = send(vtn, "EiReport", update_report(ven_id, (1.25, 9.0), request_id="u-3"))
    assert conflicting.response.code == "454" and "conflicting-reading" in conflicting.response.description
    assert "/reports/0/intervals/1/payloads/0" in conflicting.response.description
    outcomes = [(log["request_id"], log["outcome"]) for log in vtn.service.broker.dr_report_log(ven_id)]
    assert outcomes == [("u-1", "stored"), ("u-2", "stored"), ("u-3", "refused")]


def test_a_report_for_an_unregistered_meter_stores_nothing_and_is_answered_with_an_error(vtn):
    ven_id = register(vtn)
    seed_meter(vtn, "some-other-meter")
    register_report(vtn, ven_id, resource="meter-A")
    answer = send(vtn, "EiReport", update_report(ven_id))
    assert answer.response.code == "452" and "unknown-meter" in answer.response.description
    assert vtn.service.broker.repo.readings(["meter-A"]) == []
    [log] = vtn.service.broker.dr_report_log(ven_id)
    assert log["outcome"] == "refused" and log["errors"][0]["code"] == "unknown-meter"
    unregistered = send(vtn, "EiReport", update_report("VEN-404"))
    assert unregistered.response.code == "463"


def test_wrong_service_unknown_payload_and_broken_xml(vtn):
    wrong = send(vtn, "EiOpt", oc.Poll("VEN-1"))
    assert isinstance(wrong, oc.Response) and wrong.response.code == "459"
    ack = send(vtn, "EiRegisterParty", oc.Response(EiResponse("x-1", "200", "OK"), "VEN-1"))
    assert ack == oc.Response(EiResponse("x-1", "200", "OK"), "VEN-1")
    cancel_opt = (b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
                  b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110" '
                  b'xmlns:pyld="http://docs.oasis-open.org/ns/energyinterop/201110/payloads">'
                  b'<oadr:oadrSignedObject><oadr:oadrRequestReregistration ei:schemaVersion="2.0b">'
                  b'<ei:venID>v</ei:venID></oadr:oadrRequestReregistration>'
                  b'</oadr:oadrSignedObject></oadr:oadrPayload>')
    assert oc.from_xml(vtn.handle("EiRegisterParty", cancel_opt)).response.code == "453"
    for body, code in ((b"<oadr", "xml-malformed"), (b"<html/>", "unknown-message"),
                       (oc.to_xml(oc.Poll("V")).replace(b"venID>V<", b"venIDx>V<"), "xml-malformed")):
        with pytest.raises(HttpRefusal) as refused:
            vtn.handle("OadrPoll", body)
        assert (refused.value.status, refused.value.code) == (400, code)
    invalid = oc.to_xml(oc.Poll("V")).replace(b"ei:venID", b"ei:venId")
    with pytest.raises(HttpRefusal) as refused:
        vtn.handle("OadrPoll", invalid)
    assert refused.value.code == "schema-invalid"


def test_report_granularity_and_reporting_period_are_settings(tmp_path):
    service = BrokerService(tmp_path / "other.sqlite3", test_mode=True)
    try:
        vtn = Vtn(service, VtnSettings(report_granularity=timedelta(minutes=5),
                                       report_back_duration=timedelta(hours=1)))
        [request] = register_report(vtn, register(vtn)).report_requests
        assert (request.granularity, request.report_back_duration) == (timedelta(minutes=5), timedelta(hours=1))
    finally:
        service.close()
