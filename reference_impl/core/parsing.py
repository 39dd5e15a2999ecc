"""Readers that turn a JSON-like request into typed values, or raise `Rejected` naming the
field by JSON pointer. Every request the core accepts goes through these, so "which field, what
was expected, what came" is reported the same way everywhere.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from .errors import FieldError, Rejected

_MISSING = object()


def _err(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))


def _get(raw: Mapping, key: str, pointer: str, required: bool):
    if not isinstance(raw, Mapping):
        raise _err("malformed", pointer.rsplit("/", 1)[0], "expected a JSON object")
    value = raw.get(key, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise _err("missing-field", pointer, f"required field '{key}' is missing")
        return _MISSING
    return value


def text(raw: Mapping, key: str, prefix: str = "", *, required: bool = True,
         choices: Sequence[str] | None = None, default: str | None = None) -> str | None:
    """Read a non-empty string; with ``choices``, one of them."""
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return default
    if not isinstance(value, str) or not value.strip():
        raise _err("invalid-type", pointer, f"expected a non-empty string, got {value!r}")
    if choices is not None and value not in choices:
        raise _err("invalid-value", pointer, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def number(raw: Mapping, key: str, prefix: str = "", *, required: bool = True,
           positive: bool = False, minimum: float | None = None,
           default: float | None = None) -> float | None:
    """Read a finite number; ``positive`` demands > 0, ``minimum`` demands >= minimum."""
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _err("invalid-type", pointer, f"expected a finite number, got {value!r}")
    if positive and value <= 0:
        raise _err("out-of-range", pointer, f"must be greater than 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise _err("out-of-range", pointer, f"must be at least {minimum}, got {value!r}")
    return float(value)


def decimal(raw: Mapping, key: str, prefix: str = "", *, required: bool = True,
            minimum: Decimal | None = None, default: Decimal | None = None) -> Decimal | None:
    """Read a money amount given as a decimal string ("0.1250") or a number."""
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _err("invalid-type", pointer, f"expected a decimal amount, got {value!r}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _err("invalid-type", pointer, f"expected a decimal amount, got {value!r}") from None
    if not amount.is_finite():
        raise _err("invalid-type", pointer, f"expected a finite amount, got {value!r}")
    if minimum is not None and amount < minimum:
        raise _err("out-of-range", pointer, f"must be at least {minimum}, got {value}")
    return amount


def instant(raw: Mapping, key: str, prefix: str = "", *, required: bool = True) -> datetime | None:
    """Read an ISO-8601 timestamp that carries a UTC offset (naive times are ambiguous)."""
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return None
    if not isinstance(value, str):
        raise _err("invalid-type", pointer, f"expected an ISO-8601 timestamp string, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _err("invalid-type", pointer, f"expected an ISO-8601 timestamp, got {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _err("invalid-value", pointer, f"timestamp {value!r} has no UTC offset; add 'Z' or '+01:00'")
    return parsed


def string_list(raw: Mapping, key: str, prefix: str = "", *, required: bool = True) -> tuple[str, ...]:
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return ()
    if not isinstance(value, list) or not value:
        raise _err("invalid-type", pointer, f"expected a non-empty list of strings, got {value!r}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _err("invalid-type", f"{pointer}/{index}", f"expected a non-empty string, got {item!r}")
    if len(set(value)) != len(value):
        raise _err("duplicate", pointer, "list contains the same entry twice")
    return tuple(value)


def mapping(raw: Mapping, key: str, prefix: str = "", *, required: bool = True) -> Mapping | None:
    pointer = f"{prefix}/{key}"
    value = _get(raw, key, pointer, required)
    if value is _MISSING:
        return None
    if not isinstance(value, Mapping):
        raise _err("invalid-type", pointer, f"expected a JSON object, got {value!r}")
    return value


def interval_hours(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def fmt_instant(value: datetime) -> str:
    return value.isoformat()
