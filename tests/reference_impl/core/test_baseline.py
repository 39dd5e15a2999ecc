"""Customer baseline load methods (Y.2072 8.2.1 "billing"): high-4-of-5 (PJM-style), 10-of-10
(CAISO-style) and high-5-of-10 (NYISO-style), as specified in docs/baselines.md.

Every expected number is worked out by hand in a comment. Unless a test says otherwise the event
runs 14:00-16:00 local (slots 14, 15), the adjustment window is 10:00-13:00 (3 hours ending 1 hour
before the event: slots 10, 11, 12), intervals are hourly and the zone is Europe/Luxembourg.
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.core.baseline import (
    BaselineRequest, IntervalLoad, compute_baseline, delivered_reduction,
)
from reference_impl.core.errors import Rejected

LUX = ZoneInfo("Europe/Luxembourg")
UTC = timezone.utc
EVENT_DATE = date(2026, 6, 17)  # a Wednesday
D = lambda day: date(2026, 6, day)  # noqa: E731  (June 2026; 1 June is a Monday)


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=LUX)


def load(start: datetime, kwh: float, minutes: int = 60) -> IntervalLoad:
    # the end is computed in UTC, so it is right across a DST change too
    end = start.astimezone(UTC) + timedelta(minutes=minutes)
    return IntervalLoad(interval_start=start, interval_end=end, energy_kwh=kwh)


def day(d: date, event: tuple, adjust: tuple = (2, 2, 2)) -> list[IntervalLoad]:
    """One day's readings: adjustment slots 10, 11, 12 and event slots 14, 15."""
    return ([load(at(d, h), kwh) for h, kwh in zip((10, 11, 12), adjust)]
            + [load(at(d, h), kwh) for h, kwh in zip((14, 15), event)])


# The shared history: 12 weekdays, newest first, plus two weekends with high loads.
#            date    event 14, 15   adjustment 10, 11, 12
SHARED = [(D(16), (4, 5), (2, 2, 2)),   # d1  Tue
          (D(15), (3, 4), (1, 2, 3)),   # d2  Mon
          (D(12), (2, 3), (2, 2, 2)),   # d3  Fri
          (D(11), (5, 6), (3, 3, 3)),   # d4  Thu
          (D(10), (4, 4), (2, 1, 3)),   # d5  Wed
          (D(9), (2, 3), (2, 2, 2)),    # d6  Tue
          (D(8), (2, 4), (2, 2, 2)),    # d7  Mon
          (D(5), (3, 3), (2, 2, 2)),    # d8  Fri
          (D(4), (2, 3), (2, 2, 2)),    # d9  Thu
          (D(3), (3, 5), (2, 2, 2)),    # d10 Wed
          (D(2), (9, 9), (9, 9, 9)),    # d11: 11th weekday back, never a candidate
          (D(1), (9, 9), (9, 9, 9))]    # d12
WEEKENDS = [D(13), D(14), D(6), D(7)]
HISTORY = tuple(r for d, ev, adj in SHARED for r in day(d, ev, adj)) \
    + tuple(r for d in WEEKENDS for r in day(d, (9, 9), (9, 9, 9)))


def request(method: str, history=HISTORY, adjust_actual=(3, 3, 3), **changes) -> BaselineRequest:
    """The event day's actual import in slots 10, 11, 12 is ``adjust_actual``."""
    return BaselineRequest(method=method, event_start=at(EVENT_DATE, 14), event_end=at(EVENT_DATE, 16),
                           interval_minutes=60, history=tuple(history),
                           event_day=tuple(load(at(EVENT_DATE, h), kwh)
                                           for h, kwh in zip((10, 11, 12), adjust_actual)),
                           local_tz=LUX, **changes)


def rejected_field(req: BaselineRequest) -> tuple[str, str, str]:
    with pytest.raises(Rejected) as caught:
        compute_baseline(req)
    error = caught.value.errors[0]
    return error.field, error.code, error.message


