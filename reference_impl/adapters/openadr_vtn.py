"""The reference broker as an OpenADR 2.0b VTN over the Simple HTTP *pull* transport, so an
unmodified third-party VEN (e.g. openleadr's ``OpenADRClient``) can register, receive DR
events, opt, and send metering reports. In ITU-T Y.2072 Appendix I terms the VTN is the
energy trading server (ETS) side and each VEN an energy trading client (ETC).

What this module owns: the five service endpoints below ``/OpenADR2/Simple/2.0b/`` (OpenADR
2.0b profile specification, Simple HTTP transport: one POST per message, the answer in the
HTTP response), the HTTP rules for them, and the translation between OpenADR messages and
the broker's demand-response operations (`reference_impl.dr_service`). `http_service` mounts
it beside the JSON binding (`BrokerHTTPServer.vtn`).

| service | VEN sends | VTN answers |
|---|---|---|
| EiRegisterParty | oadrQueryRegistration, oadrCreatePartyRegistration, oadrCancelPartyRegistration | oadrCreatedPartyRegistration, oadrCanceledPartyRegistration |
| EiEvent | oadrRequestEvent, oadrCreatedEvent | oadrDistributeEvent, oadrResponse |
| EiReport | oadrRegisterReport, oadrUpdateReport, oadrCreatedReport, oadrCanceledReport, oadrCancelReport | oadrRegisteredReport (with report requests), oadrUpdatedReport, oadrResponse, oadrResponse, oadrCanceledReport (452: this VTN offers no reports) |
| EiOpt | oadrCreateOpt, oadrCancelOpt | oadrCreatedOpt, oadrCanceledOpt |
| OadrPoll | oadrPoll | oadrDistributeEvent if the VEN has an event not yet sent at its current modification number; else the oldest request the VTN queued for it (oadrCreateReport, oadrCancelReport; `core.dr_outbox`); else oadrResponse 200 |
| any | oadrResponse (e.g. openleadr's acknowledgement of a re-registration request) | oadrResponse 200 |

Rules:
- XML is parsed and written only by `harness.protocols.oadr_codec` (``xml_safety`` limits; the
  official schema checked on every message in and out). ``Content-Type: application/xml``.
- **Refused before it is an OpenADR message** (answered with an HTTP status and a one-line
  ``text/plain`` body ``<code>: <reason>``, the way openleadr's own VTN does): wrong method
  405, wrong content type 415, no Content-Length or chunked 411, a body over `MAX_XML_BYTES`
  413 (decided from Content-Length, never read), malformed XML, a DOCTYPE (entities, external
  DTDs), nesting too deep, or not valid against the schema 400. There is no request ID to
  answer to, so no EiResponse can be built.
- **Refused as an OpenADR message** (schema-valid, decoded): HTTP 200 with the answer the
  message calls for, its ``eiResponse`` carrying an EI application code (openleadr's
  ``STATUS_CODES``): 463 VEN not registered, 452 invalid ID (unknown event, registration,
  report, rID or meter), 450 out of sequence (an old modification number), 462 target
  mismatch, 451 not allowed (the event's state forbids it), 454 invalid data (other broken
  rules), 459 a message sent to the wrong service, 453 a schema-valid message this VTN does
  not model (e.g. oadrRequestReregistration), answered with oadrResponse.
- Broker calls run under the service lock, like every JSON route.
- With TLS on (`harness serve --pki`), a VEN is its client certificate: a request without one
  is refused 401, a registration binds the assigned venID to the certificate's fingerprint, and
  a message naming a venID bound to another certificate is refused 403 (adapters/ven_identity.py).
  In the insecure test mode the VEN is trusted to be who its venID says.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from harness.protocols import oadr_codec as oc
from harness.protocols import oadr_schema
from harness.protocols.oadr_codec import EiResponse

from ..core.dr_events import DrEvent
from ..core.dr_reports import DEFAULT_GRANULARITY
from ..core.errors import FieldError, MarketError, Rejected
from . import tls_auth, ven_identity
from .vtn_answers import _ei
from .vtn_reports import ReportServices

VTN_PREFIX = "/OpenADR2/Simple/2.0b/"
MAX_XML_BYTES = 1 << 20                 # 1 MiB; xml_safety's own limit (4 MiB) stays behind it
XML_TYPES = ("application/xml", "text/xml")
SERVICES: dict[str, tuple[type, ...]] = {
    "EiRegisterParty": (oc.QueryRegistration, oc.CreatePartyRegistration, oc.CancelPartyRegistration),
    "EiEvent": (oc.RequestEvent, oc.CreatedEvent),
    "EiReport": (oc.RegisterReport, oc.UpdateReport, oc.CreatedReport, oc.CanceledReport, oc.CancelReport),
    "EiOpt": (oc.CreateOpt, oc.CancelOpt),
    "OadrPoll": (oc.Poll,),
}
IDLE_ANSWERS = 100_000          # cached "nothing pending" poll answers (one per VEN) before a clear
_NOTHING_PENDING = object()     # _poll's answer when the VEN has nothing waiting (see Vtn._idle_answer)


@dataclass(frozen=True)
class VtnSettings:
    """What the VTN tells VENs. ``vtn_id`` is upper case: openleadr flags a lower-case one.
    ``report_back_duration`` 0 asks for each report once, now; otherwise periodically."""

    vtn_id: str = "REFERENCE-VTN"
    poll_frequency: timedelta = timedelta(seconds=10)
    report_granularity: timedelta = DEFAULT_GRANULARITY
    report_back_duration: timedelta = DEFAULT_GRANULARITY


class HttpRefusal(Exception):
    """Refused before it became an OpenADR message: an HTTP status and a one-line reason."""

    def __init__(self, status: int, code: str, reason: str, headers: dict | None = None):
        super().__init__(f"{code}: {reason}")
        self.status, self.code, self.headers = status, code, headers or {}


def _new_id() -> str:
    return uuid.uuid4().hex


class Vtn(ReportServices):
    """The VTN endpoints of one `BrokerService` (``service.broker`` and ``service.lock``)."""

    def __init__(self, service, settings: VtnSettings | None = None, log: Callable[[str], None] | None = None):
        self.service = service
        self.settings = settings or VtnSettings()
        self.log = log or (lambda line: None)
        self._idle: dict[str, bytes] = {}
        oadr_schema.fast_schema()  # compiled once now, not by the first burst of request threads at once
        self._handlers: dict[type, Callable] = {
            oc.QueryRegistration: self._query_registration,
            oc.CreatePartyRegistration: self._create_party_registration,
            oc.CancelPartyRegistration: self._cancel_party_registration,
            oc.RequestEvent: self._request_event, oc.CreatedEvent: self._created_event,
            oc.RegisterReport: self._register_report, oc.UpdateReport: self._update_report,
            oc.CreatedReport: self._created_report, oc.CreateOpt: self._create_opt,
            oc.Poll: self._poll, oc.CancelOpt: self._cancel_opt,
            oc.CanceledReport: self._canceled_report, oc.CancelReport: self._cancel_report,
        }

    # -- HTTP ----------------------------------------------------------------------------------
    def handle_http(self, handler, method: str, path: str) -> tuple[int, str, bytes, dict]:
        """One request below `VTN_PREFIX`, from a `BaseHTTPRequestHandler`.

        Returns:
            ``(status, content type, body, extra headers)``.
        """
        try:
            name = path[len(VTN_PREFIX):]
            if name not in SERVICES:
                raise HttpRefusal(404, "unknown-service", f"no OpenADR service {name!r}; "
                                  f"services: {', '.join(SERVICES)}")
            if method != "POST":
                raise HttpRefusal(405, "method-not-allowed", "OpenADR services take POST", {"Allow": "POST"})
            ctype = handler.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ctype not in XML_TYPES:
                raise HttpRefusal(415, "unsupported-media-type", "send Content-Type: application/xml")
            fingerprint = _client_fingerprint(handler)
            body = self._read_body(handler)
            return 200, "application/xml", self.handle(name, body, fingerprint), {}
        except HttpRefusal as refusal:
            if refusal.status != 400:
                self._unread_body(handler)
            self.log(f"openadr: {path} refused {refusal.status} {refusal.code}")
            return refusal.status, "text/plain; charset=utf-8", str(refusal).encode("utf-8"), refusal.headers

    @staticmethod
    def _unread_body(handler) -> None:
        if handler.headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in handler.headers:
            handler.close_connection = True

    @staticmethod
    def _read_body(handler) -> bytes:
        if "Transfer-Encoding" in handler.headers or handler.headers.get("Content-Length") is None:
            raise HttpRefusal(411, "length-required", "send the message with a Content-Length")
        try:
            length = int(handler.headers["Content-Length"])
            if length < 0:
                raise ValueError
        except ValueError:
            handler.close_connection = True
            raise HttpRefusal(400, "bad-content-length", "Content-Length is not a byte count") from None
        if length > MAX_XML_BYTES:
            raise HttpRefusal(413, "body-too-large", f"OpenADR messages are limited to {MAX_XML_BYTES} bytes")
        data = handler.rfile.read(length)
        if len(data) < length:
            handler.close_connection = True
            raise HttpRefusal(400, "body-incomplete", "the request body ended early")
        return data

    # -- messages ------------------------------------------------------------------------------
    def handle(self, service_name: str, body: bytes, fingerprint: str | None = None) -> bytes:
        """One OpenADR message to one service; the answer as a schema-valid document.
        ``fingerprint``: the sender's client certificate (None without TLS).

        Raises:
            HttpRefusal: 400 for XML that `oadr_codec.from_xml` refuses (not a message).
        """
        try:
            message = oc.from_xml(body)
        except oc.UnknownMessage as exc:
            return self._answer(oc.Response(EiResponse("", "453", exc.message[:500])), "453")
        except oc.XmlRejected as exc:
            where = f" (at {exc.field})" if exc.field else ""
            raise HttpRefusal(400, exc.code, f"{exc.message}{where}"[:500]) from None
        if isinstance(message, oc.Response):  # a VEN's plain acknowledgement: acknowledged
            return self._answer(oc.Response(_ei(message.response.request_id), ven_id=message.ven_id), "200")
        if type(message) not in SERVICES[service_name]:
            return self._answer(oc.Response(EiResponse(
                getattr(message, "request_id", "") or "", "459",
                f"{message.ELEMENT} is not a message of {service_name}")), "459")
        with self.service.lock:
            try:
                ven_identity.check(self.service.repository, getattr(message, "ven_id", None), fingerprint)
            except ven_identity.VenIdentityRefused as exc:
                raise HttpRefusal(403, "forbidden", str(exc)) from None
            answer = self._handlers[type(message)](self.service.broker, message)
            if isinstance(answer, oc.CreatedPartyRegistration) and answer.ven_id:
                ven_identity.bind(self.service.repository, answer.ven_id, fingerprint)
        if answer is _NOTHING_PENDING:
            return self._idle_answer(message.ven_id)
        code = getattr(getattr(answer, "response", None), "code", "200")
        return self._answer(answer, code, type(message).ELEMENT)

    def _idle_answer(self, ven_id: str) -> bytes:
        """The oadrResponse 200 to a poll with nothing pending: it depends on the venID only, so
        its bytes (schema-checked when first built) are kept per VEN (bounded)."""
        data = self._idle.get(ven_id)
        if data is None:
            if len(self._idle) >= IDLE_ANSWERS:
                self._idle.clear()
            data = self._idle[ven_id] = oc.to_xml(oc.Response(_ei(""), ven_id=ven_id))
        return data

    def _answer(self, answer, code: str, asked: str = "") -> bytes:
        if code != "200":
            self.log(f"openadr: {asked or 'message'} answered {answer.ELEMENT} {code}")
        return oc.to_xml(answer)

    def _registered(self, request_id: str, record: dict | None = None, refusal=None):
        s = self.settings
        return oc.CreatedPartyRegistration(
            _ei(request_id, refusal), s.vtn_id,
            registration_id=record["registration_id"] if record else None,
            ven_id=record["ven_id"] if record else None,
            profiles=(oc.Profile("2.0b", ("simpleHttp",)),), poll_frequency=s.poll_frequency)

    def _query_registration(self, broker, m: oc.QueryRegistration):
        return self._registered(m.request_id)

    def _create_party_registration(self, broker, m: oc.CreatePartyRegistration):
        try:
            record = broker.register_ven(m.ven_name, ven_id=m.ven_id, registration_id=m.registration_id,
                                         http_pull_model=m.http_pull_model is not False,
                                         report_only=m.report_only)
        except MarketError as refusal:
            return self._registered(m.request_id, refusal=refusal)
        return self._registered(m.request_id, record)

    def _cancel_party_registration(self, broker, m: oc.CancelPartyRegistration):
        try:
            record = broker.cancel_ven_registration(m.registration_id, m.ven_id)
        except MarketError as refusal:
            return oc.CanceledPartyRegistration(_ei(m.request_id, refusal), m.registration_id, m.ven_id)
        return oc.CanceledPartyRegistration(_ei(m.request_id), record["registration_id"], record["ven_id"])

    def _event(self, record: dict, ven_id: str) -> oc.Event:
        event = DrEvent.from_record(record)
        signal = oc.Signal("SIG-0", tuple(oc.Interval(str(i), iv.duration, iv.value)
                                          for i, iv in enumerate(event.intervals)),
                           signal_name=event.signal_name, signal_type=event.signal_type,
                           unit=None if event.currency is None else oc.Currency(event.currency_unit, event.currency))
        return oc.Event(event.event_id, event.modification_number, event.market_context, event.dtstart,
                        (signal,), created=event.created_at, status=record["status"],
                        target=oc.Target(ven_ids=(ven_id,)), priority=event.priority,
                        test_event=event.test_event, response_required=event.response_required)

    def _distribute(self, broker, request_id: str, ven_id: str, reply_limit: int | None = None):
        try:
            records = broker.dr_events_for_ven(ven_id, reply_limit)
        except MarketError as refusal:
            return oc.DistributeEvent(_new_id(), self.settings.vtn_id, response=_ei(request_id, refusal))
        return oc.DistributeEvent(_new_id(), self.settings.vtn_id,
                                  tuple(self._event(r, ven_id) for r in records), _ei(request_id))

    def _request_event(self, broker, m: oc.RequestEvent):
        return self._distribute(broker, m.request_id, m.ven_id, m.reply_limit)

    def _created_event(self, broker, m: oc.CreatedEvent):
        # Each answer is recorded on its own; the reply carries the first refusal's code.
        refusal = None
        for answer in m.event_responses:
            try:
                broker.record_opt(m.ven_id, answer.event_id, answer.modification_number, answer.opt_type,
                                  source="oadrCreatedEvent")
            except MarketError as exc:
                refusal = refusal or exc
        return oc.Response(_ei(m.response.request_id, refusal), ven_id=m.ven_id)

    def _create_opt(self, broker, m: oc.CreateOpt):
        refusal = None
        if m.event_id is None:  # an availability schedule (vavailability) is not modelled here
            refusal = Rejected(FieldError("opt-without-event", "/event_id",
                                          "this VTN takes opts on events only, not availability schedules"))
        else:
            try:
                broker.record_opt(m.ven_id, m.event_id, m.modification_number, m.opt_type,
                                  source="oadrCreateOpt", opt_id=m.opt_id, reason=m.opt_reason)
            except MarketError as exc:
                refusal = exc
        return oc.CreatedOpt(_ei(m.request_id, refusal), m.opt_id)

    def _poll(self, broker, m: oc.Poll):
        try:
            pending = broker.has_unsent_dr_events(m.ven_id)
        except MarketError as refusal:
            return oc.Response(_ei("", refusal), ven_id=m.ven_id)
        if pending:
            return self._distribute(broker, "", m.ven_id)
        queued = broker.next_outbound(m.ven_id)
        if queued is not None:
            return self._outbound(queued)
        return _NOTHING_PENDING

    # -- what the VTN asks on its own initiative (core.dr_outbox) -------------------------------
    def _outbound(self, queued: dict):
        if queued["kind"] == "cancel-report":
            return oc.CancelReport(queued["outbox_id"], (queued["report_request_id"],),
                                   queued["report_to_follow"], queued["ven_id"])
        request = oc.ReportRequest(
            queued["report_request_id"], queued["report_specifier_id"],
            tuple(oc.SpecifierPayload(r_id) for r_id in queued["r_ids"]),
            granularity=timedelta(seconds=queued["granularity_s"] or 0),
            report_back_duration=timedelta(seconds=queued["report_back_duration_s"] or 0))
        return oc.CreateReport(queued["outbox_id"], (request,), queued["ven_id"])

    def _cancel_opt(self, broker, m: oc.CancelOpt):
        try:
            broker.cancel_opt(m.ven_id, m.opt_id)
        except MarketError as refusal:
            return oc.CanceledOpt(_ei(m.request_id, refusal), m.opt_id)
        return oc.CanceledOpt(_ei(m.request_id), m.opt_id)


def _client_fingerprint(handler) -> str | None:
    """The SHA-256 fingerprint of the VEN's verified client certificate; None without TLS.

    Raises:
        HttpRefusal: 401 when TLS is on and the VEN sent no certificate.
    """
    if getattr(handler.server, "ssl_context", None) is None:
        return None
    der = handler.connection.getpeercert(binary_form=True)
    if not der:
        raise HttpRefusal(401, "unauthenticated", "present a client certificate of the VTN's CA")
    return tls_auth.fingerprint(der)
