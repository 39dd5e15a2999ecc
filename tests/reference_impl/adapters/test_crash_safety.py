"""Crash safety (issue 8, part 3): the broker process is killed with SIGKILL at random points
while it settles contracts and while it issues bills, restarted on the same SQLite file and key
folder, and the client retries with the same Idempotency-Key. Afterwards no ledger entry is lost
or duplicated, the hash chain verifies, every contract is settled exactly once, every retry got
the answer of the one settlement that happened, the trade records signed before the crashes
still verify under the key the restarted broker publishes, and every bill is in the store once,
complete and signed, or not at all.

The broker runs in a forked child process (the parent has already imported everything, so a
restart costs milliseconds, not an interpreter start-up); SIGKILL gives it no chance to clean up,
exactly as a crash or `kill -9` of `harness serve`."""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import signal
import statistics
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from harness.ledger_check import chain_breaks
from harness.protocols import bill_signature, bill_xml
from harness.trade_record_check import signature_problems
from reference_impl.adapters.http_service import make_server
from reference_impl.adapters.sqlite_repository import SqliteRepository

CONTRACTS = 100
DAY = "2026-06-01"
SEED = 20261121


def _serve_child(db_path: str, port_pipe) -> None:
    server = make_server(db_path, port=0, test_mode=True, log_stream=None)
    port_pipe.send(server.server_address[1])
    server.serve_forever(poll_interval=0.05)


