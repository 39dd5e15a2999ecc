"""The harness in the VEN role: an OpenADR 2.0b VEN (Simple HTTP, pull model) that talks to
any VTN, so a platform's VTN is tested by the same messages a real VEN would send it (ITU-T
Y.2072 Appendix I: the harness as the energy trading client, the platform as the server).

What this module owns: the VEN's side of each exchange (build the request with our codec,
POST it, read the answer), the VEN's state (venID, registrationID, the events it was sent),
and the record of every exchange: both documents, each one's official-schema result, the
rule findings of `harness.protocols.oadr_rules`, written to the run's wire log as it happens.

Rules:
- XML is built and read only by `harness.protocols.oadr_codec` (`xml_safety.parse_xml` limits;
  the schema checked on every document both ways). Steps never see XML: they call the methods
  here and read `Exchange` records and `findings`.
- A received document is schema-checked first (`oadr_schema.check`, counted in `stats`), then
  decoded only if valid; a schema error or a decoding refusal is a *finding* about the VTN
  (kept on the exchange, `ConformanceViolation` when a step needs the message), never an
  exception here. A VTN that cannot be reached, or answers with no document, raises `SUTError`
  (verdict ``error``).
- Every answer is checked against every rule (echoed IDs, event intervals, modification
  numbers, EMIX units); the scenario's tags say which of those it judges.
- One HTTP request per message, 30 s timeout, no proxies for loopback, no redirects.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, ProxyHandler, Request, build_opener

from lxml import etree

from ..errors import HarnessError, SUTError
from ..protocols import oadr_codec as oc
from ..protocols import oadr_rules as rules
from ..protocols import oadr_schema
from ..protocols.oadr_parts import EiResponse
from ..protocols.xml_safety import XmlRejected, parse_xml

VTN_PREFIX = "/OpenADR2/Simple/2.0b/"
DEFAULT_TIMEOUT_S = 30.0
CHECKS = ("schema", "echo", "intervals", "modification", "units")


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a VTN answers at its own URL; urllib then raises HTTPError with the 3xx


@dataclass
class Exchange:
    """One request and its answer, with what the checks found.

    Attributes:
        service: the OpenADR service posted to (``EiEvent``...).
        sent: the request message (always schema-valid: our codec refuses to build others).
        http_status: the HTTP status of the answer.
        answer: the decoded answer, or None (not a document, schema-invalid, undecodable).
        refusal: why the answer could not be read (HTTP refusal text, XML or decoding error).
        findings: by check (`CHECKS`), what the answer broke.
    """

    service: str
    sent: object
    http_status: int
    answer: object | None = None
    refusal: str | None = None
    findings: dict[str, tuple[rules.Finding, ...]] = field(default_factory=dict)

    @property
    def answer_name(self) -> str | None:
        return None if self.answer is None else type(self.answer).ELEMENT


class OpenAdrVen:
    """A VEN pointed at one VTN.

    Args:
        vtn_url: the VTN's base URL up to and including ``/OpenADR2/Simple/2.0b`` (a URL that
            ends at host:port gets `VTN_PREFIX` appended).
        tap: where each exchange is recorded (the run's wire log); may be set later.
        timeout: seconds per request.
        ssl_context: for ``https://``: the CA to trust and the VEN's client certificate.
    Raises:
        HarnessError: ``vtn_url`` is not an http(s) URL.
    """

    def __init__(self, vtn_url: str, *, tap: Callable[[dict], None] | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S, ssl_context=None):
        self.tap = tap
        self.timeout = timeout
        self.reset(vtn_url)
        handlers = [_NoRedirects()]
        host = urlsplit(self.vtn_url).hostname or ""
        if host in ("localhost", "::1") or host.startswith("127."):
            handlers.append(ProxyHandler({}))
        if ssl_context is not None:  # TLS with a client certificate (harness/sut/http_parties.py)
            handlers.append(HTTPSHandler(context=ssl_context))
        self._opener = build_opener(*handlers)

    def reset(self, vtn_url: str | None = None) -> None:
        """Forget the registration, the events and the exchanges (a new scenario)."""
        if vtn_url is not None:
            parts = urlsplit(vtn_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise HarnessError("the VTN URL must be http(s)://host:port[/OpenADR2/Simple/2.0b]",
                                   code="bad-vtn-url", field="vtn_url", actual=vtn_url)
            base = vtn_url.rstrip("/")
            self.vtn_url = base if base.endswith(VTN_PREFIX.rstrip("/")) else base + VTN_PREFIX.rstrip("/")
        self.ven_name: str | None = None
        self.ven_id: str | None = None
        self.registration_id: str | None = None
        self.vtn_id: str | None = None
        self.events: dict[str, oc.Event] = {}
        self.last_distribution: oc.DistributeEvent | None = None
        self.exchanges: list[Exchange] = []
        self.versions = rules.EventVersions()
        self.counts = {"validated": 0, "failed": 0}

    # -- transport -------------------------------------------------------------------------------
    def _post(self, service: str, body: bytes) -> tuple[int, bytes]:
        url = f"{self.vtn_url}/{service}"
        request = Request(url, data=body, method="POST", headers={"Content-Type": "application/xml"})
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                return answer.status, answer.read()
        except HTTPError as exc:
            return exc.code, exc.read()
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            code = "sut-timeout" if "timed out" in str(reason) else "sut-unreachable"
            raise SUTError(f"the VTN at {url} did not answer: {reason}", code=code, field=url) from exc

    def send(self, service: str, message) -> Exchange:
        """Send one message and read, check and record the answer.

        Returns:
            the exchange (see `Exchange`; findings are kept, not raised).
        Raises:
            SUTError: the VTN was not reached or answered nothing.
            SchemaViolation: our own message is not schema-valid (a harness bug).
        """
        sent_root = oc.to_element(message)
        oadr_schema.require_valid(sent_root)
        self.counts["validated"] += 1
        body = etree.tostring(sent_root, xml_declaration=True, encoding="UTF-8")
        started = time.perf_counter()
        status, data = self._post(service, body)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
        exchange = Exchange(service, message, status)
        schema_errors: list[oadr_schema.SchemaError] = []
        if status != 200:
            exchange.refusal = f"HTTP {status}: {data[:300].decode('utf-8', 'replace')}"
        else:
            try:
                root = parse_xml(data)
            except XmlRejected as exc:
                exchange.refusal = f"{exc.code} at {exc.field}: {exc.message}"
                root = None
            if root is not None:
                schema_errors = oadr_schema.check(root)
                self.counts["validated"] += 1
                self.counts["failed"] += bool(schema_errors)
                exchange.findings = self._judge(sent_root, root, schema_errors)
                if not schema_errors:
                    try:
                        exchange.answer = oc.decode(root)
                    except XmlRejected as exc:
                        exchange.refusal = f"{exc.code} at {exc.field}: {exc.message}"
        self.exchanges.append(exchange)
        self._remember(exchange)
        if self.tap is not None:
            self.tap({"layer": "openadr", "role": "VEN", "service": service, "url": f"{self.vtn_url}/{service}",
                      "request": type(message).ELEMENT, "request_xml": body, "request_schema_errors": [],
                      "http_status": status, "response": exchange.answer_name, "response_xml": data,
                      "response_schema_errors": [{"path": e.path, "reason": e.reason} for e in schema_errors],
                      "refusal": exchange.refusal,
                      "findings": {k: rules.as_records(v) for k, v in exchange.findings.items() if v},
                      "duration_ms": elapsed_ms})
        return exchange

    def _judge(self, sent_root, root, schema_errors) -> dict[str, tuple[rules.Finding, ...]]:
        schema = tuple(rules.Finding("schema-invalid", e.path, "valid against oadr_20b.xsd", None, e.reason)
                       for e in schema_errors)
        return {"schema": schema, "echo": tuple(rules.echo_findings(sent_root, root)),
                "intervals": tuple(rules.event_interval_findings(root)),
                "modification": tuple(self.versions.observe(root)),
                "units": tuple(rules.unit_findings(root))}

    def _remember(self, exchange: Exchange) -> None:
        answer = exchange.answer
        if isinstance(answer, oc.CreatedPartyRegistration) and answer.response.code == "200":
            self.ven_id = answer.ven_id or self.ven_id
            self.registration_id = answer.registration_id or self.registration_id
            self.vtn_id = answer.vtn_id
        elif isinstance(answer, oc.DistributeEvent):
            self.last_distribution = answer
            self.events = {e.event_id: e for e in answer.events}
        elif isinstance(answer, oc.CanceledPartyRegistration) and answer.response.code == "200":
            self.ven_id = self.registration_id = None

    # -- the VEN's messages ---------------------------------------------------------------------
    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex[:16]

    def _need_ven_id(self) -> str:
        if self.ven_id is None:
            raise HarnessError("the VEN is not registered; register it first", code="ven-not-registered",
                               field="ven_id")
        return self.ven_id

    def query_registration(self) -> Exchange:
        return self.send("EiRegisterParty", oc.QueryRegistration(self.new_id()))

    def register(self, ven_name: str) -> Exchange:
        """``oadrCreatePartyRegistration`` (pull model, Simple HTTP); keeps the IDs it gets."""
        self.ven_name = ven_name
        return self.send("EiRegisterParty", oc.CreatePartyRegistration(
            self.new_id(), ven_name=ven_name, registration_id=self.registration_id,
            ven_id=self.ven_id if self.registration_id else None, http_pull_model=True))

    def cancel_registration(self) -> Exchange:
        if self.registration_id is None:
            raise HarnessError("the VEN holds no registration to cancel", code="ven-not-registered",
                               field="registration_id")
        return self.send("EiRegisterParty", oc.CancelPartyRegistration(
            self.new_id(), self.registration_id, self.ven_id))

    def request_events(self) -> Exchange:
        return self.send("EiEvent", oc.RequestEvent(self.new_id(), self._need_ven_id()))

    def poll(self) -> Exchange:
        return self.send("OadrPoll", oc.Poll(self._need_ven_id()))

    def answer_events(self, opt_type: str = "optIn") -> Exchange | None:
        """``oadrCreatedEvent`` for every event of the last distribution that asks for an
        answer, at the modification number it was sent with; None when none asks."""
        if self.last_distribution is None:
            return None
        wanted = [e for e in self.last_distribution.events if e.response_required == "always"]
        if not wanted:
            return None
        request_id = self.last_distribution.request_id
        answers = tuple(oc.EventResponse(e.event_id, e.modification_number, opt_type, request_id)
                        for e in wanted)
        return self.send("EiEvent", oc.CreatedEvent(EiResponse(request_id), self._need_ven_id(), answers))

    def opt(self, event_id: str, opt_type: str, now: datetime, reason: str = "economic") -> Exchange:
        """``oadrCreateOpt`` on an event the VEN was sent."""
        event = self.events.get(event_id)
        if event is None:
            raise HarnessError(f"the VEN was not sent event {event_id!r}", code="unknown-event",
                               field="event_id", actual=event_id)
        return self.send("EiOpt", oc.CreateOpt(
            self.new_id(), self.new_id(), opt_type, reason, self._need_ven_id(), now,
            market_context=event.market_context, event_id=event_id,
            modification_number=event.modification_number))

    def cancel_opt(self, opt_id: str | None = None) -> Exchange:
        """``oadrCancelOpt`` of ``opt_id``, by default the VEN's last ``oadrCreateOpt``."""
        if opt_id is None:
            sent = [x.sent for x in self.exchanges if isinstance(x.sent, oc.CreateOpt)]
            if not sent:
                raise HarnessError("the VEN created no opt to cancel", code="no-opt", field="opt_id")
            opt_id = sent[-1].opt_id
        return self.send("EiOpt", oc.CancelOpt(self.new_id(), opt_id, self._need_ven_id()))

    def register_reports(self, meter_id: str, now: datetime) -> Exchange:
        """``oadrRegisterReport``: one telemetry usage report of the meter's energy (kWh)."""
        report = oc.Report("harness-usage", now, report_name="METADATA_TELEMETRY_USAGE", descriptions=(
            oc.ReportDescription("energy", report_type="usage", data_source=oc.Target(resource_ids=(meter_id,)),
                                 sampling_rate=oc.SamplingRate(timedelta(minutes=15), timedelta(hours=1))),))
        return self.send("EiReport", oc.RegisterReport(self.new_id(), (report,), ven_id=self._need_ven_id()))

    def update_report(self, report_request_id: str, start: datetime, values_kwh: Sequence[float],
                      now: datetime, step: timedelta = timedelta(minutes=15)) -> Exchange:
        """``oadrUpdateReport`` of consecutive energy readings for a report request."""
        intervals = tuple(oc.ReportInterval(start + i * step, (oc.ReportPayload("energy", v),), step)
                          for i, v in enumerate(values_kwh))
        report = oc.Report("harness-usage", now, report_name="TELEMETRY_USAGE",
                           report_request_id=report_request_id, intervals=intervals)
        return self.send("EiReport", oc.UpdateReport(self.new_id(), (report,), ven_id=self._need_ven_id()))

    # -- what the checks found ------------------------------------------------------------------
    def findings(self, check: str) -> list[tuple[Exchange, rules.Finding]]:
        """Every finding of one check (`CHECKS`) over the exchanges so far."""
        if check not in CHECKS:
            raise HarnessError("unknown message check", code="unknown-check", field="check",
                               expected=CHECKS, actual=check)
        return [(x, f) for x in self.exchanges for f in x.findings.get(check, ())]
