"""The `harness` command (docs/contracts.md, "CLI").

Verbs: `run` (the conformance suite against a SUT), `requirements` (the catalog), `serve` (the
reference broker over the HTTP binding, README "HTTP binding"), `evidence` (lab key, and
verification of the signed evidence bundle every run writes; harness/cli_evidence.py), `bill
verify` (billing certification of a retailer's bills, docs/billing.md), `meter import` (meter
data into a broker database, docs/meter-data.md).

Exit codes of `harness run`: 0 the SUT is conformant for the profile, 1 it is not, 2 usage or
harness error (bad option, unreachable SUT adapter, a feature that does not collect).
`harness serve` exits 0 after SIGINT/SIGTERM, 2 when it cannot start (e.g. port in use).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
from pathlib import Path

from . import __version__, catalog, cli_evidence
from .errors import HarnessError
from .features import coverage, default_features_dir

EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_HARNESS_ERROR = 0, 1, 2

_RUN_EPILOG = """\
examples:
  harness run                                   # reference broker, profile all, reports in ./reports
  harness run --profile y2072-markets -r Y2072-7.5-02
  harness run --sut mypkg.adapter:make_sut --report-dir out/vendor-x
  harness run --sut http://127.0.0.1:8080       # a platform speaking the HTTP binding, e.g.
                                                #   `harness serve --test-mode --port 8080 &`
  harness run --profile messages --sut openadr+http://127.0.0.1:8080/OpenADR2/Simple/2.0b
                                                # any OpenADR 2.0b VTN, the harness as its VEN
  harness run -k "expired" -- -x                # extra pytest options after --

A vendor platform plugs in as a Python factory: `--sut package.module:factory`, where
factory(workdir=...) returns an object implementing harness.sut.MarketSUT (see README,
"SUT contract"), or over HTTP as `--sut http://HOST:PORT` (README, "HTTP binding"; the
platform must be in test mode, with a settable clock). Reports written: conformance.json,
conformance.html, junit.xml and allure-results/ (open with `allure serve reports/allure-results`
if you have Allure).
exit status: 0 conformant, 1 not conformant, 2 usage or harness error.
"""

_SERVE_EPILOG = """\
examples:
  harness serve --test-mode --port 8080 &       # then: harness run --sut http://127.0.0.1:8080
  harness serve --port 0 --db /tmp/market.sqlite3

