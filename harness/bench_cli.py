"""`harness bench --rig FILE`: the hardware-in-the-loop features (features/hil) against a meter
on a rig of real or simulated instruments, with the usual reports plus the meter error plot.

Exit codes as `harness run`: 0 every HIL requirement passed, 1 not, 2 usage, rig or instrument
error before the run (a bad rig file names its field; an instrument that cannot be opened names
its resource).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli_evidence import add_lab_key_option
from .features import coverage, default_features_dir

_EPILOG = """\
examples:
  harness bench --rig bench_rigs/rigs/simulated.yaml                  # no hardware: simulated instruments
  harness bench --rig lab/rig-bay3.yaml --report-dir reports/bay3
  harness bench --rig lab/rig-bay3.yaml -r HIL-RELAY-SWITCH

The rig file names each instrument's driver and its VISA resource string or serial port, the
meter's accuracy class and currents, the test points and the safe limits (README,
"Hardware-in-the-loop bench"). Reports: conformance.json (with a "bench" section: instrument
identities, resources, calibration, every test point), conformance.html, meter-error.png/.svg,
junit.xml, allure-results/, wire/ (every instrument operation of each scenario).
exit status: 0 all HIL requirements pass, 1 some fail or error, 2 usage, rig or instrument error.
"""


def add_parser(verbs) -> None:
    bench = verbs.add_parser(
        "bench", help="run the hardware-in-the-loop checks against a meter on a rig",
        description="Run the HIL features (meter accuracy, starting current, creep, readout integrity, "
                    "relay switching) against the instruments a rig file declares, and write the reports.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    bench.add_argument("--rig", type=Path, required=True, metavar="FILE", help="the rig file (YAML)")
    bench.add_argument("--report-dir", type=Path, default=Path("reports/bench"), metavar="DIR",
                       help="where to write the reports (default: ./reports/bench)")
    bench.add_argument("-r", "--requirement", action="append", default=[], metavar="ID",
                       help="run only scenarios tagged with this HIL requirement (repeatable)")
    bench.add_argument("--features", type=Path, default=None, metavar="DIR",
                       help="directory of HIL .feature files (default: the project's features/hil)")
    bench.add_argument("--sut", default="reference", metavar="reference|MODULE:FACTORY|URL|none",
                       help="the market platform the meter's site reports to, for the signal-to-settlement "
                            "scenario (default: the bundled reference broker; 'none' to leave it out)")
    bench.add_argument("-q", "--quiet", action="store_true", help="less output while running")
    add_lab_key_option(bench)


def run(args) -> int:
    import pytest

    from . import plugin as plugin_module
    from .bench_plugin import BenchPlugin
    from .cli import (EXIT_CONFORMANT, EXIT_HARNESS_ERROR, EXIT_NOT_CONFORMANT, _print_summary,
                      run_incomplete, suite_pytest_args)

    features = (args.features or default_features_dir() / "hil").resolve()
    coverage(features)
    report_dir = args.report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("conformance.json", "conformance.html", "junit.xml", "meter-error.png", "meter-error.svg"):
        (report_dir / stale).unlink(missing_ok=True)
    plugin = BenchPlugin(args.rig, report_dir, tuple(args.requirement),
                         None if args.sut == "none" else args.sut)
    pytest_args = suite_pytest_args(features, report_dir, quiet=args.quiet)
    print(f"harness bench: rig {args.rig}, {plugin.description.name}")
    try:
        status = pytest.main(pytest_args, plugins=[plugin, plugin_module])
    finally:
        plugin.sut.close()                 # safe state and simulator stop, whatever happened
    if run_incomplete(plugin, status):
        print(f"harness bench: the run did not complete (pytest exit {int(status)})", file=sys.stderr)
        return EXIT_HARNESS_ERROR
    _print_summary(plugin.record, report_dir)
    if plugin.record["bench"]["plots"]:
        print(f"meter error plot: {report_dir}/{plugin.record['bench']['plots'][0]}")
    return EXIT_CONFORMANT if plugin.record["summary"]["conformant"] else EXIT_NOT_CONFORMANT
