Feature: Security - a participant's signed changes can be neither altered nor replayed
  ITU-T Y.2072 clause 10 recommends cryptographic mechanisms that protect the integrity of
  platform data. A participant signs each change it sends with the key of its certificate,
  over the request and a one-time nonce (README, "Signed requests"). A request whose body was
  changed after signing no longer matches its signature; a signed request captured and sent
  again carries a nonce already used. The platform refuses both, and stores nothing from them.

  Background:
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |

  @SEC-SIGNED-INTEGRITY @Y2072-10-04
  Scenario: Alice's signed reading is accepted
    When "alice" submits a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00
    Then the platform serves the request
    And meter "M-A1" holds 1 readings

  @SEC-SIGNED-INTEGRITY @Y2072-10-04
  Scenario: A reading altered after it was signed is refused
    When "alice" submits a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00, its body altered after signing
    Then the platform refuses the request
    And meter "M-A1" holds 0 readings

  @SEC-REPLAY @Y2072-10-04
  Scenario: A signed reading received a second time is refused as a replay
    Given "alice" has submitted a signed reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00
    When the same signed request of "alice" is received again
    Then the platform refuses the request
    And meter "M-A1" holds 1 readings
