"""Distribution and operation domains (Y.2072 7.2, 7.3): the condition a line's protection
device reports and the automatic switching it triggers, power quality judged against the terms
of the customer's contract, and who may ask for a site's measurement data.

Rules: plain functions over records; the caller stores. A line with trouble is switched off
(its feeder switch opened) until its protection reports it normal again; every switching is
kept in the line's action log.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from . import parsing as p
from .errors import FieldError, Rejected
from .site import quality_band

LINE_CONDITIONS = ("normal", "overcurrent", "earth-fault", "overvoltage", "undervoltage")


def new_line(line_id: str) -> dict:
    return {"line_id": line_id, "condition": "normal", "switch": "closed", "actions": [], "sites": []}


def apply_line_condition(line: Mapping, raw: Mapping, now: datetime) -> dict:
    """The line's protection reports a condition; trouble opens the feeder switch, a return to
    normal closes it again (7.2-02).

    Raises:
        Rejected: an unknown condition (``/condition``).
    """
    condition = p.text(raw, "condition", choices=LINE_CONDITIONS)
    line = {**line, "actions": list(line["actions"]), "condition": condition,
            "condition_at": p.fmt_instant(now)}
    wanted = "closed" if condition == "normal" else "open"
    if line["switch"] != wanted:
        line["switch"] = wanted
        line["actions"].append({"at": p.fmt_instant(now), "action": f"{wanted} feeder switch",
                                "because": condition})
    return line


def judge_voltage(site: Mapping, raw: Mapping, now: datetime) -> tuple[dict, dict]:
    """A voltage observed at the site, judged against its contract's band (7.3-02). While it is
    above the band the site holds back its generation (see `site.step`).

    Returns:
        (the site with its new quality state, the observation as judged).
    Raises:
        Rejected: a voltage that is not a positive number (``/voltage_v``).
    """
    voltage = p.number(raw, "voltage_v", positive=True)
    low, high = quality_band(site)
    state = "over-voltage" if voltage > high + 1e-9 else "under-voltage" if voltage < low - 1e-9 else "normal"
    observation = {"observed_at": p.fmt_instant(now), "voltage_v": voltage, "band_v": [round(low, 3), round(high, 3)],
                   "state": state, "control": {"over-voltage": "generation held to half its schedule",
                                               "under-voltage": "none available at the site",
                                               "normal": "none needed"}[state]}
    return {**site, "voltage_v": voltage, "quality_state": state}, observation


def check_requester(site: Mapping, requester_id: str) -> None:
    """Measurement data and line status go to the site's customer and its service provider
    (7.3-03), to no one else.

    Raises:
        Rejected: ``not-authorised`` at ``/requester_id``.
    """
    if requester_id not in (site["owner_id"], site.get("service_provider_id")):
        raise Rejected(FieldError("not-authorised", "/requester_id",
                                  f"{requester_id} is neither the customer nor the service provider of site "
                                  f"{site['site_id']}"))
