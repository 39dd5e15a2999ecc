"""Failures of the bench, kept apart by what they mean for a verdict.

`InstrumentError` and `InstrumentTimeout` are `HarnessError`s: the bench could not take a
measurement (verdict ``error``), which says nothing about the meter's conformance.
`ReadoutError` is what a meter's telegram is wrong with (bad BCC, malformed register line); the
readout-integrity check turns it into a finding, every other check into an ``error`` (a reading
that cannot be trusted cannot be compared).
"""
from __future__ import annotations

from harness.errors import HarnessError


class InstrumentError(HarnessError):
    """An instrument refused a command, answered garbage, or is not the one the rig declares."""


class InstrumentTimeout(InstrumentError):
    """An instrument did not answer within its timeout."""


class ReadoutError(InstrumentError):
    """A meter's data readout failed its integrity checks (BCC, framing, register format)."""


class RigError(HarnessError):
    """A rig file is invalid; `field` names the offending entry as a JSON pointer."""


class SafetyLimitError(HarnessError):
    """A command would drive an instrument beyond the rig's declared safe limits; not sent."""
