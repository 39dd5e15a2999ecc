"""harness.measurements: declared measurements, recorded and judged by their validator; a
failed limit is a ConformanceViolation naming field, expected and actual."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest

from harness import measurements as m
from harness.errors import ConformanceViolation, HarnessError

# Names are prefixed so they cannot clash with the steps' own declarations.
DELIVERED = m.declare("test_measurements_delivered", unit="kWh", description="energy delivered")
TOTAL = m.declare("test_measurements_total", unit="EUR", description="settlement total")


def test_measure_records_a_passing_value():
    evidence = m.ScenarioEvidence()
    evidence.measure(DELIVERED, 29.8, m.within(30.0, 0.5), field="/delivered_kwh", subject="CT-1")
    assert evidence.records == [{"name": "test_measurements_delivered", "subject": "CT-1", "value": 29.8,
                                 "unit": "kWh", "limits": "30 ± 0.5", "outcome": "pass",
                                 "description": "energy delivered"}]


def test_failed_validator_raises_a_violation_naming_the_field():
    evidence = m.ScenarioEvidence()
    with pytest.raises(ConformanceViolation) as caught:
        evidence.measure(DELIVERED, 25.0, m.within(30.0, 0.5), field="/delivered_kwh", subject="CT-1")
    violation = caught.value
    assert (violation.field, violation.expected, violation.actual) == ("/delivered_kwh", "30 ± 0.5", 25.0)
    assert violation.code == "test_measurements_delivered"
    assert str(violation).startswith("energy delivered (CT-1) [test_measurements_delivered] at /delivered_kwh")
    assert isinstance(violation, AssertionError)            # a finding, so pytest reports a failure
    assert evidence.records[0]["outcome"] == "fail"         # the failed value is still on record


def test_values_that_are_not_plain_json_are_recorded_as_text():
    evidence = m.ScenarioEvidence()
    with pytest.raises(ConformanceViolation) as caught:
        evidence.measure(TOTAL, Decimal("3.97"), m.equals(Decimal("3.98")), field="/total")
    assert caught.value.actual == "3.97" and evidence.records[0]["value"] == "3.97"


def test_undeclared_measurement_is_a_harness_error():
    stray = m.Measurement("test_measurements_never_declared", None, "not declared")
    evidence = m.ScenarioEvidence()
    with pytest.raises(HarnessError) as caught:
        evidence.measure(stray, True, m.is_true())
    assert caught.value.code == "undeclared-measurement"
    assert not isinstance(caught.value, ConformanceViolation)
    assert evidence.records == []


def test_unknown_unit_is_rejected_at_declare():
    with pytest.raises(HarnessError, match="unit 'furlong' is not in harness.units.UNITS"):
        m.declare("test_measurements_distance", unit="furlong", description="how far")
    # nothing was registered: the name is still free for a declaration with another meaning
    distance = m.declare("test_measurements_distance", unit="count", description="how many hops")
    assert distance.unit == "count"


def test_redeclaring_a_name_with_another_meaning_is_refused():
    with pytest.raises(HarnessError) as caught:
        m.declare("test_measurements_delivered", unit="kW", description="energy delivered")
    assert caught.value.code == "duplicate-measurement"


def test_identical_redeclaration_keeps_the_first_handle_usable():
    first = m.declare("test_measurements_repeat", unit="count", description="repeated")
    m.declare("test_measurements_repeat", unit="count", description="repeated")
    evidence = m.ScenarioEvidence()
    evidence.measure(first, 2, m.equals(2))
    assert evidence.records[0]["outcome"] == "pass"


@pytest.mark.parametrize("validator, accepted, refused", [
    (m.equals(3), 3, 4),
    (m.is_true(), True, 1),                      # truthy is not enough
    (m.within(30.0, 0.5), 30.5, 30.6),
    (m.within(30.0, 0.5), 29.5, math.nan),
    (m.at_least(28.5), 28.5, 28.4),
    (m.at_least(0), 0, "0"),
    (m.one_of("signed", "amended"), "signed", "cancelled"),
])
def test_validators(validator, accepted, refused):
    assert validator.accepts(accepted) is True
    assert validator.accepts(refused) is False
