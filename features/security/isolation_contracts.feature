Feature: Security - a participant reaches only its own bids, contracts and notifications
  ITU-T Y.2072 clause 10 recommends control over which entity may use each service. In the
  market, a bid, the contract it forms and the notifications about it belong to the parties of
  that trade: carol, an authenticated participant who is not a party, can neither read them nor
  act on them in someone else's name.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind      | max_power_kw | voltage_v | meter |
      | pv-1     | generator | 10.0         | 230       | M-A1  |
    And a consumer "bob" at grid node "N2"
    And a consumer "carol" at grid node "N3"
    And "alice" has registered generation product "P-1" from "pv-1" with 10.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T14:00:00+00:00, with settlement rules: tolerance 5 %, incentive 2 %, penalty 0.05 EUR/kWh
    And "alice" offers 30.0 kWh of "P-1" at 0.12 EUR/kWh for 10:00 to 14:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 30.0 kWh of "P-1" at up to 0.20 EUR/kWh for 10:00 to 14:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-1"

  @SEC-ISOLATION-READ @Y2072-10-03
  Scenario: Carol cannot read the contract between alice and bob
    When "carol" asks for the contract of bid "B-1"
    Then the platform refuses the request without disclosing the record

  @SEC-ISOLATION-READ @Y2072-10-03
  Scenario: Bob reads his own contract
    When "bob" asks for the contract of bid "B-1"
    Then the platform serves the request

  @SEC-ISOLATION-READ @Y2072-10-03
  Scenario: Carol cannot read bob's bid
    When "carol" asks for bid "B-1"
    Then the platform refuses the request without disclosing the record

  @SEC-ISOLATION-READ @Y2072-10-03 @Y2072-10-05
  Scenario: Carol cannot read bob's notifications
    When "carol" asks for the notifications of "bob"
    Then the platform refuses the request without disclosing the record

  @SEC-ISOLATION-WRITE @Y2072-10-03
  Scenario: Carol cannot cancel the contract in bob's name
    When "carol" cancels, in the name of "bob", the contract from bid "B-1"
    Then the platform refuses the request as "forbidden"
    And the contract of bid "B-1" is still "signed"