# --- the three methods on the shared history -------------------------------------------------

def test_high_4_of_5():
    # Candidates: the 5 most recent weekdays d1..d5 (13/14 June are a weekend).
    # Event-window totals: d1 4+5=9, d2 3+4=7, d3 2+3=5, d4 5+6=11, d5 4+4=8 -> drop d3 (5).
    # Low-usage: day means 4.5 3.5 2.5 5.5 4.0, set mean 20/5 = 4.0, 25 % = 1.0 -> none low.
    # Unadjusted 14:00 = (4+3+5+4)/4 = 4.0; 15:00 = (5+4+6+4)/4 = 4.75.
    # Baseline over the adjustment window: slot 10 (2+1+3+2)/4 = 2.0, slot 11 (2+2+3+1)/4 = 2.0,
    # slot 12 (2+3+3+3)/4 = 2.75 -> mean 6.75/3 = 2.25. Actual (3+3+3)/3 = 3.0 -> adj = +0.75.
    # Adjusted: 4.0+0.75 = 4.75, 4.75+0.75 = 5.5; total 10.25.
    result = compute_baseline(request("high-4-of-5"))
    assert result.days_used == (D(10), D(11), D(15), D(16))
    assert result.days_excluded == ((D(12), "not-selected"), (D(13), "weekend"), (D(14), "weekend"))
    assert result.unadjusted_kwh == pytest.approx((4.0, 4.75))
    assert (result.adjustment_kind, result.adjustment) == ("additive", pytest.approx(0.75))
    assert result.adjusted_kwh == pytest.approx((4.75, 5.5))
    assert result.total_kwh() == pytest.approx(10.25)
    assert result.intervals == ((at(EVENT_DATE, 14), at(EVENT_DATE, 15)), (at(EVENT_DATE, 15), at(EVENT_DATE, 16)))


def test_high_4_of_5_baseline_is_floored_at_zero():
    # Every day's adjustment slots read 9, so the baseline there is 9; the actual reads 0:
    # adj = 0 - 9 = -9. Unadjusted (4.0, 4.75) + (-9) is negative -> floored at 0 kWh.
    history = [r for d, ev, _ in SHARED for r in day(d, ev, (9, 9, 9))]
    result = compute_baseline(request("high-4-of-5", history, adjust_actual=(0, 0, 0)))
    assert result.adjustment == pytest.approx(-9.0)
    assert result.adjusted_kwh == (0.0, 0.0)


# 10-of-10: candidates d1..d10, all used (13/14 and 6/7 June are weekends).
# Day means 4.5 3.5 2.5 5.5 4 2.5 3 3 2.5 4 -> set mean 3.5, 25 % = 0.875 -> none low.
# Unadjusted 14:00 = (4+3+2+5+4+2+2+3+2+3)/10 = 30/10 = 3.0; 15:00 = (5+4+3+6+4+3+4+3+3+5)/10 = 4.0.
# Adjustment-window baseline: slot 10 = 20/10 = 2.0, slot 11 = 20/10 = 2.0, slot 12 = 23/10 = 2.3
# -> mean 6.3/3 = 2.1. Cap: the adjustment applied to an interval is within ±20 % of that
# interval's unadjusted baseline: ±0.6 at 14:00, ±0.8 at 15:00.
@pytest.mark.parametrize("actual, adj, adjusted", [
    (2.4, 0.3, (3.3, 4.3)),    # 2.4-2.1 = +0.3: inside both caps
    (2.8, 0.7, (3.6, 4.7)),    # +0.7: capped to +0.6 at 14:00 only (interval by interval)
    (3.1, 1.0, (3.6, 4.8)),    # +1.0: capped up, 3.0*1.2 = 3.6 and 4.0*1.2 = 4.8
    (1.0, -1.1, (2.4, 3.2)),   # -1.1: capped down, 3.0*0.8 = 2.4 and 4.0*0.8 = 3.2
])
def test_10_of_10_with_its_cap(actual, adj, adjusted):
    result = compute_baseline(request("10-of-10", adjust_actual=(actual,) * 3))
    assert result.days_used == tuple(sorted(d for d, _, _ in SHARED[:10]))
    assert result.days_excluded == tuple((d, "weekend") for d in sorted(WEEKENDS))
    assert result.unadjusted_kwh == pytest.approx((3.0, 4.0))
    assert result.adjustment == pytest.approx(adj)   # reported before the cap
    assert result.adjusted_kwh == pytest.approx(adjusted)


