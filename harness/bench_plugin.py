"""The pytest plugin behind `harness bench`: `HarnessPlugin` with a rig in place of a market SUT.

Same scenario outcomes, verdicts, wire log and reports as `harness run`; the ``sut`` fixture is
the meter on its rig (`harness.sut.bench.BenchSUT`), so every instrument operation lands in the
scenario's wire log. When the run ends the record gains a ``bench`` section (rig, instruments
with identities, resource strings and calibration, every test point measured) and the meter
error plot is written beside the reports and linked from conformance.html.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

from . import catalog
from .plugin import HarnessPlugin
from .reports import write_all
from .reports.bench_plot import write_error_plot
from .sut.bench import load_bench
from .wirelog import WireLog


class BenchPlugin(HarnessPlugin):
    """Args:
        rig_path: the rig file.
        report_dir: where the reports go.
        requirements: if given, run only scenarios covering one of these IDs.
    """

    def __init__(self, rig_path: Path, report_dir: Path, requirements: tuple[str, ...] = (),
                 market_spec: str | None = "reference"):
        self.sut_spec = str(rig_path)
        self.city_scale = False  # HarnessPlugin.pytest_collection_modifyitems reads it (issue 7)
        self.profile = catalog.profile("hil")
        self.report_dir = report_dir
        self.selected = set(requirements)
        unknown = self.selected - set(catalog.by_id())
        if unknown:
            from .errors import HarnessError
            raise HarnessError("unknown requirement id", code="unknown-requirement", field="--requirement",
                               actual=sorted(unknown))
        self.results = {}
        self.record = None
        self.started_at = datetime.now(timezone.utc)
        self.collection_failed = False
        workdir = report_dir / "sut-work"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        # a bad rig, a dead instrument or an unreachable market: exit 2 before any scenario
        self.sut = load_bench(rig_path, market_spec, workdir=str(workdir))
        self.description = self.sut.description
        self.wire = WireLog(report_dir / "wire")
        if hasattr(self.sut.market, "wire_tap"):
            self.sut.market.wire_tap = self.wire.record

    def pytest_sessionfinish(self, session, exitstatus):
        super().pytest_sessionfinish(session, exitstatus)
        rig = self.sut.rig
        self.record["bench"] = {
            "rig": {"name": rig.name, "file": str(rig.path)},
            "meter": {"id": rig.meter.id, "standard": rig.meter.standard,
                      "accuracy_class": rig.meter.accuracy_class,
                      "reference_voltage_v": rig.meter.reference_voltage_v,
                      "currents_a": {k: v for k, v in vars(rig.meter.currents).items() if v is not None}},
            "instruments": self.sut.identities,
            "test_points": self.sut.results,
            "plots": [],
        }
        plots = write_error_plot(self.record, self.report_dir)
        self.record["bench"]["plots"] = [p.name for p in plots]
        write_all(self.record, self.report_dir)
