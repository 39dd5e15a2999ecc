"""Simulated SCPI instruments wired to the shared circuit, served on ptys as VISA ASRL resources.

The same command sets as the pyvisa-sim device files in ``bench_rigs/sim/*.yaml`` (the drivers
are tested against both); these add what a static device file cannot: readings that follow the
circuit (the standard's current falls when the relay opens, its energy grows with time).
Commands answer nothing, queries answer one line, ``*OPC?`` answers ``1``; anything unknown
or out of range answers ``ERROR``, as the pyvisa-sim files do.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from .physics import BenchPhysics
from .pty_port import LineBuffer, PtyPort

ERROR = "ERROR"


class SimulatedScpi:
    """Args:
        identity: the ``*IDN?`` answer.
        commands: regex -> handler(match) returning the reply (None: no reply).
    """

    def __init__(self, identity: str, commands: dict[str, Callable[[re.Match], str | None]]):
        self.identity = identity
        self._commands = [(re.compile(pattern + r"$"), handler) for pattern, handler in commands.items()]
        self._lines = LineBuffer(b"\n")

    def on_bytes(self, port: PtyPort, chunk: bytes) -> bytes | None:
        replies = [r for r in (self.answer(line.decode("ascii", "replace").strip())
                               for line in self._lines.feed(chunk)) if r is not None]
        return "".join(r + "\n" for r in replies).encode("ascii") if replies else None

    def answer(self, command: str) -> str | None:
        if command == "*IDN?":
            return self.identity
        if command == "*OPC?":
            return "1"
        for pattern, handler in self._commands:
            match = pattern.match(command)
            if match:
                try:
                    return handler(match)
                except ValueError:
                    return ERROR
        return ERROR


def power_standard(physics: BenchPhysics, identity: str) -> SimulatedScpi:
    def integ(action):
        return lambda m: physics.standard(action)
    return SimulatedScpi(identity, {
        r"MEAS:VOLT\?": lambda m: f"{physics.measured_voltage_v():.4f}",
        r"MEAS:CURR\?": lambda m: f"{physics.load_current_a():.5f}",
        r"MEAS:POW\?": lambda m: f"{physics.active_power_w():.4f}",
        r"INTEG:RES": integ("reset"),
        r"INTEG:STAR": integ("start"),
        r"INTEG:STOP": integ("stop"),
        r"INTEG:ENER\?": lambda m: f"{physics.snapshot()['standard_kwh']:.7f}",
        r"INTEG:TIME\?": lambda m: f"{physics.snapshot()['standard_time_s']:.3f}",
    })


def _bounded(low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return parse


def source(physics: BenchPhysics, identity: str, *, max_voltage_v: float = 300.0,
           max_current_a: float = 120.0) -> SimulatedScpi:
    volts, amps, pf = _bounded(0, max_voltage_v), _bounded(0, max_current_a), _bounded(-1, 1)
    return SimulatedScpi(identity, {
        r"SOUR:VOLT (\S+)": lambda m: physics.set_source(voltage_v=volts(m[1])),
        r"SOUR:CURR (\S+)": lambda m: physics.set_source(current_a=amps(m[1])),
        r"SOUR:PF (\S+)": lambda m: physics.set_source(power_factor=pf(m[1])),
        r"OUTP (ON|OFF)": lambda m: physics.set_source(output_on=m[1] == "ON"),
        r"SOUR:VOLT\?": lambda m: f"{physics.voltage_v:.2f}",
        r"SOUR:CURR\?": lambda m: f"{physics.current_a:.4f}",
        r"SOUR:PF\?": lambda m: f"{physics.power_factor:.3f}",
        r"OUTP\?": lambda m: "ON" if physics.output_on else "OFF",
    })


def switch_unit(physics: BenchPhysics, identity: str, channels: list[int]) -> SimulatedScpi:
    def channel(text: str) -> int:
        if not text.isdigit() or int(text) not in channels:
            raise ValueError(text)
        return int(text)
    return SimulatedScpi(identity, {
        r"ROUT:OPEN \(@(\d+)\)": lambda m: physics.command_relay(channel(m[1]), "open"),
        r"ROUT:CLOS \(@(\d+)\)": lambda m: physics.command_relay(channel(m[1]), "closed"),
        r"ROUT:STAT\? \(@(\d+)\)": lambda m: "CLOS" if physics.relay_commanded(channel(m[1])) == "closed"
        else "OPEN",
    })
