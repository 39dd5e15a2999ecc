"""Product registration: parse_product checks form, verify_product checks facts; every
refusal names the offending field as a JSON pointer (Y.2072 7.5, 8.2.1)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_impl.core.errors import Rejected
from reference_impl.core.products import Participant, Resource, parse_product, verify_product

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
_DROP = object()  # product_request(field=_DROP) leaves the field out


def at(hours: float) -> str:
    return (NOW + timedelta(hours=hours)).isoformat()


def participant(pid="alice", node="N1"):
    return Participant(participant_id=pid, role="prosumer", grid_node=node, display_name=pid)


def resource(rid, owner="alice", kind="generator", kw=5.0, volts=230.0):
    return Resource(resource_id=rid, owner_id=owner, kind=kind, max_power_kw=kw, voltage_v=volts,
                    meter_id=f"M-{rid}")


def market_resources(*extra: Resource) -> dict[str, Resource]:
    """alice's PV (5 kW, 230 V) and battery (4 kW, 231 V: within 1 %): 9 kW combined."""
    found = [resource("PV1"), resource("BAT1", kind="storage", kw=4.0, volts=231.0), *extra]
    return {r.resource_id: r for r in found}


def product_request(**changes) -> dict:
    raw = {"product_id": "P1", "owner_id": "alice", "name": "rooftop + battery",
           "product_type": "generation", "resource_ids": ["PV1", "BAT1"], "max_power_kw": 8.0,
           "voltage_v": 230.0, "available_from": at(1), "available_until": at(9), "quality": "firm"}
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not _DROP}


def verified(raw: dict, resources=None, owner=participant()):
    return verify_product(parse_product(raw), owner,
                          market_resources() if resources is None else resources, NOW)


def refusal(call, *args) -> list[tuple[str, str]]:
    with pytest.raises(Rejected) as caught:
        call(*args)
    return [(e.code, e.field) for e in caught.value.errors]


# --- accepted ------------------------------------------------------------------------------

def test_valid_combination_of_resources_is_verified():
    product = verified(product_request())
    assert product.status == "verified"
    assert product.resource_ids == ("PV1", "BAT1")
    assert product.max_power_kw == 8.0
    assert product.available_until - product.available_from == timedelta(hours=8)
    assert product.settlement_rules.tolerance_pct == 5.0


def test_capacity_equal_to_the_combined_resources_is_accepted():
    assert verified(product_request(max_power_kw=9.0)).max_power_kw == 9.0


def test_demand_reduction_with_baseline_is_accepted():
    raw = product_request(product_type="demand-reduction", resource_ids=["LOAD1"], max_power_kw=3.0,
                          baseline_kw=6.0)
    product = verified(raw, {"LOAD1": resource("LOAD1", kind="load", kw=3.0)})
    assert (product.product_type, product.baseline_kw) == ("demand-reduction", 6.0)


# --- facts checked by verify_product --------------------------------------------------------

def test_capacity_above_the_combined_resources_names_max_power():
    assert refusal(verified, product_request(max_power_kw=9.5)) == [
        ("capacity-exceeds-resources", "/max_power_kw")]


def test_resource_owned_by_another_participant_names_its_index():
    resources = market_resources(resource("PV9", owner="bob"))
    raw = product_request(resource_ids=["PV1", "BAT1", "PV9"], max_power_kw=8.0)
    assert refusal(verified, raw, resources) == [("not-owner", "/resource_ids/2")]


def test_unknown_resource_names_its_index():
    raw = product_request(resource_ids=["PV1", "GHOST"], max_power_kw=4.0)
    assert refusal(verified, raw) == [("unknown-resource", "/resource_ids/1")]


def test_unknown_owner_names_owner_id():
    assert refusal(verify_product, parse_product(product_request()), None, market_resources(), NOW) == [
        ("unknown-participant", "/owner_id")]


@pytest.mark.parametrize("volts", [227.0, 233.0])  # 1.3 % off the declared 230 V
def test_voltage_mismatch_beyond_one_percent_names_the_resource(volts):
    resources = market_resources(resource("PV2", volts=volts))
    raw = product_request(resource_ids=["PV1", "PV2"], max_power_kw=8.0)
    assert refusal(verified, raw, resources) == [("voltage-mismatch", "/resource_ids/1")]


def test_voltage_within_one_percent_is_accepted():
    resources = market_resources(resource("PV2", volts=228.0))  # 0.87 % below
    assert verified(product_request(resource_ids=["PV2", "BAT1"]), resources).voltage_v == 230.0


