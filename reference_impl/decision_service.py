"""The broker's decision services (issue 7): clearing a trading network by min-cost flow (seed
004 §5.1) and assigning vehicles to charging stations (§5.2), as requests a harness or a city
operator can send. Mixed into `ReferenceBroker`.

Rules: requests and answers are the JSON shapes of `core.decision_codec`; bad input is a
`Rejected` naming the entry; an infeasible instance is an answer (status "infeasible", with
the reason), not a refusal. Nothing is stored: these are pure decisions.
"""
from __future__ import annotations

from collections.abc import Mapping

from .adapters.flow_solver import solve_trading_flow
from .core.decision_codec import ev_answer, parse_ev, parse_trading, trading_answer
from .core.ev_charging import solve_assignment


class DecisionServiceMixin:
    """`clear_trading` and `assign_ev` for the reference broker."""

    def clear_trading(self, raw: Mapping) -> dict:
        """Clear a trading network at least cost. Returns the answer of `trading_answer`."""
        network, objective = parse_trading(raw)
        return trading_answer(solve_trading_flow(network, objective))

    def assign_ev(self, raw: Mapping) -> dict:
        """Assign each vehicle a station at least cost. Returns the answer of `ev_answer`."""
        return ev_answer(solve_assignment(parse_ev(raw)))
