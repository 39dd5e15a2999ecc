"""The domain operations of the reference broker (domain_service.py) on a real SQLite store:
refused requests leave nothing behind, and the sites run only on the injected clock."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock
from reference_impl.core.errors import MarketError


def T(h, m=0):
    return datetime(2026, 6, 1, h, m, tzinfo=timezone.utc)


@pytest.fixture
def broker(tmp_path):
    repo = SqliteRepository(tmp_path / "b.sqlite3")
    b = ReferenceBroker(repo, SettableClock(T(8)))
    for pid, role in (("alice", "prosumer"), ("agg", "aggregator")):
        b.register_participant({"participant_id": pid, "role": role, "grid_node": "N1"})
    yield b
    repo.close()


SITE = {"site_id": "S1", "owner_id": "alice", "service_provider_id": "agg", "line_id": "L1",
        "site_meter_id": "M-S1", "base_load_kw": 2.0,
        "resources": [{"resource_id": "hp", "kind": "load", "rated_kw": 6.0, "reduced_kw": 2.0, "meter_id": "M-HP"},
                      {"resource_id": "bat", "kind": "storage", "rated_kw": 3.0, "capacity_kwh": 5.0, "soc_kwh": 1.0,
                       "meter_id": "M-B"}]}


def _refusal(call, *args) -> MarketError:
    with pytest.raises(MarketError) as refused:
        call(*args)
    return refused.value


def test_site_with_unknown_resource_kind_stores_nothing(broker):
    bad = {**SITE, "resources": [SITE["resources"][0], {**SITE["resources"][1], "kind": "windmill"}]}
    assert _refusal(broker.install_site, bad).errors[0].field == "/resources/1/kind"
    assert broker.repo.find("sites") == [] and broker.repo.find("resources") == [] and broker.repo.find("lines") == []


def test_site_reusing_a_registered_resource_stores_nothing(broker):
    broker.install_site(SITE)
    again = {**SITE, "site_id": "S2", "site_meter_id": "M-S2"}
    assert _refusal(broker.install_site, again).errors[0].field == "/resources/0/resource_id"
    assert [s["site_id"] for s in broker.repo.find("sites")] == ["S1"]


def test_sites_run_only_when_the_clock_moves(broker):
    broker.install_site(SITE)
    assert broker.run_sites()["collected_intervals"] == 0
    broker.clock.set(T(9))
    assert broker.run_sites()["collected_intervals"] == 4
    assert broker.run_sites()["collected_intervals"] == 0
    data = broker.measurement_data("S1", "agg", T(8).isoformat(), T(9).isoformat())
    assert sum(r["energy_kwh"] for r in data["readings"] if r["meter_id"] == "M-S1") == pytest.approx(8.0)


def test_a_refused_request_rolls_back_its_catch_up_and_the_next_redoes_it(broker):
    broker.install_site(SITE)
    broker.clock.set(T(9))
    _refusal(broker.report_line_condition, "L1", {"condition": "sparkles"})
    assert broker.repo.find("collections", site_id="S1") == []
    assert len(broker.collection_log("S1")) == 4


def test_event_for_unknown_group_stores_and_notifies_nothing(broker):
    broker.install_site(SITE)
    broker.clock.set(T(9))
    broker.enrol_resource("agg", {"resource_id": "hp", "site_id": "S1", "programmes": ["dr"]})
    broker.create_group("agg", {"group_id": "G", "programme": "dr"})
    event = {"event_id": "E", "group_id": "G-X", "kind": "demand-reduction", "target_kw": 3.0,
             "start": T(11).isoformat(), "end": T(12).isoformat()}
    assert _refusal(broker.market_event, "agg", event).errors[0].field == "/group_id"
    assert broker.repo.find("market_events") == [] and broker.notifications("alice") == []
    broker.market_event("agg", {**event, "group_id": "G"})
    assert [n["kind"] for n in broker.notifications("alice")] == ["market-event"]


def test_reading_with_backwards_interval_stores_nothing_of_its_batch(broker):
    broker.install_site(SITE)
    batch = [{"interval_start": T(7).isoformat(), "interval_end": T(7, 15).isoformat(), "energy_kwh": 1.0,
              "direction": "import"},
             {"interval_start": T(7, 30).isoformat(), "interval_end": T(7, 15).isoformat(), "energy_kwh": 1.0,
              "direction": "import"}]
    assert _refusal(broker.submit_readings, "M-S1", batch).errors[0].field == "/readings/1/interval_end"
    assert broker.repo.readings(["M-S1"]) == []
