@HIL-METER-ACCURACY
Feature: Meter under test - error at each test point within its accuracy class
  MID 2014/32/EU Annex V (MI-003) Table 2 and IEC 62053-21 8.1 bound an active-energy meter's error
  by its accuracy class and the current range. The rig file declares the meter's class and
  currents (Imin, Itr, Imax or Ib, Imax) and the test points (current, power factor, energy the
  standard integrates); the limit of each point comes from the class tables
  (bench_rigs/data/accuracy_classes.yaml). The source output gates each point, so the reference
  standard and the meter count the same energy; error = (meter - standard) / standard.

  Scenario: The meter's error at every test point of the rig is within its class limit
    Given the bench is in its safe state
    When every test point of the rig is run
    Then at each test point the meter's error against the reference standard is within its class limit
