"""Rig files: the simulated rig loads; every invalid entry is refused naming its field."""
import copy
from pathlib import Path

import pytest
import yaml

from bench_rigs.errors import RigError
from bench_rigs.rig import load_rig, parse_rig

RIGS = Path(__file__).resolve().parents[2] / "bench_rigs" / "rigs"


@pytest.fixture
def document():
    return yaml.safe_load((RIGS / "simulated.yaml").read_text())


def test_the_simulated_rig_loads():
    rig = load_rig(RIGS / "simulated.yaml")
    assert rig.meter.standard == "MID" and rig.meter.accuracy_class == "B"
    limits = {p.name: p.limit.mpe_pct for p in rig.test_points}
    assert limits["Imin"] == 2.0 and limits["Imax"] == 2.0
    assert rig.simulator["seed"] == 20260601 and rig.relay_safe_state == "open"
    assert rig.instruments["meter"].driver == "iec62056-21"


def edit(document, path: str, value):
    changed = copy.deepcopy(document)
    node = changed
    *parents, last = path.split("/")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return changed


@pytest.mark.parametrize("path, value, field, code", [
    ("meter/imin_a", KeyError, "/meter/imin_a", "missing-field"),
    ("meter/accuracy_class", "Z", "/meter/accuracy_class", "bad-value"),
    ("meter/itr_a", 0.1, "/meter/itr_a", "bad-value"),
    ("test_points/0/current_a", 0.1, "/test_points/0/current_a", "outside-class-table"),
    ("test_points/5/current_a", 80, "/test_points/5/current_a", "beyond-safe-limit"),
    ("test_points/2/power_factor", 0.3, "/test_points/2/power_factor", "bad-value"),
    ("test_points/1/energy_kwh", 0.01, "/test_points/1/energy_kwh", "bad-value"),
    ("test_points/1/energy_kwh", "lots", "/test_points/1/energy_kwh", "bad-type"),
    ("instruments/meter/driver", "dlms", "/instruments/meter/driver", "bad-value"),
    ("instruments/relay/port", KeyError, "/instruments/relay/port", "missing-field"),
    ("simulator", KeyError, "/instruments/standard/resource", "bad-value"),
    ("creep/voltage_factor", 1.3, "/creep/voltage_factor", "beyond-safe-limit"),
    ("relay/safe_state", "ajar", "/relay/safe_state", "bad-value"),
    ("relay/test_current_a", 100, "/relay/test_current_a", "beyond-safe-limit"),
    ("safe_limits/max_voltage_v", 200, "/meter/reference_voltage_v", "beyond-safe-limit"),
])
def test_invalid_entries_are_named(document, path, value, field, code):
    with pytest.raises(RigError) as caught:
        parse_rig(edit(document, path, value), RIGS / "x.yaml")
    assert (caught.value.field, caught.value.code) == (field, code)


def test_duplicate_test_points_and_bad_files(document, tmp_path):
    doubled = edit(document, "test_points/1/name", "Imin")
    with pytest.raises(RigError) as caught:
        parse_rig(doubled, tmp_path / "x.yaml")
    assert caught.value.field == "/test_points" and caught.value.actual == ["Imin"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("meter: [unclosed")
    with pytest.raises(RigError) as caught:
        load_rig(broken)
    assert caught.value.code == "rig-not-yaml"
    with pytest.raises(RigError) as caught:
        load_rig(tmp_path / "missing.yaml")
    assert caught.value.field == "--rig"


def test_an_iec_meter_needs_ib(document):
    iec = edit(document, "meter/standard", "IEC62053-21")
    iec["meter"]["accuracy_class"] = 1
    with pytest.raises(RigError) as caught:
        parse_rig(iec, RIGS / "x.yaml")
    assert caught.value.field == "/meter/ib_a"
    iec["meter"]["ib_a"] = 5
    rig = parse_rig(iec, RIGS / "x.yaml")
    assert {p.name: p.limit.mpe_pct for p in rig.test_points}["Itr"] == 1.0   # 0.1 Ib <= I


@pytest.mark.parametrize("simulator, message", [
    ({"meter": {"error_pct": 1.0, "flux_capacitor": True}}, "flux_capacitor"),
    ({"relays": {"1": {"stuck": "sideways"}}}, "stuck"),
    ({"time_scale": 0}, "time_scale"),
    ({"meter": [1, 2]}, "mapping"),
])
def test_a_bad_simulator_section_is_refused_with_the_rig(document, simulator, message):
    with pytest.raises(RigError) as caught:
        parse_rig(edit(document, "simulator", simulator), RIGS / "x.yaml")
    assert caught.value.field.startswith("/simulator") and message in str(caught.value)


def test_the_example_lab_rig_validates_without_hardware():
    rig = load_rig(RIGS / "example-lab.yaml")
    assert rig.simulator is None and rig.meter.standard == "IEC62053-21"
    assert {p.name: p.limit.mpe_pct for p in rig.test_points} == {
        "0.05 Ib": 1.5, "0.1 Ib": 1.0, "Ib": 1.0, "Ib PF 0.5i": 1.0, "Ib PF 0.8c": 1.0, "Imax": 1.0}
