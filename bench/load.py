"""Load on the reference broker's OpenADR 2.0b VTN: ``--vens`` VENs (200) polling and
reporting for ``--seconds`` (60) against `harness serve` on loopback.

The server is `harness serve` in its own process (production mode, SQLite file in a
temporary folder, access log to a file; one asyncio event loop, adapters/event_loop_server.py);
the VENs run in ``--clients`` separate processes (asyncio on uvloop, one keep-alive connection
each; `harness.load.ven_clients`). Each VEN registers over
EiRegisterParty, registers one energy report (oadrRegisterReport, oadrCreatedReport), then
polls back to back and sends one oadrUpdateReport every ``--report-period`` seconds. Every
message the server receives is schema-validated and decoded as in production.

Prints polls/s, reports/s, p50/p99 latency of each, errors, lost reports (every report sent
must be in the meter's readings and in the broker's report log as stored) and the CPU the
server and the clients used, in total and per request (from /proc: utime + stime of the server
process over the load window, `time.process_time` in each client process). CPU per request is
the figure to compare between runs: polls/s follows what else shares the two cores, CPU per
request much less (it still rises by a third or so on a crowded machine: caches, scheduling). Exit status 1 when there was an error or a lost report. It
measures and prints; the 1,000 polls/s target is compared in the output, never asserted.

Usage: python bench/load.py [--vens 200] [--seconds 60] [--clients 2] [--report-period 1]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

try:
    from harness.load.loadrun import run_load
except ModuleNotFoundError:  # run as a script from the checkout: python bench/load.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.load.loadrun import run_load

MAX_SECONDS = 120.0
TARGET_POLLS_PER_S = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vens", type=int, default=200, help="concurrent VENs")
    parser.add_argument("--seconds", type=float, default=60.0, help=f"load time, at most {MAX_SECONDS:g}")
    parser.add_argument("--clients", type=int, default=2, help="client processes the VENs are spread over")
    parser.add_argument("--report-period", type=float, default=1.0, help="seconds between a VEN's reports")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = run_load(Path(folder), vens=args.vens, seconds=min(args.seconds, MAX_SECONDS),
                          clients=args.clients, report_period=args.report_period)
    print("\n".join(result.lines()))
    rate = result.polls / result.seconds
    print(f"  target           {TARGET_POLLS_PER_S:,} polls/s: {'met' if rate >= TARGET_POLLS_PER_S else 'not met'} "
          f"({rate / TARGET_POLLS_PER_S:.2f}x)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
