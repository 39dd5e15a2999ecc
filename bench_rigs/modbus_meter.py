"""A meter under test read over Modbus RTU with pymodbus: float32 energy registers.

Register layout (input registers, function 04, IEEE 754 float32, big-endian word order, the
convention of common DIN-rail meters): each quantity the rig maps by name to its first register
address, e.g. ``{"1.8.0": 72, "2.8.0": 74}`` for import and export active energy in kWh. The
names are OBIS codes so checks ask a Modbus meter and an IEC 62056-21 meter the same question.
"""
from __future__ import annotations

from decimal import Decimal

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient
from pymodbus.exceptions import ModbusException

from .errors import InstrumentError, InstrumentTimeout

DEFAULT_REGISTERS = {"1.8.0": 72, "2.8.0": 74}


class ModbusMeter:
    """Args:
        port: serial device of the RS-485 adapter; baud: line rate (8N1).
        device_id: the meter's Modbus address (1..247).
        registers: OBIS name -> first input register of its float32 value (kWh).
    """

    def __init__(self, port: str, *, name: str = "meter", device_id: int = 1, baud: int = 9600,
                 registers: dict[str, int] | None = None, timeout_s: float = 1.0):
        if not 1 <= device_id <= 247:
            raise InstrumentError("Modbus device address must be 1..247", code="bad-address",
                                  field=f"/instruments/{name}/device_id", actual=device_id)
        self.name, self.port, self.device_id = name, port, device_id
        self.registers = dict(registers or DEFAULT_REGISTERS)
        self._client = ModbusSerialClient(port=port, framer=FramerType.RTU, baudrate=baud, bytesize=8,
                                          parity="N", stopbits=1, timeout=timeout_s, retries=0)
        if not self._client.connect():
            raise InstrumentError(f"{name}: cannot open {port}", code="serial-open",
                                  field=f"/instruments/{name}/port", actual=port)

    def identity(self) -> str:
        return f"Modbus RTU meter, address {self.device_id} on {self.port}"

    def energy_kwh(self, register: str) -> Decimal:
        """Raises:
            InstrumentError: the register is not mapped, or the meter answered an exception.
            InstrumentTimeout: no answer.
        """
        if register not in self.registers:
            raise InstrumentError(f"{self.name} has no register mapped for {register}", code="register-missing",
                                  field=f"/instruments/{self.name}/registers/{register}",
                                  expected=sorted(self.registers), actual=register)
        address = self.registers[register]
        try:
            answer = self._client.read_input_registers(address, count=2, device_id=self.device_id)
        except ModbusException as exc:
            raise InstrumentTimeout(f"{self.name} did not answer the read of {register}", code="instrument-timeout",
                                    field=f"/instruments/{self.name}", actual=str(exc)) from exc
        if answer.isError():
            raise InstrumentError(f"{self.name} refused the read of {register}", code="instrument-refused",
                                  field=f"/instruments/{self.name}/registers/{register}", actual=str(answer))
        value = self._client.convert_from_registers(answer.registers, self._client.DATATYPE.FLOAT32)
        return Decimal(repr(value))

    def close(self) -> None:
        self._client.close()
