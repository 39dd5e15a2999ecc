"""The broker's demand-response operations (reference_impl.dr_service) on a real SQLite file:
one transaction per operation, nothing stored on a refusal, deterministic IDs, which event
version each VEN was sent, and metering reports stored through submit_readings, all or nothing."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock
from reference_impl.core.dr_reports import DataInterval, DataPoint, ReportData, ReportRegistration
from reference_impl.core.errors import Conflict, NotFound, Rejected

NOW = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)


@pytest.fixture
def broker(tmp_path):
    repo = SqliteRepository(tmp_path / "broker.sqlite3")
    yield ReferenceBroker(repo, SettableClock(NOW))
    repo.close()


def event(event_id="DR-1", **changes) -> dict:
    return {"event_id": event_id, "market_context": "http://market.example/dr",
            "dtstart": (NOW + timedelta(hours=4)).isoformat(),
            "intervals": [{"duration_s": 3600, "value": 1}], "ven_names": ["ven-a"], **changes}


def test_registration_ids_are_deterministic_and_names_unique(broker):
    a = broker.register_ven("ven-a")
    b = broker.register_ven("ven-b", ven_id="B-42")
    assert (a["registration_id"], a["ven_id"], b["registration_id"], b["ven_id"]) == \
        ("REG-1", "VEN-1", "REG-2", "B-42")
    assert broker.register_ven(None, registration_id="REG-1")["ven_name"] == "ven-a"
    with pytest.raises(Conflict):
        broker.register_ven("ven-c", ven_id="B-42")
    with pytest.raises(NotFound):
        broker.register_ven("ven-a", registration_id="REG-9")
    broker.cancel_ven_registration("REG-1", "VEN-1")
    assert [r["ven_name"] for r in broker.ven_registrations()] == ["ven-b"]
    with pytest.raises(NotFound) as refused:
        broker.dr_events_for_ven("VEN-1")
    assert refused.value.code == "unknown-ven"
    assert broker.register_ven("ven-c")["ven_id"] == "VEN-3"  # IDs are never reused
    again = broker.register_ven("ven-a")  # a cancelled VEN registers anew
    assert (again["registration_id"], again["ven_id"]) == ("REG-4", "VEN-4")
    with pytest.raises(NotFound):
        broker.cancel_ven_registration("REG-1")


def test_each_ven_is_sent_each_event_version_once(broker):
    broker.register_ven("ven-a")
    broker.create_dr_event(event("DR-1"))
    broker.create_dr_event(event("DR-2"))
    assert broker.has_unsent_dr_events("VEN-1")
    assert [e["event_id"] for e in broker.dr_events_for_ven("VEN-1", reply_limit=1)] == ["DR-1"]
    assert broker.has_unsent_dr_events("VEN-1")  # DR-2 was left out
    broker.dr_events_for_ven("VEN-1")
    assert not broker.has_unsent_dr_events("VEN-1")
    broker.dr_event_action("DR-2", "modify", {"priority": 5})
    assert broker.has_unsent_dr_events("VEN-1")


def test_a_refused_change_stores_nothing(broker):
    broker.create_dr_event(event())
    with pytest.raises(Rejected):
        broker.dr_event_action("DR-1", "modify", {"intervals": [{"duration_s": 60, "value": 9}]})
    with pytest.raises(Rejected):
        broker.create_dr_event(event())  # duplicate id
    assert broker.get_dr_event("DR-1")["modification_number"] == 0


def test_an_update_report_is_stored_whole_or_not_at_all(broker):
    broker.register_participant({"participant_id": "C1", "role": "consumer", "grid_node": "N1"})
    broker.register_resource({"resource_id": "L1", "owner_id": "C1", "kind": "load",
                              "max_power_kw": 5.0, "voltage_v": 230.0, "meter_id": "meter-A"})
    broker.register_ven("ven-a")
    points = (DataPoint(r_id="a", resource_ids=("meter-A",), unit="energyReal", scale="k"),
              DataPoint(r_id="b", resource_ids=("meter-B",), unit="energyReal", scale="k"))
    [planned] = broker.register_ven_reports("VEN-1", [ReportRegistration(
        ven_id="VEN-1", report_specifier_id="spec", report_name=None, data_points=points,
        registered_at=NOW)])
    assert planned["requested_r_ids"] == ["a", "b"]
    both = ReportData("spec", (DataInterval(NOW, Q15, (("a", 1.0), ("b", 2.0))),))
    with pytest.raises(Rejected) as refused:
        broker.store_ven_report("VEN-1", "u-1", [both])
    assert refused.value.code == "unknown-meter"
    assert refused.value.errors[0].field == "/reports/0/intervals/0/payloads/1/r_id"
    assert broker.repo.readings(["meter-A", "meter-B"]) == []  # meter-A's reading rolled back
    only_a = ReportData("spec", (DataInterval(NOW, Q15, (("a", 1.0),)),))
    assert broker.store_ven_report("VEN-1", "u-2", [only_a]) == {
        "meters": {"meter-A": {"stored": 1, "duplicates": 0}}, "ignored": 0}
    assert [log["outcome"] for log in broker.dr_report_log("VEN-1")] == ["refused", "stored"]
