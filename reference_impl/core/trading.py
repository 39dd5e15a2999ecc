"""Energy-trading linear program (seed 004, Petrović & Kocić, §5.1 and §7.2).

What this module owns
---------------------
The clearing model of the reference broker: given a network of nodes (each
with a production capacity, a demand and a generation cost) and directed arcs
(each with a transfer cost and an optional capacity), decide how much energy
moves along every arc so that each node's demand is covered at least cost.
It also owns the per-trade token price of seed 004 §7.2 (``trade_price``).

Two objectives, one feasible set
--------------------------------
``Objective.SEED`` reproduces the seed's model literally (seed 004 §5.1): flow
variables ``x[i,j] >= 0`` only, a node balance ``c[i] + inflow - outflow >=
d[i]``, and the objective ``sum x[i,j] * tc[i,j] * gc[i]``.  (The seed prints
the balance with the sign of the sum reversed; we read it as "what the node
has, plus what it receives, minus what it sends, covers its demand", which is
what its prose says.)  That objective multiplies two prices, so its unit is
money squared per energy; it charges the *sender's* generation cost on every
hop, so a relaying node that produces nothing is still billed its own
generation cost; and energy produced and consumed locally costs nothing.
It is kept so the harness can check an implementation against the seed.

``Objective.STANDARD`` is the textbook form: a generation variable ``0 <= g[i]
<= c[i]``, balance ``g[i] + inflow - outflow >= d[i]`` and objective ``sum
gc[i] * g[i] + sum tc[i,j] * x[i,j]`` (unit: money).  Both are minimum-cost
flow problems (the seed form puts cost ``tc*gc[source]`` on each arc and gives
the node's capacity away free), so network simplex is a valid oracle for both.

Rules
-----
* SANS-IO: no sockets, files, databases, clocks, randomness, environment or
  subprocesses here.  The model is built with PuLP and solved in-process by
  HiGHS through ``highspy`` (``pulp.HiGHS``), which writes no temp files;
  ``solver="highs"`` uses its interior-point method with crossover (much
  faster than its default dual simplex on dense networks), and
  ``solver="highs-simplex"`` keeps HiGHS's default.  ``solver="cbc"``
  (``pulp.PULP_CBC_CMD``) is for comparison only: it writes temporary files
  and runs a subprocess, and the broker never uses it.
* Models are built from lists of ``(variable, coefficient)`` pairs turned
  into one ``pulp.LpAffineExpression`` per row/objective (``+=`` loops are
  about four times slower); arc incidence is computed once per model.
* Bad input raises ``TradingModelError`` naming the node or arc and the field;
  an infeasible network is a result (``status == "infeasible"``), not an error.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import pulp

__all__ = ["Arc", "Node", "Objective", "TradingModel", "TradingModelError",
           "TradingNetwork", "TradingPlan", "build_model", "solve_model",
           "solve_trading", "trade_price"]

_FLOW_EPS = 1e-9  # flows/generation at or below this are reported as zero
_SOLVERS = ("highs", "highs-simplex", "cbc")


class TradingModelError(ValueError):
    """Invalid trading input; the message names the node/arc and the field."""


def _check_amount(owner: str, name: str, value: object) -> None:
    """Raise unless ``value`` is a finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TradingModelError(f"{owner}: {name} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise TradingModelError(f"{owner}: {name} must be finite, got {value!r}")
    if value < 0:
        raise TradingModelError(f"{owner}: {name} must be >= 0, got {float(value)!r}")


@dataclass(frozen=True, kw_only=True)
class Node:
    """A producer/consumer: capacity c[i], demand d[i], generation cost gc[i]."""

    node_id: str
    capacity_kwh: float
    demand_kwh: float
    generation_cost_per_kwh: float

    def __post_init__(self) -> None:
        if not isinstance(self.node_id, str) or not self.node_id:
            raise TradingModelError(
                f"node {self.node_id!r}: node_id must be a non-empty string")
        owner = f"node {self.node_id!r}"
        for name in ("capacity_kwh", "demand_kwh", "generation_cost_per_kwh"):
            _check_amount(owner, name, getattr(self, name))


@dataclass(frozen=True, kw_only=True)
class Arc:
    """A directed trading link with transfer cost tc[i,j] and optional capacity."""

    source: str
    target: str
    transfer_cost_per_kwh: float
    capacity_kwh: float | None = None  # None = unbounded

    def __post_init__(self) -> None:
        owner = f"arc {self.source!r}->{self.target!r}"
        for name in ("source", "target"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise TradingModelError(f"{owner}: {name} must be a non-empty string")
        if self.source == self.target:
            raise TradingModelError(f"{owner}: target must differ from source")
        _check_amount(owner, "transfer_cost_per_kwh", self.transfer_cost_per_kwh)
        if self.capacity_kwh is not None:
            _check_amount(owner, "capacity_kwh", self.capacity_kwh)


@dataclass(frozen=True, kw_only=True)
class TradingNetwork:
    """Nodes and arcs; ids unique, arc endpoints known, one arc per ordered pair."""

    nodes: tuple[Node, ...]
    arcs: tuple[Arc, ...]

    def __post_init__(self) -> None:
        # Accept any iterable but store tuples so the network stays immutable.
        object.__setattr__(self, "nodes", tuple(self.nodes))
        object.__setattr__(self, "arcs", tuple(self.arcs))
        ids: set[str] = set()
        for node in self.nodes:
            if not isinstance(node, Node):
                raise TradingModelError(f"nodes: expected Node, got {node!r}")
            if node.node_id in ids:
                raise TradingModelError(f"node {node.node_id!r}: node_id is duplicated")
            ids.add(node.node_id)
        pairs: set[tuple[str, str]] = set()
        for arc in self.arcs:
            if not isinstance(arc, Arc):
                raise TradingModelError(f"arcs: expected Arc, got {arc!r}")
            owner = f"arc {arc.source!r}->{arc.target!r}"
            for name in ("source", "target"):
                if getattr(arc, name) not in ids:
                    raise TradingModelError(
                        f"{owner}: {name} {getattr(arc, name)!r} is not a known node")
            pair = (arc.source, arc.target)
            if pair in pairs:
                raise TradingModelError(f"{owner}: duplicate arc for this (source, target)")
            pairs.add(pair)


class Objective(str, enum.Enum):
    """Which cost the LP minimises (see the module docstring)."""

    SEED = "seed"          # seed 004 §5.1, eq. (6): sum x[i,j] * tc[i,j] * gc[i]
    STANDARD = "standard"  # sum gc[i] * g[i] + sum tc[i,j] * x[i,j]


@dataclass(frozen=True)
class TradingPlan:
    """Result of one solve.

    ``status`` is "optimal", "infeasible", "unbounded" or "error";
    ``solver_status`` keeps PuLP's own word (e.g. "Not Solved").  ``flows``
    holds only flows > 1e-9.  ``generation`` has one entry per node: for
    STANDARD it is g[i]; for SEED (which has no generation variable) it is the
    node's own energy put to use, ``max(0, d[i] - inflow + outflow)``.  Both
    are empty, and ``objective_value`` is None, unless status is "optimal".
    """

    status: str
    objective: Objective
    objective_value: float | None
    flows: dict[tuple[str, str], float]
    generation: dict[str, float]
    solver_status: str = ""


@dataclass
class TradingModel:
    """A built (not yet solved) LP plus the maps needed to read a solution."""

    network: TradingNetwork
    objective: Objective
    problem: pulp.LpProblem
    flow_vars: list[pulp.LpVariable]        # aligned with network.arcs
    generation_vars: list[pulp.LpVariable]  # aligned with network.nodes; [] for SEED
    in_arcs: list[list[int]] = field(repr=False)   # arc indices entering node k
    out_arcs: list[list[int]] = field(repr=False)  # arc indices leaving node k


def build_model(network: TradingNetwork,
                objective: Objective = Objective.STANDARD) -> TradingModel:
    """Build the trading LP of seed 004 §5.1 for ``network``.

    Args:
        network: validated nodes and arcs.
        objective: ``Objective.SEED`` or ``Objective.STANDARD`` (or their values).

    Returns:
        A ``TradingModel`` holding the ``pulp.LpProblem`` and variable maps,
        so callers may time building and solving separately.

    Raises:
        TradingModelError: if ``network`` is not a ``TradingNetwork`` or the
            objective is unknown.
    """
    if not isinstance(network, TradingNetwork):
        raise TradingModelError(f"network: expected TradingNetwork, got {network!r}")
    try:
        objective = Objective(objective)
    except ValueError:
        raise TradingModelError(f"objective: unknown objective {objective!r}") from None
    nodes, arcs = network.nodes, network.arcs
    index = {node.node_id: k for k, node in enumerate(nodes)}
    in_arcs: list[list[int]] = [[] for _ in nodes]
    out_arcs: list[list[int]] = [[] for _ in nodes]
    for a, arc in enumerate(arcs):
        out_arcs[index[arc.source]].append(a)
        in_arcs[index[arc.target]].append(a)

    prob = pulp.LpProblem(f"trading_{objective.value}", pulp.LpMinimize)
    # Variable names are positional so arbitrary node ids never clash or need escaping.
    flow_vars = [prob.add_variable(f"x{a}", lowBound=0, upBound=arc.capacity_kwh)
                 for a, arc in enumerate(arcs)]
    gen_vars: list[pulp.LpVariable] = []
    if objective is Objective.SEED:
        # seed 004 §5.1 eq. (6): each kWh sent is billed tc[i,j] * gc[sender].
        obj_pairs = [(var, arc.transfer_cost_per_kwh * nodes[index[arc.source]]
                      .generation_cost_per_kwh) for var, arc in zip(flow_vars, arcs)]
    else:
        gen_vars = [prob.add_variable(f"g{k}", lowBound=0, upBound=node.capacity_kwh)
                    for k, node in enumerate(nodes)]
        obj_pairs = [(var, node.generation_cost_per_kwh)
                     for var, node in zip(gen_vars, nodes)]
        obj_pairs += [(var, arc.transfer_cost_per_kwh)
                      for var, arc in zip(flow_vars, arcs)]
    prob.setObjective(pulp.LpAffineExpression([p for p in obj_pairs if p[1] != 0]))

    for k, node in enumerate(nodes):
        row = [(flow_vars[a], 1.0) for a in in_arcs[k]]
        row += [(flow_vars[a], -1.0) for a in out_arcs[k]]
        if objective is Objective.SEED:
            # seed 004 §5.1 eq. (5): c[i] + inflow - outflow >= d[i]
            rhs = node.demand_kwh - node.capacity_kwh
        else:
            row.append((gen_vars[k], 1.0))  # g[i] + inflow - outflow >= d[i]
            rhs = node.demand_kwh
        prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(row),
                                             sense=pulp.LpConstraintGE,
                                             rhs=float(rhs), name=f"balance{k}"))
    return TradingModel(network=network, objective=objective, problem=prob,
                        flow_vars=flow_vars, generation_vars=gen_vars,
                        in_arcs=in_arcs, out_arcs=out_arcs)


