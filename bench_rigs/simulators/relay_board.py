"""A simulated microcontroller relay board on a pty (seed 004 section 10 describes the real
thing: an Arduino Uno driving relays on command to detach faulty consumers).

Line protocol of the board (ASCII, one command per line, LF-terminated, any baud rate):
``ID?`` -> ``RELAYBOARD,<maker>,<channels>,<firmware>``; ``OPEN <ch>`` / ``CLOSE <ch>`` ->
``OK``; ``STATE? <ch>`` -> ``OPEN`` or ``CLOSED`` (the position the board drives its coil to);
anything else -> ``ERR <reason>``. Contact latency and a stuck contact live in the shared
circuit (`physics.RelayModel`), so the load current shows them, as on a real bench.
"""
from __future__ import annotations

from .physics import BenchPhysics
from .pty_port import LineBuffer, PtyPort


class SimulatedRelayBoard:
    def __init__(self, physics: BenchPhysics, channels: list[int], *, identity: str = "RELAYBOARD,SIM,{n},1.0"):
        self.physics = physics
        self.channels = channels
        self.identity = identity.format(n=len(channels))
        self._lines = LineBuffer(b"\n")

    def on_bytes(self, port: PtyPort, chunk: bytes) -> bytes | None:
        replies = [self.answer(line.decode("ascii", "replace").strip()) for line in self._lines.feed(chunk)]
        return "".join(r + "\n" for r in replies).encode("ascii") if replies else None

    def answer(self, command: str) -> str:
        verb, _, argument = command.partition(" ")
        if verb == "ID?":
            return self.identity
        if verb not in ("OPEN", "CLOSE", "STATE?"):
            return "ERR unknown command"
        if not argument.isdigit() or int(argument) not in self.channels:
            return f"ERR no channel {argument!r}"
        channel = int(argument)
        if verb == "STATE?":
            return self.physics.relay_commanded(channel).upper()
        self.physics.command_relay(channel, "open" if verb == "OPEN" else "closed")
        return "OK"
