Feature: Distribution domain - power in and out of the distribution lines, line status and automatic control
  ITU-T Y.2072 clause 7.2 asks the distribution domain to measure the power flowing into and out
  of the distribution lines of the managed domain: its total consumption and the generation it
  feeds to the grid (first bullet and its note), and recommends collecting line status from the
  line's monitoring and protection devices and switching the line automatically on trouble
  (second bullet). Line "L1" serves two sites; its feeder meter is what the platform reads.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1"
    And a prosumer "carol" at grid node "N1"
    And an aggregator "agg" at grid node "N1"
    And site "S1" of "alice", served by "agg" on line "L1", with utility meter "M-S1" and a base load of 2.0 kW:
      | resource | kind | rated_kw | meter | reduced_kw |
      | hp-1     | load | 6.0      | M-HP1 | 2.0        |
    And site "S2" of "carol", served by "agg" on line "L1", with utility meter "M-S2" and a base load of 1.0 kW:
      | resource | kind      | rated_kw | meter |
      | pv-2     | generator | 5.0      | M-PV2 |
    And "carol" schedules generator "pv-2" of site "S2" at 4.0 kW from 10:00 to 11:00

  @Y2072-7.2-01
  Scenario: The line's inflow (the domain's consumption) and outflow (its generation fed to the grid) are both measured
    When the sites run until 11:00
    Then line "L1" carried 8.0 kWh in and 3.0 kWh out from 10:00 to 11:00
    And line "L1" carried 9.0 kWh in and 0.0 kWh out from 09:00 to 10:00

  @Y2072-7.2-01
  Scenario: A flow enquiry for a window that ends before it starts is refused
    When the flow on line "L1" is asked for from 11:00 to 10:00
    Then the flow enquiry is rejected at field "/end"

  @Y2072-7.2-02
  Scenario: Trouble reported by the line's protection opens its feeder switch; clearing it closes the switch again
    Given the sites run until 10:00
    When the protection of line "L1" reports "earth-fault"
    Then line "L1" shows condition "earth-fault" with its feeder switch "open"
    When the sites run until 11:00
    Then line "L1" carried 0.0 kWh in and 0.0 kWh out from 10:00 to 11:00
    When the protection of line "L1" reports "normal"
    And the sites run until 12:00
    Then line "L1" shows condition "normal" with its feeder switch "closed"
    And line "L1" carried 9.0 kWh in and 0.0 kWh out from 11:00 to 12:00

  @Y2072-7.2-02
  Scenario: A line condition the platform does not know is refused and the line left as it was
    When the protection of line "L1" reports "sparkles"
    Then the line report is rejected at field "/condition"
    And line "L1" shows condition "normal" with its feeder switch "closed"
