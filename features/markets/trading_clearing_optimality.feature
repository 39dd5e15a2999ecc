Feature: Optimality oracle - a trading network cleared feasibly and at least cost
  Seed 004 section 5.1 clears energy between nodes (capacity, demand, generation cost) over arcs
  (transfer cost, optional capacity) at least total cost; ITU-T Y.2072 8.2.1 gives the platform
  the bidding and contract management this serves. The harness generates networks of growing
  size (seeded, feasible by construction: a ring of unbounded arcs reaches every node), asks
  the SUT to clear each one, and judges the answer on the SUT's own flows: every balance and
  capacity must hold, and their cost must be within 1e-6 relative of the optimum the harness
  computes with its own solver (HiGHS on the whole LP). The standard objective is generation
  cost plus transfer cost; the seed objective bills each kWh sent at transfer cost times the
  sender's generation cost. The rows tagged @city_scale (1,000 and 10,000 nodes) run with
  `harness run --city-scale`, as `make run` does.

  @MKT-TRADE-FEASIBLE
  Scenario Outline: A generated network of <nodes> nodes is cleared within every balance and capacity
    Given a generated trading network of <nodes> nodes with up to 10 arcs per node, seed <seed>, <objective> objective
    When the SUT decides the instance
    Then the SUT answers "optimal"
    And the SUT's answer respects every constraint of the instance

    Examples:
      | nodes | seed | objective |
      | 10    | 1    | standard  |
      | 100   | 2    | standard  |
      | 100   | 3    | seed      |

    @city_scale
    Examples: city scale
      | nodes | seed | objective |
      | 1000  | 4    | standard  |
      | 10000 | 5    | standard  |

  @MKT-TRADE-OPTIMAL
  Scenario Outline: A generated network of <nodes> nodes is cleared at the harness's optimum
    Given a generated trading network of <nodes> nodes with up to 10 arcs per node, seed <seed>, <objective> objective
    When the SUT decides the instance
    Then the cost of the SUT's answer is within 1e-6 relative of the harness's optimum

    Examples:
      | nodes | seed | objective |
      | 10    | 1    | standard  |
      | 100   | 2    | standard  |
      | 100   | 3    | seed      |

    @city_scale
    Examples: city scale
      | nodes | seed | objective |
      | 1000  | 4    | standard  |
      | 10000 | 5    | standard  |
