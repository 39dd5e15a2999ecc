"""Benchmark of storing meter readings through the broker (the one path meter data takes):
`submit_readings` for one meter with N days of 15-minute import data, then the same batch
again (all duplicates). Checks that cost grows linearly with the history held.

Usage: python bench/readings.py [--days 30,90,365]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference_impl.adapters.sqlite_repository import SqliteRepository  # noqa: E402
from reference_impl.broker import ReferenceBroker  # noqa: E402
from reference_impl.clock import SettableClock  # noqa: E402

QUARTER = timedelta(minutes=15)


def run(days: int) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as workdir:
        broker = ReferenceBroker(SqliteRepository(Path(workdir) / "bench.sqlite3"),
                                 SettableClock(datetime(2027, 1, 1, tzinfo=timezone.utc)))
        broker.register_participant({"participant_id": "site", "role": "prosumer", "grid_node": "N1"})
        broker.register_resource({"resource_id": "load", "owner_id": "site", "kind": "load",
                                  "max_power_kw": 10.0, "voltage_v": 230.0, "meter_id": "M1"})
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        rows = [{"interval_start": (start + i * QUARTER).isoformat(),
                 "interval_end": (start + (i + 1) * QUARTER).isoformat(),
                 "energy_kwh": 0.25, "direction": "import"} for i in range(days * 96)]
        t0 = time.perf_counter()
        broker.submit_readings("M1", rows)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = broker.submit_readings("M1", rows)
        second = time.perf_counter() - t0
        assert again["duplicates"] == len(rows)
        broker.repo.close()
        return len(rows), first, second


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="30,90,365", help="comma-separated history lengths (default: %(default)s)")
    args = parser.parse_args(argv)
    print("meter readings through submit_readings: one meter, 15-minute import data, one run per size")
    print(f"{'days':>5} {'readings':>9} {'store_s':>8} {'resubmit_s':>10} {'us/reading':>10}")
    for days in (int(d) for d in args.days.split(",")):
        n, first, second = run(days)
        print(f"{days:>5} {n:>9} {first:>8.2f} {second:>10.2f} {first / n * 1e6:>10.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
