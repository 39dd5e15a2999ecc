"""Settlement of a delivered contract: energy charge on min(delivered, contracted), incentive
when fulfilled, penalty on the shortfall otherwise, each line rounded to the cent with
banker's rounding (Y.2072 7.5, 8.2.1 billing)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reference_impl.core.contracts import Contract
from reference_impl.core.delivery import MeterReading, verify_delivery
from reference_impl.core.errors import Conflict
from reference_impl.core.products import Product, Resource, SettlementRules
from reference_impl.core.settlement import settle


def at(hour: float) -> datetime:
    return datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(hours=hour)


SETTLED_AT = at(15)
RULES = SettlementRules(tolerance_pct=5.0, incentive_pct=2.0, penalty_per_kwh="0.05")
PV = Resource(resource_id="PV1", owner_id="S", kind="generator", max_power_kw=20.0, voltage_v=230.0,
              meter_id="M1")
PRODUCT = Product(product_id="P1", owner_id="S", name="", product_type="generation", resource_ids=("PV1",),
                  max_power_kw=20.0, voltage_v=230.0, available_from=at(10), available_until=at(18),
                  quality="firm", settlement_rules=RULES)


def contract(kwh=30.0, price="0.13", contract_id="CT-1") -> Contract:
    return Contract(contract_id=contract_id, product_id="P1", product_type="generation", seller_id="S",
                    buyer_id="B", sell_bid_id="SB", buy_bid_id="BB", energy_kwh=kwh,
                    price_per_kwh=Decimal(price), currency="EUR", delivery_start=at(12), delivery_end=at(14),
                    rules=RULES, signed_at=at(9))


def delivered(metered_kwh: float, target: Contract | None = None):
    """The contract after delivery verification on one 12:00-14:00 export reading."""
    target = target or contract()
    reading = MeterReading(meter_id="M1", interval_start=at(12), interval_end=at(14),
                           energy_kwh=metered_kwh, direction="export")
    return verify_delivery(target, PRODUCT, {"PV1": PV}, [reading], [target], at(14))


@pytest.mark.parametrize("metered, billable, energy, incentive, penalty, total, fulfilled", [
    (30.0, 30.0, "3.90", "0.08", "0.00", "3.98", True),    # exact: 2 % of 3.90 = 0.078
    (33.0, 30.0, "3.90", "0.08", "0.00", "3.98", True),    # over-delivery is not paid for
    (28.8, 28.8, "3.74", "0.08", "0.00", "3.82", True),    # within 5 %: 3.744 -> 3.74, full incentive
    (24.0, 24.0, "3.12", "0.00", "0.30", "2.82", False),   # 6 kWh short x 0.05
])
def test_the_four_settlement_cases(metered, billable, energy, incentive, penalty, total, fulfilled):
    settled, bill = settle(*delivered(metered), SETTLED_AT)
    assert settled.state == "settled"
    assert bill.billable_kwh == billable
    assert (bill.energy_charge, bill.incentive, bill.penalty, bill.total) == (
        Decimal(energy), Decimal(incentive), Decimal(penalty), Decimal(total))
    assert str(bill.total) == total  # to the cent, as the record carries it
    assert (bill.fulfilled, bill.currency, bill.settled_at) == (fulfilled, "EUR", SETTLED_AT)


def test_rules_applied_say_which_term_was_used():
    _, rewarded = settle(*delivered(30.0), SETTLED_AT)
    _, penalised = settle(*delivered(24.0), SETTLED_AT)
    assert rewarded.rules_applied[0].startswith("energy: 30 kWh x 0.13 EUR/kWh")
    assert rewarded.rules_applied[1].startswith("incentive: fulfilled")
    assert penalised.rules_applied[1].startswith("penalty: unfulfilled") and "shortfall 6 kWh" in penalised.rules_applied[1]


@pytest.mark.parametrize("kwh, energy_charge", [
    (1.25, "0.12"),   # 0.125 -> 0.12 (half to even; half-up would give 0.13)
    (1.35, "0.14"),   # 0.135 -> 0.14 (half to even; half-down would give 0.13)
])
def test_half_cents_round_to_even(kwh, energy_charge):
    _, bill = settle(*delivered(kwh, contract(kwh=kwh, price="0.10")), SETTLED_AT)
    assert bill.energy_charge == Decimal(energy_charge)
    assert bill.incentive == Decimal("0.00")   # 2 % of 0.125 / 0.135 is under half a cent
    assert bill.total == Decimal(energy_charge)


def test_settling_without_a_delivery_report_is_a_conflict():
    with pytest.raises(Conflict) as caught:
        settle(contract(), None, SETTLED_AT)
    assert (caught.value.code, caught.value.errors[0].field) == ("delivery-not-verified", "/contract_id")


def test_settling_with_another_contracts_report_is_a_conflict():
    _, other_report = delivered(30.0, contract(contract_id="CT-OTHER"))
    mine, _ = delivered(30.0)
    with pytest.raises(Conflict) as caught:
        settle(mine, other_report, SETTLED_AT)
    assert caught.value.code == "delivery-not-verified"


def test_settling_twice_is_a_conflict():
    settled, _ = settle(*delivered(30.0), SETTLED_AT)
    _, report = delivered(30.0)
    with pytest.raises(Conflict) as caught:
        settle(settled, report, SETTLED_AT)
    assert caught.value.code == "illegal-transition"
