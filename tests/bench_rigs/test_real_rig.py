"""Hardware tests: `harness bench` against the real rig named by BENCH_RIG (a rig file path).
Skipped unless BENCH_RIG is set, as the house rules require; CI runs the simulated rig instead
(test_bench_faults.py)."""
import json
import os
import subprocess
import sys

import pytest

RIG = os.environ.get("BENCH_RIG")
pytestmark = pytest.mark.skipif(not RIG, reason="BENCH_RIG is not set (path of a rig file with real instruments)")


def test_the_real_rig_runs_and_reports(tmp_path):
    done = subprocess.run([sys.executable, "-m", "harness.cli", "bench", "--rig", RIG, "--report-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=3600)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    record = json.loads((tmp_path / "conformance.json").read_text())
    assert all(i["identity"] for i in record["bench"]["instruments"].values())
    assert (tmp_path / "meter-error.png").exists()
