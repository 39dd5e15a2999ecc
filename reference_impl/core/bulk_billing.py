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

Input contract: complete data is a dense grid, so that is the layout asked for: readings sorted
by (customer, interval start), ``slot = (start - period_start) // granularity``, every customer
with every slot once; then sums per tariff period are one matrix product. Export readings, when
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


def _grid(columns: ReadingColumns, customers: int, slots: int, direction: str) -> np.ndarray:
    """The readings as a dense (customer, slot) grid: complete data, sorted by customer and slot,
    is exactly that, so checking the layout is the completeness check (no sort, no copies)."""
    customer, slot = columns.customer, columns.slot
    if customer.size == customers * slots:
        blocks = customer.reshape(customers, slots)
        if (blocks == np.arange(customers, dtype=customer.dtype)[:, None]).all() and \
                (slot.reshape(customers, slots) == np.arange(slots, dtype=slot.dtype)[None, :]).all():
            return np.rint(columns.energy_kwh * 1000).reshape(customers, slots)   # rule 1, as billing.to_wh
    counts = np.bincount(customer, minlength=customers)
    short = np.flatnonzero(counts != slots)
    if short.size:
        raise Conflict(FieldError("metering-incomplete", "/readings",
                                  f"customer #{int(short[0])} has {int(counts[short[0]])} of {slots} "
                                  f"{direction} intervals"))
    raise Conflict(FieldError("metering-incomplete", "/readings",
                              f"{direction} readings must be on the period's grid, sorted by customer and time, "
                              "with no interval repeated"))


def bulk_totals(tariff: Tariff, columns: ReadingColumns, customers: int, start: datetime, end: datetime,
                step: timedelta, exports: ReadingColumns | None = None) -> list[MeteredTotals]:
    """`MeteredTotals` per customer (index order), from import (and optional export) readings.

    Raises:
        Conflict: ``metering-incomplete`` when a customer lacks or repeats an import or export
            slot, or readings are not sorted by (customer, slot).
    """
    slots = (end - start) // step
    wh = _grid(columns, customers, slots, "import")
    exported = np.zeros(customers, dtype=np.int64)
    if exports is not None:
        exported = _grid(exports, customers, slots, "export").sum(axis=1).astype(np.int64)
    periods, prices = slot_classes(tariff, start, end, step)
    n_periods = len(tariff.period_names())
    # sums of whole Wh in float64 are exact (far below 2**53), so the matrix products are exact too
    per_period = (wh @ np.eye(n_periods)[periods]).astype(np.int64)
    dynamic = ((wh @ prices.astype(np.float64)).astype(np.int64) if tariff.energy_kind == "dynamic"
               else np.zeros(customers, dtype=np.int64))
    estimated = columns.estimated.reshape(customers, slots).sum(axis=1)
    counts = np.full(customers, slots)
    minutes = int(step / timedelta(minutes=1))
    return [MeteredTotals(import_wh=tuple(int(x) for x in per_period[c]), export_wh=int(exported[c]),
                          dynamic_micro=int(dynamic[c]), intervals_expected=slots, intervals_actual=int(counts[c]),
                          intervals_estimated=int(estimated[c]), granularity_minutes=minutes)
            for c in range(customers)]
