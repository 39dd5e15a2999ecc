Feature: Billing certification - SC 38 metering and billing indicators
  A retailer's bill is checked against the meter data and the tariff it was computed from: the
  metering granularity and unit it declares, its billing mode, every amount recomputed under the
  rounding rule it declares, the completeness of the data behind it, and that consecutive bills
  of a supply point join without gap or overlap (ISO/IEC TR 23613 metering elements and billing
  modes; ISO/IEC 19086-1 service-level metrics for the metering service).

  The billing period below is two local days in Luxembourg (UTC+1 in March): Monday 2 and
  Tuesday 3 March 2026, i.e. 2026-03-01T23:00Z to 2026-03-03T23:00Z, 192 quarter hours.
  Hand computation for the time-of-use tariff, with 0.25 kWh imported and 0.1 kWh exported
  every quarter hour:
    peak (weekdays 08:00-20:00 local): 2 x 48 quarters x 0.25 = 24.000 kWh x 0.30 = 7.20 EUR
    off-peak: 24.000 kWh x 0.18 = 4.32 EUR; standing charge 2 days x 0.50 = 1.00 EUR
    feed-in: 192 x 0.1 = 19.200 kWh x 0.08 = 1.536, credited -1.54 EUR
    subtotal 7.20 + 4.32 + 1.00 - 1.54 = 10.98; VAT 8 % of 12.52 = 1.0016 -> 1.00; total 11.98 EUR.
  Each line is rounded to the cent, half to even, before lines are summed.

  Background:
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    And the retailer offers a time-of-use tariff "TOU-1": peak 0.30 EUR/kWh on weekdays 08:00 to 20:00, off-peak 0.18 EUR/kWh, standing charge 0.50 EUR/day, feed-in 0.08 EUR/kWh, VAT 8 %
    And customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" without consent to an interval curve

  @SC38-ACCURACY
  Scenario: A time-of-use bill recomputes to the cent from the meter data
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill recomputes exactly under its declared rounding rule, to a total of 11.98 EUR

  @SC38-GRANULARITY
  Scenario: The bill declares the granularity the meter data has
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill declares the metered granularity of 15 minutes

  @SC38-UNIT
  Scenario: Quantities are in the unit the bill declares
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill states its energy in the unit it declares

  @SC38-MODE
  Scenario: A time-of-use tariff is billed per tariff period at the period's price
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill declares billing mode "time-of-use" and applies it

  @SC38-MODE
  Scenario Outline: Usage-based and subscription tariffs are billed in their own mode
    Given a prosumer "carol" at grid node "N3" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-3   | load | 9.0          | 230       | M-C1  |
    And the retailer offers <offer>
    And customer "carol" is supplied at "M-C1" on tariff "<tariff>" in retailer domain "retailer-a.example" without consent to an interval curve
    And meter "M-C1" reports import of 0.25 kWh and export of 0.0 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-C1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill declares billing mode "<mode>" and applies it

    Examples:
      | case         | offer                                           | tariff | mode         |
      | flat         | a flat tariff "FLAT-1" at 0.25 EUR/kWh          | FLAT-1 | usage-based  |
      | subscription | a subscription tariff "SUB-1" at 1.10 EUR/day   | SUB-1  | subscription |

  @SC38-COMPLETENESS
  Scenario: The bill states the share of actual and estimated readings
    Given meter "M-A1" reports import of 0.25 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00, the last 12 of them estimated
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill states 192 readings of 192 intervals, 12 of them estimated: 93.75 % actual

  @SC38-COMPLETENESS
  Scenario: No bill is issued on meter data with a missing interval
    Given meter "M-A1" reports import of 0.25 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00 except the interval starting 2026-03-02T12:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill is refused as "conflict"

  @SC38-PERIOD
  Scenario: Consecutive bills join without gap, and an overlapping bill is refused
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    And the market time is 2026-03-04T06:00:00+00:00
    And the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 has been issued
    And the bill of "M-A1" for 2026-03-03T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 has been issued
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-04T00:00:00+01:00 is issued
    Then the bill is refused as "conflict"
    And the bills of "M-A1" follow each other without gap or overlap

  @SC38-AVAILABILITY
  Scenario: The metering service answers every request of a series
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    When the metering service is asked 20 times for the readings of "M-A1"
    Then at least 100 % of the requests were answered

  @SC38-RESPONSE-TIME
  Scenario: The metering service answers within its response time
    Given meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-03T23:00:00+00:00
    When the metering service is asked 10 times for the readings of "M-A1"
    Then 95 % of the answers arrived within 250 ms
