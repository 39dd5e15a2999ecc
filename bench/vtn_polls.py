"""Benchmark of the reference broker's OpenADR 2.0b VTN under many polling VENs.

Starts the `harness serve` server (reference_impl.adapters.http_service.serving_in_thread, test mode,
a throwaway SQLite file) in a thread on loopback, registers ``--vens`` VENs over
EiRegisterParty, creates one DR event for half of them (so some polls answer an
oadrDistributeEvent, the rest an oadrResponse), then runs one thread per VEN that sends
``oadrPoll`` over a keep-alive connection until ``--seconds`` have passed. Every request and
answer goes through the codec (schema-validated both ways on the server; the client decodes
every answer too, so client-side validation is part of the figure).

Prints polls/s, p50/p99 latency, errors and the schema validation counters. It measures and
prints; there is no target. The whole run is bounded: setup plus ``--seconds`` (at most 20 s by
default) plus the join.

Usage: python bench/vtn_polls.py [--vens 200] [--seconds 10]
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

try:
    from harness.protocols import oadr_codec as oc
except ModuleNotFoundError:  # run as a script from the checkout: python bench/vtn_polls.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from harness.protocols import oadr_codec as oc

from harness.protocols import oadr_schema
from reference_impl.adapters.http_service import serving_in_thread

BASE = "/OpenADR2/Simple/2.0b/"
MAX_SECONDS = 20.0


def _post(conn: http.client.HTTPConnection, service: str, message) -> object:
    conn.request("POST", BASE + service, body=oc.to_xml(message),
                 headers={"Content-Type": "application/xml"})
    answer = conn.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"HTTP {answer.status}: {body[:100]!r}")
    return oc.from_xml(body)


def _ven(address: str, ven_id: str, clock: dict, start: threading.Barrier,
         latencies: list[float], errors: list[str]) -> None:
    conn = http.client.HTTPConnection(address, timeout=10)
    mine: list[float] = []
    try:
        start.wait()
        deadline = clock["deadline"]  # set by main before it joins the barrier
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                answer = _post(conn, "OadrPoll", oc.Poll(ven_id))
                if isinstance(answer, oc.Response) and answer.response.code != "200":
                    errors.append(f"EI {answer.response.code}")
            except Exception as exc:  # count it, reconnect, go on
                errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection(address, timeout=10)
                continue
            mine.append(time.perf_counter() - began)
    finally:
        conn.close()
        latencies.extend(mine)  # list.extend is atomic under the GIL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vens", type=int, default=200, help="concurrent VENs (threads)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help=f"polling time, at most {MAX_SECONDS:g}")
    args = parser.parse_args(argv)
    seconds = min(args.seconds, MAX_SECONDS)
    with tempfile.TemporaryDirectory() as folder:
        with serving_in_thread(Path(folder) / "bench.sqlite3", host="127.0.0.1", port=0,
                               test_mode=True, log_stream=None) as server:
            address = server.url.removeprefix("http://")
            setup = http.client.HTTPConnection(address, timeout=10)
            ven_ids = [_post(setup, "EiRegisterParty", oc.CreatePartyRegistration(
                f"r-{n}", ven_name=f"bench-ven-{n}")).ven_id for n in range(args.vens)]
            setup.close()
            now = datetime.now(timezone.utc).replace(microsecond=0)
            with server.service.lock:
                server.service.set_clock({"now": now.isoformat()})
                server.service.broker.create_dr_event({
                    "event_id": "BENCH-1", "market_context": "http://bench.example/dr",
                    "dtstart": (now + timedelta(hours=1)).isoformat(),
                    "intervals": [{"duration_s": 900, "value": 1}] * 4,
                    "ven_ids": ven_ids[::2]})
            before = oadr_schema.stats.snapshot()
            latencies: list[float] = []
            errors: list[str] = []
            start = threading.Barrier(args.vens + 1)
            clock: dict = {}
            threads = [threading.Thread(target=_ven, args=(address, v, clock, start, latencies, errors),
                                        daemon=True) for v in ven_ids]
            for t in threads:
                t.start()
            began = time.perf_counter()
            clock["deadline"] = began + seconds
            start.wait()
            for t in threads:
                t.join(timeout=seconds + 15)
            elapsed = time.perf_counter() - began
            after = oadr_schema.stats.snapshot()
    polls = len(latencies)
    print(f"VTN poll benchmark: {args.vens} VENs, {seconds:g} s, loopback, one keep-alive "
          "connection per VEN")
    print(f"  polls            {polls}")
    print(f"  polls/s          {polls / elapsed:,.0f}")
    if latencies:
        cuts = statistics.quantiles(latencies, n=100) if polls > 1 else [latencies[0]] * 99
        print(f"  latency p50      {cuts[49] * 1000:.2f} ms")
        print(f"  latency p99      {cuts[98] * 1000:.2f} ms")
    print(f"  errors           {len(errors)}" + (f" ({', '.join(sorted(set(errors)))})" if errors else ""))
    print(f"  schema checks    {after['validated'] - before['validated']} "
          f"(failed {after['failed'] - before['failed']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
