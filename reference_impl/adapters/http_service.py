"""The reference broker over HTTP: the JSON binding of the harness's MarketSUT operations
(README, "HTTP binding"). In Y.2072 Appendix I terms the broker is the server side (the VTN)
and every platform client (a VEN, or the harness's `HttpSUT`) talks to it over this binding.

What this module owns: the route table, the JSON codec, the mapping from core refusals to
HTTP statuses, the test-mode routes, and one server (stdlib only, no web framework):
`broker_server.BrokerHTTPServer`, an asyncio event loop that runs `BrokerRequestHandler` per
request (issue 8 load; it was a `ThreadingHTTPServer`). `harness serve` (harness/cli.py) runs
it; tests start it in a thread.

Rules:
- Binds 127.0.0.1 unless told otherwise.
- Authentication (Y.2072 clause 10): with ``tls`` (adapters/tls_auth.py) the server speaks
  HTTPS and every request is made by the party its client certificate names; a request without
  a certificate is refused 401, and `reference_impl.access.authorise` refuses 403 what the
  party may not do (other parties' records, operator-only services), before the broker runs.
  Without ``tls`` (the insecure test mode, loopback only) every caller is the operator.
- A party's POST carries a signature by its certificate's key over the request and a nonce
  (README, "Signed requests"): an altered or replayed request is refused 401 before it runs.
- The access line names no party and no record id in clear: path ids are replaced by keyed
  pseudonyms (``~`` and 12 hex digits, stable for one key folder).
- One lock around every broker call: the SQLite connection is shared by the request threads,
  and the broker's transactions must not interleave.
- JSON in and out, ``Content-Type: application/json``. A request without a body counts as
  ``{}``. Bodies over 1 MiB (64 MiB on the ``/decisions`` routes) are refused with 413 before
  they are read.
- Core refusals keep their meaning: ``Rejected`` 422, ``NotFound`` 404, ``Conflict`` 409, each
  with ``{"status", "errors": [{"code", "field", "message"}]}``. Binding errors (400 malformed
  JSON, 404 unknown route, 405, 411, 413, 500) carry ``{"errors": [...]}`` without a status,
  so a client can tell "the market refused" from "the request never reached the market".
- Unexpected exceptions answer 500 with a generic message; the traceback goes to the log only.
- Every request below ``/OpenADR2/Simple/2.0b/`` goes to the OpenADR 2.0b VTN instead
  (`openadr_vtn.Vtn`: XML in and out, its own refusal rules); the JSON routes ``/dr-events``
  are the market side of demand response (create, look up, modify or cancel an event).
- The log never holds request or response bodies (they carry personal data): one access line
  per request, ``METHOD PATH STATUS DURATION ms``, the path without its query string.
- Test mode (``test_mode=True``) adds ``POST /test/reset`` and ``POST /test/clock`` and runs the
  broker on a `SettableClock`; otherwise those routes do not exist (404) and the clock is the
  system clock. ``GET /test/info`` is always there. A reset closes the repository and opens a
  fresh SQLite file ``<db stem>-<n>.sqlite3`` beside the configured database (deleting the one
  the previous reset made), so every scenario starts from an empty store and the last
  scenario's data stays on disk for inspection.
- A POST with an ``Idempotency-Key`` header takes effect at most once (adapters/idempotency.py):
  the answer is stored in the effect's own transaction and replayed to retries.
"""
from __future__ import annotations

import ipaddress
import json
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from ..broker import ReferenceBroker
from ..core.errors import MarketError
from ..access import AccessDenied, Principal
from . import idempotency, tls_auth
from .broker_server import BrokerHTTPServer  # issue 8 load: the asyncio server, out of this module
from .broker_service import BrokerService
from .openadr_vtn import VTN_PREFIX, VtnSettings
from .routes import MAX_BODY_BYTES, ROUTE_WORDS, ROUTES, Route  # noqa: F401 (re-exported)

REFUSAL_STATUS = {"rejected": 422, "not-found": 404, "conflict": 409}


def _errors(code: str, message: str, field: str = "") -> dict:
    return {"errors": [{"code": code, "field": field, "message": message}]}


