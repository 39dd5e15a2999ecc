Feature: Security - the platform keeps to the security policy it declares
  ITU-T Y.2072 clause 10 recommends that the adequacy of a platform's security requirements be
  assessed and that the platform be shown to comply with the security policy and procedures it
  has set. The platform states its policy in its declared profile (security_policy: the minimum
  TLS version, whether a client certificate is required, how old or how far ahead a signed
  request may be dated, how its request log shows participants). The harness first judges whether that policy is adequate against the
  OpenADR 2.0b profile's baseline (TLS 1.2 or later, X.509 certificates on both ends), then
  opens connections and sends signed requests the policy excludes, and checks that each is
  refused while the allowed ones are served. It needs an https:// SUT and the lab's credentials
  (--credentials DIR); without a declared policy or without them nothing here is passed.

  @Y2072-10-02
  Scenario: The declared policy meets the baseline for an energy-trading platform
    Then the declared policy sets TLS 1.2 or later as the minimum
    And the declared policy requires a client certificate of every caller

  @Y2072-10-02
  Scenario: A participant connecting at the declared minimum TLS version is served
    When "alice" connects offering only the declared minimum TLS version
    Then the platform serves the connection

  @Y2072-10-02
  Scenario: A handshake below the declared minimum TLS version is refused
    When "alice" connects offering only the TLS version below the declared minimum
    Then the platform refuses the handshake
    And the platform serves nothing on the connection

  @Y2072-10-02
  Scenario: A connection without a client certificate is served nothing
    When a caller connects without a client certificate
    Then the platform serves nothing on the connection

  @Y2072-10-02
  Scenario: A client certificate from a CA the platform does not trust is refused
    When "alice" connects with a certificate from a CA the platform does not trust
    Then the platform serves nothing on the connection

  @Y2072-10-02
  Scenario: An expired client certificate of the platform's own CA is refused
    When "alice" connects with an expired certificate of the platform's CA
    Then the platform serves nothing on the connection

  @Y2072-10-02
  Scenario: A signed reading older than the declared freshness window is refused
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    When "alice" sends a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00, signed 60 s longer ago than the declared freshness window
    Then the platform refuses the request
    And meter "M-A1" holds 0 readings

  @Y2072-10-02
  Scenario: A signed reading dated beyond the declared clock skew is refused
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    When "alice" sends a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00, dated 60 s further ahead than the declared clock skew
    Then the platform refuses the request
    And meter "M-A1" holds 0 readings

  @Y2072-10-02
  Scenario: A signed reading within the declared freshness window is served
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
    When "alice" sends a reading of 0.5 kWh imported by meter "M-A1" from 2026-03-01T07:00:00+00:00 to 2026-03-01T07:15:00+00:00, signed half the declared freshness window ago
    Then the platform serves the request
    And meter "M-A1" holds 1 readings

  @Y2072-10-02
  Scenario: The platform's log keeps participants out of clear text as its policy declares
    Given the declared policy keeps participant identifiers out of the platform's log
    And the platform's request log is read from here on
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
