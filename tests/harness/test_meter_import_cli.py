"""`harness meter import`: a meter-data file into a broker database, all or nothing."""
from __future__ import annotations

from datetime import datetime, timezone

from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock

HEADER = "meter_id,interval_start,interval_end,energy_kwh,direction,quality\n"


def _database(path):
    repo = SqliteRepository(path)
    broker = ReferenceBroker(repo, SettableClock(datetime(2026, 6, 1, tzinfo=timezone.utc)))
    broker.register_participant({"participant_id": "alice", "role": "prosumer", "grid_node": "N1"})
    broker.register_resource({"resource_id": "pv-1", "owner_id": "alice", "kind": "generator",
                              "max_power_kw": 5.0, "voltage_v": 230.0, "meter_id": "M-A1"})
    repo.close()


def _rows(meter="M-A1", energy=("0.25", "0.30", "0.20")):
    return "".join(f"{meter},2026-06-01T10:{15 * i:02d}:00Z,2026-06-01T10:{15 * i + 15:02d}:00Z,{e},export,actual\n"
                   .replace("10:60:00Z", "11:00:00Z") for i, e in enumerate(energy))


def _held(path):
    repo = SqliteRepository(path)
    try:
        return repo.readings(["M-A1"])
    finally:
        repo.close()


def test_a_file_is_imported_and_reported(harness_cli, tmp_path):
    db = tmp_path / "broker.sqlite3"
    _database(db)
    csv = tmp_path / "meters.csv"
    csv.write_text(HEADER + _rows())
    run = harness_cli("meter", "import", str(csv), "--db", str(db))
    assert run.exit_code == 0, run.output
    assert "imported 3 rows for 1 meters (M-A1), 15-minute intervals" in run.output
    assert [r["energy_kwh"] for r in _held(db)] == [0.25, 0.30, 0.20]


def test_a_bad_row_stores_nothing_and_names_the_row(harness_cli, tmp_path):
    db = tmp_path / "broker.sqlite3"
    _database(db)
    csv = tmp_path / "meters.csv"
    csv.write_text(HEADER + _rows(energy=("0.25", "lots", "0.20")))
    run = harness_cli("meter", "import", str(csv), "--db", str(db))
    assert run.exit_code == 1
    assert "row 3, column energy_kwh" in run.output and "nothing from" in run.output
    assert _held(db) == []


def test_an_unknown_meter_is_refused_by_the_broker(harness_cli, tmp_path):
    db = tmp_path / "broker.sqlite3"
    _database(db)
    csv = tmp_path / "meters.csv"
    csv.write_text(HEADER + _rows(meter="M-ZZ"))
    run = harness_cli("meter", "import", str(csv), "--db", str(db))
    assert run.exit_code == 1 and "unknown-meter" in run.output
    missing = harness_cli("meter", "import", str(csv), "--db", str(tmp_path / "none.sqlite3"))
    assert missing.exit_code == 2 and "--db" in missing.output
