"""Loopback test of the decision routes of the HTTP binding (issue 7): instances larger than
the binding's usual 1 MiB limit are accepted (test_http_service shows the limit holds
elsewhere), a cleared network's trades are in the ledger, refusals point at the entry."""
from __future__ import annotations

from harness.ledger_check import chain_breaks
from harness.optimality.instances import ev_instance, trading_instance
from harness.trade_record_check import flow_record_problems, signature_problems
from reference_impl.adapters.http_service import MAX_BODY_BYTES
from tests.reference_impl.adapters.test_http_service import call, server  # noqa: F401 (fixture)


def test_a_city_scale_trading_network_is_cleared_over_http(server):  # noqa: F811
    instance = trading_instance(10_000, 5)
    status, body, _ = call(server, "POST", "/decisions/trading", instance)
    assert status == 200 and body["status"] == "optimal"
    assert body["solver"] == "ortools OPTIMAL"
    import json
    assert len(json.dumps(instance)) > MAX_BODY_BYTES   # above the ordinary routes' limit
    # its trades are in the ledger (issue 7, part 5): one signed record per flow, chain intact
    status, ledger, _ = call(server, "GET", "/ledger")
    status_key, key, _ = call(server, "GET", "/trade-records/key")
    assert status == status_key == 200
    entries = ledger["entries"]
    assert len(entries) == len(body["flows"]["source"]) and body["clearing_id"]
    # every record is checked against its flow; signatures on a sample (each Ed25519 check
    # costs a few hundred microseconds on a busy machine; the harness scenarios check them all)
    assert chain_breaks(entries) == [] and signature_problems(entries[::50] + entries[-1:], key) == []
    assert flow_record_problems(entries, instance, body) == []


def test_a_bad_ev_instance_is_refused_at_the_entry(server):  # noqa: F811
    instance = ev_instance(3, 4, 1)
    instance["distances_km"][2][1] = -5
    status, body, _ = call(server, "POST", "/decisions/ev-charging", instance)
    assert status == 422
    assert body["errors"][0]["field"] == "/distances_km/2/1"
