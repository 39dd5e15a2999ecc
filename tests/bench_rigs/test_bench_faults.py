"""`harness bench` end to end on the simulated rig: an in-class meter passes every HIL
requirement; each simulated fault fails exactly the requirement it breaks (and an instrument
timeout is an error, not a finding). A check that cannot fail is worth nothing.

Every run is a real `harness bench` subprocess with its own simulator; they are started together
(a few at a time) when the module's first test asks, and each test waits only for its own."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

RIG = Path(__file__).resolve().parents[2] / "bench_rigs" / "rigs" / "simulated.yaml"
HIL = {"HIL-METER-ACCURACY", "HIL-METER-STARTING", "HIL-METER-CREEP", "HIL-READOUT-INTEGRITY", "HIL-RELAY-SWITCH",
       "HIL-SIGNAL-TO-BILL"}


def bench(tmp_path: Path, env: dict | None = None, **changes) -> tuple[int, dict, Path, str]:
    """Run `harness bench` on the simulated rig with the simulator (or rig) entries changed."""
    document = copy.deepcopy(yaml.safe_load(RIG.read_text()))
    for path, value in changes.items():
        node = document
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        node[last] = value
    rig = tmp_path / "rig.yaml"
    rig.write_text(yaml.safe_dump(document))
    reports = tmp_path / "reports"
    done = subprocess.run([sys.executable, "-m", "harness.cli", "bench", "--rig", str(rig), "--report-dir",
                           str(reports), "-q"], capture_output=True, text=True, timeout=180,
                          env=env if env is not None else dict(os.environ))
    record = json.loads((reports / "conformance.json").read_text()) if (reports / "conformance.json").exists() else {}
    return done.returncode, record, reports, done.stdout + done.stderr


def _instruments_modbus_and_switch() -> dict:
    instruments = yaml.safe_load(RIG.read_text())["instruments"]
    instruments["meter"] = {"driver": "modbus-rtu", "port": "{sim}/modbus", "device_id": 1, "baud": 9600,
                            "registers": {"1.8.0": 72, "2.8.0": 74}}
    instruments["relay"] = {"driver": "scpi-switch", "resource": "ASRL{sim}/switch::INSTR", "visa_library": "@py"}
    return instruments


def _long_first_point() -> list:
    points = yaml.safe_load(RIG.read_text())["test_points"]
    points[0]["energy_kwh"] = 500.0          # far more than the rig's timeout lets the standard count
    return points


FAULTS = [
    ("out-of-class meter (+2.5 %)", {"simulator__meter__error_pct": 2.5}, {"HIL-METER-ACCURACY"}),
    ("creeping meter (5 W at no load)", {"simulator__meter__creep_w": 5.0}, {"HIL-METER-CREEP"}),
    ("meter deaf below 0.05 A", {"simulator__meter__starting_current_a": 0.05}, {"HIL-METER-STARTING"}),
    # a welded or slow contact also keeps the DR event's load on: no reduction to credit
    ("welded relay contact", {"simulator__relays": {"1": {"stuck": "closed", "initial": "closed"}}},
     {"HIL-RELAY-SWITCH", "HIL-SIGNAL-TO-BILL"}),
    ("slow relay (0.5 s)", {"simulator__relays": {"1": {"latency_s": 0.5}}},
     {"HIL-RELAY-SWITCH", "HIL-SIGNAL-TO-BILL"}),
]
VARIANTS = {
    "sound": {},
    **{name: changes for name, changes, _ in FAULTS},
    "corrupted bcc": {"simulator__meter__corrupt_bcc": True},
    "timeout": {"test_points": _long_first_point(), "timeout_s": 0.5},
    "bad rig": {"safe_limits": {"max_voltage_v": 265, "max_current_a": 30}},
    "modbus and switch": {"instruments": _instruments_modbus_and_switch()},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """name -> future of (exit code, record, report dir, output) for every variant."""
    pool = ThreadPoolExecutor(max_workers=3)
    futures = {}
    # The environment is copied here, once: copying os.environ in a worker thread races with
    # tests that monkeypatch it meanwhile (a KeyError from os.environ's iteration).
    env = dict(os.environ)
    for name, changes in VARIANTS.items():
        directory = tmp_path_factory.mktemp("bench")
        futures[name] = pool.submit(bench, directory, env, **changes)
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)


def verdicts(record: dict) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in record["requirements"] if r["id"] in HIL}


def test_an_in_class_meter_on_a_sound_rig_passes_everything(runs):
    code, record, reports, output = runs["sound"].result()
    assert code == 0, output
    assert verdicts(record) == dict.fromkeys(HIL, "pass")
    section = record["bench"]
    assert section["instruments"]["standard"]["identity"] == "SIMLAB,PWR-STD-3,SN0001,1.0"
    assert section["instruments"]["standard"]["address"].startswith("ASRL/")
    assert section["instruments"]["standard"]["calibration"]["certificate"].startswith("SIM-CAL")
    assert [p["test_point"] for p in section["test_points"]] == ["Imin", "Itr", "10 Itr", "10 Itr PF 0.5i",
                                                                  "10 Itr PF 0.8c", "Imax"]
    assert all(abs(p["error_pct"] - 0.4) < 0.35 for p in section["test_points"])
    assert (reports / "meter-error.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (reports / "meter-error.svg").stat().st_size > 0
    html = (reports / "conformance.html").read_text()
    assert 'src="meter-error.png"' in html and "SIM-METER-0001" in html
    wire = [json.loads(line) for log in (reports / "wire").glob("*.jsonl") for line in log.read_text().splitlines()]
    assert {"run_test_point", "switch_relay", "meter_readout"} <= {e.get("operation") for e in wire}


@pytest.mark.parametrize("fault, broken", [(name, broken) for name, _, broken in FAULTS])
def test_each_fault_fails_exactly_its_requirement(runs, fault, broken):
    code, record, _, output = runs[fault].result()
    assert code == 1, output
    assert verdicts(record) == {**dict.fromkeys(HIL, "pass"), **dict.fromkeys(broken, "fail")}, fault
    failing = [s for r in record["requirements"] if r["id"] in broken for s in r["scenarios"] if s["outcome"] == "fail"]
    assert failing and all(any(m["outcome"] == "fail" for m in s["measurements"]) for s in failing)


def test_a_corrupted_readout_fails_readout_integrity_and_nothing_else(runs):
    code, record, _, output = runs["corrupted bcc"].result()
    assert code == 1, output
    found = verdicts(record)
    assert found["HIL-READOUT-INTEGRITY"] == "fail"
    assert [rid for rid, v in found.items() if v == "fail"] == ["HIL-READOUT-INTEGRITY"]
    # readings that fail their BCC cannot be compared: the meter checks are errors, not findings
    assert {found[r] for r in ("HIL-METER-ACCURACY", "HIL-METER-STARTING", "HIL-METER-CREEP")} == {"error"}
    readout = next(r for r in record["requirements"] if r["id"] == "HIL-READOUT-INTEGRITY")
    assert "bcc-mismatch" in readout["scenarios"][0]["message"] or "block check" in readout["scenarios"][0]["message"]


def test_an_instrument_timeout_is_an_error_not_a_finding(runs):
    code, record, _, output = runs["timeout"].result()
    assert code == 1, output
    found = verdicts(record)
    assert found["HIL-METER-ACCURACY"] == "error"
    assert "fail" not in found.values()
    message = next(r for r in record["requirements"] if r["id"] == "HIL-METER-ACCURACY")["scenarios"][0]["message"]
    assert "timed out" in message


def test_a_bad_rig_stops_before_any_scenario_naming_the_field(runs):
    code, record, _, output = runs["bad rig"].result()
    assert code == 2 and not record
    assert "/test_points/5/current_a" in output


def test_the_other_drivers_on_the_same_bench(runs):
    """A Modbus RTU meter and a SCPI switch unit in place of the optical port and the relay
    board: same features, same simulated circuit, only the rig's instrument entries differ."""
    code, record, _, output = runs["modbus and switch"].result()
    found = verdicts(record)
    assert {rid: found[rid] for rid in HIL - {"HIL-READOUT-INTEGRITY"}} == dict.fromkeys(
        HIL - {"HIL-READOUT-INTEGRITY"}, "pass"), output
    # a Modbus meter has no IEC 62056-21 data message to judge: the harness says so (error), never "pass"
    assert found["HIL-READOUT-INTEGRITY"] == "error" and code == 1
    assert record["bench"]["instruments"]["relay"]["identity"] == "SIMLAB,SW-16,SN0003,1.4"
    assert record["bench"]["instruments"]["meter"]["driver"] == "modbus-rtu"



