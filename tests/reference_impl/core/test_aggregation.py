"""Aggregator functions (core/aggregation.py) and grid operation (core/grid_operation.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_impl.core import aggregation as agg
from reference_impl.core import grid_operation as grid
from reference_impl.core import site as st
from reference_impl.core.errors import Rejected

NOW = datetime(2026, 6, 1, 8, tzinfo=timezone.utc)


def _site():
    return st.parse_site({"site_id": "S1", "owner_id": "alice", "service_provider_id": "agg", "line_id": "L1",
                          "site_meter_id": "M-S1", "base_load_kw": 1.0, "quality_terms": {"nominal_v": 230, "tolerance_pct": 5},
                          "resources": [{"resource_id": "pv", "kind": "generator", "rated_kw": 5.0, "meter_id": "M-PV"},
                                        {"resource_id": "hp", "kind": "load", "rated_kw": 6.0, "reduced_kw": 2.0,
                                         "meter_id": "M-HP"}]}, NOW)


def test_enrolment_is_verified():
    record = agg.verify_enrolment({"resource_id": "hp", "site_id": "S1", "programmes": ["dr"]}, "agg", _site(), 4)
    assert record["verified"] and record["owner_id"] == "alice"


@pytest.mark.parametrize("raw, aggregator, readings, pointer", [
    ({"resource_id": "hp", "site_id": "S1", "programmes": ["dr"]}, "agg", 0, "/resource_id"),
    ({"resource_id": "pv", "site_id": "S1", "programmes": ["dr"]}, "agg", 4, "/programmes/0"),
    ({"resource_id": "hp", "site_id": "S1", "programmes": ["dr"]}, "other", 4, "/site_id"),
    ({"resource_id": "hp", "site_id": "S1", "programmes": ["sauna"]}, "agg", 4, "/programmes/0"),
    ({"resource_id": "zz", "site_id": "S1", "programmes": ["dr"]}, "agg", 4, "/resource_id"),
])
def test_unverifiable_enrolments_are_refused(raw, aggregator, readings, pointer):
    with pytest.raises(Rejected) as refused:
        agg.verify_enrolment(raw, aggregator, _site(), readings)
    assert refused.value.errors[0].field == pointer


def test_market_event_for_unknown_group_is_refused():
    raw = {"event_id": "E", "group_id": "G-X", "kind": "demand-reduction", "target_kw": 3.0,
           "start": "2026-06-01T11:00:00+00:00", "end": "2026-06-01T12:00:00+00:00"}
    with pytest.raises(Rejected) as refused:
        agg.parse_market_event(raw, {"G-1": {}})
    assert refused.value.errors[0].field == "/group_id"


def test_contract_schedule_shares_energy_by_rating():
    group = {"group_id": "G", "members": [{"resource_id": "a", "kind": "generator", "rated_kw": 5.0},
                                          {"resource_id": "b", "kind": "generator", "rated_kw": 3.0}]}
    contract = {"delivery_start": "2026-06-01T10:00:00+00:00", "delivery_end": "2026-06-01T11:00:00+00:00",
                "energy_kwh": 4.0}
    plan = agg.contract_schedule(contract, group)
    assert plan["a"][0]["power_kw"] == 2.5 and plan["b"][0]["power_kw"] == 1.5
    with pytest.raises(Rejected):
        agg.contract_schedule({**contract, "energy_kwh": 9.0}, group)


def test_achieved_reduction_compares_event_with_the_hour_before():
    start = datetime(2026, 6, 1, 11, tzinfo=timezone.utc)
    q = timedelta(minutes=15)
    series = [(start - 4 * q + i * q, start - 3 * q + i * q, 2.0) for i in range(4)]
    series += [(start + i * q, start + (i + 1) * q, 0.75) for i in range(4)]
    event = {"event_id": "E", "group_id": "G", "target_kw": 5.0, "start": start.isoformat(),
             "end": (start + 4 * q).isoformat()}
    report = agg.achieved_reduction(event, {"S1": series}, {"S1": 1.0})
    assert report["achieved_kw"] == 5.0 and report["fulfilled"]
    with pytest.raises(Rejected):
        agg.achieved_reduction(event, {"S1": series[:6]}, {"S1": 1.0})


def test_line_trouble_opens_the_switch_and_normal_closes_it():
    line = grid.apply_line_condition(grid.new_line("L1"), {"condition": "overcurrent"}, NOW)
    assert line["switch"] == "open" and line["actions"][-1]["because"] == "overcurrent"
    line = grid.apply_line_condition(line, {"condition": "normal"}, NOW)
    assert line["switch"] == "closed" and len(line["actions"]) == 2
    with pytest.raises(Rejected) as refused:
        grid.apply_line_condition(line, {"condition": "sparkles"}, NOW)
    assert refused.value.errors[0].field == "/condition"


def test_voltage_is_judged_against_the_contract_band():
    site, observation = grid.judge_voltage(_site(), {"voltage_v": 245.0}, NOW)
    assert observation["band_v"] == [218.5, 241.5] and site["quality_state"] == "over-voltage"
    site, observation = grid.judge_voltage(_site(), {"voltage_v": 240.0}, NOW)
    assert site["quality_state"] == "normal"


def test_only_customer_and_service_provider_may_request_data():
    grid.check_requester(_site(), "alice")
    grid.check_requester(_site(), "agg")
    with pytest.raises(Rejected) as refused:
        grid.check_requester(_site(), "mallory")
    assert refused.value.errors[0].field == "/requester_id"
