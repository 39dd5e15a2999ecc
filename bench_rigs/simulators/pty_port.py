"""A pseudo-terminal a simulated instrument answers on, and its line settings.

The simulator holds the master side and keeps the slave side open too: that way a reader that
closes and reopens the port does not make the master fail with EIO, and the simulator can read
the slave's termios, i.e. the line settings (baud rate, character size, parity) the driver
under test really configured through pyserial. A symlink with a stable name points at the slave
device, so a rig file can name the port.
"""
from __future__ import annotations

import os
import select
import termios
import threading
import tty
from collections.abc import Callable
from pathlib import Path

_SPEEDS = {getattr(termios, f"B{b}"): b for b in (300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)}


class PtyPort:
    """Args:
        link: path of the symlink to create (the port name a rig file uses).
        on_bytes: called in the port's thread with every chunk received; returns bytes to send.
    """

    def __init__(self, link: Path, on_bytes: Callable[["PtyPort", bytes], bytes | None]):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.device = os.ttyname(self.slave)
        self.link = Path(link)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(self.device)
        self._on_bytes = on_bytes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"pty {self.link.name}", daemon=True)

    def start(self) -> "PtyPort":
        self._thread.start()
        return self

    def line_settings(self) -> dict:
        """The settings the reader's driver put on the line: baud, data bits, parity, stop bits."""
        _, _, cflag, _, _, ospeed, _ = termios.tcgetattr(self.slave)
        size = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}[cflag & termios.CSIZE]
        parity = ("O" if cflag & termios.PARODD else "E") if cflag & termios.PARENB else "N"
        return {"baud": _SPEEDS.get(ospeed, ospeed), "bytesize": size, "parity": parity,
                "stopbits": 2 if cflag & termios.CSTOPB else 1}

    def send(self, payload: bytes) -> None:
        view = memoryview(payload)
        while view:
            written = os.write(self.master, view)
            view = view[written:]

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                continue
            answer = self._on_bytes(self, chunk)
            if answer:
                self.send(answer)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=1)
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


class LineBuffer:
    """Splits a byte stream into lines ending with ``terminator``."""

    def __init__(self, terminator: bytes = b"\n", limit: int = 4096):
        self.terminator, self.limit, self._buffer = terminator, limit, b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        lines = []
        while self.terminator in self._buffer:
            line, self._buffer = self._buffer.split(self.terminator, 1)
            lines.append(line + self.terminator)
        if len(self._buffer) > self.limit:
            self._buffer = b""
        return lines
