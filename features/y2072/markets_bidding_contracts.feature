@Y2072-7.5-02
Feature: Markets domain - electronic bidding and contracts between sellers and buyers
  ITU-T Y.2072 clause 7.5 (second bullet) requires the markets domain to manage electronic
  bidding contracts between a seller and a buyer for registered products. Clause 8.2.1 details
  it: bids carry a price, an expiry, a schedule, a capacity and a quality condition; successful
  results are notified to all bidders; contract events (change of terms, cancellation,
  rebidding) are handled before execution. Every trade is recorded in the trade ledger.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 5.0          | 230       | M-A1  |
    And a consumer "bob" at grid node "N2"
    And a consumer "carol" at grid node "N3"
    And a consumer "dave" at grid node "N2"
    And "alice" has registered generation product "P-1" from "pv-1" with 5.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00

  Scenario: Bids are cleared into contracts by price priority and every bidder hears the result
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-1"
    And "carol" bids for 3.0 kWh of "P-1" at up to 0.15 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-2"
    And "dave" bids for 2.0 kWh of "P-1" at up to 0.10 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-3"
    And the market time is 2026-06-01T09:00:00+00:00
    When the market clears product "P-1"
    Then the contracts are:
      | seller | buyer | energy_kwh | price_eur_per_kwh |
      | alice  | bob   | 3.0        | 0.13              |
      | alice  | carol | 1.0        | 0.13              |
    And every bidder on "P-1" is notified of the result: "alice", "bob", "carol", "dave"
    And the result notified to "dave" shows bid "B-3" was not awarded
    And both parties of each contract are notified of it

  Scenario: Every contract is recorded in the trade ledger and the hash chain verifies
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-1"
    And "carol" bids for 3.0 kWh of "P-1" at up to 0.15 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-2"
    When the market clears product "P-1"
    Then the trade ledger holds one trade entry per contract, with its energy and price
    And the trade ledger's hash chain verifies

  Scenario Outline: A malformed or invalid bid is refused with the field named, and not stored
    When "bob" submits bid "B-9" for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, with <field> set to <value>
    Then the bid is rejected at field "<pointer>"
    And bid "B-9" is not stored

    Examples:
      | case                                  | field          | value                     | pointer          |
      | it expired before it arrived          | expires_at     | 2026-06-01T07:59:00+00:00 | /expires_at      |
      | it names an unknown product           | product_id     | P-404                     | /product_id      |
      | a negative energy amount              | energy_kwh     | -3.0                      | /energy_kwh      |
      | a price in the wrong currency         | price.currency | USD                       | /price/currency  |
      | a price that is not a number          | price.amount   | cheap                     | /price/amount    |
      | no price at all                       | price          | (absent)                  | /price           |
      | delivery outside the product window   | delivery_end   | 2026-06-01T15:00:00+00:00 | /delivery_end    |
      | a schedule that ends before it starts | delivery_end   | 2026-06-01T09:45:00+00:00 | /delivery_end    |

  Scenario: A bid that expires before the market clears is not matched
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 08:30, as bid "B-1"
    And the market time is 2026-06-01T09:00:00+00:00
    When the market clears product "P-1"
    Then no contract is formed
    And bid "B-1" is in state "expired"

  Scenario: Before execution, a contract's terms can change, and it can be cancelled or rebid
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-1"
    And "carol" bids for 1.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-2"
    And the market clears product "P-1"
    When "bob" amends the contract of bid "B-1" to 2.5 kWh
    Then the contract of bid "B-1" is in state "signed" with 2.5 kWh at terms version 2
    And "alice" is notified that the contract of bid "B-1" was amended
    When "carol" cancels the contract of bid "B-2"
    Then the contract of bid "B-2" is in state "cancelled"
    And "alice" is notified that the contract of bid "B-2" was cancelled
    When "bob" asks to rebid the contract of bid "B-1"
    Then the contract of bid "B-1" is in state "rebid"
    And bid "B-1" is in state "open"

  Scenario: Once delivery has started, a contract can no longer be changed
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-1"
    And the market time is 2026-06-01T10:15:00+00:00
    When "bob" cancels the contract of bid "B-1"
    Then the contract change is refused as "conflict"
    And the contract of bid "B-1" is in state "signed"
