@MKT-TRADE-RECORD
Feature: Trade records of a cleared trading network - every flow a signed trade in the ledger
  Seed 004 (section 9.2) makes one smart contract per non-zero entry of the energy trading
  matrix its optimiser returns: the arc's source is the generator, its target the buyer, and
  the contract holds the amount, the transfer cost and the generation cost, priced (section
  7.2) at amount x transfer cost x generation cost / token price tokens. The harness gives the
  SUT a generated trading network (seed 004 section 5.1), and once the SUT has cleared it,
  every flow of the answer must be a trade in the ledger with that record, signed by the
  platform with its published key, and the ledger's hash chain must still verify. The token
  price is the market's (1 for the reference broker). The @city_scale row runs with
  `harness run --city-scale`, as `make run` does.

  Scenario Outline: Every flow of a cleared <nodes>-node network is a signed trade record in the ledger
    Given a generated trading network of <nodes> nodes with up to 10 arcs per node, seed <seed>, <objective> objective
    When the SUT decides the instance
    Then the SUT answers "optimal"
    And every trade in the ledger carries a trade record signed by the platform, and each signature verifies with the platform's published key
    And every flow of the SUT's answer is a trade in the ledger whose record states its generator, buyer and amount, the arc's transfer cost, the generator's generation cost and the price amount x transfer cost x generation cost / token price
    And the trade ledger's hash chain verifies

    Examples:
      | nodes | seed | objective |
      | 10    | 1    | standard  |
      | 100   | 3    | seed      |

    @city_scale
    Examples: city scale
      | nodes | seed | objective |
      | 1000  | 4    | standard  |
