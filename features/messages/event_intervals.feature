@MSG-EVENT-INTERVALS
Feature: Messages - event intervals are contiguous and fill the active period
  An event's signal intervals run back to back from its dtstart (WS-Calendar sequence, no gap,
  no overlap) and add up to its active period (OpenADR 2.0b conformance rule 8).

  Scenario: A three-interval event arrives as one gapless sequence
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 3, 2 over 900, 1800, 900 s intervals
    And the VEN requests its events
    Then every event's intervals run back to back from its start and fill its active period
    And the VEN was sent event "DR-1" with SIMPLE levels 1, 3, 2 over 900, 1800, 900 s intervals

  Scenario: A modified event still arrives as one gapless sequence
    Given the market time is 2026-06-01T08:00:00+00:00
    When the VEN "ven-harness" registers with the VTN
    And the VTN publishes DR event "DR-1" for VEN "ven-harness" starting 2026-06-01T10:00:00+00:00 with SIMPLE levels 1, 2 over 900 s intervals
    And the VEN requests its events
    And the VTN changes the intervals of DR event "DR-1" to SIMPLE levels 2, 3, 1 over 600, 600, 1800 s intervals
    And the VEN requests its events
    Then every event's intervals run back to back from its start and fill its active period
    And the VEN was sent event "DR-1" with SIMPLE levels 2, 3, 1 over 600, 600, 1800 s intervals
