"""The route table of the broker's JSON binding (README, "HTTP binding"): which method and path
run which broker operation. `http_service` dispatches to it; the domain routes (Y.2072 7.1-7.4)
come from `domain_routes`.

Rules: a route's ``action(service, ids, body)`` runs with the service lock held and returns the
JSON answer; ids in the path are URL-decoded and never empty; bodies are limited to
``max_body_bytes`` (1 MiB, 64 MiB for the city-scale decision instances).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ..core import parsing as p
from ..core.errors import FieldError, Rejected

MAX_BODY_BYTES = 1 << 20                      # 1 MiB
DECISION_BODY_BYTES = 64 << 20                # 64 MiB: a 1,000 x 1,000 distance matrix is ~8 MB

Action = Callable[[Any, tuple[str, ...], Any], Any]  # (BrokerService, ids, body) -> answer


@dataclass(frozen=True)
class Route:
    """One route. ``pattern`` is the path's segments, ``{}`` where a URL-encoded, non-empty id goes;
    ``action(service, ids, body)`` runs with the service lock held; ``serves`` names the
    MarketSUT operation (documentation); ``created`` answers 201 instead of 200."""

    method: str
    pattern: tuple[str, ...]
    serves: str
    action: Action
    created: bool = False
    test_only: bool = False
    max_body_bytes: int = MAX_BODY_BYTES   # the decision routes take city-scale instances

    @property
    def path(self) -> str:
        return "/" + "/".join(self.pattern)

    def match(self, segments: list[str]) -> tuple[str, ...] | None:
        """Returns: the decoded ids if the path's segments fit the pattern, else None."""
        if len(segments) != len(self.pattern):
            return None
        ids = []
        for want, got in zip(self.pattern, segments):
            if want == "{}" and got:
                ids.append(unquote(got))
            elif want != got:
                return None
        return tuple(ids)


def _object(body: Any) -> Mapping:
    if not isinstance(body, Mapping):
        raise Rejected(FieldError("malformed", "", "expected a JSON object"))
    return body


def _dr_event_action(s, ids: tuple[str, ...], body: Any) -> dict:
    event = p.text(body, "event")
    return s.broker.dr_event_action(ids[0], event, p.mapping(body, "changes", required=False))


def _contract_event(s, ids: tuple[str, ...], body: Any) -> dict:
    event = p.text(body, "event")
    by = p.text(body, "by")
    changes = p.mapping(body, "changes", required=False)
    return s.broker.contract_event(ids[0], event, by, changes)


ROUTES: tuple[Route, ...] = (
    Route("POST", ("participants",), "register_participant",
          lambda s, ids, body: s.broker.register_participant(body), created=True),
    Route("POST", ("resources",), "register_resource",
          lambda s, ids, body: s.broker.register_resource(body), created=True),
    Route("POST", ("products",), "register_product",
          lambda s, ids, body: s.broker.register_product(body), created=True),
    Route("GET", ("products",), "list_products",
          lambda s, ids, body: {"products": s.broker.list_products()}),
    Route("GET", ("products", "{}"), "get_product", lambda s, ids, body: s.broker.get_product(ids[0])),
    Route("POST", ("bids",), "submit_bid", lambda s, ids, body: s.broker.submit_bid(body), created=True),
    Route("GET", ("bids", "{}"), "get_bid", lambda s, ids, body: s.broker.get_bid(ids[0])),
    Route("POST", ("products", "{}", "clearing"), "clear_market",
          lambda s, ids, body: s.broker.clear_product(ids[0])),
    Route("GET", ("contracts", "{}"), "get_contract", lambda s, ids, body: s.broker.get_contract(ids[0])),
    Route("POST", ("contracts", "{}", "events"), "contract_event", _contract_event),
    Route("GET", ("participants", "{}", "notifications"), "notifications",
          lambda s, ids, body: {"notifications": s.broker.notifications(ids[0])}),
    Route("POST", ("meters", "{}", "readings"), "submit_readings",
          lambda s, ids, body: s.broker.submit_readings(ids[0], _object(body).get("readings"))),
    Route("POST", ("contracts", "{}", "delivery"), "verify_delivery",
          lambda s, ids, body: s.broker.verify_delivery(ids[0])),
    Route("POST", ("contracts", "{}", "settlement"), "settle_contract",
          lambda s, ids, body: s.broker.settle_contract(ids[0])),
    Route("GET", ("ledger",), "ledger", lambda s, ids, body: {"entries": s.broker.ledger_entries()}),
    Route("POST", ("dr-events",), "create_dr_event",
          lambda s, ids, body: s.broker.create_dr_event(body), created=True),
    Route("GET", ("dr-events", "{}"), "get_dr_event", lambda s, ids, body: s.broker.get_dr_event(ids[0])),
    Route("POST", ("dr-events", "{}", "events"), "dr_event_action", _dr_event_action),
    # decision services (issue 7): columnar instances up to 10,000 nodes / 1,000 x 1,000 vehicles
    Route("POST", ("decisions", "trading"), "clear_trading",
          lambda s, ids, body: s.broker.clear_trading(_object(body)), max_body_bytes=DECISION_BODY_BYTES),
    Route("POST", ("decisions", "ev-charging"), "assign_ev",
          lambda s, ids, body: s.broker.assign_ev(_object(body)), max_body_bytes=DECISION_BODY_BYTES),
    Route("POST", ("decisions", "retailer-selection"), "select_retailers",
          lambda s, ids, body: s.broker.select_retailers(_object(body))),
    Route("GET", ("trade-records", "key"), "trade_signing_key",
          lambda s, ids, body: s.broker.trade_signing_key()),
    Route("GET", ("test", "info"), "description", lambda s, ids, body: s.info()),
    Route("POST", ("test", "reset"), "reset", lambda s, ids, body: s.reset(), test_only=True),
    Route("POST", ("test", "clock"), "set_clock", lambda s, ids, body: s.set_clock(body), test_only=True),
)

# customer, distribution, operation and service-provider domains (Y.2072 7.1-7.4)
from .domain_routes import routes as _domain_routes  # noqa: E402

ROUTES += _domain_routes(Route)

# retail billing (harness/sut/billing.py, README "Billing routes")
ROUTES += (
    Route("POST", ("tariffs",), "register_tariff", lambda s, ids, body: s.broker.register_tariff(body), created=True),
    Route("GET", ("tariffs",), "list_tariffs", lambda s, ids, body: {"tariffs": s.broker.list_tariffs()}),
    Route("POST", ("supplies",), "register_supply", lambda s, ids, body: s.broker.register_supply(body), created=True),
    Route("POST", ("bills",), "issue_bill", lambda s, ids, body: s.broker.issue_bill(body), created=True),
    Route("GET", ("bills", "{}"), "get_bill", lambda s, ids, body: s.broker.get_bill(ids[0])),
    Route("GET", ("billing", "signer-key"), "signer_key", lambda s, ids, body: s.broker.signer_key()),
    Route("GET", ("meters", "{}", "readings"), "meter_readings", lambda s, ids, body: s.broker.meter_readings(ids[0])),
)

ROUTE_WORDS = frozenset(w for r in ROUTES for w in r.pattern if w != "{}")
