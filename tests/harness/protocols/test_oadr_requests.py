"""The pull exchange's extra messages (harness.protocols.oadr_requests): each round-trips through
XML valid against the official OpenADR 2.0b schema, refuses bad fields by name, and reads what
openleadr (the real third-party VEN) writes, and the reverse."""
from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from harness.protocols import oadr_schema
from harness.protocols.oadr_codec import (
    CanceledOpt, CanceledPartyRegistration, CanceledReport, CancelOpt, CancelReport, CancelPartyRegistration, CreatedReport, CreateReport, EiResponse,
    EnergyReal, MessageInvalid, QueryRegistration, ReportRequest, RequestEvent, SpecifierPayload,
    UnknownMessage, UpdatedReport, XmlRejected, from_xml, to_xml)
from harness.protocols.xml_safety import parse_xml

Q15 = timedelta(minutes=15)

MESSAGES = {
    "QueryRegistration": QueryRegistration("req-1"),
    "CancelPartyRegistration": CancelPartyRegistration("req-2", "reg-1", ven_id="ven-1"),
    "CancelPartyRegistration-minimal": CancelPartyRegistration("req-2", "reg-1"),
    "CanceledPartyRegistration": CanceledPartyRegistration(EiResponse("req-2"), "reg-1", "ven-1"),
    "CanceledPartyRegistration-minimal": CanceledPartyRegistration(EiResponse("req-2", "452", None)),
    "RequestEvent": RequestEvent("req-3", "ven-1", reply_limit=5),
    "RequestEvent-minimal": RequestEvent("req-3", "ven-1"),
    "CreateReport": CreateReport("req-4", (ReportRequest(
        "rr-1", "spec-1", (SpecifierPayload("meter-1", "Direct Read", EnergyReal()),), Q15, Q15),),
        ven_id="ven-1"),
    "CreatedReport": CreatedReport(EiResponse("req-4"), ("rr-1", "rr-2"), ven_id="ven-1"),
    "CreatedReport-none-pending": CreatedReport(EiResponse("req-4")),
    "UpdatedReport": UpdatedReport(EiResponse("req-5"), ven_id="ven-1"),
    "UpdatedReport-error": UpdatedReport(EiResponse("req-5", "452", "unknown meter")),
}


@pytest.mark.parametrize("name", MESSAGES)
def test_each_message_round_trips_through_schema_valid_xml(name):
    message = MESSAGES[name]
    before = oadr_schema.stats.snapshot()
    document = to_xml(message)
    assert oadr_schema.validate(document) == []
    assert from_xml(document) == message
    assert to_xml(from_xml(document)) == document
    after = oadr_schema.stats.snapshot()
    assert after["validated"] - before["validated"] == 5  # to_xml and from_xml twice, validate
    assert after["failed"] == before["failed"]


@pytest.mark.parametrize("name", MESSAGES)
def test_openleadr_reads_what_this_codec_writes(name):
    from openleadr.messaging import parse_message

    kind, payload = parse_message(to_xml(MESSAGES[name]))
    assert kind == "oadr" + type(MESSAGES[name]).__name__
    assert isinstance(payload, dict)


def test_this_codec_reads_what_openleadr_writes():
    from openleadr.messaging import create_message

    ok = {"response_code": 200, "response_description": "OK", "request_id": "req-9"}

    def read(name, **fields):
        document = create_message(name, disable_signature=True, **fields)
        return from_xml(document.encode() if isinstance(document, str) else document)

    assert read("oadrQueryRegistration", request_id="q-1") == QueryRegistration("q-1")
    assert read("oadrRequestEvent", request_id="q-2", ven_id="ven-1") == RequestEvent("q-2", "ven-1")
    assert read("oadrRequestEvent", request_id="q-2", ven_id="ven-1", reply_limit=3).reply_limit == 3
    assert read("oadrCreatedReport", response=ok, ven_id="ven-1",
                pending_reports=[{"report_request_id": "rr-1"}]) == CreatedReport(
        EiResponse("req-9"), ("rr-1",), "ven-1")
    assert read("oadrUpdatedReport", response=ok, ven_id="ven-1") == UpdatedReport(
        EiResponse("req-9"), "ven-1")
    assert read("oadrCancelPartyRegistration", request_id="q-3", registration_id="reg-1",
                ven_id="ven-1") == CancelPartyRegistration("q-3", "reg-1", "ven-1")
    assert read("oadrCanceledPartyRegistration", response=ok, registration_id="reg-1",
                ven_id="ven-1") == CanceledPartyRegistration(EiResponse("req-9"), "reg-1", "ven-1")


