"""Steps of the hardware-in-the-loop features (features/hil): a meter on its rig, reached only
through the ``sut`` fixture (a `harness.sut.bench.BenchSUT`), every check a declared measurement.

Limits come from the rig and the class tables, not from the feature text, so the same features
judge any meter on any rig. The accuracy step measures every test point before judging, so the
report and the error plot show all of them even when one fails.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..errors import ConformanceViolation

METER_ERROR = m.declare("meter_error_pct", unit="%", description="meter error against the reference standard")
START_ADVANCE = m.declare("starting_register_advance_kwh", unit="kWh",
                          description="meter register advance at the starting current")
CREEP_ADVANCE = m.declare("creep_register_advance_kwh", unit="kWh",
                          description="meter register advance with voltage applied and no current")
BCC_VALID = m.declare("readout_bcc_valid", unit=None,
                      description="the data message's block check character matches its data block")
REGISTER_FORMAT = m.declare("readout_register_format", unit=None,
                            description="the energy register is an OBIS line with a decimal kWh value")
RELAY_STATE = m.declare("relay_reported_state", unit=None, description="position the relay reports after the command")
RELAY_LATENCY = m.declare("relay_current_follow_s", unit="s",
                          description="time from the relay command until the load current follows")


def at_most(high: float) -> m.Validator:
    return m.Validator(f"<= {high:g}", lambda v: isinstance(v, (int, float)) and math.isfinite(v) and v <= high)


def within_class(mpe_pct: float) -> m.Validator:
    return m.Validator(f"within ±{mpe_pct:g}", lambda v: isinstance(v, (int, float)) and math.isfinite(v)
                       and abs(v) <= mpe_pct)


@dataclass
class BenchRun:
    results: list[dict] = field(default_factory=list)
    run: dict | None = None
    readout: object = None
    readout_error: Exception | None = None
    relay: dict | None = None


@pytest.fixture
def bench() -> BenchRun:
    return BenchRun()


@given("the bench is in its safe state")
def _(sut):
    sut.reset()


@when("every test point of the rig is run")
def _(sut, bench: BenchRun):
    bench.results = [sut.run_test_point(name) for name in sut.test_point_names()]


@then("at each test point the meter's error against the reference standard is within its class limit")
def _(bench: BenchRun, evidence: m.ScenarioEvidence):
    findings = []
    for result in bench.results:
        try:
            evidence.measure(METER_ERROR, round(result["error_pct"], 4), within_class(result["mpe_pct"]),
                             field=f"/test_points/{result['test_point']}",
                             subject=f"{result['test_point']}: {result['current_a']} A, PF {result['power_factor']}, "
                                     f"{result['band']}")
        except ConformanceViolation as finding:
            findings.append(finding)
    if findings:
        raise findings[0]


@when("the meter runs at its declared starting current for the rig's starting duration")
def _(sut, bench: BenchRun):
    bench.run = sut.run_starting_current()


@when("the meter runs with no load at the rig's creep voltage for the rig's creep duration")
def _(sut, bench: BenchRun):
    bench.run = sut.run_creep()


@then("the meter's register advances by at least one step")
def _(bench: BenchRun, evidence: m.ScenarioEvidence):
    run = bench.run
    evidence.measure(START_ADVANCE, round(run["meter_kwh"], 6), m.at_least(run["resolution_kwh"]),
                     field="/registers/" + "1.8.0",
                     subject=f"{run['current_a']} A for {run['duration_s']:.0f} s; the standard measured "
                             f"{run['standard_kwh']:.6f} kWh")


@then("the meter's register advances by no more than one step")
def _(bench: BenchRun, evidence: m.ScenarioEvidence):
    run = bench.run
    evidence.measure(CREEP_ADVANCE, round(run["meter_kwh"], 6), at_most(run["resolution_kwh"]),
                     field="/registers/1.8.0", subject=f"{run['voltage_v']:.1f} V, no current, "
                                                       f"{run['duration_s']:.0f} s")


@when("the meter's data readout is read")
def _(sut, bench: BenchRun):
    from bench_rigs.errors import ReadoutError
    try:
        bench.readout = sut.meter_readout()
    except ReadoutError as exc:     # a finding for this requirement; a timeout stays an error
        bench.readout_error = exc


@then("its block check character matches the data block")
def _(bench: BenchRun, evidence: m.ScenarioEvidence):
    error = bench.readout_error
    framing = error is not None and error.code in ("bcc-mismatch", "framing")
    evidence.measure(BCC_VALID, not framing, m.is_true(), field=getattr(error, "field", "/readout/bcc"),
                     subject=str(error) if framing else "data message")


@then(parsers.parse('registers "{first}" and "{second}" are decimal energies in kWh'))
def _(bench: BenchRun, evidence: m.ScenarioEvidence, first: str, second: str):
    from bench_rigs.errors import ReadoutError
    if bench.readout_error is not None:
        evidence.measure(REGISTER_FORMAT, str(bench.readout_error), m.equals("well formed"),
                         field=bench.readout_error.field, subject="data message")
    for obis in (first, second):
        try:
            bench.readout.energy_kwh(obis)
            verdict, where = "well formed", f"/registers/{obis}"
        except ReadoutError as exc:
            verdict, where = f"{exc.code}: {exc.actual}", exc.field
        evidence.measure(REGISTER_FORMAT, verdict, m.equals("well formed"), field=where, subject=obis)


@given("the load relay is closed with the rig's relay test current flowing")
def _(sut):
    sut.reset()
    sut.switch_relay("closed")


@given("the load relay is open")
def _(sut):
    sut.reset()
    sut.switch_relay("open")


@when(parsers.parse("the load relay is commanded {position}"))
def _(sut, bench: BenchRun, position: str):
    bench.relay = sut.switch_relay(position)


@then(parsers.parse("the relay reports {position}"))
def _(bench: BenchRun, evidence: m.ScenarioEvidence, position: str):
    evidence.measure(RELAY_STATE, bench.relay["reported_state"], m.equals(position), field="/relay/state",
                     subject=f"commanded {bench.relay['commanded']}")


@then("the load current follows within the rig's declared latency")
def _(bench: BenchRun, evidence: m.ScenarioEvidence):
    relay = bench.relay
    latency = relay["latency_s"]
    subject = (f"commanded {relay['commanded']}: {relay['current_before_a']:.3f} A before, "
               f"{relay['current_after_a']:.3f} A after")
    if latency is None:
        subject += f"; the current never followed in {3 * relay['max_latency_s']:g} s (contact stuck)"
    evidence.measure(RELAY_LATENCY, latency if latency is not None else float("inf"),
                     at_most(relay["max_latency_s"]), field="/relay/latency_s", subject=subject)
