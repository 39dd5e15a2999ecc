"""Benchmark of what the harness's VEN does with each answer it receives
(harness.sut.openadr_ven): parse with `parse_xml`, check against the official schema (lxml,
compiled), then judge the message rules of MSG-* (`harness.protocols.oadr_rules`: echoed IDs,
event intervals, modification numbers, EMIX units).

For a typical oadrDistributeEvent (1 event, 1 price signal of 4 intervals in EUR/kWh) and a large
one (20 events of 96 quarter-hours each) it prints the median rate over ``--runs`` runs of
(a) parse + schema check and (b) parse + schema check + all rules, and the ratio b/a: the share
of the VEN's per-message time the rules add. It measures and prints; there is no target.

Usage: python bench/message_rules.py [--runs 5] [--seconds 1.0]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    from harness.protocols import oadr_codec as oc
except ModuleNotFoundError:  # run as a script from the checkout: python bench/message_rules.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.protocols import oadr_codec as oc

from harness.protocols import oadr_rules, oadr_schema
from harness.protocols.xml_safety import parse_xml

START = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)


def distribution(events: int, intervals: int) -> tuple[bytes, bytes]:
    """(the VEN's oadrRequestEvent, the VTN's oadrDistributeEvent answering it)."""
    request = oc.to_xml(oc.RequestEvent("request-1", "ven-1"))
    built = []
    for e in range(events):
        signal = oc.Signal("signal-1", tuple(oc.Interval(str(i), timedelta(minutes=15), 0.1 + 0.01 * (i % 7))
                                             for i in range(intervals)),
                           signal_name="ELECTRICITY_PRICE", signal_type="price", unit=oc.Currency("currencyPerKWh", "EUR"))
        built.append(oc.Event(f"event-{e}", 0, "http://market.example/energy", START + e * timedelta(days=1),
                              (signal,), created=START - timedelta(hours=2), target=oc.Target(ven_ids=("ven-1",))))
    answer = oc.to_xml(oc.DistributeEvent("d-1", "vtn-1", tuple(built), oc.EiResponse("request-1")))
    return request, answer


def rate(operation, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while True:
        for _ in range(16):
            operation()
        done += 16
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args(argv)
    schema = oadr_schema.fast_schema()
    for label, (events, intervals) in (("typical (1 event x 4 intervals)", (1, 4)),
                                       ("large (20 events x 96 intervals)", (20, 96))):
        request, answer = distribution(events, intervals)
        sent_root = parse_xml(request)

        def schema_only():
            assert schema.validate(parse_xml(answer))

        def with_rules():
            root = parse_xml(answer)
            assert schema.validate(root)
            findings = (oadr_rules.echo_findings(sent_root, root) + oadr_rules.event_interval_findings(root)
                        + oadr_rules.EventVersions().observe(root) + oadr_rules.unit_findings(root))
            assert not findings, findings

        base = statistics.median(rate(schema_only, args.seconds) for _ in range(args.runs))
        full = statistics.median(rate(with_rules, args.seconds) for _ in range(args.runs))
        print(f"{label:34} {len(answer):>7} bytes  parse+schema {base:9.0f}/s  "
              f"+rules {full:9.0f}/s  time ratio {base / full:4.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
