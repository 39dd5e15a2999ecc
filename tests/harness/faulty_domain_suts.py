"""Deliberately faulty platforms for Y.2072 7.1-7.4: the reference broker with one realistic
bug each in its customer, distribution, operation or service-provider functions. Each factory
is a `--sut` entry point (tests/harness on PYTHONPATH); test_domain_fault_detection.py expects
exactly the requirement named in each docstring to fail.
"""
from __future__ import annotations

import copy

from harness.sut.reference import ReferenceSUT
from reference_impl.broker import ReferenceBroker
from reference_impl.core import forecast as fc
from reference_impl.core import grid_operation as grid
from reference_impl.core import parsing as p
from reference_impl.core.errors import FieldError, Rejected


class _IgnoresGeneratorProtection(ReferenceBroker):
    """7.1-01: shows the generator's fault but keeps running it to its schedule."""

    def _step_site(self, site, isolated):
        blind = copy.deepcopy(site)
        for res in blind["resources"]:
            if res["kind"] == "generator":
                res["safety"] = "normal"
        stepped, readings = super()._step_site(blind, isolated)
        for before, after in zip(site["resources"], stepped["resources"]):
            if "safety" in before:
                after["safety"] = before["safety"]
        return stepped, readings


class _IgnoresStorageSchedule(ReferenceBroker):
    """7.1-02: stores the charge/discharge schedule but never acts on it."""

    def _step_site(self, site, isolated):
        blind = copy.deepcopy(site)
        for res in blind["resources"]:
            if res["kind"] == "storage":
                res["schedule"] = []
        stepped, readings = super()._step_site(blind, isolated)
        for before, after in zip(site["resources"], stepped["resources"]):
            after["schedule"] = before["schedule"]
        return stepped, readings


class _IgnoresPeakLimit(ReferenceBroker):
    """7.1-03: never switches heavy loads to their reduced mode for the peak limit."""

    def _step_site(self, site, isolated):
        stepped, readings = super()._step_site({**site, "peak_limit_kw": None}, isolated)
        return {**stepped, "peak_limit_kw": site["peak_limit_kw"]}, readings


class _ForecastsHourlyMeans(ReferenceBroker):
    """7.1-04: "predicts" each hour as its mean over the history, blind to the weather."""

    def consumption_forecast(self, site_id, start, end):
        answer = super().consumption_forecast(site_id, start, end)
        site = self.repo.get("sites", site_id)
        meters = {"site": site["site_meter_id"]} | {r["resource_id"]: r["meter_id"] for r in site["resources"]}

        def means(meter, hours):
            history = fc.hourly(self.repo.readings([meter]), "import")
            by_hour = history.groupby(history.index.hour).mean()
            return [round(float(by_hour.get(int(h[11:13]), 0.0)), 4) for h in hours]
        answer["site"]["kwh"] = means(meters["site"], answer["site"]["hours"])
        for rid, forecast in answer["devices"].items():
            forecast["kwh"] = means(meters[rid], forecast["hours"])
        return answer


class _DrWithoutStorage(ReferenceBroker):
    """7.1-05: meets DR events with its heavy loads only, never with its storage."""

    def _step_site(self, site, isolated):
        start = site["stepped_to"]
        if not any(e["start"] <= start < e["end"] for e in site["dr_events"]):
            return super()._step_site(site, isolated)
        blind = copy.deepcopy(site)
        for res in blind["resources"]:
            if res["kind"] == "storage":
                res["rated_kw"] = 0.0
        stepped, readings = super()._step_site(blind, isolated)
        for before, after in zip(site["resources"], stepped["resources"]):
            after["rated_kw"] = before["rated_kw"]
        return stepped, readings


class _NameplateCapacity(ReferenceBroker):
    """7.1-06: reports every generator's and storage unit's rating as its capacity."""

    def site_status(self, site_id):
        status = super().site_status(site_id)
        for res in status["resources"]:
            if res["kind"] in ("generator", "storage"):
                res["capacity_kw"] = res["rated_kw"]
        return status


class _NetFeederFlow(ReferenceBroker):
    """7.2-01: its feeder meter nets import against export, so the domain's consumption and
    its generation fed to the grid are never seen apart."""

    def line_flow(self, line_id, start, end):
        flow = super().line_flow(line_id, start, end)
        net = flow["import_kwh"] - flow["export_kwh"]
        return {**flow, "import_kwh": round(max(net, 0.0), 6), "export_kwh": round(max(-net, 0.0), 6)}


