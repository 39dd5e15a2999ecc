"""The harness's VEN (harness.sut.openadr_ven) on loopback: against the reference VTN every
exchange is recorded with both documents and no schema error; an invalid answer is a finding
kept on the exchange (with the schema error in the wire log), not an exception; an unreachable
VTN is a SUTError."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.errors import HarnessError, SUTError
from harness.protocols import oadr_codec as oc
from harness.sut.openadr_ven import OpenAdrVen
from reference_impl.adapters.http_service import serving_in_thread

NOW = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)


def test_a_full_exchange_with_the_reference_vtn_is_valid_and_logged(tmp_path):
    log: list[dict] = []
    with serving_in_thread(tmp_path / "vtn.sqlite3", port=0, test_mode=True, log_stream=None) as server:
        with server.service.lock:
            server.service.clock.set(NOW)
            server.service.broker.create_dr_event({
                "event_id": "DR-1", "market_context": "http://market.example/dr",
                "dtstart": (NOW + timedelta(hours=2)).isoformat(), "signal_name": "SIMPLE",
                "intervals": [{"duration_s": 900, "value": 1}], "ven_names": ["ven-a"]})
        ven = OpenAdrVen(server.url, tap=log.append)
        assert ven.vtn_url == server.url + "/OpenADR2/Simple/2.0b"
        with pytest.raises(HarnessError):
            ven.request_events()  # not registered yet: a harness misuse, said before sending
        assert ven.register("ven-a").answer.response.code == "200"
        assert ven.ven_id and ven.registration_id and ven.vtn_id == "REFERENCE-VTN"
        assert ven.request_events().answer_name == "oadrDistributeEvent"
        assert list(ven.events) == ["DR-1"]
        assert ven.answer_events("optIn").answer_name == "oadrResponse"
        assert ven.opt("DR-1", "optOut", NOW).answer == oc.CreatedOpt(
            oc.EiResponse(ven.exchanges[-1].sent.request_id), ven.exchanges[-1].sent.opt_id)
        assert ven.poll().answer_name == "oadrResponse"
        with server.service.lock:
            [opt] = server.service.broker.get_dr_event("DR-1")["opts"]
        assert opt["state"] == "opted-out"
    assert ven.counts == {"validated": 10, "failed": 0}
    assert all(not ven.findings(check) for check in ("schema", "echo", "intervals", "modification", "units"))
    assert [e["request"] for e in log] == ["oadrCreatePartyRegistration", "oadrRequestEvent", "oadrCreatedEvent",
                                           "oadrCreateOpt", "oadrPoll"]
    assert all(e["layer"] == "openadr" and e["http_status"] == 200 and e["response_schema_errors"] == []
               and b"oadrPayload" in e["request_xml"] and b"oadrPayload" in e["response_xml"] for e in log)


@contextmanager
def answering(body: bytes, status: int = 200):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_invalid_answer_is_a_finding_with_the_schema_error_in_the_wire_log():
    invalid = oc.to_xml(oc.CreatedPartyRegistration(oc.EiResponse("q-1"), "VTN")).replace(
        b"<ei:responseCode>200</ei:responseCode>", b"<ei:responseCode>OK</ei:responseCode>")
    log: list[dict] = []
    with answering(invalid) as url:
        exchange = OpenAdrVen(url, tap=log.append).query_registration()
    assert exchange.answer is None and exchange.http_status == 200
    [finding] = exchange.findings["schema"]
    assert finding.code == "schema-invalid" and "responseCode" in finding.field
    assert log[0]["response_schema_errors"][0]["path"] == finding.field
    assert "OK" in log[0]["response_schema_errors"][0]["reason"]


def test_a_refusal_without_a_document_is_kept_and_an_unreachable_vtn_is_an_error():
    with answering(b"415: send XML", status=415) as url:
        exchange = OpenAdrVen(url).query_registration()
    assert exchange.http_status == 415 and exchange.refusal.startswith("HTTP 415") and exchange.answer is None
    with answering(b"") as url:
        pass  # closed: nothing listens there any more
    with pytest.raises(SUTError) as failed:
        OpenAdrVen(url, timeout=2).query_registration()
    assert failed.value.code == "sut-unreachable"
    with pytest.raises(HarnessError):
        OpenAdrVen("ftp://example.org/")
