"""The HTTP adapter (`harness.sut.http.HttpSUT`) and `harness serve`: the whole conformance suite
passes over HTTP against the served reference broker, a faulty broker behind the same binding
fails exactly its requirement, and a broken transport is an error (or, before the run, a usage
error), never a finding."""
from __future__ import annotations

import importlib.util
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.errors import HarnessError, SUTError
from harness.sut import MarketSUT, Response, load_sut
from harness.sut.http import HttpSUT
from reference_impl.adapters.http_service import serving_in_thread

ENCODED = {"Y2072-7.5-01", "Y2072-7.5-02", "Y2072-7.5-03", "Y2072-7.5-04"}
_spec = importlib.util.spec_from_file_location("faulty_suts_over_http",
                                               Path(__file__).parents[1] / "faulty_suts.py")
faulty_suts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(faulty_suts)


@contextmanager
def served_in_thread(tmp_path, broker_class, test_mode=True):
    """The HTTP service on a free loopback port, in a thread of this process."""
    with serving_in_thread(tmp_path / "served.sqlite3", port=0, test_mode=test_mode,
                           broker_class=broker_class, log_stream=None) as server:
        yield server.url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the suite over HTTP ------------------------------------------------------------------------

def test_whole_suite_passes_against_harness_serve(harness_cli, tmp_path):
    server_log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "serve", "--test-mode", "--port", "0",
         "--db", str(tmp_path / "db" / "broker.sqlite3")],
        stdout=subprocess.PIPE, stderr=server_log, text=True, cwd=tmp_path)
    try:
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(server.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=30)
        assert first and first[0].startswith("harness serve: reference broker on http://127.0.0.1:"), first
        assert "test mode on" in first[0] and str(tmp_path / "db" / "broker.sqlite3") in first[0]
        url = first[0].split(" on ", 1)[1].split()[0]

        run = harness_cli("run", "--sut", url)
        assert run.exit_code == 0, run.output
        verdicts = run.verdicts()
        assert {rid: verdicts[rid] for rid in ENCODED} == dict.fromkeys(ENCODED, "pass")
        assert run.record["sut"] == {"name": "reference broker", "adapter": "http", "endpoint": url}
        assert run.record["summary"]["scenarios"]["pass"] >= 30
        # the wire log holds both layers: the operation and the HTTP exchange that carried it
        first_log = next(s["wire_log"] for r in run.record["requirements"] for s in r["scenarios"]
                         if s["wire_log"])   # scenarios outside the profile (HIL-*) never ran
        entries = [json.loads(line) for line in (run.report_dir / first_log).read_text().splitlines()]
        http = [e for e in entries if e["layer"] == "http"]
        assert http and all(e["status"] in (200, 201, 404, 409, 422) for e in http)
        assert any(e["url"].endswith("/test/reset") for e in http)
        assert len([e for e in entries if e["layer"] == "operation"]) <= len(http)
        # the messaging features ran in the VEN role against the served VTN, every answer valid
        msg = {rid: v for rid, v in verdicts.items() if rid.startswith("MSG-")}
        assert msg and set(msg.values()) == {"pass"}, msg
        openadr = [json.loads(line) for path in (run.report_dir / "wire").glob("*.jsonl")
                   for line in path.read_text().splitlines() if '"layer": "openadr"' in line]
        assert len(openadr) >= 20 and all(e["url"].startswith(url + "/OpenADR2/Simple/2.0b/") for e in openadr)
        assert all(e["http_status"] == 200 and not e["response_schema_errors"] for e in openadr)

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
        server.stdout.close()
        server_log.close()
    log = (tmp_path / "serve.log").read_text()
    assert "POST /test/reset 200 " in log and "harness serve: stopped" in log
    assert "Traceback" not in log


def test_faulty_broker_behind_the_binding_fails_its_requirement(harness_cli, tmp_path):
    with served_in_thread(tmp_path, faulty_suts._ForgetsPenalty) as url:
        run = harness_cli("run", "--sut", url)
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert verdicts["Y2072-7.5-04"] == "fail"
    assert {verdicts[rid] for rid in ENCODED - {"Y2072-7.5-04"}} == {"pass"}


def test_faulty_vtn_behind_the_binding_fails_its_message_requirement(harness_cli, tmp_path):
    spec = importlib.util.spec_from_file_location("faulty_vtns_over_http", Path(__file__).parents[1] / "faulty_vtns.py")
    faulty_vtns = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(faulty_vtns)
    with served_in_thread(tmp_path, faulty_vtns._KeepsModificationNumber) as url:
        run = harness_cli("run", "--sut", url, "--profile", "messages")
    assert run.exit_code == 1, run.output
    verdicts = run.verdicts()
    assert verdicts["MSG-MODIFICATION-NUMBER"] == "fail"
    assert {verdicts[r] for r in verdicts if r.startswith("MSG-") and r != "MSG-MODIFICATION-NUMBER"} == {"pass"}


def test_server_answering_500_is_an_error_verdict_not_a_fail(harness_cli, tmp_path):
    with served_in_thread(tmp_path, faulty_suts._CrashesOnSettlement) as url:
        run = harness_cli("run", "--sut", url, "-r", "Y2072-7.5-04")
    assert run.exit_code == 1, run.output
    assert run.verdicts()["Y2072-7.5-04"] == "error"
    messages = [s["message"] for r in run.record["requirements"] if r["id"] == "Y2072-7.5-04"
                for s in r["scenarios"] if s["outcome"] == "error"]
    assert messages and all("sut-http-5xx" in m for m in messages)
    assert not any("database connection lost" in m for m in messages), "the server leaked its exception"


# --- failures before the run: exit 2 ---------------------------------------------------------------