class _NeverSwitchesLine(ReferenceBroker):
    """7.2-02: records the protection's report but never operates the feeder switch."""

    def report_line_condition(self, line_id, raw):
        with self.repo.transaction():
            self._now()
            line = {**self._line(line_id), "condition": p.text(raw, "condition", choices=grid.LINE_CONDITIONS)}
            self.repo.put("lines", line)
        return line


class _HourlyCollection(ReferenceBroker):
    """7.3-01: collects meters once an hour instead of every interval, one reading per hour, and
    loses the intervals of an hour not yet complete."""

    def _store_collected(self, batches, collections):
        hourly = {}
        for meter_id, readings in batches.items():
            sums = {}
            for r in readings:
                key = (r["interval_start"][:13], r["direction"])
                sums.setdefault(key, []).append(r)
            hourly[meter_id] = [{**rows[0], "interval_end": rows[-1]["interval_end"],
                                 "energy_kwh": round(sum(x["energy_kwh"] for x in rows), 6)}
                                for rows in sums.values() if len(rows) == 4]
        kept = [c for c in collections if c["collected_at"][14:16] == "00"]
        super()._store_collected({m: rs for m, rs in hourly.items() if rs}, kept)


class _FixedVoltageBand(ReferenceBroker):
    """7.3-02: judges voltage against a fixed ±10 % band, whatever the contract says."""

    def report_voltage(self, site_id, raw):
        with self.repo.transaction():
            site = self._site(site_id)
            self.repo.put("sites", {**site, "quality_terms": {**site["quality_terms"], "tolerance_pct": 10.0}})
            return super().report_voltage(site_id, raw)


class _CustomerOnlyData(ReferenceBroker):
    """7.3-03: gives measurement data to the customer but refuses the service provider."""

    def measurement_data(self, site_id, requester_id, start, end):
        site = self.repo.get("sites", site_id)
        if site is not None and requester_id != site["owner_id"]:
            raise Rejected(FieldError("not-authorised", "/requester_id", "customers only"))
        return super().measurement_data(site_id, requester_id, start, end)


class _UnverifiedEnrolment(ReferenceBroker):
    """7.4-01: enrols whatever resource it is asked to, without verifying it."""

    def enrol_resource(self, aggregator_id, raw):
        with self.repo.transaction():
            site = self.repo.get("sites", raw["site_id"]) or {"owner_id": "?", "resources": []}
            res = next((r for r in site["resources"] if r["resource_id"] == raw["resource_id"]),
                       {"kind": "load", "rated_kw": 0.0})
            record = {"enrolment_id": f"{aggregator_id}:{raw['resource_id']}", "aggregator_id": aggregator_id,
                      "resource_id": raw["resource_id"], "site_id": raw["site_id"], "owner_id": site["owner_id"],
                      "kind": res["kind"], "rated_kw": res["rated_kw"], "programmes": list(raw["programmes"]),
                      "verified": True, "checks": []}
            self.repo.put("enrolments", record)
        return record


class _CommandsFirstMemberOnly(ReferenceBroker):
    """7.4-02: a group command reaches only the group's first member."""

    def _command_targets(self, group):
        return group["members"][:1]


class _NameplateGenerationForecast(ReferenceBroker):
    """7.4-03: "predicts" generation as the rating over daylight hours, whatever the weather."""

    def capacity_forecast(self, site_id, start, end):
        answer = super().capacity_forecast(site_id, start, end)
        rated = sum(r["rated_kw"] for r in self.repo.get("sites", site_id)["resources"] if r["kind"] == "generator")
        answer["generation_kwh"] = [rated if 6 <= int(h[11:13]) < 18 else 0.0 for h in answer["hours"]]
        return answer


class _GroupMeterFirstMemberOnly(ReferenceBroker):
    """7.4-04: the group's meter counts only its first member, so the pooled delivery falls short."""

    def _group_meters(self, group):
        return super()._group_meters(group)[:1]


class _SilentSchedules(ReferenceBroker):
    """7.4-05: sets the contract's schedules on the sites but never tells the customers."""

    def notifications(self, participant_id):
        return [n for n in super().notifications(participant_id) if n["kind"] != "operation-schedule"]


class _TellsFirstCustomerOnly(ReferenceBroker):
    """7.4-06: relays a market event only to the first customer of the group."""

    def notifications(self, participant_id):
        notes = super().notifications(participant_id)
        def first(note):
            group = self.repo.get("resource_groups", note["body"]["group_id"])
            return participant_id == min(m["owner_id"] for m in group["members"])
        return [n for n in notes if n["kind"] != "market-event" or first(n)]


