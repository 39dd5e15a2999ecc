@MSG-EMIX-UNITS
Feature: Messages - prices state their currency, units suit the signal
  A price signal carries an EMIX currency unit (ISO 4217 code, no SI scale) of a kind its
  signal name allows; a currency unit describes itself as its own kind; one distribution
  quotes one currency.

  Scenario: Two price events in one distribution, quoted in one currency
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes price event "PRICE-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with ELECTRICITY_PRICE prices 0.21, 0.25 in EUR over 900 s intervals
    And the VTN publishes price event "PRICE-2" for VEN "ven-harness" starting 2026-06-01T12:00:00+00:00 with ELECTRICITY_PRICE prices 0.18 in EUR over 3600 s intervals
    And the VEN requests its events
    Then the VEN was sent price event "PRICE-1" in "EUR" as "currencyPerKWh"
    And every signal's units and currency are consistent

  Scenario: A demand charge is quoted per kW
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes price event "CHARGE-1" for VEN "ven-harness" starting 2026-06-01T17:00:00+00:00 with DEMAND_CHARGE prices 12.5 in EUR over 3600 s intervals
    And the VEN requests its events
    Then every signal's units and currency are consistent
    And the VEN was sent price event "CHARGE-1" in "EUR" as "currencyPerKW"
