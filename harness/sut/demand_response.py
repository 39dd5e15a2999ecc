"""Demand-response events on the market side: what a step may ask a platform about DR events
(Y.2072 Appendix I: the energy trading server, as OpenADR VTN, signals the sites). A new
capability beside `MarketSUT`, implemented by `ReferenceSUT` and `HttpSUT` (``POST /dr-events``,
``GET /dr-events/{id}``; README "HTTP binding"). Event shapes as the README gives them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from . import Response


@runtime_checkable
class DemandResponseSUT(Protocol):
    def create_dr_event(self, event: Mapping) -> Response: ...
    def get_dr_event(self, event_id: str) -> Response: ...
