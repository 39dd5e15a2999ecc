"""Fuzzing the broker's HTTP surface (issue 8, part 6): every JSON route and every OpenADR
service, fed random paths, methods and bodies, answers with a clear 4xx (or a success), never a
5xx, and keeps serving; the ledger it holds still verifies afterwards."""
from __future__ import annotations

import http.client
import json
import random
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.ledger_check import chain_breaks
from reference_impl.adapters.http_service import ROUTES, serving_in_thread

FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
FIELDS = ["participant_id", "resource_id", "product_id", "bid_id", "owner", "kind", "capacity_kw",
          "voltage_v", "window", "start", "end", "price", "currency", "energy_kwh", "side", "expires_at",
          "readings", "interval_start", "interval_end", "kwh", "direction", "event", "by", "changes",
          "now", "resources", "baseline_kw", "tolerance", "quality", "signal", "group", "targets"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    st.sampled_from(["2026-06-01T10:00:00+00:00", "2026-06-01T10:00:00", "PT15M", "EUR",
                                     "kWh", "sell", "buy", "p-1", "", "0", "-1", "1e309"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), inner, max_size=6)),
    max_leaves=20)
OADR_SERVICES = ["EiRegisterParty", "EiEvent", "EiReport", "EiOpt", "OadrPoll", "EiNothing"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serving_in_thread(tmp_path_factory.mktemp("fuzz") / "broker.sqlite3", port=0,
                           test_mode=True, log_stream=open("/dev/null", "w")) as running:
        yield running


def request(server, method: str, path: str, body: bytes | None, content_type: str) -> tuple[int, bytes, str]:
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": content_type} if body is not None else {})
        answer = conn.getresponse()
        return answer.status, answer.read(), answer.getheader("Content-Type") or ""
    finally:
        conn.close()


def assert_clear_answer(status: int, payload: bytes, content_type: str, what: str) -> None:
    assert status < 500, f"{what}: {status} {payload[:300]!r}"
    if status >= 400 and content_type == "application/json":
        errors = json.loads(payload)["errors"]
        assert errors and all(e["code"] and e["message"] and "field" in e for e in errors), (what, errors)


def _path(route, seed: int, ident: str) -> str:
    rng = random.Random(seed)
    ids = iter([ident, rng.choice(["p-1", "c-1", "m-1", ident])] * 2)
    return "/" + "/".join(quote(next(ids), safe="") or "x" if part == "{}" else part for part in route.pattern)


@FUZZ
@given(route=st.sampled_from([r for r in ROUTES if r.path != "/test/reset"]), body=JSON,
       ident=st.text(min_size=1, max_size=20), seed=st.integers(0, 2**16))
def test_json_routes_answer_random_bodies_with_clear_errors(server, route, body, ident, seed):
    path = _path(route, seed, ident)
    status, payload, ctype = request(server, route.method, path, json.dumps(body).encode(), "application/json")
    assert_clear_answer(status, payload, ctype, f"{route.method} {path}")


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       path=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
       body=st.one_of(st.none(), st.binary(max_size=512)),
       content_type=st.sampled_from(["application/json", "application/xml", "text/plain", ""]))
def test_any_method_path_and_bytes_get_a_clear_answer(server, method, path, body, content_type):
    status, payload, ctype = request(server, method, "/" + path, body, content_type)
    assert_clear_answer(status, payload, ctype, f"{method} /{path}")


@FUZZ
@given(service=st.sampled_from(OADR_SERVICES), body=st.binary(max_size=1024),
       seed=st.integers(0, 2**16))
def test_openadr_services_answer_random_bodies_without_5xx(server, service, body, seed):
    # half the time, a well-formed payload envelope around the random bytes
    if seed % 2:
        body = (b'<?xml version="1.0"?><oadr:oadrPayload xmlns:oadr="http://openadr.org/oadr-2.0b/2012/07">'
                b"<oadr:oadrSignedObject>" + body + b"</oadr:oadrSignedObject></oadr:oadrPayload>")
    status, payload, ctype = request(server, "POST", f"/OpenADR2/Simple/2.0b/{service}", body, "application/xml")
    assert_clear_answer(status, payload, ctype, service)


