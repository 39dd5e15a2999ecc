@HIL-READOUT-INTEGRITY
Feature: Meter under test - IEC 62056-21 data readout integrity
  A mode C readout: request at 300 baud, identification, option select with the baud change,
  then the data message STX ... ! CR LF ETX BCC. The block check character is the XOR of the
  bytes after STX up to and including ETX; energy registers are OBIS lines such as
  1.8.0(001234.567*kWh) (import) and 2.8.0(...) (export).

  Scenario: The data message passes its block check and its energy registers are well formed
    Given the bench is in its safe state
    When the meter's data readout is read
    Then its block check character matches the data block
    And registers "1.8.0" and "2.8.0" are decimal energies in kWh
