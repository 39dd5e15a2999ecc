"""IEC 62056-21 (formerly IEC 61107) protocol mode C, data readout only: bytes in, values out.

Sans-IO, like h11: this module builds the messages the reading device sends and parses what the
meter answers; the serial port belongs to `bench_rigs.serial_meter` (and, on the other side of
the line, to the simulated meter). Mode C data readout as used here (IEC 62056-21, protocol
mode C and its message definitions):

1. the reader sends the request ``/?<address>!CR LF`` at 300 baud, 7 data bits, even parity,
   1 stop bit;
2. the meter answers its identification ``/XXXZ<ident>CR LF``: three letters naming the
   manufacturer, ``Z`` the highest baud rate it offers (code ``0``..``6`` = 300..19200 baud);
3. the reader acknowledges with ``ACK 0 Z 0 CR LF`` (protocol control 0 = normal, the chosen
   baud code, mode 0 = data readout) and both sides switch to that baud rate;
4. the meter sends the data message ``STX <data block> ! CR LF ETX BCC``.

The block check character (BCC) is the XOR of every byte after
STX up to and including ETX. Each data line carries one register as an OBIS code and a value
with its unit, e.g. ``1.8.0(001234.567*kWh)`` (active energy import, total) or ``2.8.0(...)``
(active energy export).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .errors import ReadoutError

STX, ETX, ACK, NAK = b"\x02", b"\x03", b"\x06", b"\x15"
CRLF = b"\r\n"
SIGN_ON_BAUD = 300                        # mode C: the request always goes at 300 baud
BAUD_BY_CODE = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}
CODE_BY_BAUD = {baud: code for code, baud in BAUD_BY_CODE.items()}

_IDENT = re.compile(rb"^/(?P<maker>[A-Za-z]{3})(?P<baud>[0-9A-Z])(?P<ident>[\x20-\x7e]{1,16})\r\n$")
# OBIS code (value groups C.D.E, optionally with A-B: and *F), value, optional unit
# (letters C and F stand for the service value groups, e.g. C.1.0 serial number, F.F error register)
_LINE = re.compile(r"^(?P<obis>(?:\d+-\d+:)?[0-9CF]{1,3}\.[0-9F]{1,3}(?:\.\d{1,3})?(?:\*\d+)?)"
                   r"\((?P<value>[^()*!/\x00-\x1f]{0,32})(?:\*(?P<unit>[A-Za-z]{1,16}))?\)$")
_NUMBER = re.compile(r"^[+-]?\d{1,12}(?:\.\d{1,9})?$")


@dataclass(frozen=True)
class Identification:
    manufacturer: str
    baud_code: str
    identification: str

    @property
    def max_baud(self) -> int:
        return BAUD_BY_CODE[self.baud_code]


@dataclass(frozen=True)
class Register:
    obis: str
    value: str
    unit: str | None
    text: str                       # the line as the meter sent it, for the report


@dataclass(frozen=True)
class Readout:
    registers: dict[str, Register]
    bcc: int

    def energy_kwh(self, obis: str) -> Decimal:
        """The value of an energy register in kWh.

        Raises:
            ReadoutError: the register is missing or not in kWh / Wh.
        """
        register = self.registers.get(obis)
        if register is None:
            raise ReadoutError(f"the meter's readout has no register {obis}", code="register-missing",
                               field=f"/registers/{obis}", expected=obis, actual=sorted(self.registers))
        if not _NUMBER.match(register.value):
            raise ReadoutError(f"register {obis} does not hold a decimal number", code="register-format",
                               field=f"/registers/{obis}/value", expected="e.g. 001234.567",
                               actual=register.value)
        scale = {"kWh": Decimal(1), "Wh": Decimal("0.001")}.get(register.unit or "")
        if scale is None:
            raise ReadoutError(f"register {obis} is not an energy in kWh or Wh", code="register-unit",
                               field=f"/registers/{obis}/unit", expected="kWh", actual=register.unit)
        return Decimal(register.value) * scale


def sign_on(address: str = "") -> bytes:
    """The request message ``/?<address>!CR LF`` (address empty: any meter on the line)."""
    if not re.fullmatch(r"[0-9A-Za-z ]{0,32}", address):
        raise ValueError(f"device address {address!r}: up to 32 letters, digits or spaces")
    return b"/?" + address.encode("ascii") + b"!" + CRLF


def parse_identification(line: bytes) -> Identification:
    """Parse ``/XXXZident CR LF``.

    Raises:
        ReadoutError: not an identification message, or a baud code outside 0..6.
    """
    match = _IDENT.match(line)
    if match is None:
        raise ReadoutError("not an IEC 62056-21 identification message", code="bad-identification",
                           field="/identification", expected="/XXXZident<CR><LF>", actual=line[:40])
    code = match["baud"].decode()
    if code not in BAUD_BY_CODE:
        raise ReadoutError("identification offers a baud code mode C does not define",
                           code="bad-baud-code", field="/identification/baud",
                           expected=sorted(BAUD_BY_CODE), actual=code)
    return Identification(match["maker"].decode(), code, match["ident"].decode())


def acknowledge(baud_code: str, mode: str = "0") -> bytes:
    """Option select ``ACK 0 Z Y CR LF``: normal protocol, baud code Z, mode Y (0 = readout)."""
    if baud_code not in BAUD_BY_CODE:
        raise ValueError(f"baud code {baud_code!r} is not one of {sorted(BAUD_BY_CODE)}")
    return ACK + b"0" + baud_code.encode() + mode.encode() + CRLF


def parse_acknowledge(message: bytes) -> tuple[str, str]:
    """(baud code, mode) from an option-select message; the meter side of `acknowledge`.

    Raises:
        ReadoutError: not an option-select message.
    """
    if len(message) != 6 or message[:1] != ACK or message[-2:] != CRLF or message[1:2] != b"0":
        raise ReadoutError("not an option select message", code="bad-ack", field="/ack", actual=message)
    code, mode = chr(message[2]), chr(message[3])
    if code not in BAUD_BY_CODE:
        raise ReadoutError("option select names an unknown baud code", code="bad-baud-code",
                           field="/ack/baud", expected=sorted(BAUD_BY_CODE), actual=code)
    return code, mode


def bcc(block: bytes) -> int:
    """XOR of every byte of ``block`` (the bytes after STX up to and including ETX)."""
    value = 0
    for byte in block:
        value ^= byte
    return value


def frame_readout(lines: list[str]) -> bytes:
    """The data message for these data lines: ``STX lines ! CR LF ETX BCC``."""
    body = "".join(line + "\r\n" for line in lines).encode("ascii") + b"!" + CRLF + ETX
    return STX + body + bytes([bcc(body)])


def format_energy_line(obis: str, energy_kwh: float, digits: int = 6, decimals: int = 3) -> str:
    """A register line as meters print it, e.g. ``1.8.0(001234.567*kWh)``."""
    return f"{obis}({energy_kwh:0{digits + decimals + 1}.{decimals}f}*kWh)"


def parse_readout(message: bytes) -> Readout:
    """Check and parse a complete data message.

    Raises:
        ReadoutError: framing wrong, BCC mismatch (code ``bcc-mismatch``), or a data line that
            is not ``OBIS(value*unit)`` (code ``register-format``, field names the line).
    """
    if not message.startswith(STX) or len(message) < 3 or message[-2:-1] != ETX:
        raise ReadoutError("data message is not framed STX ... ETX BCC", code="framing",
                           field="/readout", actual=message[:16] + b"..." + message[-4:])
    block, received = message[1:-1], message[-1]
    computed = bcc(block)
    if computed != received:
        raise ReadoutError("block check character does not match the data block", code="bcc-mismatch",
                           field="/readout/bcc", expected=f"0x{computed:02x}", actual=f"0x{received:02x}")
    text = block[:-1].decode("ascii", errors="replace")
    if not text.endswith("!\r\n"):
        raise ReadoutError("data block does not end with '!' CR LF", code="framing",
                           field="/readout/end", actual=text[-8:])
    registers: dict[str, Register] = {}
    for number, line in enumerate(text[:-3].removesuffix("\r\n").split("\r\n"), start=1):
        match = _LINE.match(line)
        if match is None:
            raise ReadoutError("data line is not OBIS(value*unit)", code="register-format",
                               field=f"/readout/lines/{number}", expected="e.g. 1.8.0(001234.567*kWh)",
                               actual=line)
        registers[match["obis"]] = Register(match["obis"], match["value"], match["unit"], line)
    return Readout(registers, received)