VALID = {
    "/participants": {"participant_id": "F1", "role": "prosumer", "grid_node": "N1"},
    "/resources": {"resource_id": "FR1", "owner_id": "S", "kind": "generator", "max_power_kw": 5.0,
                   "voltage_v": 230.0, "meter_id": "FM1"},
    "/products": {"product_id": "FP1", "owner_id": "S", "product_type": "generation",
                  "resource_ids": ["PV1"], "max_power_kw": 10.0, "voltage_v": 230.0,
                  "available_from": "2026-06-01T10:00:00+00:00", "available_until": "2026-06-01T18:00:00+00:00"},
    "/bids": {"bid_id": "FB1", "product_id": "P1", "bidder_id": "B", "side": "buy",
              "price": {"amount": "0.20", "currency": "EUR"}, "energy_kwh": 30.0,
              "delivery_start": "2026-06-01T12:00:00+00:00", "delivery_end": "2026-06-01T15:00:00+00:00",
              "expires_at": "2026-06-01T11:00:00+00:00"},
    "/meters/M1/readings": {"readings": [{"interval_start": "2026-06-01T12:00:00+00:00",
                                          "interval_end": "2026-06-01T13:00:00+00:00",
                                          "energy_kwh": 9.6, "direction": "export"}]},
}


SETUP = [("/test/reset", {}), ("/test/clock", {"now": "2026-06-01T08:00:00+00:00"}),
         ("/participants", {"participant_id": "S", "role": "prosumer", "grid_node": "N1"}),
         ("/participants", {"participant_id": "B", "role": "consumer", "grid_node": "N2"}),
         ("/resources", {"resource_id": "PV1", "owner_id": "S", "kind": "generator", "max_power_kw": 10.0,
                         "voltage_v": 230.0, "meter_id": "M1"}),
         ("/products", {**VALID["/products"], "product_id": "P1"})]


def set_up_market(server) -> None:
    """A small market the mutated requests aim at: seller S with PV1 on M1, buyer B, product P1."""
    for path, body in SETUP:
        status, payload, _ = request(server, "POST", path, json.dumps(body).encode(), "application/json")
        assert status in (200, 201), (path, payload)


@pytest.fixture(scope="module")
def market(server):
    set_up_market(server)
    return server


def _state(server) -> tuple:
    products = json.loads(request(server, "GET", "/products", None, "")[1])
    ledger = json.loads(request(server, "GET", "/ledger", None, "")[1])
    return json.dumps(products, sort_keys=True), json.dumps(ledger, sort_keys=True)


@FUZZ
@given(path=st.sampled_from(sorted(VALID)), seed=st.integers(0, 2**32 - 1), value=JSON,
       action=st.sampled_from(["replace", "delete", "add"]))
def test_mutated_valid_requests_are_refused_cleanly_and_store_nothing(market, path, seed, value, action):
    body = json.loads(json.dumps(VALID[path]))
    target = body["readings"][0] if path.startswith("/meters") else body
    key = random.Random(seed).choice(sorted(target))
    if action == "replace":
        target[key] = value
    elif action == "delete":
        del target[key]
    else:
        target[f"x-{seed % 97}"] = value
    before = _state(market)
    status, payload, ctype = request(market, "POST", path, json.dumps(body).encode(), "application/json")
    assert_clear_answer(status, payload, ctype, f"POST {path} with {key} {action}d")
    if status >= 400:
        assert _state(market) == before, f"a refused POST {path} changed what the broker holds"
    else:  # accepted: start the next example from the same market
        set_up_market(market)


def test_the_server_still_serves_and_its_ledger_verifies_after_fuzzing(server):
    status, payload, _ = request(server, "GET", "/ledger", None, "")
    assert status == 200
    assert chain_breaks(json.loads(payload)["entries"]) == []
    assert request(server, "GET", "/test/info", None, "")[0] == 200
