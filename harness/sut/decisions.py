"""The decision capability of a SUT (issue 7): clear a trading network at least cost (seed 004
§5.1), assign electric vehicles to charging stations (seed 004 §5.2), and choose a customer's
retailer mix (seed 000), for an instance the harness gives. A platform offers it beside `MarketSUT`; the optimality scenarios
(features/markets/) check its answers against the harness's own optimum.

Requests and answers are the columnar JSON shapes in docs/contracts.md ("Decision services").
Over HTTP: ``POST /decisions/trading``, ``POST /decisions/ev-charging`` and
``POST /decisions/retailer-selection``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from ..errors import HarnessError
from . import Response


@runtime_checkable
class DecisionSUT(Protocol):
    def clear_trading(self, instance: Mapping) -> Response: ...
    def assign_ev(self, instance: Mapping) -> Response: ...
    def select_retailers(self, request: Mapping) -> Response: ...


def require_decisions(sut: object) -> DecisionSUT:
    """The SUT as a `DecisionSUT`.

    Raises:
        HarnessError: the SUT does not offer the decision operations.
    """
    if not isinstance(sut, DecisionSUT):  # the wire-log proxy answers for the SUT it wraps
        raise HarnessError(f"{type(getattr(sut, '_inner', sut)).__name__} does not offer clear_trading/assign_ev/select_retailers "
                           "(harness.sut.decisions.DecisionSUT)", code="sut-lacks-capability",
                           field="clear_trading")
    return sut