def test_unreachable_url_is_a_usage_error_saying_what_to_do(harness_cli):
    run = harness_cli("run", "--sut", f"http://127.0.0.1:{free_port()}")
    assert run.exit_code == 2, run.output
    assert "harness serve" in run.output and "check the URL" in run.output
    assert "Traceback" not in run.output


def test_server_without_test_mode_is_refused_before_the_run(tmp_path):
    from reference_impl.broker import ReferenceBroker
    with served_in_thread(tmp_path, ReferenceBroker, test_mode=False) as url:
        with pytest.raises(HarnessError, match="not in test mode") as caught:
            load_sut(url, workdir=str(tmp_path))
    assert caught.value.code == "sut-not-test-mode"


def test_serve_on_a_port_in_use_exits_2_and_opens_no_database(harness_cli, tmp_path):
    db = tmp_path / "never" / "broker.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = harness_cli("serve", "--port", str(taken.getsockname()[1]), "--db", str(db))
    assert run.exit_code == 2
    assert "cannot serve" in run.output and "Traceback" not in run.output
    assert not db.exists()


# --- HttpSUT against a stub: each answer it must not take for a finding --------------------------

class _Stub(BaseHTTPRequestHandler):
    """Answers from ``server.answers[(method, path)] = (status, body bytes, headers)``."""

    def _answer(self):
        self.server.seen.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(length) if length else b"")
        status, body, headers = self.server.answers.get((self.command, self.path),
                                                        (404, b'{"errors":[{"code":"unknown-route"}]}', {}))
        if status is None:
            time.sleep(1.0)  # slower than the client's timeout
            status = 200
        try:
            self.send_response(status)
            for name, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (the timeout case)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.answers, server.seen, server.bodies = {}, [], []
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    worker.start()
    yield server
    server.shutdown()
    worker.join(timeout=5)
    server.server_close()


def sut_for(stub, **options) -> HttpSUT:
    return HttpSUT(f"http://127.0.0.1:{stub.server_address[1]}/", workdir="unused", **options)


def sut_error(call) -> SUTError:
    with pytest.raises(SUTError) as caught:
        call()
    return caught.value


def test_http_sut_is_a_market_sut_and_names_itself_from_test_info(stub):
    stub.answers[("GET", "/test/info")] = (200, b'{"name": "Vendor X", "version": "1", "test_mode": true}', {})
    sut = sut_for(stub)
    assert isinstance(sut, MarketSUT)
    assert sut.description.name == f"http://127.0.0.1:{stub.server_address[1]}"
    assert sut.identify()["test_mode"] is True
    assert (sut.description.name, sut.description.adapter) == ("Vendor X", "http")


def test_refusals_become_responses_and_lists_are_unwrapped(stub):
    stub.answers[("POST", "/bids")] = (422, json.dumps({"status": "rejected", "errors": [
        {"code": "wrong-currency", "field": "/price/currency", "message": "EUR only"}]}).encode(), {})
    stub.answers[("GET", "/bids/B%2F1%20x")] = (404, b'{"errors": [{"code": "unknown-bid", "field": "/bid_id"}]}', {})
    stub.answers[("GET", "/products")] = (200, b'{"products": [{"product_id": "P1"}]}', {})
    sut = sut_for(stub)
    refused = sut.submit_bid({"bid_id": "B1"})
    assert (refused.status, refused.errors[0]["field"]) == ("rejected", "/price/currency")
    assert json.loads(stub.bodies[-1]) == {"bid_id": "B1"}
    assert sut.get_bid("B/1 x") == Response("not-found", None, ({"code": "unknown-bid", "field": "/bid_id"},))
    assert sut.list_products() == Response("ok", [{"product_id": "P1"}])


@pytest.mark.parametrize("answer, code", [
    ((500, b'{"errors": [{"code": "internal-error", "message": "it broke"}]}', {}), "sut-http-5xx"),
    ((502, b"<html>bad gateway</html>", {}), "sut-http-5xx"),
    ((200, b"<html>not json</html>", {}), "sut-bad-json"),
    ((200, b'[{"product_id": "P1"}]', {}), "sut-bad-json"),            # list not wrapped
    ((409, b"conflict", {}), "sut-bad-json"),                           # refusal without the error body
    ((302, b"", {"Location": "/elsewhere"}), "sut-http-status"),        # redirects are not followed
    ((400, b'{"errors": [{"code": "malformed-json"}]}', {}), "sut-http-status"),
    ((404, b'{"errors": [{"code": "unknown-route"}]}', {}), "sut-unknown-route"),
    ((None, b"{}", {}), "sut-timeout"),
])
def test_broken_answers_raise_sut_error_naming_the_path(stub, answer, code):
    stub.answers[("GET", "/products")] = answer
    error = sut_error(sut_for(stub, timeout=0.3).list_products)
    assert (error.code, error.field) == (code, "/products")


def test_connection_failure_is_sut_unreachable():
    error = sut_error(HttpSUT(f"http://127.0.0.1:{free_port()}", workdir="unused").ledger)
    assert (error.code, error.field) == ("sut-unreachable", "/ledger")


def test_refused_test_routes_raise(stub):
    stub.answers[("POST", "/test/clock")] = (409, b'{"status": "conflict", "errors": [{"code": "clock-backwards"}]}', {})
    from datetime import datetime, timezone
    error = sut_error(lambda: sut_for(stub).set_clock(datetime(2026, 6, 1, tzinfo=timezone.utc)))
    assert error.code == "sut-test-route-refused"
    assert json.loads(stub.bodies[-1]) == {"now": "2026-06-01T00:00:00+00:00"}
    assert sut_error(sut_for(stub).reset).code == "sut-unknown-route"


def test_bad_url_is_refused():
    with pytest.raises(HarnessError, match="http"):
        HttpSUT("http://", workdir="unused")
