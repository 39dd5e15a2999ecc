"""An HTTP/1.1 server on one asyncio event loop that runs a stdlib `BaseHTTPRequestHandler`
per request (issue 8 part 5: load). It replaces `ThreadingHTTPServer` under the broker.

Why: with a thread per connection, 200 polling VENs meant 200 threads contending for the GIL
and the broker's lock; every blocking call (socket, SQLite) handed the GIL to another thread,
about 15 context switches per request, which doubled the CPU a request cost. Here one thread
reads every connection, and a request is handled only once all its bytes are in: no handoffs.

What this module owns: accepting connections, the TLS handshake (asyncio's, with the server's
``ssl_context``; a refused handshake is logged ``tls: handshake refused: ...``), framing a
request (its head up to the blank line, then ``Content-Length`` bytes of body), and the
socketserver-like life cycle (`serve_forever`, `shutdown`, `server_close`).

Rules:
- The handler class is used unchanged: it reads the request from a buffer (``rfile``) and
  writes its answer to a buffer (``wfile``), which goes out in one write. It sees the
  connection as `Peer`, whose ``getpeercert`` gives the client certificate, read once per
  connection.
- A body is read only when its ``Content-Length`` is within ``body_limit(path)`` (the server
  decides: e.g. 1 MiB, 64 MiB on the decision routes). Over the limit, chunked, or an invalid
  length: the handler gets the head alone, refuses it (413, 411, 400) and the connection is
  closed, since its body was never read. ``Expect: 100-continue`` gets its interim answer here.
- Handlers run one at a time on the loop thread: the broker serialises its calls anyway.
- A client that takes longer than ``handler_class.timeout`` seconds to send a request, or idles
  that long between two keep-alive requests, is disconnected (one sweep for all connections). Heads are limited to
  `HEAD_LIMIT` bytes (431).
- The I/O is asyncio's (stdlib, TLS included) and the HTTP parsing http.server's; this module
  only finds where one request ends, so every rule of the handler stays as it was.
"""
from __future__ import annotations

import asyncio
import io
import re
import socket
import ssl
import threading
import time
import traceback
from urllib.parse import urlsplit

HEAD_LIMIT = 256 * 1024        # request line and headers together
LINGER_S, LINGER_BYTES = 1.0, 1 << 20   # after a refusal whose body was not read
_NO_LENGTH = -1


class Peer:
    """The connection as a handler sees it (``handler.connection``): the client certificate."""

    def __init__(self, writer: asyncio.StreamWriter):
        self._writer = writer
        self._der: bytes | None | bool = False   # False: not read yet

    def getpeercert(self, binary_form: bool = False):
        """Returns: the verified client certificate (DER with ``binary_form``), None without."""
        tls = self._writer.get_extra_info("ssl_object")
        if not binary_form:
            return tls.getpeercert() if tls is not None else None
        if self._der is False:
            self._der = tls.getpeercert(binary_form=True) if tls is not None else None
        return self._der


class BufferedHandling:
    """Mixed in before a `BaseHTTPRequestHandler` class: one request from bytes, the answer to
    bytes. ``request`` is ``(request bytes, Peer)``."""

    def setup(self) -> None:
        raw, self.connection = self.request
        self.rfile, self.wfile = io.BytesIO(raw), io.BytesIO()

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()

    def finish(self) -> None:
        pass  # the server takes ``wfile``'s bytes

    def handle_expect_100(self) -> bool:
        return True  # the server has answered 100 Continue before it read the body

    def parse_request(self) -> bool:
        """http.server's, except that a head of plain ``Name: value`` lines is read here into
        the same message class: the email parser http.server uses cost a quarter of a poll."""
        line = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = line.split()
        fields = _plain_fields(self.rfile) if len(words) == 3 and words[2] in _VERSIONS else None
        if fields is None:
            return super().parse_request()  # anything unusual: http.server's own rules
        # what http.server's parse_request (3.11) decides from such a request line
        self.requestline = line
        self.command, self.path, self.request_version = words
        self.close_connection = not (words[2] == "HTTP/1.1" and self.protocol_version >= "HTTP/1.1")
        if self.path.startswith("//"):
            self.path = "/" + self.path.lstrip("/")   # gh-87389, as http.server does
        fields, body_at = fields
        self.rfile.seek(body_at)
        self.headers = self.MessageClass()
        for name, value in fields:
            self.headers[name] = value
        # ... and from the headers (Expect: 100-continue was answered by the server)
        conntype = self.headers.get("Connection", "").lower()
        if conntype == "close":
            self.close_connection = True
        elif conntype == "keep-alive" and self.protocol_version >= "HTTP/1.1":
            self.close_connection = False
        return True

    def date_time_string(self, timestamp=None) -> str:
        if timestamp is not None:
            return super().date_time_string(timestamp)
        now = int(time.time())   # the Date header changes once a second: formatted once a second
        if _DATE[0] != now:
            _DATE[:] = [now, super().date_time_string(now)]
        return _DATE[1]


