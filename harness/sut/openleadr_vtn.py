"""A real third-party VTN as the SUT: openleadr's ``OpenADRServer`` (PyPI ``openleadr``),
unmodified, configured the way its documentation asks an operator to (a registration handler,
a report-registration handler, a cancellation handler), served on a free loopback port from an
asyncio loop in a daemon thread. ``--sut harness.sut.openleadr_vtn:factory --profile messages``
runs the messaging features against it with the harness as the VEN.

What this module owns: the operator's side (publish and cancel events through openleadr's own
``add_event`` / ``add_raw_event`` / ``cancel_event``), and what openleadr cannot do, said as
`SUTLacksFeature` (modifying a published event: openleadr has no call for it).

openleadr's quirks, and what this adapter does about them:
- it judges an event's status (far, near, active, completed) from the *wall clock*, so the
  scenario's explicit times are shifted by a fixed offset, the wall time minus the scenario's
  market time at ``set_clock``: relative times (how far ahead an event starts) are kept;
  durations and values are never shifted, and the checks compare those;
- it writes its own timestamps from naive local datetimes with a ``Z`` suffix; on a host whose
  local zone is not UTC those stamps are off by the zone's offset (harmless to the MSG checks,
  which compare intervals within one message, and noted in the description);
- it mounts no ``EiOpt`` service: an ``oadrCreateOpt`` gets HTTP 404, which the request-ID
  check reports as an unanswered request (a finding: a 2.0b VTN serves EiOpt).
- ``reset()`` starts a fresh server (openleadr has no reset); ``close()`` stops it.
"""
from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import socket
import threading
import warnings
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from importlib.metadata import version

from ..errors import HarnessError, SUTLacksFeature
from . import Response, SUTDescription
from .openadr_ven import OpenAdrVen

