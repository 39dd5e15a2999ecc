"""A bounded load run: `harness serve` as its own process on a free loopback port, many VENs
in separate client processes (`ven_clients`) polling and reporting for a fixed time, then a
check that no report was lost.

What this module owns: starting and stopping the server process, the JSON setup the VENs'
reports need (one consumer, one resource and meter per VEN, one DR event for every other VEN),
the start signal, the figures (`LoadResult`) and the loss check.

Rules:
- Bounded in count and time: ``vens`` VENs, ``seconds`` of load, at most ``max_reports``
  reports per VEN; every wait has a timeout and the server is always stopped.
- **No lost report**: for every VEN, the meter's readings (``GET /meters/<id>/readings``) are
  exactly the intervals and values of the reports it sent, and after the server has stopped
  the broker's report log (``dr_report_log`` in its SQLite file) holds every sent report's
  request ID with outcome ``stored``. A report whose answer was lost still has to be stored.
- Any failure of a request (transport, HTTP status, EI code, missing echo) is an error; the
  run's verdict is errors = 0 and lost = 0.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import queue
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .ven_clients import STEP, Tally, report_value, run_clients

SERVE = "import sys; from harness.cli import main; sys.exit(main())"
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class LoadResult:
    vens: int
    seconds: float
    clients: int
    polls: int = 0
    reports_sent: int = 0
    reports_ok: int = 0
    poll_latencies: list[float] = field(default_factory=list)
    report_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.lost and self.polls > 0 and self.reports_sent > 0

    @property
    def requests(self) -> int:
        """Requests sent in the load window: answered polls, failed polls, and every report
        sent (a failed report is already among those sent); at least 1."""
        return max(1, self.polls + self.reports_sent + sum(e.startswith("poll:") for e in self.errors))

    @staticmethod
    def _cuts(values: list[float]) -> tuple[float, float]:
        if len(values) < 2:
            return (values[0], values[0]) if values else (float("nan"), float("nan"))
        cuts = statistics.quantiles(values, n=100)
        return cuts[49], cuts[98]

    def lines(self) -> list[str]:
        p50, p99 = self._cuts(self.poll_latencies)
        r50, r99 = self._cuts(self.report_latencies)
        kinds = sorted(set(self.errors))
        return [
            f"OpenADR load: {self.vens} VENs in {self.clients} client processes, {self.seconds:.1f} s, "
            "harness serve on loopback",
            f"  polls            {self.polls}  ({self.polls / self.seconds:,.0f}/s)",
            f"  poll latency     p50 {p50 * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms",
            f"  reports sent     {self.reports_sent}  ({self.reports_sent / self.seconds:,.0f}/s), "
            f"answered 200: {self.reports_ok}",
            f"  report latency   p50 {r50 * 1000:.1f} ms   p99 {r99 * 1000:.1f} ms",
            f"  errors           {len(self.errors)}" + (f" ({'; '.join(kinds[:5])})" if kinds else ""),
            f"  lost reports     {len(self.lost)}" + (f" (first: {'; '.join(self.lost[:3])})" if self.lost else ""),
            f"  CPU              server {self.server_cpu_s:.1f} s ({self.server_cpu_s / self.seconds:.0%} of a core), "
            f"clients {self.client_cpu_s:.1f} s ({self.client_cpu_s / self.seconds:.0%})",
            # CPU time per request does not depend on what else the machine runs, unlike polls/s
            f"  CPU per request  server {self.server_cpu_s / self.requests * 1000:.3f} ms, "
            f"clients {self.client_cpu_s / self.requests * 1000:.3f} ms  ({self.requests} requests)",
            f"  verdict          {'PASS' if self.ok else 'FAIL'} (zero errors, no lost report)",
        ]


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS   # utime + stime


class _Server:
    """`harness serve` in its own process; the access log goes to a file."""

    def __init__(self, folder: Path):
        self.db = folder / "load.sqlite3"
        self.log = (folder / "serve.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-c", SERVE, "serve", "--port", "0", "--db", str(self.db),
                                      "--insecure-loopback"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [lines.put(ln) for ln in self.proc.stdout], daemon=True).start()
        first, until = "", time.monotonic() + 60
        while " on http://" not in first and time.monotonic() < until:  # e.g. a profiler's banner first
            try:
                first = lines.get(timeout=max(0.0, until - time.monotonic()))
            except queue.Empty:
                break
        if " on http://" not in first:
            self.stop()
            raise RuntimeError(f"harness serve did not start: {first!r}; log: {self.tail()!r}")
        self.host, port = first.split(" on http://")[1].split()[0].rsplit(":", 1)
        self.port = int(port)

    def tail(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text()[-800:]

    def json(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Content-Type": "application/json"})
            answer = conn.getresponse()
            return answer.status, json.loads(answer.read() or b"{}")
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def _gather(source, count: int, procs: list, timeout: float) -> list:
    """``count`` items from a queue the client processes fill; fails early if one of them died."""
    items, until = [], time.monotonic() + timeout
    while len(items) < count:
        try:
            items.append(source.get(timeout=0.5))
        except queue.Empty:
            if time.monotonic() > until:
                raise RuntimeError(f"the load clients gave {len(items)} of {count} answers in {timeout:g} s") from None
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError(f"a load client process died: exit codes {[p.exitcode for p in procs]}") from None
    return items


def _client(results, *args) -> None:
    results.put(run_clients(*args))


def _setup(server: _Server, vens: int) -> None:
    status, body = server.json("POST", "/participants", {"participant_id": "LOAD-C", "role": "consumer",
                                                         "grid_node": "N1"})
    if status != 201:
        raise RuntimeError(f"setup: participant refused: {status} {body}")
    for n in range(vens):
        status, body = server.json("POST", "/resources", {
            "resource_id": f"load-res-{n}", "owner_id": "LOAD-C", "kind": "load", "max_power_kw": 5.0,
            "voltage_v": 230.0, "meter_id": f"load-meter-{n}"})
        if status != 201:
            raise RuntimeError(f"setup: resource load-res-{n} refused: {status} {body}")


def missing_readings(ven_id: str, n: int, sent: int, held: set[tuple[str, float]], base: datetime) -> list[str]:
    """The reports of VEN ``n`` (``sent`` of them) whose reading is not among ``held``
    (``(interval_start, energy_kwh)`` pairs as the broker returns them)."""
    return [f"{ven_id} report {k}: reading missing" for k in range(sent)
            if ((base + k * STEP).isoformat(), report_value(n, k)) not in held]


def missing_log(reports_sent: dict[str, int], logged: dict[str, str]) -> list[str]:
    """The sent reports that the report log (``log_id`` -> outcome) does not hold as ``stored``."""
    return [f"{ven_id} report {k}: log says {logged.get(f'{ven_id}|{ven_id}-u{k}') or 'nothing'}"
            for ven_id, sent in reports_sent.items() for k in range(sent)
            if logged.get(f"{ven_id}|{ven_id}-u{k}") != "stored"]


def _check_stored(server: _Server, base: datetime, tallies: list[Tally], result: LoadResult) -> None:
    """Readings over HTTP while the server runs: exactly what each VEN reported."""
    for tally in tallies:
        for n, ven_id in tally.ven_ids.items():
            sent = tally.reports_sent[ven_id]
            status, body = server.json("GET", f"/meters/load-meter-{n}/readings")
            if status != 200:
                result.errors.append(f"readings of load-meter-{n}: HTTP {status}")
            held = {(r["interval_start"], r["energy_kwh"]) for r in body.get("readings", [])}
            result.lost += missing_readings(ven_id, n, sent, held, base)
            if len(held) > sent:
                result.errors.append(f"{ven_id}: {len(held) - sent} readings never reported")


def _check_log(db: Path, tallies: list[Tally], result: LoadResult) -> None:
    """The broker's report log, read from its database after it stopped."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        logged = {}
        for (raw,) in conn.execute("SELECT record FROM dr_report_log"):
            record = json.loads(raw)
            logged[record["log_id"]] = record["outcome"]
    for tally in tallies:
        result.lost += missing_log(tally.reports_sent, logged)


