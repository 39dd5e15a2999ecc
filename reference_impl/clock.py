"""Clocks the broker reads market time from. Scenarios use `SettableClock` so no test waits on
the wall clock; `harness serve` uses `SystemClock`.
"""
from __future__ import annotations

from datetime import datetime, timezone


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class SettableClock:
    """Market time that moves only when told to (never backwards)."""

    def __init__(self, start: datetime):
        self._now = self._checked(start)

    @staticmethod
    def _checked(value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError(f"clock time {value.isoformat()} has no UTC offset")
        return value

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        value = self._checked(value)
        if value < self._now:
            raise ValueError(f"market time cannot go back from {self._now.isoformat()} to {value.isoformat()}")
        self._now = value
