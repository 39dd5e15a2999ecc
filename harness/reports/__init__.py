"""Report writers. Each is a callback that receives the finished run record (the dict that is
conformance.json) and the report directory, and writes one artefact there. JUnit XML and
Allure results are written during the run by pytest and allure-pytest-bdd themselves."""
from __future__ import annotations

from pathlib import Path

from .html import write_html
from .json_report import write_json


def write_all(record: dict, report_dir: Path) -> list[Path]:
    return [write_json(record, report_dir / "conformance.json"),
            write_html(record, report_dir / "conformance.html")]
