"""The broker over HTTPS with client certificates (adapters/tls_auth.py, reference_impl/access.py,
adapters/ven_identity.py), on loopback with a `harness pki init` folder: who is refused 401 and
403, the VTN's VEN-to-certificate binding, a certificate of a foreign CA, and an access log
that names no party or record in clear."""
from __future__ import annotations

import http.client
import io
import json
import ssl

import pytest

from harness import pki
from harness.protocols import oadr_codec as oc
from harness.sut.http_parties import client_context
from reference_impl.adapters.http_service import make_server, serving_in_thread
from reference_impl.adapters.tls_auth import TlsSettings

REGISTER = "/OpenADR2/Simple/2.0b/EiRegisterParty"
POLL = "/OpenADR2/Simple/2.0b/OadrPoll"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("pki")
    pki.init(path, ("alice", "bob"))
    return path


@pytest.fixture
def server(tmp_path, folder):
    log = io.StringIO()
    with serving_in_thread(tmp_path / "broker.sqlite3", test_mode=True, log_stream=log,
                           tls=TlsSettings.from_dir(folder)) as s:
        s.access_log = log
        yield s


def call(server, folder, who, method, path, body=None, *, xml=False, context=None):
    context = context or client_context(folder, who)
    conn = http.client.HTTPSConnection(server.url.removeprefix("https://"), timeout=10, context=context)
    try:
        headers = {"Content-Type": "application/xml" if xml else "application/json"}
        data = body if xml else (None if body is None else json.dumps(body).encode())
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, (raw if xml else json.loads(raw or b"{}"))
    finally:
        conn.close()


def _market(server, folder):
    ok = lambda status: status in (200, 201)  # noqa: E731
    for party in ("alice", "bob"):
        assert ok(call(server, folder, "operator", "POST", "/participants",
                       {"participant_id": party, "role": "prosumer", "grid_node": "N1"})[0])
    assert ok(call(server, folder, "operator", "POST", "/resources",
                   {"resource_id": "r-a", "owner_id": "alice", "kind": "load", "max_power_kw": 5,
                    "voltage_v": 230, "meter_id": "M-A"})[0])


def test_a_request_without_a_certificate_is_refused_401(server, folder):
    status, body = call(server, folder, None, "GET", "/products")
    assert status == 401
    assert body["status"] == "unauthenticated" and body["errors"][0]["code"] == "unauthenticated"


def test_a_party_is_refused_403_on_another_partys_meter_and_served_on_its_own(server, folder):
    _market(server, folder)
    assert call(server, folder, "alice", "GET", "/meters/M-A/readings")[0] == 200
    status, body = call(server, folder, "bob", "GET", "/meters/M-A/readings")
    assert status == 403 and body["errors"][0]["field"] == "/path/0" and "readings" not in body
    assert call(server, folder, "bob", "POST", "/test/reset")[0] == 403  # operator only


def test_a_certificate_of_another_ca_fails_the_handshake(server, folder, tmp_path):
    pki.init(tmp_path / "other", ("alice",))
    foreign = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    foreign.load_cert_chain(tmp_path / "other" / "alice.pem", tmp_path / "other" / "alice.key")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        call(server, folder, "alice", "GET", "/products", context=foreign)
    assert call(server, folder, "alice", "GET", "/products")[0] == 200  # still serving
    assert "tls: handshake refused" in server.access_log.getvalue()


def test_the_vtn_knows_a_ven_by_its_certificate(server, folder):
    status, raw = call(server, folder, None, "POST", REGISTER,
                       oc.to_xml(oc.CreatePartyRegistration("r-0", ven_name="ven-a")), xml=True)
    assert status == 401
    status, raw = call(server, folder, "alice", "POST", REGISTER,
                       oc.to_xml(oc.CreatePartyRegistration("r-1", ven_name="ven-a")), xml=True)
    ven_id = oc.from_xml(raw).ven_id
    assert status == 200 and ven_id
    assert call(server, folder, "alice", "POST", POLL, oc.to_xml(oc.Poll(ven_id)), xml=True)[0] == 200
    status, raw = call(server, folder, "bob", "POST", POLL, oc.to_xml(oc.Poll(ven_id)), xml=True)
    assert status == 403 and b"another client certificate" in raw


def test_the_access_log_names_no_party_and_no_record_in_clear(server, folder):
    _market(server, folder)
    call(server, folder, "bob", "GET", "/participants/alice/notifications")
    call(server, folder, "alice", "GET", "/meters/M-A/readings")
    log = server.access_log.getvalue()
    assert "GET /participants/~" in log and "/notifications 403" in log
    for secret in ("alice", "bob", "M-A"):
        assert secret not in log


def test_without_tls_only_loopback(tmp_path):
    with pytest.raises(ValueError, match="needs TLS"):
        make_server(tmp_path / "b.sqlite3", host="0.0.0.0", log_stream=None)


def test_serve_refuses_to_run_without_authentication_outside_the_test_mode(tmp_path):
    from harness.cli import main
    assert main(["serve", "--port", "0", "--db", str(tmp_path / "b.sqlite3")]) == 2
    assert not (tmp_path / "b.sqlite3").exists()


def test_pki_init_refuses_a_party_id_that_is_no_file_name(tmp_path):
    from harness.errors import HarnessError
    with pytest.raises(HarnessError) as caught:
        pki.init(tmp_path, ("../evil",))
    assert caught.value.field == "--party[1]"
    assert not list(tmp_path.iterdir())


def test_a_partys_unsigned_change_is_refused_and_a_signed_one_served_once(server, folder):
    from cryptography.hazmat.primitives import serialization

    from harness.protocols.request_signature import sign
    _market(server, folder)
    reading = {"readings": [{"interval_start": "2000-01-01T00:00:00+00:00", "interval_end": "2000-01-01T00:15:00+00:00",
                             "energy_kwh": 0.5, "direction": "import", "quality": "actual"}]}
    status, body = call(server, folder, "alice", "POST", "/meters/M-A/readings", reading)
    assert status == 401 and body["errors"][0]["field"] == "/headers/Signature-Created"
    data = json.dumps(reading).encode()
    key = serialization.load_pem_private_key((folder / "alice.key").read_bytes(), None)
    signed = {"Content-Type": "application/json", **sign(key, "POST", "/meters/M-A/readings", data)}
    answers = []
    for _ in range(2):
        conn = http.client.HTTPSConnection(server.url.removeprefix("https://"), timeout=10,
                                           context=client_context(folder, "alice"))
        conn.request("POST", "/meters/M-A/readings", body=data, headers=signed)
        answer = conn.getresponse()
        answers.append((answer.status, json.loads(answer.read())))
        conn.close()
    assert answers[0][0] == 200 and answers[0][1]["stored"] == 1
    assert answers[1][0] == 401 and answers[1][1]["errors"][0]["field"] == "/headers/Signature-Nonce"
