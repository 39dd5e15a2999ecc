"""JSON shapes of the decision services: instances read into the core's types, refusals that
point at the entry, and answers in columnar form."""
from __future__ import annotations

import pytest

from reference_impl.core.decision_codec import ev_answer, parse_ev, parse_trading, trading_answer
from reference_impl.core.errors import Rejected
from reference_impl.core.ev_charging import solve_assignment
from reference_impl.core.trading import Objective, solve_trading


def trading(**changes):
    raw = {"objective": "standard",
           "nodes": {"node_id": ["a", "b"], "capacity_kwh": [10, 0], "demand_kwh": [0, 4],
                     "generation_cost_per_kwh": [0.1, 0.3]},
           "arcs": {"source": ["a"], "target": ["b"], "transfer_cost_per_kwh": [0.02],
                    "capacity_kwh": [None]}}
    for path, value in changes.items():
        table, column = path.split("__")
        raw[table][column] = value
    return raw


def ev(**changes):
    raw = {"vehicles": {"vehicle_id": ["v"], "max_charge_kwh": [40], "current_charge_kwh": [20],
                        "use_kwh_per_km": [0.2]},
           "stations": {"station_id": ["s", "t"], "max_power_kw": [50, 50],
                        "distribution_cost": [1, 2]},
           "distances_km": [[10, 1]]}
    raw.update(changes)
    return raw


def test_trading_round_trip():
    arrays, objective = parse_trading(trading())
    assert objective is Objective.STANDARD and arrays.source.tolist() == [0]
    answer = trading_answer(solve_trading(arrays.network(), objective))
    assert answer["status"] == "optimal"
    assert answer["flows"] == {"source": ["a"], "target": ["b"], "energy_kwh": [4.0]}
    assert answer["objective_value"] == pytest.approx(4 * 0.12)


@pytest.mark.parametrize("raw, pointer", [
    (trading(nodes__capacity_kwh=[10, -1]), "/nodes/capacity_kwh/1"),
    (trading(nodes__demand_kwh=[0]), "/nodes/demand_kwh"),
    (trading(arcs__target=["a"]), "/arcs/target/0"),
    (trading(arcs__target=["zz"]), "/arcs/target/0"),
    (trading(arcs__transfer_cost_per_kwh=["x"]), "/arcs/transfer_cost_per_kwh/0"),
    (trading(arcs__capacity_kwh=[-2]), "/arcs/capacity_kwh/0"),
    (trading(nodes__node_id=["a", "a"]), "/nodes/node_id/1"),
    ({"nodes": [], "arcs": {}}, "/nodes"),
    ({**trading(), "objective": "cheapest"}, "/objective"),
])
def test_bad_trading_instances_point_at_the_entry(raw, pointer):
    with pytest.raises(Rejected) as refusal:
        parse_trading(raw)
    assert refusal.value.errors[0].field == pointer


def test_ev_round_trip():
    answer = ev_answer(solve_assignment(parse_ev(ev())))
    assert answer["assignment"] == {"vehicle_id": ["v"], "station_id": ["t"]}
    assert answer["total_cost"] == pytest.approx(2.2)


@pytest.mark.parametrize("raw, pointer", [
    (ev(distances_km=[[10, -1]]), "/distances_km/0/1"),
    (ev(distances_km=[[10]]), "/distances_km"),
    (ev(distances_km="far"), "/distances_km"),
    (ev(vehicles={"vehicle_id": ["v"], "max_charge_kwh": [40], "current_charge_kwh": [50],
                  "use_kwh_per_km": [0.2]}), "/vehicles/current_charge_kwh/0"),
])
def test_bad_ev_instances_point_at_the_entry(raw, pointer):
    with pytest.raises(Rejected) as refusal:
        parse_ev(raw)
    assert refusal.value.errors[0].field == pointer
