@HIL-SIGNAL-TO-BILL
Feature: Signal to bill - a DR event opens the load, and the customer's bill carries the metered credit
  The whole chain, with the meter under test in it: the market platform (ITU-T Y.2072 Appendix I:
  the trading server as OpenADR VTN) signals a demand-response event; the site (here the harness,
  acting as its controller) opens the load relay (seed 004 section 10); the reference standard and
  the meter see the load drop; the meter's interval readings go into the platform's repository
  (submit_readings); delivery is verified against the product's declared baseline and the contract
  is settled (Y.2072 7.5) under the platform's default rules for the product (the reference broker:
  5 % tolerance, incentive 2 % of the contract value); and the customer's signed bill for the day
  (Y.2072 8.2.1) carries that settlement as its DR credit, beside the energy the meter measured.

  The billing period. The billing service bills whole local days from a local midnight
  (docs/billing.md), and a bill needs a reading for every interval of its period. So the meter
  under test meters the full local day of the tariff's zone (Europe/Luxembourg, UTC+2 in June:
  2026-05-31T22:00Z to 2026-06-01T22:00Z, 96 intervals of 15 minutes): the load runs through the
  closed relay all day except during the event, and every reading is the meter's register
  advance over one interval gated to 900 s of the reference standard's clock, at the rig's
  simulated time scale on the simulated rig (the day takes seconds; there a gate ends a few %
  late, and the bill check reports the standard's total), in real time on a real one. Nothing
  is filled in: a missing interval would refuse the bill. The harness then checks the bill
  itself: its signature under the platform's published signer key, its schema, the energy it
  charges against the readings the meter gave, its lines and total recomputed, and its DR credit
  against the settlement the platform answered. The verdicts come after the whole day, the bill
  first, so a broken link (a welded relay) shows on the bill before the link is named.

  Scenario: A DR event opens the load relay and the customer's signed bill carries the metered credit
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "carol" at grid node "N1" whose load "load-1" of 6.0 kW at 230 V is metered by the meter under test
    And a consumer "dso" at grid node "N1"
    And the retailer offers a flat tariff "FLAT-HIL" at 0.25 EUR/kWh
    And customer "carol" is supplied at the meter under test on tariff "FLAT-HIL" in retailer domain "retailer-c.example" without consent to an interval curve
    And "carol" has registered demand-reduction product "DR-1" from "load-1" with 5.0 kW at 230 V and a baseline of 5.0 kW, available 2026-06-01T12:00:00+00:00 to 2026-06-01T13:00:00+00:00
    And "carol" offers 4.0 kWh of "DR-1" at 0.10 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "S-1"
    And "dso" bids for 4.0 kWh of "DR-1" at up to 0.20 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "B-1"
    And the market clears product "DR-1"
    And the platform signals DR event "EV-1" to "carol" from 2026-06-01T12:00:00+00:00 for 60 minutes at level 2
    And the load of "carol" draws 5.0 kW through the closed load relay
    When the market time is 2026-06-01T12:00:00+00:00
    And the meter under test records 56 intervals of 15 minutes from 2026-05-31T22:00:00+00:00, submitted as import readings of "load-1"
    And the load of "carol" draws 5.0 kW through the closed load relay as the event begins
    And the site acts on DR event "EV-1" while it is active
    And the meter under test records 4 intervals of 15 minutes from 2026-06-01T12:00:00+00:00, submitted as import readings of "load-1"
    And the market time is 2026-06-01T13:00:00+00:00
    And the site restores the load when DR event "EV-1" has ended
    And the meter under test records 36 intervals of 15 minutes from 2026-06-01T13:00:00+00:00, submitted as import readings of "load-1"
    And the market time is 2026-06-01T22:05:00+00:00
    And delivery of the contract of bid "B-1" is verified and the contract is settled
    And the bill of the meter under test for 2026-06-01T00:00:00+02:00 to 2026-06-02T00:00:00+02:00 is issued
    Then the bill is signed under the platform's published signer key and valid against the bill schema
    And the bill charges the energy the meter under test registered in the 96 intervals of the day, and its lines and total recompute
    And the bill credits the settlement of the contract of bid "B-1": 0.41 EUR
    And the reference standard shows the load current drop to zero within the rig's declared latency
    And the meter under test shows the drop: it registers under 1 % of the load's energy in the event
    And the delivery was reported as fulfilled and settled, in EUR: energy 0.40, incentive 0.01, penalty 0.00, total 0.41
    And the load current came back when the event ended
