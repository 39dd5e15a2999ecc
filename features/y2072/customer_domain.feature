Feature: Customer domain - generators, storage, heavy loads, DR events and capacity at a prosumer site
  ITU-T Y.2072 clause 7.1 asks the customer domain to run its generator to the customer's
  production schedule while watching its safety state (first bullet), to run storage to its
  charge/discharge schedule (second), to switch heavy loads' operation mode to cut the site's
  peak (third), to analyse and predict consumption (fourth, recommended), to meet the reduction
  a DR event asks for with all the site's resources (fifth), and to measure what each generator
  and storage unit can produce (sixth). The platform runs the site on the test clock; every
  figure below follows from the site's table (15-minute metering intervals, energy in kWh).

  Background:
    Given the market time is 2026-06-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1"
    And an aggregator "agg" at grid node "N1"
    And site "S1" of "alice", served by "agg" on line "L1", with utility meter "M-S1" and a base load of 2.0 kW:
      | resource | kind      | rated_kw | meter | capacity_kwh | soc_kwh | reduced_kw |
      | pv-1     | generator | 5.0      | M-PV  |              |         |            |
      | bat-1    | storage   | 3.0      | M-B   | 5.0          | 1.0     |            |
      | hp-1     | load      | 6.0      | M-HP  |              |         | 2.0        |

  @Y2072-7.1-01
  Scenario: The generator runs to the production schedule the customer asked for
    Given "alice" schedules generator "pv-1" of site "S1" at 3.0 kW from 10:00 to 11:00
    When the sites run until 12:00
    Then meter "M-PV" shows export of 0.0 kWh from 09:00 to 10:00
    And meter "M-PV" shows export of 3.0 kWh from 10:00 to 11:00
    And meter "M-PV" shows export of 0.0 kWh from 11:00 to 12:00

  @Y2072-7.1-01
  Scenario: A generator whose protection reports a fault is stopped, and its safety state is shown
    Given "alice" schedules generator "pv-1" of site "S1" at 4.0 kW from 10:00 to 12:00
    And the sites run until 11:00
    When the protection of generator "pv-1" at site "S1" reports "fault"
    And the sites run until 12:00
    Then generator "pv-1" of site "S1" shows safety state "fault"
    And meter "M-PV" shows export of 4.0 kWh from 10:00 to 11:00
    And meter "M-PV" shows export of 0.0 kWh from 11:00 to 12:00

  @Y2072-7.1-01
  Scenario: A schedule beyond the generator's rating is refused and the held schedule kept
    Given "alice" schedules generator "pv-1" of site "S1" at 3.0 kW from 10:00 to 11:00
    When "alice" asks generator "pv-1" of site "S1" for 7.5 kW from 10:00 to 11:00
    Then the schedule request is rejected at field "/slots/0/power_kw"
    When the sites run until 11:00
    Then meter "M-PV" shows export of 3.0 kWh from 10:00 to 11:00

  @Y2072-7.1-02
  Scenario: Storage charges and discharges to its schedule, within its state of charge
    Given "alice" schedules storage "bat-1" of site "S1" to charge at 2.0 kW from 10:00 to 11:00
    And "alice" schedules storage "bat-1" of site "S1" to discharge at 3.0 kW from 11:00 to 13:00
    When the sites run until 11:00
    Then storage "bat-1" of site "S1" holds 3.0 kWh and is "charging"
    When the sites run until 13:00
    Then storage "bat-1" of site "S1" holds 0.0 kWh and is "idle"
    And meter "M-B" shows import of 2.0 kWh from 10:00 to 11:00
    And meter "M-B" shows export of 3.0 kWh from 11:00 to 13:00

  @Y2072-7.1-03
  Scenario: A heavy load is switched to its reduced mode to keep the site under its peak limit
    Given site "S2" of "alice", served by "agg" on line "L1", with utility meter "M-S2", a base load of 3.0 kW and a peak limit of 8.0 kW:
      | resource | kind | rated_kw | meter | reduced_kw |
      | hp-2     | load | 6.0      | M-HP2 | 2.0        |
    When the sites run until 09:00
    Then load "hp-2" of site "S2" is in mode "reduced"
    And meter "M-S2" never shows more than 8.0 kW of import from 08:00 to 09:00
    And meter "M-HP2" shows import of 2.0 kWh from 08:00 to 09:00

  @Y2072-7.1-03
  Scenario: A site under its peak limit keeps its heavy loads in normal mode
    Given site "S2" of "alice", served by "agg" on line "L1", with utility meter "M-S2", a base load of 1.0 kW and a peak limit of 8.0 kW:
      | resource | kind | rated_kw | meter | reduced_kw |
      | hp-2     | load | 6.0      | M-HP2 | 2.0        |
    When the sites run until 09:00
    Then load "hp-2" of site "S2" is in mode "normal"
    And meter "M-HP2" shows import of 6.0 kWh from 08:00 to 09:00

  @Y2072-7.1-04
  Scenario: Consumption is predicted for the site and for each heavy load from history and weather
    Given site "S3" of "alice", served by "agg" on line "L1", with utility meter "M-S3" and a base load of 1.0 kW:
      | resource | kind | rated_kw | meter | reduced_kw |
      | ac-3     | load | 8.0      | M-AC3 | 1.0        |
    And site "S3" has 28 days of hourly metered history and weather before 2026-06-01, and a heat wave forecast for that day
    When "alice" asks for the consumption forecast of site "S3" for 2026-06-01
    Then the site's forecast is within 10 % mean absolute percentage error of the consumption that followed
    And the forecast of load "ac-3" is within 10 % mean absolute percentage error of the consumption that followed
    And the forecast states its error on held-out days

  @Y2072-7.1-05
  Scenario: The site meets a DR event's reduction with its heavy load and its storage together
    Given the sites run until 09:00
    And "agg" has enrolled "hp-1" and "bat-1" of site "S1" for "dr"
    And "agg" has grouped its "dr" resources as "G-DR"
    When the market sends "agg" a demand-reduction event "E-1" for "G-DR" of 5.0 kW from 11:00 to 12:00
    And the sites run until 12:00
    Then meter "M-S1" shows import of 8.0 kWh from 10:00 to 11:00
    And meter "M-S1" shows import of 3.0 kWh from 11:00 to 12:00

  @Y2072-7.1-06
  Scenario: The generation capacity of each generator and storage unit is measured
    Given site "S4" of "alice", served by "agg" on line "L1", with utility meter "M-S4" and a base load of 1.0 kW:
      | resource | kind      | rated_kw | meter | capacity_kwh | soc_kwh |
      | pv-4     | generator | 4.0      | M-PV4 |              |         |
      | bat-4    | storage   | 3.0      | M-B4  | 5.0          | 0.25    |
    When the sites run until 09:00
    Then generator "pv-1" of site "S1" shows a capacity of 5.0 kW
    And storage "bat-1" of site "S1" shows a capacity of 3.0 kW
    And storage "bat-4" of site "S4" shows a capacity of 1.0 kW
    When the protection of generator "pv-4" at site "S4" reports "fault"
    Then generator "pv-4" of site "S4" shows a capacity of 0.0 kW
    And generator "pv-1" of site "S1" shows a capacity of 5.0 kW

  @Y2072-7.1-06
  Scenario: A site with a resource of unknown kind is refused whole
    When "alice" installs site "S9" on line "L1" with a resource "w-9" of kind "windmill"
    Then the site installation is rejected at field "/resources/1/kind"
    And site "S9" is not installed
