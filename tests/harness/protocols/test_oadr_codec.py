"""OpenADR 2.0b codec: every message type round-trips through schema-valid XML; invalid
constructions are refused naming the field; broken XML gives schema violations with paths;
openleadr (the real third-party peer) and this codec read each other's messages; event
intervals are contiguous (a per-interval xcal:dtstart must agree), and wscalendar's xCal
intervals read the same here."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.protocols import oadr_schema, wscalendar, wscalendar_xcal
from harness.protocols.oadr_codec import (
    CreatedEvent, CreatedOpt, CreatedPartyRegistration, CreateOpt, CreatePartyRegistration,
    DistributeEvent, EiResponse, EnergyReal, Event, EventResponse, Interval, MessageInvalid,
    Period, Poll, PowerReal, Profile, RegisteredReport, RegisterReport, Report, ReportDescription,
    ReportInterval, ReportPayload, ReportRequest, Response, SamplingRate, SchemaViolation, Signal,
    SpecifierPayload, Target, UpdateReport, XmlRejected, from_xml, to_xml)
from harness.protocols.oadr_common import fmt_datetime, fmt_duration, parse_datetime, parse_duration
from harness.protocols.xml_safety import parse_xml

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
MARKET = "http://market.example/energy"
Q15 = timedelta(minutes=15)


def intervals(values, duration=Q15):
    return tuple(Interval(str(i), duration, v) for i, v in enumerate(values))


def event(event_id="ev-1", values=(1.0, 2.0, 1.5, 0.5), **changes) -> Event:
    fields = dict(event_id=event_id, modification_number=0, market_context=MARKET, dtstart=T0,
                  signals=(Signal("sig-1", intervals(values), signal_name="ELECTRICITY_PRICE",
                                  signal_type="price"),),
                  created=T0 - timedelta(hours=1))
    return Event(**{**fields, **changes})


def meter_report() -> Report:
    readings = tuple(ReportInterval(T0 + i * Q15, (ReportPayload("meter-1", 1.25 + i),), Q15)
                     for i in range(4))
    return Report("spec-1", T0 + timedelta(hours=1), report_name="TELEMETRY_USAGE",
                  report_request_id="rr-1", report_id="rep-1", intervals=readings)


MESSAGES = {
    "CreatePartyRegistration": CreatePartyRegistration(
        "req-1", ven_name="VEN one", transport_address="https://ven.example:8443/", ven_id="ven-1",
        registration_id="reg-1", report_only=True, xml_signature=False, http_pull_model=False),
    "CreatePartyRegistration-minimal": CreatePartyRegistration("req-1", http_pull_model=None),
    "CreatedPartyRegistration": CreatedPartyRegistration(
        EiResponse("req-1"), "vtn-1", registration_id="reg-1", ven_id="ven-1",
        profiles=(Profile("2.0a", ("simpleHttp",)), Profile("2.0b", ("simpleHttp", "xmpp"))),
        poll_frequency=timedelta(seconds=10)),
    "DistributeEvent": DistributeEvent(
        "req-2", "vtn-1", (
            event(),
            Event("ev-2", 3, MARKET, T0 + timedelta(days=1), (
                Signal("s-simple", intervals((0, 1, 3)), unit=EnergyReal("k"), current_value=0),
                Signal("s-load", intervals((2.5, -1e-3, 4e10)), signal_name="x-custom",
                       signal_type="setpoint",
                       unit=PowerReal("M", Decimal("60"), Decimal("11000.5"), False))),
                  created=T0, status="active", target=Target(ven_ids=("ven-1", "ven-2"),
                                                             resource_ids=("r-1",),
                                                             group_ids=("g",), party_ids=("p",)),
                  priority=1, test_event=True, vtn_comment="hello", response_required="never")),
        response=EiResponse("req-0", "200", None)),
    "DistributeEvent-empty": DistributeEvent("req-3", "vtn-1"),
    "CreatedEvent": CreatedEvent(
        EiResponse("req-2"), "ven-1",
        (EventResponse("ev-1", 0, "optIn", "req-2"),
         EventResponse("ev-2", 3, "optOut", "req-2", "200", "not today"))),
    "RegisterReport": RegisterReport(
        "req-4", (Report("spec-1", T0, report_name="METADATA_TELEMETRY_USAGE", descriptions=(
            ReportDescription("meter-1", market_context=MARKET,
                              sampling_rate=SamplingRate(Q15, timedelta(hours=1), True),
                              data_source=Target(resource_ids=("meter-1",))),
            ReportDescription("power-1", report_type="reading", reading_type="Mean",
                              unit=PowerReal()),
            ReportDescription("status-1", report_type="x-resourceStatus", unit=None)),
            duration=timedelta(days=1)),),
        ven_id="ven-1", report_request_id="rr-0"),
    "RegisteredReport": RegisteredReport(
        EiResponse("req-4"), (ReportRequest(
            "rr-1", "spec-1", (SpecifierPayload("meter-1", "Direct Read", EnergyReal()),
                               SpecifierPayload("power-1")),
            granularity=Q15, report_back_duration=timedelta(hours=1),
            report_interval=Period(T0, timedelta(days=1))),), ven_id="ven-1"),
    "UpdateReport": UpdateReport("req-5", (meter_report(),), ven_id="ven-1"),
    "UpdateReport-quality": UpdateReport("req-6", (Report(
        "spec-1", T0, report_request_id="rr-1", dtstart=T0, duration=Q15,
        descriptions=(ReportDescription("meter-1"),),
        intervals=(ReportInterval(T0, (ReportPayload("meter-1", 2.0, 90, 0.5,
                                                     "Quality Good - Non Specific"),)),)),)),
    "CreateOpt-event": CreateOpt("req-7", "opt-1", "optOut", "economic", "ven-1", T0,
                                 market_context=MARKET, event_id="ev-1", modification_number=0,
                                 target=Target(resource_ids=("r-1",))),
    "CreateOpt-schedule": CreateOpt("req-8", "opt-2", "optIn", "x-my-reason", "ven-1", T0,
                                    availability=(Period(T0, timedelta(hours=2)),
                                                  Period(T0 + timedelta(days=1), Q15))),
    "CreatedOpt": CreatedOpt(EiResponse("req-7"), "opt-1"),
    "Poll": Poll("ven-1"),
    "Response": Response(EiResponse("", "200", "OK"), ven_id="ven-1"),
    "Response-error": Response(EiResponse("req-9", "452", "invalid ID")),
}


@pytest.mark.parametrize("name", MESSAGES)
def test_every_message_type_round_trips_through_schema_valid_xml(name):
    message = MESSAGES[name]
    before = oadr_schema.stats.snapshot()
    document = to_xml(message)
    assert oadr_schema.is_valid(parse_xml(document))
    assert oadr_schema.validate(document) == []
    assert from_xml(document) == message
    assert to_xml(from_xml(document)) == document
    after = oadr_schema.stats.snapshot()
    assert after["validated"] - before["validated"] == 6  # 2 to_xml, 2 direct, 2 from_xml
    assert after["failed"] == before["failed"]


def test_the_envelope_and_namespaces_are_those_of_the_xsds():
    root = parse_xml(to_xml(MESSAGES["DistributeEvent"]))
    assert root.tag == "{http://openadr.org/oadr-2.0b/2012/07}oadrPayload"
    assert root[0].tag == "{http://openadr.org/oadr-2.0b/2012/07}oadrSignedObject"
    payload = root[0][0]
    assert payload.get("{http://docs.oasis-open.org/ns/energyinterop/201110}schemaVersion") == "2.0b"
    for prefix, uri in (("strm", "urn:ietf:params:xml:ns:icalendar-2.0:stream"),
                        ("xcal", "urn:ietf:params:xml:ns:icalendar-2.0"),
                        ("pyld", "http://docs.oasis-open.org/ns/energyinterop/201110/payloads"),
                        ("power", "http://docs.oasis-open.org/ns/emix/2011/06/power"),
                        ("scale", "http://docs.oasis-open.org/ns/emix/2011/06/siscale"),
                        ("emix", "http://docs.oasis-open.org/ns/emix/2011/06")):
        assert root.nsmap[prefix] == uri
    folder = oadr_schema.schema_dir()
    for xsd in ("oadr_strm_20b.xsd", "oadr_xcal_20b.xsd", "oadr_pyld_20b.xsd", "oadr_power_20b.xsd",
                "oadr_siscale_20b.xsd", "oadr_emix_20b.xsd", "oadr_ei_20b.xsd", "oadr_20b.xsd"):
        target = etree.parse(str(folder / xsd)).getroot().get("targetNamespace")
        assert target in root.nsmap.values()
    texts = [e.text for e in root.iter("{urn:ietf:params:xml:ns:icalendar-2.0}duration")
             if e.text]
    assert "PT15M" in texts and "PT1H" in texts
    assert "2026-06-01T10:00:00Z" in [e.text for e in root.iter() if e.text]


def test_intervals_are_a_ws_calendar_stream():
    root = parse_xml(to_xml(DistributeEvent("r", "v", (event(values=(5.0, 6.0)),))))
    ns = {"ei": "http://docs.oasis-open.org/ns/energyinterop/201110",
          "xcal": "urn:ietf:params:xml:ns:icalendar-2.0",
          "strm": "urn:ietf:params:xml:ns:icalendar-2.0:stream"}
    found = root.xpath("//ei:eiEventSignal/strm:intervals/ei:interval", namespaces=ns)
    assert [i.xpath("string(xcal:uid/xcal:text)", namespaces=ns) for i in found] == ["0", "1"]
    assert [i.xpath("string(ei:signalPayload/ei:payloadFloat/ei:value)", namespaces=ns)
            for i in found] == ["5.0", "6.0"]


# ------------------------------------------------------------------------------ hypothesis
values = st.floats(allow_nan=False, allow_infinity=False, min_value=-3.4e38, max_value=3.4e38)
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"),
                            exclude_characters="\ufffe\uffff"),
              min_size=1, max_size=12).filter(lambda s: s.strip())


@st.composite
def signals(draw, index):
    simple = draw(st.booleans())
    count = draw(st.integers(1, 6))
    durations = draw(st.lists(st.integers(1, 3 * 86400), min_size=count, max_size=count))
    levels = st.sampled_from((0.0, 1.0, 2.0, 3.0)) if simple else values
    return [Interval(str(i), timedelta(seconds=d), draw(levels))
            for i, d in enumerate(durations)], simple


@st.composite
def events(draw, index):
    first, simple = draw(signals(index))
    total = sum((i.duration for i in first), timedelta(0))
    sigs = [Signal(f"s{index}-0", tuple(first), signal_name="simple" if simple else "BID_PRICE")]
    if draw(st.booleans()):  # a second signal over the same period, one interval
        sigs.append(Signal(f"s{index}-1", (Interval("a", total, draw(values)),),
                           signal_type="price", signal_name="ENERGY_PRICE"))
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
                              timezones=st.just(timezone.utc)))
    return Event(f"{draw(ids)}#{index}", draw(st.integers(0, 2**32 - 1)), MARKET, start,
                 tuple(sigs), created=start, status=draw(st.sampled_from(("far", "active"))))


@st.composite
def distribute_events(draw):
    count = draw(st.integers(0, 3))
    return DistributeEvent(draw(ids), draw(ids), tuple(draw(events(i)) for i in range(count)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(distribute_events())
def test_random_distribute_events_round_trip(message):
    document = to_xml(message)
    assert oadr_schema.is_valid(parse_xml(document))
    assert from_xml(document) == message


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5000)).map(
    lambda d: timedelta(days=d.days, seconds=d.seconds)))
def test_durations_round_trip(duration):
    assert parse_duration(fmt_duration(duration)) == duration


@given(st.datetimes(min_value=datetime(1, 1, 1), timezones=st.just(timezone.utc)))
def test_datetimes_round_trip(instant):
    assert parse_datetime(fmt_datetime(instant)) == instant


# ------------------------------------------------------------------- values and their text
@pytest.mark.parametrize("duration, text", [
    (Q15, "PT15M"), (timedelta(0), "PT0S"), (timedelta(days=1, hours=2), "P1DT2H"),
    (timedelta(hours=1, seconds=5), "PT1H5S"), (timedelta(days=14), "P14D")])
def test_durations_are_iso_8601(duration, text):
    assert fmt_duration(duration) == text
    assert parse_duration(text) == duration


def test_duration_reading_follows_the_xcal_pattern():
    assert parse_duration("2W") == timedelta(weeks=2)  # xcal's pattern: weeks without P
    assert parse_duration("P1H") == timedelta(hours=1)  # the pattern's T is optional
    assert parse_duration("-PT5M") == -timedelta(minutes=5)
    for text, code in (("P1Y", "duration-unsupported"), ("P2M", "duration-unsupported"),
                       ("PT", "invalid-duration"), ("15 minutes", "invalid-duration")):
        with pytest.raises(MessageInvalid) as refused:
            parse_duration(text)
        assert refused.value.code == code


def test_datetimes_are_utc_with_z():
    cest = timezone(timedelta(hours=2))
    assert fmt_datetime(datetime(2026, 6, 1, 12, 0, tzinfo=cest)) == "2026-06-01T10:00:00Z"
    assert fmt_datetime(T0.replace(microsecond=5)) == "2026-06-01T10:00:00.000005Z"
    assert parse_datetime("2026-06-01T24:00:00Z") == datetime(2026, 6, 2, tzinfo=timezone.utc)
    with pytest.raises(MessageInvalid) as refused:
        parse_datetime("2026-06-01T10:00:00")
    assert refused.value.code == "datetime-not-utc"
    event_in_cest = event(dtstart=datetime(2026, 6, 1, 12, 0, tzinfo=cest))
    assert event_in_cest.dtstart == T0 and event_in_cest.dtstart.tzinfo == timezone.utc


def test_comments_pretty_printing_and_other_prefixes_do_not_matter():
    message = MESSAGES["DistributeEvent"]
    root = parse_xml(to_xml(message))
    for node in list(root.iter(etree.Element)):
        if len(node):
            node.insert(0, etree.Comment(" a comment "))
        elif node.text and len(node.text) > 1:  # text split by a comment: "v<!--x-->tn-1"
            split = etree.Comment("x")
            node.text, split.tail = node.text[:1], node.text[1:]
            node.append(split)
    pretty = etree.tostring(root, pretty_print=True).replace(b"oadr:", b"o:").replace(
        b"xmlns:oadr=", b"xmlns:o=")
    assert from_xml(pretty) == message


def test_awkward_text_survives_the_round_trip():
    message = DistributeEvent(" req <&> \"1\" ", "vtn\r\n\ttab ünï 💡", (event("ev ]]> 1"),))
    assert from_xml(to_xml(message)) == message


# ----------------------------------------------------------------- refused constructions
def _bad(factory, field, code="invalid-field"):
    return pytest.param(factory, field, code, id=field)


INVALID = [
    _bad(lambda: Interval("0", timedelta(0), 1.0), "Interval.duration"),
    _bad(lambda: Interval("0", timedelta(seconds=-60), 1.0), "Interval.duration"),
    _bad(lambda: Interval("0", timedelta(seconds=1.5), 1.0), "Interval.duration"),
    _bad(lambda: Interval("0", Q15, float("nan")), "Interval.value"),
    _bad(lambda: Interval("0", Q15, 1e39), "Interval.value"),
    _bad(lambda: Interval("0", Q15, True), "Interval.value"),
    _bad(lambda: Interval("  ", Q15, 1.0), "Interval.uid"),
    _bad(lambda: Interval("a\x00b", Q15, 1.0), "Interval.uid"),
    _bad(lambda: Interval(7, Q15, 1.0), "Interval.uid"),
    _bad(lambda: Signal("s", ()), "Signal.intervals"),
    _bad(lambda: Signal("s", [Interval("0", Q15, 1.0), "x"]), "Signal.intervals[1]"),
    _bad(lambda: Signal("s", intervals((1.0, 2.0)) + intervals((3.0,))), "Signal.intervals[2]",
         "duplicate-id"),
    _bad(lambda: Signal("s", intervals((4.0,)), signal_name="SIMPLE"), "Signal.intervals[0].value",
         "simple-signal-level"),
    _bad(lambda: Signal("s", intervals((1.0,)), current_value=7.0), "Signal.current_value",
         "simple-signal-level"),
    _bad(lambda: Signal("s", intervals((1.0,)), signal_name="BOGUS"), "Signal.signal_name"),
    _bad(lambda: Signal("s", intervals((1.0,)), signal_type="x-custom"), "Signal.signal_type"),
    _bad(lambda: Signal("s", intervals((1.0,)), unit="kWh"), "Signal.unit"),
    _bad(lambda: event(modification_number=-1), "Event.modification_number"),
    _bad(lambda: event(modification_number=2**32), "Event.modification_number"),
    _bad(lambda: event(market_context="not a uri"), "Event.market_context"),
    _bad(lambda: event(dtstart=datetime(2026, 6, 1, 10)), "Event.dtstart"),
    _bad(lambda: event(created="2026-06-01T10:00:00Z"), "Event.created"),
    _bad(lambda: event(status="pending"), "Event.status"),
    _bad(lambda: event(duration=timedelta(hours=2)), "Event.signals[0].intervals",
         "duration-mismatch"),
    _bad(lambda: event(signals=(Signal("a", intervals((1.0,))), Signal("b", intervals((1.0, 2.0))))),
         "Event.signals[1].intervals", "duration-mismatch"),
    _bad(lambda: event(signals=(Signal("a", intervals((1.0,))), Signal("a", intervals((2.0,))))),
         "Event.signals[1]", "duplicate-id"),
    _bad(lambda: event(signals=()), "Event.signals"),
    _bad(lambda: event(response_required="sometimes"), "Event.response_required"),
    _bad(lambda: event(target=("ven-1",)), "Event.target"),
    _bad(lambda: event(test_event="yes"), "Event.test_event"),
    _bad(lambda: DistributeEvent("", "vtn", ()), "DistributeEvent.request_id"),
    _bad(lambda: DistributeEvent("r", None, ()), "DistributeEvent.vtn_id"),
    _bad(lambda: DistributeEvent("r", "v", (event(), event())), "DistributeEvent.events[1]",
         "duplicate-id"),
    _bad(lambda: DistributeEvent("r", "v", event()), "DistributeEvent.events"),
    _bad(lambda: Target(ven_ids=("",)), "Target.ven_ids[0]"),
    _bad(lambda: Target(ven_ids="ven-1"), "Target.ven_ids"),
    _bad(lambda: EiResponse("r", "20"), "EiResponse.code"),
    _bad(lambda: EiResponse("r", 200), "EiResponse.code"),
    _bad(lambda: EventResponse("e", 0, "maybe", "r"), "EventResponse.opt_type"),
    _bad(lambda: CreatedEvent(EiResponse("r"), "v", (EventResponse("e", 0, "optIn", "r"),) * 2),
         "CreatedEvent.event_responses[1]", "duplicate-id"),
    _bad(lambda: CreatedEvent("200", "v"), "CreatedEvent.response"),
    _bad(lambda: CreatePartyRegistration("r", profile_name="3.0"),
         "CreatePartyRegistration.profile_name"),
    _bad(lambda: CreatePartyRegistration("r", transport_name="mqtt"),
         "CreatePartyRegistration.transport_name"),
    _bad(lambda: CreatePartyRegistration("r", report_only="false"),
         "CreatePartyRegistration.report_only"),
    _bad(lambda: CreatedPartyRegistration(EiResponse("r"), "vtn", profiles=()),
         "CreatedPartyRegistration.profiles"),
    _bad(lambda: CreatedPartyRegistration(EiResponse("r"), "vtn", poll_frequency=timedelta(0)),
         "CreatedPartyRegistration.poll_frequency"),
    _bad(lambda: Profile("2.0b", ("smtp",)), "Profile.transports[0]"),
    _bad(lambda: CreateOpt("r", "o", "optIn", "economic", "v", T0, event_id="e"),
         "CreateOpt.modification_number"),
    _bad(lambda: CreateOpt("r", "o", "optIn", "bored", "v", T0), "CreateOpt.opt_reason"),
    _bad(lambda: CreateOpt("r", "o", "optIn", "economic", "v", T0, availability=(T0,)),
         "CreateOpt.availability[0]"),
    _bad(lambda: CreatedOpt(EiResponse("r"), ""), "CreatedOpt.opt_id"),
    _bad(lambda: Poll(""), "Poll.ven_id"),
    _bad(lambda: Response(None), "Response.response"),
    _bad(lambda: Period(T0, -Q15), "Period.duration"),
    _bad(lambda: EnergyReal("kilo"), "EnergyReal.scale"),
    _bad(lambda: PowerReal(hertz="fifty"), "PowerReal.hertz"),
    _bad(lambda: ReportPayload("m", 1.0, confidence=101), "ReportPayload.confidence"),
    _bad(lambda: ReportPayload("m", 1.0, data_quality="great"), "ReportPayload.data_quality"),
    _bad(lambda: ReportInterval(T0, ()), "ReportInterval.payloads"),
    _bad(lambda: ReportInterval(T0, (ReportPayload("m", 1.0),) * 2), "ReportInterval.payloads[1]",
         "duplicate-id"),
    _bad(lambda: ReportDescription("m", report_type="volume"), "ReportDescription.report_type"),
    _bad(lambda: ReportDescription("m", reading_type="Guess"), "ReportDescription.reading_type"),
    _bad(lambda: SamplingRate(timedelta(hours=1), Q15), "SamplingRate.min_period"),
    _bad(lambda: Report("s", T0, report_name="MY_REPORT"), "Report.report_name"),
    _bad(lambda: Report("s", T0, descriptions=(ReportDescription("a"), ReportDescription("a"))),
         "Report.descriptions[1]", "duplicate-id"),
    _bad(lambda: Report("s", T0, descriptions=(ReportDescription("a"),),
                        intervals=(ReportInterval(T0, (ReportPayload("b", 1.0),)),)),
         "Report.intervals[0].payloads[0].r_id", "unknown-rid"),
    _bad(lambda: RegisterReport("r", (Report("s", T0),)), "RegisterReport.reports[0].descriptions"),
    _bad(lambda: RegisterReport("r", (meter_report(),)), "RegisterReport.reports[0].descriptions"),
    _bad(lambda: RegisterReport("r", (Report("s", T0, report_name="TELEMETRY_USAGE",
                                             descriptions=(ReportDescription("a"),)),)),
         "RegisterReport.reports[0].report_name"),
    _bad(lambda: UpdateReport("r", ()), "UpdateReport.reports"),
    _bad(lambda: UpdateReport("r", (Report("s", T0),)), "UpdateReport.reports[0].intervals"),
    _bad(lambda: ReportRequest("rr", "s", (), Q15, Q15), "ReportRequest.specifiers"),
    _bad(lambda: SpecifierPayload("m", unit=3), "SpecifierPayload.unit"),
    _bad(lambda: RegisteredReport(EiResponse("r"), (ReportRequest(
        "rr", "s", (SpecifierPayload("m"),), Q15, Q15),) * 2), "RegisteredReport.report_requests[1]",
        "duplicate-id"),
]


@pytest.mark.parametrize("factory, field, code", INVALID)
def test_invalid_constructions_are_refused_naming_the_field(factory, field, code):
    with pytest.raises(MessageInvalid) as refused:
        factory()
    assert refused.value.field == field
    assert refused.value.code == code
    assert field in str(refused.value)


def test_sequences_are_stored_as_tuples():
    signal = Signal("s", [Interval("0", Q15, 1)])
    assert isinstance(signal.intervals, tuple) and signal.intervals[0].value == 1.0
    assert isinstance(signal.intervals[0].value, float)


# ------------------------------------------------------------- hand-broken and foreign XML
EI = "{http://docs.oasis-open.org/ns/energyinterop/201110}"
XCAL = "{urn:ietf:params:xml:ns:icalendar-2.0}"
SIGNAL_PATH = ("/oadr:oadrPayload/oadr:oadrSignedObject/oadr:oadrDistributeEvent/oadr:oadrEvent/"
               "ei:eiEvent/ei:eiEventSignals/ei:eiEventSignal")


def broken(edit) -> bytes:
    root = parse_xml(to_xml(DistributeEvent("req", "vtn", (event(),))))
    edit(root)
    return etree.tostring(root)


def swap_signal_name_and_type(root):
    kind = next(root.iter(f"{EI}signalType"))
    kind.getprevious().addprevious(kind)  # moves signalType in front of signalName


def remove_vtn_id(root):
    vtn = next(root.iter(f"{EI}vtnID"))
    vtn.getparent().remove(vtn)


def bad_interval_duration(root):
    next(root.iter(f"{EI}interval")).find(f"{XCAL}duration/{XCAL}duration").text = "PT15 minutes"


@pytest.mark.parametrize("edit, path, words", [
    (swap_signal_name_and_type, SIGNAL_PATH, "signalType"),
    (remove_vtn_id, "/oadr:oadrPayload/oadr:oadrSignedObject/oadr:oadrDistributeEvent", "vtnID"),
    (bad_interval_duration, SIGNAL_PATH + "/strm:intervals/ei:interval[1]/xcal:duration/xcal:duration",
     "PT15 minutes"),
], ids=["wrong-element-order", "missing-required-element", "bad-duration"])
def test_hand_broken_xml_is_a_schema_violation_with_a_useful_path(edit, path, words):
    before = oadr_schema.stats.snapshot()
    with pytest.raises(SchemaViolation) as refused:
        from_xml(broken(edit))
    violation = refused.value
    assert violation.code == "schema-invalid" and violation.errors
    assert violation.errors[0].path == path == violation.field
    assert words in violation.errors[0].reason
    assert oadr_schema.stats.snapshot()["failed"] == before["failed"] + 1


def test_a_crafted_invalid_message_is_refused_by_to_xml_unless_validation_is_off():
    message = DistributeEvent("req", "vtn", (event(),))
    object.__setattr__(message.events[0], "status", "pending")  # bypassing the constructor
    with pytest.raises(SchemaViolation) as refused:
        to_xml(message)
    assert refused.value.field.endswith("ei:eventDescriptor/ei:eventStatus")
    document = to_xml(message, validate=False)
    with pytest.raises(SchemaViolation):
        from_xml(document)


def test_value_rules_beyond_the_schema_are_refused_with_the_element_path():
    def local_time(root):
        next(root.iter(f"{XCAL}date-time")).text = "2026-06-01T10:00:00"

    def wrong_active_period(root):
        next(root.iter(f"{XCAL}properties")).find(f"{XCAL}duration/{XCAL}duration").text = "PT2H"

    def month_interval(root):
        next(root.iter(f"{EI}interval")).find(f"{XCAL}duration/{XCAL}duration").text = "P1M"

    for edit, code, path in (
            (local_time, "datetime-not-utc", "ei:eiActivePeriod/xcal:properties/xcal:dtstart/"
                                             "xcal:date-time"),
            (wrong_active_period, "duration-mismatch", "oadr:oadrDistributeEvent/oadr:oadrEvent"),
            (month_interval, "duration-unsupported", "ei:interval[1]/xcal:duration/xcal:duration")):
        with pytest.raises(XmlRejected) as refused:
            from_xml(broken(edit))
        assert refused.value.code == code
        assert refused.value.field.endswith(path), refused.value.field


def with_interval_dtstart(message: DistributeEvent, index: int, start: datetime) -> bytes:
    """``to_xml(message)`` with an xcal:dtstart inserted (first, as ei:IntervalType has it)
    into the ``index``-th interval of the first signal; the result is schema-valid."""
    root = parse_xml(to_xml(message))
    interval = list(next(root.iter(f"{EI}eiEventSignal")).iter(f"{EI}interval"))[index]
    dtstart = etree.SubElement(interval, f"{XCAL}dtstart")
    etree.SubElement(dtstart, f"{XCAL}date-time").text = fmt_datetime(start)
    interval.insert(0, dtstart)
    document = etree.tostring(root)
    assert oadr_schema.validate(document) == []
    return document


@pytest.mark.parametrize("start", [T0 + Q15 + timedelta(minutes=5), T0 + Q15 - timedelta(seconds=1),
                                   T0], ids=["gap", "overlap", "event-start"])
def test_a_non_contiguous_interval_dtstart_is_refused_not_ignored(start):
    message = DistributeEvent("req", "vtn", (event(),))
    with pytest.raises(XmlRejected) as refused:
        from_xml(with_interval_dtstart(message, 1, start))
    assert refused.value.code == "interval-not-contiguous"
    assert refused.value.field == (SIGNAL_PATH + "/strm:intervals/ei:interval[2]/xcal:dtstart/"
                                   "xcal:date-time")
    assert fmt_datetime(start) in str(refused.value)
    assert fmt_datetime(T0 + Q15) in str(refused.value)  # where it had to start


@pytest.mark.parametrize("index, start", [(0, T0), (1, T0 + Q15), (3, T0 + 3 * Q15)])
def test_a_contiguous_interval_dtstart_is_accepted(index, start):
    message = DistributeEvent("req", "vtn", (event(),))
    assert from_xml(with_interval_dtstart(message, index, start)) == message


def test_intervals_running_past_year_9999_are_still_read():
    # the running start is kept as an offset from dtstart, which cannot overflow
    late = datetime(9999, 12, 31, 12, tzinfo=timezone.utc)
    days = Signal("s", intervals((1.0, 2.0), timedelta(days=1)))
    message = DistributeEvent("req", "vtn", (event(dtstart=late, signals=(days,)),))
    assert from_xml(to_xml(message)) == message
    with pytest.raises(XmlRejected) as refused:
        from_xml(with_interval_dtstart(message, 1, late))
    assert refused.value.code == "interval-not-contiguous"
    assert "9999-12-31T12:00:00Z + P1D" in str(refused.value)


# wscalendar and this codec agree on OpenADR's contiguous layout: a gapless sequence written by
# wscalendar_xcal.to_xcal_intervals reads here as the same intervals, and the reverse.
@st.composite
def gapless_sequences(draw) -> wscalendar.IntervalSequence:
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1),
                              timezones=st.just(timezone.utc))).replace(microsecond=0)
    n = draw(st.integers(1, 6))
    uids = draw(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("C", "Z")),
                                 min_size=1, max_size=8), min_size=n, max_size=n, unique=True))
    items = []
    for uid in uids:  # xs:float payloads: finite, 32-bit
        duration = timedelta(seconds=draw(st.integers(1, 3 * 86400)))
        payload = draw(st.floats(width=32, allow_nan=False, allow_infinity=False))
        items.append(wscalendar.Interval(start, duration, uid, payload))
        start += duration
    return wscalendar.IntervalSequence(tuple(items))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gapless_sequences())
def test_wscalendar_xcal_intervals_and_event_intervals_agree(seq):
    expected = tuple(Interval(i.uid, i.duration, i.payload) for i in seq.intervals)
    total = sum((i.duration for i in expected), timedelta(0))
    first = seq.intervals[0].start
    # wscalendar -> event codec: its strm:intervals and active period inside a DistributeEvent
    laid = wscalendar_xcal.to_xcal_intervals(seq)
    assert laid.intervals.find("ei:interval/xcal:dtstart", wscalendar.NSMAP) is None
    placeholder = event(dtstart=first, signals=(Signal("sig", (Interval("x", total, 0.0),),
                                                       signal_name="ELECTRICITY_PRICE",
                                                       signal_type="price"),))
    root = parse_xml(to_xml(DistributeEvent("req", "vtn", (placeholder,))))
    props = next(root.iter(f"{XCAL}properties"))
    props.replace(props.find(f"{XCAL}dtstart"), laid.dtstart)
    props.replace(props.find(f"{XCAL}duration"), laid.duration)
    stream = next(root.iter(f"{EI}eiEventSignal"))[0]
    stream.getparent().replace(stream, laid.intervals)
    decoded = from_xml(etree.tostring(root)).events[0]
    assert decoded.signals[0].intervals == expected
    assert (decoded.dtstart, decoded.duration) == (first, total)
    # event codec -> wscalendar
    written = event(dtstart=first, signals=(Signal("sig", expected,
                                                   signal_name="ELECTRICITY_PRICE",
                                                   signal_type="price"),))
    root = parse_xml(to_xml(DistributeEvent("req", "vtn", (written,))))
    props = next(root.iter(f"{XCAL}properties"))
    assert wscalendar_xcal.from_xcal_intervals(props.find(f"{XCAL}dtstart"),
                                          next(root.iter(f"{EI}eiEventSignal"))[0]) == seq


def test_unknown_messages_are_refused():
    cancel = (b'<oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
              b'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110" '
              b'xmlns:pyld="http://docs.oasis-open.org/ns/energyinterop/201110/payloads">'
              b'<oadr:oadrSignedObject><oadr:oadrRequestReregistration ei:schemaVersion="2.0b">'
              b'<ei:venID>v</ei:venID></oadr:oadrRequestReregistration>'
              b'</oadr:oadrSignedObject></oadr:oadrPayload>')
    with pytest.raises(XmlRejected) as refused:
        from_xml(cancel)
    assert refused.value.code == "unknown-message"
    assert refused.value.field.endswith("oadr:oadrRequestReregistration")
    with pytest.raises(XmlRejected) as refused:
        from_xml(b"<html><body/></html>")
    assert refused.value.code == "unknown-message"
    with pytest.raises(XmlRejected) as refused:
        from_xml(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
    assert refused.value.code == "xml-doctype-forbidden"
    with pytest.raises(TypeError):
        to_xml(event())


def test_a_unit_this_codec_does_not_model_is_refused_not_dropped():
    def frequency(root):
        signal = next(root.iter(f"{EI}eiEventSignal"))
        signal.find(f"{EI}signalID").addnext(etree.fromstring(
            '<oadr:frequency xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
            'xmlns:scale="http://docs.oasis-open.org/ns/emix/2011/06/siscale">'
            '<oadr:itemDescription>Frequency</oadr:itemDescription>'
            '<oadr:itemUnits>Hz</oadr:itemUnits><scale:siScaleCode>none</scale:siScaleCode>'
            '</oadr:frequency>'))

    with pytest.raises(XmlRejected) as refused:
        from_xml(broken(frequency))
    assert refused.value.code == "unsupported-unit"


def test_a_currency_unit_on_a_price_signal_round_trips_with_its_item_description():
    from harness.protocols.oadr_parts import Currency
    signal = Signal("SIG-P", (Interval("0", timedelta(minutes=15), 0.21),),
                    signal_name="ELECTRICITY_PRICE", signal_type="price",
                    unit=Currency("currencyPerKWh", "EUR"))
    decoded = from_xml(to_xml(DistributeEvent("req-9", "vtn-1", (event(signals=(signal,)),))))
    assert decoded.events[0].signals[0].unit == Currency("currencyPerKWh", "EUR", "none", "currencyPerKWh")
    # the schema lets element and itemDescription disagree; the codec keeps both as sent
    odd = Currency("currencyPerKWh", "USD", description="currencyPerKW")
    again = from_xml(to_xml(DistributeEvent("req-9", "vtn-1", (event(signals=(replace(signal, unit=odd),)),))))
    assert again.events[0].signals[0].unit.description == "currencyPerKW"
    with pytest.raises(MessageInvalid) as refused:
        Currency("currencyPerKWh", "euro")
    assert refused.value.field == "Currency.code"


# ------------------------------------------------------------------- openleadr interop
def openleadr_messages():
    from openleadr import objects
    from openleadr.messaging import create_message

    ok = {"response_code": 200, "response_description": "OK", "request_id": "req-2"}
    return {
        "oadrPoll": create_message("oadrPoll", ven_id="ven-1"),
        "oadrCreatePartyRegistration": create_message(
            "oadrCreatePartyRegistration", request_id="req-1", ven_name="ven", profile_name="2.0b",
            transport_name="simpleHttp", report_only=False, xml_signature=False,
            http_pull_model=True),
        "oadrResponse": create_message("oadrResponse", response=ok, ven_id="ven-1"),
        "oadrDistributeEvent": create_message("oadrDistributeEvent", request_id="req-2",
                                              vtn_id="vtn-1", events=[objects.Event(
            event_descriptor=objects.EventDescriptor(
                event_id="ev-1", modification_number=0, market_context=MARKET,
                event_status="far", created_date_time=T0),
            active_period=objects.ActivePeriod(dtstart=T0, duration=timedelta(hours=1)),
            event_signals=[objects.EventSignal(
                intervals=[objects.Interval(dtstart=T0 + i * Q15, duration=Q15,
                                            signal_payload=float(i), uid=i) for i in range(4)],
                signal_name="simple", signal_type="level", signal_id="sig-1")],
            targets=[objects.Target(ven_id="ven-1")])]),
        "oadrCreatedEvent": create_message("oadrCreatedEvent", response=ok, ven_id="ven-1",
                                           event_responses=[{**ok, "event_id": "ev-1",
                                                             "modification_number": 0,
                                                             "opt_type": "optIn"}]),
        "oadrUpdateReport": create_message(
            "oadrUpdateReport", request_id="req-5", ven_id="ven-1", reports=[objects.Report(
                report_specifier_id="spec-1", report_request_id="rr-1",
                report_name="TELEMETRY_USAGE", created_date_time=T0,
                intervals=[objects.ReportInterval(dtstart=T0, duration=Q15,
                                                  report_payload=objects.ReportPayload(
                                                      r_id="meter-1", value=1.25))])]),
    }


def test_this_codec_reads_what_openleadr_writes():
    decoded = {name: from_xml(document.encode() if isinstance(document, str) else document)
               for name, document in openleadr_messages().items()}
    assert decoded["oadrPoll"] == Poll("ven-1")
    assert decoded["oadrCreatePartyRegistration"].ven_name == "ven"
    assert decoded["oadrCreatePartyRegistration"].transport_address is None  # written empty
    distributed = decoded["oadrDistributeEvent"].events[0]
    assert [i.value for i in distributed.signals[0].intervals] == [0.0, 1.0, 2.0, 3.0]
    assert distributed.duration == timedelta(hours=1) and distributed.target.ven_ids == ("ven-1",)
    assert decoded["oadrCreatedEvent"].event_responses[0].opt_type == "optIn"
    report = decoded["oadrUpdateReport"].reports[0]
    assert report.intervals[0].payloads[0] == ReportPayload("meter-1", 1.25)


@pytest.mark.parametrize("name", MESSAGES)
def test_openleadr_reads_what_this_codec_writes(name):
    from openleadr.messaging import parse_message

    kind, payload = parse_message(to_xml(MESSAGES[name]))
    assert kind == "oadr" + type(MESSAGES[name]).__name__
    assert isinstance(payload, dict)


def test_replace_keeps_checking():
    with pytest.raises(MessageInvalid):
        replace(MESSAGES["Poll"], ven_id=" ")
