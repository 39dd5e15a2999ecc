"""A simulated Modbus RTU meter: a pymodbus server on one end of a socat pty pair, its energy
registers (float32, input registers) computed from the shared circuit on every read.
"""
from __future__ import annotations

import asyncio
import contextlib
import threading

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient
from pymodbus.constants import ExcCodes
from pymodbus.server import ModbusSerialServer
from pymodbus.simulator import DataType, SimData, SimDevice

from ..modbus_meter import DEFAULT_REGISTERS
from .physics import BenchPhysics

_FIELDS = {"1.8.0": "meter_import_kwh", "2.8.0": "meter_export_kwh"}


class SimulatedModbusMeter:
    """Serves `physics`' meter registers on ``port`` (the simulator's end of a pty pair)."""

    def __init__(self, physics: BenchPhysics, port: str, *, device_id: int = 1, baud: int = 9600,
                 registers: dict[str, int] | None = None):
        self.physics, self.port, self.baud = physics, port, baud
        self.registers = dict(registers or DEFAULT_REGISTERS)
        low = min(self.registers.values())
        high = max(self.registers.values()) + 2
        self.device = SimDevice(id=device_id, simdata=[SimData(low, count=high - low, values=0,
                                                               datatype=DataType.REGISTERS)],
                                action=self._action)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: ModbusSerialServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="modbus meter", daemon=True)

    async def _action(self, function_code, start_address, address, count, current_registers, set_values):
        if set_values is not None:
            return ExcCodes.ILLEGAL_FUNCTION          # energy registers are read-only
        snapshot = self.physics.snapshot()
        for obis, first in self.registers.items():
            words = ModbusSerialClient.convert_to_registers(float(snapshot[_FIELDS[obis]]),
                                                            ModbusSerialClient.DATATYPE.FLOAT32)
            for offset, word in enumerate(words):
                index = first + offset - start_address
                if 0 <= index < len(current_registers):
                    current_registers[index] = word
        return None

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        # pymodbus binds its transport to the running loop, so the server is built inside it
        self._server = ModbusSerialServer(self.device, framer=FramerType.RTU, port=self.port, baudrate=self.baud)
        # ready only once the port is open: a read sent earlier would be lost on a loaded machine
        await self._server.serve_forever(background=True)
        self._ready.set()
        with contextlib.suppress(asyncio.CancelledError):
            await self._server.serving

    def start(self) -> "SimulatedModbusMeter":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the simulated Modbus meter did not open {self.port} within 10 s")
        return self

    def close(self) -> None:
        if self._loop and self._server:
            asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop)
            self._thread.join(timeout=2)
