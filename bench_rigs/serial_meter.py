"""The meter under test through its optical port: IEC 62056-21 mode C readout over pyserial.

The protocol's bytes are built and checked by `bench_rigs.iec62056` (sans-IO); this module owns
the port and the timing. Each readout is a full session, as a hand-held reader does it: open
at 300 baud 7E1, send the request, read the identification, send the option select, switch to
the agreed baud rate, read the data message up to ETX and the BCC, close.

``switch_delay_s`` is the pause between the option select and the baud change (the standard
lets the meter take 200 to 1500 ms before answering; a simulated meter needs far less).
``max_baud`` caps the rate the reader asks for, whatever the meter offers.
"""
from __future__ import annotations

import time
from decimal import Decimal

import serial

from . import iec62056 as iec
from .errors import InstrumentError, InstrumentTimeout, ReadoutError


class IecMeter:
    """Args:
        port: serial device (``/dev/ttyUSB0``, a pty link...) or a pyserial URL such as
            ``rfc2217://host:port`` (a network serial server that also carries the baud change).
        name: the rig's name for the meter (error messages).
        address: device address for the request (empty: any meter).
        timeout_s: per message.
    """

    def __init__(self, port: str, *, name: str = "meter", address: str = "", timeout_s: float = 2.0,
                 max_baud: int = 19200, switch_delay_s: float = 0.01):
        self.port, self.name, self.address = port, name, address
        self.timeout_s, self.max_baud, self.switch_delay_s = timeout_s, max_baud, switch_delay_s
        self.last_identification: iec.Identification | None = None
        self.last_telegram: bytes = b""

    def identity(self) -> str:
        """The meter's identification message; a faulty data message after it does not hide it
        (judging the data message is the readout-integrity check's job)."""
        if self.last_identification is None:
            try:
                self.readout()
            except ReadoutError:
                if self.last_identification is None:
                    raise
        ident = self.last_identification
        return f"{ident.manufacturer} {ident.identification} (IEC 62056-21 mode C, up to {ident.max_baud} baud)"

    def energy_kwh(self, register: str) -> Decimal:
        return self.readout().energy_kwh(register)

    def readout(self) -> iec.Readout:
        """One mode C readout session.

        Raises:
            InstrumentTimeout: no identification or no complete data message in time.
            ReadoutError: the telegram fails its checks (BCC, framing, register lines).
            InstrumentError: the port cannot be opened.
        """
        try:
            line = serial.serial_for_url(self.port, baudrate=iec.SIGN_ON_BAUD, bytesize=serial.SEVENBITS,
                                 parity=serial.PARITY_EVEN, stopbits=serial.STOPBITS_ONE, timeout=self.timeout_s)
        except serial.SerialException as exc:
            raise InstrumentError(f"{self.name}: cannot open {self.port}: {exc}", code="serial-open",
                                  field=f"/instruments/{self.name}/port", actual=self.port) from exc
        try:
            line.reset_input_buffer()
            line.write(iec.sign_on(self.address))
            line.flush()
            answer = line.read_until(b"\n", 64)
            if not answer.endswith(b"\n"):
                raise InstrumentTimeout(f"{self.name} sent no identification", code="instrument-timeout",
                                        field=f"/instruments/{self.name}", actual=answer)
            ident = iec.parse_identification(answer)
            self.last_identification = ident
            code = max((c for c, b in iec.BAUD_BY_CODE.items() if b <= min(ident.max_baud, self.max_baud)))
            line.write(iec.acknowledge(code))
            line.flush()
            time.sleep(self.switch_delay_s)
            line.baudrate = iec.BAUD_BY_CODE[code]
            telegram = line.read_until(iec.ETX, 4096)
            if telegram.endswith(iec.ETX):
                telegram += line.read(1)                                  # the BCC
            self.last_telegram = telegram
            if len(telegram) < 3 or telegram[-2:-1] != iec.ETX:
                raise InstrumentTimeout(f"{self.name} sent no complete data message", code="instrument-timeout",
                                        field=f"/instruments/{self.name}", actual=telegram[-32:])
            return iec.parse_readout(telegram)
        except ReadoutError as exc:
            exc.args = (f"{self.name}: {exc.args[0]}",)
            raise
        finally:
            line.close()

    def close(self) -> None:
        """Nothing held between readouts."""
