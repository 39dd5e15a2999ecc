"""Declared measurements (house rule 8, after OpenHTF): each check a step makes is declared
once, with a name, a unit from `harness.units`, its limits and a description, before any
scenario runs. Steps record values through `ScenarioEvidence.measure`; the validator, not the
step, decides pass or fail, and a failure raises `ConformanceViolation` naming the field.
Recording under an undeclared name is a `HarnessError`.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import ConformanceViolation, HarnessError
from .units import check_unit


@dataclass(frozen=True)
class Validator:
    describe: str
    accepts: Callable[[object], bool]


def equals(expected) -> Validator:
    shown = str(expected) if isinstance(expected, Decimal) else repr(expected)  # 0.30, not Decimal('0.30')
    return Validator(f"== {shown}", lambda v: v == expected)


def is_true() -> Validator:
    return Validator("is true", lambda v: v is True)


def within(expected: float, tolerance: float) -> Validator:
    return Validator(f"{expected:g} ± {tolerance:g}",
                     lambda v: isinstance(v, (int, float)) and math.isfinite(v)
                     and abs(v - expected) <= tolerance)


def at_least(low: float) -> Validator:
    return Validator(f">= {low:g}", lambda v: isinstance(v, (int, float)) and v >= low)


def one_of(*options) -> Validator:
    return Validator(f"one of {options!r}", lambda v: v in options)


@dataclass(frozen=True)
class Measurement:
    name: str
    unit: str | None
    description: str

    def __post_init__(self):
        check_unit(self.unit)


_DECLARED: dict[str, Measurement] = {}


def declare(name: str, *, unit: str | None, description: str) -> Measurement:
    """Declare a measurement once (module import time).

    Raises:
        HarnessError: the name is already declared with another meaning.
    """
    measurement = Measurement(name, unit, description)
    existing = _DECLARED.get(name)
    if existing is not None:
        if existing != measurement:
            raise HarnessError(f"measurement {name!r} declared twice with different meanings",
                               code="duplicate-measurement", expected=existing, actual=measurement)
        return existing  # the same declaration imported twice: one handle
    _DECLARED[name] = measurement
    return measurement


@dataclass
class ScenarioEvidence:
    """What one scenario measured, in order; the plugin copies it into the run record."""

    records: list[dict] = field(default_factory=list)

    def measure(self, measurement: Measurement, value, validator: Validator, *,
                field: str = "", subject: str = "") -> None:
        """Record a value and validate it.

        Args:
            measurement: a declared measurement.
            value: what the SUT showed.
            validator: the limit the requirement sets for this scenario.
            field: JSON pointer of the value in the SUT's answer (for the finding).
            subject: what was measured (a contract id, a participant...).
        Raises:
            HarnessError: the measurement was not declared.
            ConformanceViolation: the value is outside the limit.
        """
        if _DECLARED.get(measurement.name) is not measurement:
            raise HarnessError(f"measurement {measurement.name!r} was not declared",
                               code="undeclared-measurement")
        passed = bool(validator.accepts(value))
        self.records.append({"name": measurement.name, "subject": subject, "value": _plain(value),
                             "unit": measurement.unit, "limits": validator.describe,
                             "outcome": "pass" if passed else "fail",
                             "description": measurement.description})
        if not passed:
            label = f"{measurement.description}" + (f" ({subject})" if subject else "")
            raise ConformanceViolation(label, code=measurement.name, field=field,
                                       expected=validator.describe, actual=_plain(value))


def _plain(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)
