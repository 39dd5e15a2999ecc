"""Interval meter data in from CSV or Parquet files (the column contract: docs/meter-data.md).

Owns: reading a metering file with pandas, checking every row against the column contract,
reporting what it holds (meters, granularity, gaps, duplicates, estimated rows). Importing it
through `ReferenceBroker.submit_readings`, the one path readings take into the repository, is
`meter_import.import_meter_data`.

Rules:
- All or nothing. Any malformed row refuses the whole file with `MeterDataError` (the first 50
  problems and the total count); there is never a partial result. `meter_import.import_meter_data`
  submits every meter inside one repository transaction, so a refusal for any meter stores nothing.
- Nothing is guessed: naive timestamps, units other than kWh, unknown columns and intervals off
  the granularity grid are refused, never converted, repaired or dropped.
- Gaps and duplicates are reported, never filled or dropped. Identical repeats are passed through
  (the broker counts them as duplicates); conflicting duplicates refuse the import.
- Rows are numbered as a spreadsheet user counts them: header = row 1, first data row = 2 (Parquet
  records are numbered the same way). A problem with a whole column is reported on row 1.
- Readings come out in UTC, on a grid anchored at midnight UTC (granularity divides a day).
- Validation is vectorised; per-row Python only builds messages and the output records.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
from pandas.api.types import CategoricalDtype, DatetimeTZDtype, infer_dtype

from ..core.delivery import DIRECTIONS, READING_QUALITIES

REQUIRED = ("meter_id", "interval_start", "interval_end", "energy_kwh", "direction")
OPTIONAL = ("quality", "unit")
MAX_ERRORS = 50
_DAY_MINUTES = 24 * 60
# A time of day followed by a UTC offset: "10:00Z", "10:00:00+02:00", "10:00:00.5-0130".
_HAS_OFFSET = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)? ?(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)$"
_FIELDS = ("interval_start", "interval_end", "energy_kwh", "direction", "quality")
_UNIT_HELP = {unit: f"unit is {unit!r} but energy_kwh must hold kWh: convert the values ({how}) and "
                    "write 'kWh'; the importer does not convert"
              for unit, how in (("Wh", "divide by 1000"), ("MWh", "multiply by 1000"))}


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` as a spreadsheet counts (header = 1, first data row = 2)."""
    row: int
    column: str
    code: str
    message: str


@dataclass(frozen=True)
class Gap:
    """Intervals missing for one meter and direction: ``gap_start`` .. ``gap_end`` (UTC)."""
    meter_id: str
    direction: str
    gap_start: datetime
    gap_end: datetime
    missing_intervals: int


@dataclass(frozen=True)
class Duplicate:
    """Rows sharing (meter, direction, interval_start): ``repeat`` if identical, else ``conflict``."""
    meter_id: str
    direction: str
    interval_start: datetime
    kind: str
    rows: tuple[int, ...]


@dataclass(frozen=True)
class MeterDataReport:
    """What a file holds; times are UTC, ``rows`` counts data rows."""
    rows: int
    meters: tuple[str, ...]
    granularity_minutes: int
    first_start: datetime
    last_end: datetime
    estimated: int
    gaps: tuple[Gap, ...]
    duplicates: tuple[Duplicate, ...]

    def ok_to_import(self) -> bool:
        """No conflicting duplicates (gaps and identical repeats are reported, not fatal)."""
        return not any(d.kind == "conflict" for d in self.duplicates)


class MeterDataError(Exception):
    """The file was refused. ``errors``: the first 50 problems by row; ``total``: how many."""

    def __init__(self, errors: Sequence[RowError], total: int | None = None):
        self.errors = tuple(errors)[:MAX_ERRORS]
        self.total = len(errors) if total is None else total
        shown = "; ".join(f"row {e.row} {e.column or '-'}: {e.message}" for e in self.errors[:3])
        more = f" (+{self.total - 3} more)" if self.total > 3 else ""
        super().__init__(f"meter data refused, {self.total} problem(s): {shown}{more}")


class _Problems:
    """Collects problems per check: counts all, keeps message text for the first 50 rows."""

    def __init__(self) -> None:
        self.found: list[RowError] = []
        self.total = 0

    def rows(self, mask: pd.Series, column: str, code: str, message: Callable[[int], str]) -> None:
        hits = mask.index[mask.fillna(False).to_numpy(dtype=bool)]
        self.total += len(hits)
        self.found += [RowError(int(r), column, code, message(r)) for r in hits[:MAX_ERRORS]]

    def header(self, column: str, code: str, message: str) -> None:
        self.total += 1
        self.found.append(RowError(1, column, code, message))

    def raise_if_any(self) -> None:
        if self.total:
            order = {c: i for i, c in enumerate(REQUIRED + OPTIONAL)}
            found = sorted(self.found, key=lambda e: (e.row, order.get(e.column, len(order)), e.column))
            raise MeterDataError(found[:MAX_ERRORS], self.total)


