"""Consumption and capacity prediction for installed sites (Y.2072 7.1-04, 7.4-03; 8.2.2
"energy demand and supply prediction"): weather observations kept per site, and forecasts from
the site's stored meter history by `core.forecast`. Inherited by `domain_service.DomainMixin`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from .core import aggregation as agg
from .core import forecast as fc
from .core import parsing as p
from .core.errors import FieldError, Rejected


class ForecastMixin:
    """Needs ``self.repo`` and the domain mixin's ``_now`` and ``_site``."""

    # -- prediction (7.1-04, 7.4-03; 8.2.2) ----------------------------------------------------------
    def submit_weather(self, site_id: str, observations: Sequence[Mapping]) -> dict:
        if not isinstance(observations, (list, tuple)) or not observations:
            raise Rejected(FieldError("invalid-type", "/observations", "expected a non-empty list"))
        with self.repo.transaction():
            self._site(site_id)
            for index, obs in enumerate(observations):
                where = f"/observations/{index}"
                when = p.instant(obs, "time", where)
                record = {"observation_key": f"{site_id}@{p.fmt_instant(when)}", "site_id": site_id,
                          "time": p.fmt_instant(when), "temperature_c": p.number(obs, "temperature_c", where),
                          "cloud_cover_pct": p.number(obs, "cloud_cover_pct", where, required=False,
                                                      minimum=0.0, default=0.0)}
                if record["cloud_cover_pct"] > 100:
                    raise Rejected(FieldError("out-of-range", f"{where}/cloud_cover_pct", "cloud cover is at most 100 %"))
                self.repo.put("weather", record)
        return {"site_id": site_id, "stored": len(observations)}

    def _forecast(self, site: Mapping, meter_id: str, direction: str, kind: str, hours: list[datetime],
                  pointer: str) -> dict:
        weather = fc.weather_frame(self.repo.find("weather", site_id=site["site_id"]))
        if weather.empty:
            raise Rejected(FieldError("missing-weather", "/weather", f"no weather for site {site['site_id']}"))
        history = fc.hourly(self.repo.readings([meter_id]), direction)
        return fc.forecast(history, weather, hours, kind, pointer)

    def consumption_forecast(self, site_id: str, start: str, end: str) -> dict:
        """Hourly consumption forecast for the site and each consuming device (7.1-04)."""
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            hours = _hours(start, end)
            out = {"site_id": site_id, "site": self._forecast(site, site["site_meter_id"], "import", "consumption",
                                                              hours, "/site_meter_id"), "devices": {}}
            for res in site["resources"]:
                if res["kind"] == "load" and self.repo.readings([res["meter_id"]]):
                    out["devices"][res["resource_id"]] = self._forecast(
                        site, res["meter_id"], "import", "consumption", hours, f"/resources/{res['resource_id']}")
        return out

    def capacity_forecast(self, site_id: str, start: str, end: str) -> dict:
        """Hourly forecast of the demand reduction (heavy loads down to their reduced mode) and
        the generation the site can offer (7.4-03)."""
        with self.repo.transaction():
            self._now()
            site = self._site(site_id)
            hours = _hours(start, end)
            reduction, generation, models = [0.0] * len(hours), [0.0] * len(hours), {}
            for res in site["resources"]:
                if res["kind"] == "load" and res["heavy"]:
                    f = self._forecast(site, res["meter_id"], "import", "consumption", hours, f"/resources/{res['resource_id']}")
                    reduction = [r + max(min(kwh, res["rated_kw"]) - res["reduced_kw"], 0.0)
                                 for r, kwh in zip(reduction, f["kwh"])]
                elif res["kind"] == "generator":
                    f = self._forecast(site, res["meter_id"], "export", "generation", hours, f"/resources/{res['resource_id']}")
                    generation = [g + kwh for g, kwh in zip(generation, f["kwh"])]
                else:
                    continue
                models[res["resource_id"]] = {k: f[k] for k in ("holdout_mape_pct", "training_days", "method")}
        return {"site_id": site_id, "hours": [h.isoformat() for h in hours],
                "demand_reduction_kw": [round(v, 4) for v in reduction],
                "generation_kwh": [round(v, 4) for v in generation], "models": models}

    # -- balancing (9.4) -----------------------------------------------------------------------------
    def _predicted_dr_capacity(self, group: Mapping, hours: list[datetime]) -> list[float]:
        """Per hour, the reduction the group's members are predicted to be able to give: each
        heavy load its forecast draw above its reduced mode, each storage unit what its present
        charge can sustain over the window."""
        total = [0.0] * len(hours)
        for member in group["members"]:
            site = self._site(member["site_id"])
            res = next(r for r in site["resources"] if r["resource_id"] == member["resource_id"])
            if res["kind"] == "load":
                f = self._forecast(site, res["meter_id"], "import", "consumption", hours,
                                   f"/members/{res['resource_id']}")
                # a load cannot draw more than its rating, whatever a linear model extrapolates
                share = [max(min(kwh, res["rated_kw"]) - res["reduced_kw"], 0.0) for kwh in f["kwh"]]
            elif res["kind"] == "storage":
                share = [min(res["rated_kw"], res["soc_kwh"] / len(hours))] * len(hours)
            else:
                continue
            total = [t + v for t, v in zip(total, share)]
        return total

    def dr_balance(self, aggregator_id: str, raw: Mapping) -> dict:
        """Compare a DR capacity target with the group's predicted maximum DR capacity and decide
        how much energy to buy for the shortfall (9.4, fourth bullet)."""
        with self.repo.transaction():
            self._now()
            group_id = p.text(raw, "group_id")
            target = p.number(raw, "target_kw", positive=True)
            hours = _hours(p.text(raw, "start"), p.text(raw, "end"))
            group = self.repo.get("resource_groups", group_id)
            if group is None or group["aggregator_id"] != aggregator_id:
                raise Rejected(FieldError("unknown-group", "/group_id", f"{aggregator_id} has no group {group_id!r}"))
            capacity = self._predicted_dr_capacity(group, hours)
        return agg.balance_decision(group_id, target, hours, capacity)


def _hours(start: str, end: str) -> list[datetime]:
    begin, finish = p.instant({"start": start}, "start"), p.instant({"end": end}, "end")
    if finish <= begin:
        raise Rejected(FieldError("invalid-interval", "/end", "the window must end after it starts"))
    hours, at = [], begin.replace(minute=0, second=0, microsecond=0)
    while at < finish:
        hours.append(at)
        at += timedelta(hours=1)
    if len(hours) > 24 * 14:
        raise Rejected(FieldError("out-of-range", "/end", "forecasts reach at most 14 days ahead"))
    return hours
