"""Value rules of the OpenADR 2.0b codec: namespaces, field checks, datetime/duration text.

This module owns how single values are checked, written and read, and the XSD enumerations
the message modules check against. `oadr_parts` (reading/building helpers, shared message
parts) and the message modules (`oadr_events`, `oadr_reports`, `oadr_codec`) build on it.

Rules:

- Messages are frozen dataclasses that check themselves in ``__post_init__`` and raise
  `MessageInvalid` naming the field (``"Interval.duration"``); sequences are stored as tuples.
- Datetimes are timezone-aware and written in UTC as ``YYYY-MM-DDThh:mm:ss[.ffffff]Z``
  (xcal:DateTimeType); a datetime read without ``Z`` is refused (``datetime-not-utc``).
- Durations are `datetime.timedelta` in whole seconds, written as ISO-8601 (``PT15M``,
  ``P1DT2H``, ``PT0S``) per xcal:DurationValueType; years and months have no fixed length and
  are refused when read (``duration-unsupported``).
- Numbers in ``ei:payloadFloat`` are xs:float: finite and within the 32-bit range.
- Identifiers and free text are non-empty, not only white space, and XML 1.0 characters only;
  enumerations are checked against the XSD's lists, with ``x-...`` extensions
  (ei:EiExtensionTokenType) where the XSD allows them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from .oadr_schema import PREFIXES

NS = PREFIXES
FLOAT32_MAX = 3.4028234663852886e38
UINT_MAX = 2**32 - 1

_XML_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EXTENSION = re.compile(r"x-\S.*")  # ei:EiExtensionTokenType
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d*))?(Z?)")
# xcal:DurationValueType: (\+|\-)?P((\d+Y)?(\d+M)?(\d+D)?T?(\d+H)?(\d+M)?(\d+S)?)|(\d+W)
_DURATION = re.compile(r"(?P<sign>[+-])?P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<d>\d+)D)?T?"
                       r"(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+)S)?|(?P<w>\d+)W")


def q(prefix: str, local: str) -> str:
    """Clark name ``{namespace}local`` for a prefix of `NS`."""
    return f"{{{NS[prefix]}}}{local}"


class MessageInvalid(ValueError):
    """A message (or part) was constructed with a value the rules refuse.

    Attributes:
        code: ``invalid-field`` for a bad value; other codes name a rule (``duplicate-id``,
            ``duration-mismatch``, ``simple-signal-level``, ...).
        field: ``Class.attribute`` (with an index for sequence members).
        message: human-readable explanation.
    """

    def __init__(self, code: str, field: str, message: str):
        self.code = code
        self.field = field
        self.message = message
        super().__init__(f"{message} [{code}]" + (f" at {field}" if field else ""))


# ----------------------------------------------------------------------------- value checks
class Fields:
    """Checks and normalises the fields of one dataclass instance in its ``__post_init__``.

    A package-internal helper of the message modules. Each method checks one attribute by
    name and raises `MessageInvalid` (field ``Class.attribute``) when it is refused:
    ``text`` (non-empty XML text), ``token`` (an XSD enumeration, optionally ``x-...``),
    ``instance`` (of a class), ``uri``, ``uint`` (xs:unsignedInt), ``boolean``, ``number`` (finite xs:float, stored as
    float), ``decimal`` (stored as Decimal), ``utc`` (aware datetime, stored in UTC),
    ``duration`` (whole seconds, non-negative or positive), ``response_code`` (three digits),
    ``items`` (a sequence of one type, stored as a tuple), ``text_items`` and ``unique``.
    ``optional=True`` lets ``None`` through.
    """

    def __init__(self, obj: Any):
        self.obj = obj
        self.owner = type(obj).__name__

    def fail(self, field: str, message: str, code: str = "invalid-field") -> None:
        raise MessageInvalid(code, f"{self.owner}.{field}", f"{self.owner}.{field} {message}")

    def _get(self, field: str, optional: bool) -> Any:
        value = getattr(self.obj, field)
        if value is None and not optional:
            self.fail(field, "is required")
        return value

    def _put(self, field: str, value: Any) -> None:
        object.__setattr__(self.obj, field, value)

    def text(self, field: str, *, optional: bool = False, empty_ok: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        if not isinstance(value, str):
            self.fail(field, f"must be a string, not {type(value).__name__}")
        if not empty_ok and not value.strip():
            self.fail(field, "must not be empty or only white space")
        if _XML_CHARS.search(value):
            self.fail(field, "contains characters XML 1.0 cannot carry")

    def token(self, field: str, allowed: Iterable[str], *, extension: bool = False,
              optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        allowed = tuple(allowed)
        if value in allowed:
            return
        if extension and isinstance(value, str) and _EXTENSION.fullmatch(value) \
                and " ".join(value.split()) == value:
            return
        extra = " or an x-... extension" if extension else ""
        self.fail(field, f"must be one of {', '.join(allowed)}{extra}; got {value!r}")

    def instance(self, field: str, kind: type | tuple[type, ...], *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is not None and not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(field, f"must be a {names}; got {type(value).__name__}")

    def uri(self, field: str, *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is not None and not (isinstance(value, str) and _URI.fullmatch(value)):
            self.fail(field, f"must be an absolute URI without spaces; got {value!r}")

    def response_code(self, field: str) -> None:
        value = self._get(field, False)
        if not (isinstance(value, str) and re.fullmatch(r"[0-9]{3}", value)):
            self.fail(field, f"must be three digits (ei:ResponseCodeType); got {value!r}")

    def uint(self, field: str, *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT_MAX:
            self.fail(field, f"must be an integer from 0 to {UINT_MAX} (xs:unsignedInt); got {value!r}")

    def boolean(self, field: str, *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is not None and not isinstance(value, bool):
            self.fail(field, f"must be True or False; got {value!r}")

    def number(self, field: str, *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            self.fail(field, f"must be a number, not {type(value).__name__}")
        value = float(value)
        if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
            self.fail(field, f"must be finite and within xs:float range; got {value!r}")
        self._put(field, value)

    def decimal(self, field: str) -> None:
        value = self._get(field, False)
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
            self.fail(field, f"must be a decimal number; got {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            self.fail(field, f"must be a finite decimal number; got {value!r}")
        self._put(field, number)

    def utc(self, field: str, *, optional: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        if not isinstance(value, datetime) or value.utcoffset() is None:
            self.fail(field, f"must be a timezone-aware datetime; got {value!r}")
        self._put(field, value.astimezone(timezone.utc))

    def duration(self, field: str, *, optional: bool = False, positive: bool = False) -> None:
        value = self._get(field, optional)
        if value is None:
            return
        if not isinstance(value, timedelta):
            self.fail(field, f"must be a datetime.timedelta; got {value!r}")
        if value.microseconds:
            self.fail(field, "must be whole seconds (xcal durations have no fractions)")
        if value < timedelta(0) or (positive and value == timedelta(0)):
            self.fail(field, f"must be {'positive' if positive else 'zero or positive'}; got {value}")

    def items(self, field: str, kind: type | tuple[type, ...], *, min_items: int = 0) -> tuple:
        value = self._get(field, False)
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            self.fail(field, f"must be a sequence; got {value!r}")
        value = tuple(value)
        for i, item in enumerate(value):
            if not isinstance(item, kind):
                names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
                self.fail(f"{field}[{i}]", f"must be a {names}; got {type(item).__name__}")
        if len(value) < min_items:
            self.fail(field, f"needs at least {min_items} item(s)")
        self._put(field, value)
        return value

    def text_items(self, field: str) -> None:
        for i, value in enumerate(self.items(field, str)):
            if not value.strip() or _XML_CHARS.search(value):
                self.fail(f"{field}[{i}]", "must be non-empty XML text")

    def unique(self, field: str, keys: Iterable[Any], what: str) -> None:
        seen: set = set()
        for i, key in enumerate(keys):
            if key in seen:
                self.fail(f"{field}[{i}]", f"repeats {what} {key!r}", code="duplicate-id")
            seen.add(key)


# ------------------------------------------------------------------- formatting and reading
def fmt_datetime(value: datetime) -> str:
    """xcal:DateTimeType text of an aware datetime.

    Args:
        value: a timezone-aware datetime.

    Returns:
        ``YYYY-MM-DDThh:mm:ss[.ffffff]Z`` in UTC.
    """
    v = value.astimezone(timezone.utc)
    text = f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    return text + (f".{v.microsecond:06d}" if v.microsecond else "") + "Z"


def fmt_duration(value: timedelta) -> str:
    """xcal:DurationValueType (ISO-8601) text of a duration.

    Args:
        value: a non-negative timedelta in whole seconds.

    Returns:
        e.g. ``PT15M``, ``P1DT2H``, ``PT0S`` for zero.
    """
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not days and not time:
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")


def fmt_float(value: float) -> str:
    """xs:float text of a finite number: Python's shortest round-tripping form (``0.1``)."""
    return repr(float(value))


