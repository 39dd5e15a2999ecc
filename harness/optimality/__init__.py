"""The harness as an optimality oracle (issue 7): market instances it generates itself, the
optimum it computes with its own solvers (HiGHS for the trading LP, scipy for the assignment;
never the SUT's code), and feasibility checks of a SUT's answer."""