def _make_solver(solver: str) -> pulp.LpSolver:
    if solver == "highs":
        # In-process highspy, no files.  Interior point + crossover still ends on
        # a vertex, and on dense networks it beat HiGHS's default dual simplex by
        # 5-15x (500 dense nodes: 2.3 s vs 33 s of solver time).
        return pulp.HiGHS(msg=False, solver="ipm")
    if solver == "highs-simplex":
        return pulp.HiGHS(msg=False)  # HiGHS's own choice (dual simplex)
    if solver == "cbc":
        return pulp.PULP_CBC_CMD(msg=False)  # comparison only: temp files + subprocess
    raise TradingModelError(f"solver: expected one of {_SOLVERS}, got {solver!r}")


def solve_model(model: TradingModel, solver: str = "highs") -> TradingPlan:
    """Solve a model from ``build_model`` and read back the plan.

    Args:
        model: the built model.
        solver: "highs" (in-process HiGHS interior point + crossover; the
            default and the broker's choice), "highs-simplex" (in-process
            HiGHS, its default dual simplex) or "cbc" (PuLP's bundled CBC;
            writes temp files; for comparison only).

    Returns:
        A ``TradingPlan``; an infeasible network gives status "infeasible".

    Raises:
        TradingModelError: if ``solver`` is not one of the names above.
    """
    lp_solver = _make_solver(solver)
    prob = model.problem
    prob.solve(lp_solver)
    word = pulp.LpStatus.get(prob.status, str(prob.status))
    status = {"Optimal": "optimal", "Infeasible": "infeasible",
              "Unbounded": "unbounded"}.get(word, "error")
    if status != "optimal":
        return TradingPlan(status=status, objective=model.objective, objective_value=None,
                           flows={}, generation={}, solver_status=word)

    nodes, arcs = model.network.nodes, model.network.arcs
    values = [var.varValue or 0.0 for var in model.flow_vars]
    flows = {(arc.source, arc.target): v
             for arc, v in zip(arcs, values) if v > _FLOW_EPS}
    generation: dict[str, float] = {}
    for k, node in enumerate(nodes):
        if model.generation_vars:
            used = model.generation_vars[k].varValue or 0.0
        else:
            # SEED has no g[i]: report the node's own energy actually used.
            net_out = (sum(values[a] for a in model.out_arcs[k])
                       - sum(values[a] for a in model.in_arcs[k]))
            used = node.demand_kwh + net_out
        generation[node.node_id] = used if used > _FLOW_EPS else 0.0
    objective_value = float(prob.objective.value() or 0.0)
    return TradingPlan(status="optimal", objective=model.objective,
                       objective_value=objective_value, flows=flows,
                       generation=generation, solver_status=word)


