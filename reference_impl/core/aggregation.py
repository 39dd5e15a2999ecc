"""The service provider's resource aggregator (Y.2072 7.4; 8.2.2; 9.3, 9.4): resources enrolled
only after verification, groups formed by characteristics and monitored and controlled as one
unit, market events relayed to every customer concerned, operation schedules drawn from the
market contract, and the demand reduction a DR event achieved against what it asked for.

Rules: plain functions over the records the repository holds; refusals name the field; nothing
here stores anything.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from . import parsing as p
from .errors import FieldError, Rejected
from .site import generator_capacity_kw, storage_capacity_kw

PROGRAMMES = ("dr", "der-trading")
# Which resources can take part in which programme: DR needs a load with a reduced mode, or
# storage; DER trading needs something that can feed energy: a generator or storage.
_SUITS = {"dr": lambda r: (r["kind"] == "load" and r["heavy"]) or r["kind"] == "storage",
          "der-trading": lambda r: r["kind"] in ("generator", "storage")}
EVENT_KINDS = ("demand-reduction", "generation-control")
GROUP_ACTIONS = ("reduce", "discharge", "restore")


def verify_enrolment(raw: Mapping, aggregator_id: str, site: Mapping | None, meter_readings: int) -> dict:
    """Verify that a customer resource can take part in the programmes asked for, then describe
    its enrolment (7.4-01).

    Args:
        raw: ``resource_id``, ``site_id``, ``programmes`` (``dr``, ``der-trading``).
        aggregator_id: the service provider enrolling it.
        site: the site record named, or None.
        meter_readings: how many intervals the resource's meter has delivered.
    Returns:
        the enrolment record, with the checks that were made.
    Raises:
        Rejected: one FieldError per failed check.
    """
    resource_id, site_id = p.text(raw, "resource_id"), p.text(raw, "site_id")
    programmes = p.string_list(raw, "programmes")
    errors = [FieldError("invalid-value", f"/programmes/{i}", f"expected one of {', '.join(PROGRAMMES)}, "
                                                                f"got {name!r}")
              for i, name in enumerate(programmes) if name not in PROGRAMMES]
    if errors:
        raise Rejected(*errors)
    if site is None:
        raise Rejected(FieldError("unknown-site", "/site_id", f"no site {site_id!r}"))
    resource = next((r for r in site["resources"] if r["resource_id"] == resource_id), None)
    if resource is None:
        raise Rejected(FieldError("unknown-resource", "/resource_id", f"site {site_id} has no resource {resource_id!r}"))
    if site.get("service_provider_id") != aggregator_id:
        errors.append(FieldError("not-contracted", "/site_id",
                                 f"site {site_id} has no service contract with {aggregator_id}"))
    for index, name in enumerate(programmes):
        if not _SUITS[name](resource):
            errors.append(FieldError("unsuitable-resource", f"/programmes/{index}",
                                     f"a {resource['kind']} without a controllable reduction cannot take part in {name}"
                                     if name == "dr" else f"a {resource['kind']} cannot feed energy for {name}"))
    if meter_readings == 0:
        errors.append(FieldError("meter-not-reporting", "/resource_id",
                                 f"meter {resource['meter_id']} of {resource_id} has delivered no measurement yet"))
    if resource["kind"] == "generator" and resource["safety"] != "normal":
        errors.append(FieldError("unsafe-resource", "/resource_id",
                                 f"the protection of {resource_id} reports {resource['safety']}"))
    if errors:
        raise Rejected(*errors)
    return {"enrolment_id": f"{aggregator_id}:{resource_id}", "aggregator_id": aggregator_id,
            "resource_id": resource_id, "site_id": site_id, "owner_id": site["owner_id"],
            "kind": resource["kind"], "rated_kw": resource["rated_kw"], "programmes": list(programmes),
            "verified": True, "checks": ["site-contract", "programme-suitability", "meter-reporting",
                                         "protection-state"]}


def select_members(raw: Mapping, enrolments: Sequence[Mapping]) -> dict:
    """A group of enrolled resources chosen by characteristics (7.4-02, 7.4-04; 9.3).

    Args:
        raw: ``group_id``, ``programme`` and optional ``kind``.
        enrolments: the aggregator's verified enrolments.
    Raises:
        Rejected: unknown programme or kind, or no enrolled resource matches.
    """
    group_id = p.text(raw, "group_id")
    programme = p.text(raw, "programme", choices=PROGRAMMES)
    kind = p.text(raw, "kind", required=False, choices=("generator", "storage", "load"))
    members = [e for e in enrolments if programme in e["programmes"] and (kind is None or e["kind"] == kind)]
    if not members:
        raise Rejected(FieldError("empty-group", "/programme", "no enrolled resource has these characteristics"))
    return {"group_id": group_id, "programme": programme, "kind": kind,
            "members": [{"resource_id": e["resource_id"], "site_id": e["site_id"], "owner_id": e["owner_id"],
                         "kind": e["kind"], "rated_kw": e["rated_kw"]} for e in members]}


def group_status(group: Mapping, sites: Mapping[str, Mapping], isolated: Mapping[str, bool]) -> dict:
    """Monitor a group as one unit: every member's state and the group's totals (7.4-02)."""
    members, total_kw, available_kw = [], 0.0, 0.0
    for m in group["members"]:
        site = sites[m["site_id"]]
        res = next(r for r in site["resources"] if r["resource_id"] == m["resource_id"])
        cut = isolated.get(site["line_id"], False)
        power = res.get("power_kw", 0.0)
        if res["kind"] == "generator":
            available = generator_capacity_kw(res, cut)
        elif res["kind"] == "storage":
            available = 0.0 if cut else storage_capacity_kw(res)
        else:  # what the load can still shed
            available = max(power - res["reduced_kw"], 0.0)
        state = res.get("mode") or res.get("state") or res.get("safety")
        members.append({**m, "power_kw": power, "available_kw": round(available, 6), "state": state})
        total_kw += power
        available_kw += available
    return {"group_id": group["group_id"], "members": members, "member_count": len(members),
            "total_power_kw": round(total_kw, 6), "total_available_kw": round(available_kw, 6)}


def parse_command(raw: Mapping) -> tuple[str, dict]:
    """A collective command ``{action, start, end}``: ``reduce`` puts member loads into their
    reduced mode, ``discharge`` runs member storage at its rating, ``restore`` lifts both."""
    action = p.text(raw, "action", choices=GROUP_ACTIONS)
    start, end = p.instant(raw, "start"), p.instant(raw, "end")
    if end <= start:
        raise Rejected(FieldError("invalid-interval", "/end", "a command must end after it starts"))
    return action, {"start": p.fmt_instant(start), "end": p.fmt_instant(end)}


def parse_market_event(raw: Mapping, groups: Mapping[str, Mapping]) -> dict:
    """A market event for one of the aggregator's groups (7.4-06; 8.2.2 market event handling).

    Raises:
        Rejected: unknown group (``/group_id``), bad kind, or a window that ends before it starts.
    """
    event = {"event_id": p.text(raw, "event_id"), "group_id": p.text(raw, "group_id"),
             "kind": p.text(raw, "kind", choices=EVENT_KINDS),
             "target_kw": p.number(raw, "target_kw", positive=True)}
    start, end = p.instant(raw, "start"), p.instant(raw, "end")
    if end <= start:
        raise Rejected(FieldError("invalid-interval", "/end", "an event must end after it starts"))
    if event["group_id"] not in groups:
        raise Rejected(FieldError("unknown-group", "/group_id", f"no resource group {event['group_id']!r}"))
    event.update(start=p.fmt_instant(start), end=p.fmt_instant(end))
    return event


def site_shares(group: Mapping, sites: Mapping[str, Mapping]) -> dict[str, float]:
    """How a group target splits over its sites: by the reduction each can offer (load rating
    above its reduced mode, storage rating)."""
    offer: dict[str, float] = {}
    for m in group["members"]:
        res = next(r for r in sites[m["site_id"]]["resources"] if r["resource_id"] == m["resource_id"])
        room = res["rated_kw"] - res["reduced_kw"] if res["kind"] == "load" else res["rated_kw"]
        offer[m["site_id"]] = offer.get(m["site_id"], 0.0) + room
    total = sum(offer.values())
    return {site_id: room / total for site_id, room in offer.items()}


def contract_schedule(contract: Mapping, group: Mapping) -> dict[str, list[dict]]:
    """Generator slots that deliver a contract's energy over its window, shared by rating
    (7.4-05; 8.2.2 resource group schedule handling): resource_id -> slots."""
    start = datetime.fromisoformat(contract["delivery_start"])
    end = datetime.fromisoformat(contract["delivery_end"])
    hours = (end - start) / timedelta(hours=1)
    feeders = [m for m in group["members"] if m["kind"] == "generator"]
    if not feeders:
        raise Rejected(FieldError("no-generators", "/contract_id", f"group {group['group_id']} has no generator"))
    rated = sum(m["rated_kw"] for m in feeders)
    power = contract["energy_kwh"] / hours
    if power > rated + 1e-9:
        raise Rejected(FieldError("capacity-exceeds-group", "/contract_id",
                                  f"{power:g} kW needed, the group's generators are rated {rated:g} kW"))
    return {m["resource_id"]: [{"start": p.fmt_instant(start), "end": p.fmt_instant(end),
                                "power_kw": round(power * m["rated_kw"] / rated, 6)}] for m in feeders}


def achieved_reduction(event: Mapping, site_imports: Mapping[str, Sequence[tuple[datetime, datetime, float]]],
                       shares: Mapping[str, float]) -> dict:
    """Achieved against contracted reduction of a DR event (7.1-05; 9.4): each site's baseline is
    its mean metered import over the hour before the event; its reduction is that baseline minus
    its mean import during the event.

    Args:
        site_imports: site_id -> (interval start, interval end, kWh) of its utility meter.
    Raises:
        Rejected: a site's meter does not cover the event and the hour before it.
    """
    start, end = datetime.fromisoformat(event["start"]), datetime.fromisoformat(event["end"])
    hour = timedelta(hours=1)

    def mean_kw(series, begin, finish):
        rows = [(a, b, kwh) for a, b, kwh in series if begin <= a and b <= finish]
        covered = sum((b - a for a, b, _ in rows), timedelta())
        if covered < finish - begin:
            return None
        return sum(kwh for _, _, kwh in rows) / (covered / hour)

    sites, achieved = [], 0.0
    for site_id, series in sorted(site_imports.items()):
        baseline_kw, during_kw = mean_kw(series, start - hour, start), mean_kw(series, start, end)
        if baseline_kw is None or during_kw is None:
            raise Rejected(FieldError("incomplete-metering", "/event_id",
                                      f"site {site_id} lacks meter data for the event or the hour before"))
        reduction = baseline_kw - during_kw
        achieved += reduction
        sites.append({"site_id": site_id, "baseline_kw": round(baseline_kw, 6),
                      "event_kw": round(during_kw, 6), "reduction_kw": round(reduction, 6),
                      "contracted_kw": round(event["target_kw"] * shares.get(site_id, 0.0), 6)})
    return {"event_id": event["event_id"], "group_id": event["group_id"], "contracted_kw": event["target_kw"],
            "achieved_kw": round(achieved, 6), "sites": sites,
            "fulfilled": achieved >= event["target_kw"] - 1e-6}


def balance_decision(group_id: str, target_kw: float, hours: Sequence[datetime], capacity_kw: Sequence[float]) -> dict:
    """The DR manager's purchase decision (9.4): in every hour where the predicted maximum DR
    capacity falls short of the target, buy the missing energy (one hour at the shortfall)."""
    shortfall = [round(max(target_kw - c, 0.0), 4) for c in capacity_kw]
    purchase = round(sum(shortfall), 4)
    return {"group_id": group_id, "target_kw": target_kw, "hours": [h.isoformat() for h in hours],
            "predicted_capacity_kw": [round(c, 4) for c in capacity_kw], "shortfall_kw": shortfall,
            "purchase_kwh": purchase, "decision": "buy" if purchase > 0 else "no-purchase"}