def _read_table(path: Path, fmt: str | None) -> pd.DataFrame:
    name = path.name.lower()
    fmt = fmt or ("csv" if name.endswith((".csv", ".csv.gz")) else
                  "parquet" if name.endswith((".parquet", ".pq")) else None)
    if fmt == "csv":
        try:  # every cell as text: leading zeros survive, "1e3" stays "1e3", "NA" stays "NA"
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                             skip_blank_lines=False, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            raise MeterDataError([RowError(1, "", "empty-file", "the file is empty")]) from None
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            line = re.search(r"line (\d+)", str(exc))
            raise MeterDataError([RowError(int(line.group(1)) if line else 1, "", "malformed-csv",
                                           f"not readable as CSV: {str(exc).strip()}")]) from None
        df.index = pd.RangeIndex(2, len(df) + 2)
        return df[~df.isna().all(axis=1)]  # blank lines: skipped, but they keep their row number
    if fmt == "parquet":
        try:
            df = pd.read_parquet(path).reset_index(drop=True)
        except pyarrow.ArrowException as exc:
            raise MeterDataError([RowError(1, "", "malformed-parquet",
                                           f"not readable as Parquet: {exc}")]) from None
        df.index = pd.RangeIndex(2, len(df) + 2)
        return df
    raise ValueError(f"format {fmt!r} is not 'csv' or 'parquet'" if fmt else
                     f"cannot tell the format of {path.name}; pass format='csv' or format='parquet'")


def _check_columns(df: pd.DataFrame, problems: _Problems) -> None:
    names = [str(c) for c in df.columns]
    for column in REQUIRED:
        if column not in names:
            problems.header(column, "missing-column", f"required column {column!r} is missing")
    for column in names:
        if column not in REQUIRED + OPTIONAL:
            close = difflib.get_close_matches(column.strip(), REQUIRED + OPTIONAL, n=1)
            hint = ("; the file seems to use ';' between fields, the contract needs ','" if ";" in column
                    else f"; did you mean {close[0]!r}?" if close
                    else f"; the known columns are {', '.join(REQUIRED + OPTIONAL)}")
            problems.header(column, "unknown-column", f"column {column!r} is not in the contract{hint}")


def _text(df: pd.DataFrame, column: str, problems: _Problems, required: bool = True) -> pd.Series | None:
    """The column as stripped text, empty cells as NA; refuses non-text columns (Parquet)."""
    s = df[column]
    is_text = (pd.api.types.is_string_dtype(s) or isinstance(s.dtype, CategoricalDtype) or s.isna().all()
               or (s.dtype == object and infer_dtype(s, skipna=True) == "string"))
    if not is_text:
        hint = " (store meter ids as strings so leading zeros survive)" if column == "meter_id" else ""
        problems.header(column, "invalid-type", f"column {column!r} holds {s.dtype}; expected text{hint}")
        return None
    s = s.astype("string").str.strip().replace("", pd.NA)
    if required:
        problems.rows(s.isna(), column, "missing-value", lambda r: f"{column} is empty")
    return s


def _instants(df: pd.DataFrame, column: str, problems: _Problems) -> pd.Series | None:
    """UTC timestamps; naive ones refused (Parquet: aware datetime columns are accepted too)."""
    s = df[column]
    if isinstance(s.dtype, DatetimeTZDtype):
        problems.rows(s.isna(), column, "missing-value", lambda r: f"{column} is empty")
        return s.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(s):
        problems.header(column, "naive-timestamp", f"column {column!r} holds timestamps without a time "
                        "zone; store them timezone-aware (e.g. UTC) so each instant is unambiguous")
        return None
    text = _text(df, column, problems)
    if text is None:
        return None
    has_offset = text.str.contains(_HAS_OFFSET, regex=True).fillna(False).astype(bool)
    parsed = pd.to_datetime(text.where(has_offset), utc=True, format="ISO8601", errors="coerce")
    readable = pd.to_datetime(text.where(~has_offset), utc=True, format="ISO8601", errors="coerce").notna()
    problems.rows(readable, column, "naive-timestamp",
                  lambda r: f"timestamp {text[r]!r} has no UTC offset; add one, e.g. 'Z' or '+01:00'")
    problems.rows(text.notna() & ~readable & parsed.isna(), column, "invalid-timestamp",
                  lambda r: f"expected an ISO-8601 timestamp with a UTC offset, got {text[r]!r}")
    return parsed


