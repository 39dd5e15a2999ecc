"""The SUT as an OpenADR 2.0b VTN, tested by the harness in the VEN role (MSG-* requirements).

What this module owns: `DemandResponseVTN`, what a platform offers so the messaging features
can run against its VTN, and `vtn_of`, which steps use to reach it. A SUT offers:

- ``ven``: the harness's VEN (`harness.sut.openadr_ven.OpenAdrVen`) pointed at the SUT's VTN,
  fresh after every ``reset()``; steps send OpenADR messages only through it;
- ``publish_dr_event`` / ``dr_event_action``: the VTN operator's side, which OpenADR does not
  standardise (the reference broker's JSON ``/dr-events`` shapes, README "HTTP binding"); an
  adapter for a VTN without some operation raises `SUTLacksFeature` for it, so the scenarios
  that need it come out not-applicable with the reason;
- ``reset`` and ``set_clock`` as for every SUT (a VTN that reads the wall clock says so in its
  adapter's docstring and shifts scenario times by a fixed offset).

How a run points at a VTN: ``--sut reference`` starts the reference broker's VTN on a free
loopback port per scenario; ``--sut http://HOST:PORT`` (``harness serve --test-mode``) uses the
VTN below ``/OpenADR2/Simple/2.0b/`` of the same server; ``--sut package.module:factory`` may
return any DemandResponseVTN, e.g. ``harness.sut.openleadr_vtn:factory`` for openleadr's VTN.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ..errors import SUTLacksFeature
from . import Response, SUTDescription
from .openadr_ven import OpenAdrVen


@runtime_checkable
class DemandResponseVTN(Protocol):
    description: SUTDescription

    @property
    def ven(self) -> OpenAdrVen: ...
    def reset(self) -> None: ...
    def set_clock(self, now: datetime) -> None: ...
    def publish_dr_event(self, event: Mapping) -> Response: ...
    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> Response: ...
    def close(self) -> None: ...


def vtn_of(sut: Any) -> Any:
    """The SUT itself, once it is known to expose an OpenADR VTN.

    Raises:
        SUTLacksFeature: the SUT offers no VTN (a market-only platform): not-applicable.
    """
    if not all(hasattr(sut, name) for name in ("ven", "publish_dr_event", "dr_event_action")):
        raise SUTLacksFeature("the SUT exposes no OpenADR 2.0b VTN for the harness's VEN "
                              "(harness.sut.vtn.DemandResponseVTN)", feature="openadr-vtn")
    return sut
