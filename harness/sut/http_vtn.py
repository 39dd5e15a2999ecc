"""The OpenADR 2.0b VTN of a platform reached over the HTTP binding (``--sut http://...``):
the harness's VEN posts to ``<base URL>/OpenADR2/Simple/2.0b/<service>`` on the same server,
and the VTN operator's side goes through the binding's JSON routes ``POST /dr-events`` and
``POST /dr-events/{id}/events`` (README, "HTTP binding"), as `harness serve` offers them.

What this module owns: `HttpVtnClient`, mixed into `HttpSUT` (which provides ``base_url``,
``_call`` and ``wire_tap``). The VEN's exchanges go to the same wire log as the JSON ones.
"""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from . import Response
from .openadr_ven import VTN_PREFIX, OpenAdrVen


class HttpVtnClient:
    _ven: OpenAdrVen | None = None

    @property
    def ven(self) -> OpenAdrVen:
        """The harness's VEN, pointed at the platform's VTN."""
        if self._ven is None:
            self._ven = OpenAdrVen(self.base_url + VTN_PREFIX,
                                   tap=lambda entry: self.wire_tap and self.wire_tap(entry),
                                   ssl_context=getattr(self, "ssl_context", None))
        return self._ven

    def reset_ven(self) -> None:
        if self._ven is not None:
            self._ven.reset()

    def publish_dr_event(self, event: Mapping) -> Response:
        return self._call("POST", "/dr-events", event)

    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> Response:
        body = {"event": action} if changes is None else {"event": action, "changes": dict(changes)}
        return self._call("POST", f"/dr-events/{quote(str(event_id), safe='')}/events", body)