@pytest.mark.parametrize("factory, field", [
    (lambda: QueryRegistration(" "), "QueryRegistration.request_id"),
    (lambda: CancelPartyRegistration("r", ""), "CancelPartyRegistration.registration_id"),
    (lambda: CanceledPartyRegistration("200"), "CanceledPartyRegistration.response"),
    (lambda: RequestEvent("r", "v", reply_limit=-1), "RequestEvent.reply_limit"),
    (lambda: RequestEvent("r", None), "RequestEvent.ven_id"),
    (lambda: CreateReport("r", ()), "CreateReport.report_requests"),
    (lambda: CreatedReport(EiResponse("r"), ("",)), "CreatedReport.pending_report_request_ids[0]"),
    (lambda: CreatedReport(EiResponse("r"), "rr-1"), "CreatedReport.pending_report_request_ids"),
    (lambda: UpdatedReport(EiResponse("r"), ven_id=""), "UpdatedReport.ven_id"),
])
def test_invalid_constructions_are_refused_naming_the_field(factory, field):
    with pytest.raises(MessageInvalid) as refused:
        factory()
    assert refused.value.field == field


def test_an_updated_report_with_a_cancel_report_keeps_it():
    root = parse_xml(to_xml(MESSAGES["UpdatedReport"]))
    pyld = "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"
    ei = "http://docs.oasis-open.org/ns/energyinterop/201110"
    cancel = etree.Element("{http://openadr.org/oadr-2.0b/2012/07}oadrCancelReport")
    etree.SubElement(cancel, f"{{{pyld}}}requestID").text = "c-1"
    etree.SubElement(cancel, f"{{{ei}}}reportRequestID").text = "rr-1"
    etree.SubElement(cancel, f"{{{pyld}}}reportToFollow").text = "false"
    root[0][0][0].addnext(cancel)  # after eiResponse, as the sequence has it
    document = etree.tostring(root)
    assert oadr_schema.validate(document) == []
    decoded = from_xml(document)
    assert decoded.cancel_report == CancelReport("c-1", ("rr-1",), False)
    assert from_xml(to_xml(decoded)) == decoded


def test_cancellations_of_opts_and_reports_round_trip_and_refuse_bad_fields():
    for message in (CancelOpt("r-1", "opt-1", "VEN-1"), CanceledOpt(EiResponse("r-1"), "opt-1"),
                    CanceledOpt(EiResponse("r-1", "452", "no such opt")),
                    CancelReport("r-2", ("rr-1", "rr-2"), True, "VEN-1"),
                    CanceledReport(EiResponse("r-2"), ("rr-3",), "VEN-1"), CanceledReport(EiResponse("r-2"))):
        document = to_xml(message)
        assert oadr_schema.validate(document) == []
        assert from_xml(document) == message
    for factory, field in ((lambda: CancelReport("r", ()), "CancelReport.report_request_ids"),
                           (lambda: CancelReport("r", ("a", "a")), "CancelReport.report_request_ids[1]"),
                           (lambda: CancelOpt("r", "", "V"), "CancelOpt.opt_id")):
        with pytest.raises(MessageInvalid) as refused:
            factory()
        assert refused.value.field == field


def test_a_schema_valid_but_unmodelled_payload_is_an_unknown_message():
    cancel_opt = (b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
                  b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110" '
                  b'xmlns:pyld="http://docs.oasis-open.org/ns/energyinterop/201110/payloads">'
                  b'<oadr:oadrSignedObject><oadr:oadrRequestReregistration ei:schemaVersion="2.0b">'
                  b'<ei:venID>v</ei:venID></oadr:oadrRequestReregistration>'
                  b'</oadr:oadrSignedObject></oadr:oadrPayload>')
    with pytest.raises(UnknownMessage) as refused:
        from_xml(cancel_opt)
    assert refused.value.code == "unknown-message"
    with pytest.raises(XmlRejected) as refused:  # not an oadrPayload: not schema-checked at all
        from_xml(b"<html/>")
    assert not isinstance(refused.value, UnknownMessage)
