"""The prosumer site model (core/site.py): parsing with named fields, and one interval at a time."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reference_impl.core import site as st
from reference_impl.core.errors import Rejected

NOW = datetime(2026, 6, 1, 8, 7, tzinfo=timezone.utc)


def _site(**extra):
    raw = {"site_id": "S1", "owner_id": "alice", "line_id": "L1", "site_meter_id": "M-S1", "base_load_kw": 2.0,
           "resources": [{"resource_id": "pv", "kind": "generator", "rated_kw": 5.0, "meter_id": "M-PV"},
                         {"resource_id": "bat", "kind": "storage", "rated_kw": 3.0, "capacity_kwh": 5.0,
                          "soc_kwh": 1.0, "meter_id": "M-B"},
                         {"resource_id": "hp", "kind": "load", "rated_kw": 6.0, "reduced_kw": 2.0, "meter_id": "M-HP"}]}
    raw.update(extra)
    return st.parse_site(raw, NOW)


def _slot(h1, h2, kw, mode=None):
    slot = {"start": f"2026-06-01T{h1}:00+00:00", "end": f"2026-06-01T{h2}:00+00:00", "power_kw": kw}
    return slot | ({"mode": mode} if mode else {})


def test_site_starts_at_the_current_interval():
    site = _site()
    assert site["stepped_to"] == "2026-06-01T08:00:00+00:00"
    assert site["quality_terms"] == {"nominal_v": 230.0, "tolerance_pct": 10.0}


@pytest.mark.parametrize("change, pointer", [
    ({"kind": "windmill"}, "/resources/1/kind"),
    ({"soc_kwh": 9.0}, "/resources/1/soc_kwh"),
    ({"rated_kw": -3.0}, "/resources/1/rated_kw"),
    ({"meter_id": "M-PV"}, "/resources/1/meter_id"),
])
def test_bad_resources_are_refused_naming_the_field(change, pointer):
    raw = _site()
    resources = [{"resource_id": "pv", "kind": "generator", "rated_kw": 5.0, "meter_id": "M-PV"},
                 {"resource_id": "bat", "kind": "storage", "rated_kw": 3.0, "capacity_kwh": 5.0, "soc_kwh": 1.0,
                  "meter_id": "M-B", **change}]
    with pytest.raises(Rejected) as refused:
        st.parse_site({**{k: raw[k] for k in ("site_id", "owner_id", "line_id", "site_meter_id", "base_load_kw")},
                       "resources": resources}, NOW)
    assert refused.value.errors[0].field == pointer


def test_step_follows_schedules_and_meters_every_resource():
    site = _site()
    pv, bat, _ = site["resources"]
    pv["schedule"] = st.parse_slots([_slot("08:00", "09:00", 3.0)], "generator", 5.0)
    bat["schedule"] = st.parse_slots([_slot("08:00", "09:00", 2.0, "charge")], "storage", 3.0)
    after, readings = st.step(site, isolated=False)
    assert after["stepped_to"] == "2026-06-01T08:15:00+00:00"
    assert readings["M-PV"] == {"import": 0.0, "export": 0.75}
    assert readings["M-B"] == {"import": 0.5, "export": 0.0}
    assert readings["M-HP"] == {"import": 1.5, "export": 0.0}
    # 2 base + 6 load - 3 generation + 2 charging = 7 kW for a quarter hour
    assert readings["M-S1"] == {"import": 1.75, "export": 0.0}
    assert after["resources"][1]["soc_kwh"] == 1.5
    assert site["stepped_to"] == "2026-06-01T08:00:00+00:00", "step must not change its argument"


def test_generator_in_fault_and_isolated_site_produce_nothing():
    site = _site()
    site["resources"][0]["schedule"] = st.parse_slots([_slot("08:00", "09:00", 3.0)], "generator", 5.0)
    site["resources"][0]["safety"] = "fault"
    _, readings = st.step(site, isolated=False)
    assert readings["M-PV"]["export"] == 0.0
    _, readings = st.step(_site(), isolated=True)
    assert readings["M-S1"] == {"import": 0.0, "export": 0.0}


def test_storage_never_discharges_below_empty():
    site = _site()
    site["resources"][1]["schedule"] = st.parse_slots([_slot("08:00", "10:00", 3.0, "discharge")], "storage", 3.0)
    exported = 0.0
    for _ in range(8):
        site, readings = st.step(site, isolated=False)
        exported += readings["M-B"]["export"]
    assert exported == pytest.approx(1.0)
    assert site["resources"][1]["soc_kwh"] == 0.0 and site["resources"][1]["state"] == "idle"


def test_peak_limit_switches_heavy_load_to_reduced_mode():
    site, readings = st.step(_site(peak_limit_kw=7.0), isolated=False)
    assert site["resources"][2]["mode"] == "reduced"
    assert readings["M-S1"]["import"] == pytest.approx(1.0)  # (2 + 2) kW for a quarter hour


def test_dr_event_uses_loads_then_storage():
    site = _site()
    site["dr_events"] = [{"start": "2026-06-01T08:00:00+00:00", "end": "2026-06-01T09:00:00+00:00",
                          "event_id": "E", "target_kw": 5.0, "power_kw": 0.0}]
    site, readings = st.step(site, isolated=False)
    assert site["resources"][2]["mode"] == "reduced" and site["resources"][1]["power_kw"] == 1.0
    assert readings["M-S1"]["import"] == pytest.approx(0.75)  # 8 kW baseline - 5 kW = 3 kW


def test_capacity_follows_state_of_charge_and_safety():
    site = _site()
    bat = {**site["resources"][1], "soc_kwh": 0.25}
    assert st.storage_capacity_kw(bat) == 1.0
    assert st.generator_capacity_kw({**site["resources"][0], "safety": "fault"}) == 0.0


def test_slots_beyond_rating_or_backwards_are_refused():
    with pytest.raises(Rejected) as refused:
        st.parse_slots([_slot("08:00", "09:00", 9.0)], "generator", 5.0)
    assert refused.value.errors[0].field == "/slots/0/power_kw"
    with pytest.raises(Rejected) as refused:
        st.parse_slots([_slot("09:00", "08:00", 1.0)], "generator", 5.0)
    assert refused.value.errors[0].field == "/slots/0/end"