VTN_ID = "OPENLEADR-VTN"
_CURRENCY_UNIT = {"ELECTRICITY_PRICE": "currencyPerKWh", "ENERGY_PRICE": "currencyPerKWh",
                  "DEMAND_CHARGE": "currencyPerKW", "BID_PRICE": "currencyPerKWh"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OpenleadrVtnSUT:
    """openleadr's VTN behind the `harness.sut.vtn.DemandResponseVTN` protocol."""

    wire_tap = None

    def __init__(self, workdir: str | None = None):
        try:
            import openleadr  # noqa: F401
        except ImportError as exc:
            raise HarnessError("the openleadr package is not installed", code="sut-start-failed",
                               field="--sut") from exc
        logging.getLogger("openleadr").setLevel(logging.ERROR)  # its set-up advice is not news here
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="openleadr-vtn", daemon=True)
        self._thread.start()
        self._server = None
        self._ven: OpenAdrVen | None = None
        self.offset = timedelta(0)
        self.description = SUTDescription(name=f"openleadr OpenADRServer {version('openleadr')}",
                                          adapter="openleadr", endpoint="")
        self.reset()

    # -- life cycle -------------------------------------------------------------------------------
    def _run(self, coroutine, timeout: float = 15.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def reset(self) -> None:
        from openleadr import OpenADRServer
        self._stop_server()
        self.registrations: dict[str, str] = {}          # ven_name -> ven_id
        self.event_targets: dict[str, str] = {}          # event_id -> ven_id
        port = _free_port()

        async def start():
            with warnings.catch_warnings():  # aiohttp's advice on app keys, about openleadr's code
                warnings.simplefilter("ignore")
                server = OpenADRServer(vtn_id=VTN_ID, http_host="127.0.0.1", http_port=port,
                                       requested_poll_freq=timedelta(seconds=10), show_fingerprint=False)
            server.add_handler("on_create_party_registration", self._on_registration)
            server.add_handler("on_register_report", self._on_register_report)
            server.add_handler("on_cancel_party_registration", self._on_cancel_registration)
            with contextlib.redirect_stdout(io.StringIO()):  # its start-up banner is not run output
                await server.run_async()
            return server

        self._server = self._run(start())
        url = f"http://127.0.0.1:{port}"
        self.description = SUTDescription(self.description.name, "openleadr", url)
        if self._ven is None:
            self._ven = OpenAdrVen(url, tap=lambda entry: self.wire_tap and self.wire_tap(entry))
        else:
            self._ven.reset(url)

    def _stop_server(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            self._run(server.stop())

    def close(self) -> None:
        self._stop_server()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def set_clock(self, now: datetime) -> None:
        """openleadr reads the wall clock: keep the offset that maps scenario time onto it."""
        self.offset = datetime.now(timezone.utc).replace(microsecond=0) - now

    @property
    def ven(self) -> OpenAdrVen:
        return self._ven

    # -- openleadr handlers (the operator's configuration) --------------------------------------
    def _on_registration(self, payload: Mapping):
        name = payload.get("ven_name")
        if not name:
            return False
        ven_id = self.registrations.setdefault(name, f"VEN-{len(self.registrations) + 1}")
        return ven_id, f"REG-{ven_id}"

    async def _on_register_report(self, ven_id, resource_id, measurement, unit, scale,
                                  min_sampling_interval, max_sampling_interval):
        async def received(data):
            return None
        return received, min_sampling_interval

    def _on_cancel_registration(self, payload):
        ven_id = payload.get("ven_id") if isinstance(payload, Mapping) else payload
        self.registrations = {n: v for n, v in self.registrations.items() if v != ven_id}
        return "oadrCanceledPartyRegistration", {"registration_id": payload.get("registration_id"),
                                                 "ven_id": ven_id}

    # -- the operator's side --------------------------------------------------------------------
    def _ven_id(self, event: Mapping) -> str:
        names = list(event.get("ven_names") or [])
        for name in names:
            if name in self.registrations:
                return self.registrations[name]
        ids = list(event.get("ven_ids") or [])
        if ids:
            return ids[0]
        raise HarnessError("openleadr's add_event targets one registered venID; register the VEN first",
                           code="precondition-failed", field="/ven_names", actual=names)

    def publish_dr_event(self, event: Mapping) -> Response:
        from openleadr import enums, objects
        ven_id = self._ven_id(event)
        start = datetime.fromisoformat(event["dtstart"]) + self.offset
        intervals, at = [], start
        for index, item in enumerate(event["intervals"]):
            length = timedelta(seconds=item["duration_s"])
            intervals.append(objects.Interval(dtstart=at, duration=length, signal_payload=item["value"], uid=index))
            at += length
        name, kind = event.get("signal_name", "SIMPLE"), event.get("signal_type", "level")

        async def add():
            server = self._server
            if event.get("currency") is None:
                return server.add_event(ven_id=ven_id, signal_name=name, signal_type=kind, intervals=intervals,
                                        event_id=event["event_id"], market_context=event["market_context"],
                                        callback=_opted)
            unit = _CURRENCY_UNIT.get(name, "currencyPerKWh")
            measurement = objects.Measurement(name=unit, description=enums._MEASUREMENT_DESCRIPTIONS[unit],
                                              unit=event["currency"], scale="none")
            raw = objects.Event(
                event_descriptor=objects.EventDescriptor(
                    event_id=event["event_id"], modification_number=0, event_status="far",
                    market_context=event["market_context"], created_date_time=datetime.now(timezone.utc)),
                event_signals=[objects.EventSignal(intervals=intervals, signal_name=name, signal_type=kind,
                                                   signal_id=f"{event['event_id']}-signal",
                                                   measurement=measurement)],
                targets=[{"ven_id": ven_id}])
            return server.add_raw_event(ven_id=ven_id, event=raw, callback=_opted)

        try:
            event_id = self._run(add())
        except ValueError as exc:  # openleadr's own refusal of the event
            return Response("rejected", None, ({"code": "invalid-value", "field": "", "message": str(exc)},))
        self.event_targets[event_id] = ven_id
        return Response("ok", {"event_id": event_id, "modification_number": 0,
                               "dtstart": start.isoformat()})

    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> Response:
        if action != "cancel":
            raise SUTLacksFeature("openleadr's OpenADRServer offers no call to modify a published event "
                                  "(only add_event, add_raw_event and cancel_event)",
                                  feature="event-modification")
        ven_id = self.event_targets.get(event_id)
        if ven_id is None:
            return Response("not-found", None, ({"code": "unknown-event", "field": "/event_id",
                                                 "message": f"no event {event_id!r} was published"},))

        async def cancel():
            self._server.cancel_event(ven_id, event_id)
        self._run(cancel())
        return Response("ok", {"event_id": event_id})


def _opted(ven_id, event_id, opt_type):
    """openleadr wants a callback for events that need an answer; the VEN's answers are judged
    from the wire, so nothing is kept here."""
    return None


def factory(workdir: str) -> OpenleadrVtnSUT:
    """``--sut harness.sut.openleadr_vtn:factory``."""
    return OpenleadrVtnSUT(workdir=workdir)
