"""Meter readings and delivery verification: metered energy against contracted energy within
the contract's tolerance, only on complete data after the window (Y.2072 7.5, 8.2.1, 9.4)."""
from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from decimal import Decimal

import pytest

from reference_impl.core.contracts import Contract
from reference_impl.core.delivery import HeldReadings, MeterReading, parse_readings, verify_delivery
from reference_impl.core.errors import Conflict, Rejected
from reference_impl.core.products import Product, Resource, SettlementRules


def at(hour: float) -> datetime:
    return datetime(2026, 6, 1, tzinfo=timezone.utc) + timedelta(hours=hour)


WINDOW_END = at(14)  # contracts run 12:00-14:00


def resource(rid, meter, kind="generator"):
    return Resource(resource_id=rid, owner_id="S", kind=kind, max_power_kw=20.0, voltage_v=230.0, meter_id=meter)


RESOURCES = {r.resource_id: r for r in (resource("PV1", "M1"), resource("BAT1", "M2", "storage"),
                                        resource("LOAD1", "ML", "load"))}


def product(resource_ids=("PV1",), product_type="generation", baseline_kw=None):
    return Product(product_id="P1", owner_id="S", name="", product_type=product_type,
                   resource_ids=resource_ids, max_power_kw=20.0, voltage_v=230.0, available_from=at(10),
                   available_until=at(18), quality="firm", baseline_kw=baseline_kw)


def contract(contract_id="CT-1", kwh=30.0, product_type="generation"):
    return Contract(contract_id=contract_id, product_id="P1", product_type=product_type, seller_id="S",
                    buyer_id="B", sell_bid_id="SB", buy_bid_id=f"BB-{contract_id}", energy_kwh=kwh,
                    price_per_kwh=Decimal("0.13"), currency="EUR", delivery_start=at(12),
                    delivery_end=WINDOW_END, rules=SettlementRules(), signed_at=at(9))


def reading(start, end, kwh, meter="M1", direction="export"):
    return MeterReading(meter_id=meter, interval_start=at(start), interval_end=at(end), energy_kwh=kwh,
                        direction=direction)


def two_hours(total, meter="M1", direction="export"):
    """Readings covering 12:00-14:00 in two hourly intervals that sum to ``total``."""
    return [reading(12, 13, total / 2, meter, direction), reading(13, 14, total / 2, meter, direction)]


def verify(readings, contract_=None, product_=None, peers=(), now=WINDOW_END):
    return verify_delivery(contract_ or contract(), product_ or product(), RESOURCES, readings, peers, now)


# --- tolerance -----------------------------------------------------------------------------------

@pytest.mark.parametrize("metered, fulfilled, shortfall", [
    (29.0, True, 1.0),    # within the 5 % tolerance (threshold 28.5)
    (28.5, True, 1.5),    # exactly at the threshold
    (28.4, False, 1.6),   # below it
    (33.0, True, 0.0),    # over-delivery is no breach
])
def test_delivered_energy_against_the_tolerance(metered, fulfilled, shortfall):
    delivered, report = verify(two_hours(metered))
    assert delivered.state == "delivered"
    assert report.delivered_kwh == pytest.approx(metered)
    assert (report.contracted_kwh, report.threshold_kwh, report.tolerance_pct) == (30.0, 28.5, 5.0)
    assert report.fulfilled is fulfilled
    assert report.shortfall_kwh == pytest.approx(shortfall)
    assert (report.meters, report.readings_used, report.verified_at) == (("M1",), 2, WINDOW_END)


def test_import_readings_do_not_count_as_generation():
    _, report = verify(two_hours(29.0) + two_hours(6.0, direction="import"))
    assert report.delivered_kwh == 29.0 and report.readings_used == 4


def test_readings_outside_the_window_and_of_other_meters_are_ignored():
    extra = [reading(11, 12, 50.0), reading(14, 15, 50.0), reading(12, 14, 50.0, meter="M-other")]
    _, report = verify(two_hours(20.0) + extra)
    assert report.delivered_kwh == 20.0 and report.readings_used == 2


# --- completeness and timing ---------------------------------------------------------------------

@pytest.mark.parametrize("readings", [
    pytest.param([reading(12, 12.5, 10), reading(13, 14, 20)], id="gap-in-the-middle"),
    pytest.param([reading(12, 13, 15), reading(13, 13.75, 15)], id="last-interval-missing"),
    pytest.param([reading(12.25, 14, 30)], id="first-interval-missing"),
    pytest.param([], id="no-readings"),
])
def test_incomplete_metering_is_a_conflict(readings):
    with pytest.raises(Conflict) as caught:
        verify(readings)
    assert (caught.value.code, caught.value.errors[0].field) == ("metering-incomplete", "/readings")