def test_unsuitable_resource_kind_names_its_index():
    raw = product_request(product_type="demand-reduction", baseline_kw=5.0, max_power_kw=4.0)
    # a generator cannot back demand reduction; the battery can
    assert refusal(verified, raw) == [("unsuitable-resource", "/resource_ids/0")]


@pytest.mark.parametrize("until_hours", [0, -1])
def test_window_already_over_names_available_until(until_hours):
    raw = product_request(available_from=at(-5), available_until=at(until_hours))
    assert refusal(verified, raw) == [("window-over", "/available_until")]


def test_several_errors_are_reported_at_once():
    resources = market_resources(resource("PV9", owner="bob", volts=400.0))
    raw = product_request(resource_ids=["PV1", "PV9", "NOPE"], max_power_kw=50.0,
                          available_from=at(-5), available_until=at(-1))
    assert refusal(verify_product, parse_product(raw), None, resources, NOW) == [
        ("unknown-participant", "/owner_id"),
        ("not-owner", "/resource_ids/1"),
        ("voltage-mismatch", "/resource_ids/1"),
        ("unknown-resource", "/resource_ids/2"),
        ("capacity-exceeds-resources", "/max_power_kw"),
        ("window-over", "/available_until"),
    ]


# --- form checked by parse_product ------------------------------------------------------------

@pytest.mark.parametrize("until_hours", [0.5, 1])  # before, and equal to, available_from
def test_window_ending_before_it_starts_is_refused(until_hours):
    assert refusal(parse_product, product_request(available_until=at(until_hours))) == [
        ("invalid-window", "/available_until")]


@pytest.mark.parametrize("field", ["product_id", "owner_id", "product_type", "resource_ids",
                                   "max_power_kw", "voltage_v", "available_from", "available_until"])
def test_missing_field_is_named(field):
    assert refusal(parse_product, product_request(**{field: _DROP})) == [("missing-field", f"/{field}")]


def test_null_counts_as_missing():
    assert refusal(parse_product, product_request(voltage_v=None)) == [("missing-field", "/voltage_v")]


@pytest.mark.parametrize("field, value", [
    ("max_power_kw", "8"),            # string for a number
    ("max_power_kw", True),           # bool is not a number here
    ("max_power_kw", float("nan")),
    ("voltage_v", float("inf")),
    ("resource_ids", "PV1"),          # string for a list
    ("available_from", 1780000000),   # number for a timestamp
    ("owner_id", ""),
])
def test_wrong_type_is_invalid_type(field, value):
    assert refusal(parse_product, product_request(**{field: value})) == [("invalid-type", f"/{field}")]


def test_resource_list_entry_of_wrong_type_names_its_index():
    assert refusal(parse_product, product_request(resource_ids=["PV1", 7])) == [
        ("invalid-type", "/resource_ids/1")]


def test_timestamp_without_offset_is_refused():
    assert refusal(parse_product, product_request(available_from="2026-06-01T09:00:00")) == [
        ("invalid-value", "/available_from")]


def test_non_positive_capacity_is_out_of_range():
    assert refusal(parse_product, product_request(max_power_kw=0)) == [("out-of-range", "/max_power_kw")]


def test_demand_reduction_needs_a_baseline():
    raw = product_request(product_type="demand-reduction", resource_ids=["BAT1"], max_power_kw=4.0)
    assert refusal(parse_product, raw) == [("baseline-required", "/baseline_method")]


def test_demand_reduction_takes_one_baseline_not_two():
    raw = product_request(product_type="demand-reduction", resource_ids=["BAT1"], max_power_kw=4.0,
                          baseline_kw=5.0, baseline_method="high-4-of-5")
    assert refusal(parse_product, raw) == [("baseline-required", "/baseline_method")]


def test_demand_reduction_by_named_baseline_method_is_accepted():
    raw = product_request(product_type="demand-reduction", resource_ids=["BAT1"], max_power_kw=4.0,
                          baseline_method="10-of-10")
    product = parse_product(raw)
    assert (product.baseline_method, product.baseline_kw) == ("10-of-10", None)
    assert product.to_record()["baseline_method"] == "10-of-10"


def test_unknown_baseline_method_is_refused_naming_the_choices():
    raw = product_request(product_type="demand-reduction", resource_ids=["BAT1"], max_power_kw=4.0,
                          baseline_method="average-of-3")
    assert refusal(parse_product, raw) == [("invalid-value", "/baseline_method")]


def test_settlement_rule_errors_are_named_under_settlement_rules():
    raw = product_request(settlement_rules={"tolerance_pct": 100})
    assert refusal(parse_product, raw) == [("out-of-range", "/settlement_rules/tolerance_pct")]
