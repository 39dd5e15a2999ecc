"""Tariffs and bills on hand-computed cases (core, pure data)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from reference_impl.core.billing import (DrCredit, Supplier, compose_bill, meter_totals, price_lines, to_wh)
from reference_impl.core.delivery import MeterReading
from reference_impl.core.errors import Conflict, Rejected
from reference_impl.core.pseudonyms import bare_hashes, domain_key, pseudonym
from reference_impl.core.tariffs import parse_tariff

UTC = timezone.utc
# 2026-03-02 is a Monday; Luxembourg is UTC+1 in early March
DAY = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)     # 2026-03-02T00:00+01:00
Q = timedelta(minutes=15)

TOU = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use", "local_tz": "Europe/Luxembourg",
       "energy": {"kind": "time-of-use", "periods": [
           {"name": "off-peak", "price_per_kwh": "0.18"},
           {"name": "peak", "price_per_kwh": "0.30",
            "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]}]},
       "standing_charge_per_day": "0.50", "feed_in_price_per_kwh": "0.08",
       "tax": {"name": "VAT", "rate_pct": "8"}}


def _readings(values, direction="import", start=DAY, quality="actual"):
    return [MeterReading(meter_id="M1", interval_start=start + i * Q, interval_end=start + (i + 1) * Q,
                         energy_kwh=v, direction=direction, quality=quality) for i, v in enumerate(values)]


def test_tou_day_hand_computed():
    tariff = parse_tariff(TOU)
    day = [0.25] * 96                      # 96 quarter hours, 24 kWh
    readings = _readings(day) + _readings([0.1] * 96, "export")
    totals = meter_totals(tariff, readings, DAY, DAY + timedelta(days=1))
    # peak 08:00-20:00 local = 48 quarters = 12 kWh; off-peak 12 kWh
    assert totals.import_wh == (12000, 12000) and totals.export_wh == 9600
    assert (totals.intervals_expected, totals.intervals_actual, totals.granularity_minutes) == (96, 96, 15)
    lines, subtotal, tax, total = price_lines(tariff, totals, 1)
    amounts = {(line.kind, line.period): line.amount for line in lines}
    assert amounts == {("energy", "off-peak"): Decimal("2.16"), ("energy", "peak"): Decimal("3.60"),
                       ("feed-in", "all-hours"): Decimal("-0.77"), ("standing-charge", "period"): Decimal("0.50")}
    # VAT 8 % of 2.16 + 3.60 + 0.50 = 6.26 -> 0.5008 -> 0.50; feed-in outside the base
    assert (subtotal, tax, total) == (Decimal("5.49"), Decimal("0.50"), Decimal("5.99"))


def test_line_rounding_is_half_even_per_line():
    tariff = parse_tariff({**TOU, "energy": {"kind": "flat", "price_per_kwh": "0.125"}, "billing_mode": "usage-based",
                           "tax": None, "feed_in_price_per_kwh": None, "standing_charge_per_day": "0"})
    totals = meter_totals(tariff, _readings([0.5] * 4 + [0.0] * 92), DAY, DAY + timedelta(days=1))
    lines, *_ = price_lines(tariff, totals, 1)
    assert lines[0].quantity == Decimal("2.000") and lines[0].amount == Decimal("0.25")
    totals = meter_totals(tariff, _readings([0.5] * 3 + [0.0] * 93), DAY, DAY + timedelta(days=1))
    assert price_lines(tariff, totals, 1)[0][0].amount == Decimal("0.19")   # 0.1875 -> 0.19
    totals = meter_totals(tariff, _readings([0.02] + [0.0] * 95), DAY, DAY + timedelta(days=1))
    assert price_lines(tariff, totals, 1)[0][0].amount == Decimal("0.00")   # 0.0025 -> 0.00 (even)


def test_dynamic_prices_per_interval():
    prices = [{"start": (DAY + i * Q).isoformat(), "end": (DAY + (i + 1) * Q).isoformat(),
               "price_per_kwh": "0.1" if i % 2 else "0.3"} for i in range(96)]
    tariff = parse_tariff({"tariff_id": "DYN", "currency": "EUR", "billing_mode": "time-of-use",
                           "energy": {"kind": "dynamic", "prices": prices}})
    totals = meter_totals(tariff, _readings([1.0] * 96), DAY, DAY + timedelta(days=1))
    lines, _, _, total = price_lines(tariff, totals, 1)
    assert lines[0].quantity == Decimal("96.000") and total == Decimal("19.20")   # 48*0.3 + 48*0.1
    assert lines[0].unit_price == Decimal("0.200000")


def test_subscription_bills_days_not_energy():
    tariff = parse_tariff({"tariff_id": "SUB", "currency": "EUR", "billing_mode": "subscription",
                           "energy": {"kind": "subscription", "fee_per_day": "1.10"}})
    totals = meter_totals(tariff, _readings([1.0] * 96), DAY, DAY + timedelta(days=1))
    lines, _, _, total = price_lines(tariff, totals, 1)
    assert [(x.kind, x.amount) for x in lines] == [("energy", Decimal("0.00")), ("subscription", Decimal("1.10"))]


def test_dr_credit_is_a_negative_line_outside_the_tax_base():
    tariff = parse_tariff(TOU)
    totals = meter_totals(tariff, _readings([0.25] * 96), DAY, DAY + timedelta(days=1))
    credit = DrCredit(contract_id="C-1", counterparty_ref="hmac-sha256:ab", window_start=DAY + 40 * Q,
                      window_end=DAY + 48 * Q, cbl_method="high-4-of-5", baseline_kwh=4.0, delivered_kwh=2.0,
                      contracted_kwh=2.0, price_per_kwh=Decimal("0.20"), tolerance_pct=5, incentive_pct=2,
                      penalty_per_kwh=Decimal("0.05"), amount=Decimal("0.41"))
    lines, subtotal, tax, total = price_lines(tariff, totals, 1, [credit])
    assert lines[-1].kind == "dr-credit" and lines[-1].amount == Decimal("-0.41")
    # 2.16 + 3.60 + 0.50 - 0.41 = 5.85; VAT on 6.26 = 0.50
    assert (subtotal, tax, total) == (Decimal("5.85"), Decimal("0.50"), Decimal("6.35"))


def test_the_tariff_s_dr_programme_adds_incentive_and_shortfall_penalty_lines():
    tariff = parse_tariff({**TOU, "dr": {"cbl_method": "high-4-of-5", "incentive_per_kwh": "0.05",
                                         "penalty_per_kwh": "0.02"}})
    totals = meter_totals(tariff, _readings([0.25] * 96), DAY, DAY + timedelta(days=1))
    def credit(delivered):
        return DrCredit(contract_id=f"C-{delivered}", counterparty_ref="hmac-sha256:ab", window_start=DAY,
                        window_end=DAY + Q, cbl_method="high-4-of-5", baseline_kwh=4.0, delivered_kwh=delivered,
                        contracted_kwh=2.0, price_per_kwh=Decimal("0.20"), tolerance_pct=5, incentive_pct=2,
                        penalty_per_kwh=Decimal("0.05"), amount=Decimal("0.30"))
    lines, subtotal, tax, total = price_lines(tariff, totals, 1, [credit(2.0), credit(1.5)])
    dr = [(x.kind, x.period, x.quantity, x.amount) for x in lines if x.kind.startswith("dr-")]
    assert dr == [("dr-credit", "C-2.0", Decimal("2.0"), Decimal("-0.30")),
                  ("dr-incentive", "C-2.0", Decimal("2.0"), Decimal("-0.10")),
                  ("dr-credit", "C-1.5", Decimal("1.5"), Decimal("-0.30")),
                  ("dr-incentive", "C-1.5", Decimal("1.5"), Decimal("-0.08")),      # 0.075 -> 0.08 (half even)
                  ("dr-penalty", "C-1.5", Decimal("0.5"), Decimal("0.01"))]
    assert tax == Decimal("0.50")    # DR lines outside the tax base
    assert subtotal == Decimal("6.26") - Decimal("0.30") - Decimal("0.10") - Decimal("0.30") - Decimal("0.08") + Decimal("0.01")


def test_missing_interval_refuses_the_bill_naming_it():
    tariff = parse_tariff(TOU)
    readings = _readings([0.25] * 96)
    del readings[10]
    with pytest.raises(Conflict) as refusal:
        meter_totals(tariff, readings, DAY, DAY + timedelta(days=1))
    assert refusal.value.code == "metering-incomplete" and "2026-03-02T01:30:00+00:00" in str(refusal.value)


def test_mixed_granularity_is_refused():
    tariff = parse_tariff(TOU)
    hourly = [MeterReading(meter_id="M1", interval_start=DAY + timedelta(hours=12), interval_end=DAY + timedelta(hours=13),
                           energy_kwh=1.0, direction="import")]
    with pytest.raises(Conflict, match="one interval length"):
        meter_totals(tariff, _readings([0.25] * 48) + hourly, DAY, DAY + timedelta(days=1))


def test_estimated_readings_are_counted_not_hidden():
    tariff = parse_tariff(TOU)
    readings = _readings([0.25] * 90) + _readings([0.25] * 6, start=DAY + 90 * Q, quality="estimated")
    totals = meter_totals(tariff, readings, DAY, DAY + timedelta(days=1))
    bill = compose_bill(bill_id="B1", supplier=Supplier(domain="r.example", name="R", contact="billing@r.example"),
                        customer_ref="hmac-sha256:00", supply_point_id="M1", tariff=tariff, period_start=DAY,
                        period_end=DAY + timedelta(days=1), totals=totals, dr_credits=(), now=DAY + timedelta(days=2))
    assert bill.to_record()["metering"] == {"intervals_expected": 96, "intervals_actual": 96,
                                            "intervals_estimated": 6, "actual_share_pct": "93.75"}
    assert "interval_curve" not in bill.to_record()
    with_consent = compose_bill(bill_id="B1", supplier=bill.supplier, customer_ref="x", supply_point_id="M1",
                                tariff=tariff, period_start=DAY, period_end=DAY + timedelta(days=1), totals=totals,
                                dr_credits=(), now=DAY, curve_consent=True, curve=readings)
    assert len(with_consent.to_record()["interval_curve"]) == 96


@pytest.mark.parametrize("change, field", [
    ({"billing_mode": "usage-based"}, "/billing_mode"),
    ({"energy": {"kind": "time-of-use", "periods": [{"name": "a", "price_per_kwh": "1"},
                                                    {"name": "b", "price_per_kwh": "1"}]}}, "/energy/periods"),
    ({"energy": {"kind": "time-of-use", "periods": [
        {"name": "a", "price_per_kwh": "1"},
        {"name": "b", "price_per_kwh": "1", "windows": [{"days": ["mon"], "from": "10:00", "to": "09:00"}]}]}},
     "/energy/periods/1/windows/0/to"),
    ({"local_tz": "Mars/Olympus"}, "/local_tz"),
    ({"dr": {"cbl_method": "guess"}}, "/dr/cbl_method"),
])
def test_bad_tariffs_name_the_field(change, field):
    with pytest.raises(Rejected) as refusal:
        parse_tariff({**TOU, **change})
    assert refusal.value.errors[0].field == field


def test_tariff_record_round_trips():
    tariff = parse_tariff({**TOU, "dr": {"cbl_method": "10-of-10"}})
    assert parse_tariff(tariff.to_record()) == tariff


def test_period_must_be_whole_local_days():
    tariff = parse_tariff(TOU)
    totals = meter_totals(tariff, _readings([0.25] * 96, start=DAY + timedelta(hours=1)),
                          DAY + timedelta(hours=1), DAY + timedelta(hours=25))
    with pytest.raises(Rejected) as refusal:
        compose_bill(bill_id="B", supplier=Supplier(domain="d", name="n", contact="c"), customer_ref="x",
                     supply_point_id="M1", tariff=tariff, period_start=DAY + timedelta(hours=1),
                     period_end=DAY + timedelta(hours=25), totals=totals, dr_credits=(), now=DAY)
    assert refusal.value.errors[0].field == "/period_start"


def test_wh_rule_is_round_half_even_on_the_float():
    import numpy as np
    values = [0.0125, 0.0135, 1.0, 0.0004, 0.1 + 0.2]
    assert [to_wh(x) for x in values] == [12, 14, 1000, 0, 300]
    assert np.rint(np.array(values) * 1000).astype(int).tolist() == [to_wh(x) for x in values]


def test_pseudonyms_are_keyed_per_domain():
    master = b"m" * 32
    a = pseudonym(domain_key(master, "a.example"), "a.example", "customer", "alice")
    b = pseudonym(domain_key(master, "b.example"), "b.example", "customer", "alice")
    assert a != b and a.startswith("hmac-sha256:")
    assert a == pseudonym(domain_key(master, "a.example"), "a.example", "customer", "alice")
    assert a not in bare_hashes("alice")
    with pytest.raises(ValueError):
        pseudonym(b"short", "a", "customer", "alice")
