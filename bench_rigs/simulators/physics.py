"""The simulated bench's wiring: one circuit every simulated instrument reads.

A real meter test bench connects the programmable source, through the switching relay, to the
current circuit of the reference standard and of the meter under test in series, with the same
voltage across both: so the standard and the meter integrate the same energy, and the meter's
error is their difference. This module is that circuit. The simulated source writes its set
points here, the relay board and switch unit open and close the load relay here, and the
simulated standard and meter integrate the power they see. Nothing here knows about bytes.

Time: relay latencies run on the wall clock (a test measures them); energy integrates at
``time_scale`` simulated seconds per wall second, so a test point that would take an hour on a
real bench takes a fraction of a second (the standard reports its integration time in simulated
seconds, as its own clock). All randomness comes from one seeded generator.

The meter model (`MeterModel`): registered power = true power x (1 + error), where error % =
``error_pct`` + ``drift_pct_per_h`` x simulated hours since start + Gaussian noise of
``noise_pct`` (standard deviation, redrawn each integration step); below ``starting_current_a``
it registers nothing; with voltage applied and no current it registers ``creep_w``.
"""
from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class MeterModel:
    error_pct: float = 0.0
    drift_pct_per_h: float = 0.0
    noise_pct: float = 0.0
    starting_current_a: float = 0.0
    creep_w: float = 0.0
    corrupt_bcc: bool = False
    serial_number: str = "12345678"

    def __post_init__(self):
        for name in ("noise_pct", "starting_current_a", "creep_w"):
            if getattr(self, name) < 0:
                raise ValueError(f"meter.{name} must be >= 0, got {getattr(self, name)}")


@dataclass(frozen=True)
class RelayModel:
    latency_s: float = 0.0            # wall seconds from command to contact movement
    stuck: str | None = None          # None, "closed" (welded contact) or "open" (coil dead)
    initial: str = "closed"

    def __post_init__(self):
        if self.stuck not in (None, "closed", "open"):
            raise ValueError(f"relay.stuck must be closed, open or absent, got {self.stuck!r}")
        if self.initial not in ("closed", "open") or self.latency_s < 0:
            raise ValueError(f"relay.initial must be closed/open and latency_s >= 0, got {self!r}")


@dataclass
class _Relay:
    model: RelayModel
    contact: str                                  # where the contact physically is
    commanded: str
    pending: list[tuple[float, str]] = field(default_factory=list)   # (wall time, new position)


