"""The wire log: every request a scenario sent to the SUT and every answer it got, saved beside
the reports (``wire/NNN-<scenario>.jsonl``, one JSON object per line) and linked from the
scenario in conformance.json and the HTML report, so a finding can be traced to the exchange
that produced it.

Two layers, one file per scenario:
- ``operation``: written by `RecordingSUT`, a proxy around any MarketSUT: the operation, its
  arguments, the answer's status, body and errors, and the time it took;
- ``http`` (or other transports): adapters that expose a ``wire_tap`` attribute get it set to
  `WireLog.record`, and report raw exchanges (method, URL, status, bodies, schema errors).
Lines are written as they happen, so a crashed run still leaves its log.
"""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

_SLUG = re.compile(r"[^a-z0-9]+")
# Bodies are kept whole up to this size; larger ones are cut and marked (a wire log that cannot
# be opened helps nobody).
MAX_BODY_CHARS = 64 * 1024


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value if not isinstance(value, str) or len(value) <= MAX_BODY_CHARS else \
            value[:MAX_BODY_CHARS] + f"… [{len(value) - MAX_BODY_CHARS} more characters]"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return _jsonable(value.decode("utf-8", errors="replace"))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class WireLog:
    """Args:
        directory: where the per-scenario files go (emptied when the run starts).
    """

    def __init__(self, directory: Path):
        self.directory = directory
        self._count = 0
        self._file: IO[str] | None = None
        self._seq = 0
        if directory.exists():
            for old in directory.glob("*.jsonl"):
                old.unlink()
        directory.mkdir(parents=True, exist_ok=True)

    def begin(self, scenario_name: str) -> str:
        """Start the log of one scenario; returns its path relative to the report directory."""
        self.end()
        self._count += 1
        self._seq = 0
        name = f"{self._count:03d}-{_SLUG.sub('-', scenario_name.lower()).strip('-')[:80]}.jsonl"
        self._file = (self.directory / name).open("w", encoding="utf-8", buffering=1)
        return f"{self.directory.name}/{name}"

    def record(self, entry: dict) -> None:
        if self._file is None:
            return
        self._seq += 1
        line = {"seq": self._seq, **_jsonable(entry)}
        self._file.write(json.dumps(line, ensure_ascii=False, sort_keys=False) + "\n")

    def end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class RecordingSUT:
    """A transparent proxy that records every operation called on the wrapped SUT.

    Attributes other than callables pass straight through (``description``). Exceptions are
    recorded and re-raised unchanged, so verdicts are not affected by the recording.
    """

    def __init__(self, inner: Any, record: Callable[[dict], None]):
        self._inner = inner
        self._record = record

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        if not callable(target) or name.startswith("_"):
            return target

        def recorded(*args, **kwargs):
            started = time.perf_counter()
            entry: dict = {"layer": "operation", "operation": name, "args": list(args)}
            if kwargs:
                entry["kwargs"] = kwargs
            try:
                answer = target(*args, **kwargs)
            except Exception as exc:
                entry.update(raised=f"{type(exc).__name__}: {exc}",
                             duration_ms=round((time.perf_counter() - started) * 1000, 3))
                self._record(entry)
                raise
            entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
            if hasattr(answer, "status") and hasattr(answer, "errors"):
                entry.update(status=answer.status, body=answer.body, errors=list(answer.errors))
            elif answer is not None:
                entry["result"] = answer
            self._record(entry)
            return answer

        return recorded
