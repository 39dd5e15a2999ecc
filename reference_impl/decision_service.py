"""The broker's decision services (issue 7): clearing a trading network by min-cost flow (seed
004 §5.1), assigning vehicles to charging stations (§5.2) and choosing a customer's retailer
mix (seed 000), as requests a harness or a city
operator can send. Mixed into `ReferenceBroker`.

Rules: requests and answers are the JSON shapes of `core.decision_codec`; bad input is a
`Rejected` naming the entry; an infeasible instance is an answer (status "infeasible", with
the reason), not a refusal. A cleared trading network's trades are appended to the trade
ledger, one signed record per arc with flow (`core.flow_trades`, seed 004 §9.2), in one
transaction, and the answer names the clearing (``clearing_id``); the solve itself runs
outside the transaction (it reads nothing stored). EV assignments and retailer choices store
nothing.
"""
from __future__ import annotations

import random
from collections.abc import Mapping

from .adapters.flow_solver import solve_trading_flow
from .core.flow_trades import flow_trade_payloads
from .core.parsing import fmt_instant
from .core.decision_codec import (ev_answer, parse_ev, parse_retail, parse_trading, retail_answer,
                                  trading_answer)
from .core.errors import FieldError, Rejected
from .core.ev_charging import solve_assignment
from .core.retailer_selection import RetailerModelError, select


class DecisionServiceMixin:
    """`clear_trading` and `assign_ev` for the reference broker."""

    def clear_trading(self, raw: Mapping) -> dict:
        """Clear a trading network at least cost and record its trades in the ledger.

        Returns: the answer of `trading_answer` plus ``clearing_id`` (None when nothing was
        traded). Raises: `Rejected` naming the bad entry; nothing is stored then.
        """
        network, objective = parse_trading(raw)
        plan = solve_trading_flow(network, objective)
        answer = trading_answer(plan)
        answer["clearing_id"] = self._record_flow_trades(plan, network)
        return answer

    def _record_flow_trades(self, plan, network) -> str | None:
        """Append the plan's signed trades to the ledger in one transaction; their clearing id."""
        if plan.status != "optimal" or not plan.flows:
            return None
        with self.repo.transaction():
            tail = self.repo.ledger_tail()
            clearing_id = f"trading-{(tail['seq'] if tail else 0) + 1}@{fmt_instant(self.clock.now())}"
            payloads = flow_trade_payloads(clearing_id, plan, network, self.rules.token_price,
                                           self.rules.currency)
            self._append_ledger(self._signed_trades(payloads))
        return clearing_id

    def assign_ev(self, raw: Mapping) -> dict:
        """Assign each vehicle a station at least cost. Returns the answer of `ev_answer`."""
        return ev_answer(solve_assignment(parse_ev(raw)))

    def select_retailers(self, raw: Mapping) -> dict:
        """Choose a customer's retailer mix (seed 000). The "random" baseline retailer is drawn
        here, from ``random_seed``, since the core has no randomness."""
        retailers, customer, seed = parse_retail(raw)
        try:
            return retail_answer(select(retailers, customer, random.Random(seed).randrange(1 << 30)))
        except RetailerModelError as exc:
            raise Rejected(FieldError("invalid-value", "/retailers", str(exc))) from None