class BenchPhysics:
    """The circuit, shared by all simulated instruments (thread-safe).

    Args:
        meter: the meter under test's behaviour.
        relays: channel number -> relay behaviour; channel ``load_channel`` switches the load.
        time_scale: simulated seconds per wall second for energy.
        seed: for the meter's noise.
        wall_clock: injectable for tests (default `time.monotonic`).
    """

    def __init__(self, meter: MeterModel, relays: dict[int, RelayModel], *, load_channel: int = 1,
                 time_scale: float = 1.0, seed: int = 0, standard_error_pct: float = 0.0,
                 wall_clock: Callable[[], float] = time.monotonic):
        if time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        if load_channel not in relays:
            raise ValueError(f"load_channel {load_channel} is not one of the relays {sorted(relays)}")
        self.meter = meter
        self.time_scale = time_scale
        self.load_channel = load_channel
        self.standard_error_pct = standard_error_pct
        self._wall = wall_clock
        self._random = random.Random(seed)
        self._lock = threading.RLock()
        self._relays = {ch: _Relay(m, m.stuck or m.initial, m.initial) for ch, m in relays.items()}
        self._last = wall_clock()
        self.sim_elapsed_s = 0.0
        # source set points
        self.voltage_v = 0.0
        self.current_a = 0.0
        self.power_factor = 1.0
        self.output_on = False
        # integrators
        self.meter_import_kwh = 0.0
        self.meter_export_kwh = 0.0
        self.standard_kwh = 0.0
        self.standard_time_s = 0.0
        self.standard_running = False

    # -- the source -------------------------------------------------------------------------
    def set_source(self, **changes) -> None:
        with self._lock:
            self._advance()
            for name, value in changes.items():
                if name not in ("voltage_v", "current_a", "power_factor", "output_on"):
                    raise ValueError(f"unknown source setting {name}")
                setattr(self, name, value)

    # -- relays -------------------------------------------------------------------------------
    def command_relay(self, channel: int, position: str) -> None:
        with self._lock:
            self._advance()
            relay = self._relay(channel)
            relay.commanded = position
            if relay.model.stuck is None:
                relay.pending.append((self._wall() + relay.model.latency_s, position))

    def relay_commanded(self, channel: int) -> str:
        """What the board reports: the coil state it drives (a welded contact does not show)."""
        with self._lock:
            return self._relay(channel).commanded

    def _relay(self, channel: int) -> _Relay:
        if channel not in self._relays:
            raise KeyError(channel)
        return self._relays[channel]

    # -- what the instruments see -------------------------------------------------------------
    def load_current_a(self) -> float:
        with self._lock:
            self._advance()
            return self._current()

    def active_power_w(self) -> float:
        with self._lock:
            self._advance()
            return self._power()

    def measured_voltage_v(self) -> float:
        with self._lock:
            return self.voltage_v if self.output_on else 0.0

    def standard(self, action: str) -> None:
        with self._lock:
            self._advance()
            if action == "reset":
                self.standard_kwh, self.standard_time_s = 0.0, 0.0
            else:
                self.standard_running = action == "start"

    def snapshot(self) -> dict:
        with self._lock:
            self._advance()
            return {"meter_import_kwh": self.meter_import_kwh, "meter_export_kwh": self.meter_export_kwh,
                    "standard_kwh": self.standard_kwh, "standard_time_s": self.standard_time_s,
                    "current_a": self._current(), "power_w": self._power(),
                    "voltage_v": self.measured_voltage_v()}

    # -- integration --------------------------------------------------------------------------
    def _current(self) -> float:
        closed = self._relays[self.load_channel].contact == "closed"
        return self.current_a if (self.output_on and closed) else 0.0

    def _power(self) -> float:
        # sign of the power factor: + inductive (lagging), - capacitive (leading); both import
        return self.measured_voltage_v() * self._current() * abs(self.power_factor)

    def _advance(self) -> None:
        """Integrate up to now, splitting the interval at every relay movement due in it."""
        now = self._wall()
        due = sorted((t, ch, pos) for ch, r in self._relays.items() for t, pos in r.pending if t <= now)
        for t, ch, pos in due:
            self._integrate(max(t, self._last))
            relay = self._relays[ch]
            relay.contact = pos
            relay.pending = [(pt, pp) for pt, pp in relay.pending if pt > t or (pt == t and pp != pos)]
        self._integrate(now)

    def _integrate(self, until: float) -> None:
        dt_wall = until - self._last
        if dt_wall <= 0:
            return
        self._last = until
        dt_s = dt_wall * self.time_scale
        midpoint_h = (self.sim_elapsed_s + dt_s / 2) / 3600     # drift judged mid-step
        self.sim_elapsed_s += dt_s
        power_w = self._power()
        if self.standard_running:
            self.standard_kwh += power_w * (1 + self.standard_error_pct / 100) * dt_s / 3.6e6
            self.standard_time_s += dt_s
        meter_w = self._meter_power(power_w, midpoint_h)
        self.meter_import_kwh += max(meter_w, 0.0) * dt_s / 3.6e6
        self.meter_export_kwh += max(-meter_w, 0.0) * dt_s / 3.6e6

    def _meter_power(self, power_w: float, hours: float) -> float:
        model = self.meter
        current = self._current()
        if current == 0.0:
            return model.creep_w if self.measured_voltage_v() > 0 else 0.0
        if current < model.starting_current_a:
            return 0.0
        error = model.error_pct + model.drift_pct_per_h * hours
        if model.noise_pct:
            error += self._random.gauss(0.0, model.noise_pct)
        return power_w * (1 + error / 100) if math.isfinite(error) else 0.0