def _energy(df: pd.DataFrame, problems: _Problems) -> pd.Series | None:
    s = df["energy_kwh"]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        problems.rows(s.isna(), "energy_kwh", "missing-value", lambda r: "energy_kwh is empty")
    elif (s := _text(df, "energy_kwh", problems)) is None:
        return None
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    problems.rows(s.notna() & ~np.isfinite(values), "energy_kwh", "invalid-number",
                  lambda r: f"expected a finite number of kWh, got {s[r]}")
    problems.rows(values < 0, "energy_kwh", "negative-energy",
                  lambda r: f"energy must be >= 0 kWh, got {s[r]}; 'direction' gives the flow, not the sign")
    return values


def _choice(values: pd.Series | None, column: str, allowed: Sequence[str], problems: _Problems) -> None:
    if values is not None:
        problems.rows(values.notna() & ~values.isin(allowed), column, "invalid-value",
                      lambda r: f"expected {' or '.join(allowed)}, got {values[r]!r}")


def _intervals(start: pd.Series, end: pd.Series, declared: int | None, problems: _Problems) -> int:
    """Checks length and grid; returns the granularity in minutes (declared, or inferred)."""
    length = (end - start) / pd.Timedelta(minutes=1)
    timed = start.notna() & end.notna()
    problems.rows(timed & (length <= 0), "interval_end", "end-before-start",
                  lambda r: f"interval ends at {end[r].isoformat()}, not after its start "
                            f"{start[r].isoformat()}")
    positive = timed & (length > 0)
    if not positive.any():
        return declared or 0
    if declared is not None:
        grain, code, why = declared, "wrong-length", f"the declared granularity is {declared} min"
    else:
        counts = length[positive].value_counts()
        grain = float(counts[counts == counts.max()].index.min())
        code, why = "mixed-granularity", (f"most intervals in the file last {grain:g} min; a file holds "
                                          "one granularity (pass granularity_minutes to say which)")
        if not grain.is_integer() or _DAY_MINUTES % grain:
            problems.rows(positive & (length == grain), "interval_end", "invalid-granularity",
                          lambda r: f"intervals last {grain:g} min; the granularity must be whole minutes "
                                    "dividing a day (e.g. 5, 15, 30, 60)")
            return 0
        grain = int(grain)
    problems.rows(positive & (length != grain), "interval_end", code,
                  lambda r: f"interval lasts {length[r]:g} min; {why}")
    off_grid = positive & (start != start.dt.floor(f"{grain}min"))
    problems.rows(off_grid, "interval_start", "off-grid",
                  lambda r: f"interval starts at {start[r].isoformat()}, off the {grain}-minute grid "
                            f"(starts fall on whole multiples of {grain} min from midnight UTC)")
    return grain


def _load(path: Path, grain: int | None, fmt: str | None) -> tuple[list[dict], MeterDataReport, list]:
    """The batches, the report, and the file row number of every reading in the batches."""
    if grain is not None and (type(grain) is not int or grain <= 0 or _DAY_MINUTES % grain):
        raise ValueError(f"granularity_minutes must be a whole number of minutes dividing a day "
                         f"(e.g. 15, 30, 60), got {grain!r}")
    df = _read_table(Path(path), fmt)
    problems = _Problems()
    _check_columns(df, problems)
    problems.raise_if_any()
    if df.empty:
        raise MeterDataError([RowError(2, "", "no-data", "the file holds a header but no readings")])
    meter, direction = _text(df, "meter_id", problems), _text(df, "direction", problems)
    start, end = _instants(df, "interval_start", problems), _instants(df, "interval_end", problems)
    energy = _energy(df, problems)
    _choice(direction, "direction", DIRECTIONS, problems)
    quality = _text(df, "quality", problems, required=False) if "quality" in df else None
    _choice(quality, "quality", READING_QUALITIES, problems)
    unit = _text(df, "unit", problems, required=False) if "unit" in df else None
    if unit is not None:
        problems.rows(unit.isna(), "unit", "missing-value", lambda r: "unit is empty; write 'kWh'")
        problems.rows(unit.notna() & (unit != "kWh"), "unit", "wrong-unit",
                      lambda r: _UNIT_HELP.get(unit[r], f"expected unit 'kWh', got {unit[r]!r}"))
    grain = _intervals(start, end, grain, problems) if start is not None and end is not None else 0
    problems.raise_if_any()

    frame = pd.DataFrame({"row": df.index, "meter_id": meter.astype(str), "start": start, "end": end,
                          "direction": direction.astype(str), "energy_kwh": energy,
                          "quality": "actual" if quality is None else quality.fillna("actual").astype(str)})
    frame = frame.sort_values(["meter_id", "start", "direction", "row"])  # each meter's rows together
    columns = (_iso(frame["start"]), _iso(frame["end"]), *(frame[c].tolist() for c in _FIELDS[2:]))
    records = [dict(zip(_FIELDS, r)) for r in zip(*columns)]
    meters, numbers = frame["meter_id"].tolist(), frame["row"].tolist()
    bounds = [*np.flatnonzero(~frame["meter_id"].duplicated().to_numpy()).tolist(), len(frame)]
    batches = [{"meter_id": meters[a], "readings": records[a:b]} for a, b in zip(bounds, bounds[1:])]
    report = MeterDataReport(
        rows=len(frame), meters=tuple(b["meter_id"] for b in batches), granularity_minutes=grain,
        first_start=_datetimes(frame["start"].nsmallest(1))[0],
        last_end=_datetimes(frame["end"].nlargest(1))[0],
        estimated=int((frame["quality"] == "estimated").sum()),
        gaps=_gaps(frame, grain), duplicates=_duplicates(frame))
    return batches, report, [numbers[a:b] for a, b in zip(bounds, bounds[1:])]