# high-5-of-10: candidates d1..d10; event-window means d4 5.5, d1 4.5, d5 4.0, d10 4.0, d2 3.5
# are the top 5 (next are d7 and d8 at 3.0). Low-usage: as for 10-of-10, none.
# Unadjusted 14:00 = (5+4+4+3+3)/5 = 3.8; 15:00 = (6+5+4+5+4)/5 = 4.8.
# Adjustment-window baseline: slot 10 (3+2+2+2+1)/5 = 2.0, slot 11 (3+2+1+2+2)/5 = 2.0,
# slot 12 (3+2+3+2+3)/5 = 2.6 -> mean 6.6/3 = 2.2.
@pytest.mark.parametrize("actual, factor, adjusted", [
    (2.42, 1.1, (4.18, 5.28)),   # 2.42/2.2 = 1.1
    (3.0, 1.2, (4.56, 5.76)),    # 3.0/2.2 = 1.36 -> clamped to 1.2
    (1.1, 0.8, (3.04, 3.84)),    # 1.1/2.2 = 0.5 -> clamped to 0.8
])
def test_high_5_of_10_with_its_clamp(actual, factor, adjusted):
    result = compute_baseline(request("high-5-of-10", adjust_actual=(actual,) * 3))
    assert result.days_used == (D(3), D(10), D(11), D(15), D(16))
    assert dict(result.days_excluded) == {D(4): "not-selected", D(5): "not-selected", D(8): "not-selected",
                                          D(9): "not-selected", D(12): "not-selected",
                                          **{d: "weekend" for d in WEEKENDS}}
    assert result.unadjusted_kwh == pytest.approx((3.8, 4.8))
    assert (result.adjustment_kind, result.adjustment) == ("multiplicative", pytest.approx(factor))
    assert result.adjusted_kwh == pytest.approx(adjusted)


def test_high_5_of_10_zero_baseline_in_the_adjustment_window_gives_factor_1():
    # Adjustment slots all 0 -> baseline there 0 -> factor 1 whatever the actual (3.0) is.
    history = [r for d, ev, _ in SHARED for r in day(d, ev, (0, 0, 0))]
    result = compute_baseline(request("high-5-of-10", history))
    assert result.adjustment == 1.0
    assert result.adjusted_kwh == pytest.approx((3.8, 4.8))


# --- exclusions ------------------------------------------------------------------------------

@pytest.mark.parametrize("missing_hour", [15, 11])  # an event slot, then an adjustment slot
def test_exclusions_and_the_low_usage_replacement(missing_hour):
    # Walking back from 17 June: 16 holiday, 15 prior event day, 14/13 weekend, 12 ok,
    # 11 missing a needed slot, 10 ok, 9 ok, 8 ok, 7/6 weekend, 5 ok -> candidates 12 10 9 8 5.
    # Event-window means 4 4 0.5 4 4 -> set mean 16.5/5 = 3.3, 25 % = 0.825 -> 9 June is low,
    # replaced by the next older eligible day, 4 June (mean 3). 3 June is never examined.
    # Top 4 of 12 10 8 5 4 (means 4 4 4 4 3): 4 June is not selected. Baseline (4, 4), adj 2-2 = 0.
    days = {D(16): 4, D(15): 1, D(14): 9, D(13): 9, D(12): 4, D(11): 4, D(10): 4, D(9): 0.5,
            D(8): 4, D(5): 4, D(4): 3, D(3): 9}
    history = [r for d, level in days.items() for r in day(d, (level, level))
               if not (d == D(11) and r.interval_start.hour == missing_hour)]
    result = compute_baseline(request("high-4-of-5", history, adjust_actual=(2, 2, 2),
                                      holidays=frozenset({D(16)}), event_days=frozenset({D(15)})))
    assert result.days_used == (D(5), D(8), D(10), D(12))
    assert result.days_excluded == (
        (D(4), "not-selected"), (D(6), "weekend"), (D(7), "weekend"), (D(9), "low-usage"),
        (D(11), "missing-data"), (D(13), "weekend"), (D(14), "weekend"), (D(15), "event-day"),
        (D(16), "holiday"))
    assert result.adjusted_kwh == pytest.approx((4.0, 4.0))