_DATE: list = [None, ""]
_VERSIONS = ("HTTP/1.1", "HTTP/1.0")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def _plain_fields(rfile: io.BytesIO) -> tuple[list[tuple[str, str]], int] | None:
    """The header fields after the request line, with the offset of the body, when each is a
    plain ``token: value`` line (at most 100, each under 64 KiB); else None."""
    data, start = rfile.getvalue(), rfile.tell()
    if data.startswith(b"\r\n", start):
        return [], start + 2
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        return None
    lines = data[start:end].split(b"\r\n")
    if len(lines) > 100:
        return None
    fields = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or len(line) > 65536 or b"\n" in line or b"\r" in line or not _TOKEN.fullmatch(name):
            return None
        # as the email parser's compat32 policy reads a field: leading blanks off, the rest kept
        fields.append((name.decode("latin-1"), value.decode("latin-1").lstrip(" \t")))
    return fields, end + 4


def _framing(head: bytes) -> tuple[str, int, bool, bool]:
    """Returns: (path, Content-Length or -1, chunked, expects 100-continue) of a request head."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    target = parts[1].decode("latin-1") if len(parts) > 1 else ""
    if target.startswith("//"):
        target = "/" + target.lstrip("/")   # as the handler will see it (gh-87389)
    try:
        path = urlsplit(target).path
    except ValueError:  # e.g. an unbalanced "[": the handler answers it; the default limit applies
        path = ""
    length, chunked, expect = 0, False, False
    seen_length = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length" and not seen_length:  # http.server reads the first one too
            seen_length = True
            value = value.strip()
            length = int(value) if value.isdigit() else _NO_LENGTH
        elif name == b"transfer-encoding":
            chunked = True
        elif name == b"expect" and value.strip().lower() == b"100-continue":
            expect = True
    return path, length, chunked, expect


async def _close_unread(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Close a connection whose request was not read to its end: half-close, then discard what
    the client still sends (up to `LINGER_BYTES`, `LINGER_S`), so that closing with unread bytes
    does not reset the connection before the client has read its answer."""
    try:
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        async with asyncio.timeout(LINGER_S):
            discarded = 0
            while discarded < LINGER_BYTES and (chunk := await reader.read(65536)):
                discarded += len(chunk)
    except (OSError, TimeoutError, asyncio.LimitOverrunError):
        pass


