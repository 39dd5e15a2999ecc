"""The integer columns of `bulk_pricing` give exactly `billing.price_lines`'s lines, subtotal, tax and
total, as the same text, for random tariffs (every energy kind, feed-in, standing charge,
subscription, tax, both rounding modes, quanta 1 .. 0.000001, negative dynamic prices) and random
metered totals with rounding ties; big numbers go over to Python integers without wrapping."""
from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impl.core.billing import MeteredTotals, price_lines
from reference_impl.core.bulk_billing import MeteredColumns
from reference_impl.core.bulk_pricing import price_columns
from reference_impl.core.errors import Rejected
from reference_impl.core.tariffs import parse_tariff

_PRICE = st.builds(lambda units, places: str(Decimal(units).scaleb(-places)),
                   st.integers(0, 400_000), st.integers(0, 6)) | st.sampled_from(["0.5", "0.25", "0.15", "0.125", "1.5"])
_WINDOWS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "20:00"}]


@st.composite
def tariffs(draw) -> dict:
    kind = draw(st.sampled_from(["flat", "time-of-use", "dynamic", "subscription"]))
    mode = {"flat": "usage-based", "subscription": "subscription"}.get(kind, "time-of-use")
    energy: dict = {"kind": kind}
    if kind == "flat":
        energy["price_per_kwh"] = draw(_PRICE)
    elif kind == "subscription":
        energy["fee_per_day"] = draw(_PRICE)
    elif kind == "time-of-use":
        energy["periods"] = [{"name": "off-peak", "price_per_kwh": draw(_PRICE)},
                             {"name": "peak", "price_per_kwh": draw(_PRICE), "windows": _WINDOWS},
                             {"name": "weekend", "price_per_kwh": draw(_PRICE),
                              "windows": [{"days": ["sat"], "from": "10:00", "to": "16:00"}]}]
    else:
        energy["prices"] = [{"start": "2026-06-01T00:00:00+00:00", "end": "2026-07-01T00:00:00+00:00",
                             "price_per_kwh": "0.2"}]
    raw = {"tariff_id": "T", "currency": "EUR", "billing_mode": mode, "energy": energy,
           "standing_charge_per_day": draw(st.sampled_from(["0", "0.5", "0.4567", "1.333333"])),
           "rounding": {"quantum": draw(st.sampled_from(["1", "0.1", "0.01", "0.001", "0.000001"])),
                        "mode": draw(st.sampled_from(["half-even", "half-up"]))}}
    if draw(st.booleans()):
        raw["feed_in_price_per_kwh"] = draw(_PRICE)
    if draw(st.booleans()):
        raw["tax"] = {"name": "VAT", "rate_pct": draw(st.sampled_from(["0", "8", "17", "5.5", "20.125"]))}
    return raw


def _metered(totals: list[MeteredTotals]) -> MeteredColumns:
    return MeteredColumns(import_wh=np.array([t.import_wh for t in totals], dtype=np.int64),
                          export_wh=np.array([t.export_wh for t in totals], dtype=np.int64),
                          dynamic_micro=np.array([t.dynamic_micro for t in totals], dtype=np.int64),
                          estimated=np.array([t.intervals_estimated for t in totals], dtype=np.int64),
                          intervals=2880, granularity_minutes=15)


def _compare(tariff, totals: list[MeteredTotals], days: int) -> None:
    priced = price_columns(tariff, _metered(totals), days)
    texts = {"subtotal": priced.subtotal.texts(), "tax": priced.tax.texts(), "total": priced.total.texts()}
    for line in priced.lines:
        for name in ("quantity", "unit_price", "amount"):
            texts[(line.kind, line.period, name)] = getattr(line, name).texts()
    for row, single in enumerate(totals):
        lines, subtotal, tax, total = price_lines(tariff, single, days)
        assert [(x.kind, x.period, x.unit) for x in lines] == [(x.kind, x.period, x.unit) for x in priced.lines]
        for line in lines:
            for name in ("quantity", "unit_price", "amount"):
                assert texts[(line.kind, line.period, name)][row] == str(getattr(line, name)), (line, name, single)
        assert (texts["subtotal"][row], texts["tax"][row], texts["total"][row]) == (str(subtotal), str(tax), str(total))


