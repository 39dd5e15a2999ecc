"""The decision service's trading clearing records its trades (issue 7, part 5): every flow of
the answer becomes a signed trade record in the hash-chained ledger, in one transaction, and a
failure half-way through the appends leaves the ledger as it was."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from harness.ledger_check import chain_breaks
from harness.optimality.instances import trading_instance
from harness.trade_record_check import flow_record_problems, signature_problems
from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock

NOW = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)


@pytest.fixture
def broker(tmp_path):
    return ReferenceBroker(SqliteRepository(tmp_path / "broker.db"), SettableClock(NOW))


def test_every_flow_is_a_signed_trade_in_the_chained_ledger(broker):
    instance = trading_instance(30, 2)
    answer = broker.clear_trading(instance)
    entries = broker.ledger_entries()
    flows = answer["flows"]["source"]
    assert answer["status"] == "optimal" and flows
    assert answer["clearing_id"] == "trading-1@2026-06-01T08:00:00+00:00"
    assert len(entries) == len(flows)
    assert {e["payload"]["record"]["record"]["trade_id"].split("/")[0] for e in entries} == {answer["clearing_id"]}
    assert chain_breaks(entries) == []
    assert signature_problems(entries, broker.trade_signing_key()) == []
    assert flow_record_problems(entries, instance, answer) == []

    second = broker.clear_trading(trading_instance(10, 3))       # the chain goes on
    assert second["clearing_id"] == f"trading-{len(entries) + 1}@2026-06-01T08:00:00+00:00"
    assert chain_breaks(broker.ledger_entries()) == []
    assert broker.ledger_entries()[:len(entries)] == entries


def test_a_failure_half_way_through_the_appends_stores_no_trade(broker, monkeypatch):
    broker.clear_trading(trading_instance(10, 1))
    before = broker.ledger_entries()
    calls = []
    original = broker.repo.append_ledger

    def failing_append(record):
        calls.append(record["seq"])
        if len(calls) == 3:
            raise OSError("disk full")
        original(record)
    monkeypatch.setattr(broker.repo, "append_ledger", failing_append)
    with pytest.raises(OSError, match="disk full"):
        broker.clear_trading(trading_instance(30, 2))
    assert len(calls) == 3                      # two entries were written, then rolled back
    assert broker.ledger_entries() == before


def test_an_infeasible_network_records_nothing(broker):
    instance = trading_instance(10, 1)
    instance["nodes"]["demand_kwh"] = [10 ** 6] * 10
    answer = broker.clear_trading(instance)
    assert answer["status"] == "infeasible" and answer["clearing_id"] is None
    assert broker.ledger_entries() == []
