"""Rig files: which instruments a bench has and how to reach them, the meter under test (its
accuracy class and currents), the test points, and the limits nothing may exceed.

A rig file is YAML (see ``bench_rigs/rigs/simulated.yaml``, and README "Hardware-in-the-loop
bench"). `load_rig` validates it whole before any instrument is touched: every problem raises
`RigError` whose ``field`` is the JSON pointer of the offending entry (``/test_points/2/current_a``).
Rules beyond types: every test point lies inside a band of the meter's class table, within the
meter's Imax and within the rig's safe current limit; the test and creep voltages lie within
the safe voltage limit; ``{sim}`` in a resource or port needs a ``simulator`` section (its
directory replaces ``{sim}`` when the bench opens).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import accuracy
from .errors import RigError

DRIVERS = {
    "standard": ("scpi-power-standard",),
    "source": ("scpi-source",),
    "meter": ("iec62056-21", "modbus-rtu"),
    "relay": ("relay-board", "scpi-switch"),
}
_MISSING = object()


def _get(node: dict, key: str, kind, pointer: str, default: Any = _MISSING):
    if not isinstance(node, dict):
        raise RigError("expected a mapping", code="bad-type", field=pointer, expected="mapping",
                       actual=type(node).__name__)
    if key not in node:
        if default is _MISSING:
            raise RigError(f"{key} is required", code="missing-field", field=f"{pointer}/{key}")
        return default
    value = node[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise RigError(f"{key} has the wrong type", code="bad-type", field=f"{pointer}/{key}",
                       expected="/".join(k.__name__ for k in kinds), actual=value)
    return value


def _positive(node: dict, key: str, pointer: str, default: Any = _MISSING) -> float:
    value = _get(node, key, float, pointer, default)
    if value is not None and not value > 0:
        raise RigError(f"{key} must be > 0", code="bad-value", field=f"{pointer}/{key}", actual=value)
    return value


@dataclass(frozen=True)
class InstrumentSpec:
    role: str
    driver: str
    settings: dict                  # resource / visa_library / port / baud / ... as written


@dataclass(frozen=True)
class MeterSpec:
    id: str
    standard: str
    accuracy_class: str
    reference_voltage_v: float
    currents: accuracy.MeterCurrents
    starting_current_a: float
    register: str
    resolution_kwh: float


@dataclass(frozen=True)
class TestPoint:
    name: str
    current_a: float
    power_factor: float
    energy_kwh: float               # energy the standard integrates at this point
    limit: accuracy.Limit


@dataclass(frozen=True)
class Rig:
    name: str
    path: Path
    instruments: dict[str, InstrumentSpec]
    meter: MeterSpec
    test_points: tuple[TestPoint, ...]
    starting_duration_s: float      # instrument seconds at the starting current
    creep_duration_s: float
    creep_voltage_factor: float
    relay_channel: int
    relay_safe_state: str
    relay_max_latency_s: float
    relay_test_current_a: float
    max_voltage_v: float
    max_current_a: float
    timeout_s: float                # longest wait for any one step of a procedure
    simulator: dict | None = None
    calibration: dict = field(default_factory=dict)


def load_rig(path: str | Path) -> Rig:
    """Read and validate a rig file.

    Raises:
        RigError: unreadable file, bad YAML, or an invalid entry (``field`` names it).
    """
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RigError(f"cannot read rig file {path}: {exc}", code="rig-unreadable", field="--rig",
                       actual=str(path)) from exc
    except yaml.YAMLError as exc:
        raise RigError(f"rig file {path} is not valid YAML: {exc}", code="rig-not-yaml", field="") from exc
    return parse_rig(document, path)


def parse_rig(document: Any, path: Path) -> Rig:
    """Validate an already-parsed rig document (see `load_rig`)."""
    if not isinstance(document, dict):
        raise RigError("a rig file is a mapping", code="bad-type", field="", expected="mapping",
                       actual=type(document).__name__)
    simulator = _get(document, "simulator", dict, "", None)
    if simulator is not None:
        _check_simulator(simulator)
    limits = _get(document, "safe_limits", dict, "")
    max_voltage = _positive(limits, "max_voltage_v", "/safe_limits")
    max_current = _positive(limits, "max_current_a", "/safe_limits")
    instruments = _instruments(_get(document, "instruments", dict, ""), simulator is not None)
    meter = _meter(_get(document, "meter", dict, ""), max_voltage)
    points_node = _get(document, "test_points", list, "")
    if not points_node:
        raise RigError("a rig needs at least one test point", code="missing-field", field="/test_points")
    points = tuple(_test_point(p, f"/test_points/{i}", meter, max_current) for i, p in enumerate(points_node))
    names = [p.name for p in points]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RigError("test point names must be unique", code="duplicate", field="/test_points",
                       actual=duplicates)
    starting = _get(document, "starting_current", dict, "")
    creep = _get(document, "creep", dict, "")
    factor = _positive(creep, "voltage_factor", "/creep", 1.15)   # IEC 62053-21 8.3.2: 115 % of Un
    if meter.reference_voltage_v * factor > max_voltage:
        raise RigError("creep voltage exceeds the safe voltage limit", code="beyond-safe-limit",
                       field="/creep/voltage_factor", expected=f"<= {max_voltage} V",
                       actual=meter.reference_voltage_v * factor)
    relay = _get(document, "relay", dict, "")
    safe_state = _get(relay, "safe_state", str, "/relay")
    if safe_state not in ("open", "closed"):
        raise RigError("safe_state is open or closed", code="bad-value", field="/relay/safe_state",
                       expected=["open", "closed"], actual=safe_state)
    test_current = _positive(relay, "test_current_a", "/relay")
    if test_current > min(max_current, meter.currents.imax_a):
        raise RigError("relay test current beyond the safe limit or Imax", code="beyond-safe-limit",
                       field="/relay/test_current_a", actual=test_current)
    if meter.starting_current_a > max_current:
        raise RigError("starting current beyond the safe limit", code="beyond-safe-limit",
                       field="/meter/starting_current_a", actual=meter.starting_current_a)
    return Rig(
        name=_get(document, "name", str, ""), path=path.resolve(), instruments=instruments, meter=meter,
        test_points=points, starting_duration_s=_positive(starting, "duration_s", "/starting_current"),
        creep_duration_s=_positive(creep, "duration_s", "/creep"), creep_voltage_factor=factor,
        relay_channel=_get(relay, "channel", int, "/relay"), relay_safe_state=safe_state,
        relay_max_latency_s=_positive(relay, "max_latency_s", "/relay"), relay_test_current_a=test_current,
        max_voltage_v=max_voltage, max_current_a=max_current,
        timeout_s=_positive(document, "timeout_s", "", 60.0), simulator=simulator,
        calibration=_get(document, "calibration", dict, "", {}))


def _check_simulator(node: dict) -> None:
    """Build the simulated circuit once here, so a bad simulator section is refused with the rest
    of the rig instead of when its process starts."""
    from .simulators.bench import build_physics
    for section in ("meter", "relays"):
        if section in node and not isinstance(node[section], dict):
            raise RigError(f"simulator {section} is a mapping", code="bad-type", field=f"/simulator/{section}")
    try:
        build_physics(node)
    except (TypeError, ValueError) as exc:
        raise RigError(f"invalid simulator section: {exc}", code="bad-value", field="/simulator",
                       actual=str(exc)) from exc


def _instruments(node: dict, simulated: bool) -> dict[str, InstrumentSpec]:
    specs = {}
    for role, drivers in DRIVERS.items():
        pointer = f"/instruments/{role}"
        entry = _get(node, role, dict, "/instruments")
        driver = _get(entry, "driver", str, pointer)
        if driver not in drivers:
            raise RigError(f"unknown {role} driver", code="bad-value", field=f"{pointer}/driver",
                           expected=list(drivers), actual=driver)
        address_key = "resource" if driver.startswith("scpi-") else "port"
        address = _get(entry, address_key, str, pointer)
        if "{sim}" in address and not simulated:
            raise RigError("{sim} is only defined when the rig has a simulator section", code="bad-value",
                           field=f"{pointer}/{address_key}", actual=address)
        if address_key == "resource":
            _get(entry, "visa_library", str, pointer, "@py")
        _positive(entry, "timeout_s", pointer, 2.0)
        specs[role] = InstrumentSpec(role, driver, dict(entry))
    unknown = sorted(set(node) - set(DRIVERS))
    if unknown:
        raise RigError("unknown instrument role", code="unknown-field", field=f"/instruments/{unknown[0]}",
                       expected=list(DRIVERS), actual=unknown)
    return specs


def _meter(node: dict, max_voltage: float) -> MeterSpec:
    standard = _get(node, "standard", str, "/meter")
    accuracy_class = str(_get(node, "accuracy_class", (str, int), "/meter"))
    currents = accuracy.MeterCurrents(
        imax_a=_positive(node, "imax_a", "/meter"), ib_a=_positive(node, "ib_a", "/meter", None),
        imin_a=_positive(node, "imin_a", "/meter", None), itr_a=_positive(node, "itr_a", "/meter", None))
    needed = {"MID": ("imin_a", "itr_a"), "IEC62053-21": ("ib_a",)}.get(standard, ())
    for name in needed:
        if getattr(currents, name) is None:
            raise RigError(f"a {standard} meter declares {name}", code="missing-field", field=f"/meter/{name}")
    if standard == "MID" and not currents.imin_a < currents.itr_a < currents.imax_a:
        raise RigError("MID currents must satisfy Imin < Itr < Imax", code="bad-value", field="/meter/itr_a",
                       actual=[currents.imin_a, currents.itr_a, currents.imax_a])
    accuracy.limit(standard, accuracy_class, currents, currents.imax_a, 1.0, field="/meter")  # class exists
    voltage = _positive(node, "reference_voltage_v", "/meter")
    if voltage > max_voltage:
        raise RigError("reference voltage beyond the safe voltage limit", code="beyond-safe-limit",
                       field="/meter/reference_voltage_v", expected=f"<= {max_voltage}", actual=voltage)
    return MeterSpec(id=str(_get(node, "id", (str, int), "/meter")), standard=standard,
                     accuracy_class=accuracy_class, reference_voltage_v=voltage, currents=currents,
                     starting_current_a=_positive(node, "starting_current_a", "/meter"),
                     register=_get(node, "register", str, "/meter", "1.8.0"),
                     resolution_kwh=_positive(node, "resolution_kwh", "/meter", 0.001))


def _test_point(node: dict, pointer: str, meter: MeterSpec, max_current: float) -> TestPoint:
    current = _positive(node, "current_a", pointer)
    if current > min(max_current, meter.currents.imax_a):
        raise RigError("test current beyond the safe limit or the meter's Imax", code="beyond-safe-limit",
                       field=f"{pointer}/current_a", expected=f"<= {min(max_current, meter.currents.imax_a)}",
                       actual=current)
    power_factor = _get(node, "power_factor", float, pointer, 1.0)
    if not -1 <= power_factor <= 1 or power_factor == 0:
        raise RigError("power factor is in -1..1 and not 0", code="bad-value", field=f"{pointer}/power_factor",
                       actual=power_factor)
    energy = _positive(node, "energy_kwh", pointer)
    if energy < 100 * meter.resolution_kwh:
        # the register's last digit must stay a small part of the limit: at least 100 steps
        raise RigError("test energy too small for the meter's register resolution", code="bad-value",
                       field=f"{pointer}/energy_kwh", expected=f">= {100 * meter.resolution_kwh}", actual=energy)
    limit = accuracy.limit(meter.standard, meter.accuracy_class, meter.currents, current, power_factor,
                           field=pointer)
    return TestPoint(str(_get(node, "name", (str, int), pointer)), current, power_factor, energy, limit)
