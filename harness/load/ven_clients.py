"""Many OpenADR 2.0b VENs in one client process: asyncio on uvloop (libuv), one raw keep-alive
HTTP/1.1 connection per VEN, so a few client processes can drive hundreds of VENs without the
client being the bottleneck (on two cores they compete with the server for CPU).

What this module owns: the VEN side of a load run (register, register a report, then poll and
report until a deadline) and the per-process tally it hands back (`Tally`).

Rules:
- Every message is built by `harness.protocols.oadr_codec` (schema-checked on the way out);
  the poll's bytes are built once per VEN, each ``oadrUpdateReport`` afresh. Setup answers
  (registration, report registration) are decoded and schema-checked in full; load answers are
  checked for HTTP 200, ``application/xml`` and EI response code 200 (and the echoed requestID
  for reports) without a full decode, so the client stays cheap.
- A report counts as *sent* once its bytes are written, whatever happens next: the run then
  checks that the broker stored every sent report, so a report lost after a failed answer is
  still caught.
- Report ``k`` of a VEN covers one minute, ``base + k`` minutes, with energy `report_value`
  (kWh), so the stored readings can be checked value by value afterwards.
"""
from __future__ import annotations

import asyncio
import random
import re
import time
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import uvloop

from harness.protocols import oadr_codec as oc
from harness.protocols.oadr_codec import EiResponse

BASE = "/OpenADR2/Simple/2.0b/"
SPEC = "load-spec"
STEP = timedelta(minutes=1)
_CODE = re.compile(rb"<ei:responseCode>(\d{3})</ei:responseCode>")
_REQUEST_ID = re.compile(rb"<pyld:requestID>([^<]*)</pyld:requestID>")


def report_value(ven_index: int, k: int) -> float:
    """The energy (kWh) VEN ``ven_index`` reports in its ``k``-th update (exact in binary)."""
    return (ven_index % 97) + k * 0.25


@dataclass
class Tally:
    """What one client process measured. Latencies are seconds, one per answered request."""

    poll_latencies: array = field(default_factory=lambda: array("d"))
    report_latencies: array = field(default_factory=lambda: array("d"))
    errors: list[str] = field(default_factory=list)
    reports_sent: dict[str, int] = field(default_factory=dict)   # ven_id -> reports written
    reports_ok: int = 0
    polls: int = 0
    ven_ids: dict[int, str] = field(default_factory=dict)        # ven index -> venID
    cpu_s: float = 0.0                                           # CPU time during the load window