def test_every_meter_behind_the_product_must_cover_the_window():
    with pytest.raises(Conflict, match="meter M2") as caught:
        verify(two_hours(30.0, "M1"), product_=product(("PV1", "BAT1")))
    assert caught.value.code == "metering-incomplete"
    _, report = verify(two_hours(20.0, "M1") + two_hours(10.0, "M2"), product_=product(("PV1", "BAT1")))
    assert (report.delivered_kwh, report.meters) == (30.0, ("M1", "M2"))


def test_verifying_before_the_window_ends_is_a_conflict():
    with pytest.raises(Conflict) as caught:
        verify(two_hours(30.0), now=WINDOW_END - timedelta(seconds=1))
    assert (caught.value.code, caught.value.errors[0].field) == ("delivery-not-over", "/contract_id")


def test_verifying_twice_is_a_conflict():
    delivered, _ = verify(two_hours(30.0))
    with pytest.raises(Conflict) as caught:
        verify(two_hours(30.0), contract_=delivered)
    assert caught.value.code == "illegal-transition"


# --- demand reduction and pro rata --------------------------------------------------------------

def test_demand_reduction_is_baseline_minus_import():
    # baseline 10 kW x 2 h = 20 kWh; 12 kWh imported -> 8 kWh of reduction delivered
    dr = product(("LOAD1",), "demand-reduction", baseline_kw=10.0)
    _, report = verify(two_hours(12.0, "ML", "import"), contract(kwh=8.0, product_type="demand-reduction"), dr)
    assert report.delivered_kwh == 8.0 and report.fulfilled is True


def test_demand_reduction_never_goes_negative():
    dr = product(("LOAD1",), "demand-reduction", baseline_kw=10.0)
    _, report = verify(two_hours(26.0, "ML", "import"), contract(kwh=8.0, product_type="demand-reduction"), dr)
    assert (report.delivered_kwh, report.shortfall_kwh, report.fulfilled) == (0.0, 8.0, False)


def test_delivery_is_split_pro_rata_between_contracts_on_one_product():
    big, small = contract("CT-A", kwh=20.0), contract("CT-B", kwh=10.0)
    readings = two_hours(27.0)
    _, report_big = verify(readings, big, peers=[big, small])
    _, report_small = verify(readings, small, peers=[big, small])
    assert (report_big.delivered_kwh, report_small.delivered_kwh) == (18.0, 9.0)
    assert (report_big.threshold_kwh, report_big.fulfilled) == (19.0, False)
    assert (report_small.shortfall_kwh, report_small.fulfilled) == (1.0, False)


# --- parse_readings ------------------------------------------------------------------------------

def raw_reading(start="2026-06-01T12:00:00Z", end="2026-06-01T13:00:00Z", **changes):
    return {"interval_start": start, "interval_end": end, "energy_kwh": 15.0, "direction": "export",
            **changes}


def test_parse_readings_reads_a_batch():
    parsed = parse_readings("M1", [raw_reading(), raw_reading("2026-06-01T13:00:00Z", "2026-06-01T14:00:00Z",
                                                              quality="estimated")])
    assert [(r.meter_id, r.interval_start, r.quality) for r in parsed] == [
        ("M1", at(12), "actual"), ("M1", at(13), "estimated")]


def _drop(field):
    good = raw_reading()
    del good[field]
    return good


@pytest.mark.parametrize("batch, code, field", [
    ([raw_reading(), raw_reading(energy_kwh="15")], "invalid-type", "/readings/1/energy_kwh"),
    ([raw_reading(), raw_reading(), raw_reading(energy_kwh=-1)], "out-of-range", "/readings/2/energy_kwh"),
    ([_drop("direction")], "missing-field", "/readings/0/direction"),
    ([raw_reading(direction="sideways")], "invalid-value", "/readings/0/direction"),
    ([raw_reading(), raw_reading(end="2026-06-01T11:00:00Z")], "invalid-interval", "/readings/1/interval_end"),
    ([raw_reading(start="2026-06-01T12:00:00")], "invalid-value", "/readings/0/interval_start"),
    ([raw_reading(), "not a reading"], "malformed", "/readings/1"),
    ([], "invalid-type", "/readings"),
])
def test_parse_readings_names_the_bad_reading(batch, code, field):
    with pytest.raises(Rejected) as caught:
        parse_readings("M1", batch)
    assert [(e.code, e.field) for e in caught.value.errors] == [(code, field)]


# --- demand reduction against a customer baseline (core.baseline) ---------------------------------

LUX = ZoneInfo("Europe/Luxembourg")


def cbl_product(method="high-4-of-5"):
    return replace(product(("LOAD1",), "demand-reduction"), baseline_method=method)


