"""Project-wide test settings."""
from __future__ import annotations

import os
import tempfile


def pytest_configure(config):
    # Every harness run, bench and bill verification signs its evidence. Tests (and the
    # subprocesses they start, which inherit the environment) use a throwaway lab key, never
    # the user's own (~/.config/energy-harness/lab-key.pem) and never creating one there.
    if "HARNESS_LAB_KEY" not in os.environ:
        os.environ["HARNESS_LAB_KEY"] = os.path.join(tempfile.mkdtemp(prefix="harness-lab-key-"), "lab-key.pem")