def _iso(instants: pd.Series) -> list[str]:
    """Whole UTC minutes as the text ``datetime.isoformat()`` gives (what the broker stores)."""
    text = np.datetime_as_string(instants.dt.tz_localize(None).to_numpy(), unit="s")
    return [f"{t}+00:00" for t in text]


def _datetimes(instants: pd.Series) -> list[datetime]:
    return [d.astimezone(timezone.utc) for d in instants.dt.to_pydatetime().tolist()]


def _gaps(frame: pd.DataFrame, grain: int) -> tuple[Gap, ...]:
    series = ["meter_id", "direction"]
    held = frame.drop_duplicates([*series, "start"]).sort_values([*series, "start"])
    previous = held.groupby(series)["start"].shift()
    steps = (held["start"] - previous) / pd.Timedelta(minutes=grain)
    found = held.assign(previous=previous, missing=steps - 1)[steps > 1]
    return tuple(Gap(*k) for k in zip(found["meter_id"].tolist(), found["direction"].tolist(),
                                      _datetimes(found["previous"] + pd.Timedelta(minutes=grain)),
                                      _datetimes(found["start"]), found["missing"].astype(int).tolist()))


def _duplicates(frame: pd.DataFrame) -> tuple[Duplicate, ...]:
    key, values = ["meter_id", "direction", "start"], ["end", "energy_kwh", "quality"]
    repeated = frame[frame.duplicated(key, keep=False)].sort_values([*key, "row"])
    first = ~repeated.duplicated(key).to_numpy()  # sorted: each group's rows are together
    group = np.cumsum(first) - 1
    heads = repeated[first]
    differs = (repeated[values] != heads[values].iloc[group].set_axis(repeated.index)).any(axis=1)
    conflict = np.bincount(group, weights=differs.to_numpy(), minlength=len(heads)) > 0
    bounds, rows = [*np.flatnonzero(first).tolist(), len(repeated)], repeated["row"].tolist()
    return tuple(Duplicate(m, d, s, "conflict" if c else "repeat", tuple(rows[a:b]))
                 for m, d, s, c, a, b in zip(heads["meter_id"].tolist(), heads["direction"].tolist(),
                                             _datetimes(heads["start"]), conflict, bounds, bounds[1:]))


def read_meter_data(path: Path, *, granularity_minutes: int | None = None,
                    format: str | None = None) -> tuple[list[dict], MeterDataReport]:
    """Read and check a meter-data file (docs/meter-data.md).

    Args:
        path: a ``.csv`` (``.csv.gz``) or ``.parquet`` (``.pq``) file.
        granularity_minutes: the declared interval length; every interval must last exactly that
            long and start on that grid. None: inferred from the file, which must hold one length.
        format: ``"csv"`` or ``"parquet"`` when the file name does not tell.
    Returns:
        ``[{"meter_id", "readings": [{interval_start, interval_end, energy_kwh, direction,
        quality}, ...]}, ...]`` one entry per meter (sorted), readings in time order with UTC ISO
        strings, identical repeats and conflicts included; and the report.
    Raises:
        MeterDataError: any malformed row or column (nothing is returned then).
        ValueError: a bad ``granularity_minutes``, or a format that cannot be told.
    """
    batches, report, _ = _load(Path(path), granularity_minutes, format)
    return batches, report