def cbl_readings(history_days=5, event_day_level=6.0, event_actual=(4.0, 4.0)):
    """Hourly import on meter ML. 2026-06-01 is a Monday; history is the weekdays before it
    (29, 28, 27, 26, 25 May), 08:00-14:00 UTC at 5 kWh/h; on the event day 08:00-11:00 UTC at
    ``event_day_level`` (the adjustment window: the 3 hours ending 1 hour before 12:00) and the
    event window 12:00-14:00 at ``event_actual``."""
    readings, day = [], datetime(2026, 6, 1, tzinfo=timezone.utc)
    while history_days:
        day -= timedelta(days=1)
        if day.weekday() >= 5:
            continue
        history_days -= 1
        for hour in range(8, 14):
            start = day + timedelta(hours=hour)
            readings.append(MeterReading(meter_id="ML", interval_start=start, interval_end=start + timedelta(hours=1),
                                         energy_kwh=5.0, direction="import"))
    readings += [reading(h, h + 1, event_day_level, "ML", "import") for h in (8, 9, 10)]
    readings += [reading(12 + i, 13 + i, kwh, "ML", "import") for i, kwh in enumerate(event_actual)]
    return readings


def test_reduction_is_measured_against_the_adjusted_customer_baseline():
    # high-4-of-5: every candidate day is 5 kWh/h, so the unadjusted baseline is 5 kWh per hour.
    # Adjustment window 08:00-11:00 UTC: actual 6 kWh/h against a baseline of 5 -> +1 kWh per hour.
    # Adjusted baseline 6 kWh/h over 12:00-14:00 = 12 kWh; actual 8 kWh -> 4 kWh reduced.
    _, report = verify_delivery(contract(kwh=4.0, product_type="demand-reduction"), cbl_product(), RESOURCES,
                                cbl_readings(), (), WINDOW_END, local_tz=LUX)
    assert (report.delivered_kwh, report.baseline_kwh, report.baseline_adjustment) == (4.0, 12.0, 1.0)
    assert report.baseline_method == "high-4-of-5" and report.fulfilled


def test_without_the_in_day_adjustment_the_same_data_would_fall_short():
    # the same site with a flat-looking event day (5 kWh/h before the event): no adjustment,
    # baseline 10 kWh, actual 8 -> only 2 of 4 kWh reduced.
    _, report = verify_delivery(contract(kwh=4.0, product_type="demand-reduction"), cbl_product(), RESOURCES,
                                cbl_readings(event_day_level=5.0), (), WINDOW_END, local_tz=LUX)
    assert (report.delivered_kwh, report.baseline_adjustment, report.fulfilled) == (2.0, 0.0, False)


def test_short_history_means_the_delivery_cannot_be_judged_yet():
    with pytest.raises(Conflict) as caught:
        verify_delivery(contract(kwh=4.0, product_type="demand-reduction"), cbl_product(), RESOURCES,
                        cbl_readings(history_days=3), (), WINDOW_END, local_tz=LUX)
    assert [(e.code, e.field) for e in caught.value.errors] == [("insufficient-history", "/history")]


# --- the index of held readings (overlap by binary search) ---------------------------------------

def quarter(start_min, end_min, kwh=1.0, direction="import"):
    base = datetime(2026, 6, 1, tzinfo=timezone.utc)
    return MeterReading(meter_id="M1", interval_start=base + timedelta(minutes=start_min),
                        interval_end=base + timedelta(minutes=end_min), energy_kwh=kwh, direction=direction)


HELD = [quarter(0, 15), quarter(15, 30), quarter(60, 75)]


@pytest.mark.parametrize("new, overlaps", [
    (quarter(30, 45), False),    # fills the next slot
    (quarter(45, 60), False),    # the gap before 60
    (quarter(15, 30), False),    # the same interval: a repeat, not an overlap
    (quarter(10, 25), True),     # straddles two held intervals
    (quarter(20, 25), True),     # inside a held interval
    (quarter(55, 70), True),     # runs into the next held interval
    (quarter(0, 30), True),      # spans two held intervals from the same start
    (quarter(-10, 5), True),     # starts before everything held
    (quarter(70, 90), True),     # starts inside the last held interval
    (quarter(10, 25, direction="export"), False),  # another direction is another register
])
def test_held_readings_find_overlaps_by_their_neighbours(new, overlaps):
    held = HeldReadings(HELD)
    assert (held.overlap_error(new, 0) is not None) is overlaps


def test_held_readings_agree_with_a_full_scan_on_random_batches():
    rng = random.Random(7)
    held, kept = HeldReadings(), []
    for _ in range(2000):
        start = rng.randrange(0, 5000)
        new = quarter(start, start + rng.choice((5, 15, 30)), direction=rng.choice(("import", "export")))
        scan = any(o.direction == new.direction and o.interval_start < new.interval_end
                   and new.interval_start < o.interval_end
                   and (o.interval_start, o.interval_end) != (new.interval_start, new.interval_end) for o in kept)
        assert (held.overlap_error(new, 0) is not None) is scan
        if not scan and held.same_interval(new) is None:
            held.add(new)
            kept.append(new)
