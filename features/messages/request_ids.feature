@MSG-REQUEST-ID-ECHO
Feature: Messages - answers name the request they answer
  Every VTN answer carries the requestID of the VEN's request in its eiResponse, and the
  identifiers the request named (registrationID, optID); report requests refer only to what
  the VEN registered.

  Scenario: Each answer repeats the request's identifiers
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" queries the VTN's registration
    And the VEN "ven-harness" registers with the VTN
    And the VEN "ven-harness" registers with the VTN again
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 2 over 900 s intervals
    And the VEN requests its events
    And the VEN opts in to the events it was sent
    And the VEN opts out of event "DR-1" with a separate opt
    And the VEN cancels its separate opt
    And the VEN registers a usage report for meter "meter-A"
    And the VEN cancels its registration
    Then every answer names the request it answers
