"""The platform's own log, as far as the harness can read it (Y.2072 clause 10, privacy): a
certification lab points ``harness run --sut-log FILE`` at the file the platform writes its
request log to, and the SEC-LOG-PRIVACY scenarios read what it wrote while they ran.

`LogFileView` reads the bytes appended to the file since `mark()`; a SUT without a readable
log leaves those scenarios not-tested.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import HarnessError

SETTLE_S = 0.2   # a server writes its access line before it answers; this covers buffered writers


@runtime_checkable
class ServiceLogSUT(Protocol):
    """A SUT whose request log the harness can read."""

    service_log: LogFileView | None


class LogFileView:
    """Appended text of one log file.

    Args:
        path: the file the platform writes (it may not exist yet).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def mark(self) -> int:
        """Returns: the file's current size, to read what comes after."""
        return self.path.stat().st_size if self.path.exists() else 0

    def since(self, mark: int) -> str:
        """Returns: the text appended after ``mark`` (UTF-8, undecodable bytes replaced).

        Raises:
            HarnessError: the file is gone or was truncated below ``mark``.
        """
        time.sleep(SETTLE_S)
        if not self.path.exists() or self.path.stat().st_size < mark:
            raise HarnessError(f"the platform's log {self.path} was removed or truncated during the scenario",
                               code="sut-log-truncated", field="--sut-log", actual=str(self.path))
        with self.path.open("rb") as log:
            log.seek(mark)
            return log.read().decode("utf-8", "replace")
