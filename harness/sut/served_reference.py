"""``--sut reference+https``: the bundled reference broker, tested the way a vendor's platform
is: `harness serve` in its own process, HTTPS with client certificates from a fresh test PKI,
the harness talking to it only over the JSON binding (`HttpSUT`) as the operator and, in the
security features, as the parties alice, bob and carol. Its request log is the file the
SEC-LOG-PRIVACY scenarios read (Y.2072 clause 10, privacy), so the clause-10 requirements that
need the wire and the server's own log are tested by `make run` too, not left not-tested.

Everything lives in the run's working folder (``<report dir>/sut-work``): ``pki/`` (CA, server,
operator and party certificates), ``broker.sqlite3`` (with its ``.keys`` folder) and
``broker.log`` (the server's stderr: ready line and access lines). `close()` stops the server
with SIGTERM, as an operator would, and waits for it.
"""
from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

from .. import pki
from ..errors import HarnessError
from .http import HttpSUT
from .service_log import LogFileView

SPEC = "reference+https"
START_TIMEOUT_S = 120.0    # a cold interpreter on a loaded 2-core machine
STOP_TIMEOUT_S = 30.0
_READY = re.compile(r"harness serve: reference broker on (https://\S+)")


def _start(workdir: Path) -> tuple[subprocess.Popen, str, Path]:
    credentials = workdir / "pki"
    pki.init(credentials)
    log = workdir / "broker.log"
    command = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", "serve",
               "--test-mode", "--pki", str(credentials), "--port", "0", "--db", str(workdir / "broker.sqlite3")]
    with log.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL)
    found: list[str] = []

    def read_ready() -> None:
        for raw in process.stdout:
            match = _READY.search(raw.decode("utf-8", "replace"))
            if match:
                found.append(match.group(1))
                return

    reader = threading.Thread(target=read_ready, daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not found:
        process.kill()
        process.wait()
        tail = log.read_text("utf-8", "replace")[-2000:]
        raise HarnessError(f"the bundled broker did not start within {START_TIMEOUT_S:g} s (exit "
                           f"{process.returncode}); its log {log} ends: {tail or '(empty)'}",
                           code="sut-unreachable", field="--sut", actual=SPEC)
    return process, found[0], credentials


class ServedReferenceSUT(HttpSUT):
    """The reference broker behind `harness serve --pki` in a child process (see module doc)."""

    def __init__(self, workdir: str):
        folder = Path(workdir)
        self._process, url, credentials = _start(folder)
        super().__init__(url, workdir, credentials=credentials)
        self.description = self.description.__class__(
            name=f"bundled reference broker ({url}, pid {self._process.pid})", adapter="http+tls-client-cert",
            endpoint=url)
        self.service_log = LogFileView(folder / "broker.log")

    def _view(self, identity: str | None) -> HttpSUT:
        """The same server seen by another party (or by nobody): a plain `HttpSUT`, which
        does not own the server process."""
        view = HttpSUT(self.base_url, self.workdir, timeout=self.timeout, credentials=self.credentials,
                       identity=identity)
        view.wire_tap = self.wire_tap
        return view

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            if self._process.stdout is not None:
                self._process.stdout.close()
