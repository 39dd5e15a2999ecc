"""The asyncio server under the broker (adapters/event_loop_server.py), on loopback with a small
echo handler: keep-alive and pipelined requests, framing by Content-Length, 100-continue, the
fast header reading against http.server's own, stalls, oversized heads, and shutdown."""
from __future__ import annotations

import http.client
import io
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from reference_impl.adapters.event_loop_server import BufferedHandling, EventLoopHTTPServer, _plain_fields


class Echo(BaseHTTPRequestHandler):
    """Answers a POST with its path, headers and body as JSON."""

    protocol_version = "HTTP/1.1"
    timeout = 60

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length > self.server.body_limit(self.path):
            self.close_connection = True
            self._answer(413, {"refused": length})
            return
        body = self.rfile.read(length)
        self._answer(200, {"path": self.path, "headers": self.headers.items(), "body": body.decode()})

    def _answer(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        self.server.log(format % args)


class Server(EventLoopHTTPServer):
    def __init__(self, *args):
        self.lines: list[str] = []
        super().__init__(*args)

    def body_limit(self, path: str) -> int:
        return 100

    def log(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture
def server():
    s = Server(("127.0.0.1", 0), Echo)
    worker = threading.Thread(target=s.serve_forever, daemon=True)
    worker.start()
    yield s
    s.shutdown()
    worker.join(5)
    s.server_close()
    assert not worker.is_alive()


def raw(server, data: bytes, *, wait_s: float = 0.5) -> bytes:
    """Send ``data`` on one connection; everything the server sends until it closes or goes quiet."""
    with socket.create_connection(server.server_address, timeout=5) as sock:
        sock.sendall(data)
        sock.settimeout(wait_s)
        got = b""
        try:
            while chunk := sock.recv(65536):
                got += chunk
        except TimeoutError:
            pass
    return got


def test_keep_alive_requests_on_one_connection(server):
    conn = http.client.HTTPConnection(*server.server_address, timeout=5)
    for n in range(3):
        conn.request("POST", f"/p{n}", body=f"body {n}", headers={"X-N": str(n)})
        answer = conn.getresponse()
        echoed = json.loads(answer.read())
        assert answer.status == 200 and echoed["path"] == f"/p{n}" and echoed["body"] == f"body {n}"
        assert ["X-N", str(n)] in echoed["headers"]
    conn.close()


def test_pipelined_requests_in_one_write_are_answered_in_order(server):
    one = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
    two = b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    got = raw(server, one + two)
    assert got.count(b"HTTP/1.1 200 ") == 2
    assert got.index(b'"path": "/a"') < got.index(b'"path": "/b"') and b'"body": "abc"' in got


def test_a_body_over_the_limit_is_refused_from_its_length_and_the_connection_closed(server):
    started = time.perf_counter()
    got = raw(server, b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nonly the start", wait_s=3)
    assert got.startswith(b"HTTP/1.1 413 ") and time.perf_counter() - started < 2.5  # closed, not waited out


def test_expect_100_continue_gets_its_interim_answer_before_the_body_is_sent(server):
    with socket.create_connection(server.server_address, timeout=5) as sock:
        sock.sendall(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"ok")
        assert b'"body": "ok"' in sock.recv(65536)


def test_a_head_over_the_limit_is_431(server):
    got = raw(server, b"POST /h HTTP/1.1\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n")
    assert got.startswith(b"HTTP/1.1 431 ")


def test_a_stalled_client_is_disconnected_and_logged(monkeypatch, server):
    monkeypatch.setattr(Echo, "timeout", 0.3)
    got = raw(server, b"POST /s HTTP/1.1\r\nContent-Len", wait_s=3)
    assert got == b"" and any("timed out" in line for line in server.lines)


def test_shutdown_ends_open_connections_quietly(capfd):
    s = Server(("127.0.0.1", 0), Echo)
    worker = threading.Thread(target=s.serve_forever, daemon=True)
    worker.start()
    idle = [socket.create_connection(s.server_address, timeout=5) for _ in range(3)]
    time.sleep(0.2)
    s.shutdown()
    worker.join(5)
    s.server_close()
    assert not worker.is_alive()
    assert all(sock.recv(10) == b"" for sock in idle)
    for sock in idle:
        sock.close()
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.parametrize("head", [
    b"Host: x\r\nContent-Type: application/xml; charset=utf-8\r\nContent-Length: 12\r\n",
    b"Host: x\r\nX-Empty:\r\nX-Blanks: \t  a b  \r\nx-lower: v\r\nX-Dup: 1\r\nX-Dup: 2\r\n",
    b"Host: caf\xe9\r\n",
    b"",
])
def test_plain_fields_read_as_http_server_reads_them(head):
    data = b"POST / HTTP/1.1\r\n" + head + b"\r\nBODY"
    rfile = io.BytesIO(data)
    rfile.readline()
    fields, body_at = _plain_fields(rfile)
    rfile.seek(len(b"POST / HTTP/1.1\r\n"))
    expected = http.client.parse_headers(rfile)
    assert fields == expected.items() and data[body_at:] == b"BODY"


@pytest.mark.parametrize("head", [
    b"Host: x\r\n folded: continuation\r\n",     # obs-fold
    b"Bad Name: x\r\n",                           # not a token
    b"NoColon\r\n",
    b"Host: x\nOther: y\r\n",                     # a bare LF
    b"".join(b"X-%d: v\r\n" % n for n in range(101)),
])
def test_anything_unusual_is_left_to_http_server(head):
    rfile = io.BytesIO(b"POST / HTTP/1.1\r\n" + head + b"\r\n")
    rfile.readline()
    assert _plain_fields(rfile) is None


def test_unusual_requests_still_get_http_servers_answers(server):
    # http.server answers a request line it cannot read as HTTP/0.9 would: the error page alone
    assert b"Error code: 505" in raw(server, b"POST / HTTP/2.0\r\n\r\n")
    assert b"Error code: 400" in raw(server, b"POST / HTTP/1.x\r\n\r\n")
    folded = raw(server, b"POST /f HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    assert folded.startswith(b"HTTP/1.1 200 ") and b'"X-A", "1\\r\\n  2"' in folded
    assert issubclass(server._handler, BufferedHandling) and issubclass(server._handler, Echo)
