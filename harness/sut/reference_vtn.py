"""The reference broker's OpenADR 2.0b VTN for the in-process SUT (``--sut reference``): the
broker's HTTP server (`reference_impl.adapters.http_service`) started on a free loopback port,
so the harness's VEN (`harness.sut.openadr_ven`) reaches it over real HTTP, as it would reach
any platform's VTN.

What this module owns: `ReferenceVtnHost`, mixed into `ReferenceSUT`: it starts the server
lazily (only scenarios that use the VTN pay for it), on its own SQLite file in the run's work
directory, in test mode, on the SUT's clock; ``stop_vtn`` (called by the SUT's ``close`` and so by
every ``reset``) shuts it down, so each scenario gets a fresh VTN.

``broker_class`` and ``vtn_class`` are class attributes, so tests swap in deliberately faulty
brokers or VTNs (a fault per MSG-* requirement, tests/harness/faulty_vtns.py).
"""
from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from reference_impl.adapters.http_service import make_server
from reference_impl.adapters.openadr_vtn import Vtn, VtnSettings
from reference_impl.core.errors import MarketError

from . import Response
from .openadr_ven import OpenAdrVen


class ReferenceVtnHost:
    """Expects ``self._dir`` (work directory), ``self.clock`` and ``self.broker_class``."""

    vtn_class: type[Vtn] = Vtn
    vtn_settings = VtnSettings(poll_frequency=timedelta(seconds=10), report_back_duration=timedelta(0))
    wire_tap = None   # set by the run's wire log; the VEN's exchanges are written to it
    _vtn_server = None
    _vtn_thread: threading.Thread | None = None
    _ven: OpenAdrVen | None = None
    _vtn_counter = itertools.count(1)

    def _served(self):
        if self._vtn_server is None:
            db = Path(self._dir) / f"vtn-{next(self._vtn_counter):04d}.sqlite3"
            db.unlink(missing_ok=True)
            server = make_server(db, port=0, test_mode=True, broker_class=self.broker_class,
                                 log_stream=None, vtn_settings=self.vtn_settings)
            server.vtn = self.vtn_class(server.service, self.vtn_settings, log=server.log)
            with server.service.lock:
                server.service.clock.set(self.clock.now())
            self._vtn_thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                                name="reference-vtn", daemon=True)
            self._vtn_thread.start()
            self._vtn_server = server
            self._ven = OpenAdrVen(server.url, tap=lambda entry: self.wire_tap and self.wire_tap(entry))
        return self._vtn_server

    @property
    def ven(self) -> OpenAdrVen:
        """The harness's VEN, pointed at this scenario's VTN."""
        self._served()
        return self._ven

    def vtn_endpoint(self) -> str:
        return self.ven.vtn_url

    def _dr_call(self, operation: str, *args) -> Response:
        service = self._served().service
        with service.lock:
            try:
                return Response("ok", getattr(service.broker, operation)(*args))
            except MarketError as refusal:
                return Response(refusal.status, None, tuple(e.to_record() for e in refusal.errors))

    def publish_dr_event(self, event: Mapping) -> Response:
        return self._dr_call("create_dr_event", event)

    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> Response:
        return self._dr_call("dr_event_action", event_id, action, changes)

    def set_vtn_clock(self, now) -> None:
        if self._vtn_server is not None:
            with self._vtn_server.service.lock:
                self._vtn_server.service.clock.set(now)

    def stop_vtn(self) -> None:
        server, self._vtn_server, self._ven = self._vtn_server, None, None
        if server is not None:
            server.shutdown()
            if self._vtn_thread is not None:
                self._vtn_thread.join(timeout=5)
            server.server_close()