class _Connection:
    """One keep-alive HTTP/1.1 connection: POST bytes, get (status, content type, body)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def request(self, service: str, body: bytes) -> bytes:
        return (f"POST {BASE}{service} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/xml\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> None:
        if self.writer is None:
            await self.open()
        self.writer.write(request)

    async def answer(self) -> tuple[int, str, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers.get("content-type", ""), body


def _check(status: int, ctype: str, body: bytes, request_id: str | None = None) -> str | None:
    """None if the answer is a 200 application/xml with EI code 200, else what is wrong."""
    if status != 200:
        return f"HTTP {status}"
    if not ctype.startswith("application/xml"):
        return f"content type {ctype!r}"
    code = _CODE.search(body)
    if code is None or code.group(1) != b"200":
        return f"EI {code.group(1).decode() if code else 'missing'}"
    if request_id is not None:
        echoed = _REQUEST_ID.search(body)
        if echoed is None or echoed.group(1).decode() != request_id:
            return "requestID not echoed"
    return None


class Ven:
    """One simulated VEN (index ``n``) reporting for meter ``meter_id``."""

    def __init__(self, n: int, meter_id: str, host: str, port: int, base: datetime, tally: Tally):
        self.n, self.meter_id, self.base, self.tally = n, meter_id, base, tally
        self.conn = _Connection(host, port)
        self.ven_id = ""

    async def _exchange(self, service: str, message) -> object:
        await self.conn.send(self.conn.request(service, oc.to_xml(message)))
        status, _, body = await self.conn.answer()
        if status != 200:
            raise RuntimeError(f"{service}: HTTP {status}: {body[:120]!r}")
        return oc.from_xml(body)  # setup answers are decoded and schema-checked in full

    async def setup(self) -> None:
        """Register (EiRegisterParty), register one energy report, acknowledge its request."""
        registered = await self._exchange("EiRegisterParty", oc.CreatePartyRegistration(
            f"reg-{self.n}", ven_name=f"load-ven-{self.n}"))
        if registered.response.code != "200" or not registered.ven_id:
            raise RuntimeError(f"registration of load-ven-{self.n}: EI {registered.response.code}")
        self.ven_id = registered.ven_id
        report = oc.Report(SPEC, self.base, report_name="METADATA_TELEMETRY_USAGE", descriptions=(
            oc.ReportDescription("r-energy", report_type="usage",
                                 data_source=oc.Target(resource_ids=(self.meter_id,)),
                                 sampling_rate=oc.SamplingRate(STEP, timedelta(hours=1))),))
        answer = await self._exchange("EiReport", oc.RegisterReport(f"rr-{self.n}", (report,), ven_id=self.ven_id))
        if answer.response.code != "200" or len(answer.report_requests) != 1:
            raise RuntimeError(f"report registration of {self.ven_id}: EI {answer.response.code}")
        ack = await self._exchange("EiReport", oc.CreatedReport(
            EiResponse(f"rr-{self.n}"), (answer.report_requests[0].report_request_id,), self.ven_id))
        if ack.response.code != "200":
            raise RuntimeError(f"oadrCreatedReport of {self.ven_id}: EI {ack.response.code}")
        self.tally.ven_ids[self.n] = self.ven_id
        self.tally.reports_sent[self.ven_id] = 0

    def _update(self, k: int) -> tuple[str, bytes]:
        request_id = f"{self.ven_id}-u{k}"
        interval = oc.ReportInterval(self.base + k * STEP, (oc.ReportPayload("r-energy", report_value(self.n, k)),),
                                     STEP)
        message = oc.UpdateReport(request_id, (oc.Report(SPEC, self.base, report_name="TELEMETRY_USAGE",
                                                         report_request_id=f"{self.ven_id}:{SPEC}",
                                                         intervals=(interval,)),), ven_id=self.ven_id)
        return request_id, self.conn.request("EiReport", oc.to_xml(message))

    async def run(self, deadline: float, report_period: float, max_reports: int) -> None:
        """Poll back to back; every ``report_period`` seconds send one ``oadrUpdateReport``."""
        poll = self.conn.request("OadrPoll", oc.to_xml(oc.Poll(self.ven_id)))
        tally, k = self.tally, 0
        # reports spread over the period, seeded per VEN so a run is repeatable
        next_report = time.monotonic() + random.Random(self.n).uniform(0, report_period)
        while time.monotonic() < deadline:
            reporting = time.monotonic() >= next_report and k < max_reports
            if reporting:
                request_id, request = self._update(k)
                next_report += report_period
            began = time.perf_counter()
            try:
                await self.conn.send(request if reporting else poll)
                if reporting:
                    tally.reports_sent[self.ven_id] = k = k + 1
                status, ctype, body = await self.conn.answer()
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                tally.errors.append(f"{'report' if reporting else 'poll'}: {type(exc).__name__}")
                self.conn.close()
                continue
            spent = time.perf_counter() - began
            problem = _check(status, ctype, body, request_id if reporting else None)
            if problem is not None:
                tally.errors.append(f"{'report' if reporting else 'poll'}: {problem}")
            elif reporting:
                tally.reports_ok += 1
                tally.report_latencies.append(spent)
            else:
                tally.polls += 1
                tally.poll_latencies.append(spent)
        self.conn.close()


async def _drive(vens: list[Ven], ready, go, seconds: float, report_period: float, max_reports: int) -> None:
    await asyncio.gather(*(v.setup() for v in vens))
    ready.put(len(vens))
    if not go.wait(timeout=120):  # every client process waits for the parent's start signal
        raise RuntimeError("no start signal from the load run")
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(v.run(deadline, report_period, max_reports) for v in vens))
    vens[0].tally.cpu_s = time.process_time() - cpu   # the load window only, not setup


def run_clients(host: str, port: int, indices: list[int], base: datetime, ready, go, seconds: float,
                report_period: float, max_reports: int) -> Tally:
    """One client process's share: VENs ``indices`` (meter ``load-meter-<n>``), set up, then
    (after ``ready.put`` and ``go.wait``) polling and reporting for ``seconds``.

    Args:
        host, port: the VTN's HTTP address.
        indices: which VENs this process runs.
        base: start of report 0's interval (report ``k`` covers ``base + k`` minutes).
        ready, go: a multiprocessing queue (the count of VENs set up is put there) and event.
        seconds, report_period, max_reports: load time, seconds between a VEN's reports, and
            the most reports one VEN sends.
    Returns:
        the process's `Tally`; a setup failure is one of its errors, never raised.
    """
    tally = Tally()
    vens = [Ven(n, f"load-meter-{n}", host, port, base, tally) for n in indices]
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # a third cheaper than asyncio's loop
            runner.run(_drive(vens, ready, go, seconds, report_period, max_reports))
    except Exception as exc:  # a setup failure: reported, never hidden
        tally.errors.append(f"setup: {type(exc).__name__}: {exc}"[:300])
        ready.put(0)
    return tally
