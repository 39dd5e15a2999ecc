"""Idempotency-Key on the HTTP binding, on loopback: a retried POST takes effect once."""
from __future__ import annotations

import http.client
import json

import pytest

from reference_impl.adapters.http_service import serving_in_thread


@pytest.fixture
def server(tmp_path):
    with serving_in_thread(tmp_path / "broker.sqlite3", port=0, test_mode=True, log_stream=None) as running:
        yield running


def post(server, path, body, key=None):
    conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
    try:
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key is not None else {})}
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read()), answer.getheader("Idempotent-Replayed")
    finally:
        conn.close()


PARTICIPANT = {"participant_id": "S", "role": "prosumer", "grid_node": "N1"}


def test_a_retry_with_the_same_key_replays_the_answer_and_changes_nothing(server):
    first = post(server, "/participants", PARTICIPANT, "k-1")
    assert first[0] == 201 and first[2] is None
    assert post(server, "/participants", PARTICIPANT, "k-1") == (201, first[1], "true")
    # without the key the same request is judged again: a duplicate participant is refused
    status, body, _ = post(server, "/participants", PARTICIPANT)
    assert (status, body["errors"][0]["code"]) == (422, "duplicate-id"), body


def test_a_key_reused_for_another_request_is_refused(server):
    post(server, "/participants", PARTICIPANT, "k-2")
    status, body, _ = post(server, "/participants", {**PARTICIPANT, "participant_id": "T"}, "k-2")
    assert status == 422 and body["errors"][0]["code"] == "idempotency-key-reused"
    assert body["errors"][0]["field"] == "header:Idempotency-Key"
    # and T was not registered under the reused key
    assert post(server, "/participants", {**PARTICIPANT, "participant_id": "T"}, "k-3")[0] == 201


def test_a_refusal_is_not_stored_so_a_retry_is_judged_afresh(server):
    resource = {"resource_id": "PV1", "owner_id": "S", "kind": "generator", "max_power_kw": 10.0,
                "voltage_v": 230.0, "meter_id": "M1"}
    assert post(server, "/resources", resource, "k-4")[0] == 422  # owner S unknown yet
    post(server, "/participants", PARTICIPANT, "k-5")
    status, _, replayed = post(server, "/resources", resource, "k-4")
    assert (status, replayed) == (201, None)


@pytest.mark.parametrize("key", ["", "x" * 201, "héllo", "a b"])
def test_malformed_keys_are_refused_before_anything_happens(server, key):
    status, body, _ = post(server, "/participants", PARTICIPANT, key)
    assert status == 400 and body["errors"][0]["code"] == "idempotency-key-invalid"
    assert post(server, "/participants", PARTICIPANT)[0] == 201  # nothing was stored