def test_insufficient_history_names_history_and_the_counts():
    history = [r for d, ev, adj in SHARED[:3] for r in day(d, ev, adj)]  # 16, 15, 12 June only
    field, code, message = rejected_field(request("high-4-of-5", history))
    assert (field, code) == ("/history", "insufficient-history")
    assert "needs 5" in message and "found 3" in message


def test_insufficient_history_after_the_low_usage_replacement():
    # 5 weekdays 16 15 12 11 10 June; 10 June (mean 0.1 < 25 % of 3.02) is dropped and there is
    # no older day to replace it: 4 found, 5 needed.
    levels = {D(16): 4, D(15): 4, D(12): 4, D(11): 3, D(10): 0.1}
    history = [r for d, level in levels.items() for r in day(d, (level, level))]
    field, code, message = rejected_field(request("high-4-of-5", history))
    assert (field, code) == ("/history", "insufficient-history")
    assert "needs 5" in message and "found 4" in message


def test_look_back_is_45_days():
    # 4 weekdays in June plus one older weekday reading 5 kWh: 4 May is 44 days before 17 June
    # and is used (highest total, 10); 1 May is 47 days back, outside the look-back: 4 found.
    recent = [r for d in (D(16), D(15), D(12), D(11)) for r in day(d, (4, 4))]
    within = compute_baseline(request("high-4-of-5", recent + day(date(2026, 5, 4), (5, 5))))
    assert date(2026, 5, 4) in within.days_used
    field, _, message = rejected_field(request("high-4-of-5", recent + day(date(2026, 5, 1), (5, 5))))
    assert field == "/history" and "needs 5" in message and "found 4" in message


# --- DST -------------------------------------------------------------------------------------

def local_days(first: date, last: date) -> list[IntervalLoad]:
    """Hourly readings for whole local days, given in UTC; each reads its local hour in kWh
    (14:00 local -> 14 kWh). 29 March 2026 has 23 readings (no 02:00)."""
    out, d = [], first
    while d <= last:
        t = datetime(d.year, d.month, d.day, tzinfo=LUX).astimezone(UTC)
        nxt = d + timedelta(days=1)
        end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=LUX).astimezone(UTC)
        while t < end:
            out.append(IntervalLoad(interval_start=t, interval_end=t + timedelta(hours=1),
                                    energy_kwh=float(t.astimezone(LUX).hour)))
            t += timedelta(hours=1)
        d = nxt
    return out


