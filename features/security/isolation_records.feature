Feature: Security - a participant reaches only its own meter readings and bills
  ITU-T Y.2072 clause 10 recommends control over which entity may use each service, and
  attention to the privacy of customer data. A household's meter readings show how it lives and
  its bill names its consumption and charges: only that customer (and the operator) may read
  them, and nobody may submit readings for a meter that is not theirs. Alice and bob are both
  authenticated; bob asks for alice's records.

  Background:
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    And a prosumer "bob" at grid node "N2" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-2   | load | 9.0          | 230       | M-B1  |
    And the retailer offers a flat tariff "FLAT-1" at 0.25 EUR/kWh
    And meter "M-A1" reports import of 0.25 kWh and export of 0.0 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-02T23:00:00+00:00
    And customer "alice" is supplied at "M-A1" on tariff "FLAT-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    And the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 has been issued

  @SEC-ISOLATION-READ @Y2072-10-03 @Y2072-10-05
  Scenario: Bob cannot read alice's bill
    When "bob" asks for the bill of "M-A1"
    Then the platform refuses the request without disclosing the record

  @SEC-ISOLATION-READ @Y2072-10-03 @Y2072-10-05
  Scenario: Alice reads her own bill
    When "alice" asks for the bill of "M-A1"
    Then the platform serves the request

  @SEC-ISOLATION-READ @Y2072-10-03 @Y2072-10-05
  Scenario: Bob cannot read alice's meter readings
    When "bob" asks for the readings of meter "M-A1"
    Then the platform refuses the request without disclosing the record

  @SEC-ISOLATION-READ @Y2072-10-03 @Y2072-10-05
  Scenario: Alice reads her own meter readings
    When "alice" asks for the readings of meter "M-A1"
    Then the platform serves the request

  @SEC-ISOLATION-WRITE @Y2072-10-03 @Y2072-10-04
  Scenario: Bob cannot submit readings for alice's meter
    When "bob" submits a reading of 9.0 kWh imported by meter "M-A1" from 2026-03-02T23:00:00+00:00 to 2026-03-02T23:15:00+00:00
    Then the platform refuses the request as "forbidden"
    And meter "M-A1" holds 192 readings

  @SEC-ISOLATION-WRITE @Y2072-10-03
  Scenario: Bob cannot register a resource in alice's name
    When "bob" registers resource "site-x" with meter "M-X1" in the name of "alice"
    Then the platform refuses the request as "forbidden"

  @SEC-OPERATOR-SERVICES @Y2072-10-03
  Scenario: A participant cannot use the operator's billing service, not even for her own meter
    Given meter "M-B1" reports import of 0.25 kWh and export of 0.0 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-02T23:00:00+00:00
    And customer "bob" is supplied at "M-B1" on tariff "FLAT-1" in retailer domain "retailer-a.example" without consent to an interval curve
    When "bob" asks the platform to issue the bill of "M-B1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00
    Then the platform refuses the request as "forbidden"
    And the operator can still issue the bill of "M-B1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00