def solve_trading(network: TradingNetwork, objective: Objective = Objective.STANDARD,
                  solver: str = "highs") -> TradingPlan:
    """Build and solve the trading LP in one call.

    Args:
        network: nodes and arcs.
        objective: ``Objective.SEED`` or ``Objective.STANDARD``.
        solver: "highs" (default), "highs-simplex" or "cbc" (comparison only);
            see ``solve_model``.

    Returns:
        The ``TradingPlan``.

    Raises:
        TradingModelError: on an unknown objective or solver.
    """
    _make_solver(solver)  # reject a bad solver name before building a large model
    return solve_model(build_model(network, objective), solver)


def trade_price(amount_kwh: float, transfer_cost: float, generation_cost: float,
                token_price: float = 1.0) -> float:
    """Token price of one trade, seed 004 §7.2 eq. (14): a * tc * gc / tp.

    Args:
        amount_kwh: energy traded (a), >= 0.
        transfer_cost: the generator's transfer cost per kWh (tc), >= 0.
        generation_cost: the generator's generation cost per kWh (gc), >= 0.
        token_price: price of one token in money (tp), > 0.

    Returns:
        The number of tokens the buyer pays the generator.

    Raises:
        TradingModelError: if an argument is not finite, is negative, or
            ``token_price`` is not > 0.
    """
    for name, value in (("amount_kwh", amount_kwh), ("transfer_cost", transfer_cost),
                        ("generation_cost", generation_cost)):
        _check_amount("trade_price", name, value)
    if isinstance(token_price, (int, float)) and not isinstance(token_price, bool) \
            and math.isfinite(token_price) and token_price <= 0:
        raise TradingModelError(
            f"trade_price: token_price must be > 0, got {float(token_price)!r}")
    _check_amount("trade_price", "token_price", token_price)
    return amount_kwh * transfer_cost * generation_cost / token_price
