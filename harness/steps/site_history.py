"""Synthetic metered history and weather for the prediction scenarios (Y.2072 7.1-04, 7.4-03).

Honest about the data: this is generated, not measured. Each load follows an hour-of-day
pattern plus a cooling load proportional to the temperature above 18 °C, each generator a
clear-sky bell shape scaled down by cloud cover, both with 5 % multiplicative Gaussian noise;
day temperatures are drawn around 21 °C, and the forecast day is a heat wave (30 °C mean), so a
model that ignores weather is visibly wrong. Seeded (numpy default_rng) so every run sends the
same numbers. The harness keeps the forecast day's actual values to itself and compares the
SUT's forecast with them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

SEED = 20260601
HISTORY_DAYS = 28
NOISE = 0.05
COOLING_SHARE_PER_C = 0.05     # of the load's rating, per °C above 18 °C
STANDBY_SHARE = 0.1            # of the load's rating, always drawn
BASE_PROFILE = [0.6] * 6 + [1.0, 1.4, 1.2] + [0.8] * 8 + [1.4, 1.8, 1.8, 1.4, 1.0] + [0.7] * 2


@dataclass
class SiteHistory:
    readings: dict[str, list[dict]] = field(default_factory=dict)   # meter -> hourly readings (history)
    weather: list[dict] = field(default_factory=list)               # history and forecast day
    actual: dict[str, list[float]] = field(default_factory=dict)    # meter -> the forecast day, hourly kWh


def _temperature(rng, days: int, heat_wave: bool) -> np.ndarray:
    means = np.clip(rng.normal(21.0, 3.0, days), 12, 28)
    if heat_wave:
        means[-1] = 30.0
    hours = np.arange(24)
    return (means[:, None] + 6.0 * np.sin(2 * math.pi * (hours - 9) / 24)[None, :]
            + rng.normal(0, 0.5, (days, 24)))


def generate(day: date, base_kw: float, site_meter: str | None, loads: list[tuple[str, float]],
             generators: list[tuple[str, float]], seed: int = SEED) -> SiteHistory:
    """History for the `HISTORY_DAYS` days before ``day`` and the actual values of ``day``.

    Args:
        base_kw: the site's uncontrolled load (scaled by `BASE_PROFILE`).
        site_meter: the utility meter to give a history (None when the site has generation,
            whose net flow the consumption model is not meant for).
        loads: (meter, rated kW) of heavy loads; generators: (meter, rated kW).
    """
    rng = np.random.default_rng(seed)
    days = HISTORY_DAYS + 1
    temp = _temperature(rng, days, heat_wave=True)
    cloud = np.clip(rng.uniform(0, 90, days)[:, None] + rng.normal(0, 8, (days, 24)), 0, 100)
    first = day - timedelta(days=HISTORY_DAYS)
    hours = np.arange(24)
    weekend = np.array([(first + timedelta(days=d)).weekday() >= 5 for d in range(days)])
    series: dict[str, np.ndarray] = {}
    site_kw = base_kw * np.array(BASE_PROFILE)[None, :] * np.where(weekend, 1.2, 1.0)[:, None]
    site_kw = site_kw * (1 + rng.normal(0, NOISE, (days, 24)))
    for meter, rated in loads:
        kw = rated * (STANDBY_SHARE + COOLING_SHARE_PER_C * np.maximum(temp - 18.0, 0))
        kw = np.minimum(kw, rated) * (1 + rng.normal(0, NOISE, (days, 24)))
        series[meter] = kw
        site_kw = site_kw + kw
    for meter, rated in generators:
        shape = np.maximum(np.sin(math.pi * (hours - 6) / 12), 0)[None, :]
        series[meter] = rated * shape * (1 - 0.7 * cloud / 100) * (1 + rng.normal(0, NOISE, (days, 24)))
    if site_meter is not None:
        series[site_meter] = site_kw
    out = SiteHistory()
    for d in range(days):
        for h in range(24):
            at = datetime.combine(first + timedelta(days=d), time(h), tzinfo=timezone.utc)
            out.weather.append({"time": at.isoformat(), "temperature_c": round(float(temp[d, h]), 2),
                                "cloud_cover_pct": round(float(cloud[d, h]), 1)})
    for meter, kw in series.items():
        direction = "export" if any(meter == g for g, _ in generators) else "import"
        out.actual[meter] = [round(float(v), 4) for v in kw[-1]]
        out.readings[meter] = [
            {"interval_start": (at := datetime.combine(first + timedelta(days=d), time(h), tzinfo=timezone.utc)).isoformat(),
             "interval_end": (at + timedelta(hours=1)).isoformat(), "energy_kwh": round(float(kw[d, h]), 4),
             "direction": direction, "quality": "actual"}
            for d in range(days - 1) for h in range(24)]
    return out


def mape_pct(actual, predicted) -> float:
    """Mean absolute percentage error over hours whose actual is at least 5 % of the mean."""
    a, f = np.asarray(actual, float), np.asarray(predicted, float)
    keep = a >= 0.05 * a.mean()
    return float(np.mean(np.abs(f[keep] - a[keep]) / a[keep]) * 100)


def wape_pct(actual, predicted) -> float:
    """Absolute error summed over the hours, as a share of the actual total."""
    a, f = np.asarray(actual, float), np.asarray(predicted, float)
    return float(np.abs(f - a).sum() / max(a.sum(), 1e-9) * 100)
