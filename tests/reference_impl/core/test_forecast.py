"""The least-squares forecasts (core/forecast.py) on data whose answer is known."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from harness.steps import site_history
from reference_impl.core import forecast as fc
from reference_impl.core.errors import Rejected

DAY = date(2026, 6, 1)


def _inputs(meter_kind="load"):
    loads = [("M-L", 6.0)] if meter_kind == "load" else []
    gens = [("M-G", 5.0)] if meter_kind == "generation" else []
    history = site_history.generate(DAY, 1.0, None, loads, gens)
    meter = "M-L" if loads else "M-G"
    direction = "import" if loads else "export"
    targets = [datetime(2026, 6, 1, h, tzinfo=timezone.utc) for h in range(24)]
    return history, meter, direction, targets


def test_noise_free_linear_load_is_recovered_exactly():
    hours = pd.date_range("2026-05-01", periods=24 * 21, freq="h", tz="UTC")
    temp = 20 + 8 * np.sin(np.arange(len(hours)) / 7.0)
    weather = pd.DataFrame({"temperature_c": temp, "cloud_cover_pct": 0.0}, index=hours)
    truth = 1.0 + 0.1 * hours.hour + 0.4 * np.maximum(temp - 18, 0)
    history = pd.Series(truth[:-24], index=hours[:-24])
    out = fc.forecast(history, weather, list(hours[-24:].to_pydatetime()), "consumption")
    assert out["holdout_mape_pct"] < 1e-6
    assert np.allclose(out["kwh"], truth[-24:], atol=1e-3)


def test_heat_wave_consumption_within_ten_percent():
    history, meter, direction, targets = _inputs("load")
    readings = history.readings[meter]
    out = fc.forecast(fc.hourly(readings, direction), fc.weather_frame(history.weather), targets, "consumption")
    assert site_history.mape_pct(history.actual[meter], out["kwh"]) < 10
    assert 0 < out["holdout_mape_pct"] < 10 and out["training_days"] == 28


def test_generation_follows_cloud_cover():
    history, meter, direction, targets = _inputs("generation")
    out = fc.forecast(fc.hourly(history.readings[meter], direction), fc.weather_frame(history.weather), targets,
                      "generation")
    assert site_history.wape_pct(history.actual[meter], out["kwh"]) < 15


def test_too_little_history_or_weather_is_refused():
    history, meter, direction, targets = _inputs("load")
    short = fc.hourly(history.readings[meter][-24 * 5:], direction)
    with pytest.raises(Rejected) as refused:
        fc.forecast(short, fc.weather_frame(history.weather), targets, "consumption")
    assert refused.value.errors[0].code == "too-little-history"
    later = [t + timedelta(days=3) for t in targets]
    with pytest.raises(Rejected) as refused:
        fc.forecast(fc.hourly(history.readings[meter], direction), fc.weather_frame(history.weather), later,
                    "consumption")
    assert refused.value.errors[0].field == "/weather"