_WH = st.integers(0, 3_000) .map(lambda x: x * 50) | st.integers(0, 2_000_000)    # multiples of 50 Wh: ties


@settings(max_examples=150, deadline=None)
@given(raw=tariffs(), days=st.integers(1, 31), rows=st.lists(
    st.tuples(_WH, _WH, _WH, _WH, st.integers(-10 ** 12, 10 ** 12) | st.integers(-3, 3)), min_size=1, max_size=12))
def test_columns_equal_price_lines_as_text(raw, days, rows):
    tariff = parse_tariff(raw)
    periods = len(tariff.period_names())
    totals = [MeteredTotals(import_wh=tuple(r[:periods]), export_wh=r[3], dynamic_micro=r[4], intervals_expected=2880,
                            intervals_actual=2880, intervals_estimated=0, granularity_minutes=15) for r in rows]
    _compare(tariff, totals, days)


def test_signs_of_zero_and_big_numbers_follow_decimal():
    raw = {"tariff_id": "D", "currency": "EUR", "billing_mode": "time-of-use", "tax": {"name": "VAT", "rate_pct": "8"},
           "energy": {"kind": "dynamic", "prices": [{"start": "2026-06-01T00:00:00+00:00",
                                                     "end": "2026-07-01T00:00:00+00:00", "price_per_kwh": "-0.01"}]},
           "feed_in_price_per_kwh": "0.0000001", "standing_charge_per_day": "0"}
    tariff = parse_tariff(raw)
    # a tiny negative amount rounds to -0.00 and its tax too; an empty quantity has the bare price 0;
    # 10**17 micro-units overflow int64 once scaled: Python integers take over
    totals = [MeteredTotals(import_wh=(wh,), export_wh=export, dynamic_micro=micro, intervals_expected=1,
                            intervals_actual=1, intervals_estimated=0, granularity_minutes=15)
              for wh, export, micro in ((3, 1, -4_000_000), (0, 0, 0), (-2, 0, 0), (10 ** 15, 10 ** 15, 10 ** 17),
                                        (7, 4, -5_000_000))]
    _compare(tariff, totals, 30)
    texts = price_columns(tariff, _metered(totals), 30).lines[0].amount.texts()
    assert texts[0] == "-0.00" and texts[1] == "0.00"
    flat = parse_tariff({**raw, "billing_mode": "usage-based", "energy": {"kind": "flat", "price_per_kwh": "0.123456"}})
    _compare(flat, totals, 30)
    assert price_columns(flat, _metered(totals), 30).lines[0].amount.units.dtype == object   # 1e15 Wh x 123456


@pytest.mark.parametrize("mode", ["half-even", "half-up"])
def test_ties_round_by_the_tariff_s_mode(mode):
    raw = {"tariff_id": "F", "currency": "EUR", "billing_mode": "usage-based", "rounding": {"mode": mode},
           "energy": {"kind": "flat", "price_per_kwh": "0.5"}, "tax": {"name": "VAT", "rate_pct": "10"}}
    totals = [MeteredTotals(import_wh=(wh,), export_wh=0, dynamic_micro=0, intervals_expected=1, intervals_actual=1,
                            intervals_estimated=0, granularity_minutes=15) for wh in (10, 30, 50, 70, 1010)]
    _compare(parse_tariff(raw), totals, 1)
    amounts = price_columns(parse_tariff(raw), _metered(totals), 1).lines[0].amount.texts()
    # 0.005, 0.015, 0.025, 0.035, 0.505: ties at the cent
    assert amounts == (["0.00", "0.02", "0.02", "0.04", "0.50"] if mode == "half-even" else
                       ["0.01", "0.02", "0.03", "0.04", "0.51"])


def test_a_quantum_the_columns_cannot_write_is_refused_naming_it():
    raw = {"tariff_id": "F", "currency": "EUR", "billing_mode": "usage-based",
           "energy": {"kind": "flat", "price_per_kwh": "0.2"}, "rounding": {"quantum": "0.0000001"}}
    with pytest.raises(Rejected) as refusal:
        price_columns(parse_tariff(raw), _metered([MeteredTotals(
            import_wh=(1,), export_wh=0, dynamic_micro=0, intervals_expected=1, intervals_actual=1,
            intervals_estimated=0, granularity_minutes=15)]), 1)
    assert refusal.value.errors[0].field == "/rounding/quantum"
