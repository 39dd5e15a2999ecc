"""Maximum permissible errors of active-energy meters, from the tables in
``bench_rigs/data/accuracy_classes.yaml`` (MID 2014/32/EU Annex V MI-003 classes A, B, C;
IEC 62053-21 classes 1 and 2; the file cites the table each figure comes from).

A current band is written in the meter's own currents: ``Imin``, ``Itr``, ``Imax`` (MID) or
multiples of ``Ib`` (IEC), each band [from, to) and the last one closed at Imax. A test point
outside every band of its class has no limit, and is refused when the rig is loaded.
Power factor: + inductive (lagging), - capacitive (leading).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .errors import RigError

STANDARDS = ("MID", "IEC62053-21")


@dataclass(frozen=True)
class MeterCurrents:
    imax_a: float
    ib_a: float | None = None
    imin_a: float | None = None
    itr_a: float | None = None


@dataclass(frozen=True)
class Limit:
    mpe_pct: float
    band: str            # e.g. "Itr <= I <= Imax"
    source: str
    low_a: float = 0.0   # the band in amperes, for the plot's envelope
    high_a: float = 0.0


@cache
def tables() -> dict:
    return yaml.safe_load((Path(__file__).parent / "data" / "accuracy_classes.yaml").read_text("utf-8"))["standards"]


def classes(standard: str) -> list[str]:
    return sorted(tables().get(standard, {}).get("classes", {}))


def _amperes(expression: str, currents: MeterCurrents, field: str) -> float:
    match = re.fullmatch(r"(?:(?P<factor>[0-9.]+) )?(?P<name>Imin|Itr|Imax|Ib)", expression)
    if match is None:
        raise RigError(f"accuracy table: bad current expression {expression!r}", code="bad-table")
    name = match["name"]
    value = {"Imin": currents.imin_a, "Itr": currents.itr_a, "Imax": currents.imax_a, "Ib": currents.ib_a}[name]
    if value is None:
        raise RigError(f"the meter's {name} is needed by its class table but not declared", code="missing-field",
                       field=field, expected=f"{name.lower()}_a")
    return float(match["factor"] or 1) * value


def _pf_matches(row_pf, power_factor: float) -> bool:
    if row_pf is None:
        return True
    if row_pf == "reactive":   # the table's rows at 0.5 inductive and 0.8 capacitive
        return math.isclose(power_factor, 0.5) or math.isclose(power_factor, -0.8)
    return math.isclose(power_factor, float(row_pf))


def limit(standard: str, accuracy_class: str, currents: MeterCurrents, current_a: float,
          power_factor: float = 1.0, *, field: str = "") -> Limit:
    """The MPE for one test point.

    Raises:
        RigError: unknown standard or class, a current the class table needs is not declared, or
            the test point lies outside every band (``field`` names the test point).
    """
    table = tables().get(standard)
    if table is None:
        raise RigError("unknown accuracy standard", code="bad-value", field="/meter/standard",
                       expected=list(STANDARDS), actual=standard)
    rows = table["classes"].get(str(accuracy_class))
    if rows is None:
        raise RigError(f"unknown {standard} accuracy class", code="bad-value", field="/meter/accuracy_class",
                       expected=classes(standard), actual=accuracy_class)
    if standard == "MID" and not (0.5 <= power_factor <= 1 or -1 <= power_factor <= -0.8):
        raise RigError("MID MPEs hold for power factors from 0.5 inductive to 0.8 capacitive", code="bad-value",
                           field=f"{field}/power_factor", expected="0.5..1 or -1..-0.8", actual=power_factor)
    for row in rows:
        low = _amperes(row["from"], currents, "/meter")
        high = _amperes(row["to"], currents, "/meter")
        last = row["to"] == "Imax"
        if _pf_matches(row.get("power_factor"), power_factor) and (
                low <= current_a < high or (last and low <= current_a <= high)):
            band = f"{row['from']} <= I {'<=' if last else '<'} {row['to']}"
            return Limit(float(row["mpe_pct"]), band, table["source"], low, high)
    raise RigError(f"no {standard} class {accuracy_class} limit covers {current_a} A at power factor {power_factor}",
                   code="outside-class-table", field=f"{field}/current_a", actual=current_a)
