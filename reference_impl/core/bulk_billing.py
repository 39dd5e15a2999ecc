"""Metered totals for many customers at once, from columnar arrays (numpy), for billing runs of
thousands of supply points (bench/billing.py: 10,000 customers x a month of 15-minute data).

How it stays the same rules as the per-customer path (`billing.meter_totals`):
- Wh: ``np.rint(kwh * 1000)`` is the same IEEE multiplication and the same round-half-even as
  `billing.to_wh`'s ``round(kwh * 1000)``, so every reading counts the same number of Wh; sums
  are of integers (exact in float64 below 2**53, far above a customer-month).
- Tariff periods: every slot of the period's grid is classified once with `Tariff.period_of`
  (the same week table) and dynamic prices with `Tariff.dynamic_price`; readings take their
  slot's class.
- Completeness: each customer needs one import reading per slot; a missing or repeated slot
  refuses the batch (``metering-incomplete``), naming the customer, as the per-customer path does.
- Pricing of many customers is `bulk_pricing` (integer columns); a customer's bill can always
  be made by `billing.compose_bill` from `MeteredColumns.totals(c)`.
Tests (tests/reference_impl/core/test_bulk_billing.py) check both paths give equal totals and
equal bills.

Memory: the readings are walked in cache-sized blocks of customers (``ROW_CELLS``), so nothing
the size of the readings is allocated (a whole-array ``np.rint(kwh * 1000)`` made two 230 MB
temporaries for 28.8 M readings and cost ten times more).

Input contract: complete data is a dense grid, so that is the layout asked for: readings sorted
by (customer, interval start), ``slot = (start - period_start) // granularity``, every customer
with every slot once; then sums per tariff period are sums over fixed slot columns. Export readings, when
given, cover every customer's grid too (a customer who exported nothing has zeros). The caller
(an adapter) turns files or database rows into these arrays.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .billing import MeteredTotals
from .errors import Conflict, FieldError
from .tariffs import Tariff


@dataclass(frozen=True)
class ReadingColumns:
    """Import readings of many customers. ``customer``: index into the caller's customer list;
    ``slot``: interval number on the period's grid; ``energy_kwh``; ``estimated``: bool."""

    customer: np.ndarray
    slot: np.ndarray
    energy_kwh: np.ndarray
    estimated: np.ndarray


def slot_classes(tariff: Tariff, start: datetime, end: datetime, step: timedelta) -> tuple[np.ndarray, np.ndarray]:
    """(tariff period index, dynamic price in 1e-6 currency/kWh) of every slot of the grid."""
    count = (end - start) // step
    table = tariff.week_table()
    periods = np.empty(count, dtype=np.int64)
    prices = np.zeros(count, dtype=np.int64)
    for i in range(count):
        instant = start + i * step
        periods[i] = tariff.period_of(instant, table)
        if tariff.energy_kind == "dynamic":
            prices[i] = int(tariff.dynamic_price(instant) * 1_000_000)
    return periods, prices


ROW_CELLS = 1 << 18    # readings per block: a block's float64 buffer (2 MiB) stays in the CPU cache


@dataclass(frozen=True)
class MeteredColumns:
    """`MeteredTotals` of every customer as columns (index order). Complete data has every slot of
    the grid, so intervals expected = actual = ``intervals`` for everyone."""

    import_wh: np.ndarray           # (customers, tariff periods) int64, `Tariff.period_names()` order
    export_wh: np.ndarray           # (customers,) int64
    dynamic_micro: np.ndarray       # (customers,) int64: sum of Wh x price in 1e-6 currency/kWh
    estimated: np.ndarray           # (customers,) int64: estimated import readings
    intervals: int
    granularity_minutes: int

    def totals(self, customer: int) -> MeteredTotals:
        return MeteredTotals(import_wh=tuple(int(x) for x in self.import_wh[customer]),
                             export_wh=int(self.export_wh[customer]), dynamic_micro=int(self.dynamic_micro[customer]),
                             intervals_expected=self.intervals, intervals_actual=self.intervals,
                             intervals_estimated=int(self.estimated[customer]),
                             granularity_minutes=self.granularity_minutes)


