@MKT-TRADE-RECORD
Feature: Signed trade records - the smart-contract template of seed 004 as a verifiable record
  Seed 004 (section 9.2) turns each cleared trade into a smart contract from a template holding
  the buyer, the generator, the amount, the transfer cost and the generation cost, and prices
  the trade (section 7.2) at amount x transfer cost x generation cost / token price tokens.
  Here every trade the platform records in its ledger carries that record, signed by the
  platform (Ed25519), and the harness checks each signature with the key the platform
  publishes and recomputes each price. For a market contract the generation cost is the
  seller's offer price and the transfer cost the network charge, so together they make the
  contract price; the market's token price is 1.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 5.0          | 230       | M-A1  |
    And a consumer "bob" at grid node "N2"
    And a consumer "carol" at grid node "N1"
    And "alice" has registered generation product "P-1" from "pv-1" with 5.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00

  Scenario: Every cleared trade is recorded with a signed record whose price follows seed 004
    Given "alice" offers 4.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 3.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-1"
    And "carol" bids for 1.0 kWh of "P-1" at up to 0.15 EUR/kWh for 10:00 to 12:00, expiring 09:30, as bid "B-2"
    When the market clears product "P-1"
    Then every trade in the ledger carries a trade record signed by the platform, and each signature verifies with the platform's published key
    And each trade record states its contract's buyer, generator and amount, its transfer and generation cost, and the price amount x transfer cost x generation cost / token price
