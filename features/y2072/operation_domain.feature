Feature: Operation domain - periodic metering, contracted power quality, data on request
  ITU-T Y.2072 clause 7.3 asks the operation domain to collect and store energy measurement
  data periodically (first bullet), recommends monitoring and controlling power quality against
  the contract's terms (second), and asks it to give measurement data and line status to the
  customer and the service provider when they request them (third). Meters are collected every
  15 minutes; site "S1" contracts 230 V within 5 %, that is 218.5 V to 241.5 V.

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1"
    And a prosumer "mallory" at grid node "N2"
    And an aggregator "agg" at grid node "N1"
    And site "S1" of "alice", served by "agg" on line "L1", with utility meter "M-S1", a base load of 2.0 kW and a contracted voltage of 230 V within 5 %:
      | resource | kind      | rated_kw | meter |
      | pv-1     | generator | 5.0      | M-PV  |
    And "alice" schedules generator "pv-1" of site "S1" at 4.0 kW from 08:00 to 10:00

  @Y2072-7.3-01
  Scenario: Every meter of the site is collected at the end of each 15-minute interval and stored
    When the sites run until 09:00
    Then site "S1" had its meters collected at 08:15, 08:30, 08:45 and 09:00
    And meter "M-S1" holds 4 export readings of 15 minutes from 08:00 to 09:00
    And meter "M-PV" holds 4 export readings of 15 minutes from 08:00 to 09:00

  @Y2072-7.3-01
  Scenario: A batch with a reading whose interval runs backwards is refused whole; the stored data is kept
    Given the sites run until 09:00
    When meter "M-S1" sends an import reading of 0.5 kWh from 09:00 to 09:15 and one from 09:30 to 09:15
    Then the meter data is rejected at field "/readings/1/interval_end"
    And meter "M-S1" holds 4 export readings of 15 minutes from 08:00 to 09:00
    And meter "M-S1" holds 0 import readings of 15 minutes from 09:00 to 10:00

  @Y2072-7.3-02
  Scenario: A voltage above the contracted band is flagged and the site's generation held back
    When the sites run until 09:00
    And the site's voltage monitor reports 245.0 V at site "S1"
    And the sites run until 10:00
    Then site "S1" shows power quality "over-voltage" against a band of 218.5 V to 241.5 V
    And meter "M-PV" shows export of 4.0 kWh from 08:00 to 09:00
    And meter "M-PV" shows export of 2.0 kWh from 09:00 to 10:00

  @Y2072-7.3-02
  Scenario: A voltage within the contracted band needs no control
    When the site's voltage monitor reports 240.0 V at site "S1"
    And the sites run until 10:00
    Then site "S1" shows power quality "normal" against a band of 218.5 V to 241.5 V
    And meter "M-PV" shows export of 8.0 kWh from 08:00 to 10:00

  @Y2072-7.3-03
  Scenario Outline: The customer and the service provider get the measurement data and line status on request
    Given the sites run until 09:00
    When "<requester>" requests the measurement data of site "S1" from 08:00 to 09:00
    Then the answer holds export readings of meter "M-PV" totalling 4.0 kWh
    And the answer shows line "L1" with condition "normal"

    Examples:
      | case                 | requester |
      | the customer         | alice     |
      | the service provider | agg       |

  @Y2072-7.3-03
  Scenario: Someone else's request for the site's data is refused
    Given the sites run until 09:00
    When "mallory" requests the measurement data of site "S1" from 08:00 to 09:00
    Then the data request is rejected at field "/requester_id"
