"""Simulated instruments for the driver tests: each on a real pseudo-terminal (or a pyvisa-sim
device file), so the drivers run their real pyserial / PyVISA / pymodbus code paths."""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bench_rigs.simulators.pty_port import PtyPort


@pytest.fixture
def pty_factory(tmp_path):
    """serve(name, handler) -> the port path a driver opens; closed after the test."""
    ports: list[PtyPort] = []

    def serve(name: str, on_bytes) -> str:
        port = PtyPort(tmp_path / name, on_bytes).start()
        ports.append(port)
        return str(tmp_path / name)
    yield serve
    for port in ports:
        port.close()


@pytest.fixture
def pty_pair(tmp_path):
    """Two linked pseudo-terminals made by socat: (simulator end, driver end)."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.fail("socat is not installed; `make system-packages` installs it")
    sim_end, driver_end = tmp_path / "sim-end", tmp_path / "driver-end"
    process = subprocess.Popen([socat, f"pty,raw,echo=0,link={sim_end}", f"pty,raw,echo=0,link={driver_end}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not (sim_end.exists() and driver_end.exists()):
        assert time.monotonic() < deadline, "socat did not create the pty pair"
        time.sleep(0.01)
    yield str(sim_end), str(driver_end)
    process.terminate()
    process.wait(timeout=5)
