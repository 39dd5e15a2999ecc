"""The one registry of units measurements may declare (like OpenHTF's units module). A
measurement naming a unit not listed here is a harness error at import time.
"""
from __future__ import annotations

from .errors import HarnessError

UNITS: dict[str, str] = {
    "kWh": "kilowatt-hour",
    "kW": "kilowatt",
    "V": "volt",
    "EUR": "euro",
    "EUR/kWh": "euro per kilowatt-hour",
    "%": "percent",
    "count": "number of items",
    "s": "second",
    "A": "ampere",          # bench checks (issue 6)
    "ratio": "dimensionless ratio (a relative difference)",
}


def check_unit(unit: str | None) -> str | None:
    if unit is not None and unit not in UNITS:
        raise HarnessError(f"unit {unit!r} is not in harness.units.UNITS; add it there first",
                           code="unknown-unit", field="unit", expected=sorted(UNITS), actual=unit)
    return unit
