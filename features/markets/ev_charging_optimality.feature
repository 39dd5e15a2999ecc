Feature: Optimality oracle - electric vehicles assigned to charging stations at least cost
  Seed 004 section 5.2 sends each vehicle to one charging station it can reach on its current
  charge (energy per km times distance), whose maximum power covers the vehicle's maximum
  charge, one vehicle per station, at least total distribution plus travel cost. The harness
  generates instances of growing size (seeded; every vehicle has a reachable, strong-enough
  station, so each is feasible), asks the SUT to assign them, and judges the SUT's own
  assignment: every constraint must hold and its cost must be within 1e-6 relative of the
  optimum the harness computes itself (scipy's linear_sum_assignment). An instance with a
  vehicle that can reach no station must be answered "infeasible", naming that vehicle. The
  rows tagged @city_scale (1,000 x 1,000) run with `harness run --city-scale`.

  @MKT-EV-FEASIBLE
  Scenario Outline: <vehicles> vehicles are each sent to a station they can reach, one per station
    Given a generated EV charging instance of <vehicles> vehicles and <stations> stations, seed <seed>
    When the SUT decides the instance
    Then the SUT answers "optimal"
    And the SUT's answer respects every constraint of the instance

    Examples:
      | vehicles | stations | seed |
      | 10       | 12       | 1    |
      | 100      | 110      | 2    |

    @city_scale
    Examples: city scale
      | vehicles | stations | seed |
      | 1000     | 1000     | 3    |

  @MKT-EV-FEASIBLE
  Scenario: A vehicle that can reach no station makes the instance infeasible, and is named
    Given a generated EV charging instance of 10 vehicles and 12 stations, seed 4, where vehicle "v0" has an empty battery
    When the SUT decides the instance
    Then the SUT finds the instance infeasible, naming vehicle "v0"

  @MKT-EV-OPTIMAL
  Scenario Outline: <vehicles> vehicles are assigned at the harness's optimum cost
    Given a generated EV charging instance of <vehicles> vehicles and <stations> stations, seed <seed>
    When the SUT decides the instance
    Then the cost of the SUT's answer is within 1e-6 relative of the harness's optimum

    Examples:
      | vehicles | stations | seed |
      | 10       | 12       | 1    |
      | 100      | 110      | 2    |

    @city_scale
    Examples: city scale
      | vehicles | stations | seed |
      | 1000     | 1000     | 3    |
