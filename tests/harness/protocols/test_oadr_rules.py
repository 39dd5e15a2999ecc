"""The message rules behind MSG-* (harness.protocols.oadr_rules), on documents built by our
codec and then broken the way a faulty VTN would break them."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from lxml import etree

from harness.protocols import oadr_codec as oc
from harness.protocols import oadr_rules as rules
from harness.protocols.oadr_parts import Currency

T0 = datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)
EI = "{http://docs.oasis-open.org/ns/energyinterop/201110}"
XCAL = "{urn:ietf:params:xml:ns:icalendar-2.0}"


def event(event_id="DR-1", values=(1.0, 2.0, 3.0), number=0, status="far", unit=None, name="SIMPLE",
          kind="level") -> oc.Event:
    signal = oc.Signal("S", tuple(oc.Interval(str(i), Q15, v) for i, v in enumerate(values)),
                       signal_name=name, signal_type=kind, unit=unit)
    return oc.Event(event_id, number, "http://market.example/dr", T0, (signal,), created=T0 - Q15, status=status)


def tree(message) -> etree._Element:
    return oc.to_element(message)


def distribution(*events, request_id="req-1") -> etree._Element:
    return tree(oc.DistributeEvent("d-1", "VTN", events, oc.EiResponse(request_id)))


def test_a_codec_built_event_breaks_no_interval_rule():
    assert rules.event_interval_findings(distribution(event())) == []


def test_an_interval_starting_late_or_early_or_overrunning_is_found():
    root = distribution(event())
    intervals = list(root.iter(f"{EI}interval"))
    own = etree.SubElement(intervals[1], f"{XCAL}dtstart")
    etree.SubElement(own, f"{XCAL}date-time").text = "2026-06-01T10:20:00Z"   # 5 min after the first ends
    intervals[1].remove(own)
    intervals[1].insert(0, own)
    [gap, span] = rules.event_interval_findings(root)
    assert (gap.code, gap.expected, gap.actual) == ("interval-gap", "2026-06-01T10:15:00+00:00",
                                                   "2026-06-01T10:20:00+00:00")
    assert gap.field.endswith("ei:interval[2]/xcal:dtstart/xcal:date-time")
    assert span.code == "signal-span"
    own[0].text = "2026-06-01T10:10:00Z"
    assert [f.code for f in rules.event_interval_findings(root)] == ["interval-overlap", "signal-span"]


def test_modification_numbers_rise_with_changes_and_only_then():
    versions = rules.EventVersions()

    def codes(**changes):
        return [f.code for f in versions.observe(distribution(event(**changes)))]
    assert codes() == []
    assert codes(status="near") == []                                # time moved, nothing changed
    assert codes(values=(1.0, 1.0, 1.0), number=1) == []             # changed, one further
    assert codes(values=(1.0, 1.0, 1.0), number=1) == []             # sent again unchanged
    assert codes(values=(2.0, 2.0, 2.0), number=1) == ["modification-not-incremented"]
    assert codes(values=(2.0, 2.0, 2.0), number=2) == ["modification-without-change"]
    assert codes(values=(2.0, 2.0, 2.0), number=1) == ["modification-decreased"]
    assert codes(values=(2.0, 2.0, 2.0), number=1, status="cancelled") == ["modification-not-incremented"]


def test_answers_must_repeat_the_request_and_its_ids():
    opt = tree(oc.CreateOpt("r-9", "opt-9", "optOut", "economic", "VEN-1", T0, event_id="DR-1",
                            modification_number=0))
    assert rules.echo_findings(opt, tree(oc.CreatedOpt(oc.EiResponse("r-9"), "opt-9"))) == []
    [wrong] = rules.echo_findings(opt, tree(oc.CreatedOpt(oc.EiResponse("r-9"), "opt-1")))
    assert (wrong.code, wrong.expected, wrong.actual) == ("id-not-echoed", "opt-9", "opt-1")
    [kind] = rules.echo_findings(opt, tree(oc.Response(oc.EiResponse("r-9"))))
    assert (kind.code, kind.actual) == ("wrong-answer", "oadrResponse")
    ask = tree(oc.RequestEvent("r-1", "VEN-1"))
    assert rules.echo_findings(ask, distribution(event(), request_id="r-1")) == []
    assert [f.code for f in rules.echo_findings(ask, distribution(event(), request_id="r-2"))] == ["id-not-echoed"]


def test_report_requests_may_name_only_what_was_registered():
    offer = oc.Report("spec-1", T0, report_name="METADATA_TELEMETRY_USAGE",
                      descriptions=(oc.ReportDescription("energy"),))
    register = tree(oc.RegisterReport("r-1", (offer,), ven_id="VEN-1"))

    def registered(specifier, r_id):
        return tree(oc.RegisteredReport(oc.EiResponse("r-1"), (oc.ReportRequest(
            "rr-1", specifier, (oc.SpecifierPayload(r_id),), granularity=Q15, report_back_duration=Q15),)))
    assert rules.echo_findings(register, registered("spec-1", "energy")) == []
    assert [f.code for f in rules.echo_findings(register, registered("spec-2", "energy"))] == ["unknown-report-specifier"]
    assert [f.code for f in rules.echo_findings(register, registered("spec-1", "power"))] == ["unknown-rid"]


def test_price_signals_need_a_fitting_currency_and_one_currency_per_distribution():
    eur = Currency("currencyPerKWh", "EUR")
    price = dict(name="ELECTRICITY_PRICE", kind="price", values=(0.2, 0.3))
    assert rules.unit_findings(distribution(event(unit=eur, **price))) == []
    assert [f.code for f in rules.unit_findings(distribution(event(**price)))] == ["price-without-currency"]
    assert [f.code for f in rules.unit_findings(distribution(event(unit=Currency("currencyPerKW", "EUR"),
                                                                   name="ENERGY_PRICE", kind="price",
                                                                   values=(0.2,))))] == ["unit-not-for-signal"]
    assert [f.code for f in rules.unit_findings(distribution(event(unit=replace(eur, description="currency"),
                                                                   **price)))] == ["unit-description-mismatch"]
    assert [f.code for f in rules.unit_findings(distribution(event(unit=replace(eur, scale="k"), **price)))] == \
        ["currency-scaled"]
    mixed = distribution(event(unit=eur, **price), event("DR-2", unit=Currency("currencyPerKWh", "USD"), **price))
    [finding] = rules.unit_findings(mixed)
    assert (finding.code, finding.expected, finding.actual) == ("mixed-currencies", "EUR", "USD")
