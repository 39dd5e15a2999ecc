"""Steps for the customer, distribution and operation domains (Y.2072 7.1, 7.2, 7.3): prosumer
sites and their schedules, the test clock that runs them, and what their meters, lines and
power-quality monitors show. Meter data is always read back through the operation domain's
data-on-request operation, asked for by the site's own customer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..errors import HarnessError
from .session import MarketSession, require_ok

METER_ENERGY = m.declare("metered_energy", unit="kWh", description="energy a meter recorded over a window")
METER_PEAK = m.declare("metered_peak_power", unit="kW", description="highest mean power of a metering interval")
READING_COUNT = m.declare("stored_readings", unit="count",
                          description="readings of the stated length stored for a meter over a window")
COLLECTIONS = m.declare("collection_times", unit=None, description="when the site's meters were collected")
SAFETY = m.declare("generator_safety_state", unit=None, description="a generator's safety state as monitored")
STORED = m.declare("storage_energy", unit="kWh", description="energy a storage unit holds")
STORAGE_STATE = m.declare("storage_state", unit=None, description="whether storage is charging, discharging or idle")
LOAD_MODE = m.declare("load_operation_mode", unit=None, description="a load's operation mode")
CAPACITY = m.declare("generation_capacity", unit="kW", description="capacity measured for a generator or storage unit")
LINE_FLOW = m.declare("line_flow", unit="kWh", description="energy into or out of the managed domain over a line")
LINE_STATE = m.declare("line_state", unit=None, description="a line's condition and feeder switch")
QUALITY = m.declare("power_quality_state", unit=None, description="power quality judged against the contract band")
QUALITY_BAND = m.declare("power_quality_band", unit="V", description="the voltage band the contract allows")
INSTALLED = m.declare("site_lookup_status", unit=None, description="status of an enquiry for a site")
DATA_READINGS = m.declare("requested_readings", unit="count", description="readings of a meter in a data answer")
DATA_ANSWERED = m.declare("data_request_status", unit=None, description="status of a request for measurement data")
LINE_IN_ANSWER = m.declare("line_status_in_answer", unit=None, description="line status given with the data")


@dataclass
class SiteBook:
    """Sites the scenario installed: who owns them and which meter belongs to which site."""
    owners: dict[str, str] = field(default_factory=dict)       # site -> customer
    meter_site: dict[str, str] = field(default_factory=dict)   # meter -> site
    tables: dict[str, list[dict]] = field(default_factory=dict)  # site -> resource rows
    answer: object = None                                      # the last data/forecast answer
    histories: dict = field(default_factory=dict)              # site -> generated history (site_history)


@pytest.fixture
def site_book() -> SiteBook:
    return SiteBook()


def domain(sut):
    """The SUT as a DomainSUT; a platform without the capability is a harness error."""
    if not hasattr(sut, "install_site"):
        raise HarnessError("the SUT does not implement harness.sut.domains.DomainSUT; claim a profile "
                           "without Y.2072 7.1-7.4", code="capability-missing")
    return sut


_NUMBERS = ("rated_kw", "capacity_kwh", "soc_kwh", "reduced_kw")


def _install(sut, book: SiteBook, datatable, **site) -> None:
    header, *rows = datatable
    resources = []
    for row in rows:
        cells = {k: v for k, v in zip(header, row) if v.strip()}
        res = {"resource_id": cells["resource"], "kind": cells["kind"], "meter_id": cells["meter"]}
        res.update({k: float(cells[k]) for k in _NUMBERS if k in cells})
        resources.append(res)
        book.meter_site[cells["meter"]] = site["site_id"]
    book.meter_site[site["site_meter_id"]] = site["site_id"]
    book.owners[site["site_id"]] = site["owner_id"]
    book.tables[site["site_id"]] = resources
    require_ok(domain(sut).install_site({**site, "resources": resources}), f"site {site['site_id']}")


_SITE = 'site "{site}" of "{owner}", served by "{provider}" on line "{line}", with utility meter "{meter}"'


def _site(site, owner, provider, line, meter, base):
    return dict(site_id=site, owner_id=owner, service_provider_id=provider, line_id=line,
                site_meter_id=meter, base_load_kw=base)


@given(parsers.parse(_SITE + " and a base load of {base:g} kW:"))
def _(sut, site_book, datatable, site, owner, provider, line, meter, base):
    _install(sut, site_book, datatable, **_site(site, owner, provider, line, meter, base))


@given(parsers.parse(_SITE + ", a base load of {base:g} kW and a peak limit of {limit:g} kW:"))
def _(sut, site_book, datatable, site, owner, provider, line, meter, base, limit):
    _install(sut, site_book, datatable, **_site(site, owner, provider, line, meter, base), peak_limit_kw=limit)


@given(parsers.parse(_SITE + ", a base load of {base:g} kW and a contracted voltage of {volts:g} V within {pct:g} %:"))
def _(sut, site_book, datatable, site, owner, provider, line, meter, base, volts, pct):
    _install(sut, site_book, datatable, **_site(site, owner, provider, line, meter, base),
             quality_terms={"nominal_v": volts, "tolerance_pct": pct})


@given(parsers.parse('an aggregator "{name}" at grid node "{node}"'))
def _(sut, name, node):
    require_ok(sut.register_participant({"participant_id": name, "role": "aggregator", "grid_node": node,
                                         "display_name": name}), f"aggregator {name}")


@when(parsers.parse('"{owner}" installs site "{site}" on line "{line}" with a resource "{resource}" of kind "{kind}"'))
def _(sut, market: MarketSession, owner, site, line, resource, kind):
    market.last = domain(sut).install_site({
        "site_id": site, "owner_id": owner, "line_id": line, "site_meter_id": f"M-{site}", "base_load_kw": 1.0,
        "resources": [{"resource_id": f"{resource}-ok", "kind": "load", "rated_kw": 2.0, "meter_id": f"M-{resource}-ok"},
                      {"resource_id": resource, "kind": kind, "rated_kw": 2.0, "meter_id": f"M-{resource}"}]})


@then(parsers.parse('site "{site}" is not installed'))
def _(sut, evidence, site):
    evidence.measure(INSTALLED, domain(sut).site_status(site).status, m.equals("not-found"), subject=site)


# -- the clock and the site's schedules ----------------------------------------------------------
@given(parsers.parse("the sites run until {clock}"))
@when(parsers.parse("the sites run until {clock}"))
def _(sut, market: MarketSession, clock):
    sut.set_clock(datetime.fromisoformat(market.at(clock)))
    require_ok(domain(sut).run_sites(), f"running the sites until {clock}")


def _slots(market, start, end, kw, mode=None):
    slot = {"start": market.at(start), "end": market.at(end), "power_kw": kw}
    if mode:
        slot["mode"] = mode
    return {"slots": [slot]}


@given(parsers.parse('"{owner}" schedules generator "{resource}" of site "{site}" at {kw:g} kW from {start} to {end}'))
@when(parsers.parse('"{owner}" schedules generator "{resource}" of site "{site}" at {kw:g} kW from {start} to {end}'))
def _(sut, market, owner, resource, site, kw, start, end):
    require_ok(domain(sut).set_resource_schedule(site, resource, {"requested_by": owner,
                                                                  **_slots(market, start, end, kw)}),
               f"schedule of {resource}")


@when(parsers.parse('"{owner}" asks generator "{resource}" of site "{site}" for {kw:g} kW from {start} to {end}'))
def _(sut, market, owner, resource, site, kw, start, end):
    market.last = domain(sut).set_resource_schedule(site, resource, {"requested_by": owner,
                                                                     **_slots(market, start, end, kw)})


@given(parsers.parse('"{owner}" schedules storage "{resource}" of site "{site}" to {mode} at {kw:g} kW from {start} to {end}'))
@when(parsers.parse('"{owner}" schedules storage "{resource}" of site "{site}" to {mode} at {kw:g} kW from {start} to {end}'))
def _(sut, market, owner, resource, site, mode, kw, start, end):
    require_ok(domain(sut).set_resource_schedule(site, resource, {"requested_by": owner,
                                                                  **_slots(market, start, end, kw, mode)}),
               f"schedule of {resource}")


@given(parsers.parse('the protection of generator "{resource}" at site "{site}" reports "{state}"'))
@when(parsers.parse('the protection of generator "{resource}" at site "{site}" reports "{state}"'))
def _(sut, resource, site, state):
    require_ok(domain(sut).report_resource_safety(site, resource, {"state": state}), f"safety report of {resource}")


# -- what the site shows (7.1) ---------------------------------------------------------------------
def _resource_status(sut, site: str, resource: str) -> tuple[dict, int]:
    status = require_ok(domain(sut).site_status(site), f"status of site {site}")
    for index, res in enumerate(status.get("resources", [])):
        if res.get("resource_id") == resource:
            return res, index
    raise HarnessError(f"site {site} does not report resource {resource}", code="precondition-failed",
                       field="/resources")


@then(parsers.parse('generator "{resource}" of site "{site}" shows safety state "{state}"'))
def _(sut, evidence, resource, site, state):
    res, i = _resource_status(sut, site, resource)
    evidence.measure(SAFETY, res.get("safety"), m.equals(state), field=f"/resources/{i}/safety", subject=resource)


@then(parsers.parse('storage "{resource}" of site "{site}" holds {kwh:g} kWh and is "{state}"'))
def _(sut, evidence, resource, site, kwh, state):
    res, i = _resource_status(sut, site, resource)
    evidence.measure(STORED, res.get("soc_kwh"), m.within(kwh, 1e-3), field=f"/resources/{i}/soc_kwh", subject=resource)
    evidence.measure(STORAGE_STATE, res.get("state"), m.equals(state), field=f"/resources/{i}/state", subject=resource)


@then(parsers.parse('load "{resource}" of site "{site}" is in mode "{mode}"'))
def _(sut, evidence, resource, site, mode):
    res, i = _resource_status(sut, site, resource)
    evidence.measure(LOAD_MODE, res.get("mode"), m.equals(mode), field=f"/resources/{i}/mode", subject=resource)


@then(parsers.parse('{kind} "{resource}" of site "{site}" shows a capacity of {kw:g} kW'))
def _(sut, evidence, kind, resource, site, kw):
    res, i = _resource_status(sut, site, resource)
    evidence.measure(CAPACITY, res.get("capacity_kw"), m.within(kw, 1e-3), field=f"/resources/{i}/capacity_kw",
                     subject=f"{kind} {resource}")


# -- meter data (7.1, 7.3) -------------------------------------------------------------------------
def _meter_rows(sut, market, book: SiteBook, meter: str, start: str, end: str, requester: str | None = None):
    site = book.meter_site.get(meter)
    if site is None:
        raise HarnessError(f"meter {meter} belongs to no site of this scenario", code="feature-error")
    answer = require_ok(domain(sut).measurement_data(site, requester or book.owners[site], market.at(start),
                                                     market.at(end)), f"data of site {site}")
    return [r for r in answer.get("readings", []) if r.get("meter_id") == meter]


@then(parsers.parse('meter "{meter}" shows {direction} of {kwh:g} kWh from {start} to {end}'))
def _(sut, market, site_book, evidence, meter, direction, kwh, start, end):
    rows = _meter_rows(sut, market, site_book, meter, start, end)
    total = round(sum(r["energy_kwh"] for r in rows if r.get("direction") == direction), 6)
    evidence.measure(METER_ENERGY, total, m.within(kwh, 1e-3), field="/readings", subject=f"{meter} {direction}")


@then(parsers.parse('meter "{meter}" never shows more than {kw:g} kW of import from {start} to {end}'))
def _(sut, market, site_book, evidence, meter, kw, start, end):
    rows = [r for r in _meter_rows(sut, market, site_book, meter, start, end) if r.get("direction") == "import"]
    if not rows:
        raise HarnessError(f"meter {meter} has no import readings from {start} to {end}", code="precondition-failed")
    peak = max(r["energy_kwh"] / ((datetime.fromisoformat(r["interval_end"]) - datetime.fromisoformat(r["interval_start"]))
                                  / timedelta(hours=1)) for r in rows)
    evidence.measure(METER_PEAK, round(peak, 6), m.Validator(f"<= {kw:g}", lambda v: v <= kw + 1e-6),
                     field="/readings", subject=meter)


@then(parsers.parse('meter "{meter}" holds {count:d} {direction} readings of {minutes:d} minutes from {start} to {end}'))
def _(sut, market, site_book, evidence, meter, count, direction, minutes, start, end):
    rows = [r for r in _meter_rows(sut, market, site_book, meter, start, end) if r.get("direction") == direction
            and datetime.fromisoformat(r["interval_end"]) - datetime.fromisoformat(r["interval_start"])
            == timedelta(minutes=minutes)]
    evidence.measure(READING_COUNT, len(rows), m.equals(count), field="/readings", subject=f"{meter} {direction}")


@when(parsers.parse('meter "{meter}" sends an import reading of {kwh:g} kWh from {a} to {b} and one from {c} to {d}'))
def _(sut, market, meter, kwh, a, b, c, d):
    market.last = sut.submit_readings(meter, [
        {"interval_start": market.at(x), "interval_end": market.at(y), "energy_kwh": kwh, "direction": "import"}
        for x, y in ((a, b), (c, d))])


@then(parsers.parse('site "{site}" had its meters collected at {times}'))
def _(sut, market, evidence, site, times):
    expected = [market.at(t.strip()) for t in times.replace(" and ", ", ").split(",")]
    log = require_ok(domain(sut).collection_log(site), f"collection log of {site}")
    shown = sorted(datetime.fromisoformat(c["collected_at"]) for c in log)
    evidence.measure(COLLECTIONS, [t.isoformat() for t in shown],
                     m.equals([datetime.fromisoformat(t).isoformat() for t in expected]), field="/collections", subject=site)


@when(parsers.parse('"{requester}" requests the measurement data of site "{site}" from {start} to {end}'))
def _(sut, market, site_book, requester, site, start, end):
    market.last = domain(sut).measurement_data(site, requester, market.at(start), market.at(end))


@then(parsers.parse('the answer holds {direction} readings of meter "{meter}" totalling {kwh:g} kWh'))
def _(market, evidence, direction, meter, kwh):
    evidence.measure(DATA_ANSWERED, market.last.status, m.equals("ok"), subject=meter)
    answer = market.last.body
    rows = [r for r in answer.get("readings", []) if r.get("meter_id") == meter and r.get("direction") == direction]
    evidence.measure(DATA_READINGS, len(rows), m.at_least(1), field="/readings", subject=meter)
    evidence.measure(METER_ENERGY, round(sum(r["energy_kwh"] for r in rows), 6), m.within(kwh, 1e-3),
                     field="/readings", subject=meter)


@then(parsers.parse('the answer shows line "{line}" with condition "{condition}"'))
def _(market, evidence, line, condition):
    evidence.measure(DATA_ANSWERED, market.last.status, m.equals("ok"), subject=line)
    shown = market.last.body.get("line_status") or {}
    evidence.measure(LINE_IN_ANSWER, (shown.get("line_id"), shown.get("condition")), m.equals((line, condition)),
                     field="/line_status")


# -- power quality (7.3-02) ------------------------------------------------------------------------
@when(parsers.parse("the site's voltage monitor reports {volts:g} V at site \"{site}\""))
def _(sut, volts, site):
    require_ok(domain(sut).report_voltage(site, {"voltage_v": volts}), f"voltage report of {site}")


@then(parsers.parse('site "{site}" shows power quality "{state}" against a band of {low:g} V to {high:g} V'))
def _(sut, evidence, site, state, low, high):
    quality = require_ok(domain(sut).power_quality(site), f"power quality of {site}")
    band = quality.get("band_v") or [None, None]
    evidence.measure(QUALITY_BAND, band[0], m.within(low, 1e-3), field="/band_v/0", subject=site)
    evidence.measure(QUALITY_BAND, band[1], m.within(high, 1e-3), field="/band_v/1", subject=site)
    evidence.measure(QUALITY, quality.get("state"), m.equals(state), field="/state", subject=site)


# -- distribution lines (7.2) ----------------------------------------------------------------------
@then(parsers.parse('line "{line}" carried {kwh_in:g} kWh in and {kwh_out:g} kWh out from {start} to {end}'))
def _(sut, market, evidence, line, kwh_in, kwh_out, start, end):
    flow = require_ok(domain(sut).line_flow(line, market.at(start), market.at(end)), f"flow on line {line}")
    evidence.measure(LINE_FLOW, flow.get("import_kwh"), m.within(kwh_in, 1e-3), field="/import_kwh", subject=f"{line} in")
    evidence.measure(LINE_FLOW, flow.get("export_kwh"), m.within(kwh_out, 1e-3), field="/export_kwh", subject=f"{line} out")


@when(parsers.parse('the flow on line "{line}" is asked for from {start} to {end}'))
def _(sut, market, line, start, end):
    market.last = domain(sut).line_flow(line, market.at(start), market.at(end))


@when(parsers.parse('the protection of line "{line}" reports "{condition}"'))
def _(sut, market, line, condition):
    market.last = domain(sut).report_line_condition(line, {"condition": condition})


@then(parsers.parse('line "{line}" shows condition "{condition}" with its feeder switch "{switch}"'))
def _(sut, evidence, line, condition, switch):
    status = require_ok(domain(sut).line_status(line), f"status of line {line}")
    evidence.measure(LINE_STATE, (status.get("condition"), status.get("switch")), m.equals((condition, switch)),
                     field="/switch", subject=line)