class EventLoopHTTPServer:
    """Bind at construction (like `socketserver.TCPServer`), serve from `serve_forever` on an
    asyncio loop in the calling thread until `shutdown` (from another thread).

    Args:
        server_address: (host, port); port 0 picks a free one (read ``server_address``).
        handler_class: a `BaseHTTPRequestHandler` subclass; ``handler_class.timeout`` is the
            stall limit in seconds.
    Raises:
        OSError: the address cannot be bound.
    """

    address_family = socket.AF_INET
    request_queue_size = 128
    ssl_context: ssl.SSLContext | None = None
    handshake_timeout_s = 60.0

    def __init__(self, server_address: tuple[str, int], handler_class):
        self.RequestHandlerClass = handler_class
        self._handler = type(f"Buffered{handler_class.__name__}", (BufferedHandling, handler_class), {})
        self.socket = socket.socket(self.address_family, socket.SOCK_STREAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(server_address)
            self.server_address = self.socket.getsockname()
            self.socket.listen(self.request_queue_size)
        except BaseException:
            self.socket.close()
            raise
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self._reading: dict[asyncio.StreamWriter, float] = {}   # connection -> loop time its read began
        self._stopped = threading.Event()
        self._stopped.set()

    # -- what a subclass decides -------------------------------------------------------------
    def body_limit(self, path: str) -> int:
        """Returns: the largest body (bytes) read for ``path``; the handler refuses larger ones."""
        return 1 << 20

    def log(self, line: str) -> None:
        """Write one line to the server's log (a subclass decides where)."""

    # -- life cycle ----------------------------------------------------------------------------
    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serve until `shutdown`. ``poll_interval`` is kept for socketserver compatibility."""
        self._stopped.clear()
        try:
            if not self._stopping:
                asyncio.run(self._serve())
        finally:
            self._stopping = False
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop `serve_forever` and wait until it has returned (call from another thread)."""
        self._stopping = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass  # the loop has already closed
        self._stopped.wait()

    def server_close(self) -> None:
        """Close the listening socket."""
        self.socket.close()

    async def _serve(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            connections[task] = writer
            try:
                await self._connection(reader, writer)
            finally:
                connections.pop(task, None)
                writer.close()

        listener = await asyncio.start_server(connected, sock=self.socket, limit=HEAD_LIMIT,
                                              backlog=self.request_queue_size)
        sweeper = asyncio.create_task(self._sweep())
        try:
            if not self._stopping:
                await self._stop.wait()
        finally:
            self._loop = self._stop = None
            sweeper.cancel()
            listener.close()
            # Aborting each connection ends its coroutine at its next read; cancelling the
            # tasks instead makes asyncio's stream callback log a CancelledError per connection.
            for writer in list(connections.values()):
                writer.transport.abort()
            await asyncio.gather(*connections, return_exceptions=True)

    def _stall_s(self) -> float:
        return getattr(self.RequestHandlerClass, "timeout", None) or 60.0

    async def _sweep(self) -> None:
        """Disconnect every client that has been sending one request (or idling between two)
        for longer than the stall limit. One timer for all connections: a timeout per read
        cost 8 % of a poll's handling."""
        loop = asyncio.get_running_loop()
        while True:
            stall_s = self._stall_s()
            await asyncio.sleep(max(0.05, min(1.0, stall_s / 4)))
            now = loop.time()
            for writer, since in list(self._reading.items()):
                if now - since > stall_s:
                    del self._reading[writer]
                    client = writer.get_extra_info("peername") or ("",)
                    self.log(f"{client[0]} request timed out after {stall_s:g} s")
                    writer.transport.abort()

    # -- one connection ------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.ssl_context is not None:
            try:
                await writer.start_tls(self.ssl_context, ssl_handshake_timeout=self.handshake_timeout_s)
            except (OSError, ValueError, asyncio.TimeoutError) as exc:  # ssl.SSLError is an OSError
                self.log(f"tls: handshake refused: {type(exc).__name__}: {getattr(exc, 'reason', None) or exc}")
                return
        peer, client = Peer(writer), writer.get_extra_info("peername") or ("", 0)
        clock = asyncio.get_running_loop().time
        try:
            await self._requests(reader, writer, peer, client, clock)
        finally:
            self._reading.pop(writer, None)

    async def _requests(self, reader, writer, peer: Peer, client: tuple, clock) -> None:
        while True:
            self._reading[writer] = clock()   # `_sweep` disconnects it if this takes too long
            try:
                request, complete = await self._read_request(reader, writer)
            except (asyncio.IncompleteReadError, OSError):
                return  # the client closed (between requests, or mid-request), its TLS broke, or it stalled
            except asyncio.LimitOverrunError:
                writer.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                await _close_unread(reader, writer)
                return
            self._reading.pop(writer, None)
            try:
                handler = self._handler((request, peer), client, self)
            except Exception:  # the handler answers its own errors; this is a bug: close, keep serving
                self.log("error: unexpected exception in the request handler\n" + traceback.format_exc().rstrip())
                return
            writer.write(handler.wfile.getvalue())
            try:
                await writer.drain()
            except OSError:
                return
            if not complete:
                await _close_unread(reader, writer)
                return
            if handler.close_connection:
                return

    async def _read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[bytes, bool]:
        """Returns: the request's bytes, and whether its body was read (False: head alone)."""
        head = (await reader.readuntil(b"\r\n\r\n")).lstrip(b"\r\n")
        while not head:  # blank lines before a request are ignored (RFC 9112, 2.2)
            head = (await reader.readuntil(b"\r\n\r\n")).lstrip(b"\r\n")
        path, length, chunked, expect = _framing(head)
        if chunked or length == _NO_LENGTH or length > self.body_limit(path):
            return head, False
        if expect and length:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return (head + await reader.readexactly(length)) if length else head, True
