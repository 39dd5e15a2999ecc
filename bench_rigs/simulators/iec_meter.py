"""A simulated electricity meter's optical port: IEC 62056-21 mode C data readout on a pty.

It insists on the baud rates the protocol prescribes, read from the pseudo-terminal the reader's
driver configured: a request that does not arrive at 300 baud is ignored, as a real meter's UART
would see only garbage; after the option select it answers only once the
reader has switched to the agreed baud rate. Register values come from the shared circuit
(`physics.BenchPhysics`); ``corrupt_bcc`` sends a wrong block check character.
"""
from __future__ import annotations

import time

from .. import iec62056 as iec
from ..errors import ReadoutError
from .physics import BenchPhysics
from .pty_port import LineBuffer, PtyPort

# Only the baud rate can be checked on a pty: Linux's pty driver forces CS8 and clears PARENB in
# every termios change (drivers/tty/pty.c, pty_set_termios), so 7E1 is not observable here.
SIGN_ON_BAUD = iec.SIGN_ON_BAUD


class SimulatedIecMeter:
    def __init__(self, physics: BenchPhysics, *, manufacturer: str = "SIM", baud_code: str = "5",
                 ident: str = "METER1", switch_timeout_s: float = 1.0):
        self.physics = physics
        self.identification = f"/{manufacturer}{baud_code}{ident}\r\n".encode("ascii")
        iec.parse_identification(self.identification)          # refuse a bad configuration early
        self.switch_timeout_s = switch_timeout_s
        self._lines = LineBuffer(b"\n")
        self._awaiting_ack = False
        self.log: list[str] = []                                 # what the meter saw, for tests

    def on_bytes(self, port: PtyPort, chunk: bytes) -> bytes | None:
        out = b""
        for message in self._lines.feed(chunk):
            out += self._handle(port, message) or b""
        return out or None

    def _handle(self, port: PtyPort, message: bytes) -> bytes | None:
        settings = port.line_settings()
        if message.startswith(b"/?") and message.endswith(b"!\r\n"):
            if settings["baud"] != SIGN_ON_BAUD:
                self.log.append(f"request ignored: line at {settings}")
                return None
            self.log.append(f"request at {settings['baud']} baud")
            self._awaiting_ack = True
            return self.identification
        if self._awaiting_ack and message.startswith(iec.ACK):
            self._awaiting_ack = False
            try:
                code, mode = iec.parse_acknowledge(message)
            except ReadoutError as exc:
                self.log.append(f"bad option select: {exc}")
                return None
            if mode != "0":
                self.log.append(f"mode {mode} not offered")
                return None
            return self._readout_at(port, iec.BAUD_BY_CODE[code])
        self.log.append(f"ignored {message!r}")
        return None

    def _readout_at(self, port: PtyPort, baud: int) -> bytes | None:
        deadline = time.monotonic() + self.switch_timeout_s
        while port.line_settings()["baud"] != baud:
            if time.monotonic() > deadline:
                self.log.append(f"reader never switched to {baud} baud")
                return None
            time.sleep(0.002)
        self.log.append(f"readout at {baud}")
        return self.readout()

    def readout(self) -> bytes:
        state = self.physics.snapshot()
        lines = [f"0.0.0({self.physics.meter.serial_number})",
                 iec.format_energy_line("1.8.0", state["meter_import_kwh"]),
                 iec.format_energy_line("2.8.0", state["meter_export_kwh"]),
                 "F.F(00000000)"]
        frame = iec.frame_readout(lines)
        if self.physics.meter.corrupt_bcc:
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        return frame
