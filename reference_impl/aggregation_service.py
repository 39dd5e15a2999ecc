"""The service-provider domain of the reference broker (Y.2072 7.4; 8.2.2; 9.3, 9.4): an
aggregator enrols verified resources, groups them, commands groups, relays market events to their
members, measures DR performance and turns a contract into member schedules. Inherited by
`domain_service.DomainMixin`; every operation is one transaction, like the rest of the domains.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from .core import aggregation as agg
from .core import parsing as p
from .core import site as st
from .core.errors import FieldError, NotFound, Rejected
from .core.notifications import notify
from .core.products import Resource


class AggregationMixin:
    """Needs ``self.repo`` and the domain mixin's ``_now``, ``_site``, ``_group``, ``_isolated``,
    ``_resource_of`` and ``_command_targets``, and the broker's ``get_contract``/``get_product``."""

    # -- service provider domain (7.4; 8.2.2; 9.3, 9.4) ------------------------------------------------
    def enrol_resource(self, aggregator_id: str, raw: Mapping) -> dict:
        with self.repo.transaction():
            self._now()
            site_id = p.text(raw, "site_id")
            site = self.repo.get("sites", site_id)
            meter = next((r["meter_id"] for r in (site or {}).get("resources", [])
                          if r["resource_id"] == raw.get("resource_id")), None)
            count = len(self.repo.readings([meter])) if meter else 0
            enrolment = agg.verify_enrolment(raw, aggregator_id, site, count)
            self.repo.put("enrolments", enrolment)
        return enrolment

    def create_group(self, aggregator_id: str, raw: Mapping) -> dict:
        """Group enrolled resources by characteristics; the group becomes one virtual resource
        of the aggregator with its own meter (9.3), so it can be traded on the customers' behalf
        (7.4-04)."""
        with self.repo.transaction():
            self._now()
            group = agg.select_members(raw, self.repo.find("enrolments", aggregator_id=aggregator_id))
            if self.repo.get("resource_groups", group["group_id"]) or self.repo.get("resources", group["group_id"]):
                raise Rejected(FieldError("duplicate-id", "/group_id", f"{group['group_id']!r} already exists"))
            voltages = {self.repo.get("resources", m["resource_id"])["voltage_v"] for m in group["members"]}
            group.update(aggregator_id=aggregator_id, meter_id=f"{group['group_id']}/meter")
            self.repo.put("resource_groups", group)
            # As a market resource a DR group sheds load and a DER-trading group generates,
            # whatever mix of loads, storage and generators it pools.
            kind = {"dr": "load", "der-trading": "generator"}[group["programme"]]
            self.repo.put("resources", Resource(
                resource_id=group["group_id"], owner_id=aggregator_id, kind=kind,
                max_power_kw=sum(m["rated_kw"] for m in group["members"]), voltage_v=min(voltages),
                meter_id=group["meter_id"]).to_record())
        return group

    def group_status(self, group_id: str) -> dict:
        with self.repo.transaction():
            self._now()
            group = self._group(group_id)
            sites = {m["site_id"]: self._site(m["site_id"]) for m in group["members"]}
            return agg.group_status(group, sites, self._isolated())

    def group_command(self, group_id: str, raw: Mapping) -> dict:
        """Control every member of a group at once (7.4-02)."""
        with self.repo.transaction():
            self._now()
            group = self._group(group_id)
            action, window = agg.parse_command(raw)
            applied = []
            for member in self._command_targets(group):
                site = self._site(member["site_id"])
                res = self._resource_of(site, member["resource_id"])
                if action == "restore":
                    res["controls"] = [c for c in res["controls"] if not (c["start"] < window["end"] and window["start"] < c["end"])]
                elif (action, res["kind"]) in (("reduce", "load"), ("discharge", "storage")):
                    res["controls"] = st.merge_slots(res["controls"], [{**window, "power_kw": res["rated_kw"]}])
                else:
                    continue
                applied.append(member["resource_id"])
                self.repo.put("sites", site)
        return {"group_id": group_id, "action": action, **window, "applied_to": applied}

    def market_event(self, aggregator_id: str, raw: Mapping) -> dict:
        """A market event for a group: relayed online to every customer of the group (7.4-06)
        and handed to each site with its share of the target (7.1-05)."""
        with self.repo.transaction():
            now = self._now()
            groups = {g["group_id"]: g for g in self.repo.find("resource_groups", aggregator_id=aggregator_id)}
            event = agg.parse_market_event(raw, groups)
            if self.repo.get("market_events", event["event_id"]) is not None:
                raise Rejected(FieldError("duplicate-id", "/event_id", f"{event['event_id']!r} already received"))
            group = groups[event["group_id"]]
            sites = {m["site_id"]: self._site(m["site_id"]) for m in group["members"]}
            shares = agg.site_shares(group, sites) if event["kind"] == "demand-reduction" else {}
            for site_id, share in shares.items():
                site = sites[site_id]
                site["dr_events"] = st.merge_slots(site["dr_events"], [{
                    "start": event["start"], "end": event["end"], "event_id": event["event_id"],
                    "target_kw": round(event["target_kw"] * share, 6), "power_kw": 0.0}])
                self.repo.put("sites", site)
            event.update(aggregator_id=aggregator_id, received_at=p.fmt_instant(now), shares=shares)
            self.repo.put("market_events", event)
            customers = {m["owner_id"] for m in group["members"]}
            for note in notify(customers, "market-event", event["event_id"], now, event):
                self.repo.put("notifications", note.to_record())
        return event

    def dr_performance(self, event_id: str) -> dict:
        with self.repo.transaction():
            self._now()
            event = self.repo.get("market_events", event_id)
            if event is None:
                raise NotFound(FieldError("unknown-event", "/event_id", f"no market event {event_id!r}"))
            series = {}
            for site_id in event["shares"]:
                site = self._site(site_id)
                series[site_id] = [(datetime.fromisoformat(r["interval_start"]),
                                    datetime.fromisoformat(r["interval_end"]), r["energy_kwh"])
                                   for r in self.repo.readings([site["site_meter_id"]]) if r["direction"] == "import"]
            return agg.achieved_reduction(event, series, event["shares"])

    def schedule_contract(self, aggregator_id: str, contract_id: str) -> dict:
        """Operation schedules for a group's generators from a market contract, set on the sites
        and notified to each customer (7.4-05)."""
        with self.repo.transaction():
            now = self._now()
            contract = self.get_contract(contract_id)
            product = self.get_product(contract["product_id"])
            group = next((self._group(rid) for rid in product["resource_ids"]
                          if self.repo.get("resource_groups", rid)), None)
            if group is None or group["aggregator_id"] != aggregator_id or contract["seller_id"] != aggregator_id:
                raise Rejected(FieldError("not-an-aggregated-contract", "/contract_id",
                                          f"{contract_id} does not sell a group of {aggregator_id}"))
            plan = agg.contract_schedule(contract, group)
            for member in group["members"]:
                if member["resource_id"] not in plan:
                    continue
                site = self._site(member["site_id"])
                res = self._resource_of(site, member["resource_id"])
                res["schedule"] = st.merge_slots(res["schedule"], plan[member["resource_id"]])
                self.repo.put("sites", site)
                for note in notify([member["owner_id"]], "operation-schedule", contract_id, now,
                                   {"contract_id": contract_id, "site_id": member["site_id"],
                                    "resource_id": member["resource_id"], "slots": plan[member["resource_id"]]}):
                    self.repo.put("notifications", note.to_record())
        return {"contract_id": contract_id, "group_id": group["group_id"], "schedules": plan}
