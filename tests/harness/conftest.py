"""Runs the real `harness` command in a subprocess, as a user or CI would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent


@dataclass
class RunResult:
    exit_code: int
    output: str
    report_dir: Path

    @property
    def record(self) -> dict:
        return json.loads((self.report_dir / "conformance.json").read_text())

    def verdicts(self) -> dict[str, str]:
        return {r["id"]: r["verdict"] for r in self.record["requirements"]}


@pytest.fixture
def harness_cli(tmp_path):
    def run(*args: str, report_dir: Path | None = None) -> RunResult:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
               # runs sign their evidence; never with (or creating) the user's own lab key
               "HARNESS_LAB_KEY": str(tmp_path / "lab-key.pem")}
        out = report_dir or tmp_path / "reports"
        argv = [sys.executable, "-m", "harness.cli", *args]
        if args and args[0] == "run":
            argv += ["--report-dir", str(out), "-q"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
        return RunResult(done.returncode, done.stdout + done.stderr, out)
    return run
