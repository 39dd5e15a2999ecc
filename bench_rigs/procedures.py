"""Test procedures of a meter test bench, written against the instrument interfaces only.

Each returns plain data (the readings and what was derived from them); judging them against
limits is the harness's job (declared measurements in `harness.steps.bench`).

Gating: the source output is off while the meter's register is read before and after a test
point, and the standard's integrator runs only between those readings, so the standard and the
meter count exactly the same energy (the method of a bench without a pulse input; a reading
taken while current flows would compare two different instants).

Waits poll the standard (its energy or its own integration clock), never a fixed sleep, so a
simulated bench with a fast clock and a real bench run the same code; every wait has a deadline
(`rig.timeout_s`) after which the procedure raises `InstrumentTimeout` (verdict ``error``).
"""
from __future__ import annotations

import time
from collections.abc import Callable

from .errors import InstrumentTimeout
from .instruments import EnergyMeter, PowerSource, PowerStandard, Relay
from .rig import Rig, TestPoint

POLL_S = 0.002


def _wait(condition: Callable[[], bool], timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout_s:
            raise InstrumentTimeout(f"timed out waiting for {what}", code="procedure-timeout",
                                    field="/timeout_s", expected=f"<= {timeout_s} s")
        time.sleep(POLL_S)
    return time.monotonic() - started


def _gated_run(rig: Rig, standard: PowerStandard, source: PowerSource, meter: EnergyMeter, relay: Relay, *,
               voltage_v: float, current_a: float, power_factor: float,
               until: Callable[[PowerStandard], bool], what: str) -> dict:
    source.output(False)
    relay.close_contact(rig.relay_channel)             # the load path; the source output gates it
    source.apply(voltage_v=voltage_v, current_a=current_a, power_factor=power_factor)
    before = meter.energy_kwh(rig.meter.register)
    standard.reset_energy()
    standard.start_energy()
    source.output(True)
    try:
        _wait(lambda: until(standard), rig.timeout_s, what)
    finally:
        source.output(False)
    standard.stop_energy()
    standard_kwh = standard.energy_kwh()
    elapsed_s = standard.integration_time_s()
    after = meter.energy_kwh(rig.meter.register)
    return {"meter_before_kwh": float(before), "meter_after_kwh": float(after),
            "meter_kwh": float(after - before), "standard_kwh": standard_kwh, "duration_s": elapsed_s,
            "voltage_v": voltage_v, "current_a": current_a, "power_factor": power_factor}


def measure_test_point(rig: Rig, point: TestPoint, standard: PowerStandard, source: PowerSource,
                       meter: EnergyMeter, relay: Relay) -> dict:
    """Meter error at one test point: (meter energy - standard energy) / standard energy, in %."""
    run = _gated_run(rig, standard, source, meter, relay, voltage_v=rig.meter.reference_voltage_v,
                     current_a=point.current_a, power_factor=point.power_factor,
                     until=lambda s: s.energy_kwh() >= point.energy_kwh,
                     what=f"{point.energy_kwh} kWh on the standard at test point {point.name}")
    error_pct = (run["meter_kwh"] - run["standard_kwh"]) / run["standard_kwh"] * 100
    return {**run, "test_point": point.name, "error_pct": error_pct, "mpe_pct": point.limit.mpe_pct,
            "band": point.limit.band, "band_a": [point.limit.low_a, point.limit.high_a],
            "limit_source": point.limit.source}


def starting_current(rig: Rig, standard: PowerStandard, source: PowerSource, meter: EnergyMeter,
                     relay: Relay) -> dict:
    """At the declared starting current the meter starts and keeps registering (IEC 62053-21 8.3.3)."""
    return _gated_run(rig, standard, source, meter, relay, voltage_v=rig.meter.reference_voltage_v,
                      current_a=rig.meter.starting_current_a, power_factor=1.0,
                      until=lambda s: s.integration_time_s() >= rig.starting_duration_s,
                      what=f"{rig.starting_duration_s} s at the starting current")


def creep(rig: Rig, standard: PowerStandard, source: PowerSource, meter: EnergyMeter, relay: Relay) -> dict:
    """Voltage applied, no current: the register must not move (IEC 62053-21 8.3.2, at 115 % Un)."""
    return _gated_run(rig, standard, source, meter, relay,
                      voltage_v=rig.meter.reference_voltage_v * rig.creep_voltage_factor,
                      current_a=0.0, power_factor=1.0,
                      until=lambda s: s.integration_time_s() >= rig.creep_duration_s,
                      what=f"{rig.creep_duration_s} s with no load")


def switch_relay(rig: Rig, position: str, standard: PowerStandard, source: PowerSource, relay: Relay) -> dict:
    """Command the load relay and time how long the load current takes to follow.

    The load runs at the rig's relay test current. The current has followed when it is below 2 %
    of the test current (open) or within 2 % of it (closed). It is watched for three times the
    declared latency; ``latency_s`` is None if it never followed (a stuck contact).
    """
    channel, test_a = rig.relay_channel, rig.relay_test_current_a
    source.apply(voltage_v=rig.meter.reference_voltage_v, current_a=test_a, power_factor=1.0)
    source.output(True)
    try:
        return command_load_relay(rig, position, standard, relay, load_a=test_a)
    finally:
        source.output(False)


def command_load_relay(rig: Rig, position: str, standard: PowerStandard, relay: Relay, *, load_a: float) -> dict:
    """Command the load relay with the source as it is, and watch the load current follow
    (see `switch_relay`); the source is left on."""
    channel = rig.relay_channel
    followed = (lambda a: a < 0.02 * load_a) if position == "open" else (lambda a: abs(a - load_a) <= 0.02 * load_a)
    before_a = standard.current_a()
    started = time.monotonic()
    relay.open(channel) if position == "open" else relay.close_contact(channel)
    latency_s = None
    current_a = standard.current_a()
    while time.monotonic() - started <= 3 * rig.relay_max_latency_s:
        if followed(current_a):
            latency_s = time.monotonic() - started
            break
        time.sleep(POLL_S)
        current_a = standard.current_a()
    if latency_s is not None:
        # Settle for the declared latency and look again: an earlier command still in flight
        # (a relay commanded twice in quick succession) must not pass for this one.
        time.sleep(max(0.0, started + rig.relay_max_latency_s - time.monotonic()))
        current_a = standard.current_a()
        if not followed(current_a):
            latency_s = None
    return {"commanded": position, "reported_state": relay.state(channel), "latency_s": latency_s,
            "current_before_a": before_a, "current_after_a": current_a, "test_current_a": load_a,
            "max_latency_s": rig.relay_max_latency_s}


def run_load(rig: Rig, power_w: float, standard: PowerStandard, source: PowerSource, relay: Relay) -> float:
    """A resistive load of ``power_w`` at the reference voltage through the closed load relay,
    returned once the standard measures it (within 2 %); returns its current. The source stays
    on (the caller's procedure switches it off).

    Raises:
        InstrumentTimeout: the load current was not established within three times the relay's
            declared latency (a set-up failure: the relay or the source did not do its part).
    """
    current_a = power_w / rig.meter.reference_voltage_v
    source.apply(voltage_v=rig.meter.reference_voltage_v, current_a=current_a, power_factor=1.0)
    commanded = time.monotonic()
    relay.close_contact(rig.relay_channel)
    source.output(True)
    established = lambda: abs(standard.current_a() - current_a) <= 0.02 * current_a  # noqa: E731
    _wait(established, 3 * rig.relay_max_latency_s, f"a load current of {current_a:.3f} A")
    time.sleep(max(0.0, commanded + rig.relay_max_latency_s - time.monotonic()))   # settle, as above
    _wait(established, 3 * rig.relay_max_latency_s, f"a steady load current of {current_a:.3f} A")
    return current_a


def energise(rig: Rig, power_w: float, source: PowerSource) -> float:
    """The supply of a resistive load of ``power_w`` at the reference voltage switched on, the
    load relay left as it is (open: no current flows until it closes); returns the load's current."""
    current_a = power_w / rig.meter.reference_voltage_v
    source.apply(voltage_v=rig.meter.reference_voltage_v, current_a=current_a, power_factor=1.0)
    source.output(True)
    return current_a


def metered_interval(rig: Rig, duration_s: float, standard: PowerStandard, source: PowerSource,
                     meter: EnergyMeter) -> dict:
    """One metering interval with the load as it stands (set points and relay untouched): the
    meter's register advance and the standard's energy over ``duration_s`` of the standard's
    clock. The source output gates the interval, as for a test point, so the meter's reading
    covers exactly that time and not the time its readout takes."""
    source.output(False)
    before = meter.energy_kwh(rig.meter.register)
    standard.reset_energy()
    standard.start_energy()
    source.output(True)
    try:
        _wait(lambda: standard.integration_time_s() >= duration_s, rig.timeout_s, f"a {duration_s} s interval")
    finally:
        source.output(False)
    standard.stop_energy()
    after = meter.energy_kwh(rig.meter.register)
    return {"meter_kwh": float(after - before), "standard_kwh": standard.energy_kwh(),
            "duration_s": standard.integration_time_s()}
