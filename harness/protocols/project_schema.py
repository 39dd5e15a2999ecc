"""Locator for the project's own XSDs in the repository's `schemas/` folder.

The harness is installed editable from its checkout (see the Makefile), so the folder sits two
levels above this package. The official OpenADR 2.0b schemas are located elsewhere, in the
openleadr wheel (`oadr_schema`).
"""
from __future__ import annotations

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def locate(name: str) -> Path:
    """Path of the project XSD called `name` (e.g. "bill.xsd").

    Raises:
        FileNotFoundError: no such schema; the message lists the ones there are.
    """
    path = SCHEMA_DIR / name
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in SCHEMA_DIR.glob("*.xsd"))) or "none yet"
        raise FileNotFoundError(f"no project schema {name!r} in {SCHEMA_DIR}; known: {known}")
    return path