class _RelaysOnlyDemandReduction(ReferenceBroker):
    """7.4-06: relays demand-reduction events to the customers but drops generation-control ones."""

    def notifications(self, participant_id):
        return [n for n in super().notifications(participant_id)
                if n["kind"] != "market-event" or n["body"]["kind"] == "demand-reduction"]


class _ReportsTargetAsAchieved(ReferenceBroker):
    """9.4-03: reports a DR event's contracted reduction as achieved, without reading the meters."""

    def dr_performance(self, event_id):
        report = super().dr_performance(event_id)
        return {**report, "achieved_kw": report["contracted_kw"], "fulfilled": True}


class _RatedCapacityBalance(ReferenceBroker):
    """9.4-04: weighs the DR target against the group's rated power instead of its predicted
    capacity, so it never sees a shortfall coming."""

    def _predicted_dr_capacity(self, group, hours):
        return [sum(m["rated_kw"] for m in group["members"])] * len(hours)


def _factory(broker_class, label):
    class FaultySUT(ReferenceSUT):
        pass
    FaultySUT.broker_class = broker_class
    FaultySUT.description = ReferenceSUT.description.__class__(
        name=f"faulty broker ({label})", adapter="faulty_domain_suts", endpoint="in-process")
    return lambda workdir: FaultySUT(workdir=workdir)


FAULTS = {  # factory name -> (broker, the requirement it breaks)
    "ignores_generator_protection": (_IgnoresGeneratorProtection, "Y2072-7.1-01"),
    "ignores_storage_schedule": (_IgnoresStorageSchedule, "Y2072-7.1-02"),
    "ignores_peak_limit": (_IgnoresPeakLimit, "Y2072-7.1-03"),
    "forecasts_hourly_means": (_ForecastsHourlyMeans, "Y2072-7.1-04"),
    "dr_without_storage": (_DrWithoutStorage, "Y2072-7.1-05"),
    "nameplate_capacity": (_NameplateCapacity, "Y2072-7.1-06"),
    "net_feeder_flow": (_NetFeederFlow, "Y2072-7.2-01"),
    "never_switches_line": (_NeverSwitchesLine, "Y2072-7.2-02"),
    "hourly_collection": (_HourlyCollection, "Y2072-7.3-01"),
    "fixed_voltage_band": (_FixedVoltageBand, "Y2072-7.3-02"),
    "customer_only_data": (_CustomerOnlyData, "Y2072-7.3-03"),
    "unverified_enrolment": (_UnverifiedEnrolment, "Y2072-7.4-01"),
    "commands_first_member_only": (_CommandsFirstMemberOnly, "Y2072-7.4-02"),
    "nameplate_generation_forecast": (_NameplateGenerationForecast, "Y2072-7.4-03"),
    "group_meter_first_member_only": (_GroupMeterFirstMemberOnly, "Y2072-7.4-04"),
    "silent_schedules": (_SilentSchedules, "Y2072-7.4-05"),
    "tells_first_customer_only": (_TellsFirstCustomerOnly, "Y2072-7.4-06"),
    "relays_only_demand_reduction": (_RelaysOnlyDemandReduction, "Y2072-7.4-06"),
    "reports_target_as_achieved": (_ReportsTargetAsAchieved, "Y2072-9.4-03"),
    "rated_capacity_balance": (_RatedCapacityBalance, "Y2072-9.4-04"),
}
for _name, (_broker, _rid) in FAULTS.items():
    globals()[_name] = _factory(_broker, _name.replace("_", " "))


class MarketOnlySUT:
    """A platform that implements only the markets domain (MarketSUT), not DomainSUT: the
    reference broker seen through the market operations alone."""

    _MARKET = {"description", "reset", "set_clock", "register_participant", "register_resource",
               "register_product", "get_product", "list_products", "submit_bid", "get_bid", "clear_market",
               "get_contract", "contract_event", "notifications", "submit_readings", "verify_delivery",
               "settle_contract", "ledger", "close",
               # the market's decision services and signed trade records (MKT-*, domain markets)
               "clear_trading", "assign_ev", "select_retailers", "trade_signing_key"}

    def __init__(self, workdir):
        self._inner = ReferenceSUT(workdir=workdir)

    def __getattr__(self, name):
        if name not in self._MARKET:
            raise AttributeError(name)
        return getattr(self._inner, name)


def market_only(workdir):
    return MarketOnlySUT(workdir)