class BrokerProcess:
    def __init__(self, db_path):
        self.db_path = str(db_path)
        self.context = multiprocessing.get_context("fork")
        self.process = None
        self.port = None

    def start(self, now: str) -> None:
        receive, send = self.context.Pipe(duplex=False)
        self.process = self.context.Process(target=_serve_child, args=(self.db_path, send), daemon=True)
        self.process.start()
        if not receive.poll(20):
            raise RuntimeError("the broker child did not start")
        self.port = receive.recv()
        # a restart begins on the test epoch; the market clock only moves forward from there
        assert self.call("POST", "/test/clock", {"now": now})[0] == 200

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(10)

    def call(self, method: str, path: str, body=None, key: str | None = None, timeout: float = 10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"}
            if key:
                headers["Idempotency-Key"] = key
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            answer = conn.getresponse()
            return answer.status, json.loads(answer.read() or b"null"), answer.getheader("Idempotent-Replayed")
        finally:
            conn.close()


def iso(hour: int, minute: int = 0) -> str:
    return f"{DAY}T{hour:02d}:{minute:02d}:00+00:00"


def _market(broker: BrokerProcess) -> list[str]:
    """CONTRACTS signed, delivered contracts: one 1 kW resource and product per contract."""
    def ok(path, body, expect=(200, 201)):
        status, payload, _ = broker.call("POST", path, body)
        assert status in expect, (path, payload)
        return payload
    ok("/participants", {"participant_id": "S", "role": "prosumer", "grid_node": "N1"})
    ok("/participants", {"participant_id": "B", "role": "consumer", "grid_node": "N2"})
    contracts = []
    for n in range(CONTRACTS):
        ok("/resources", {"resource_id": f"R{n}", "owner_id": "S", "kind": "generator", "max_power_kw": 1.0,
                          "voltage_v": 230.0, "meter_id": f"M{n}"})
        ok("/products", {"product_id": f"P{n}", "owner_id": "S", "product_type": "generation",
                         "resource_ids": [f"R{n}"], "max_power_kw": 1.0, "voltage_v": 230.0,
                         "available_from": iso(10), "available_until": iso(18)})
        for bid_id, bidder, side, price in ((f"SB{n}", "S", "sell", "0.10"), (f"BB{n}", "B", "buy", "0.20")):
            ok("/bids", {"bid_id": bid_id, "product_id": f"P{n}", "bidder_id": bidder, "side": side,
                         "price": {"amount": price, "currency": "EUR"}, "energy_kwh": 2.0,
                         "delivery_start": iso(12), "delivery_end": iso(14), "expires_at": iso(11)})
    ok("/test/clock", {"now": iso(10, 30)})
    for n in range(CONTRACTS):
        contracts += [c["contract_id"] for c in ok(f"/products/P{n}/clearing", {})["contracts"]]
        ok(f"/meters/M{n}/readings", {"readings": [
            {"interval_start": iso(h), "interval_end": iso(h + 1), "energy_kwh": 1.0, "direction": "export"}
            for h in (12, 13)]})
    ok("/test/clock", {"now": iso(15)})
    for contract_id in contracts:
        ok(f"/contracts/{contract_id}/delivery", {})
    ok("/test/clock", {"now": iso(16)})
    return contracts


def test_kill_9_during_settlement_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(SEED)
    broker = BrokerProcess(tmp_path / "broker.sqlite3")
    broker.start(iso(8))
    try:
        contracts = _market(broker)
        assert len(contracts) == CONTRACTS
        ledger_before = broker.call("GET", "/ledger")[1]["entries"]
        # how long a settlement takes here, to aim the kills inside it
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            broker.call("GET", f"/contracts/{contracts[0]}")
            timings.append(time.perf_counter() - began)
        window_s = max(statistics.median(timings) * 3, 0.002)

        outcomes = {"replayed": 0, "executed on retry": 0}
        answers = {}
        for n, contract_id in enumerate(contracts):
            key = f"settle-{contract_id}-{SEED}"
            first = threading.Thread(target=_fire, args=(broker, contract_id, key), daemon=True)
            first.start()
            time.sleep(rng.uniform(0, window_s))
            broker.kill()
            first.join(15)
            broker.start(iso(16))
            status, body, replayed = broker.call("POST", f"/contracts/{contract_id}/settlement", {}, key)
            assert status == 200, (contract_id, status, body)
            outcomes["replayed" if replayed == "true" else "executed on retry"] += 1
            answers[contract_id] = body
            # a second retry always replays the same answer
            again = broker.call("POST", f"/contracts/{contract_id}/settlement", {}, key)
            assert again == (200, body, "true")

        entries = broker.call("GET", "/ledger")[1]["entries"]
        assert chain_breaks(entries) == []
        assert entries[:len(ledger_before)] == ledger_before  # nothing earlier lost or rewritten
        settled = [e["payload"] for e in entries if e["payload"]["kind"] == "settlement"]
        assert sorted(p["contract_id"] for p in settled) == sorted(contracts)  # once each, none lost
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        for payload in settled:
            recorded = {k: v for k, v in payload.items() if k != "kind"}
            assert recorded == answers[payload["contract_id"]]  # every retry saw the real settlement
        for contract_id in contracts:
            assert broker.call("GET", f"/contracts/{contract_id}")[1]["state"] == "settled"
        # records signed before the first kill verify under the key published after the last one
        assert signature_problems(entries, broker.call("GET", "/trade-records/key")[1]) == []
        # the same key with another request is refused, and nothing changes
        status, body, _ = broker.call("POST", f"/contracts/{contracts[1]}/settlement", {"x": 1},
                                      f"settle-{contracts[0]}-{SEED}")
        assert status == 422 and body["errors"][0]["code"] == "idempotency-key-reused"
        assert broker.call("GET", "/ledger")[1]["entries"] == entries
        print(f"kill -9 during settlement x{CONTRACTS}: {outcomes}")
    finally:
        broker.kill()


def _fire(broker: BrokerProcess, contract_id: str, key: str) -> None:
    try:
        broker.call("POST", f"/contracts/{contract_id}/settlement", {}, key, timeout=5)
    except (OSError, http.client.HTTPException, ValueError):
        pass  # killed mid-request: the retry decides


BILLED = 50
TARIFF = {"tariff_id": "FLAT-1", "currency": "EUR", "billing_mode": "usage-based", "local_tz": "Europe/Luxembourg",
          "energy": {"kind": "flat", "price_per_kwh": "0.25"}, "standing_charge_per_day": "0.40",
          "feed_in_price_per_kwh": "0.08"}


def _billing_market(broker: BrokerProcess) -> list[str]:
    """BILLED supply points with one local day (2026-06-01, Luxembourg) of hourly readings."""
    def ok(path, body):
        status, payload, _ = broker.call("POST", path, body)
        assert status in (200, 201), (path, payload)
    ok("/tariffs", TARIFF)
    meters = []
    for n in range(BILLED):
        customer, meter = f"C{n}", f"SP{n}"
        ok("/participants", {"participant_id": customer, "role": "consumer", "grid_node": "N1"})
        ok("/resources", {"resource_id": f"L{n}", "owner_id": customer, "kind": "load", "max_power_kw": 9.0,
                          "voltage_v": 230.0, "meter_id": meter})
        ok("/supplies", {"supply_point_id": meter, "customer_id": customer, "tariff_id": "FLAT-1"})
        day_start = datetime(2026, 5, 31, 22, tzinfo=timezone.utc)  # 2026-06-01 00:00 in Luxembourg
        readings = [{"interval_start": (day_start + timedelta(hours=h)).isoformat(),
                     "interval_end": (day_start + timedelta(hours=h + 1)).isoformat(),
                     "energy_kwh": energy, "direction": direction}
                    for h in range(24)
                    for direction, energy in (("import", round(0.3 + 0.01 * n, 3)), ("export", 0.0))]
        ok(f"/meters/{meter}/readings", {"readings": readings})
        meters.append(meter)
    return meters


def test_kill_9_during_bill_issuing_leaves_each_bill_whole_and_signed_or_absent(tmp_path):
    rng = random.Random(SEED + 1)
    db = tmp_path / "broker.sqlite3"
    broker = BrokerProcess(db)
    broker.start("2026-05-31T08:00:00+00:00")
    try:
        meters = _billing_market(broker)
        signer = broker.call("GET", "/billing/signer-key")[1]["public_key_pem"]
        period = {"period_start": "2026-06-01T00:00:00+02:00", "period_end": "2026-06-02T00:00:00+02:00"}
        answers, outcomes = {}, {"replayed": 0, "executed on retry": 0}
        for meter in meters:
            key = f"bill-{meter}-{SEED}"
            first = threading.Thread(target=_fire_bill, args=(broker, {"supply_point_id": meter, **period}, key),
                                     daemon=True)
            first.start()
            time.sleep(rng.uniform(0, 0.01))
            broker.kill()
            first.join(15)
            broker.start("2026-06-02T06:00:00+00:00")
            status, body, replayed = broker.call("POST", "/bills", {"supply_point_id": meter, **period}, key)
            assert status == 201, (meter, status, body)
            outcomes["replayed" if replayed == "true" else "executed on retry"] += 1
            answers[meter] = body
        # the key survived every restart: the bills signed by the first process verify with today's key
        assert broker.call("GET", "/billing/signer-key")[1]["public_key_pem"] == signer
    finally:
        broker.kill()
    stored = SqliteRepository(db).find("bills")
    assert sorted(b["supply_point_id"] for b in stored) == sorted(meters)  # once each, none lost
    assert len({b["bill_id"] for b in stored}) == len(stored)
    public_key = bill_signature.load_public_key(signer)
    for bill in stored:
        covered = bill_signature.verify(bill["document"].encode(), public_key)  # whole and signed
        assert bill_xml.from_element(covered)["supply_point_id"] == bill["supply_point_id"]
        assert bill == answers[bill["supply_point_id"]]
    print(f"kill -9 during bill issuing x{BILLED}: {outcomes}")


def _fire_bill(broker: BrokerProcess, body: dict, key: str) -> None:
    try:
        broker.call("POST", "/bills", body, key, timeout=5)
    except (OSError, http.client.HTTPException, ValueError):
        pass
