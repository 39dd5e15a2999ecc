"""Consumption and generation prediction from metered history and weather (Y.2072 7.1-04,
7.4-03; 8.2.2 "energy demand and supply prediction"): ordinary least squares on calendar and
weather features, with its error on held-out days reported beside every forecast.

Models (hourly energy, kWh):
- consumption: one level per hour of day, a weekend shift, and cooling and heating degrees
  (temperature above 18 °C, below 15 °C), so a hot day raises the forecast where the history
  says air conditioning does;
- generation: per hour of day, a level plus a slope on the clear-sky share (1 - cloud cover).
The last `HOLDOUT_DAYS` of history are held out: the model is fitted on the days before, its
mean absolute percentage error (MAPE) on the held-out hours is reported, and it is then refitted
on the whole history to forecast. Hours whose actual energy is below 5 % of the mean (night for
a PV meter) are left out of the MAPE, which would otherwise divide by almost nothing.

Rules: pure computation (numpy, pandas); no clock, no files, no randomness.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from .errors import FieldError, Rejected

HOLDOUT_DAYS = 7
MIN_HISTORY_DAYS = 14
COOLING_BASE_C, HEATING_BASE_C = 18.0, 15.0


def hourly(readings: Iterable[Mapping], direction: str) -> pd.Series:
    """Interval readings of one direction summed per UTC hour."""
    rows = [(r["interval_start"], r["energy_kwh"]) for r in readings if r["direction"] == direction]
    if not rows:
        return pd.Series(dtype=float)
    frame = pd.DataFrame(rows, columns=["start", "kwh"])
    frame["hour"] = pd.to_datetime(frame["start"], utc=True, format="ISO8601").dt.floor("h")
    return frame.groupby("hour")["kwh"].sum()


def weather_frame(observations: Iterable[Mapping]) -> pd.DataFrame:
    rows = [(o["time"], o["temperature_c"], o.get("cloud_cover_pct", 0.0)) for o in observations]
    frame = pd.DataFrame(rows, columns=["time", "temperature_c", "cloud_cover_pct"])
    frame.index = pd.to_datetime(frame.pop("time"), utc=True, format="ISO8601").dt.floor("h")
    return frame[~frame.index.duplicated(keep="last")].sort_index()


def _features(hours: pd.DatetimeIndex, weather: pd.DataFrame, kind: str) -> np.ndarray:
    onehot = np.eye(24)[hours.hour]
    if kind == "generation":
        clear = 1.0 - weather.loc[hours, "cloud_cover_pct"].to_numpy() / 100.0
        return np.hstack([onehot, onehot * clear[:, None]])
    temp = weather.loc[hours, "temperature_c"].to_numpy()
    weekend = (hours.day_of_week >= 5).astype(float)[:, None]
    return np.hstack([onehot, weekend, np.maximum(temp - COOLING_BASE_C, 0)[:, None],
                      np.maximum(HEATING_BASE_C - temp, 0)[:, None]])


def _fit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return coef


def mape_pct(actual: Sequence[float], predicted: Sequence[float]) -> float:
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    keep = actual >= 0.05 * actual.mean() if len(actual) else actual > 0
    if not keep.any():
        return 0.0
    return float(np.mean(np.abs(predicted[keep] - actual[keep]) / actual[keep]) * 100)


def forecast(history: pd.Series, weather: pd.DataFrame, targets: Sequence[datetime], kind: str,
             subject: str = "/meter") -> dict:
    """Fit, report the held-out error, refit and forecast.

    Args:
        history: hourly kWh (see `hourly`).
        weather: hourly observations and forecasts covering history and targets.
        targets: the hours to forecast (UTC hour starts).
        kind: ``consumption`` or ``generation``.
        subject: the JSON pointer named when there is too little history or weather.
    Returns:
        ``{"hours": [...], "kwh": [...], "holdout_mape_pct", "training_days", "method"}``.
    Raises:
        Rejected: less than `MIN_HISTORY_DAYS` of history, or weather missing for an hour used.
    """
    history = history[history.index.isin(weather.index)]
    days = history.index.normalize().unique()
    if len(days) < MIN_HISTORY_DAYS:
        raise Rejected(FieldError("too-little-history", subject,
                                  f"{len(days)} days of metered history with weather; {MIN_HISTORY_DAYS} needed"))
    wanted = pd.DatetimeIndex(pd.to_datetime(list(targets), utc=True)).floor("h")
    missing = wanted.difference(weather.index)
    if len(missing):
        raise Rejected(FieldError("missing-weather", "/weather",
                                  f"no weather forecast for {missing[0].isoformat()}"))
    cut = days[-HOLDOUT_DAYS]
    train, held = history[history.index < cut], history[history.index >= cut]
    coef = _fit(_features(train.index, weather, kind), train.to_numpy())
    held_pred = _features(held.index, weather, kind) @ coef
    error = mape_pct(held.to_numpy(), held_pred)
    coef = _fit(_features(history.index, weather, kind), history.to_numpy())
    predicted = np.maximum(_features(wanted, weather, kind) @ coef, 0.0)
    return {"hours": [h.isoformat() for h in wanted], "kwh": [round(float(v), 4) for v in predicted],
            "holdout_mape_pct": round(error, 3), "holdout_days": HOLDOUT_DAYS, "training_days": len(days),
            "method": f"least squares on {'hour of day, clear-sky share' if kind == 'generation' else 'hour of day, weekend, cooling and heating degrees'}"}
