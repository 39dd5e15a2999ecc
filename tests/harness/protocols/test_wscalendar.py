"""WS-Calendar interval sequences (harness.protocols.wscalendar): round trips through iCalendar
objects, .ics bytes and OpenADR 2.0b xCal/stream XML, over time zones with DST and odd offsets,
sequences crossing DST changes, and gaps (per-interval xcal:dtstart in xCal); worked DST
examples; and the refusals. Payloads may be None on the iCalendar paths only: xCal needs one.

Every instant in an expected value is written in UTC with its local reading in a comment.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from harness.protocols.oadr_schema import fast_schema
from harness.protocols.wscalendar import (
    EI, NSMAP, Interval, IntervalSequence, WsCalendarError, from_icalendar, from_ics, parse_duration, to_icalendar,
    to_ics,
)
from harness.protocols.wscalendar_xcal import from_xcal_intervals, to_xcal_intervals
from harness.protocols.xml_safety import parse_xml

UTC = timezone.utc
LUX = ZoneInfo("Europe/Luxembourg")
ZONES = [None, "UTC", "Europe/Luxembourg", "America/New_York", "Australia/Lord_Howe",
         "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham", "Asia/Kolkata",
         "Pacific/Kiritimati", "Europe/Dublin", "America/Sao_Paulo"]
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _transitions(name: str, year: int) -> list[datetime]:
    """The UTC-offset changes of zone `name` in `year`, found on a 15-minute grid."""
    found, zone, t = [], ZoneInfo(name), datetime(year, 1, 1, tzinfo=UTC)
    offset = t.astimezone(zone).utcoffset()
    while t.year == year:
        t += timedelta(minutes=15)
        if (new := t.astimezone(zone).utcoffset()) != offset:
            found.append(t)
            offset = new
    return found


TRANSITIONS = {name: _transitions(name, 2026) for name in filter(None, ZONES)}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def seq_of(start: datetime, spec, tzid=None) -> IntervalSequence:
    """spec: (gap before in minutes, duration in minutes, payload) per interval."""
    intervals, cursor = [], start
    for i, (gap, minutes, payload) in enumerate(spec):
        cursor += timedelta(minutes=gap)
        intervals.append(Interval(cursor, timedelta(minutes=minutes), f"{i}", payload))
        cursor += timedelta(minutes=minutes)
    return IntervalSequence(tuple(intervals), tzid)


def via_xml(seq: IntervalSequence) -> IntervalSequence:
    """to_xcal_intervals, serialised, re-parsed, checked against the official OpenADR 2.0b XSDs
    (each element is a global one there), and read back."""
    laid = to_xcal_intervals(seq)
    dtstart, total, intervals = (parse_xml(etree.tostring(e))
                                 for e in (laid.dtstart, laid.duration, laid.intervals))
    schema = fast_schema()
    for element in (dtstart, total, intervals):
        assert schema.validate(element), schema.error_log
    return from_xcal_intervals(dtstart, intervals, tzid=seq.tzid)


@st.composite
def sequences(draw, optional_payloads: bool = True) -> IntervalSequence:
    """Random sequences with random gaps; None payloads only when `optional_payloads`."""
    tzid = draw(st.sampled_from(ZONES))
    if TRANSITIONS.get(tzid) and draw(st.booleans()):  # start shortly before a DST change
        anchor = draw(st.sampled_from(TRANSITIONS[tzid]))
        cursor = anchor - timedelta(seconds=draw(st.integers(-3600, 3600) | st.integers(0, 86400)))
    else:
        cursor = draw(st.datetimes(datetime(2000, 1, 1), datetime(2036, 12, 31))).replace(
            microsecond=0, tzinfo=UTC)
    n = draw(st.integers(1, 10))
    uids = draw(st.lists(st.text(st.characters(exclude_categories=("C", "Z")) | st.just(" "),
                                 min_size=1, max_size=8).filter(str.isprintable),
                         min_size=n, max_size=n, unique=True))
    intervals = []
    for uid in uids:
        cursor += timedelta(seconds=draw(st.one_of(st.just(0), st.integers(1, 6 * 3600))))
        duration = timedelta(seconds=draw(st.integers(60, 2 * 86400)))  # 1 min to 2 days
        finite = st.floats(allow_nan=False, allow_infinity=False)
        payload = draw(st.none() | finite if optional_payloads else finite)
        intervals.append(Interval(cursor, duration, uid, payload))
        cursor += duration
    return IntervalSequence(tuple(intervals), tzid)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- round trips -----------------------------------------------------------------------------

@PROPERTY
@given(sequences())
def test_icalendar_round_trip_is_identity(seq):
    assert from_icalendar(to_icalendar(seq, stamp=STAMP)) == seq


@PROPERTY
@given(sequences())
def test_ics_bytes_round_trip_is_identity(seq):
    back = from_ics(to_ics(seq, stamp=STAMP))
    assert back == seq
    assert [i.start for i in back.intervals] == [i.start for i in seq.intervals]  # same instants


@PROPERTY
@given(sequences(optional_payloads=False))
def test_xcal_round_trip_is_identity_and_schema_valid(seq):
    assert via_xml(seq) == seq


@PROPERTY
@given(sequences(optional_payloads=False))
def test_xcal_marks_each_gap_with_a_per_interval_dtstart(seq):
    laid = to_xcal_intervals(seq)
    elements = laid.intervals.findall("ei:interval", NSMAP)
    assert [e.findtext("xcal:uid/xcal:text", None, NSMAP) for e in elements] == \
        [i.uid for i in seq.intervals]  # one element per interval: no fillers
    assert [float(e.findtext(".//ei:value", None, NSMAP)) for e in elements] == \
        [i.payload for i in seq.intervals]
    # an own start exactly on the first interval after each gap, at that interval's start
    gap_before = [False] + [b.start > a.end for a, b in zip(seq.intervals, seq.intervals[1:])]
    starts = [e.findtext("xcal:dtstart/xcal:date-time", None, NSMAP) for e in elements]
    assert starts == [f"{i.start:%Y-%m-%dT%H:%M:%SZ}" if gap else None
                      for i, gap in zip(seq.intervals, gap_before)]
    assert all(e[0].tag == f"{{{NSMAP['xcal']}}}dtstart" for e, s in zip(elements, starts) if s)
    durations = [parse_duration(e.findtext("xcal:duration/xcal:duration", None, NSMAP), "")
                 for e in elements]
    assert durations == [i.duration for i in seq.intervals]
    span = seq.intervals[-1].end - seq.intervals[0].start
    assert parse_duration(laid.duration.findtext("xcal:duration", None, NSMAP), "") == span
    assert [i.start for i in via_xml(seq).intervals] == [i.start for i in seq.intervals]


@PROPERTY
@given(sequences())
def test_dtstart_is_local_except_the_second_pass_of_a_repeated_hour(seq):
    # RFC 5545 reads an ambiguous local time as its first occurrence, so only those can be local
    for item, event in zip(seq.intervals, to_icalendar(seq, stamp=STAMP).walk("VEVENT")):
        prop = event["DTSTART"]
        second_pass = seq.tzid is not None and item.start.astimezone(ZoneInfo(seq.tzid)).fold
        expected_tzid = None if seq.tzid in (None, "UTC") or second_pass else seq.tzid
        assert prop.params.get("TZID") == expected_tzid
        assert "D" not in event["DURATION"].to_ical().decode()  # never nominal days


# ---- worked examples --------------------------------------------------------------------------

def test_four_quarter_hours_with_a_half_hour_gap():
    # 10:00, 10:15 | gap 10:30-11:00 | 11:00, 11:15 UTC
    seq = seq_of(utc(2026, 6, 17, 10), [(0, 15, 1.0), (0, 15, 2.0), (30, 15, 3.0), (0, 15, 4.0)],
                 "Europe/Luxembourg")
    assert [i.start for i in seq.intervals] == [utc(2026, 6, 17, 10), utc(2026, 6, 17, 10, 15),
                                                utc(2026, 6, 17, 11), utc(2026, 6, 17, 11, 15)]
    laid = to_xcal_intervals(seq)
    elements = laid.intervals.findall(f"{{{EI}}}interval")
    assert [e.findtext("xcal:uid/xcal:text", None, NSMAP) for e in elements] == \
        ["0", "1", "2", "3"]
    assert [e.findtext("xcal:dtstart/xcal:date-time", None, NSMAP) for e in elements] == \
        [None, None, "2026-06-17T11:00:00Z", None]  # only after the gap
    assert [e.findtext("xcal:duration/xcal:duration", None, NSMAP) for e in elements] == \
        ["PT15M"] * 4
    assert [e.findtext(".//ei:value", None, NSMAP) for e in elements] == \
        ["1.0", "2.0", "3.0", "4.0"]
    assert laid.dtstart.findtext("xcal:date-time", None, NSMAP) == "2026-06-17T10:00:00Z"
    assert laid.duration.findtext("xcal:duration", None, NSMAP) == "PT1H30M"
    assert via_xml(seq) == seq  # schema-valid, the own dtstart included
    misplaced = parse_xml(etree.tostring(laid.intervals))  # ei:IntervalType puts dtstart first
    misplaced[2][1].addnext(misplaced[2][0])  # dtstart moved after duration
    assert not fast_schema().validate(misplaced)
    # iCalendar keeps a None payload (X-OADR-PAYLOAD absent); xCal cannot carry it
    *head, last = seq.intervals
    no_payload = IntervalSequence((*head, Interval(last.start, last.duration, last.uid)),
                                  seq.tzid)
    assert from_ics(to_ics(no_payload, stamp=STAMP)) == no_payload
    text = to_ics(no_payload, stamp=STAMP).decode()
    assert "DTSTART;TZID=Europe/Luxembourg:20260617T120000" in text  # CEST, UTC+2
    assert text.count("X-OADR-PAYLOAD") == 3
    refused(lambda: to_xcal_intervals(no_payload), "payload-required", "/intervals/3/payload")


def test_across_luxembourg_fall_back_2026_10_25():
    # 00:00-02:00 UTC in quarter hours; clocks go 03:00 CEST -> 02:00 CET at 01:00 UTC, so the
    # local readings are 02:00..02:45 CEST, then 02:00..02:45 CET again
    seq = seq_of(utc(2026, 10, 25, 0), [(0, 15, float(i)) for i in range(8)], "Europe/Luxembourg")
    local = [i.start.astimezone(LUX).strftime("%H:%M") for i in seq.intervals]
    assert local == ["02:00", "02:15", "02:30", "02:45"] * 2
    text = to_ics(seq, stamp=STAMP).decode()
    for hhmm in ("0200", "0215", "0230", "0245"):  # first pass: local with TZID
        assert f"DTSTART;TZID=Europe/Luxembourg:20261025T{hhmm}00" in text
    for hhmm in ("0100", "0115", "0130", "0145"):  # second pass: UTC, not an ambiguous local
        assert f"DTSTART:20261025T{hhmm}00Z" in text
    back = from_ics(to_ics(seq, stamp=STAMP))
    assert back == seq and len({i.start for i in back.intervals}) == 8
    assert from_icalendar(to_icalendar(seq, stamp=STAMP)) == seq
    assert via_xml(seq) == seq


def test_across_luxembourg_spring_forward_2026_03_29():
    # 00:00-02:00 UTC; clocks go 02:00 CET -> 03:00 CEST at 01:00 UTC: local 01:00..01:45 CET,
    # then 03:00..03:45 CEST, and no 02:xx
    seq = seq_of(utc(2026, 3, 29, 0), [(0, 15, float(i)) for i in range(8)], "Europe/Luxembourg")
    text = to_ics(seq, stamp=STAMP).decode()
    for hhmm in ("0100", "0115", "0130", "0145", "0300", "0315", "0330", "0345"):
        assert f"DTSTART;TZID=Europe/Luxembourg:20260329T{hhmm}00" in text
    assert "20260329T02" not in text
    assert from_ics(to_ics(seq, stamp=STAMP)) == seq
    assert via_xml(seq) == seq


def test_lord_howe_half_hour_fall_back():
    # 2026-04-05 02:00 +11 -> 01:30 +10:30 (15:00 UTC): 14:45 UTC and 15:15 UTC both read 01:45
    seq = seq_of(utc(2026, 4, 4, 14, 45), [(0, 15, 1.0), (15, 15, 2.0)], "Australia/Lord_Howe")
    text = to_ics(seq, stamp=STAMP).decode()
    assert "DTSTART;TZID=Australia/Lord_Howe:20260405T014500" in text
    assert "DTSTART:20260404T151500Z" in text
    assert from_ics(to_ics(seq, stamp=STAMP)) == seq


def test_long_durations_are_written_in_exact_units():
    # 2 days + 5 s from 12:00 UTC the day before the fall-back: 48 h 0 min 5 s, never "P2D"
    seq = IntervalSequence((Interval(utc(2026, 10, 24, 12), timedelta(days=2, seconds=5), "x"),),
                           "Europe/Luxembourg")
    assert "DURATION:PT48H0M5S" in to_ics(seq, stamp=STAMP).decode()
    assert from_ics(to_ics(seq, stamp=STAMP)) == seq


ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{}END:VCALENDAR\r\n"


def vevent(*lines: str) -> str:
    return "BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\n" + "".join(f"{ln}\r\n" for ln in lines) \
        + "END:VEVENT\r\n"


def test_foreign_calendar_with_dtend_and_events_out_of_order():
    # DTEND across the fall-back: 12:00 CEST (10:00 UTC) to 12:00 CET (11:00 UTC next day) = 25 h
    data = ICS.format(
        vevent("UID:b", "DTSTART:20261025T110000Z", "DURATION:PT1H", "X-OADR-PAYLOAD:-2.5e3")
        + vevent("UID:a", "DTSTART;TZID=Europe/Luxembourg:20261024T120000",
                 "DTEND;TZID=Europe/Luxembourg:20261025T120000")).encode()
    seq = from_ics(data)
    assert [(i.uid, i.start, i.duration, i.payload) for i in seq.intervals] == [
        ("a", utc(2026, 10, 24, 10), timedelta(hours=25), None),
        ("b", utc(2026, 10, 25, 11), timedelta(hours=1), -2500.0)]
    assert seq.tzid == "Europe/Luxembourg"


@pytest.mark.parametrize("text, expected", [
    ("PT15M", timedelta(minutes=15)), ("P1DT2H", timedelta(hours=26)), ("P2W", timedelta(days=14)),
    ("PT1H0M5S", timedelta(hours=1, seconds=5)), ("+PT90S", timedelta(seconds=90)),
    ("PT1.000S", timedelta(seconds=1)),
])
def test_parse_duration_accepts(text, expected):
    assert parse_duration(text, "/d") == expected


@pytest.mark.parametrize("text, code", [
    ("P1M", "calendar-unit"), ("P1Y", "calendar-unit"), ("P1Y2M3D", "calendar-unit"),
    ("-PT15M", "not-positive"), ("PT0S", "not-positive"), ("P0D", "not-positive"),
    ("PT0.5S", "sub-second"), ("P", "bad-duration"), ("PT", "bad-duration"),
    ("P1DT", "bad-duration"), ("15M", "bad-duration"), ("pt15m", "bad-duration"),
    (" PT15M", "bad-duration"), ("PT١٥M", "bad-duration"),  # Arabic-Indic digits
])
def test_parse_duration_refuses(text, code):
    with pytest.raises(WsCalendarError) as err:
        parse_duration(text, "/d")
    assert (err.value.code, err.value.field) == (code, "/d")


# ---- refusals ---------------------------------------------------------------------------------

def refused(call, code: str, field: str) -> WsCalendarError:
    with pytest.raises(WsCalendarError) as err:
        call()
    assert (err.value.code, err.value.field) == (code, field), err.value
    return err.value


def test_refuses_overlap_naming_both_intervals():
    a = Interval(utc(2026, 6, 1, 10), timedelta(minutes=30), "a")
    b = Interval(utc(2026, 6, 1, 11), timedelta(minutes=30), "b")
    c = Interval(utc(2026, 6, 1, 11, 15), timedelta(minutes=30), "c")
    error = refused(lambda: IntervalSequence((a, b, c)), "overlap", "/intervals/2/start")
    assert "interval 2 (uid 'c')" in str(error) and "interval 1 (uid 'b')" in str(error)
    refused(lambda: IntervalSequence((a, a)), "overlap", "/intervals/1/start")
    refused(lambda: IntervalSequence((b, a)), "unsorted", "/intervals/1/start")


def test_refuses_model_errors():
    start = utc(2026, 6, 1, 10)
    a = Interval(start, timedelta(minutes=15), "same")
    b = Interval(start + timedelta(hours=1), timedelta(minutes=15), "same")
    error = refused(lambda: IntervalSequence((a, b)), "duplicate-uid", "/intervals/1/uid")
    assert "interval 0" in str(error)
    refused(lambda: Interval(start, timedelta(0), "z"), "not-positive", "/duration")
    refused(lambda: Interval(start, timedelta(minutes=-5), "z"), "not-positive", "/duration")
    refused(lambda: Interval(datetime(2026, 6, 1, 10), timedelta(minutes=15), "z"), "not-aware",
            "/start")
    refused(lambda: Interval(start.replace(microsecond=5), timedelta(minutes=15), "z"),
            "sub-second", "/start")
    refused(lambda: Interval(start, timedelta(minutes=15), ""), "bad-uid", "/uid")
    refused(lambda: Interval(start, timedelta(minutes=15), "z", float("nan")), "bad-payload",
            "/payload")
    refused(lambda: IntervalSequence(()), "empty", "/intervals")
    refused(lambda: IntervalSequence((a,), "Mars/Olympus_Mons"), "unknown-tzid", "/tzid")


def test_interval_keeps_the_instant_in_utc():
    local = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=LUX)  # second pass: 01:30 UTC
    assert Interval(local, timedelta(minutes=15), "x").start == utc(2026, 10, 25, 1, 30)
    assert Interval(local, timedelta(minutes=15), "x").start.tzinfo is UTC


@pytest.mark.parametrize("lines, code, field", [
    ((vevent("UID:a", "DURATION:PT1H"),), "missing", "/vevents/0/DTSTART"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT1H"),
      vevent("UID:b", "DURATION:PT1H")),
     "missing", "/vevents/1/DTSTART"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z"),), "missing", "/vevents/0/DURATION"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT1H", "DTEND:20260601T110000Z"),),
     "conflict", "/vevents/0/DTEND"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:P1M"),),
     "calendar-unit", "/vevents/0/DURATION"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT0S"),),
     "not-positive", "/vevents/0/DURATION"),
    ((vevent("UID:a", "DTSTART:20260601T100000", "DURATION:PT1H"),),
     "not-aware", "/vevents/0/DTSTART"),
    ((vevent("UID:a", "DTSTART;VALUE=DATE:20260601", "DURATION:P1D"),),
     "not-aware", "/vevents/0/DTSTART"),
    ((vevent("DTSTART:20260601T100000Z", "DURATION:PT1H"),), "missing", "/vevents/0/UID"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY"),),
     "recurrence", "/vevents/0/RRULE"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT1H", "X-OADR-PAYLOAD:1_000"),),
     "bad-payload", "/vevents/0/X-OADR-PAYLOAD"),
    ((vevent("UID:a", "DTSTART:20260601T100000Z", "DURATION:PT1H"),
      vevent("UID:b", "DTSTART:20260601T103000Z", "DURATION:PT1H")),
     "overlap", "/intervals/1/start"),
])
def test_ics_refusals_name_the_property(lines, code, field):
    refused(lambda: from_ics(ICS.format("".join(lines)).encode()), code, field)


def test_ics_refuses_what_is_not_a_calendar():
    refused(lambda: from_ics(b"not a calendar"), "bad-ics", "/")


def xcal(dtstart: str, *intervals: str):
    ns = " ".join(f'xmlns:{p}="{u}"' for p, u in NSMAP.items())
    start = parse_xml(f"<xcal:dtstart {ns}><xcal:date-time>{dtstart}</xcal:date-time>"
                      f"</xcal:dtstart>".encode())
    body = parse_xml(f"<strm:intervals {ns}>{''.join(intervals)}</strm:intervals>".encode())
    return start, body


def ei_interval(duration: str | None, uid: str | None, value: str, dtstart: str | None = None):
    return ("<ei:interval>"
            + (f"<xcal:dtstart><xcal:date-time>{dtstart}</xcal:date-time></xcal:dtstart>"
               if dtstart else "")
            + (f"<xcal:duration><xcal:duration>{duration}</xcal:duration></xcal:duration>"
               if duration else "")
            + (f"<xcal:uid><xcal:text>{uid}</xcal:text></xcal:uid>" if uid is not None else "")
            + f"<ei:signalPayload><ei:payloadFloat><ei:value>{value}</ei:value></ei:payloadFloat>"
              "</ei:signalPayload></ei:interval>")


def test_xcal_reads_openadr_intervals_and_per_interval_dtstart():
    # OpenADR numbering uid 0, 1, ...; interval 2 carries its own dtstart (a 1 h gap)
    start, body = xcal("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1"),
                       ei_interval("P1D", "1", " 2.5 "),
                       ei_interval("PT15M", "2", "-5E-1", dtstart="2026-06-02T12:00:00Z"))
    seq = from_xcal_intervals(start, body, tzid="America/New_York")
    assert [(i.uid, i.start, i.duration, i.payload) for i in seq.intervals] == [
        ("0", utc(2026, 6, 1, 10), timedelta(hours=1), 1.0),
        ("1", utc(2026, 6, 1, 11), timedelta(days=1), 2.5),
        ("2", utc(2026, 6, 2, 12), timedelta(minutes=15), -0.5)]
    assert seq.tzid == "America/New_York"
    assert from_xcal_intervals(utc(2026, 6, 1, 10), body) == IntervalSequence(seq.intervals)


P = "/strm:intervals/ei:interval"


@pytest.mark.parametrize("dtstart, interval, code, field", [
    ("2026-06-01T10:00:00Z", ei_interval("P1M", "0", "1"), "calendar-unit",
     f"{P}[1]/xcal:duration/xcal:duration"),
    ("2026-06-01T10:00:00Z", ei_interval("PT0M", "0", "1"), "not-positive",
     f"{P}[1]/xcal:duration/xcal:duration"),
    ("2026-06-01T10:00:00Z", ei_interval(None, "0", "1"), "missing", f"{P}[1]/xcal:duration"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", None, "1"), "missing", f"{P}[1]/xcal:uid"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "", "1"), "bad-uid", f"{P}[1]/xcal:uid"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1_0"), "bad-payload",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "NaN"), "payload-not-finite",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", " INF "), "payload-not-finite",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "-INF"), "payload-not-finite",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1e400"), "payload-not-finite",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    # the filler earlier versions wrote for a gap (no uid, NaN) is refused, not dropped
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", None, "NaN"), "payload-not-finite",
     f"{P}[1]/ei:signalPayload/ei:payloadFloat/ei:value"),
    ("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1", dtstart="2026-06-01T09:59:59Z"),
     "intervals-overlap", f"{P}[1]/xcal:dtstart/xcal:date-time"),  # before the stream's start
    ("2026-06-01T10:00:00", ei_interval("PT1H", "0", "1"), "not-aware",
     "/xcal:dtstart/xcal:date-time"),
    ("2026-06-01T10:00:00.5Z", ei_interval("PT1H", "0", "1"), "sub-second",
     "/xcal:dtstart/xcal:date-time"),
    ("2026-06-01T10:00:00+02:00", ei_interval("PT1H", "0", "1"), "bad-date-time",
     "/xcal:dtstart/xcal:date-time"),
    ("2026-13-01T10:00:00Z", ei_interval("PT1H", "0", "1"), "bad-date-time",
     "/xcal:dtstart/xcal:date-time"),
])
def test_xcal_refusals_name_the_element(dtstart, interval, code, field):
    start, body = xcal(dtstart, interval)
    refused(lambda: from_xcal_intervals(start, body), code, field)


def test_xcal_refuses_a_per_interval_dtstart_that_overlaps():
    start, body = xcal("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1"),
                       ei_interval("PT1H", "1", "1", dtstart="2026-06-01T10:30:00Z"))
    error = refused(lambda: from_xcal_intervals(start, body), "intervals-overlap",
                    f"{P}[2]/xcal:dtstart/xcal:date-time")
    assert "2026-06-01T10:30:00Z" in str(error) and "2026-06-01T11:00:00Z" in str(error)


def test_xcal_accepts_a_per_interval_dtstart_that_follows_directly():
    start, body = xcal("2026-06-01T10:00:00Z",
                       ei_interval("PT1H", "0", "1", dtstart="2026-06-01T10:00:00Z"),
                       ei_interval("PT1H", "1", "2", dtstart="2026-06-01T11:00:00Z"))
    plain_start, plain = xcal("2026-06-01T10:00:00Z", ei_interval("PT1H", "0", "1"),
                              ei_interval("PT1H", "1", "2"))
    assert from_xcal_intervals(start, body) == from_xcal_intervals(plain_start, plain)


def test_xcal_refuses_a_none_payload():
    seq = seq_of(utc(2026, 6, 1, 10), [(0, 15, 1.0), (0, 15, 2.0), (15, 15, None)])
    error = refused(lambda: to_xcal_intervals(seq), "payload-required", "/intervals/2/payload")
    assert "uid '2'" in str(error)
    assert from_ics(to_ics(seq, stamp=STAMP)) == seq  # iCalendar still carries it


@PROPERTY
@given(sequences())
def test_xcal_writes_every_sequence_without_none_and_refuses_the_others(seq):
    missing = [i for i, item in enumerate(seq.intervals) if item.payload is None]
    if missing:
        refused(lambda: to_xcal_intervals(seq), "payload-required",
                f"/intervals/{missing[0]}/payload")
    else:
        assert via_xml(seq) == seq


def test_to_icalendar_sets_prodid_version_and_vtimezone():
    seq = seq_of(utc(2026, 6, 1, 10), [(0, 15, 1.0)], "Asia/Kathmandu")
    cal = to_icalendar(seq, stamp=STAMP)
    assert cal["VERSION"] == "2.0" and cal["PRODID"]
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Kathmandu"]
    assert "DTSTART;TZID=Asia/Kathmandu:20260601T154500" in cal.to_ical().decode()  # +05:45
    assert isinstance(cal, icalendar.Calendar)
    refused(lambda: to_icalendar(seq, stamp=datetime(2026, 1, 1)), "not-aware", "/stamp")
