"""harness.trade_record_check.flow_record_problems: the trade records of a decided trading
network, judged against the instance the harness sent and the flows the SUT answered. Records
are built here by hand, apart from the reference broker."""
from __future__ import annotations

import copy

import pytest

from harness.trade_record_check import flow_record_problems

INSTANCE = {"nodes": {"node_id": ["A", "B", "C"], "capacity_kwh": [20, 0, 0], "demand_kwh": [5, 0, 10],
                      "generation_cost_per_kwh": [0.12, 0.5, 1.0]},
            "arcs": {"source": ["A", "B", "A"], "target": ["B", "C", "C"],
                     "transfer_cost_per_kwh": [0.01, 0.02, 0.1]}}
ANSWER = {"status": "optimal", "flows": {"source": ["A", "B"], "target": ["B", "C"], "energy_kwh": [4.0, 4.0]}}


def entry(generator, buyer, amount, tc, gc, price, trade_id=None):
    record = {"trade_id": trade_id or f"c/{generator}->{buyer}", "buyer": buyer, "generator": generator,
              "amount_kwh": amount, "transfer_cost_per_kwh": tc, "generation_cost_per_kwh": gc,
              "token_price": "1", "trade_price_tokens": price, "currency": "EUR"}
    return {"payload": {"kind": "trade", "record": {"record": record, "algorithm": "Ed25519", "signature": ""}}}


GOOD = [{"payload": {"kind": "settlement"}},
        entry("A", "B", "4.0", "0.01", "0.12", "0.00480"), entry("B", "C", "4", "0.02", "0.5", "0.040")]


def test_right_records_pass():
    assert flow_record_problems(GOOD, INSTANCE, ANSWER) == []


@pytest.mark.parametrize("entries, problem", [
    (GOOD[:2], "flow B -> C of 4.0 kWh has no trade record in the ledger"),
    (GOOD + [GOOD[2]], "entry 3: flow B -> C is recorded twice"),
    (GOOD + [entry("A", "C", "1", "0.1", "0.12", "0.012")], "entry 3: trade 'c/A->C' (A -> C) is no flow of the answer"),
    ([GOOD[1], entry("B", "C", "4", "0.02", "1.0", "0.08")],
     "entry 1: generation_cost_per_kwh 1.0 of B -> C is not the 0.5 of the instance"),   # the buyer's cost
    ([GOOD[1], entry("B", "C", "3.5", "0.02", "0.5", "0.035")], "entry 1: amount_kwh 3.5 of B -> C is not the 4.0 of the answer"),
    ([GOOD[1], entry("B", "C", "4", "0.02", "0.5", "0.04000001")], "entry 1: price 0.04000001 is not 4 x 0.02 x 0.5 / 1"),
])
def test_each_wrong_record_is_named(entries, problem):
    assert problem in flow_record_problems(entries, INSTANCE, ANSWER)


def test_a_flow_on_a_pair_that_is_no_arc_is_named_not_a_crash():
    answer = copy.deepcopy(ANSWER)
    answer["flows"] = {"source": ["C"], "target": ["A"], "energy_kwh": [1.0]}
    problems = flow_record_problems([entry("C", "A", "1.0", "0", "1.0", "0")], INSTANCE, answer)
    assert problems == ["entry 0: C -> A is no arc of the instance",
                        "flow C -> A of 1.0 kWh has no trade record in the ledger"]
