"""`harness meter import`: interval meter data from a CSV or Parquet file into the reference
broker's repository (a `harness serve --db` database), through the one path readings take
(`ReferenceBroker.submit_readings`, via `reference_impl.adapters.meter_import.import_meter_data`).

All or nothing: a malformed row, a conflicting duplicate or a reading the broker refuses (an
unknown meter, a conflict with a held reading) stores nothing from the file, and the problems
are printed by file row and column. Gaps and identical repeats are reported, never filled or
dropped. Exit 0 imported, 1 refused, 2 unusable arguments.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .errors import HarnessError


def add_verb(verbs) -> None:
    meter = verbs.add_parser("meter", help="meter data into the reference broker",
                             description="Meter data into the reference broker's repository.")
    actions = meter.add_subparsers(dest="meter_verb", required=True, metavar="ACTION")
    imp = actions.add_parser(
        "import", help="import interval readings from CSV or Parquet (docs/meter-data.md)",
        description="Check a meter-data file against the column contract (docs/meter-data.md) and store "
                    "its readings in the broker's SQLite repository, all or nothing. The meters must "
                    "belong to registered resources. Exit 0 imported, 1 refused, 2 unusable arguments.")
    imp.add_argument("file", type=Path, help="a .csv, .csv.gz, .parquet or .pq file")
    imp.add_argument("--db", type=Path, default=Path("reports/broker.sqlite3"), metavar="PATH",
                     help="the broker's database, as `harness serve --db` (default: reports/broker.sqlite3)")
    imp.add_argument("--granularity", type=int, default=None, metavar="MIN",
                     help="declared interval length in minutes (default: inferred, one length)")
    imp.add_argument("--format", choices=("csv", "parquet"), default=None,
                     help="when the file name does not tell")


def run(args) -> int:
    from reference_impl.adapters.meter_data import MeterDataError
    from reference_impl.adapters.meter_import import import_meter_data
    from reference_impl.adapters.sqlite_repository import SqliteRepository
    from reference_impl.broker import ReferenceBroker
    from reference_impl.clock import SystemClock

    if not args.file.is_file():
        raise HarnessError(f"no such file {args.file}", code="bad-meter-data", field="file", actual=str(args.file))
    if not args.db.is_file():
        raise HarnessError(f"no broker database {args.db}; start `harness serve --db {args.db}` and register "
                           "the resources first", code="bad-db", field="--db", actual=str(args.db))

    repo = SqliteRepository(args.db)
    try:
        report = import_meter_data(ReferenceBroker(repo, SystemClock()), args.file,
                                   granularity_minutes=args.granularity, format=args.format)
    except MeterDataError as refusal:
        print(f"refused: nothing from {args.file} was stored", file=sys.stderr)
        for error in refusal.errors:
            print(f"  row {error.row}, column {error.column}: {error.code}: {error.message}", file=sys.stderr)
        if refusal.total > len(refusal.errors):
            print(f"  ... {refusal.total - len(refusal.errors)} more", file=sys.stderr)
        return 1
    except ValueError as exc:
        raise HarnessError(str(exc), code="bad-meter-data", field="--granularity") from exc
    finally:
        repo.close()
    print(f"imported {report.rows} rows for {len(report.meters)} meters ({', '.join(report.meters)}), "
          f"{report.granularity_minutes}-minute intervals, {report.first_start.isoformat()} .. "
          f"{report.last_end.isoformat()}; {report.estimated} estimated")
    for gap in report.gaps:
        print(f"  gap: meter {gap.meter_id} {gap.direction} {gap.gap_start.isoformat()} .. {gap.gap_end.isoformat()} "
              f"({gap.missing_intervals} intervals missing, not filled)")
    for dup in report.duplicates:
        print(f"  duplicate ({dup.kind}): meter {dup.meter_id} {dup.direction} {dup.interval_start.isoformat()} "
              f"rows {', '.join(map(str, dup.rows))}")
    return 0