Prints one line `harness serve: reference broker on http://HOST:PORT (...)` when it is ready,
an access line per request on stderr (method, path, status, ms; never bodies), and exits 0
on SIGINT or SIGTERM.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Conformance harness for energy-sharing and trading platforms (ITU-T Y.2072, "
                    "ISO/IEC JTC 1/SC 38 metering and billing indicators).")
    parser.add_argument("--version", action="version", version=f"harness {__version__}")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser(
        "run", help="run the conformance features against a SUT and write the reports",
        description="Run the Gherkin conformance features against a system under test, turn scenario "
                    "outcomes into per-requirement verdicts, and write the reports.",
        epilog=_RUN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--sut", default="reference", metavar="reference|reference+https|MODULE:FACTORY|URL",
                     help="the system under test: 'reference' (bundled broker, in-process, default), "
                          "'reference+https' (the bundled broker served by `harness serve --pki` in its own "
                          "process with a fresh test PKI: the security features run over the wire and read "
                          "its log; what `make run` uses), "
                          "a factory importable from PYTHONPATH, or the http:// URL of a platform "
                          "exposing the HTTP binding, or openadr+http://HOST:PORT/OpenADR2/Simple/2.0b "
                          "for an OpenADR 2.0b VTN the harness tests as its VEN")
    run.add_argument("--profile", default="all", metavar="NAME|FILE",
                     help="requirements the conformance claim covers; others are reported not-applicable "
                          "(default: all; see `harness requirements --profiles`), or a SUT's own declaration "
                          "in YAML/JSON (roles, optional requirements; e.g. profiles/market-only.yaml)")
    run.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                     help="where to write conformance.json, conformance.html, junit.xml, allure-results/ "
                          "(default: ./reports; previous reports there are replaced)")
    run.add_argument("-r", "--requirement", action="append", default=[], metavar="ID",
                     help="run only scenarios tagged with this requirement ID (repeatable); the others "
                          "are reported not-tested, so the run cannot claim conformance")
    run.add_argument("-k", metavar="EXPR", help="pytest -k expression on scenario names")
    run.add_argument("-m", metavar="EXPR",
                     help="pytest -m expression on requirement tags, with '-' and '.' written as '_' "
                          "(e.g. Y2072_7_5_01)")
    run.add_argument("--features", type=Path, default=None, metavar="DIR",
                     help="directory of .feature files (default: the project's features/)")
    run.add_argument("-q", "--quiet", action="store_true", help="less output while running")
    cli_evidence.add_lab_key_option(run)
    run.add_argument("--credentials", type=Path, default=None, metavar="DIR",
                     help="party certificates for an https:// SUT (a `harness pki init` folder): the "
                          "harness connects as 'operator'; the security features (SEC-*) act as the "
                          "other parties and need this to run")
    run.add_argument("--sut-log", type=Path, default=None, metavar="FILE",
                     help="the file the platform writes its request log to: the SEC-LOG-PRIVACY scenarios "
                          "check it names no participant, meter or bill in clear")
    run.add_argument("--city-scale", action="store_true",
                     help="also run the example rows tagged @city_scale (generated instances of "
                          "1,000 to 10,000 nodes; tens of seconds); without it they are left out "
                          "and the summary says how many")
    run.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS",
                     help="further options passed to pytest, after '--'")

    req = verbs.add_parser("requirements", help="print the requirement catalog with its coverage",
                           description="Print every catalogued requirement: id, level, source clause, "
                                       "paraphrase and the scenarios that cover it.")
    req.add_argument("--format", choices=("table", "json"), default="table")
    req.add_argument("--profiles", action="store_true", help="list the profiles instead")
    req.add_argument("--features", type=Path, default=None, metavar="DIR",
                     help="directory of .feature files (default: the project's features/)")

    serve = verbs.add_parser(
        "serve", help="serve the reference broker over the HTTP binding",
        description="Serve the bundled reference broker over the JSON-over-HTTP binding of the SUT\n"
                    "contract (README, \"HTTP binding\") until SIGINT or SIGTERM. With --pki DIR it\n"
                    "serves HTTPS and authenticates every party by its client certificate; without\n"
                    "it only the insecure test mode on loopback is allowed.",
        epilog=_SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="TCP port; 0 picks a free one (default: 8080)")
    serve.add_argument("--db", type=Path, default=Path("reports/broker.sqlite3"), metavar="PATH",
                       help="SQLite database file, parent directories created (default: reports/broker.sqlite3)")
    serve.add_argument("--pki", type=Path, default=None, metavar="DIR",
                       help="serve HTTPS and authenticate every party by its client certificate "
                            "(a `harness pki init` folder: ca.pem, server.pem, server.key); without it "
                            "the broker runs only in the insecure test mode, on loopback")
    serve.add_argument("--insecure-loopback", action="store_true",
                       help="serve without authentication on the system clock, on loopback only (load runs, "
                            "local trials); refused on any other interface")
    serve.add_argument("--test-mode", action="store_true",
                       help="enable POST /test/reset and POST /test/clock and a settable market clock, "
                            "as a certification run needs (default: off, system clock)")
    cli_evidence.add_parser(verbs)
    from . import cli_pki  # issue 8: harness pki init DIR --party ...
    cli_pki.add_parser(verbs)
    _add_bill_verb(verbs)
    from .meter_import import add_verb as add_meter_verb
    add_meter_verb(verbs)
    from . import bench_cli  # issue 6: harness bench --rig FILE
    bench_cli.add_parser(verbs)
    return parser


def _add_bill_verb(verbs) -> None:
    """`harness bill verify` (billing certification of a retailer's own bills; issue 5)."""
    bill = verbs.add_parser("bill", help="billing certification of a retailer's bills",
                            description="Billing certification: check a retailer's bills offline.")
    actions = bill.add_subparsers(dest="bill_verb", required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify", help="verify a directory of signed bills against meter data, tariffs and the signer key",
        description="Recompute every bill from the meter data and tariffs, check the SC 38 metering and "
                    "billing indicators and the GDPR minimisation rules, verify each signature, and write "
                    "the reports (conformance.json, conformance.html, bills.json with the recomputed figures "
                    "beside the bill's). Exit 0 all bills pass, 1 a bill fails, 2 unusable inputs.",
        epilog="example:\n  harness bill verify --bills out/bills --meter-data meters.csv --tariffs tariffs.json "
               "--public-key signer.pem --report-dir reports/bills", formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("--bills", type=Path, required=True, metavar="DIR", help="directory of bill XML files (*.xml)")
    verify.add_argument("--meter-data", type=Path, required=True, metavar="FILE",
                        help="interval meter data, CSV or Parquet (docs/meter-data.md)")
    verify.add_argument("--tariffs", type=Path, required=True, metavar="FILE",
                        help='JSON {"tariffs": [...], "supplies": [...]} (docs/billing.md)')
    verify.add_argument("--public-key", type=Path, required=True, metavar="PEM", help="the signer's ECDSA P-256 public key")
    verify.add_argument("--pseudonym-key", type=Path, default=None, metavar="FILE",
                        help="optional: the retailer's pseudonym domain key (hex), to recompute customer pseudonyms")
    verify.add_argument("--report-dir", type=Path, default=Path("reports/bills"), metavar="DIR",
                        help="where the reports go (default: reports/bills)")
    cli_evidence.add_lab_key_option(verify)
    verify.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: on a terminal, or for 200 bills or more)")


