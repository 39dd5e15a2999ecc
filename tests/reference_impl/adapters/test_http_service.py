"""The reference broker's HTTP binding on loopback, alone (no harness): the full market flow over
real HTTP, every error mapping, the test-mode routes, and the logging rules (access lines, no
bodies, no tracebacks to the client)."""
from __future__ import annotations

import http.client
import io
import json
from contextlib import contextmanager
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from reference_impl.adapters.http_service import MAX_BODY_BYTES, serving_in_thread
from reference_impl.broker import ReferenceBroker

DAY = "2026-06-01"
_OPENER = build_opener(ProxyHandler({}))


def iso(hour: int) -> str:
    return f"{DAY}T{hour:02d}:00:00+00:00"


@contextmanager
def serving(tmp_path, **options):
    log = io.StringIO()
    with serving_in_thread(tmp_path / "broker.sqlite3", port=0, log_stream=log, **options) as server:
        server.access_log = log
        yield server


def call(server, method: str, path: str, body=None, *, raw: bytes | None = None) -> tuple[int, dict, dict]:
    """One request; returns (status, JSON body, headers)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = Request(server.url + path, data=data, method=method,
                      headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with _OPENER.open(request, timeout=10) as answer:
            status, payload, headers = answer.status, answer.read(), answer.headers
    except HTTPError as exc:
        status, payload, headers = exc.code, exc.read(), exc.headers
    assert headers["Content-Type"] == "application/json"
    return status, json.loads(payload), headers


def ok(server, method, path, body=None, expect=200):
    status, payload, _ = call(server, method, path, body)
    assert status == expect, (method, path, payload)
    return payload


@pytest.fixture
def server(tmp_path):
    with serving(tmp_path, test_mode=True) as s:
        yield s


def register(server) -> None:
    """Seller S (node N1) with a 10 kW PV on meter M1, buyer B (node N2), product P1; 08:00."""
    ok(server, "POST", "/test/clock", {"now": iso(8)})
    ok(server, "POST", "/participants", {"participant_id": "S", "role": "prosumer", "grid_node": "N1",
                                         "display_name": "Sandra Private"}, 201)
    ok(server, "POST", "/participants", {"participant_id": "B", "role": "consumer", "grid_node": "N2"}, 201)
    ok(server, "POST", "/resources", {"resource_id": "PV1", "owner_id": "S", "kind": "generator",
                                      "max_power_kw": 10.0, "voltage_v": 230.0, "meter_id": "M1"}, 201)
    ok(server, "POST", "/products", product(), 201)


def product(**changes) -> dict:
    return {"product_id": "P1", "owner_id": "S", "product_type": "generation", "resource_ids": ["PV1"],
            "max_power_kw": 10.0, "voltage_v": 230.0, "available_from": iso(10),
            "available_until": iso(18), **changes}


def bid(bid_id, bidder, side, price, currency="EUR") -> dict:
    return {"bid_id": bid_id, "product_id": "P1", "bidder_id": bidder, "side": side,
            "price": {"amount": price, "currency": currency}, "energy_kwh": 30.0,
            "delivery_start": iso(12), "delivery_end": iso(15), "expires_at": iso(11)}


def signed_contract(server) -> str:
    register(server)
    ok(server, "POST", "/bids", bid("SB1", "S", "sell", "0.12"), 201)
    ok(server, "POST", "/bids", bid("BB1", "B", "buy", "0.20"), 201)
    ok(server, "POST", "/test/clock", {"now": "2026-06-01T10:30:00+00:00"})
    clearing = ok(server, "POST", "/products/P1/clearing")
    return clearing["contracts"][0]["contract_id"]


# --- the flow --------------------------------------------------------------------------------------

def test_register_bid_clear_meter_verify_settle_over_http(server):
    contract_id = signed_contract(server)
    assert contract_id == "CT-SB1-BB1"
    assert [p["product_id"] for p in ok(server, "GET", "/products")["products"]] == ["P1"]
    assert ok(server, "GET", "/products/P1")["owner_id"] == "S"
    assert ok(server, "GET", "/bids/BB1")["state"] == "awarded"
    contract = ok(server, "GET", f"/contracts/{contract_id}")
    assert (contract["state"], contract["price"]) == ("signed", {"amount": "0.13", "currency": "EUR"})

    readings = [{"interval_start": iso(h), "interval_end": iso(h + 1), "energy_kwh": 9.6,
                 "direction": "export"} for h in (12, 13, 14)]
    assert ok(server, "POST", "/meters/M1/readings", {"readings": readings}) == {
        "meter_id": "M1", "stored": 3, "duplicates": 0}
    ok(server, "POST", "/test/clock", {"now": iso(15)})
    report = ok(server, "POST", f"/contracts/{contract_id}/delivery")
    assert (report["delivered_kwh"], report["fulfilled"]) == (pytest.approx(28.8), True)
    ok(server, "POST", "/test/clock", {"now": iso(16)})
    bill = ok(server, "POST", f"/contracts/{contract_id}/settlement")
    assert (bill["energy_charge"], bill["incentive"], bill["total"]) == ("3.74", "0.08", "3.82")

    kinds = {n["kind"] for n in ok(server, "GET", "/participants/B/notifications")["notifications"]}
    assert kinds == {"product-advertised", "bid-result", "contract-signed", "delivery-verified",
                     "contract-settled"}
    entries = ok(server, "GET", "/ledger")["entries"]
    assert [(e["seq"], e["payload"]["kind"]) for e in entries] == [(1, "trade"), (2, "settlement")]


def test_contract_events_carry_event_by_and_changes(server):
    contract_id = signed_contract(server)
    amended = ok(server, "POST", f"/contracts/{contract_id}/events",
                 {"event": "amend", "by": "B", "changes": {"energy_kwh": 20.0}})
    assert amended["energy_kwh"] == 20.0
    assert ok(server, "GET", f"/contracts/{contract_id}")["energy_kwh"] == 20.0
    status, body, _ = call(server, "POST", f"/contracts/{contract_id}/events", {"by": "B"})
    assert (status, body["errors"][0]["field"]) == (422, "/event")


def test_path_ids_are_url_decoded(server):
    register(server)
    odd = "P/1 ü?#"
    ok(server, "POST", "/products", product(product_id=odd), 201)
    assert ok(server, "GET", f"/products/{quote(odd, safe='')}")["product_id"] == odd
    ok(server, "POST", "/participants", {"participant_id": "a/b", "role": "consumer", "grid_node": "N3"}, 201)
    assert ok(server, "GET", "/participants/a%2Fb/notifications") == {"notifications": []}


# --- error mapping -----------------------------------------------------------------------------------

def test_rejected_is_422_naming_the_field_and_stores_nothing(server):
    register(server)
    status, body, _ = call(server, "POST", "/bids", bid("BB9", "B", "buy", "0.20", currency="USD"))
    assert status == 422
    assert body == {"status": "rejected", "errors": [
        {"code": "wrong-currency", "field": "/price/currency", "message": body["errors"][0]["message"]}]}
    assert call(server, "GET", "/bids/BB9")[0] == 404


def test_not_found_is_404_with_the_core_error(server):
    status, body, _ = call(server, "GET", "/products/NOPE")
    assert (status, body["status"], body["errors"][0]["code"]) == (404, "not-found", "unknown-product")
    assert body["errors"][0]["field"] == "/product_id"


def test_conflict_is_409(server):
    contract_id = signed_contract(server)
    status, body, _ = call(server, "POST", f"/contracts/{contract_id}/settlement")
    assert (status, body["status"], body["errors"][0]["code"]) == (409, "conflict", "delivery-not-verified")


@pytest.mark.parametrize("raw", [b"{not json", b'{"participant_id": NaN}', b"\xff\xfe"])
def test_malformed_json_is_400_naming_the_whole_body(server, raw):
    status, body, _ = call(server, "POST", "/participants", raw=raw)
    assert status == 400
    assert [(e["code"], e["field"]) for e in body["errors"]] == [("malformed-json", "")]
    assert "status" not in body


def test_json_that_is_not_an_object_is_422(server):
    status, body, _ = call(server, "POST", "/meters/M1/readings", [1, 2])
    assert (status, body["errors"][0]["field"]) == (422, "")


def test_oversize_body_is_413_before_it_is_read(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
    try:
        connection.putrequest("POST", "/participants")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
        connection.endheaders()
        answer = connection.getresponse()
        assert answer.status == 413
        assert json.loads(answer.read())["errors"][0]["code"] == "body-too-large"
    finally:
        connection.close()
    assert call(server, "POST", "/participants", raw=b" " * MAX_BODY_BYTES)[0] == 422  # at the limit: read


def test_wrong_method_is_405_with_allow(server):
    status, body, headers = call(server, "DELETE", "/products")
    assert (status, body["errors"][0]["code"], headers["Allow"]) == (405, "method-not-allowed", "GET, POST")
    assert call(server, "GET", "/participants")[0] == 405


@pytest.mark.parametrize("path", ["/nothing", "/products/P1/extra/x", "/products/", "/"])
def test_unknown_route_is_404(server, path):
    status, body, _ = call(server, "GET", path)
    assert (status, body) == (404, {"errors": [{"code": "unknown-route", "field": "", "message": f"no route {path}"}]})


class _Explodes(ReferenceBroker):
    def list_products(self):
        raise RuntimeError("secret detail of the failure")


def test_unexpected_exception_is_500_generic_and_logged_not_sent(tmp_path):
    with serving(tmp_path, broker_class=_Explodes) as server:
        status, body, _ = call(server, "GET", "/products")
        assert status == 500
        assert body["errors"][0]["code"] == "internal-error"
        assert "secret" not in json.dumps(body) and "Traceback" not in json.dumps(body)
        assert call(server, "GET", "/ledger")[0] == 200  # the server keeps serving
        log = server.access_log.getvalue()
    assert "Traceback" in log and "secret detail of the failure" in log


# --- test mode ---------------------------------------------------------------------------------------

def test_test_routes_are_404_without_test_mode_but_info_is_there(tmp_path):
    with serving(tmp_path) as server:
        for path in ("/test/reset", "/test/clock"):
            status, body, _ = call(server, "POST", path, {"now": iso(8)})
            assert (status, body["errors"][0]["code"]) == (404, "unknown-route")
        info = ok(server, "GET", "/test/info")
        assert (info["name"], info["test_mode"]) == ("reference broker", False)
        assert isinstance(info["version"], str)


def test_reset_gives_an_empty_store_and_a_fresh_clock(server, tmp_path):
    signed_contract(server)
    answer = ok(server, "POST", "/test/reset")
    assert answer == {"reset": True, "now": "2000-01-01T00:00:00+00:00"}
    assert ok(server, "GET", "/products") == {"products": []}
    assert ok(server, "GET", "/ledger") == {"entries": []}
    assert ok(server, "GET", "/participants/B/notifications") == {"notifications": []}
    ok(server, "POST", "/test/clock", {"now": iso(8)})  # earlier than before the reset: allowed
    ok(server, "POST", "/test/reset")
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == ["broker-0002.sqlite3", "broker.sqlite3"]


def test_clock_refusals(server):
    ok(server, "POST", "/test/clock", {"now": iso(10)})
    status, body, _ = call(server, "POST", "/test/clock", {"now": iso(9)})
    assert (status, body["status"], body["errors"][0]["code"]) == (409, "conflict", "clock-backwards")
    status, body, _ = call(server, "POST", "/test/clock", {"now": "2026-06-01T10:00:00"})
    assert (status, body["errors"][0]["field"]) == (422, "/now")
    assert ok(server, "POST", "/test/clock", {"now": iso(11)}) == {"now": iso(11)}


# --- logging -------------------------------------------------------------------------------------------

def test_access_log_has_method_path_status_duration_and_never_bodies(server):
    register(server)
    call(server, "POST", "/participants", raw=b'{"display_name": "Bodil Secret", broken')
    lines = server.access_log.getvalue().splitlines()
    assert lines[0].startswith("POST /test/clock 200 ") and lines[0].endswith(" ms")
    assert any(line.startswith("POST /participants 201 ") for line in lines)
    assert lines[-1].startswith("POST /participants 400 ")
    text = server.access_log.getvalue()
    assert "Private" not in text and "Secret" not in text and "PV1" not in text
