@MSG-SCHEMA-VALID
Feature: Messages - every OpenADR 2.0b message is valid against the official schema
  The harness plays a VEN against the platform's VTN (Simple HTTP, pull model) and checks
  every document it sends and receives against oadr_20b.xsd and the schemas it imports.

  Scenario: Registration, events, opt, report registration and polling are all schema-valid
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" queries the VTN's registration
    And the VEN "ven-harness" registers with the VTN
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 2 over 900 s intervals
    And the VEN requests its events
    And the VEN opts in to the events it was sent
    And the VEN opts out of event "DR-1" with a separate opt
    And the VEN registers a usage report for meter "meter-A"
    And the VEN polls the VTN
    Then every message exchanged with the VTN is valid against the OpenADR 2.0b schema
