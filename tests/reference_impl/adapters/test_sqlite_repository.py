"""The loopback test of the SQLite storage adapter, on a real file: WAL mode, round trips,
all-or-nothing transactions and durability across reopening (Y.2072 9.5)."""
from __future__ import annotations

import sqlite3

import pytest

from reference_impl.adapters.sqlite_repository import SqliteRepository


def participant(pid: str) -> dict:
    return {"participant_id": pid, "role": "prosumer", "grid_node": "N1", "display_name": pid.title()}


def resource(rid: str, owner: str, meter: str) -> dict:
    return {"resource_id": rid, "owner_id": owner, "kind": "generator", "max_power_kw": 5.0,
            "voltage_v": 230.0, "meter_id": meter}


def reading(start: str, kwh: float) -> dict:
    return {"meter_id": "M1", "interval_start": start, "interval_end": "later", "energy_kwh": kwh,
            "direction": "export", "quality": "actual"}


LEDGER_ENTRY = {"seq": 1, "recorded_at": "t", "prev_hash": "0" * 64, "payload": {"kind": "trade"},
                "entry_hash": "a" * 64}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "market.db"


@pytest.fixture
def repo(db_path):
    repository = SqliteRepository(db_path)
    yield repository
    repository.close()


def test_file_is_in_wal_mode(repo, db_path):
    assert db_path.is_file()
    probe = sqlite3.connect(db_path)
    try:
        assert probe.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        probe.close()


def test_put_get_find_round_trip(repo):
    with repo.transaction():
        repo.put("participants", participant("alice"))
        repo.put("resources", resource("PV1", "alice", "M1"))
        repo.put("resources", resource("PV2", "bob", "M2"))
        repo.put("resources", resource("BAT1", "alice", "M3"))
    assert repo.get("participants", "alice") == participant("alice")
    assert repo.get("participants", "nobody") is None
    assert [r["resource_id"] for r in repo.find("resources", owner_id="alice")] == ["PV1", "BAT1"]
    assert [r["resource_id"] for r in repo.find("resources", owner_id="alice", meter_id="M3")] == ["BAT1"]
    assert len(repo.find("resources")) == 3


def test_put_replaces_a_record_with_the_same_key(repo):
    repo.put("participants", participant("alice"))
    repo.put("participants", {**participant("alice"), "grid_node": "N7"})
    assert repo.get("participants", "alice")["grid_node"] == "N7"
    assert len(repo.find("participants")) == 1


def test_find_on_an_unindexed_column_is_refused(repo):
    with pytest.raises(ValueError, match="grid_node"):
        repo.find("participants", grid_node="N1")


def test_readings_and_ledger_round_trip(repo):
    repo.put_reading(reading("12:00", 4.0))
    repo.append_ledger(LEDGER_ENTRY)
    assert repo.reading("M1", "12:00", "export") == reading("12:00", 4.0)
    assert repo.reading("M1", "12:00", "import") is None
    assert repo.readings(["M1", "M9"]) == [reading("12:00", 4.0)]
    assert repo.ledger() == [LEDGER_ENTRY]


def test_readings_around_a_span_are_the_ones_inside_and_the_last_before(repo):
    for start in ("2026-06-01T08:00:00+00:00", "2026-06-01T09:00:00+00:00", "2026-06-01T10:00:00+00:00",
                  "2026-06-01T10:00:00.500000+00:00", "2026-06-01T11:00:00+00:00"):
        repo.put_reading(reading(start, 1.0))
    repo.put_reading({**reading("2026-06-01T09:30:00+00:00", 2.0), "direction": "import"})
    around = repo.readings_around("M1", "export", "2026-06-01T09:30:00+00:00", "2026-06-01T11:00:00+00:00")
    assert [r["interval_start"] for r in around] == [
        "2026-06-01T09:00:00+00:00", "2026-06-01T10:00:00+00:00", "2026-06-01T10:00:00.500000+00:00"]
    assert repo.readings_around("M1", "export", "2026-06-01T07:00:00+00:00", "2026-06-01T08:00:00+00:00") == []
    assert repo.readings_around("M9", "export", "2026-06-01T00:00:00+00:00", "2026-06-02T00:00:00+00:00") == []


def test_transaction_that_raises_stores_nothing(repo):
    with pytest.raises(RuntimeError, match="refused"):
        with repo.transaction():
            repo.put("participants", participant("alice"))
            repo.put_reading(reading("12:00", 4.0))
            repo.append_ledger(LEDGER_ENTRY)
            raise RuntimeError("refused half-way")
    assert repo.get("participants", "alice") is None
    assert repo.readings(["M1"]) == [] and repo.ledger() == []
    # and the connection is usable afterwards
    with repo.transaction():
        repo.put("participants", participant("bob"))
    assert repo.get("participants", "bob") == participant("bob")


def test_nested_transaction_joins_the_outer_one(repo):
    with pytest.raises(KeyError):
        with repo.transaction():
            with repo.transaction():
                repo.put("participants", participant("alice"))
            raise KeyError("outer fails after the inner block finished")
    assert repo.get("participants", "alice") is None


def test_data_survives_closing_and_reopening(db_path):
    first = SqliteRepository(db_path)
    with first.transaction():
        first.put("participants", participant("alice"))
        first.put_reading(reading("12:00", 4.0))
        first.append_ledger(LEDGER_ENTRY)
    first.close()
    second = SqliteRepository(db_path)
    try:
        assert second.get("participants", "alice") == participant("alice")
        assert second.readings(["M1"]) == [reading("12:00", 4.0)]
        assert second.ledger() == [LEDGER_ENTRY]
    finally:
        second.close()
