"""The real third-party peer against our VTN: openleadr's unmodified ``OpenADRClient`` (a VEN,
Y.2072 Appendix I client side) registers with `harness serve`'s server over plain HTTP on
loopback, receives a DR event the broker built, opts in, receives the event again when it is
modified (by polling), and sends a metering report whose readings land in the repository
through ``submit_readings``. Every message both ways is checked against the official schema."""
from __future__ import annotations

import asyncio
import json
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from urllib.request import ProxyHandler, Request, build_opener

import pytest

from harness.protocols import oadr_schema
from reference_impl.adapters.http_service import serving_in_thread
from reference_impl.adapters.openadr_vtn import VtnSettings

openleadr = pytest.importorskip("openleadr")

VEN_NAME = "ven-interop"
METER = "meter-A"
T_READ = datetime(2026, 5, 1, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)
_OPENER = build_opener(ProxyHandler({}))


@contextmanager
def serving(tmp_path):
    settings = VtnSettings(poll_frequency=timedelta(seconds=1), report_back_duration=timedelta(0))
    with serving_in_thread(tmp_path / "broker.sqlite3", port=0, test_mode=True, log_stream=None,
                           vtn_settings=settings) as server:
        yield server


def post(server, path: str, body: dict) -> dict:
    request = Request(server.url + path, data=json.dumps(body).encode(), method="POST",
                      headers={"Content-Type": "application/json"})
    with _OPENER.open(request, timeout=10) as answer:
        assert answer.status in (200, 201)
        return json.loads(answer.read())


def broker_call(server, method: str, *args):
    with server.service.lock:
        return getattr(server.service.broker, method)(*args)


async def wait_for(condition, what: str, seconds: float = 8.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_openleadr_ven_registers_gets_our_event_opts_in_and_reports_meter_data(tmp_path):
    logging.getLogger("openleadr").setLevel(logging.ERROR)
    before = oadr_schema.stats.snapshot()
    with serving(tmp_path) as server:
        now = datetime.now(timezone.utc).replace(microsecond=0)
        post(server, "/test/clock", {"now": now.isoformat()})  # openleadr reads the wall clock
        post(server, "/participants", {"participant_id": "C1", "role": "consumer", "grid_node": "N1"})
        post(server, "/resources", {"resource_id": "LOAD-1", "owner_id": "C1", "kind": "load",
                                    "max_power_kw": 5.0, "voltage_v": 230.0, "meter_id": METER})
        created = broker_call(server, "create_dr_event", {
            "event_id": "DR-1", "market_context": "http://market.example/dr",
            "dtstart": (now + timedelta(hours=2)).isoformat(), "signal_name": "SIMPLE",
            "intervals": [{"duration_s": 900, "value": 1}, {"duration_s": 900, "value": 2}],
            "ven_names": [VEN_NAME]})
        assert created["modification_number"] == 0 and created["status"] == "far"

        seen: list[tuple[str, int, list[float]]] = []

        def remember(event) -> str:
            descriptor = event["event_descriptor"]
            values = [i["signal_payload"] for i in event["event_signals"][0]["intervals"]]
            seen.append((descriptor["event_id"], descriptor["modification_number"], values))
            return "optIn"

        async def on_event(event):
            return remember(event)

        async def on_update_event(event):
            return remember(event)

        def meter_values():  # four 15-minute energy readings, kWh
            return [(T_READ + i * Q15, 1.25 + i) for i in range(4)]

        async def scenario():
            client = openleadr.OpenADRClient(ven_name=VEN_NAME, disable_signature=True,
                                             vtn_url=f"{server.url}/OpenADR2/Simple/2.0b")
            client.add_handler("on_event", on_event)
            client.add_handler("on_update_event", on_update_event)
            client.add_report(callback=meter_values, resource_id=METER, measurement="energy_real",
                              scale="k", report_duration=timedelta(hours=1), sampling_rate=Q15)
            try:
                await client.run()
                assert client.ven_id == "VEN-1" and client.registration_id == "REG-1"
                await wait_for(lambda: seen, "the event")
                await wait_for(lambda: broker_call(server, "get_dr_event", "DR-1")["opts"], "the opt-in")
                await wait_for(lambda: server.service.broker.repo.readings([METER]), "the readings")
                post(server, "/dr-events/DR-1/events",
                     {"event": "modify", "changes": {"intervals": [{"duration_s": 1800, "value": 3}]}})
                await wait_for(lambda: len(seen) >= 2, "the modified event, by polling")
                await wait_for(lambda: broker_call(server, "get_dr_event", "DR-1")["opts"][0]
                               ["modification_number"] == 1, "the opt-in of the modification")
            finally:
                await client.stop()

        asyncio.run(asyncio.wait_for(scenario(), timeout=25))

        broker = server.service.broker
        [registration] = broker.ven_registrations()
        assert (registration["ven_name"], registration["ven_id"]) == (VEN_NAME, "VEN-1")
        assert seen == [("DR-1", 0, [1.0, 2.0]), ("DR-1", 1, [3.0])]
        event = broker_call(server, "get_dr_event", "DR-1")
        [opt] = event["opts"]
        assert (opt["ven_id"], opt["state"], opt["modification_number"], opt["source"]) == \
            ("VEN-1", "opted-in", 1, "oadrCreatedEvent")
        readings = broker.repo.readings([METER])
        assert [(r["interval_start"], r["interval_end"], r["energy_kwh"], r["direction"]) for r in readings] == [
            ((T_READ + i * Q15).isoformat(), (T_READ + (i + 1) * Q15).isoformat(), 1.25 + i, "import")
            for i in range(4)]
        [log] = broker.dr_report_log("VEN-1")
        assert log["outcome"] == "stored" and log["meters"] == {METER: {"stored": 4, "duplicates": 0}}
    after = oadr_schema.stats.snapshot()
    assert after["validated"] - before["validated"] >= 20
    assert after["failed"] == before["failed"]