def run_load(folder: Path, *, vens: int = 200, seconds: float = 60.0, clients: int = 2,
             report_period: float = 1.0, max_reports: int = 1000) -> LoadResult:
    """Run the load against a fresh `harness serve` whose database and log live in ``folder``.

    Args:
        folder: an empty, writable folder (the server's SQLite file and access log).
        vens, seconds, clients: VENs, load time, and client processes they are spread over.
        report_period, max_reports: seconds between a VEN's reports; the most one VEN sends.
    Returns:
        the figures, errors and lost reports (`LoadResult.ok` is the verdict).
    Raises:
        RuntimeError: the server or a client process could not start or stopped answering.
    """
    base = (datetime.now(timezone.utc) - timedelta(days=1)).replace(second=0, microsecond=0)
    result = LoadResult(vens, seconds, clients)
    server = _Server(folder)
    ctx = multiprocessing.get_context("spawn")
    procs = []
    try:
        _setup(server, vens)
        ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
        shares = [list(range(vens))[i::clients] for i in range(clients)]
        procs = [ctx.Process(target=_client, daemon=True, args=(
            results, server.host, server.port, share, base, ready, go, seconds, report_period, max_reports))
            for share in shares]
        for proc in procs:
            proc.start()
        set_up = sum(_gather(ready, len(procs), procs, 120))
        if set_up != vens:
            result.errors.append(f"setup: {vens - set_up} VENs failed to register")
        status, body = server.json("POST", "/dr-events", {
            "event_id": "LOAD-1", "market_context": "http://load.example/dr",
            "dtstart": (datetime.now(timezone.utc) + timedelta(hours=1)).replace(microsecond=0).isoformat(),
            "intervals": [{"duration_s": 900, "value": 1}] * 4,
            "ven_ids": [f"VEN-{n}" for n in range(1, vens + 1, 2)]})
        if status != 201:
            result.errors.append(f"setup: DR event refused: {status} {body}")
        cpu0, began = _cpu_s(server.proc.pid), time.perf_counter()
        go.set()
        tallies = _gather(results, len(procs), procs, seconds + 120)
        result.seconds = time.perf_counter() - began
        result.server_cpu_s = _cpu_s(server.proc.pid) - cpu0
        for tally in tallies:
            result.polls += tally.polls
            result.reports_ok += tally.reports_ok
            result.reports_sent += sum(tally.reports_sent.values())
            result.poll_latencies += tally.poll_latencies
            result.report_latencies += tally.report_latencies
            result.errors += tally.errors
            result.client_cpu_s += tally.cpu_s
        _check_stored(server, base, tallies, result)
    finally:
        server.stop()
        for proc in procs:
            if proc.pid is not None:
                proc.join(timeout=10)
    _check_log(server.db, tallies, result)
    return result
