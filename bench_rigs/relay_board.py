"""A microcontroller relay board on a serial line (seed 004 section 10: relays actuated on
command to detach a consumer), driven over pyserial.

Line protocol, one ASCII command per line: ``ID?``; ``OPEN <ch>`` and ``CLOSE <ch>`` answered
``OK``; ``STATE? <ch>`` answered ``OPEN`` or ``CLOSED``; ``ERR <reason>`` for a refusal. The
state the board reports is the coil it drives; only the load current (measured by the standard)
shows where the contact really is, which is how a stuck contact is found.
"""
from __future__ import annotations

import serial

from .errors import InstrumentError, InstrumentTimeout


class SerialRelayBoard:
    """Args:
        port: serial device; baud: its rate (8N1).
        safe: channel -> declared safe position (``open`` / ``closed``), applied by `safe_state`.
    """

    def __init__(self, port: str, *, safe: dict[int, str], name: str = "relay", baud: int = 9600,
                 timeout_s: float = 1.0):
        self.name, self.safe = name, dict(safe)
        try:
            self._line = serial.serial_for_url(port, baudrate=baud, timeout=timeout_s)
        except serial.SerialException as exc:
            raise InstrumentError(f"{name}: cannot open {port}: {exc}", code="serial-open",
                                  field=f"/instruments/{name}/port", actual=port) from exc

    def _ask(self, command: str) -> str:
        self._line.reset_input_buffer()
        self._line.write(command.encode("ascii") + b"\n")
        answer = self._line.read_until(b"\n", 256)
        if not answer.endswith(b"\n"):
            raise InstrumentTimeout(f"{self.name} did not answer {command!r}", code="instrument-timeout",
                                    field=f"/instruments/{self.name}", actual=answer)
        text = answer.decode("ascii", "replace").strip()
        if text.startswith("ERR"):
            raise InstrumentError(f"{self.name} refused {command!r}", code="instrument-refused",
                                  field=f"/instruments/{self.name}", actual=text)
        return text

    def identity(self) -> str:
        return self._ask("ID?")

    def open(self, channel: int) -> None:
        self._expect_ok(f"OPEN {channel}")

    def close_contact(self, channel: int) -> None:
        self._expect_ok(f"CLOSE {channel}")

    def _expect_ok(self, command: str) -> None:
        answer = self._ask(command)
        if answer != "OK":
            raise InstrumentError(f"{self.name}: unexpected answer to {command!r}", code="instrument-garbage",
                                  field=f"/instruments/{self.name}", expected="OK", actual=answer)

    def state(self, channel: int) -> str:
        answer = self._ask(f"STATE? {channel}")
        if answer not in ("OPEN", "CLOSED"):
            raise InstrumentError(f"{self.name}: unknown state of channel {channel}", code="instrument-garbage",
                                  field=f"/channels/{channel}", expected=["OPEN", "CLOSED"], actual=answer)
        return answer.lower()

    def safe_state(self) -> None:
        for channel, position in self.safe.items():
            self.open(channel) if position == "open" else self.close_contact(channel)

    def close(self) -> None:
        self._line.close()
