Feature: Billing certification - demand-response credits against the customer baseline
  A customer who sold a demand reduction is credited on the bill with the settlement of that
  contract, measured against the customer baseline load method the tariff names (ITU-T Y.2072
  8.2.1, billing against the CBL); the credit must recompute from the meter data, and the buyer
  appears on the bill only under a keyed pseudonym (GDPR Art. 5(1)(c)).

  Hand computation: every one of the 5 weekdays before Monday 1 June 2026 imports 5 kWh/h from
  08:00 to 13:00 UTC, so the high-4-of-5 baseline is 5 kWh/h; on the day the adjustment window
  08:00-11:00 imports 6 kWh/h, so the adjusted baseline is 6 kWh/h; the event hour 12:00-13:00
  imports 4 kWh: 2 kWh reduced. The contract price is the offer 0.10 plus 0.01 EUR/kWh transfer
  between grid nodes N1 and N2: 2.0 kWh x 0.11 = 0.22 EUR; incentive 2 % of 0.22 = 0.0044 ->
  0.00 EUR: a credit of 0.22 EUR. The bill covers the local day
  (Luxembourg, UTC+2 in June): 2026-05-31T22:00Z to 2026-06-01T22:00Z, 24 hourly readings.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | load-1   | load | 6.0          | 230       | M-A3  |
    And a consumer "bob" at grid node "N2"
    And the retailer offers a time-of-use tariff "TOU-DR" crediting demand response against the "high-4-of-5" baseline: peak 0.30 EUR/kWh on weekdays 08:00 to 20:00, off-peak 0.18 EUR/kWh
    And customer "alice" is supplied at "M-A3" on tariff "TOU-DR" in retailer domain "retailer-a.example" without consent to an interval curve
    And "alice" has registered demand-reduction product "DR-2" from "load-1" with 4.0 kW at 230 V and the "high-4-of-5" baseline, available 2026-06-01T12:00:00+00:00 to 2026-06-01T13:00:00+00:00
    And meter "M-A3" reports hourly import of 5.0 kWh from 08:00 to 13:00 on each of the 5 weekdays before 2026-06-01
    And "alice" offers 2.0 kWh of "DR-2" at 0.10 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "S-3"
    And "bob" bids for 2.0 kWh of "DR-2" at up to 0.20 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "B-3"
    And the market clears product "DR-2"
    And meter "M-A3" reports import of 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 6.0, 6.0, 6.0, 5.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0 kWh in 60-minute intervals from 2026-05-31T22:00:00+00:00
    And the market time is 2026-06-01T23:00:00+00:00
    And delivery of the contract of bid "B-3" has been verified
    And the contract of bid "B-3" has been settled

  @SC38-DR-CBL
  Scenario: The DR credit on the bill recomputes against the tariff's baseline method
    When the bill of "M-A3" for 2026-06-01T00:00:00+02:00 to 2026-06-02T00:00:00+02:00 is issued
    Then the bill credits 0.22 EUR of demand response, recomputed against the "high-4-of-5" baseline

  @GDPR-COUNTERPARTY
  Scenario: The buyer of the demand reduction appears on the bill only as a pseudonym
    When the bill of "M-A3" for 2026-06-01T00:00:00+02:00 to 2026-06-02T00:00:00+02:00 is issued
    Then the bill names its DR counterparty only by a keyed pseudonym
