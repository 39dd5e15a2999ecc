"""Steps of the signal-to-bill scenario up to the settlement (features/hil/signal_to_bill.feature;
the bill's steps are in signal_to_bill.py): the
market platform and the bench through one ``sut`` (a `BenchSUT` that passes market and DR
operations to the platform). The harness plays the site controller: it reads the DR event from
the platform and actuates the load relay; the meter's readings go back through submit_readings.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..errors import HarnessError
from .bench import RELAY_LATENCY, at_most
from .session import MarketSession, require_ok

DR_STATUS = m.declare("dr_event_status", unit=None, description="status the platform gives the DR event")
LOAD_AFTER = m.declare("load_current_after_dr_a", unit="A",
                       description="load current the reference standard measures after the site acted on the event")
METER_IN_EVENT = m.declare("meter_energy_in_event_kwh", unit="kWh",
                           description="energy the meter under test registered during the DR event")
LOAD_BEFORE = m.declare("load_current_before_dr_a", unit="A",
                        description="load current the reference standard measures when the site acts on the event")
READINGS_STORED = m.declare("readings_stored", unit="count",
                            description="meter readings the platform's repository stored")


@pytest.fixture
def site() -> dict:
    """What the site controller knows: the load it runs and the resources' meters."""
    return {"meters": {}, "load_a": None, "load_w": None, "intervals": []}


@given(parsers.parse('a prosumer "{name}" at grid node "{node}" whose load "{resource}" of {kw:g} kW at {volts:g} V '
                     'is metered by the meter under test'))
def _(sut, site: dict, name: str, node: str, resource: str, kw: float, volts: float):
    require_ok(sut.register_participant({"participant_id": name, "role": "prosumer", "grid_node": node,
                                         "display_name": name.title()}), f"participant {name}")
    require_ok(sut.register_resource({"resource_id": resource, "owner_id": name, "kind": "load",
                                      "max_power_kw": kw, "voltage_v": volts, "meter_id": sut.meter_id}),
               f"resource {resource}")
    site["meters"][resource] = sut.meter_id


@given(parsers.parse('the platform signals DR event "{event_id}" to "{ven}" from {start} for {minutes:d} minutes '
                     'at level {level:d}'))
def _(sut, event_id: str, ven: str, start: str, minutes: int, level: int):
    require_ok(sut.create_dr_event({
        "event_id": event_id, "market_context": "http://market.example/dr", "dtstart": start,
        "intervals": [{"duration_s": minutes * 60, "value": level}], "signal_name": "SIMPLE",
        "ven_names": [ven]}), f"DR event {event_id}")


@given(parsers.parse('the load of "{name}" draws {kw:g} kW through the closed load relay'))
def _(sut, site: dict, name: str, kw: float):
    site["load_a"] = sut.run_load(kw * 1000)["current_a"]
    site["load_w"] = kw * 1000


@when(parsers.parse("the market time is {when}"))
def _(sut, market: MarketSession, when: str):
    sut.set_clock(datetime.fromisoformat(when))


@when(parsers.parse('the site acts on DR event "{event_id}" while it is active'))
def _(sut, site: dict, evidence: m.ScenarioEvidence, event_id: str):
    event = require_ok(sut.get_dr_event(event_id), f"DR event {event_id}")
    evidence.measure(DR_STATUS, event.get("status"), m.equals("active"), field="/status", subject=event_id)
    levels = [i.get("value", 0) for i in event.get("intervals", [])]
    start = datetime.fromisoformat(str(event.get("dtstart")).replace("Z", "+00:00"))
    site["event_window"] = (start, start + timedelta(seconds=sum(i.get("duration_s", 0) for i in event.get("intervals", []))))
    if max(levels, default=0) > 0:       # SIMPLE signal: any level above 0 sheds the load
        site["relay"] = sut.command_relay("open", site["load_a"])


@then("the reference standard shows the load current drop to zero within the rig's declared latency")
def _(site: dict, evidence: m.ScenarioEvidence):
    relay = site["relay"]
    evidence.measure(LOAD_BEFORE, round(relay["current_before_a"], 4),
                     m.within(relay["test_current_a"], 0.02 * relay["test_current_a"]),
                     field="/relay/current_a", subject="the load drawing when the site acted")
    evidence.measure(LOAD_AFTER, round(relay["current_after_a"], 4), at_most(0.02 * relay["test_current_a"]),
                     field="/relay/current_a", subject=f"{relay['current_before_a']:.2f} A before the event")
    latency = relay["latency_s"]
    evidence.measure(RELAY_LATENCY, latency if latency is not None else float("inf"),
                     at_most(relay["max_latency_s"]), field="/relay/latency_s", subject="DR event")


@when(parsers.parse('the meter under test records {count:d} intervals of {minutes:d} minutes from {start}, '
                    'submitted as import readings of "{resource}"'))
def _(sut, site: dict, evidence: m.ScenarioEvidence, count: int, minutes: int, start: str, resource: str):
    begin, step = datetime.fromisoformat(start), timedelta(minutes=minutes)
    batch = [{**sut.metered_interval(minutes * 60), "start": begin + i * step, "end": begin + (i + 1) * step}
             for i in range(count)]
    readings = [{"interval_start": r["start"].isoformat(), "interval_end": r["end"].isoformat(),
                 "energy_kwh": round(r["meter_kwh"], 6), "direction": "import", "quality": "actual"} for r in batch]
    site["intervals"] += batch                 # every interval the meter recorded, for later checks
    site.setdefault("submitted", []).extend(readings)
    stored = require_ok(sut.submit_readings(site["meters"][resource], readings), "the meter's readings")
    evidence.measure(READINGS_STORED, stored.get("stored"), m.equals(count), field="/stored", subject=resource)


@then(parsers.parse("the meter under test shows the drop: it registers under {share:g} % of the load's energy "
                    "in the event"))
def _(sut, site: dict, evidence: m.ScenarioEvidence, share: float):
    # A drop, not zero: a meter's creep at no load is HIL-METER-CREEP's business, not this chain's.
    begin, end = site["event_window"]
    in_event = [r for r in site["intervals"] if begin <= r["start"] and r["end"] <= end]
    if not in_event:
        raise HarnessError("the meter under test recorded no interval inside the DR event", code="feature-error")
    registered = sum(r["meter_kwh"] for r in in_event)
    standard = sum(r["standard_kwh"] for r in in_event)
    seconds = sum(r["duration_s"] for r in in_event)
    undisturbed_kwh = site["load_w"] * seconds / 3.6e6
    evidence.measure(METER_IN_EVENT, round(registered, 6), at_most(share / 100 * undisturbed_kwh),
                     field="/registers/1.8.0",
                     subject=f"{len(in_event)} intervals, {seconds:.0f} s on the standard's clock; the load "
                             f"would have drawn {undisturbed_kwh:.3f} kWh; the standard measured {standard:.6f} kWh")
