@HIL-SIGNAL-TO-SETTLEMENT
Feature: Signal to settlement - a DR event opens the load and the metered drop is credited
  The whole chain, with the meter under test in it: the market platform (ITU-T Y.2072 Appendix I:
  the trading server as OpenADR VTN) signals a demand-response event; the site (here the harness,
  acting as its controller) opens the load relay (seed 004 section 10); the reference standard and
  the meter see the load drop; the meter's interval readings go into the platform's repository
  (submit_readings); delivery is verified against the product's baseline and the contract is
  settled (Y.2072 7.5) under the platform's default rules for the product (the reference broker:
  5 % tolerance, incentive 2 % of the contract value). The bill itself is out of scope here (it
  is built elsewhere): the chain ends at the settlement's credit. Market times are stated; each
  15-minute market interval is one metering interval of 900 s on the reference standard's clock.

  Scenario: A DR event opens the load relay and the settlement credits the metered reduction
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "carol" at grid node "N1" whose load "load-1" of 6.0 kW at 230 V is metered by the meter under test
    And a consumer "dso" at grid node "N1"
    And "carol" has registered demand-reduction product "DR-1" from "load-1" with 5.0 kW at 230 V and a baseline of 5.0 kW, available 2026-06-01T12:00:00+00:00 to 2026-06-01T13:00:00+00:00
    And "carol" offers 4.0 kWh of "DR-1" at 0.10 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "S-1"
    And "dso" bids for 4.0 kWh of "DR-1" at up to 0.20 EUR/kWh for 12:00 to 13:00, expiring 09:30, as bid "B-1"
    And the market clears product "DR-1"
    And the platform signals DR event "EV-1" to "carol" from 2026-06-01T12:00:00+00:00 for 60 minutes at level 2
    And the load of "carol" draws 5.0 kW through the closed load relay
    When the market time is 2026-06-01T12:00:00+00:00
    And the site acts on DR event "EV-1" while it is active
    Then the reference standard shows the load current drop to zero within the rig's declared latency
    When the meter under test records 4 intervals of 15 minutes from 2026-06-01T12:00:00+00:00, submitted as import readings of "load-1"
    Then the meter under test shows the drop: it registers under 1 % of the load's energy in the event
    When the market time is 2026-06-01T13:05:00+00:00
    And delivery of the contract of bid "B-1" is verified
    Then the delivery is reported as fulfilled
    When the contract of bid "B-1" is settled
    Then the settlement is, in EUR: energy 0.40, incentive 0.01, penalty 0.00, total 0.41
