"""The vectorised billing path agrees with the per-customer one: equal metered totals and equal
bills, on seeded random data with estimated readings, exports and a time-of-use tariff across a
daylight-saving change; and it refuses incomplete data as the per-customer path does."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from reference_impl.core.billing import Supplier, compose_bill, meter_totals
from reference_impl.core.bulk_billing import ReadingColumns, bulk_totals
from reference_impl.core.delivery import MeterReading
from reference_impl.core.errors import Conflict
from reference_impl.core.tariffs import parse_tariff

START = datetime(2026, 3, 24, 23, tzinfo=timezone.utc)   # 2026-03-25 local; DST starts 2026-03-29
END = datetime(2026, 3, 31, 22, tzinfo=timezone.utc)     # 2026-04-01 local (a 23-hour day inside)
STEP = timedelta(minutes=15)
TARIFF = {"tariff_id": "TOU-1", "currency": "EUR", "billing_mode": "time-of-use", "local_tz": "Europe/Luxembourg",
          "energy": {"kind": "time-of-use", "periods": [
              {"name": "off-peak", "price_per_kwh": "0.1834"},
              {"name": "peak", "price_per_kwh": "0.3011",
               "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "07:15", "to": "21:45"}]},
              {"name": "weekend", "price_per_kwh": "0.15", "windows": [{"days": ["sat", "sun"], "from": "10:00", "to": "16:00"}]}]},
          "standing_charge_per_day": "0.4567", "feed_in_price_per_kwh": "0.0713", "tax": {"name": "VAT", "rate_pct": "17"}}


def _data(customers: int, seed: int):
    rng = np.random.default_rng(seed)
    slots = (END - START) // STEP
    customer = np.repeat(np.arange(customers), slots)
    slot = np.tile(np.arange(slots), customers)
    kwh = np.round(rng.gamma(2.0, 0.08, customer.size), 4)       # 0.1 Wh resolution: rounding ties occur
    kwh[rng.random(customer.size) < 0.02] = 0.0125                 # exact half-Wh ties
    estimated = rng.random(customer.size) < 0.01
    export = np.round(rng.random(customer.size) * 0.2, 4)
    return customer, slot, kwh, estimated, export


def test_both_paths_give_equal_totals_and_bills():
    tariff = parse_tariff(TARIFF)
    customer, slot, kwh, estimated, export = _data(6, seed=20260325)
    bulk = bulk_totals(tariff, ReadingColumns(customer, slot, kwh, estimated), 6, START, END, STEP,
                       exports=ReadingColumns(customer, slot, export, np.zeros_like(estimated)))
    supplier = Supplier(domain="r.example", name="R", contact="billing@r.example")
    for c in range(6):
        mine = customer == c
        readings = [MeterReading(meter_id=f"M{c}", interval_start=START + int(s) * STEP,
                                 interval_end=START + (int(s) + 1) * STEP, energy_kwh=float(v), direction="import",
                                 quality="estimated" if e else "actual")
                    for s, v, e in zip(slot[mine], kwh[mine], estimated[mine])]
        readings += [MeterReading(meter_id=f"M{c}", interval_start=START + int(s) * STEP,
                                  interval_end=START + (int(s) + 1) * STEP, energy_kwh=float(v), direction="export")
                     for s, v in zip(slot[mine], export[mine])]
        single = meter_totals(tariff, readings, START, END)
        assert bulk[c] == single
        bills = [compose_bill(bill_id=f"B{c}", supplier=supplier, customer_ref="hmac-sha256:" + "0" * 64,
                              supply_point_id=f"M{c}", tariff=tariff, period_start=START, period_end=END,
                              totals=totals, dr_credits=(), now=END).to_record() for totals in (bulk[c], single)]
        assert bills[0] == bills[1]
    assert {len(t.import_wh) for t in bulk} == {3} and sum(t.intervals_estimated for t in bulk) > 0


def test_a_missing_or_repeated_interval_refuses_the_batch():
    tariff = parse_tariff(TARIFF)
    customer, slot, kwh, estimated, _ = _data(3, seed=1)
    keep = np.ones(customer.size, dtype=bool)
    keep[700] = False
    with pytest.raises(Conflict, match="customer #1 has"):
        bulk_totals(tariff, ReadingColumns(customer[keep], slot[keep], kwh[keep], estimated[keep]), 3, START, END, STEP)
    repeated = np.insert(slot, 5, slot[5])
    with pytest.raises(Conflict, match="customer #0 has 669 of 668"):
        bulk_totals(tariff, ReadingColumns(np.insert(customer, 5, 0), repeated, np.insert(kwh, 5, 0.1),
                                           np.insert(estimated, 5, False)), 3, START, END, STEP)
    swapped = slot.copy()
    swapped[[10, 11]] = swapped[[11, 10]]
    with pytest.raises(Conflict, match="sorted by customer and time"):
        bulk_totals(tariff, ReadingColumns(customer, swapped, kwh, estimated), 3, START, END, STEP)
