Feature: Billing certification - GDPR minimisation and integrity of bills
  A bill carries what billing needs and no more (GDPR Art. 5(1)(c), Art. 25): the supply point,
  the period, consumption per tariff period, prices, totals and the supplier's contact. The
  customer is named by a pseudonym keyed per retailer domain (Art. 4(5)); the interval load curve
  appears only with the customer's recorded consent; the retention of the bill is stated
  (Art. 5(1)(e)); and the bill is signed so that any change is detected (Art. 5(1)(f), Art. 32).
  Every field of the document is tagged with its ISO/IEC 19944-1 data category and
  identification qualifier (the bill schema refuses an untagged field).

  Background:
    Given the market time is 2026-03-01T08:00:00+00:00
    And a prosumer "alice" at grid node "N1" with resources:
      | resource | kind | max_power_kw | voltage_v | meter |
      | site-1   | load | 9.0          | 230       | M-A1  |
      | site-2   | load | 9.0          | 230       | M-A2  |
    And the retailer offers a time-of-use tariff "TOU-1": peak 0.30 EUR/kWh on weekdays 08:00 to 20:00, off-peak 0.18 EUR/kWh, standing charge 0.50 EUR/day, feed-in 0.08 EUR/kWh, VAT 8 %
    And meter "M-A1" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-02T23:00:00+00:00
    And meter "M-A2" reports import of 0.25 kWh and export of 0.1 kWh every 15 minutes from 2026-03-01T23:00:00+00:00 to 2026-03-02T23:00:00+00:00

  @GDPR-PSEUDONYM
  Scenario: The customer has a keyed pseudonym, different in each retailer domain
    Given customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And customer "alice" is supplied at "M-A2" on tariff "TOU-1" in retailer domain "retailer-b.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    And the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 has been issued
    When the bill of "M-A2" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 is issued
    Then the bill names the customer only by a keyed pseudonym of its retailer domain
    And the two bills name the customer by different pseudonyms

  @GDPR-CURVE-CONSENT
  Scenario: Without consent the bill carries per-period totals only
    Given customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 is issued
    Then the bill carries no interval load curve

  @GDPR-CURVE-CONSENT
  Scenario: With recorded consent the bill carries the interval load curve
    Given customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" with consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 is issued
    Then the bill carries its interval load curve

  @GDPR-RETENTION
  Scenario: The bill states how long it is kept
    Given customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 is issued
    Then the bill states how long it is kept

  @GDPR-SIGNATURE
  Scenario: The bill is signed with the retailer's published key
    Given customer "alice" is supplied at "M-A1" on tariff "TOU-1" in retailer domain "retailer-a.example" without consent to an interval curve
    And the market time is 2026-03-03T06:00:00+00:00
    When the bill of "M-A1" for 2026-03-02T00:00:00+01:00 to 2026-03-03T00:00:00+01:00 is issued
    Then the bill's signature verifies under the SUT's published signer key, and fails with one byte changed
