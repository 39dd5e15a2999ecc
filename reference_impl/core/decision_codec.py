"""JSON shapes of the broker's decision services (docs/contracts.md, "Decision services"):
a trading network to clear (seed 004 §5.1) and an EV charging instance to assign (§5.2), and
the answers to both.

Instances are columnar (one list per field, one entry per node, arc, vehicle or station), which
keeps a 10,000-node network a few megabytes of JSON and quick to read:

    trading: {"objective": "standard"|"seed",
              "nodes": {"node_id": [...], "capacity_kwh": [...], "demand_kwh": [...],
                        "generation_cost_per_kwh": [...]},
              "arcs": {"source": [...], "target": [...], "transfer_cost_per_kwh": [...],
                       "capacity_kwh": [... number or null ...]}}        (capacity optional)
    answer:  {"status", "objective_value", "flows": {"source", "target", "energy_kwh"},
              "generation": {"node_id", "energy_kwh"}, "solver"}

    ev:      {"vehicles": {"vehicle_id", "max_charge_kwh", "current_charge_kwh", "use_kwh_per_km"},
              "stations": {"station_id", "max_power_kw", "distribution_cost"},
              "distances_km": [[vehicle 0 to each station], ...]}
    answer:  {"status", "total_cost", "assignment": {"vehicle_id", "station_id"}, "reason", "solver"}

Rules: bad input raises ``Rejected`` whose field is a JSON pointer to the entry, e.g.
``/arcs/target/17``; nothing is solved then.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .errors import FieldError, Rejected
from .ev_charging import EvInstance, EvModelError, EvPlan, Station, Vehicle
from .flow_arrays import ColumnError, FlowArrays
from .trading import Objective, TradingPlan

NODE_FIELDS = ("node_id", "capacity_kwh", "demand_kwh", "generation_cost_per_kwh")
ARC_FIELDS = ("source", "target", "transfer_cost_per_kwh")
VEHICLE_FIELDS = ("vehicle_id", "max_charge_kwh", "current_charge_kwh", "use_kwh_per_km")
STATION_FIELDS = ("station_id", "max_power_kw", "distribution_cost")


def _reject(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))


def _columns(raw: object, key: str, fields: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    table = raw.get(key) if isinstance(raw, Mapping) else None
    if not isinstance(table, Mapping):
        raise _reject("malformed", f"/{key}", f"{key} must be an object of equal-length lists")
    columns, length = {}, None
    for name in fields + optional:
        if name not in table:
            if name in optional:
                continue
            raise _reject("missing-field", f"/{key}/{name}", f"{key}.{name} is required")
        column = table[name]
        if not isinstance(column, list):
            raise _reject("malformed", f"/{key}/{name}", f"{key}.{name} must be a list")
        if length is not None and len(column) != length:
            raise _reject("length-mismatch", f"/{key}/{name}",
                          f"{key}.{name} has {len(column)} entries, {fields[0]} has {length}")
        length = len(column)
        columns[name] = column
    return columns


def _rows(columns: dict, key: str, build, errors: tuple[type[Exception], ...]):
    names = list(columns)
    out = []
    for index, values in enumerate(zip(*columns.values())):
        try:
            out.append(build(**dict(zip(names, values))))
        except errors as exc:
            text = str(exc)
            detail = text.split(": ", 1)[-1]   # "<owner>: <field> must ..." names the field first
            found = [(detail.find(n), n) for n in names if n in detail]
            field = min(found)[1] if found else names[0]
            raise _reject("invalid-value", f"/{key}/{field}/{index}", text) from None
    return out


def parse_trading(raw: object) -> tuple[FlowArrays, Objective]:
    """Read a trading instance into columns (no per-arc objects: 10,000-node networks stay
    cheap). Raises: ``Rejected`` naming the entry."""
    try:
        objective = Objective((raw.get("objective") if isinstance(raw, Mapping) else None) or "standard")
    except ValueError:
        raise _reject("invalid-value", "/objective", "objective must be 'standard' or 'seed'") from None
    nodes = _columns(raw, "nodes", NODE_FIELDS)
    arcs = _columns(raw, "arcs", ARC_FIELDS, ("capacity_kwh",))
    index: dict[str, int] = {}
    for k, node_id in enumerate(nodes["node_id"]):
        if not isinstance(node_id, str) or not node_id or node_id in index:
            raise _reject("invalid-value", f"/nodes/node_id/{k}",
                          f"node_id {node_id!r} must be a non-empty string, not seen before")
        index[node_id] = k
    ends = {}
    for end in ("source", "target"):
        ends[end] = [index.get(v, -1) if isinstance(v, str) else -1 for v in arcs[end]]
        if -1 in ends[end]:
            k = ends[end].index(-1)
            raise _reject("invalid-value", f"/arcs/{end}/{k}",
                          f"arc {k}: {end} {arcs[end][k]!r} is not a node of the instance")
    caps = arcs.get("capacity_kwh", [None] * len(arcs["source"]))
    columns = {name: _floats(nodes[name], "nodes", name) for name in NODE_FIELDS[1:]}
    try:
        return FlowArrays(
            node_ids=tuple(nodes["node_id"]), **columns,
            source=np.array(ends["source"], dtype=np.int64), target=np.array(ends["target"], dtype=np.int64),
            transfer_cost_per_kwh=_floats(arcs["transfer_cost_per_kwh"], "arcs", "transfer_cost_per_kwh"),
            arc_capacity_kwh=_floats(caps, "arcs", "capacity_kwh", null_ok=True)), objective
    except ColumnError as exc:
        raise _reject("invalid-value", exc.pointer, str(exc)) from None


def _floats(values: list, table: str, name: str, *, null_ok: bool = False) -> np.ndarray:
    """A JSON column as a float array (``null`` -> NaN where allowed). Raises: ``Rejected``."""
    for k, v in enumerate(values):
        if not (isinstance(v, (int, float)) and not isinstance(v, bool)) and not (null_ok and v is None):
            raise _reject("invalid-value", f"/{table}/{name}/{k}", f"{table}.{name}[{k}] must be a number, "
                          f"got {v!r}")
    return np.array([math.nan if v is None else v for v in values] if null_ok else values, dtype=np.float64)


def trading_answer(plan: TradingPlan) -> dict:
    """The JSON answer for a trading plan (columnar flows and generation)."""
    flows = sorted(plan.flows.items())
    generation = sorted(plan.generation.items())
    return {"status": plan.status, "objective": plan.objective.value,
            "objective_value": plan.objective_value,
            "flows": {"source": [s for (s, _), _ in flows], "target": [t for (_, t), _ in flows],
                      "energy_kwh": [x for _, x in flows]},
            "generation": {"node_id": [n for n, _ in generation],
                           "energy_kwh": [g for _, g in generation]},
            "solver": plan.solver_status}


def parse_ev(raw: object) -> EvInstance:
    """Read an EV charging instance. Raises: ``Rejected`` naming the entry."""
    vehicles = _rows(_columns(raw, "vehicles", VEHICLE_FIELDS), "vehicles", Vehicle, (EvModelError,))
    stations = _rows(_columns(raw, "stations", STATION_FIELDS), "stations", Station, (EvModelError,))
    distances = raw.get("distances_km")
    if not isinstance(distances, list) or not all(isinstance(row, list) for row in distances):
        raise _reject("malformed", "/distances_km", "distances_km must be a list of lists (vehicle x station)")
    try:
        return EvInstance(vehicles, stations, distances)
    except EvModelError as exc:
        text = str(exc)
        pointer = "/distances_km"
        if text.startswith("distances_km["):
            i, j = text[len("distances_km["):].split("]", 2)[:2]
            pointer = f"/distances_km/{i}/{j.lstrip('[')}"
        raise _reject("invalid-value", pointer, text) from None


def ev_answer(plan: EvPlan) -> dict:
    """The JSON answer for an EV plan."""
    pairs = sorted(plan.assignment.items())
    return {"status": plan.status, "total_cost": plan.total_cost,
            "assignment": {"vehicle_id": [v for v, _ in pairs], "station_id": [s for _, s in pairs]},
            "reason": plan.reason, "solver": plan.solver}


# -- retailer selection (seed 000) -------------------------------------------------------------
def parse_retail(raw: object) -> tuple[list, object, int]:
    """Read ``{"retailers": [...], "customer": {...}, "random_seed": n}``.

    Returns:
        (retailers, customer, random_seed). Raises: ``Rejected`` naming the entry.
    """
    from .retailer_selection import Customer, Retailer, RetailerModelError
    if not isinstance(raw, Mapping) or not isinstance(raw.get("retailers"), list):
        raise _reject("malformed", "/retailers", "retailers must be a list of objects")
    retailers = []
    for k, item in enumerate(raw["retailers"]):
        try:
            retailers.append(Retailer(**item))
        except (TypeError, RetailerModelError) as exc:
            raise _reject("invalid-value", f"/retailers/{k}", str(exc)) from None
    spec = raw.get("customer")
    try:
        customer = Customer(**{key: (float("inf") if key == "max_metering_interval_min" and v is None else v)
                               for key, v in spec.items()})
    except (AttributeError, TypeError, RetailerModelError) as exc:
        raise _reject("invalid-value", "/customer", str(exc)) from None
    seed = raw.get("random_seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _reject("invalid-value", "/random_seed", "random_seed must be an integer")
    return retailers, customer, seed


def _mix_record(mix) -> dict | None:
    return None if mix is None else {"shares": dict(mix.shares), "cost": mix.cost,
                                     "renewable_share": mix.renewable_share}


def retail_answer(selection) -> dict:
    """The JSON answer for a retailer ``Selection``."""
    return {"status": selection.status, "rule": selection.rule, "chosen": _mix_record(selection.chosen),
            "front": [_mix_record(m) for m in selection.front], "excluded": dict(selection.excluded),
            "reason": selection.reason,
            "baselines": {k: _mix_record(m) for k, m in selection.baselines.items()}}