def _meter(args) -> int:
    from .meter_import import run
    return run(args)


def _bill(args) -> int:
    from .billing.verify import main as verify_main
    return _sealed(verify_main(args), args, "all bills pass", "a bill fails")


def _bench(args) -> int:
    from . import bench_cli
    return _sealed(bench_cli.run(args), args, "all HIL requirements pass", "not all HIL requirements pass")


def _sealed(status: int, args, passed: str, failed: str) -> int:
    """Seal the report directory of a verb that wrote its reports (exit 0 or 1)."""
    if status in (EXIT_CONFORMANT, EXIT_NOT_CONFORMANT):
        cli_evidence.seal_run(args.report_dir.resolve(), args.lab_key, command="harness " + " ".join(args.argv),
                              version=__version__, verdict=passed if status == EXIT_CONFORMANT else failed)
    return status


def _requirements(args) -> int:
    if args.profiles:
        for profile in catalog.profiles().values():
            print(f"{profile.name:16} {profile.description}  [{', '.join(profile.include)}]")
        return 0
    covered = coverage(args.features or default_features_dir())
    rows = [{"id": r.id, "level": r.level, "source": r.source, "title": r.title, "paraphrase": r.paraphrase,
             "scenarios": covered.get(r.id, [])} for r in catalog.requirements()]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
        return 0
    width = shutil.get_terminal_size((120, 24)).columns
    id_width = max([14, *(len(row["id"]) for row in rows)])
    source_width = min(28, max([18, *(len(row["source"]) for row in rows)]))
    fixed = id_width + source_width + 20
    print(f"{'ID':{id_width}} {'LEVEL':11} {'SOURCE':{source_width}} {'SCEN':>4}  PARAPHRASE")
    for row in rows:
        text = textwrap.shorten(row["paraphrase"], max(30, width - fixed), placeholder="…")
        source = textwrap.shorten(row["source"], source_width, placeholder="…")
        print(f"{row['id']:{id_width}} {row['level']:11} {source:{source_width}} "
              f"{len(row['scenarios']):>4}  {text}")
        for scenario in row["scenarios"]:
            print(f"{'':{fixed - 2}}- {textwrap.shorten(scenario, max(30, width - fixed), placeholder='…')}")
    encoded = sum(1 for r in rows if r["scenarios"])
    print(f"\n{len(rows)} requirements catalogued, {encoded} encoded by scenarios.")
    return 0


def suite_pytest_args(features: Path, report_dir: Path, *, quiet: bool) -> list[str]:
    """The pytest command line that runs the conformance suite on ``features`` and writes JUnit
    and Allure results to ``report_dir`` (shared by `harness run` and `harness bench`)."""
    suite = Path(__file__).parent / "suite"
    # allure-pytest-bdd names results by the feature's path below rootdir
    rootdir = os.path.commonpath([suite, features])
    return [str(suite), "-c", str(suite / "pytest.ini"), "--rootdir", rootdir,
            "-W", "ignore::pytest.PytestAssertRewriteWarning",
            "-o", f"bdd_features_base_dir={features}", "-p", "no:cacheprovider",
            "--junitxml", str(report_dir / "junit.xml"), "-o", "junit_family=xunit2",
            "--alluredir", str(report_dir / "allure-results"), "--clean-alluredir",
            "-q" if quiet else "-v", "--tb=short"]


def run_incomplete(plugin, status) -> bool:
    """True when pytest did not get through the suite, so there is no verdict to report."""
    import pytest
    return plugin.record is None or plugin.collection_failed or status in (
        pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED)


