@Y2072-7.5-03
Feature: Markets domain - delivery verified against metered energy
  ITU-T Y.2072 clause 7.5 (third bullet) requires that, from energy measurement data, the
  platform checks whether a traded product generated, or reduced demand by, the contracted
  amount; clause 9.4 adds that the actual amount must fall within an acceptable limit of the
  contracted one. Here each product declares that limit as a tolerance in percent.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 5.0          | 230       | M-A1  |
      | load-1   | load      | 6.0          | 230       | M-A3  |
    And a consumer "bob" at grid node "N2"
    And "alice" has registered generation product "P-1" from "pv-1" with 5.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00
    And "alice" offers 3.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-1"

  Scenario Outline: Metered export is compared with the contracted energy within the 5 % tolerance
    Given meter "M-A1" reports export of <readings> kWh in 15-minute intervals from 2026-06-01T10:00:00+00:00
    And the market time is 2026-06-01T11:05:00+00:00
    When delivery of the contract of bid "B-1" is verified
    Then the delivery shows <delivered> kWh delivered of 3.0 kWh contracted
    And the delivery is reported as <verdict>

    Examples:
      | case                       | readings               | delivered | verdict       |
      | exactly as contracted      | 0.75, 0.75, 0.75, 0.75 | 3.0       | fulfilled     |
      | short, but within 5 %      | 0.75, 0.75, 0.75, 0.60 | 2.85      | fulfilled     |
      | short beyond the tolerance | 0.75, 0.75, 0.60, 0.60 | 2.7       | not fulfilled |
      | nothing delivered          | 0.0, 0.0, 0.0, 0.0     | 0.0       | not fulfilled |

  Scenario: Delivery is not judged on incomplete meter data
    Given meter "M-A1" reports export of 0.75, 0.75, 0.75 kWh in 15-minute intervals from 2026-06-01T10:00:00+00:00
    And the market time is 2026-06-01T11:05:00+00:00
    When delivery of the contract of bid "B-1" is verified
    Then the delivery check is refused as "conflict"

  Scenario: Delivery is not judged before the delivery window has closed
    Given meter "M-A1" reports export of 0.75, 0.75 kWh in 15-minute intervals from 2026-06-01T10:00:00+00:00
    And the market time is 2026-06-01T10:40:00+00:00
    When delivery of the contract of bid "B-1" is verified
    Then the delivery check is refused as "conflict"

  Scenario: A demand-reduction product is measured as the drop below its declared baseline
    Given "alice" has registered demand-reduction product "DR-1" from "load-1" with 4.0 kW at 230 V and a baseline of 5.0 kW, available 2026-06-01T12:00:00+00:00 to 2026-06-01T13:00:00+00:00
    And "alice" offers 2.0 kWh of "DR-1" at 0.10 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "S-2"
    And "bob" bids for 2.0 kWh of "DR-1" at up to 0.20 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "B-2"
    And the market clears product "DR-1"
    And meter "M-A3" reports import of 0.75, 0.75, 0.75, 0.75 kWh in 15-minute intervals from 2026-06-01T12:00:00+00:00
    And the market time is 2026-06-01T13:05:00+00:00
    When delivery of the contract of bid "B-2" is verified
    Then the delivery shows 2.0 kWh delivered of 2.0 kWh contracted
    And the delivery is reported as fulfilled

  Scenario: A demand-reduction product is measured against its customer baseline, adjusted on the day
    # high 4 of 5 weekdays: every history day imports 5 kWh/h, so the unadjusted baseline is 5 kWh/h.
    # On the event day the 3 hours ending 1 hour before the event (08:00-11:00) import 6 kWh/h,
    # 1 kWh/h above the baseline, so the adjusted baseline is 6 kWh/h; the site imports 4 kWh
    # in the event hour: 2 kWh reduced.
    Given "alice" has registered demand-reduction product "DR-2" from "load-1" with 4.0 kW at 230 V and the "high-4-of-5" baseline, available 2026-06-01T12:00:00+00:00 to 2026-06-01T13:00:00+00:00
    And meter "M-A3" reports hourly import of 5.0 kWh from 08:00 to 13:00 on each of the 5 weekdays before 2026-06-01
    And "alice" offers 2.0 kWh of "DR-2" at 0.10 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "S-3"
    And "bob" bids for 2.0 kWh of "DR-2" at up to 0.20 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "B-3"
    And the market clears product "DR-2"
    And meter "M-A3" reports import of 6.0, 6.0, 6.0 kWh in 60-minute intervals from 2026-06-01T08:00:00+00:00
    And meter "M-A3" reports import of 4.0 kWh in 60-minute intervals from 2026-06-01T12:00:00+00:00
    And the market time is 2026-06-01T13:05:00+00:00
    When delivery of the contract of bid "B-3" is verified
    Then the delivery shows 2.0 kWh delivered of 2.0 kWh contracted
    And the delivery is reported as fulfilled
