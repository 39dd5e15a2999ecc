"""A meter-data file into the reference broker: read and checked by `meter_data` (the column
contract, docs/meter-data.md), then every meter's readings submitted through
`ReferenceBroker.submit_readings`, the one path readings take into the repository, in one
repository transaction, so a refusal for any meter stores nothing from the file.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import MarketError
from .meter_data import MeterDataError, MeterDataReport, RowError, _load

if TYPE_CHECKING:
    from ..broker import ReferenceBroker


def import_meter_data(broker: ReferenceBroker, path: Path, *, granularity_minutes: int | None = None,
                      format: str | None = None) -> MeterDataReport:
    """Read a file and submit every meter's readings through ``broker.submit_readings``, all in
    one repository transaction: a refusal for any meter stores nothing from the file.

    Args:
        broker: the reference broker. Its ``repo.transaction()`` joins an outer transaction, which
            has no savepoint: inside one, let a MeterDataError roll the outer one back too.
        path, granularity_minutes, format: as for `read_meter_data`.
    Returns:
        the report (readings already held count as the broker's duplicates, not as new).
    Raises:
        MeterDataError: a malformed file; conflicting duplicates in the file (naming their rows);
            or the broker refusing a reading (unknown meter, a conflict with a held reading), the
            broker's code and message given on the file row concerned.
    """
    batches, report, rows = _load(Path(path), granularity_minutes, format)
    conflicts = [d for d in report.duplicates if d.kind == "conflict"]
    if conflicts:
        raise MeterDataError([RowError(row, "interval_start", "conflicting-duplicate",
                                       f"meter {d.meter_id!r} has different {d.direction} readings for "
                                       f"{d.interval_start.isoformat()} in rows "
                                       f"{', '.join(map(str, d.rows))}")
                              for d in conflicts for row in d.rows])
    meter_id, meter_rows = "", []
    try:
        with broker.repo.transaction():
            for batch, meter_rows in zip(batches, rows):
                meter_id = batch["meter_id"]
                broker.submit_readings(meter_id, batch["readings"])
    except MarketError as refusal:
        raise MeterDataError([_file_row(e, meter_id, meter_rows) for e in refusal.errors]) from refusal
    return report


def _file_row(error, meter_id: str, meter_rows: list[int]) -> RowError:
    """A broker refusal (pointer ``/readings/3/energy_kwh`` or ``/meter_id``) on its file row."""
    parts = error.field.strip("/").split("/")
    index = int(parts[1]) if len(parts) > 1 and parts[0] == "readings" and parts[1].isdigit() else 0
    column = parts[2] if len(parts) > 2 else "meter_id" if parts[0] == "meter_id" else "interval_start"
    return RowError(meter_rows[index] if meter_rows else 1, column, error.code,
                    f"meter {meter_id!r}: {error.message}")