def _run(args) -> int:
    import pytest

    from . import plugin as plugin_module
    from .plugin import HarnessPlugin

    features = (args.features or default_features_dir()).resolve()
    coverage(features)  # fails early, with a clear message, on an empty or wrong directory
    report_dir = args.report_dir.resolve()
    for stale in ("conformance.json", "conformance.html", "junit.xml"):
        (report_dir / stale).unlink(missing_ok=True)
    plugin = HarnessPlugin(args.sut, args.profile, report_dir, tuple(args.requirement),
                           city_scale=args.city_scale, credentials=args.credentials, sut_log=args.sut_log)
    pytest_args = suite_pytest_args(features, report_dir, quiet=args.quiet)
    if args.k:
        pytest_args += ["-k", args.k]
    if args.m:
        pytest_args += ["-m", args.m]
    pytest_args += args.pytest_args
    print(f"harness {__version__}: SUT {args.sut!r}, profile {args.profile!r}, features {features}")
    status = pytest.main(pytest_args, plugins=[plugin, plugin_module])
    if run_incomplete(plugin, status):
        print(f"harness: the run did not complete (pytest exit {int(status)}); see the errors above",
              file=sys.stderr)
        return EXIT_HARNESS_ERROR
    _print_summary(plugin.record, report_dir)
    if plugin.left_out:
        print(f"{plugin.left_out} example rows tagged @city_scale were left out; --city-scale runs them")
    verdict = "conformant" if plugin.record["summary"]["conformant"] else "not conformant"
    cli_evidence.seal_run(report_dir, args.lab_key, command="harness " + " ".join(args.argv),
                          version=__version__, verdict=verdict)
    return EXIT_CONFORMANT if plugin.record["summary"]["conformant"] else EXIT_NOT_CONFORMANT


def _print_summary(record: dict, report_dir: Path) -> None:
    summary = record["summary"]
    print("\nrequirement verdicts:")
    shown = [req for req in record["requirements"]
             if req["encoded"] or req["verdict"] not in ("not-tested", "not-applicable")]
    id_width = max([14, *(len(req["id"]) for req in shown)])
    for req in shown:
        print(f"  {req['verdict']:15} {req['id']:{id_width}} {req['level']:11} {req['title']}")
    counts = ", ".join(f"{k} {summary[k]}" for k in ("pass", "fail", "error", "not-applicable", "not-tested"))
    print(f"requirements: {counts}")
    if summary["not_encoded"]:
        print(f"not yet encoded (reported not-tested, outside the verdict): {len(summary['not_encoded'])} "
              "requirements; `harness requirements` lists them")
    print(f"verdict: {'CONFORMANT' if summary['conformant'] else 'NOT CONFORMANT'} for profile "
          f"{record['profile']}\nreports: {report_dir}/conformance.json, conformance.html, junit.xml, "
          "allure-results/")


def _serve(args) -> int:
    """Run the reference broker over HTTP until SIGINT/SIGTERM (Y.2072 Appendix I: the broker
    as server, the platforms and the harness as its clients)."""
    import signal
    import sqlite3
    import threading
    import time

    from reference_impl.adapters.http_service import make_server

    from . import cli_pki
    tls = cli_pki.serve_tls(args)  # issue 8: --pki DIR, or the insecure test mode on loopback
    db = args.db.resolve()
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = make_server(db, host=args.host, port=args.port, test_mode=args.test_mode, version=__version__,
                             tls=tls)
    except (OSError, OverflowError, ValueError, sqlite3.Error) as exc:
        raise HarnessError(f"cannot serve the broker on {args.host}:{args.port} with db {db}: {exc}",
                           code="serve-failed", field="--port", actual=args.port) from exc
    # The handlers only record the signal: shutting down from inside one could deadlock on the
    # server's own locks, so the main thread polls and shuts down outside it.
    stopping: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: stopping.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="harness-serve", daemon=True)
    worker.start()
    try:
        print(f"harness serve: reference broker on {server.url} (db {db}, test mode "
              f"{'on' if args.test_mode else 'off'})", flush=True)
        if tls is None:
            print("harness serve: warning: insecure test mode, no authentication (every caller is the "
                  "operator); serve with --pki DIR to authenticate parties", file=sys.stderr, flush=True)
        while not stopping and worker.is_alive():
            time.sleep(0.1)
    finally:
        server.shutdown()
        worker.join(timeout=10)
        server.server_close()  # waits for a broker call in flight, then closes the database
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not stopping:
        print("harness serve: the server stopped unexpectedly; see the errors above", file=sys.stderr)
        return EXIT_HARNESS_ERROR
    print("harness serve: stopped", file=sys.stderr, flush=True)
    return 0


def _pki(args) -> int:
    from . import cli_pki
    return cli_pki.run(args)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    verbs = {"run": _run, "requirements": _requirements, "serve": _serve, "evidence": cli_evidence.run,
             "bill": _bill, "meter": _meter, "bench": _bench, "pki": _pki}
    try:
        return verbs[args.verb](args)
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return EXIT_HARNESS_ERROR


if __name__ == "__main__":
    sys.exit(main())