def _refuse(columns: ReadingColumns, customers: int, slots: int, direction: str) -> Conflict:
    counts = np.bincount(columns.customer, minlength=customers)
    short = np.flatnonzero(counts != slots)
    if short.size:
        return Conflict(FieldError("metering-incomplete", "/readings",
                                   f"customer #{int(short[0])} has {int(counts[short[0]])} of {slots} "
                                   f"{direction} intervals"))
    return Conflict(FieldError("metering-incomplete", "/readings",
                               f"{direction} readings must be on the period's grid, sorted by customer and time, "
                               "with no interval repeated"))


def _sums(columns: ReadingColumns, customers: int, slots: int, direction: str,
          period_slots: list[np.ndarray] | None, prices: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per customer: Wh per tariff period (or in all, without ``period_slots``) and, with
    ``prices``, the sum of Wh x price. Complete data sorted by customer and slot is exactly the
    dense grid, so checking the layout is the completeness check. The grid is walked in blocks of
    rows that fit the CPU cache: one pass over memory, no array of the readings' size is made."""
    if columns.customer.size != customers * slots:
        raise _refuse(columns, customers, slots, direction)
    customer = columns.customer.reshape(customers, slots)
    slot = columns.slot.reshape(customers, slots)
    kwh = columns.energy_kwh.reshape(customers, slots)
    grid_slots = np.arange(slots, dtype=slot.dtype)
    rows = max(1, ROW_CELLS // max(slots, 1))
    buffer = np.empty((rows, slots))
    per_period = np.zeros((customers, len(period_slots) if period_slots else 1), dtype=np.int64)
    dynamic = np.zeros(customers, dtype=np.int64)
    for first in range(0, customers, rows):
        last = min(first + rows, customers)
        if not ((customer[first:last] == np.arange(first, last, dtype=customer.dtype)[:, None]).all()
                and (slot[first:last] == grid_slots).all()):
            raise _refuse(columns, customers, slots, direction)
        wh = buffer[:last - first]
        np.multiply(kwh[first:last], 1000, out=wh)       # rule 1, as billing.to_wh: kwh * 1000 ...
        np.rint(wh, out=wh)                              # ... rounded half to even
        # whole Wh in float64 sum exactly (far below 2**53)
        if period_slots is None:
            per_period[first:last, 0] = wh.sum(axis=1)
        else:
            for index, where in enumerate(period_slots):
                per_period[first:last, index] = wh[:, where].sum(axis=1)
        if prices is not None:
            dynamic[first:last] = (wh.astype(np.int64) * prices).sum(axis=1)
    return per_period, dynamic


def metered_columns(tariff: Tariff, columns: ReadingColumns, customers: int, start: datetime, end: datetime,
                    step: timedelta, exports: ReadingColumns | None = None) -> MeteredColumns:
    """Rules 1, 2, 6, 7 of `billing` for every customer at once.

    Raises:
        Conflict: ``metering-incomplete`` when a customer lacks or repeats an import or export
            slot, or readings are not sorted by (customer, slot).
    """
    slots = (end - start) // step
    periods, prices = slot_classes(tariff, start, end, step)
    period_slots = [np.flatnonzero(periods == index) for index in range(len(tariff.period_names()))]
    if len(period_slots) == 1:
        period_slots = None           # one period: a plain row sum, no gather
    per_period, dynamic = _sums(columns, customers, slots, "import", period_slots,
                                prices if tariff.energy_kind == "dynamic" else None)
    exported = np.zeros(customers, dtype=np.int64)
    if exports is not None:
        exported = _sums(exports, customers, slots, "export", None, None)[0][:, 0]
    estimated = np.count_nonzero(columns.estimated.reshape(customers, slots), axis=1).astype(np.int64)
    return MeteredColumns(import_wh=per_period, export_wh=exported, dynamic_micro=dynamic, estimated=estimated,
                          intervals=slots, granularity_minutes=int(step / timedelta(minutes=1)))


def bulk_totals(tariff: Tariff, columns: ReadingColumns, customers: int, start: datetime, end: datetime,
                step: timedelta, exports: ReadingColumns | None = None) -> list[MeteredTotals]:
    """`MeteredTotals` per customer (index order), from import (and optional export) readings.

    Raises:
        Conflict: as `metered_columns`.
    """
    metered = metered_columns(tariff, columns, customers, start, end, step, exports)
    return [metered.totals(c) for c in range(customers)]
