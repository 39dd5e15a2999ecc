"""An energy prosumer site (Y.2072 8.2.3) and how it runs, one metering interval at a time
(Y.2072 7.1): generators that follow the production schedule the customer asked for unless
their protection reports a fault, storage that follows its charge/discharge schedule within its
state of charge, heavy loads whose operation mode is switched to keep the site under its peak
limit or to deliver a demand-response reduction, a site meter (the utility meter: the site's
total import and export, 9.2) and one customer meter per resource.

Rules:
- Time is passed in; a site moves only by `step`, one 15-minute interval at a time.
- A site is a plain JSON-like record (stored as it is); `parse_site` validates a request and
  names the offending field; `step` returns a new record and never changes its argument.
- Power in kW, energy in kWh; storage power is positive when discharging, negative when charging.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

from . import parsing as p
from .errors import FieldError, Rejected

INTERVAL = timedelta(minutes=15)
HOURS = INTERVAL / timedelta(hours=1)
KINDS = ("generator", "storage", "load")
SAFETY_STATES = ("normal", "fault")
LOAD_MODES = ("normal", "reduced")
# Over-voltage control (7.3-02): while the site's voltage is above its contract band, its
# generators are held to this share of their scheduled output.
OVER_VOLTAGE_GENERATION_SHARE = 0.5


def floor_interval(instant: datetime) -> datetime:
    instant = instant.astimezone(timezone.utc)
    return instant.replace(minute=instant.minute - instant.minute % 15, second=0, microsecond=0)


def _resource(raw: Mapping, prefix: str) -> dict:
    kind = p.text(raw, "kind", prefix, choices=KINDS)
    rec = {"resource_id": p.text(raw, "resource_id", prefix), "kind": kind,
           "rated_kw": p.number(raw, "rated_kw", prefix, positive=True),
           "meter_id": p.text(raw, "meter_id", prefix), "schedule": [], "controls": []}
    if kind == "generator":
        rec["safety"] = "normal"
    elif kind == "storage":
        rec["capacity_kwh"] = p.number(raw, "capacity_kwh", prefix, positive=True)
        rec["soc_kwh"] = p.number(raw, "soc_kwh", prefix, minimum=0.0)
        if rec["soc_kwh"] > rec["capacity_kwh"]:
            raise Rejected(FieldError("out-of-range", f"{prefix}/soc_kwh",
                                      f"state of charge {rec['soc_kwh']:g} kWh exceeds the capacity "
                                      f"{rec['capacity_kwh']:g} kWh"))
    else:
        rec["reduced_kw"] = p.number(raw, "reduced_kw", prefix, required=False, minimum=0.0,
                                     default=rec["rated_kw"])
        if rec["reduced_kw"] > rec["rated_kw"]:
            raise Rejected(FieldError("out-of-range", f"{prefix}/reduced_kw",
                                      "the reduced mode cannot draw more than the normal mode"))
        rec["heavy"] = rec["reduced_kw"] < rec["rated_kw"]
        rec["mode"] = "normal"
    return rec


def parse_site(raw: Mapping, now: datetime) -> dict:
    """Validate a site installation request.

    Args:
        raw: ``site_id``, ``owner_id``, ``service_provider_id``, ``line_id``, ``site_meter_id``,
            ``base_load_kw``, optional ``peak_limit_kw``, ``quality_terms`` (``nominal_v``,
            ``tolerance_pct``) and ``resources`` (each ``resource_id``, ``kind``, ``rated_kw``,
            ``meter_id``; storage ``capacity_kwh`` and ``soc_kwh``; loads ``reduced_kw``).
        now: market time; the site runs from the current 15-minute interval.
    Returns:
        the site record.
    Raises:
        Rejected: naming the field, e.g. ``/resources/1/kind`` for an unknown resource kind.
    """
    if not isinstance(raw, Mapping):
        raise Rejected(FieldError("malformed", "", "expected a JSON object"))
    terms = p.mapping(raw, "quality_terms", required=False) or {"nominal_v": 230.0, "tolerance_pct": 10.0}
    site = {"site_id": p.text(raw, "site_id"), "owner_id": p.text(raw, "owner_id"),
            "service_provider_id": p.text(raw, "service_provider_id", required=False),
            "line_id": p.text(raw, "line_id"), "site_meter_id": p.text(raw, "site_meter_id"),
            "base_load_kw": p.number(raw, "base_load_kw", minimum=0.0),
            "peak_limit_kw": p.number(raw, "peak_limit_kw", required=False, positive=True),
            "quality_terms": {"nominal_v": p.number(terms, "nominal_v", "/quality_terms", positive=True),
                              "tolerance_pct": p.number(terms, "tolerance_pct", "/quality_terms",
                                                        positive=True)},
            "installed_at": p.fmt_instant(floor_interval(now)),
            "stepped_to": p.fmt_instant(floor_interval(now)), "voltage_v": None,
            "quality_state": "normal", "dr_events": []}
    site["voltage_v"] = site["quality_terms"]["nominal_v"]
    items = raw.get("resources")
    if not isinstance(items, list) or not items:
        raise Rejected(FieldError("invalid-type", "/resources", "expected a non-empty list of resources"))
    site["resources"] = [_resource(item, f"/resources/{i}") for i, item in enumerate(items)]
    ids = [r["resource_id"] for r in site["resources"]]
    meters = [r["meter_id"] for r in site["resources"]] + [site["site_meter_id"]]
    for index, rid in enumerate(ids):
        if ids.index(rid) != index:
            raise Rejected(FieldError("duplicate", f"/resources/{index}/resource_id", f"{rid!r} listed twice"))
    for index, meter in enumerate(meters):
        if meters.index(meter) != index:
            raise Rejected(FieldError("duplicate", f"/resources/{min(index, len(ids) - 1)}/meter_id",
                                      f"meter {meter!r} used twice on one site"))
    return site


def parse_slots(raw, kind: str, rated_kw: float, prefix: str = "/slots") -> list[dict]:
    """Schedule slots ``{start, end, power_kw}``; storage takes ``mode`` charge/discharge/idle."""
    if not isinstance(raw, list) or not raw:
        raise Rejected(FieldError("invalid-type", prefix, "expected a non-empty list of slots"))
    slots = []
    for index, item in enumerate(raw):
        where = f"{prefix}/{index}"
        start, end = p.instant(item, "start", where), p.instant(item, "end", where)
        if end <= start:
            raise Rejected(FieldError("invalid-interval", f"{where}/end", "a slot must end after it starts"))
        power = p.number(item, "power_kw", where, minimum=0.0)
        if power > rated_kw + 1e-9:
            raise Rejected(FieldError("out-of-range", f"{where}/power_kw",
                                      f"{power:g} kW exceeds the rated {rated_kw:g} kW"))
        if kind == "storage":
            mode = p.text(item, "mode", where, choices=("charge", "discharge", "idle"))
            power = {"charge": -power, "discharge": power, "idle": 0.0}[mode]
        elif kind != "generator":
            raise Rejected(FieldError("not-schedulable", "/resource_id",
                                      f"a {kind} runs by operation mode, not by a power schedule"))
        slots.append({"start": p.fmt_instant(start.astimezone(timezone.utc)),
                      "end": p.fmt_instant(end.astimezone(timezone.utc)), "power_kw": power})
    return slots


def merge_slots(held: list[dict], new: list[dict]) -> list[dict]:
    """New slots replace held ones they overlap (a later schedule wins)."""
    def overlaps(a, b):
        return a["start"] < b["end"] and b["start"] < a["end"]
    kept = [s for s in held if not any(overlaps(s, n) for n in new)]
    return sorted(kept + new, key=lambda s: s["start"])


def _active(slots: list[dict], at: datetime) -> dict | None:
    stamp = at.astimezone(timezone.utc)
    return next((s for s in slots if datetime.fromisoformat(s["start"]) <= stamp
                 < datetime.fromisoformat(s["end"])), None)


def storage_capacity_kw(res: Mapping) -> float:
    """What a storage unit can deliver over the next interval: its rating, limited by the
    energy it holds (7.1-06)."""
    return round(min(res["rated_kw"], res["soc_kwh"] / HOURS), 6)


def generator_capacity_kw(res: Mapping, isolated: bool = False) -> float:
    """A generator can produce its rating only while its protection reports it safe and its line
    is connected (7.1-06)."""
    return 0.0 if res["safety"] != "normal" or isolated else res["rated_kw"]


def quality_band(site: Mapping) -> tuple[float, float]:
    terms = site["quality_terms"]
    spread = terms["nominal_v"] * terms["tolerance_pct"] / 100
    return terms["nominal_v"] - spread, terms["nominal_v"] + spread


def step(site: Mapping, isolated: bool) -> tuple[dict, dict[str, dict[str, float]]]:
    """Run the site over its next interval.

    Args:
        site: the site record; ``stepped_to`` is the interval's start.
        isolated: its distribution line is switched off (7.2-02): no supply, no export, and
            generators stop (no islanding).
    Returns:
        (the site after the interval, ``{meter_id: {"import": kWh, "export": kWh}}``).
    """
    site = copy.deepcopy(site)
    start = datetime.fromisoformat(site["stepped_to"])
    gens = [r for r in site["resources"] if r["kind"] == "generator"]
    stores = [r for r in site["resources"] if r["kind"] == "storage"]
    loads = [r for r in site["resources"] if r["kind"] == "load"]
    over_voltage = site["quality_state"] == "over-voltage"

    gen_kw = {}
    for g in gens:
        slot = _active(g["schedule"], start)
        planned = min(slot["power_kw"], g["rated_kw"]) if slot else 0.0
        share = OVER_VOLTAGE_GENERATION_SHARE if over_voltage else 1.0
        gen_kw[g["resource_id"]] = 0.0 if g["safety"] != "normal" or isolated else planned * share
    store_kw = {}
    for s in stores:
        slot = _active(s["schedule"], start)
        control = _active(s["controls"], start)
        store_kw[s["resource_id"]] = control["power_kw"] if control else (slot["power_kw"] if slot else 0.0)
    for ld in loads:
        ld["mode"] = "reduced" if _active(ld["controls"], start) else "normal"

    def load_kw(ld):
        return ld["rated_kw"] if ld["mode"] == "normal" else ld["reduced_kw"]

    def net_import():
        return (site["base_load_kw"] + sum(load_kw(ld) for ld in loads)
                - sum(gen_kw.values()) - sum(store_kw.values()))

    heavy = sorted((ld for ld in loads if ld["heavy"]), key=lambda ld: ld["reduced_kw"] - ld["rated_kw"])
    # DR (7.1-05): reach the event's reduction below what the site would import without it,
    # first by switching heavy loads to their reduced mode, then by discharging storage.
    event = _active(site["dr_events"], start)
    if event is not None:
        target = net_import() - event["target_kw"]
        for ld in heavy:
            if net_import() <= target + 1e-9:
                break
            ld["mode"] = "reduced"
        for s in stores:
            if net_import() > target + 1e-9:
                store_kw[s["resource_id"]] = min(s["rated_kw"], store_kw[s["resource_id"]]
                                                 + net_import() - target)
    # Peak limit (7.1-03): heavy loads go to reduced mode while the site would exceed it.
    if site["peak_limit_kw"] is not None:
        for ld in heavy:
            if net_import() <= site["peak_limit_kw"] + 1e-9:
                break
            ld["mode"] = "reduced"
    readings: dict[str, dict[str, float]] = {}
    for s in stores:  # within the state of charge (7.1-02)
        kw = store_kw[s["resource_id"]]
        kw = min(kw, s["soc_kwh"] / HOURS) if kw > 0 else max(kw, -(s["capacity_kwh"] - s["soc_kwh"]) / HOURS)
        kw = 0.0 if isolated else kw
        store_kw[s["resource_id"]] = kw
        s["soc_kwh"] = round(s["soc_kwh"] - kw * HOURS, 6)
        s["power_kw"] = round(kw, 6)
        s["state"] = "discharging" if kw > 1e-9 else "charging" if kw < -1e-9 else "idle"
        readings[s["meter_id"]] = {"import": round(max(-kw, 0) * HOURS, 6), "export": round(max(kw, 0) * HOURS, 6)}
    for g in gens:
        g["power_kw"] = round(gen_kw[g["resource_id"]], 6)
        readings[g["meter_id"]] = {"import": 0.0, "export": round(g["power_kw"] * HOURS, 6)}
    for ld in loads:
        ld["power_kw"] = 0.0 if isolated else load_kw(ld)
        readings[ld["meter_id"]] = {"import": round(ld["power_kw"] * HOURS, 6), "export": 0.0}
    net = 0.0 if isolated else net_import()
    site["power_kw"] = round(net, 6)
    readings[site["site_meter_id"]] = {"import": round(max(net, 0) * HOURS, 6),
                                       "export": round(max(-net, 0) * HOURS, 6)}
    site["stepped_to"] = p.fmt_instant(start + INTERVAL)
    return site, readings


def resource_status(site: Mapping, isolated: bool) -> list[dict]:
    """Each resource's state as monitored (7.1-01, -02, -03) and its measured capacity (7.1-06)."""
    out = []
    for r in site["resources"]:
        status = {"resource_id": r["resource_id"], "kind": r["kind"], "meter_id": r["meter_id"],
                  "rated_kw": r["rated_kw"], "power_kw": r.get("power_kw", 0.0)}
        if r["kind"] == "generator":
            status.update(safety=r["safety"], capacity_kw=generator_capacity_kw(r, isolated))
        elif r["kind"] == "storage":
            status.update(soc_kwh=r["soc_kwh"], capacity_kwh=r["capacity_kwh"], state=r.get("state", "idle"),
                          capacity_kw=0.0 if isolated else storage_capacity_kw(r))
        else:
            status.update(mode=r["mode"], reduced_kw=r["reduced_kw"])
        out.append(status)
    return out
