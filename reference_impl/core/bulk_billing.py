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
- Pricing is not vectorised: `billing.price_lines` and `billing.compose_bill` run per customer on
  the totals, so lines, rounding and totals come from the one implementation.
A test (tests/reference_impl/core/test_bulk_billing.py) checks both paths give equal totals and
equal bills.

Input contract: readings sorted by (customer, interval start), all on the period's grid
(``slot = (start - period_start) // granularity``); the caller (an adapter) turns files or
database rows into these arrays.
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


def _checked(columns: ReadingColumns, customers: int, slots: int, direction: str,
             optional: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    customer = columns.customer.astype(np.int64, copy=False)
    slot = columns.slot.astype(np.int64, copy=False)
    key = customer * slots + slot
    if key.size and (np.any(np.diff(key) <= 0) or slot.min() < 0 or slot.max() >= slots):
        raise Conflict(FieldError("metering-incomplete", "/readings",
                                  f"{direction} readings must be on the period's grid, sorted by customer and "
                                  "time, with no interval repeated"))
    counts = np.bincount(customer, minlength=customers)
    short = np.flatnonzero((counts != slots) & ~((counts == 0) & optional))
    if short.size:
        raise Conflict(FieldError("metering-incomplete", "/readings",
                                  f"customer #{int(short[0])} has {int(counts[short[0]])} of {slots} "
                                  f"{direction} intervals"))
    return customer, slot, counts


def bulk_totals(tariff: Tariff, columns: ReadingColumns, customers: int, start: datetime, end: datetime,
                step: timedelta, exports: ReadingColumns | None = None) -> list[MeteredTotals]:
    """`MeteredTotals` per customer (index order), from import (and optional export) readings.

    Raises:
        Conflict: ``metering-incomplete`` when a customer lacks or repeats an import slot (or
            has some export readings but not all), or readings are not sorted by (customer, slot).
    """
    slots = (end - start) // step
    customer, slot, counts = _checked(columns, customers, slots, "import", optional=False)
    exported = np.zeros(customers, dtype=np.int64)
    if exports is not None:
        e_customer, _, _ = _checked(exports, customers, slots, "export", optional=True)
        exported = np.bincount(e_customer, weights=np.rint(exports.energy_kwh * 1000),
                               minlength=customers).astype(np.int64)
    wh = np.rint(columns.energy_kwh * 1000)                     # rule 1, as billing.to_wh
    periods, prices = slot_classes(tariff, start, end, step)
    n_periods = len(tariff.period_names())
    per_period = np.bincount(customer * n_periods + periods[slot], weights=wh,
                             minlength=customers * n_periods).reshape(customers, n_periods).astype(np.int64)
    dynamic = (np.bincount(customer, weights=wh * prices[slot], minlength=customers).astype(np.int64)
               if tariff.energy_kind == "dynamic" else np.zeros(customers, dtype=np.int64))
    estimated = np.bincount(customer, weights=columns.estimated.astype(np.float64), minlength=customers).astype(np.int64)
    minutes = int(step / timedelta(minutes=1))
    return [MeteredTotals(import_wh=tuple(int(x) for x in per_period[c]), export_wh=int(exported[c]),
                          dynamic_micro=int(dynamic[c]), intervals_expected=slots, intervals_actual=int(counts[c]),
                          intervals_estimated=int(estimated[c]), granularity_minutes=minutes)
            for c in range(customers)]
