@MSG-MODIFICATION-NUMBER
Feature: Messages - modification numbers grow with every change, and only then
  The VTN raises an event's modificationNumber each time it changes the event, cancelling
  included, and repeats the same number while nothing changed (EI 1.0 event descriptor).

  Scenario: An unchanged event keeps its number; a cancelled one gets a greater number
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 2 over 900 s intervals
    And the VEN requests its events
    And the VEN requests its events
    Then event "DR-1" kept its modification number
    When the VTN cancels DR event "DR-1"
    And the VEN requests its events
    Then event "DR-1" came with a greater modification number, as "cancelled"
    And no event's modification number broke the rules

  Scenario: A modified event gets a greater number
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 2 over 900 s intervals
    And the VEN requests its events
    And the VTN changes the intervals of DR event "DR-1" to SIMPLE levels 2, 2 over 900 s intervals
    And the VEN requests its events
    Then event "DR-1" came with a greater modification number, as "far"
    And no event's modification number broke the rules
