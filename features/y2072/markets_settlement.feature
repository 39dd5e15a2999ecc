@Y2072-7.5-04
Feature: Markets domain - settlement with incentives and penalties
  ITU-T Y.2072 clause 7.5 (fourth bullet) requires the sale price to be settled with incentives
  and penalties that depend on whether the contract's conditions were met. The conditions are
  stated in the contract; the product below declares them:
    - fulfilled when at least 95 % of the contracted energy was delivered (5 % tolerance);
    - incentive on a fulfilled contract: 2 % of the contract value;
    - penalty on an unfulfilled contract: 0.05 EUR per kWh of shortfall;
    - energy is paid at the contract price, up to the contracted amount.
  Amounts are rounded to the cent, half to even, line by line.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 10.0         | 230       | M-A1  |
    And a consumer "bob" at grid node "N2"
    And "alice" has registered generation product "P-1" from "pv-1" with 10.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00, with settlement rules: tolerance 5 %, incentive 2 %, penalty 0.05 EUR/kWh
    And "alice" offers 30.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 14:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 30.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 14:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-1"

  Scenario Outline: The settled amount follows the contract's incentive and penalty rules
    Given meter "M-A1" reports a total export of <metered> kWh evenly over 15-minute intervals from 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00
    And the market time is 2026-06-01T14:10:00+00:00
    And delivery of the contract of bid "B-1" has been verified
    When the contract of bid "B-1" is settled
    Then the settlement is, in EUR: energy <energy>, incentive <incentive>, penalty <penalty>, total <total>

    Examples:
      | case                                   | metered | energy | incentive | penalty | total |
      | delivered in full: incentive           | 30.0    | 3.90   | 0.08      | 0.00    | 3.98  |
      | over-delivered: only contract is paid  | 33.0    | 3.90   | 0.08      | 0.00    | 3.98  |
      | within tolerance: still an incentive   | 28.8    | 3.74   | 0.08      | 0.00    | 3.82  |
      | short: penalty on the shortfall        | 24.0    | 3.12   | 0.00      | 0.30    | 2.82  |

  Scenario: A contract is not settled before its delivery has been verified
    Given the market time is 2026-06-01T14:10:00+00:00
    When the contract of bid "B-1" is settled
    Then the settlement is refused as "conflict"

  Scenario: The settlement is recorded in the trade ledger after the trade
    Given meter "M-A1" reports a total export of 30.0 kWh evenly over 15-minute intervals from 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00
    And the market time is 2026-06-01T14:10:00+00:00
    And delivery of the contract of bid "B-1" has been verified
    When the contract of bid "B-1" is settled
    Then the trade ledger's last entry is the settlement of the contract of bid "B-1" with total 3.98 EUR
    And the trade ledger's hash chain verifies
