Feature: Meter under test - starting current and no-load condition
  IEC 62053-21 8.3.3: at the declared starting current the meter starts and keeps registering.
  IEC 62053-21 8.3.2: with 115 % of the reference voltage and no current, the meter does not
  register more than one step. Durations are the rig's, measured on the reference standard's own
  integration clock.

  @HIL-METER-STARTING
  Scenario: At its declared starting current the meter registers energy
    Given the bench is in its safe state
    When the meter runs at its declared starting current for the rig's starting duration
    Then the meter's register advances by at least one step

  @HIL-METER-CREEP
  Scenario: With voltage applied and no current the meter does not creep
    Given the bench is in its safe state
    When the meter runs with no load at the rig's creep voltage for the rig's creep duration
    Then the meter's register advances by no more than one step
