"""The harness's two kinds of failure, kept apart because they mean different verdicts:
`ConformanceViolation` is a finding against the SUT (verdict ``fail``); `HarnessError` means the
harness, its configuration or the SUT's transport broke (verdict ``error``).

Both carry a ``code``, the ``field`` concerned (JSON pointer or XPath), what was ``expected``
and what was ``actual``, so a report can say exactly where a platform went wrong.
"""
from __future__ import annotations


class _Finding(Exception):
    def __init__(self, message: str, *, code: str, field: str = "", expected=None, actual=None):
        self.code = code
        self.field = field
        self.expected = expected
        self.actual = actual
        detail = f" [{code}]" + (f" at {field}" if field else "")
        if expected is not None or actual is not None:
            detail += f": expected {expected!r}, got {actual!r}"
        super().__init__(message + detail)


class ConformanceViolation(_Finding, AssertionError):
    """The SUT did something the requirement forbids, or failed to do what it demands."""


class HarnessError(_Finding):
    """The harness was misused or could not run a check (bad option, SUT unreachable)."""


class SUTError(HarnessError):
    """The SUT's adapter or transport failed (crash, 5xx, timeout): not a conformance finding."""


class SUTLacksFeature(Exception):
    """The SUT does not offer what a scenario needs (e.g. an OpenADR VTN, or a way to modify a
    published event): the scenario is ``not-applicable`` with this reason, neither a finding
    nor an error. Adapters raise it only for a capability the SUT really lacks, never to hide
    a failure.

    Args:
        reason: what is missing, in a sentence a report reader understands.
        feature: a short name for it (``event-modification``).
    """

    def __init__(self, reason: str, *, feature: str):
        self.feature = feature
        super().__init__(f"not-applicable: {reason} [{feature}]")
