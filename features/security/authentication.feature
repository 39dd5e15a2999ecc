Feature: Security - every caller proves who it is before the platform serves it
  ITU-T Y.2072 clause 10 recommends that any user, process or device is authenticated before it
  reaches a platform resource. The OpenADR 2.0b profile does it with TLS and X.509 client
  certificates on both ends. Here a caller that presents no credentials asks for public and
  private records and tries to store meter readings: every request is refused as
  unauthenticated and nothing is stored, while an authenticated participant is served.

  Background:
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |

  @SEC-AUTHN @Y2072-10-01
  Scenario: Without credentials even the public product list is refused
    When a caller without credentials asks for the product list
    Then the platform refuses the request as "unauthenticated"

  @SEC-AUTHN @Y2072-10-01
  Scenario: Without credentials a participant's meter readings are refused
    When a caller without credentials asks for the readings of meter "M-A1"
    Then the platform refuses the request as "unauthenticated"

  @SEC-AUTHN @Y2072-10-01
  Scenario: Without credentials no meter reading is stored
    When a caller without credentials submits a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00
    Then the platform refuses the request as "unauthenticated"
    And meter "M-A1" holds 0 readings

  @SEC-AUTHN @Y2072-10-01
  Scenario: An authenticated participant is served
    When "alice" asks for the product list
    Then the platform serves the request
