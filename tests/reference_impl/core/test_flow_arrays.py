"""FlowArrays: a trading network as validated columns, and its round trip with TradingNetwork."""
from __future__ import annotations

import math

import numpy as np
import pytest

from reference_impl.core.flow_arrays import ColumnError, FlowArrays
from reference_impl.core.trading import Arc, Node, TradingNetwork


def columns(**changes):
    base = dict(node_ids=("a", "b", "c"), capacity_kwh=[10, 0, 0], demand_kwh=[0, 4, 2],
                generation_cost_per_kwh=[0.1, 0.2, 0.3], source=[0, 0, 1], target=[1, 2, 2],
                transfer_cost_per_kwh=[0.01, 0.02, 0.0], arc_capacity_kwh=[math.nan, 3, math.nan])
    base.update(changes)
    return FlowArrays(**base)


def test_round_trip_with_objects():
    arrays = columns()
    net = arrays.network()
    assert net.arcs[1] == Arc(source="a", target="c", transfer_cost_per_kwh=0.02, capacity_kwh=3.0)
    assert net.arcs[0].capacity_kwh is None
    back = FlowArrays.from_network(net)
    assert back.node_ids == arrays.node_ids
    assert np.array_equal(back.arc_capacity_kwh, arrays.arc_capacity_kwh, equal_nan=True)
    assert back.source.tolist() == [0, 0, 1] and back.target.tolist() == [1, 2, 2]


@pytest.mark.parametrize("changes, pointer", [
    ({"node_ids": ("a", "b", "a")}, "/nodes/node_id/2"),
    ({"node_ids": ("a", "", "c")}, "/nodes/node_id/1"),
    ({"demand_kwh": [0, -1, 0]}, "/nodes/demand_kwh/1"),
    ({"generation_cost_per_kwh": [0.1, math.inf, 0]}, "/nodes/generation_cost_per_kwh/1"),
    ({"capacity_kwh": [1, 2]}, "/nodes/capacity_kwh"),
    ({"source": [0, 0, 5]}, "/arcs/source/2"),
    ({"target": [1, 0, 2]}, "/arcs/target/1"),                   # a -> a
    ({"target": [1, 1, 2]}, "/arcs/target/1"),                   # a -> b twice
    ({"transfer_cost_per_kwh": [0.01, math.nan, 0]}, "/arcs/transfer_cost_per_kwh/1"),
    ({"arc_capacity_kwh": [math.nan, -3, math.nan]}, "/arcs/capacity_kwh/1"),
    ({"source": [0.0, 0.0, 1.0]}, "/arcs/source"),
    # the whole-column fast checks (min/max, NaN-skipping fmin/fmax) must not hide these
    ({"arc_capacity_kwh": [math.nan, math.inf, math.nan]}, "/arcs/capacity_kwh/1"),
    ({"arc_capacity_kwh": [2, math.nan, -math.inf]}, "/arcs/capacity_kwh/2"),
    ({"transfer_cost_per_kwh": [0.01, 0, math.inf]}, "/arcs/transfer_cost_per_kwh/2"),
    ({"capacity_kwh": [math.nan, 1, 2]}, "/nodes/capacity_kwh/0"),
    ({"source": [0, -1, 1]}, "/arcs/source/1"),
    ({"target": [1, 2, 3]}, "/arcs/target/2"),
])
def test_bad_columns_name_the_entry(changes, pointer):
    with pytest.raises(ColumnError) as error:
        columns(**changes)
    assert error.value.pointer == pointer


def test_from_network_refuses_other_things():
    from reference_impl.core.trading import TradingModelError
    with pytest.raises(TradingModelError, match="network: expected TradingNetwork"):
        FlowArrays.from_network([Node(node_id="a", capacity_kwh=1, demand_kwh=0,
                                      generation_cost_per_kwh=1)])
    assert FlowArrays.from_network(TradingNetwork(nodes=(), arcs=())).node_ids == ()
