"""Trade records of a cleared trading network (core.flow_trades): one per arc with flow, the
seed 004 §9.2 template filled from the arc and its source, priced by §7.2. Pure data."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from reference_impl.core.flow_arrays import FlowArrays
from reference_impl.core.flow_trades import flow_trade_payloads
from reference_impl.core.trading import Objective, TradingPlan

ARRAYS = FlowArrays(node_ids=("A", "B", "C"), capacity_kwh=[20, 0, 0], demand_kwh=[5, 0, 10],
                    generation_cost_per_kwh=[0.12, 0.5, 1.0], source=[0, 1, 0], target=[1, 2, 2],
                    transfer_cost_per_kwh=[0.01, 0.02, 0.1], arc_capacity_kwh=[np.nan, 4, np.nan])


def plan(flows, status="optimal"):
    return TradingPlan(status=status, objective=Objective.STANDARD, objective_value=1.0,
                       flows=flows, generation={"A": 15.0, "B": 0.0, "C": 0.0}, solver_status="test")


def test_each_arc_with_flow_is_one_trade_of_its_source_to_its_target():
    payloads = flow_trade_payloads("trading-1@T", plan({("B", "C"): 4.0, ("A", "B"): 4.0,
                                                        ("A", "C"): 6.0}), ARRAYS, Decimal("2"), "EUR")
    assert [(p["source"], p["target"]) for p in payloads] == [("A", "B"), ("A", "C"), ("B", "C")]
    relay = payloads[2]
    assert relay["kind"] == "trade" and relay["clearing_id"] == "trading-1@T"
    assert relay["record"] == {
        "trade_id": "trading-1@T/B->C", "buyer": "C", "generator": "B", "amount_kwh": "4.0",
        "transfer_cost_per_kwh": "0.02", "generation_cost_per_kwh": "0.5", "token_price": "2",
        "trade_price_tokens": str(Decimal("4.0") * Decimal("0.02") * Decimal("0.5") / 2),
        "currency": "EUR"}
    assert Decimal(payloads[1]["record"]["trade_price_tokens"]) == Decimal("0.036")  # 6 x 0.1 x 0.12 / 2


def test_a_float_amount_is_stated_exactly_as_the_plan_has_it():
    amount = 0.1 + 0.2
    record = flow_trade_payloads("c", plan({("A", "B"): amount}), ARRAYS, Decimal(1), "EUR")[0]["record"]
    assert record["amount_kwh"] == "0.30000000000000004" and float(record["amount_kwh"]) == amount


@pytest.mark.parametrize("flows, status", [({("A", "B"): 1.0}, "infeasible"), ({}, "optimal")])
def test_nothing_traded_gives_no_payloads(flows, status):
    assert flow_trade_payloads("c", plan(flows, status), ARRAYS, Decimal(1), "EUR") == []


def test_a_flow_on_no_arc_and_a_bad_token_price_are_named():
    with pytest.raises(ValueError, match="'C'->'A' is no arc"):
        flow_trade_payloads("c", plan({("C", "A"): 1.0}), ARRAYS, Decimal(1), "EUR")
    with pytest.raises(ValueError, match="token_price"):
        flow_trade_payloads("c", plan({("A", "B"): 1.0}), ARRAYS, Decimal(0), "EUR")
