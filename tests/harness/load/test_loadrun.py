"""The load run (harness.load): a short run in `make test` (the full 200-VEN, 60 s run is
bench/load.py), and the loss checks shown to catch a lost report."""
from __future__ import annotations

from datetime import datetime, timezone

from harness.load.loadrun import missing_log, missing_readings, run_load
from harness.load.ven_clients import STEP, report_value

BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_fifty_vens_for_three_seconds_against_harness_serve_lose_nothing(tmp_path):
    result = run_load(tmp_path, vens=50, seconds=3.0, clients=2, report_period=0.5)
    summary = "\n".join(result.lines())
    assert result.errors == [], summary
    assert result.lost == [], summary
    assert result.polls > 50 and len(result.poll_latencies) == result.polls, summary
    # every VEN reported (each its first report within 0.5 s) and every report was answered 200
    assert result.reports_sent >= 50 and result.reports_ok == result.reports_sent, summary
    assert result.server_cpu_s > 0 and "verdict          PASS" in summary


def held(n: int, count: int) -> set[tuple[str, float]]:
    return {((BASE + k * STEP).isoformat(), report_value(n, k)) for k in range(count)}


def test_a_sent_report_without_its_reading_is_lost():
    assert missing_readings("VEN-1", 0, 3, held(0, 3), BASE) == []
    stored = held(0, 3) - {((BASE + STEP).isoformat(), report_value(0, 1))}
    assert missing_readings("VEN-1", 0, 3, stored, BASE) == ["VEN-1 report 1: reading missing"]
    # a reading with the right time but another value is not the report that was sent
    altered = (held(0, 3) - {(BASE.isoformat(), report_value(0, 0))}) | {(BASE.isoformat(), 99.0)}
    assert missing_readings("VEN-1", 0, 3, altered, BASE) == ["VEN-1 report 0: reading missing"]


def test_a_sent_report_the_log_does_not_hold_as_stored_is_lost():
    logged = {"VEN-1|VEN-1-u0": "stored", "VEN-1|VEN-1-u1": "refused"}
    assert missing_log({"VEN-1": 1}, logged) == []
    assert missing_log({"VEN-1": 3}, logged) == ["VEN-1 report 1: log says refused",
                                                 "VEN-1 report 2: log says nothing"]
