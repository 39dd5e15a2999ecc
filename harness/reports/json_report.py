"""conformance.json (docs/contracts.md): the run record as JSON, fields in the documented order."""
from __future__ import annotations

import json
from pathlib import Path


def write_json(record: dict, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)  # a reader never sees half a report
    return path
