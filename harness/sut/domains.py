"""The SUT capability for the customer, distribution, operation and service-provider domains
(Y.2072 7.1-7.4): `DomainSUT`, and its two bindings, in-process (`ReferenceDomainOps`, mixed
into `ReferenceSUT`) and over HTTP (`HttpDomainOps`, mixed into `HttpSUT`; routes in README,
"HTTP binding: domains").

A platform claiming these domains simulates, or connects, customer sites in test mode: the
harness installs a site (its generators, storage, loads and meters), moves the test clock, and
reads what the platform measured and did. Answers are `Response`s as for `MarketSUT`; the
shapes are the JSON documented in README. Request times are ISO-8601 with a UTC offset.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from . import Response


@runtime_checkable
class DomainSUT(Protocol):
    # the platform runs its sites up to the test clock (meters collected on schedule)
    def run_sites(self) -> Response: ...
    # customer domain (7.1)
    def install_site(self, site: Mapping) -> Response: ...
    def site_status(self, site_id: str) -> Response: ...
    def set_resource_schedule(self, site_id: str, resource_id: str, request: Mapping) -> Response: ...
    def report_resource_safety(self, site_id: str, resource_id: str, report: Mapping) -> Response: ...
    def consumption_forecast(self, site_id: str, start: str, end: str) -> Response: ...
    def submit_weather(self, site_id: str, observations: Sequence[Mapping]) -> Response: ...
    # distribution domain (7.2)
    def line_flow(self, line_id: str, start: str, end: str) -> Response: ...
    def report_line_condition(self, line_id: str, report: Mapping) -> Response: ...
    def line_status(self, line_id: str) -> Response: ...
    # operation domain (7.3)
    def collection_log(self, site_id: str) -> Response: ...
    def report_voltage(self, site_id: str, report: Mapping) -> Response: ...
    def power_quality(self, site_id: str) -> Response: ...
    def measurement_data(self, site_id: str, requester_id: str, start: str, end: str) -> Response: ...
    # service-provider domain (7.4)
    def enrol_resource(self, aggregator_id: str, enrolment: Mapping) -> Response: ...
    def create_group(self, aggregator_id: str, group: Mapping) -> Response: ...
    def group_status(self, group_id: str) -> Response: ...
    def group_command(self, group_id: str, command: Mapping) -> Response: ...
    def market_event(self, aggregator_id: str, event: Mapping) -> Response: ...
    def dr_performance(self, event_id: str) -> Response: ...
    def schedule_contract(self, aggregator_id: str, contract_id: str) -> Response: ...
    def capacity_forecast(self, site_id: str, start: str, end: str) -> Response: ...
    # balancing (9.4): DR target against predicted maximum DR capacity, energy to buy
    def dr_balance(self, aggregator_id: str, request: Mapping) -> Response: ...


class ReferenceDomainOps:
    """`DomainSUT` over the in-process broker (needs ``self.broker`` and ``self._call``)."""

    def run_sites(self):
        return self._call(self.broker.run_sites)

    def install_site(self, site):
        return self._call(self.broker.install_site, site)

    def site_status(self, site_id):
        return self._call(self.broker.site_status, site_id)

    def set_resource_schedule(self, site_id, resource_id, request):
        return self._call(self.broker.set_resource_schedule, site_id, resource_id, request)

    def report_resource_safety(self, site_id, resource_id, report):
        return self._call(self.broker.report_resource_safety, site_id, resource_id, report)

    def consumption_forecast(self, site_id, start, end):
        return self._call(self.broker.consumption_forecast, site_id, start, end)

    def submit_weather(self, site_id, observations):
        return self._call(self.broker.submit_weather, site_id, observations)

    def line_flow(self, line_id, start, end):
        return self._call(self.broker.line_flow, line_id, start, end)

    def report_line_condition(self, line_id, report):
        return self._call(self.broker.report_line_condition, line_id, report)

    def line_status(self, line_id):
        return self._call(self.broker.line_status, line_id)

    def collection_log(self, site_id):
        return self._call(self.broker.collection_log, site_id)

    def report_voltage(self, site_id, report):
        return self._call(self.broker.report_voltage, site_id, report)

    def power_quality(self, site_id):
        return self._call(self.broker.power_quality, site_id)

    def measurement_data(self, site_id, requester_id, start, end):
        return self._call(self.broker.measurement_data, site_id, requester_id, start, end)

    def enrol_resource(self, aggregator_id, enrolment):
        return self._call(self.broker.enrol_resource, aggregator_id, enrolment)

    def create_group(self, aggregator_id, group):
        return self._call(self.broker.create_group, aggregator_id, group)

    def group_status(self, group_id):
        return self._call(self.broker.group_status, group_id)

    def group_command(self, group_id, command):
        return self._call(self.broker.group_command, group_id, command)

    def market_event(self, aggregator_id, event):
        return self._call(self.broker.market_event, aggregator_id, event)

    def dr_performance(self, event_id):
        return self._call(self.broker.dr_performance, event_id)

    def schedule_contract(self, aggregator_id, contract_id):
        return self._call(self.broker.schedule_contract, aggregator_id, contract_id)

    def capacity_forecast(self, site_id, start, end):
        return self._call(self.broker.capacity_forecast, site_id, start, end)

    def dr_balance(self, aggregator_id, request):
        return self._call(self.broker.dr_balance, aggregator_id, request)


def _q(identifier: str) -> str:
    from urllib.parse import quote
    return quote(str(identifier), safe="")


class HttpDomainOps:
    """`DomainSUT` over the HTTP binding (needs ``self._call(method, path, body, unwrap=)``)."""

    def run_sites(self):
        return self._call("POST", "/test/run-sites", {})

    def install_site(self, site):
        return self._call("POST", "/sites", site)

    def site_status(self, site_id):
        return self._call("GET", f"/sites/{_q(site_id)}")

    def set_resource_schedule(self, site_id, resource_id, request):
        return self._call("POST", f"/sites/{_q(site_id)}/resources/{_q(resource_id)}/schedule", request)

    def report_resource_safety(self, site_id, resource_id, report):
        return self._call("POST", f"/sites/{_q(site_id)}/resources/{_q(resource_id)}/safety", report)

    def consumption_forecast(self, site_id, start, end):
        return self._call("POST", f"/sites/{_q(site_id)}/consumption-forecast", {"start": start, "end": end})

    def submit_weather(self, site_id, observations):
        return self._call("POST", f"/sites/{_q(site_id)}/weather", {"observations": list(observations)})

    def line_flow(self, line_id, start, end):
        return self._call("POST", f"/lines/{_q(line_id)}/flow", {"start": start, "end": end})

    def report_line_condition(self, line_id, report):
        return self._call("POST", f"/lines/{_q(line_id)}/condition", report)

    def line_status(self, line_id):
        return self._call("GET", f"/lines/{_q(line_id)}")

    def collection_log(self, site_id):
        return self._call("GET", f"/sites/{_q(site_id)}/collections", unwrap="collections")

    def report_voltage(self, site_id, report):
        return self._call("POST", f"/sites/{_q(site_id)}/voltage", report)

    def power_quality(self, site_id):
        return self._call("GET", f"/sites/{_q(site_id)}/quality")

    def measurement_data(self, site_id, requester_id, start, end):
        return self._call("POST", f"/sites/{_q(site_id)}/measurements",
                          {"requester_id": requester_id, "start": start, "end": end})

    def enrol_resource(self, aggregator_id, enrolment):
        return self._call("POST", f"/aggregators/{_q(aggregator_id)}/enrolments", enrolment)

    def create_group(self, aggregator_id, group):
        return self._call("POST", f"/aggregators/{_q(aggregator_id)}/groups", group)

    def group_status(self, group_id):
        return self._call("GET", f"/groups/{_q(group_id)}")

    def group_command(self, group_id, command):
        return self._call("POST", f"/groups/{_q(group_id)}/commands", command)

    def market_event(self, aggregator_id, event):
        return self._call("POST", f"/aggregators/{_q(aggregator_id)}/market-events", event)

    def dr_performance(self, event_id):
        return self._call("GET", f"/market-events/{_q(event_id)}/performance")

    def schedule_contract(self, aggregator_id, contract_id):
        return self._call("POST", f"/aggregators/{_q(aggregator_id)}/contracts/{_q(contract_id)}/schedule", {})

    def capacity_forecast(self, site_id, start, end):
        return self._call("POST", f"/sites/{_q(site_id)}/capacity-forecast", {"start": start, "end": end})

    def dr_balance(self, aggregator_id, request):
        return self._call("POST", f"/aggregators/{_q(aggregator_id)}/dr-balance", request)