def test_history_across_spring_forward_aligns_wall_clock_hours():
    # Event Wed 1 April 14:00-16:00 CEST. Candidates 31 Mar, 30 Mar (CEST, UTC+2) and 27, 26, 25
    # Mar (CET, UTC+1); 29 March (the 23-hour day) is a Sunday. 14:00 local is 12:00Z on CEST
    # days but 13:00Z on CET days; aligned by wall clock every day reads 14 at 14:00, 15 at 15:00.
    # All totals tie (29), so the 4 most recent win: 31, 30, 27, 26 March; 25 March not selected.
    # Baseline (14, 15); adjustment window 10-12 reads (10+11+12)/3 = 11 both in history and on
    # the event day -> adj 0 -> adjusted (14, 15). Aligned by UTC hour it would not be 14/15.
    event_day = tuple(local_days(date(2026, 4, 1), date(2026, 4, 1)))
    req = BaselineRequest(method="high-4-of-5", event_start=datetime(2026, 4, 1, 14, tzinfo=LUX),
                          event_end=datetime(2026, 4, 1, 16, tzinfo=LUX), interval_minutes=60,
                          history=tuple(local_days(date(2026, 3, 20), date(2026, 3, 31))),
                          event_day=event_day, local_tz=LUX)
    result = compute_baseline(req)
    assert result.days_used == (date(2026, 3, 26), date(2026, 3, 27), date(2026, 3, 30), date(2026, 3, 31))
    assert result.unadjusted_kwh == (14.0, 15.0)
    assert result.adjustment == 0.0 and result.adjusted_kwh == (14.0, 15.0)


@pytest.mark.parametrize("event_day, expected", [
    # 23-hour day: 01:00-04:00 local is two hours, 01:00 CET and 03:00 CEST
    (date(2026, 3, 29), (1.0, 3.0)),
    # 25-hour day: 01:00-04:00 local is four hours, 01:00, 02:00 CEST, 02:00 CET, 03:00
    (date(2026, 10, 25), (1.0, 2.0, 2.0, 3.0)),
])
def test_event_on_a_dst_day_uses_the_slot_of_each_wall_clock_hour(event_day, expected):
    # History days read their local hour. Adjustment window: 1 hour, no gap -> 00:00-01:00,
    # reading 0 in history and on the event day -> adj 0.
    history = local_days(event_day - timedelta(days=14), event_day - timedelta(days=1))
    req = BaselineRequest(method="high-4-of-5", event_start=datetime(*event_day.timetuple()[:3], 1, tzinfo=LUX),
                          event_end=datetime(*event_day.timetuple()[:3], 4, tzinfo=LUX), interval_minutes=60,
                          history=tuple(history), event_day=tuple(local_days(event_day, event_day)),
                          adjustment_hours=1, adjustment_gap_hours=0, local_tz=LUX)
    assert compute_baseline(req).adjusted_kwh == expected


# --- validation ------------------------------------------------------------------------------

def _history_with(index: int, new: IntervalLoad) -> tuple[IntervalLoad, ...]:
    return HISTORY[:index] + (new,) + HISTORY[index + 1:]


@pytest.mark.parametrize("changes, field, code", [
    ({"history": _history_with(0, IntervalLoad(interval_start=datetime(2026, 6, 16, 10),
                                               interval_end=datetime(2026, 6, 16, 11), energy_kwh=2))},
     "/history/0/interval_start", "invalid-value"),                                   # naive
    ({"history": _history_with(1, load(at(D(16), 11), -1.0))}, "/history/1/energy_kwh", "out-of-range"),
    ({"history": _history_with(2, load(at(D(16), 12, 30), 2))}, "/history/2/interval_start", "off-grid"),
    ({"history": _history_with(0, load(at(D(16), 10), 2, minutes=30))}, "/history/0/interval_end", "off-grid"),
    ({"history": _history_with(1, load(at(D(16), 10), 2))}, "/history/1/interval_start", "duplicate"),
    ({"history": HISTORY + (load(at(EVENT_DATE, 9), 2),)}, f"/history/{len(HISTORY)}/interval_start",
     "out-of-range"),                                                                 # not a prior day
    ({"event_day": (load(at(EVENT_DATE, 10), math.nan),)}, "/event_day/0/energy_kwh", "invalid-type"),
    ({"event_day": (load(at(EVENT_DATE, 10), 3),)}, "/event_day", "metering-incomplete"),
    ({"event_start": datetime(2026, 6, 17, 14)}, "/event_start", "invalid-value"),    # naive
    ({"event_end": at(EVENT_DATE, 13)}, "/event_end", "invalid-interval"),
    ({"method": "high-3-of-4"}, "/method", "invalid-value"),
    ({"interval_minutes": 20}, "/interval_minutes", "invalid-value"),
    ({"adjustment_hours": 0.1}, "/adjustment_hours", "off-grid"),
    ({"adjustment_hours": 0}, "/adjustment_hours", "out-of-range"),
    ({"adjustment_gap_hours": 12}, "/adjustment_hours", "out-of-range"),             # off the event day
])
def test_invalid_requests_are_rejected_naming_the_field(changes, field, code):
    assert rejected_field(replace(request("high-4-of-5"), **changes))[:2] == (field, code)


