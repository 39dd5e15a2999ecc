"""Customer, distribution, operation and service-provider domains of the reference broker
(Y.2072 7.1-7.4; functions of 8.2.2-8.2.4; mechanisms of 9.2-9.5), wired to the repository and
the clock like the market operations. Inherited by `broker.ReferenceBroker`; the service-provider
domain (aggregators) is `aggregation_service.AggregationMixin`, prediction `forecast_service`.

Rules:
- Every operation first lets the installed sites run up to market time (`run_sites`): each
  15-minute interval is stepped in order, its meter readings collected when the interval ends
  and stored through `submit_readings` (the one path from meter to repository to settlement),
  and the collection logged (7.3-01, 9.2).
- Meters: each site resource has a customer meter (registered as a market resource, so products
  can be built from it), the site has a utility meter (its total import and export), each line a
  feeder meter (the sum of its sites), and each resource group a meter summing its members.
- Every operation is one transaction: a refused request leaves nothing stored.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from .core import grid_operation as grid
from .core import parsing as p
from .core import site as st
from .core.errors import FieldError, NotFound, Rejected
from .core.products import Resource
from .aggregation_service import AggregationMixin
from .forecast_service import ForecastMixin


def feeder_meter(line_id: str) -> str:
    return f"{line_id}/feeder"


class DomainMixin(ForecastMixin, AggregationMixin):
    """Needs ``self.repo``, ``self.clock`` and the broker's ``submit_readings``."""

    # -- lookups ---------------------------------------------------------------------------------
    def _site(self, site_id: str, pointer: str = "/site_id") -> dict:
        rec = self.repo.get("sites", site_id)
        if rec is None:
            raise NotFound(FieldError("unknown-site", pointer, f"no site {site_id!r}"))
        return rec

    def _line(self, line_id: str) -> dict:
        rec = self.repo.get("lines", line_id)
        if rec is None:
            raise NotFound(FieldError("unknown-line", "/line_id", f"no distribution line {line_id!r}"))
        return rec

    def _group(self, group_id: str) -> dict:
        rec = self.repo.get("resource_groups", group_id)
        if rec is None:
            raise NotFound(FieldError("unknown-group", "/group_id", f"no resource group {group_id!r}"))
        return rec

    def _isolated(self) -> dict[str, bool]:
        return {line["line_id"]: line["switch"] == "open" for line in self.repo.find("lines")}

    def _resource_of(self, site: Mapping, resource_id: str) -> dict:
        res = next((r for r in site["resources"] if r["resource_id"] == resource_id), None)
        if res is None:
            raise NotFound(FieldError("unknown-resource", "/resource_id",
                                      f"site {site['site_id']} has no resource {resource_id!r}"))
        return res

    def is_domain_meter(self, meter_id: str) -> bool:
        """Site utility meters and line feeder meters (customer and group meters are resources)."""
        return self.repo.get("domain_meters", meter_id) is not None

    # -- the sites run on market time (7.1, 7.3-01, 9.2) -----------------------------------------------
    def run_sites(self) -> dict:
        """Step every site up to market time; returns how many intervals were collected."""
        now = self.clock.now()
        with self.repo.transaction():
            return {"collected_intervals": self._catch_up(now), "now": p.fmt_instant(now)}

    def _catch_up(self, now: datetime) -> int:
        sites = self.repo.find("sites")
        isolated = self._isolated()
        groups = self.repo.find("resource_groups")
        batches: dict[str, list[dict]] = {}
        collections: list[dict] = []
        count = 0
        while True:
            due = [s for s in sites if datetime.fromisoformat(s["stepped_to"]) + st.INTERVAL <= now]
            if not due:
                break
            start = min(datetime.fromisoformat(s["stepped_to"]) for s in due)
            by_meter: dict[str, dict[str, float]] = {}
            for index, site in enumerate(sites):
                if datetime.fromisoformat(site["stepped_to"]) != start:
                    continue
                site, readings = self._step_site(site, isolated.get(site["line_id"], False))
                sites[index] = site
                by_meter.update(readings)
                feeder = by_meter.setdefault(feeder_meter(site["line_id"]), {"import": 0.0, "export": 0.0})
                for direction in ("import", "export"):
                    feeder[direction] = round(feeder[direction] + readings[site["site_meter_id"]][direction], 6)
                collections.append({
                    "collection_id": f"{site['site_id']}@{site['stepped_to']}", "site_id": site["site_id"],
                    "collected_at": site["stepped_to"], "interval_start": p.fmt_instant(start),
                    "interval_end": site["stepped_to"], "meters": sorted(readings)})
                count += 1
            for group in groups:
                meters = self._group_meters(group)
                if any(m in by_meter for m in meters):
                    by_meter[group["meter_id"]] = {d: round(sum(by_meter.get(m, {}).get(d, 0.0) for m in meters), 6)
                                                   for d in ("import", "export")}
            end = p.fmt_instant(start + st.INTERVAL)
            for meter_id, energy in by_meter.items():
                batches.setdefault(meter_id, []).extend(
                    {"interval_start": p.fmt_instant(start), "interval_end": end, "energy_kwh": kwh,
                     "direction": direction, "quality": "actual"} for direction, kwh in energy.items())
        for site in sites:
            self.repo.put("sites", site)
        self._store_collected(batches, collections)
        return count

    # Seams: one place each for how a site runs, how collected data is stored, which meters a
    # group's meter sums and which members a group command reaches (tests swap in faulty ones).
    def _step_site(self, site: Mapping, isolated: bool) -> tuple[dict, dict]:
        return st.step(site, isolated)

    def _store_collected(self, batches: Mapping[str, list[dict]], collections: Sequence[dict]) -> None:
        for record in collections:
            self.repo.put("collections", record)
        for meter_id, readings in batches.items():
            self.submit_readings(meter_id, readings)

    def _group_meters(self, group: Mapping) -> list[str]:
        return [self._resource_of(self.repo.get("sites", m["site_id"]), m["resource_id"])["meter_id"]
                for m in group["members"]]

    def _command_targets(self, group: Mapping) -> list[dict]:
        return list(group["members"])

    def _now(self) -> datetime:
        now = self.clock.now()
        self._catch_up(now)
        return now

    # -- customer domain (7.1; 8.2.3) ---------------------------------------------------------------
    def install_site(self, raw: Mapping) -> dict:
        with self.repo.transaction():
            now = self._now()
            site = st.parse_site(raw, now)
            if self.repo.get("sites", site["site_id"]) is not None:
                raise Rejected(FieldError("duplicate-id", "/site_id", f"{site['site_id']!r} is already installed"))
            for pointer, participant in (("/owner_id", site["owner_id"]),
                                         ("/service_provider_id", site["service_provider_id"])):
                if participant is not None and self.repo.get("participants", participant) is None:
                    raise Rejected(FieldError("unknown-participant", pointer,
                                              f"participant {participant!r} is not registered"))
            for index, res in enumerate(site["resources"]):
                if self.repo.get("resources", res["resource_id"]) or self.repo.find("resources", meter_id=res["meter_id"]):
                    raise Rejected(FieldError("duplicate-id", f"/resources/{index}/resource_id",
                                              f"{res['resource_id']!r} or its meter is already registered"))
                self.repo.put("resources", Resource(
                    resource_id=res["resource_id"], owner_id=site["owner_id"], kind=res["kind"],
                    max_power_kw=res["rated_kw"], voltage_v=site["quality_terms"]["nominal_v"],
                    meter_id=res["meter_id"]).to_record())
            line = self.repo.get("lines", site["line_id"]) or grid.new_line(site["line_id"])
            line["sites"] = sorted({*line["sites"], site["site_id"]})
            self.repo.put("lines", line)
            for meter_id, role in ((site["site_meter_id"], "site"), (feeder_meter(site["line_id"]), "feeder")):
                self.repo.put("domain_meters", {"meter_id": meter_id, "role": role, "site_id": site["site_id"]})
            self.repo.put("sites", site)
        return site

    def site_status(self, site_id: str) -> dict:
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            isolated = self._isolated().get(site["line_id"], False)
        return {"site_id": site_id, "as_of": site["stepped_to"], "power_kw": site.get("power_kw", 0.0),
                "peak_limit_kw": site["peak_limit_kw"], "quality_state": site["quality_state"],
                "line_id": site["line_id"], "isolated": isolated,
                "resources": st.resource_status(site, isolated)}

    def set_resource_schedule(self, site_id: str, resource_id: str, raw: Mapping) -> dict:
        """The customer's production schedule for a generator (7.1-01) or charge/discharge
        schedule for storage (7.1-02)."""
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            res = self._resource_of(site, resource_id)
            requester = p.text(raw, "requested_by")
            if requester not in (site["owner_id"], site.get("service_provider_id")):
                raise Rejected(FieldError("not-authorised", "/requested_by",
                                          f"{requester} may not schedule resources of site {site_id}"))
            res["schedule"] = st.merge_slots(res["schedule"], st.parse_slots(raw.get("slots"), res["kind"],
                                                                             res["rated_kw"]))
            self.repo.put("sites", site)
        return {"site_id": site_id, "resource_id": resource_id, "schedule": res["schedule"]}

    def report_resource_safety(self, site_id: str, resource_id: str, raw: Mapping) -> dict:
        """A generator's protection reports its safety state (7.1-01)."""
        with self.repo.transaction():
            now = self._now()
            site = self._site(site_id)
            res = self._resource_of(site, resource_id)
            if res["kind"] != "generator":
                raise Rejected(FieldError("not-a-generator", "/resource_id", f"{resource_id} is a {res['kind']}"))
            res["safety"] = p.text(raw, "state", choices=st.SAFETY_STATES)
            res["safety_reported_at"] = p.fmt_instant(now)
            self.repo.put("sites", site)
        return {"site_id": site_id, "resource_id": resource_id, "safety": res["safety"]}

    # -- distribution domain (7.2) -------------------------------------------------------------------
    def report_line_condition(self, line_id: str, raw: Mapping) -> dict:
        with self.repo.transaction():
            now = self._now()
            line = grid.apply_line_condition(self._line(line_id), raw, now)
            self.repo.put("lines", line)
        return line

    def line_status(self, line_id: str) -> dict:
        with self.repo.transaction():
            self._now()
            return self._line(line_id)

    def line_flow(self, line_id: str, start: str, end: str) -> dict:
        """Energy into the managed domain over the line (its total consumption) and out of it
        (generation fed to the grid), from the feeder meter (7.2-01)."""
        with self.repo.transaction():
            self._now()
            self._line(line_id)
            begin, finish = _window(start, end)
            rows = [r for r in self.repo.readings([feeder_meter(line_id)])
                    if begin <= datetime.fromisoformat(r["interval_start"]) < finish]
        total = {d: round(sum(r["energy_kwh"] for r in rows if r["direction"] == d), 6) for d in ("import", "export")}
        return {"line_id": line_id, "meter_id": feeder_meter(line_id), "start": start, "end": end,
                "import_kwh": total["import"], "export_kwh": total["export"], "intervals": len(rows) // 2}

    # -- operation domain (7.3) ----------------------------------------------------------------------
    def collection_log(self, site_id: str) -> list[dict]:
        with self.repo.transaction():
            self._now()
            self._site(site_id)
            return self.repo.find("collections", site_id=site_id)

    def report_voltage(self, site_id: str, raw: Mapping) -> dict:
        with self.repo.transaction():
            now = self._now()
            site, observation = grid.judge_voltage(self._site(site_id), raw, now)
            self.repo.put("sites", site)
            self.repo.put("quality_log", {"observation_id": f"{site_id}@{observation['observed_at']}",
                                          "site_id": site_id, **observation})
        return observation

    def power_quality(self, site_id: str) -> dict:
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            low, high = st.quality_band(site)
            return {"site_id": site_id, "terms": site["quality_terms"], "band_v": [round(low, 3), round(high, 3)],
                    "state": site["quality_state"], "observations": self.repo.find("quality_log", site_id=site_id)}

    def measurement_data(self, site_id: str, requester_id: str, start: str, end: str) -> dict:
        """A site's stored meter data and its line's status, for its customer or service
        provider (7.3-03)."""
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            grid.check_requester(site, requester_id)
            begin, finish = _window(start, end)
            meters = [site["site_meter_id"], *(r["meter_id"] for r in site["resources"])]
            rows = [r for r in self.repo.readings(meters) if begin <= datetime.fromisoformat(r["interval_start"]) < finish]
            line = self._line(site["line_id"])
        return {"site_id": site_id, "requester_id": requester_id, "readings": rows,
                "line_status": {k: line[k] for k in ("line_id", "condition", "switch")}}


def _window(start: str, end: str) -> tuple[datetime, datetime]:
    begin, finish = p.instant({"start": start}, "start"), p.instant({"end": end}, "end")
    if finish <= begin:
        raise Rejected(FieldError("invalid-interval", "/end", "the window must end after it starts"))
    return begin, finish
