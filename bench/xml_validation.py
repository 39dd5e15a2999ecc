"""Benchmark of OpenADR 2.0b schema validation (harness.protocols.oadr_schema).

Measures how many messages per second the harness checks against the official OpenADR 2.0b
schema, for a typical oadrDistributeEvent: one event, one signal, four 15-minute intervals,
an energyReal unit (about 2.8 KB), built by harness.protocols.oadr_codec.

Figures, each the median of ``--runs`` runs that last at least ``--seconds`` each:
  * validate only     compiled lxml schema on an already parsed tree (oadr_schema.is_valid)
  * parse + validate  xml_safety.parse_xml (size, DOCTYPE and depth limits) then is_valid
  * from_xml          parse + validate + decode into the message dataclasses
  * xmlschema         readable validation (oadr_schema.validate), for comparison; it is only
                      used when a message is invalid, to say where and why

The target is >= 20,000 messages/s for "validate only"; the last line says whether this
machine meets it (the exit status is 0 either way: this prints figures, it does not gate).

Usage: python bench/xml_validation.py [--runs 5] [--seconds 2.0] [--skip-xmlschema]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    from harness.protocols import oadr_codec, oadr_schema
except ModuleNotFoundError:  # run as a script from the checkout: python bench/xml_validation.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.protocols import oadr_codec, oadr_schema

from harness.protocols.xml_safety import parse_xml

TARGET_PER_S = 20_000


def typical_message() -> bytes:
    """oadrDistributeEvent with 1 event, 1 signal and 4 intervals, as the codec writes it."""
    start = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
    intervals = tuple(oadr_codec.Interval(str(i), timedelta(minutes=15), 0.1 + 0.05 * i)
                      for i in range(4))
    signal = oadr_codec.Signal("signal-1", intervals, signal_name="ELECTRICITY_PRICE",
                               signal_type="price", unit=oadr_codec.EnergyReal("k"))
    event = oadr_codec.Event("event-1", 0, "http://market.example/energy", start, (signal,),
                             created=start - timedelta(hours=2),
                             target=oadr_codec.Target(ven_ids=("ven-1",)))
    return oadr_codec.to_xml(oadr_codec.DistributeEvent("request-1", "vtn-1", (event,)))


def rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second over at least ``seconds`` of wall time (batches of 64)."""
    done = 0
    started = time.perf_counter()
    while True:
        for _ in range(64):
            operation()
        done += 64
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return done / elapsed


def median_rate(operation: Callable[[], object], runs: int, seconds: float) -> tuple[float, float, float]:
    """(median, min, max) of ``runs`` rates."""
    rates = [rate(operation, seconds) for _ in range(runs)]
    return statistics.median(rates), min(rates), max(rates)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Messages per second validated against the official OpenADR 2.0b schema "
                    "(compiled lxml schema; xmlschema for comparison).",
        epilog="Example: python bench/xml_validation.py --runs 5 --seconds 2")
    p.add_argument("--runs", type=int, default=5, help="runs per figure; the median is printed "
                                                       "(default 5)")
    p.add_argument("--seconds", type=float, default=2.0,
                   help="minimum length of each run in seconds (default 2.0)")
    p.add_argument("--skip-xmlschema", action="store_true",
                   help="leave out the (slow) xmlschema comparison")
    args = p.parse_args(argv)
    if args.runs < 1 or args.seconds <= 0:
        p.error("--runs must be >= 1 and --seconds > 0")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    document = typical_message()
    root = parse_xml(document)
    # warm up: compile both validators outside the timed runs, and check the message is valid
    assert oadr_schema.is_valid(root) and oadr_schema.validate(root) == []
    print(f"OpenADR 2.0b schema validation: oadrDistributeEvent, 1 event, 1 signal, 4 intervals, "
          f"{len(document):,} bytes")
    print(f"medians of {args.runs} runs of >= {args.seconds:g} s each (min-max in brackets)")
    figures = [
        ("validate only (lxml)", lambda: oadr_schema.is_valid(root)),
        ("parse + validate (lxml)", lambda: oadr_schema.is_valid(parse_xml(document))),
        ("from_xml (parse+validate+decode)", lambda: oadr_codec.from_xml(document)),
    ]
    if not args.skip_xmlschema:
        figures.append(("xmlschema readable validation", lambda: oadr_schema.validate(root)))
    results = {}
    for label, operation in figures:
        median, low, high = median_rate(operation, args.runs, args.seconds)
        results[label] = median
        spread = f"[{low:,.0f}-{high:,.0f}]"
        print(f"  {label:<34} {median:>10,.0f} msg/s  {spread:<17} {1e6 / median:8.1f} us/msg",
              flush=True)
    best = results["validate only (lxml)"]
    verdict = "met" if best >= TARGET_PER_S else "NOT met"
    print(f"target >= {TARGET_PER_S:,} msg/s validate-only: {verdict} ({best:,.0f} msg/s)")
    if "xmlschema readable validation" in results:
        print(f"lxml is {best / results['xmlschema readable validation']:,.0f}x faster than "
              "xmlschema on a valid message")
    return 0


if __name__ == "__main__":
    sys.exit(main())