# --- delivered reduction ---------------------------------------------------------------------

def test_delivered_reduction_is_baseline_minus_actual_per_interval_unclipped():
    # Baseline (4.75, 5.5) from test_high_4_of_5; actual 3.75 and 6.0, sent in UTC (12:00Z is
    # 14:00 CEST) with an extra reading outside the window: 4.75-3.75 = +1.0, 5.5-6.0 = -0.5.
    result = compute_baseline(request("high-4-of-5"))
    actual = [load(datetime(2026, 6, 17, h, tzinfo=UTC), kwh) for h, kwh in ((12, 3.75), (13, 6.0), (14, 9.0))]
    reduction = delivered_reduction(result, actual)
    assert len(reduction) == len(result.adjusted_kwh) == 2
    assert reduction == pytest.approx((1.0, -0.5))


@pytest.mark.parametrize("actual, field, code", [
    ([load(at(EVENT_DATE, 14), 3.0)], "/actual", "metering-incomplete"),
    ([load(at(EVENT_DATE, 14), -3.0), load(at(EVENT_DATE, 15), 3.0)], "/actual/0/energy_kwh", "out-of-range"),
])
def test_delivered_reduction_refuses_incomplete_or_bad_readings(actual, field, code):
    with pytest.raises(Rejected) as caught:
        delivered_reduction(compute_baseline(request("high-4-of-5")), actual)
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == (field, code)


# --- property: the baseline is linear in the data --------------------------------------------

WEEKDAYS = [d for d, _, _ in SHARED]


@st.composite
def scaled_scenarios(draw):
    # Event totals 200 + 20*rank + (0..18) are distinct (steps of at least 2), so the choice of
    # days cannot flip under rounding, and no day falls below 25 % of the mean (100 vs <= 55).
    ranks = draw(st.permutations(range(len(WEEKDAYS))))
    small, big = st.integers(0, 9), st.integers(0, 400)
    history = [r for d, rank in zip(WEEKDAYS, ranks)
               for r in day(d, (100 + 20 * rank + draw(small), 100 + draw(small)),
                            tuple(draw(big) for _ in range(3)))]
    actual = tuple(draw(big) for _ in range(3))
    method = draw(st.sampled_from(["high-4-of-5", "10-of-10", "high-5-of-10"]))
    k = draw(st.floats(0.01, 100, allow_nan=False, allow_infinity=False))
    return method, history, actual, k


@settings(derandomize=True, max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scaled_scenarios())
def test_scaling_all_loads_by_k_scales_the_adjusted_baseline_by_k(scenario):
    method, history, actual, k = scenario
    base = compute_baseline(request(method, history, actual))
    scaled = compute_baseline(request(method, [replace(r, energy_kwh=k * r.energy_kwh) for r in history],
                                      tuple(k * a for a in actual)))
    assert scaled.days_used == base.days_used
    for got, want in zip(scaled.adjusted_kwh, base.adjusted_kwh):
        # relative 1e-9, measured against the size of the data (loads up to 400 kWh), so an
        # additive baseline that cancels to about 0 is not compared digit by digit
        assert math.isclose(got, k * want, rel_tol=1e-9, abs_tol=1e-9 * k * 400)