def fmt_bool(value: bool) -> str:
    """xs:boolean text: ``true`` or ``false``."""
    return "true" if value else "false"


def parse_datetime(text: str) -> datetime:
    """Read an xcal:DateTimeType value; only UTC (``Z``) is accepted.

    Args:
        text: e.g. ``2026-06-01T10:00:00Z`` (fractions beyond microseconds are cut off).

    Returns:
        An aware datetime in UTC.

    Raises:
        MessageInvalid: ``invalid-datetime``, or ``datetime-not-utc`` without ``Z``.
    """
    match = _DATETIME.fullmatch(text.strip())
    if not match:
        raise MessageInvalid("invalid-datetime", "", f"{text!r} is not an xcal date-time")
    if not match.group(8):
        raise MessageInvalid("datetime-not-utc", "", f"{text!r} has no Z: OpenADR date-times are UTC")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    micro = int((match.group(7) or "").ljust(6, "0")[:6])
    extra = timedelta(0)
    if hour == 24 and minute == second == micro == 0:  # xs:dateTime allows 24:00:00
        hour, extra = 0, timedelta(days=1)
    try:
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=timezone.utc) + extra
    except (ValueError, OverflowError) as exc:
        raise MessageInvalid("invalid-datetime", "", f"{text!r}: {exc}") from None


