"""HTTP routes of the customer, distribution, operation and service-provider domains (Y.2072
7.1-7.4), added to `routes.ROUTES`; the client side is `harness.sut.domains.HttpDomainOps`
and README ("HTTP binding: domains") lists them. Bodies are JSON objects; list answers are
wrapped (``{"collections": [...]}``) like the market routes'.
"""
from __future__ import annotations

from typing import Any

from ..core import parsing as p


def _text(body: Any, key: str) -> str:
    return p.text(body if isinstance(body, dict) else {}, key)


def routes(Route) -> tuple:
    """Args: Route: `routes.Route` (passed in to keep the import one-way)."""
    b = lambda s: s.broker  # noqa: E731
    return (
        Route("POST", ("test", "run-sites"), "run_sites", lambda s, ids, body: b(s).run_sites(), test_only=True),
        Route("POST", ("sites",), "install_site", lambda s, ids, body: b(s).install_site(body), created=True),
        Route("GET", ("sites", "{}"), "site_status", lambda s, ids, body: b(s).site_status(ids[0])),
        Route("POST", ("sites", "{}", "resources", "{}", "schedule"), "set_resource_schedule",
              lambda s, ids, body: b(s).set_resource_schedule(ids[0], ids[1], body)),
        Route("POST", ("sites", "{}", "resources", "{}", "safety"), "report_resource_safety",
              lambda s, ids, body: b(s).report_resource_safety(ids[0], ids[1], body)),
        Route("POST", ("sites", "{}", "consumption-forecast"), "consumption_forecast",
              lambda s, ids, body: b(s).consumption_forecast(ids[0], _text(body, "start"), _text(body, "end"))),
        Route("POST", ("sites", "{}", "capacity-forecast"), "capacity_forecast",
              lambda s, ids, body: b(s).capacity_forecast(ids[0], _text(body, "start"), _text(body, "end"))),
        Route("POST", ("sites", "{}", "weather"), "submit_weather",
              lambda s, ids, body: b(s).submit_weather(ids[0], body.get("observations") if isinstance(body, dict) else None)),
        Route("GET", ("sites", "{}", "collections"), "collection_log",
              lambda s, ids, body: {"collections": b(s).collection_log(ids[0])}),
        Route("POST", ("sites", "{}", "voltage"), "report_voltage", lambda s, ids, body: b(s).report_voltage(ids[0], body)),
        Route("GET", ("sites", "{}", "quality"), "power_quality", lambda s, ids, body: b(s).power_quality(ids[0])),
        Route("POST", ("sites", "{}", "measurements"), "measurement_data",
              lambda s, ids, body: b(s).measurement_data(ids[0], _text(body, "requester_id"), _text(body, "start"),
                                                         _text(body, "end"))),
        Route("POST", ("lines", "{}", "flow"), "line_flow",
              lambda s, ids, body: b(s).line_flow(ids[0], _text(body, "start"), _text(body, "end"))),
        Route("POST", ("lines", "{}", "condition"), "report_line_condition",
              lambda s, ids, body: b(s).report_line_condition(ids[0], body)),
        Route("GET", ("lines", "{}"), "line_status", lambda s, ids, body: b(s).line_status(ids[0])),
        Route("POST", ("aggregators", "{}", "enrolments"), "enrol_resource",
              lambda s, ids, body: b(s).enrol_resource(ids[0], body), created=True),
        Route("POST", ("aggregators", "{}", "groups"), "create_group",
              lambda s, ids, body: b(s).create_group(ids[0], body), created=True),
        Route("GET", ("groups", "{}"), "group_status", lambda s, ids, body: b(s).group_status(ids[0])),
        Route("POST", ("groups", "{}", "commands"), "group_command", lambda s, ids, body: b(s).group_command(ids[0], body)),
        Route("POST", ("aggregators", "{}", "market-events"), "market_event",
              lambda s, ids, body: b(s).market_event(ids[0], body), created=True),
        Route("GET", ("market-events", "{}", "performance"), "dr_performance",
              lambda s, ids, body: b(s).dr_performance(ids[0])),
        Route("POST", ("aggregators", "{}", "contracts", "{}", "schedule"), "schedule_contract",
              lambda s, ids, body: b(s).schedule_contract(ids[0], ids[1])),
        Route("POST", ("aggregators", "{}", "dr-balance"), "dr_balance",
              lambda s, ids, body: b(s).dr_balance(ids[0], body)),
    )
