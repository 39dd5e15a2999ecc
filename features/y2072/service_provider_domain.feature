Feature: Service provider domain - verified enrolment, resource groups, prediction, aggregated trading, schedules and market events
  ITU-T Y.2072 clause 7.4 asks the service provider to enrol customer resources only after
  verifying that they can take part in DR or DER trading (first bullet), to monitor and control
  groups of resources as one (second), recommends predicting the demand reduction and generation
  a site can offer (third), and asks it to group customers' DR and small generation resources
  and trade for them (fourth), to draw the operation schedule of those generators from the
  market contract and tell the customers (fifth), and to pass the market's demand-reduction and
  generation-control events on to the customers online (sixth).

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1"
    And a prosumer "carol" at grid node "N1"
    And a consumer "bob" at grid node "N2"
    And an aggregator "agg" at grid node "N1"
    And an aggregator "other-agg" at grid node "N1"
    And site "S1" of "alice", served by "agg" on line "L1", with utility meter "M-S1" and a base load of 2.0 kW:
      | resource | kind      | rated_kw | meter | reduced_kw |
      | pv-1     | generator | 5.0      | M-PV1 |            |
      | hp-1     | load      | 6.0      | M-HP1 | 2.0        |
    And site "S2" of "carol", served by "agg" on line "L1", with utility meter "M-S2" and a base load of 1.0 kW:
      | resource | kind      | rated_kw | meter | reduced_kw |
      | pv-2     | generator | 3.0      | M-PV2 |            |
      | hp-2     | load      | 4.0      | M-HP2 | 1.0        |

  @Y2072-7.4-01
  Scenario: A resource is enrolled only once its meter has reported
    When "agg" enrols "hp-1" of site "S1" for "dr"
    Then the enrolment is rejected at field "/resource_id"
    When the sites run until 09:00
    And "agg" enrols "hp-1" of site "S1" for "dr"
    Then the enrolment is accepted as verified

  @Y2072-7.4-01
  Scenario Outline: A resource that cannot take part is not enrolled
    Given the sites run until 09:00
    And the protection of generator "pv-1" at site "S1" reports "fault"
    When "<aggregator>" enrols "<resource>" of site "S1" for "<programme>"
    Then the enrolment is rejected at field "<field>"

    Examples:
      | case                                   | aggregator | resource | programme   | field          |
      | a generator cannot reduce demand       | agg        | pv-1     | dr          | /programmes/0  |
      | a generator whose protection trips     | agg        | pv-1     | der-trading | /resource_id   |
      | a site this provider does not serve    | other-agg  | hp-1     | dr          | /site_id       |
      | an unknown programme                   | agg        | hp-1     | sauna       | /programmes/0  |

  @Y2072-7.4-02
  Scenario: A group of loads at two sites is monitored and controlled as one unit
    Given the sites run until 09:00
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    Then group "G-DR" shows 2 members drawing 10.0 kW with 7.0 kW available to shed
    When "agg" commands group "G-DR" to "reduce" from 09:00 to 10:00
    And the sites run until 10:00
    Then group "G-DR" shows 2 members drawing 3.0 kW with 0.0 kW available to shed
    And meter "M-HP1" shows import of 2.0 kWh from 09:00 to 10:00
    And meter "M-HP2" shows import of 1.0 kWh from 09:00 to 10:00

  @Y2072-7.4-03
  Scenario: The demand reduction and the generation a site can offer are predicted
    Given site "S1" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    When "agg" asks for the capacity forecast of site "S1" for 2026-06-01
    Then the predicted generation is within 15 % weighted absolute error of the generation that followed
    And the predicted demand reduction is within 15 % weighted absolute error of the reduction that was available

  @Y2072-7.4-04
  Scenario: The aggregator sells its customers' pooled generation, and the group delivers it
    Given the sites run until 09:00
    And "agg" has enrolled "pv-1" of site "S1" and "pv-2" of site "S2" for "der-trading"
    And "agg" has grouped its "der-trading" resources as "G-PV"
    And "agg" has registered generation product "P-G" from "G-PV" with 8.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T12:00:00+00:00
    And "agg" offers 4.0 kWh of "P-G" at 0.12 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 4.0 kWh of "P-G" at up to 0.20 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-G"
    And "agg" has drawn the operation schedules that the contract from bid "B-1" calls for
    And the sites run until 11:05
    When delivery of the contract of bid "B-1" is verified
    Then the delivery shows 4.0 kWh delivered of 4.0 kWh contracted
    And the delivery is reported as fulfilled

  @Y2072-7.4-05
  Scenario: The contract sets the generators' operation schedules, and each customer is told theirs
    Given the sites run until 09:00
    And "agg" has enrolled "pv-1" of site "S1" and "pv-2" of site "S2" for "der-trading"
    And "agg" has grouped its "der-trading" resources as "G-PV"
    And "agg" has registered generation product "P-G" from "G-PV" with 8.0 kW at 230 V, available 2026-06-01T10:00:00+00:00 to 2026-06-01T12:00:00+00:00
    And "agg" offers 4.0 kWh of "P-G" at 0.12 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "S-1"
    And "bob" bids for 4.0 kWh of "P-G" at up to 0.20 EUR/kWh for 10:00 to 11:00, expiring 09:30, as bid "B-1"
    And the market clears product "P-G"
    When "agg" draws the operation schedules that the contract from bid "B-1" calls for
    Then "alice" is notified of an operation schedule of 2.5 kW for "pv-1" from 10:00 to 11:00
    And "carol" is notified of an operation schedule of 1.5 kW for "pv-2" from 10:00 to 11:00
    When the sites run until 11:05
    Then meter "M-PV1" shows export of 2.5 kWh from 10:00 to 11:00
    And meter "M-PV2" shows export of 1.5 kWh from 10:00 to 11:00

  @Y2072-7.4-04
  Scenario: Resources no verified enrolment covers cannot be grouped
    When "agg" groups its "der-trading" resources as "G-PV"
    Then the grouping is rejected at field "/programme"

  @Y2072-7.4-06
  Scenario: A demand-reduction event from the market reaches every customer of the group online
    Given the sites run until 09:00
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When the market sends "agg" a demand-reduction event "E-1" for "G-DR" of 3.0 kW from 11:00 to 12:00
    Then "alice" is notified of market event "E-1" for 11:00 to 12:00
    And "carol" is notified of market event "E-1" for 11:00 to 12:00

  @Y2072-7.4-06
  Scenario: A generation-control event from the market reaches every customer of the generator group online
    Given the sites run until 09:00
    And "agg" has enrolled "pv-1" of site "S1" and "pv-2" of site "S2" for "der-trading"
    And "agg" has grouped its "der-trading" resources as "G-PV"
    When the market sends "agg" a generation-control event "E-3" for "G-PV" of 2.0 kW from 13:00 to 14:00
    Then "alice" is notified of market event "E-3" for 13:00 to 14:00
    And "carol" is notified of market event "E-3" for 13:00 to 14:00

  @Y2072-7.4-06
  Scenario: An event for a group the aggregator does not have is refused and reaches no one
    Given the sites run until 09:00
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When the market sends "agg" a demand-reduction event "E-2" for "G-NONE" of 3.0 kW from 11:00 to 12:00
    Then the market event is rejected at field "/group_id"
    And no customer is notified of market event "E-2"
