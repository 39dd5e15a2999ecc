Feature: Security - the platform's log names no customer in clear
  ITU-T Y.2072 clause 10 recommends that the platform address privacy. A request log is read by
  operators and kept long; it must not tell who did what: participant, meter and bill
  identifiers appear there, if at all, only as pseudonyms. The harness reads the log file the
  platform writes (harness run --sut-log FILE) while a customer is registered, metered, billed,
  and reads her bill.

  @SEC-LOG-PRIVACY @Y2072-10-05
  Scenario: Registering, metering, billing and reading a bill leave no identifier in the log
    Given the platform's request log is read from here on
    And the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    And the retailer offers a flat tariff "FLAT-1" at 0.25 EUR/kWh
    And meter "M-A1" reports import of 0.25 kWh and export of 0.0 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-02T23:00:00+00:00
    And customer "alice" is supplied at "M-A1" on tariff "FLAT-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    And the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 has been issued
    When "alice" asks for the bill of "M-A1"
    Then the platform serves the request
    And the platform's log names none of "alice", "site-1" and "M-A1" in clear, nor the bill of "M-A1"
