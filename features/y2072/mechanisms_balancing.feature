Feature: Energy balancing mechanisms - the DR manager's purchase decision and the DR event flow end to end
  ITU-T Y.2072 clause 9.4 describes a DR manager that takes the market's reduction instruction,
  watches and controls the DR resources so consumption stays within the contracted target
  (third bullet), and compares the DR capacity target with its prediction of the maximum DR
  capacity to decide whether to buy energy for a shortfall (fourth bullet). The flow: the market
  issues a demand-reduction event, the aggregator hands it to its customers' sites, the sites
  curtail, their meters show it, and the aggregator reports achieved against contracted.
  The capacity the purchase decision rests on is a prediction, judged against the generated
  load that followed: 5 % noise on a load becomes 10-15 % on its sheddable part (the load above
  its reduced mode), hence the 20 % limit over a three-hour window.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1"
    And a prosumer "carol" at grid node "N1"
    And an aggregator "agg" at grid node "N1"
    And site "S1" of "alice", served by "agg" on line "L1", with utility meter "M-S1" and a base load of 2.0 kW:
      | resource | kind      | rated_kw | meter | reduced_kw |
      | pv-1     | generator | 5.0      | M-PV1 |            |
      | hp-1     | load      | 6.0      | M-HP1 | 2.0        |
    And site "S2" of "carol", served by "agg" on line "L1", with utility meter "M-S2" and a base load of 1.0 kW:
      | resource | kind      | rated_kw | meter | reduced_kw |
      | pv-2     | generator | 3.0      | M-PV2 |            |
      | hp-2     | load      | 4.0      | M-HP2 | 1.0        |

  @Y2072-9.4-03
  Scenario: A market DR event reaches the sites, they curtail, the meters show it and the aggregator reports achieved against contracted
    Given the sites run until 09:00
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When the market sends "agg" a demand-reduction event "E-1" for "G-DR" of 5.0 kW from 11:00 to 12:00
    And the sites run until 12:00
    Then meter "M-S1" shows import of 8.0 kWh from 10:00 to 11:00
    And meter "M-S1" shows import of 4.0 kWh from 11:00 to 12:00
    And meter "M-S2" shows import of 5.0 kWh from 10:00 to 11:00
    And meter "M-S2" shows import of 2.0 kWh from 11:00 to 12:00
    And the aggregator reports 7.0 kW achieved of 5.0 kW contracted for event "E-1"

  @Y2072-9.4-04
  Scenario: A DR target above the group's predicted capacity is covered by buying the shortfall
    Given site "S1" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    And site "S2" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When "agg" weighs a DR target of 8.0 kW for group "G-DR" from 13:00 to 16:00
    Then the aggregator decides to buy the shortfall of its predicted capacity, which is within 20 % weighted absolute error of what "hp-1" and "hp-2" could shed

  @Y2072-9.4-04
  Scenario: A DR target the group can meet needs no purchase
    Given site "S1" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    And site "S2" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    And "agg" has enrolled "hp-1" of site "S1" and "hp-2" of site "S2" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When "agg" weighs a DR target of 3.0 kW for group "G-DR" from 13:00 to 16:00
    Then the aggregator decides to buy nothing
