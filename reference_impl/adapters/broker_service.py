"""The broker behind the HTTP binding (`http_service`): one repository, the clock (settable in
test mode), the lock that serialises calls, and the test-mode operations `GET /test/info`,
`POST /test/reset` (a fresh database file beside the configured one) and `POST /test/clock`.
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..broker import ReferenceBroker
from ..clock import SettableClock, SystemClock
from ..core import parsing as p
from ..core.errors import Conflict, FieldError
from .key_store import KeyStore
from .sqlite_repository import SqliteRepository

TEST_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)   # test clock after start and each reset


def _default_version() -> str:
    try:
        from importlib.metadata import version
        return version("energy-conformance-harness")
    except Exception:  # not installed (e.g. run from a source tree)
        return "unknown"


class BrokerService:
    """The broker behind the HTTP binding: repository, clock and the lock that serialises calls.

    Args:
        db_path: the SQLite database file (created if missing; its directory must exist).
        test_mode: enable reset and a settable clock (see module docstring).
        broker_class: the broker to run; tests pass deliberately faulty subclasses.
        name: what ``GET /test/info`` calls this platform.
        version: the version ``GET /test/info`` reports; defaults to the installed package's.
    """

    def __init__(self, db_path: str | Path, *, test_mode: bool = False,
                 broker_class: type[ReferenceBroker] = ReferenceBroker,
                 name: str = "reference broker", version: str | None = None):
        self.db_path = Path(db_path)
        self.test_mode = test_mode
        self.broker_class = broker_class
        self.name = name
        self.version = version or _default_version()
        self.lock = threading.Lock()
        self._resets = 0
        # beside the configured database, shared by the files a test-mode reset opens
        self.keys = KeyStore(self.db_path.with_name(f"{self.db_path.stem}.keys"))
        self._repo: SqliteRepository | None = None
        self._open(self.db_path)

    def _open(self, path: Path) -> None:
        self._repo = SqliteRepository(path)
        self.clock = SettableClock(TEST_EPOCH) if self.test_mode else SystemClock()
        self.broker = self.broker_class(self._repo, self.clock, keys=self.keys)

    @staticmethod
    def _remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    @property
    def repository(self) -> SqliteRepository:
        """The open repository (call with `lock` held)."""
        return self._repo

    def info(self) -> dict:
        """Returns: ``{"name", "version", "test_mode"}``, the body of ``GET /test/info``."""
        return {"name": self.name, "version": self.version, "test_mode": self.test_mode}

    def reset(self) -> dict:
        """Start an empty store and a test clock at `TEST_EPOCH` (call with `lock` held).

        Returns:
            ``{"reset": true, "now": ...}``.
        """
        previous = Path(self._repo.path) if self._repo is not None else None
        self.close()
        if previous is not None and previous != self.db_path:
            self._remove(previous)
        self._resets += 1
        fresh = self.db_path.with_name(f"{self.db_path.stem}-{self._resets:04d}.sqlite3")
        self._remove(fresh)  # left over from an earlier server on the same --db
        self._open(fresh)
        return {"reset": True, "now": self.clock.now().isoformat()}

    def set_clock(self, body: Any) -> dict:
        """Move the test clock to ``body["now"]`` (call with `lock` held).

        Returns:
            ``{"now": ...}``.
        Raises:
            Rejected: ``/now`` missing, not ISO-8601, or without a UTC offset.
            Conflict: ``/now`` is before the current market time (the clock never goes back).
        """
        now = p.instant(body, "now")
        try:
            self.clock.set(now)
        except ValueError as exc:
            raise Conflict(FieldError("clock-backwards", "/now", str(exc))) from None
        return {"now": self.clock.now().isoformat()}

    def close(self) -> None:
        """Close the database (call with `lock` held, as `BrokerHTTPServer.server_close` does)."""
        if self._repo is not None:
            self._repo.close()
            self._repo = None
