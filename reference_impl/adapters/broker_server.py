"""The broker's HTTP server: one `EventLoopHTTPServer` (adapters/event_loop_server.py) holding
one `BrokerService`, the JSON route table and the OpenADR VTN. `http_service.make_server`
builds it with `http_service.BrokerRequestHandler`; the binding's rules are in http_service's
docstring.

What this module owns: attaching a service, the access log (one lock, one line per write,
flushed), the pseudonymised paths it logs, how large a body each path may send
(`body_limit`), and closing the database with the server.

Rules:
- Authentication is `tls_auth.AuthenticatingServer`'s: ``ssl_context`` (None: the insecure
  test mode) and ``principal(connection)``. Its socketserver hooks (handshake in the request's
  thread) are not used here: the event loop does the handshake itself, without blocking others.
- `body_limit`: `openadr_vtn.MAX_XML_BYTES` below the VTN prefix, else the largest
  ``max_body_bytes`` of the routes the path fits (`routes.MAX_BODY_BYTES` when none does).
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, TextIO
from urllib.parse import unquote

from . import tls_auth
from .event_loop_server import EventLoopHTTPServer
from .openadr_vtn import MAX_XML_BYTES, VTN_PREFIX, Vtn, VtnSettings
from .routes import MAX_BODY_BYTES, ROUTE_WORDS, ROUTES, Route

if TYPE_CHECKING:
    from .broker_service import BrokerService


class BrokerHTTPServer(tls_auth.AuthenticatingServer, EventLoopHTTPServer):
    """The HTTP server holding one `BrokerService`; `server_close()` also closes the broker's
    database. Construct with `http_service.make_server`, which binds before opening the database.

    Args:
        address: (host, port) to bind.
        log_stream: where access lines and errors go; None for silence.
        handler_class: the request handler (`http_service.BrokerRequestHandler`).
    """

    request_queue_size = 128  # listen backlog: many VENs connecting at once

    service: BrokerService | None = None
    routes: tuple[Route, ...] = ()
    vtn: Vtn | None = None
    _log_key = b""

    def __init__(self, address: tuple[str, int], log_stream: TextIO | None, handler_class):
        self._log_stream = log_stream
        self._log_lock = threading.Lock()
        super().__init__(address, handler_class)

    def loggable(self, path: str) -> str:
        """``path`` with every segment that is not a word of the route table pseudonymised."""
        if path.startswith(VTN_PREFIX):
            return path
        return "/".join(s if s in ROUTE_WORDS or not s else "~" + tls_auth.pseudonym(self._log_key, unquote(s))
                        for s in path.split("/"))

    def body_limit(self, path: str) -> int:
        """Returns: the largest body (bytes) the server reads for ``path`` (module docstring)."""
        if path.startswith(VTN_PREFIX):
            return MAX_XML_BYTES
        segments = path.split("/")[1:]
        return max((r.max_body_bytes for r in self.routes if r.match(segments) is not None), default=MAX_BODY_BYTES)

    def attach(self, service: BrokerService, vtn_settings: VtnSettings | None = None) -> None:
        """Serve ``service``: its routes (the test routes only in test mode), its broker, and
        the OpenADR VTN in front of the same broker."""
        self.service = service
        self._log_key = service.keys.secret("log-pseudonym")
        self.routes = tuple(r for r in ROUTES if service.test_mode or not r.test_only)
        self.vtn = Vtn(service, vtn_settings, log=self.log)

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the bound socket (the real port when 0 was asked for)."""
        host, port = self.server_address[:2]
        scheme = "http" if self.ssl_context is None else "https"
        return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"

    def log(self, line: str) -> None:
        """Write one line to the log stream (never a request or response body)."""
        if self._log_stream is not None:
            with self._log_lock:
                self._log_stream.write(line + "\n")
                self._log_stream.flush()

    def server_close(self) -> None:
        super().server_close()
        if self.service is not None:
            with self.service.lock:
                self.service.close()
