"""The simulated bench as one process: every simulated instrument on its own serial line, all
wired to one circuit (`physics.BenchPhysics`).

Run as ``python -m bench_rigs.simulators.bench --dir DIR --config JSON``. It creates in DIR:
``standard``, ``source``, ``switch`` (SCPI, VISA ASRL resources ``ASRL<DIR>/<name>::INSTR``),
``meter`` (IEC 62056-21 optical port), ``relay`` (relay board), ``modbus`` (the client end of
a socat pty pair; a pymodbus server holds the other end), then writes ``DIR/ready`` (JSON: the
device of each link) and serves until SIGTERM or SIGINT.

The configuration is the ``simulator`` section of a rig file (`bench_rigs.rig`), as JSON:
``seed``, ``time_scale``, ``meter`` (`MeterModel` fields), ``relays`` (channel ->
`RelayModel` fields), ``load_channel``, ``meter_baud_code``, ``standard_error_pct``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import scpi
from .iec_meter import SimulatedIecMeter
from .modbus_meter import SimulatedModbusMeter
from .physics import BenchPhysics, MeterModel, RelayModel
from .pty_port import PtyPort
from .relay_board import SimulatedRelayBoard


def build_physics(config: dict) -> BenchPhysics:
    relays = {int(ch): RelayModel(**spec) for ch, spec in (config.get("relays") or {"1": {}}).items()}
    return BenchPhysics(MeterModel(**config.get("meter", {})), relays,
                        load_channel=int(config.get("load_channel", 1)),
                        time_scale=float(config.get("time_scale", 1.0)), seed=int(config.get("seed", 0)),
                        standard_error_pct=float(config.get("standard_error_pct", 0.0)))


def serve(directory: Path, config: dict, stop: threading.Event) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    physics = build_physics(config)
    channels = sorted(physics._relays)  # noqa: SLF001 - the bench owns its circuit
    meter = SimulatedIecMeter(physics, baud_code=str(config.get("meter_baud_code", "5")))
    ports = [
        PtyPort(directory / "standard", scpi.power_standard(physics, "SIMLAB,PWR-STD-3,SN0001,1.0").on_bytes),
        PtyPort(directory / "source", scpi.source(physics, "SIMLAB,SRC-300,SN0002,2.1").on_bytes),
        PtyPort(directory / "switch", scpi.switch_unit(physics, "SIMLAB,SW-16,SN0003,1.4", channels).on_bytes),
        PtyPort(directory / "meter", meter.on_bytes),
        PtyPort(directory / "relay", SimulatedRelayBoard(physics, channels).on_bytes),
    ]
    socat = shutil.which("socat")
    pair = modbus = None
    if socat:
        pair = subprocess.Popen([socat, f"pty,raw,echo=0,link={directory / 'modbus-sim'}",
                                 f"pty,raw,echo=0,link={directory / 'modbus'}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not (directory / "modbus").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    try:
        for port in ports:
            port.start()
        if pair is not None:
            modbus = SimulatedModbusMeter(physics, str(directory / "modbus-sim")).start()
        ready = {port.link.name: port.device for port in ports}
        if pair is not None:
            ready["modbus"] = str((directory / "modbus").resolve())
        (directory / "ready.tmp").write_text(json.dumps(ready))
        (directory / "ready.tmp").rename(directory / "ready")
        while not stop.wait(0.2):
            pass
    finally:
        if modbus is not None:
            modbus.close()
        for port in ports:
            port.close()
        if pair is not None:
            pair.terminate()
            pair.wait(timeout=5)
        (directory / "ready").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="the simulated meter test bench")
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--config", default="{}", help="the rig's simulator section, as JSON")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve(args.dir, json.loads(args.config), stop)
    except (ValueError, TypeError) as exc:
        print(f"bench simulator: bad configuration: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
