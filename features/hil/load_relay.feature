@HIL-RELAY-SWITCH
Feature: Load relay - switching on command, with the current following
  The relay that detaches a load (seed 004 section 10: relays actuated on command) is judged by
  what it does to the circuit: the reference standard measures the load current, which must
  follow the command within the rig's declared latency. The relay's own state report shows the
  coil it drives; a welded or dead contact shows only in the current.

  Scenario: The load relay opens on command and the load current stops
    Given the load relay is closed with the rig's relay test current flowing
    When the load relay is commanded open
    Then the relay reports open
    And the load current follows within the rig's declared latency

  Scenario: The load relay closes on command and the load current flows again
    Given the load relay is open
    When the load relay is commanded closed
    Then the relay reports closed
    And the load current follows within the rig's declared latency