class _HttpProblem(Exception):
    """A binding-level error answered without reaching the broker."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.body, self.headers = status, _errors(code, message), dict(headers or {})


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


# -- server --------------------------------------------------------------------------------------
class BrokerRequestHandler(BaseHTTPRequestHandler):
    """Dispatches one request to the route table; see the module docstring for the rules."""

    server: BrokerHTTPServer
    protocol_version = "HTTP/1.1"
    server_version, sys_version = "reference-broker", ""  # the Server header names no versions
    timeout = 60  # seconds a client may stall mid-request before its thread gives up
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # -- plumbing -------------------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path
        headers: dict[str, str] = {}
        content_type = "application/json"
        try:
            if path.startswith(VTN_PREFIX):
                status, content_type, data, headers = self.server.vtn.handle_http(self, method, path)
            else:
                self._reply_headers = {}
                status, body = self._handle(method, path)
                headers = self._reply_headers
                data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except _HttpProblem as problem:
            status, headers = problem.status, problem.headers
            data = json.dumps(problem.body).encode("utf-8")
            content_type = "application/json"
        except Exception:
            self.server.log(f"error: unexpected exception handling {method} {path}\n"
                            + traceback.format_exc().rstrip())
            status, content_type = 500, "application/json"
            data = json.dumps(_errors("internal-error", "the broker failed to handle the request; "
                                                        "see the server log")).encode("utf-8")
        # Log before answering: once the client has its answer the line must already exist,
        # or a reader of the log (a test, an operator tailing it) races the server thread.
        # The duration is the handling time, without the send.
        self.server.log(f"{method} {self.server.loggable(path)} {status} "
                        f"{(time.perf_counter() - started) * 1000:.1f} ms")
        self._send(status, data, headers, content_type)

    def _handle(self, method: str, path: str) -> tuple[int, Any]:
        segments = path.split("/")[1:]
        candidates = [(route, ids) for route in self.server.routes
                      if (ids := route.match(segments)) is not None]
        if not candidates:
            self._unread_body()
            raise _HttpProblem(404, "unknown-route", f"no route {path}")
        chosen = next(((r, ids) for r, ids in candidates if r.method == method), None)
        if chosen is None:
            self._unread_body()
            allowed = ", ".join(sorted({r.method for r, _ in candidates}))
            raise _HttpProblem(405, "method-not-allowed", f"{path} takes {allowed}, not {method}",
                               {"Allow": allowed})
        route, ids = chosen
        body = self._read_json(route.max_body_bytes)
        service = self.server.service
        key = self.headers.get(idempotency.HEADER)
        if key is not None and not idempotency.valid_key(key):
            raise _HttpProblem(400, "idempotency-key-invalid",
                               f"{idempotency.HEADER} must be 1-200 visible ASCII characters")
        principal = self.server.principal(self.connection)
        with service.lock:
            try:
                service.broker.authorise(principal, route.serves, ids, body)
                self._check_signature(principal, method)
                if key is None or method != "POST" or route.test_only:
                    result = route.action(service, ids, body)
                else:
                    status, result, replayed = idempotency.run_once(
                        service.repository, key, idempotency.fingerprint(method, path, body),
                        lambda: ((201 if route.created else 200), route.action(service, ids, body)))
                    if replayed:
                        self._reply_headers[idempotency.REPLAY_HEADER] = "true"
                    return status, result
            except AccessDenied as denied:
                return denied.http_status, {"status": denied.status, "errors": [denied.to_record()]}
            except MarketError as refusal:
                return REFUSAL_STATUS[refusal.status], {"status": refusal.status,
                                                        "errors": [e.to_record() for e in refusal.errors]}
        return (201 if route.created else 200), result

    def _check_signature(self, principal: Principal | None, method: str) -> None:
        """A party's POST must be signed by its certificate's key, with a fresh nonce
        (reference_impl/request_signing.py); the operator's and the insecure mode's are not."""
        if principal is None or principal.role != "party" or method != "POST":
            return
        key = tls_auth.public_key_from_der(self.connection.getpeercert(binary_form=True))
        broker = self.server.service.broker
        created, nonce = broker.verify_signature(key, method, self.path, getattr(self, "_raw_body", b""),
                                                 self.headers, time.time())
        broker.spend_nonce(principal.party_id, nonce, created)

    def _unread_body(self) -> None:
        if self.headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in self.headers:
            self.close_connection = True

    def _read_json(self, limit: int = MAX_BODY_BYTES) -> Any:
        if "Transfer-Encoding" in self.headers:
            self.close_connection = True
            raise _HttpProblem(411, "length-required", "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise _HttpProblem(400, "bad-content-length", "Content-Length is not a byte count") from None
        if length > limit:
            self.close_connection = True
            raise _HttpProblem(413, "body-too-large", f"request bodies are limited to {limit} bytes")
        raw = self.rfile.read(length) if length else b""
        self._raw_body = raw  # a party's signature covers these bytes (_check_signature)
        if len(raw) < length:
            self.close_connection = True
            raise _HttpProblem(400, "malformed-json", "the request body ended early")
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            # the decoder's message gives a position, never the body's content
            raise _HttpProblem(400, "malformed-json", f"the request body is not UTF-8 JSON: {exc}") from None

    def _send(self, status: int, data: bytes, headers: Mapping[str, str],
              content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing left to tell it

    def log_request(self, code="-", size="-") -> None:
        pass  # _dispatch writes the access line, with the duration

    def log_message(self, format: str, *args) -> None:
        self.server.log(f"{self.address_string()} {format % args}")  # http.server's own errors


def make_server(db_path: str | Path, *, host: str = "127.0.0.1", port: int = 0, test_mode: bool = False,
                broker_class: type[ReferenceBroker] = ReferenceBroker, name: str = "reference broker",
                version: str | None = None, log_stream: TextIO | None = sys.stderr,
                vtn_settings: VtnSettings | None = None,
                tls: tls_auth.TlsSettings | None = None) -> BrokerHTTPServer:
    """Open the broker's database and bind the HTTP server (not yet serving).

    Args:
        db_path: the SQLite database file; its directory must exist.
        host: interface to bind; loopback by default (there is no authentication).
        port: TCP port; 0 picks a free one (read it from ``server.url``).
        test_mode: add ``/test/reset`` and ``/test/clock`` and use a settable clock.
        broker_class, name, version: see `BrokerService`.
        log_stream: where access lines and errors go; None for silence.
        vtn_settings: what the OpenADR VTN tells VENs (vtnID, poll frequency, report requests).
        tls: serve HTTPS and authenticate every party by its client certificate; None is the
            insecure test mode (every caller is the operator), allowed on loopback only.
    Returns:
        the bound server; call ``serve_forever()`` (e.g. in a thread), then ``shutdown()`` and
        ``server_close()``.
    Raises:
        OSError: the address cannot be bound (port in use, unknown host).
        sqlite3.Error: the database cannot be opened.
        ValueError: no ``tls`` on a host that is not loopback.
    """
    if tls is None and host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError(f"serving on {host} needs TLS client authentication (--pki DIR); "
                         "without it only loopback, in the insecure test mode")
    server_class = BrokerHTTPServer
    try:
        if ipaddress.ip_address(host).version == 6:
            server_class = type("BrokerHTTPServer6", (BrokerHTTPServer,), {"address_family": socket.AF_INET6})
    except ValueError:
        pass  # a host name: IPv4
    server = server_class((host, port), log_stream, BrokerRequestHandler)  # bind first: a busy port leaves no database behind
    try:
        if tls is not None:
            server.ssl_context = tls.context()
        server.attach(BrokerService(db_path, test_mode=test_mode, broker_class=broker_class, name=name,
                                    version=version), vtn_settings)
    except BaseException:
        server.server_close()
        raise
    return server


@contextmanager
def serving_in_thread(db_path: str | Path, **options) -> Iterator[BrokerHTTPServer]:
    """`make_server`, served from a daemon thread of this process until the block ends, then
    shut down and closed (for tests and benchmarks; `harness serve` serves in the foreground).

    Args:
        db_path, options: as for `make_server`.
    Returns:
        a context manager yielding the running server (its address is ``server.url``).
    Raises:
        OSError, sqlite3.Error: as `make_server`.
    """
    server = make_server(db_path, **options)
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    worker.start()
    try:
        yield server
    finally:
        server.shutdown()
        worker.join(timeout=5)
        server.server_close()