def parse_duration(text: str) -> timedelta:
    """Read an xcal:DurationValueType value (weeks, days, hours, minutes, seconds).

    Args:
        text: e.g. ``PT15M``; the xcal pattern also allows ``P1H`` (no ``T``) and ``2W``.

    Returns:
        The duration (negative for a leading ``-``).

    Raises:
        MessageInvalid: ``invalid-duration`` (not the pattern, no component, out of range),
            or ``duration-unsupported`` for years and months, which have no fixed length.
    """
    match = _DURATION.fullmatch(text.strip())
    if not match or not any(match.group(k) for k in ("y", "mo", "d", "h", "mi", "s", "w")):
        raise MessageInvalid("invalid-duration", "", f"{text!r} is not an xcal duration")
    if match.group("y") or match.group("mo"):
        raise MessageInvalid("duration-unsupported", "",
                             f"{text!r} uses years or months, which have no fixed length")
    parts = {k: int(match.group(k) or 0) for k in ("w", "d", "h", "mi", "s")}
    try:
        value = timedelta(weeks=parts["w"], days=parts["d"], hours=parts["h"],
                          minutes=parts["mi"], seconds=parts["s"])
    except OverflowError:
        raise MessageInvalid("invalid-duration", "", f"{text!r} is out of range") from None
    return -value if match.group("sign") == "-" else value


# ------------------------------------------------------------ enumerations of the XSDs
# ei:SignalNameEnumeratedType, ei:SignalTypeEnumeratedType, ei:EventStatusEnumeratedType.
SIGNAL_NAMES = ("SIMPLE", "simple", "ELECTRICITY_PRICE", "ENERGY_PRICE", "DEMAND_CHARGE",
                "BID_PRICE", "BID_LOAD", "BID_ENERGY", "CHARGE_STATE", "LOAD_DISPATCH",
                "LOAD_CONTROL")
SIGNAL_TYPES = ("delta", "level", "multiplier", "price", "priceMultiplier", "priceRelative",
                "setpoint", "x-loadControlCapacity", "x-loadControlLevelOffset",
                "x-loadControlPercentOffset", "x-loadControlSetpoint")
EVENT_STATUSES = ("none", "far", "near", "active", "completed", "cancelled")
RESPONSE_REQUIRED = ("always", "never")  # oadr:ResponseRequiredType
OPT_TYPES = ("optIn", "optOut")  # ei:OptTypeType
# ei:ReportEnumeratedType, ei:ReadingTypeEnumeratedType, ei:reportNameEnumeratedType,
# oadr:oadrDataQualityType.
REPORT_TYPES = ("reading", "usage", "demand", "setPoint", "deltaUsage", "deltaSetPoint",
                "deltaDemand", "baseline", "deviation", "avgUsage", "avgDemand", "operatingState",
                "upRegulationCapacityAvailable", "downRegulationCapacityAvailable",
                "regulationSetpoint", "storedEnergy", "targetEnergyStorage",
                "availableEnergyStorage", "price", "level", "powerFactor", "percentUsage",
                "percentDemand", "x-resourceStatus")
READING_TYPES = ("Direct Read", "Net", "Allocated", "Estimated", "Summed", "Derived", "Mean",
                 "Peak", "Hybrid", "Contract", "Projected", "x-RMS", "x-notApplicable")
REPORT_NAMES = ("METADATA_HISTORY_USAGE", "HISTORY_USAGE", "METADATA_HISTORY_GREENBUTTON",
                "HISTORY_GREENBUTTON", "METADATA_TELEMETRY_USAGE", "TELEMETRY_USAGE",
                "METADATA_TELEMETRY_STATUS", "TELEMETRY_STATUS")
DATA_QUALITIES = (
    "No Quality - No Value", "No New Value - Previous Value Used", "Quality Bad - Non Specific",
    "Quality Bad - Configuration Error", "Quality Bad - Not Connected",
    "Quality Bad - Device Failure", "Quality Bad - Sensor Failure",
    "Quality Bad - Last Known Value", "Quality Bad - Comm Failure",
    "Quality Bad - Out of Service", "Quality Uncertain - Non Specific",
    "Quality Uncertain - Last Usable Value", "Quality Uncertain - Sensor Not Accurate",
    "Quality Uncertain - EU Units Exceeded", "Quality Uncertain - Sub Normal",
    "Quality Good - Non Specific", "Quality Good - Local Override", "Quality Limit - Field/Not",
    "Quality Limit - Field/Low", "Quality Limit - Field/High", "Quality Limit - Field/Constant")
PROFILES = ("2.0a", "2.0b")  # oadr:oadrProfileType
TRANSPORTS = ("simpleHttp", "xmpp")  # oadr:oadrTransportType
OPT_REASONS = ("economic", "emergency", "mustRun", "notParticipating", "outageRunStatus",
               "overrideStatus", "participating", "x-schedule")  # ei:OptReasonEnumeratedType
SI_SCALES = ("p", "n", "micro", "m", "c", "d", "k", "M", "G", "T", "none")  # scale:SiScaleCodeType