def test_a_bench_run_seals_its_reports_as_evidence(runs):
    from harness import evidence
    code, _, reports, output = runs["sound"].result()
    assert code == 0, output
    result = evidence.verify(reports)
    assert result.ok and result.artefacts_checked > 3, result.problems
    listed = {e["path"] for e in json.loads((reports / evidence.MANIFEST).read_text())["artefacts"]}
    assert {"meter-error.png", "conformance.json", "junit.xml"} <= listed


def _signal_to_bill(record: dict) -> dict:
    requirement = next(r for r in record["requirements"] if r["id"] == "HIL-SIGNAL-TO-BILL")
    return requirement["scenarios"][0]


def test_the_signed_bill_carries_the_metered_dr_credit_on_a_sound_rig(runs):
    code, record, _, output = runs["sound"].result()
    scenario = _signal_to_bill(record)
    assert scenario["outcome"] == "pass", output
    measured = {(m["name"], m["subject"]): m["value"] for m in scenario["measurements"]}
    by_name = {}
    for (name, _), value in measured.items():
        by_name.setdefault(name, []).append(value)
    assert by_name["bill_signature_valid"] == ["valid"] and by_name["bill_schema_valid"] == ["valid"]
    assert by_name["bill_metered_intervals"] == [96]
    assert by_name["bill_dr_credit_eur"] == ["0.41", "0.41", "0.41"]
    # the day's energy is what the meter measured: about 23 h of a 5 kW load, none in the event hour
    assert 110 < by_name["bill_metered_energy_kwh"][0] < 140


def test_a_welded_relay_leaves_a_penalty_on_the_bill_not_the_credit(runs):
    code, record, _, output = runs["welded relay contact"].result()
    scenario = _signal_to_bill(record)
    assert scenario["outcome"] == "fail", output
    failing = [m for m in scenario["measurements"] if m["outcome"] == "fail"]
    assert [m["name"] for m in failing] == ["bill_dr_credit_eur"]
    credit = failing[0]["value"]
    assert float(credit) <= 0, credit           # no reduction delivered: no credit, a shortfall penalty
    # the bill is genuine and carries the settlement faithfully; what it carries is the penalty
    passed = {m["name"] for m in scenario["measurements"] if m["outcome"] == "pass"}
    assert {"bill_signature_valid", "bill_schema_valid", "bill_metered_intervals"} <= passed
    assert [m["value"] for m in scenario["measurements"] if m["name"] == "bill_dr_credit_eur"][:2] == [credit, credit]
