"""The one transition mechanism for the core's state machines (house rule 5): every legal move
is a row ``(state, event) -> next state`` of a table owned by the entity's module, and an event
with no row raises `Conflict`, naming the entity and the refused move.
"""
from __future__ import annotations

from collections.abc import Mapping

from .errors import Conflict, FieldError


def next_state(table: Mapping[tuple[str, str], str], state: str, event: str, subject: str) -> str:
    """Look up the move; ``subject`` names the entity in the error ("bid B-1").

    Raises:
        Conflict: code ``illegal-transition`` at ``/state`` when the table has no such row.
    """
    try:
        return table[(state, event)]
    except KeyError:
        raise Conflict(FieldError("illegal-transition", "/state",
                                  f"{subject} is {state}; cannot {event}")) from None
