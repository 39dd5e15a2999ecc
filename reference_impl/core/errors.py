"""Errors the market core raises. Each names the offending field as a JSON pointer into the
request the caller sent, so the HTTP binding and the harness can show where input went wrong.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request.

    Attributes:
        code: stable machine-readable code, e.g. ``bid-expired``, ``wrong-currency``.
        field: JSON pointer into the request (``/price/currency``); ``""`` for the whole request.
        message: one sentence for a person, saying what is wrong and what was expected.
    """

    code: str
    field: str
    message: str

    def to_record(self) -> dict:
        return {"code": self.code, "field": self.field, "message": self.message}


class MarketError(Exception):
    """Base class of the core's refusals; carries one or more field errors."""

    status = "rejected"

    def __init__(self, *errors: FieldError):
        if not errors:
            raise ValueError("a MarketError needs at least one FieldError")
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{e.field or '/'}: {e.message}" for e in errors))

    @property
    def code(self) -> str:
        return self.errors[0].code


class Rejected(MarketError):
    """The request is malformed or breaks a market rule; nothing was changed."""


class NotFound(MarketError):
    """The request names an entity the market does not hold."""

    status = "not-found"


class Conflict(MarketError):
    """The request is well formed but not allowed in the entity's current state."""

    status = "conflict"


def rejected(code: str, field: str, message: str) -> Rejected:
    return Rejected(FieldError(code, field, message))
