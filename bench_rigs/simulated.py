"""Starting and stopping the simulated bench process for a rig that has a ``simulator`` section.

The process (`bench_rigs.simulators.bench`) makes its serial lines in a fresh temporary
directory; that directory replaces ``{sim}`` in the rig's resource strings and ports, which is
the only difference between a simulated rig and a real one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import InstrumentError


class SimulatorProcess:
    def __init__(self, config: dict, *, start_timeout_s: float = 15.0):
        self.config = config
        self.directory = Path(tempfile.mkdtemp(prefix="bench-sim-"))
        self._process: subprocess.Popen | None = None
        self.start_timeout_s = start_timeout_s
        self.devices: dict[str, str] = {}

    def start(self) -> "SimulatorProcess":
        """Raises:
            InstrumentError: the simulator exited or did not come up in time.
        """
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench_rigs.simulators.bench", "--dir", str(self.directory),
             "--config", json.dumps(self.config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ready = self.directory / "ready"
        deadline = time.monotonic() + self.start_timeout_s
        while not ready.exists():
            if self._process.poll() is not None:
                raise InstrumentError(f"the bench simulator exited: {self._process.stderr.read().strip()}",
                                      code="simulator-failed", field="/simulator", actual=self.config)
            if time.monotonic() > deadline:
                self.stop()
                raise InstrumentError("the bench simulator did not start in time", code="simulator-failed",
                                      field="/simulator")
            time.sleep(0.02)
        self.devices = json.loads(ready.read_text())
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr:
            self._process.stderr.close()
        for leftover in self.directory.glob("*"):
            leftover.unlink(missing_ok=True)
        self.directory.rmdir() if self.directory.exists() else None

    def expand(self, text: str) -> str:
        return text.replace("{sim}", str(self.directory))
