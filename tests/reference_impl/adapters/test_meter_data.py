"""Meter-data import (docs/meter-data.md): CSV and Parquet in, the column contract enforced with
the file row named, gaps and duplicates reported (never filled or dropped), and the import
through the broker all-or-nothing in one repository transaction."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from textwrap import dedent

import pandas as pd
import pytest

from reference_impl.adapters.meter_data import Duplicate, Gap, MeterDataError, read_meter_data
from reference_impl.adapters.meter_import import import_meter_data
from reference_impl.adapters.sqlite_repository import SqliteRepository
from reference_impl.broker import ReferenceBroker
from reference_impl.clock import SettableClock

HEADER = "meter_id,interval_start,interval_end,energy_kwh,direction,quality"


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, 1, hour, minute, tzinfo=timezone.utc)


def csv_file(tmp_path, text: str, name: str = "meter.csv"):
    path = tmp_path / name
    path.write_text(dedent(text).lstrip())
    return path


def refusal(path, **kw) -> list[tuple[int, str, str]]:
    with pytest.raises(MeterDataError) as caught:
        read_meter_data(path, **kw)
    return [(e.row, e.column, e.code) for e in caught.value.errors]


def reading(start: str, end: str, kwh: float, direction: str = "export", quality: str = "actual") -> dict:
    return {"interval_start": start, "interval_end": end, "energy_kwh": kwh, "direction": direction,
            "quality": quality}


# -- reading a good file -------------------------------------------------------------------------
def sample_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "meter_id": ["000123", "000123", "000123", "M2"],
        "interval_start": ["2026-06-01T12:00:00+02:00", "2026-06-01T10:15:00Z",
                           "2026-06-01T10:00:00Z", "2026-06-01T10:00:00Z"],
        "interval_end": ["2026-06-01T12:15:00+02:00", "2026-06-01T10:30:00Z",
                         "2026-06-01T10:15:00Z", "2026-06-01T10:15:00Z"],
        "energy_kwh": [1.5, 0.25, 2.0, 0.0],
        "direction": ["export", "export", "import", "import"],
        "quality": ["actual", "estimated", "actual", "estimated"],
    })


EXPECTED = [
    {"meter_id": "000123", "readings": [
        reading("2026-06-01T10:00:00+00:00", "2026-06-01T10:15:00+00:00", 1.5),
        reading("2026-06-01T10:00:00+00:00", "2026-06-01T10:15:00+00:00", 2.0, "import"),
        reading("2026-06-01T10:15:00+00:00", "2026-06-01T10:30:00+00:00", 0.25, quality="estimated")]},
    {"meter_id": "M2", "readings": [
        reading("2026-06-01T10:00:00+00:00", "2026-06-01T10:15:00+00:00", 0.0, "import", "estimated")]},
]


def test_csv_and_parquet_round_trip_give_identical_readings(tmp_path):
    frame = sample_frame()
    frame.to_csv(tmp_path / "m.csv", index=False)
    frame.to_parquet(tmp_path / "m.parquet", index=False)
    aware = frame.assign(**{c: pd.to_datetime(frame[c], utc=True, format="ISO8601")
                            for c in ("interval_start", "interval_end")})
    aware.to_parquet(tmp_path / "aware.parquet", index=False)

    from_csv, report = read_meter_data(tmp_path / "m.csv")
    assert from_csv == EXPECTED
    assert read_meter_data(tmp_path / "m.parquet") == (from_csv, report)
    assert read_meter_data(tmp_path / "aware.parquet") == (from_csv, report)
    assert (report.rows, report.meters, report.granularity_minutes) == (4, ("000123", "M2"), 15)
    assert (report.first_start, report.last_end, report.estimated) == (utc(10), utc(10, 30), 2)
    assert report.gaps == () and report.duplicates == () and report.ok_to_import()


def test_the_example_in_docs_meter_data_reads_as_documented(tmp_path):
    doc = (Path(__file__).parents[3] / "docs" / "meter-data.md").read_text()
    example = doc.split("```csv\n", 1)[1].split("```", 1)[0]
    batches, report = read_meter_data(csv_file(tmp_path, example))
    assert (report.rows, report.meters, report.granularity_minutes) == (5, ("000123", "004711"), 15)
    assert (report.first_start, report.last_end, report.estimated) == (utc(10), utc(11), 1)
    assert report.gaps == (Gap("000123", "export", utc(10, 30), utc(10, 45), 1),)
    assert report.duplicates == (Duplicate("000123", "export", utc(10), "repeat", (2, 5)),)
    assert [len(b["readings"]) for b in batches] == [4, 1] and batches[1]["readings"][0]["quality"] == "actual"


def test_leading_zero_meter_ids_and_odd_ids_survive_csv(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        000123,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,
        1e3,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,
        NA,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,
    """)
    batches, report = read_meter_data(path)
    assert report.meters == ("000123", "1e3", "NA")
    assert [b["meter_id"] for b in batches] == ["000123", "1e3", "NA"]


def test_a_file_across_a_dst_change_may_mix_offsets(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        M1,2026-03-29T01:00:00+01:00,2026-03-29T03:00:00+02:00,1,import,actual
        M1,2026-03-29T03:00:00+02:00,2026-03-29T04:00:00+02:00,1,import,actual
    """)
    batches, report = read_meter_data(path)
    assert [r["interval_start"] for r in batches[0]["readings"]] == ["2026-03-29T00:00:00+00:00",
                                                                    "2026-03-29T01:00:00+00:00"]
    assert report.granularity_minutes == 60


def test_blank_lines_are_skipped_but_keep_their_row_number(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,actual

        M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,-1,export,actual
    """)
    assert refusal(path) == [(4, "energy_kwh", "negative-energy")]


# -- refusals name the row and the column ----------------------------------------------------------
GOOD = "M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1.0,export,actual"


@pytest.mark.parametrize("lines, expected", [
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:15:00,2026-06-01T10:30:00Z,1,export,actual"],
                 (3, "interval_start", "naive-timestamp"), id="naive-timestamp"),
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,-0.5,export,actual"],
                 (3, "energy_kwh", "negative-energy"), id="negative-energy"),
    pytest.param([HEADER, "M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,exp,actual", GOOD],
                 (2, "direction", "invalid-value"), id="bad-direction"),
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,1,export,guessed"],
                 (3, "quality", "invalid-value"), id="bad-quality"),
    pytest.param(["meter_id,interval_start,interval_end,direction",
                  "M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,export"],
                 (1, "energy_kwh", "missing-column"), id="missing-column"),
    pytest.param([HEADER + ",energy_kwhh", GOOD + ",1"], (1, "energy_kwhh", "unknown-column"),
                 id="unknown-column"),
    pytest.param([HEADER + ",unit", GOOD + ",kWh",
                  "M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,1000,export,actual,Wh"],
                 (3, "unit", "wrong-unit"), id="unit-Wh"),
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:30:00Z,2026-06-01T10:15:00Z,1,export,actual"],
                 (3, "interval_end", "end-before-start"), id="end-before-start"),
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:20:00Z,2026-06-01T10:35:00Z,1,export,actual"],
                 (3, "interval_start", "off-grid"), id="off-grid-start"),
    pytest.param([HEADER, GOOD, GOOD.replace("M1", "")], (3, "meter_id", "missing-value"), id="empty-meter"),
    pytest.param([HEADER, GOOD, "M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,1e,export,actual"],
                 (3, "energy_kwh", "invalid-number"), id="not-a-number"),
])
def test_each_refusal_names_row_and_column(tmp_path, lines, expected):
    assert refusal(csv_file(tmp_path, "\n".join(lines) + "\n")) == [expected]


def test_unknown_column_message_names_it_and_suggests_the_contract_name(tmp_path):
    with pytest.raises(MeterDataError) as caught:
        read_meter_data(csv_file(tmp_path, f"{HEADER},energy_kwhh\n{GOOD},1\n"))
    assert "'energy_kwhh'" in caught.value.errors[0].message
    assert "did you mean 'energy_kwh'" in caught.value.errors[0].message


@pytest.mark.parametrize("unit, conversion", [("Wh", "divide by 1000"), ("MWh", "multiply by 1000")])
def test_units_other_than_kwh_are_refused_not_converted(tmp_path, unit, conversion):
    with pytest.raises(MeterDataError) as caught:
        read_meter_data(csv_file(tmp_path, f"{HEADER},unit\n{GOOD},{unit}\n"))
    message = caught.value.errors[0].message
    assert f"'{unit}'" in message and conversion in message and "does not convert" in message


def test_mixed_granularity_names_the_rows_that_differ(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,actual
        M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,1,export,actual
        M1,2026-06-01T10:30:00Z,2026-06-01T11:00:00Z,2,export,actual
        M1,2026-06-01T10:30:00Z,2026-06-01T10:45:00Z,1,import,actual
        M1,2026-06-01T11:00:00Z,2026-06-01T12:00:00Z,4,export,actual
    """)
    assert refusal(path) == [(4, "interval_end", "mixed-granularity"),
                             (6, "interval_end", "mixed-granularity")]


def test_declared_granularity_is_enforced(tmp_path):
    path = csv_file(tmp_path, f"{HEADER}\n{GOOD}\n")
    assert refusal(path, granularity_minutes=30) == [(2, "interval_end", "wrong-length")]
    assert read_meter_data(path, granularity_minutes=15)[1].granularity_minutes == 15
    with pytest.raises(ValueError, match="dividing a day"):
        read_meter_data(path, granularity_minutes=7)


def test_naive_parquet_datetime_column_is_refused_on_the_header_row(tmp_path):
    naive = pd.to_datetime(sample_frame()["interval_start"], utc=True, format="ISO8601").dt.tz_localize(None)
    frame = sample_frame().assign(interval_start=naive)
    frame.to_parquet(tmp_path / "naive.parquet", index=False)
    assert refusal(tmp_path / "naive.parquet") == [(1, "interval_start", "naive-timestamp")]


def test_numeric_parquet_meter_ids_are_refused(tmp_path):
    sample_frame().assign(meter_id=123).to_parquet(tmp_path / "ids.parquet", index=False)
    assert refusal(tmp_path / "ids.parquet") == [(1, "meter_id", "invalid-type")]


def test_at_most_50_problems_are_listed_with_the_total(tmp_path):
    starts = pd.date_range("2026-06-01T00:00Z", periods=60, freq="15min")
    lines = [f"M1,{s.isoformat()},{(s + pd.Timedelta(minutes=15)).isoformat()},-1,export,actual"
             for s in starts]
    with pytest.raises(MeterDataError) as caught:
        read_meter_data(csv_file(tmp_path, "\n".join([HEADER, *lines]) + "\n"))
    assert len(caught.value.errors) == 50 and caught.value.total == 60
    assert [e.row for e in caught.value.errors] == list(range(2, 52))
    assert "60 problem(s)" in str(caught.value)


# -- gaps and duplicates are reported, never filled or dropped -------------------------------------
def test_gaps_are_reported_per_meter_and_direction(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,actual
        M1,2026-06-01T11:00:00Z,2026-06-01T11:15:00Z,1,export,actual
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,import,actual
        M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,1,import,actual
        M2,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,actual
        M2,2026-06-01T10:30:00Z,2026-06-01T10:45:00Z,1,export,actual
    """)
    batches, report = read_meter_data(path)
    assert report.gaps == (Gap("M1", "export", utc(10, 15), utc(11), 3),
                           Gap("M2", "export", utc(10, 15), utc(10, 30), 1))
    assert sum(len(b["readings"]) for b in batches) == 6  # nothing filled in


def test_repeats_and_conflicts_are_told_apart_with_row_numbers(tmp_path):
    path = csv_file(tmp_path, f"""
        {HEADER}
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1,export,actual
        M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,2,export,actual
        M1,2026-06-01T10:00:00Z,2026-06-01T10:15:00Z,1.0,export,
        M1,2026-06-01T10:15:00Z,2026-06-01T10:30:00Z,2,export,estimated
    """)
    batches, report = read_meter_data(path)
    assert report.duplicates == (Duplicate("M1", "export", utc(10), "repeat", (2, 4)),
                                 Duplicate("M1", "export", utc(10, 15), "conflict", (3, 5)))
    assert not report.ok_to_import()
    assert len(batches[0]["readings"]) == 4  # passed through, not dropped


# -- import through the broker ---------------------------------------------------------------------
@pytest.fixture
def broker(tmp_path):
    repo = SqliteRepository(tmp_path / "market.sqlite3")
    broker = ReferenceBroker(repo, SettableClock(utc(8)))
    broker.register_participant({"participant_id": "S", "role": "prosumer", "grid_node": "N1"})
    broker.register_resource({"resource_id": "PV1", "owner_id": "S", "kind": "generator",
                              "max_power_kw": 10.0, "voltage_v": 230.0, "meter_id": "000123"})
    yield broker
    repo.close()


def day_file(tmp_path, *extra: str):
    rows = [f"000123,2026-06-01T{h:02d}:00:00+02:00,2026-06-01T{h + 1:02d}:00:00+02:00,{h / 10},export,actual"
            for h in range(10, 14)]
    return csv_file(tmp_path, "\n".join([HEADER, *rows, *extra]) + "\n")


def test_import_stores_the_readings_and_a_second_import_stores_nothing_new(tmp_path, broker):
    path = day_file(tmp_path, "000123,2026-06-01T08:00:00Z,2026-06-01T09:00:00Z,1.0,export,actual")
    report = import_meter_data(broker, path)
    assert report.duplicates == (Duplicate("000123", "export", utc(8), "repeat", (2, 6)),)
    stored = broker.repo.readings(["000123"])
    assert [(r["interval_start"], r["energy_kwh"]) for r in stored] == [
        ("2026-06-01T08:00:00+00:00", 1.0), ("2026-06-01T09:00:00+00:00", 1.1),
        ("2026-06-01T10:00:00+00:00", 1.2), ("2026-06-01T11:00:00+00:00", 1.3)]

    import_meter_data(broker, path)
    assert broker.repo.readings(["000123"]) == stored
    batches, _ = read_meter_data(path)
    assert broker.submit_readings("000123", batches[0]["readings"]) == {"meter_id": "000123", "stored": 0,
                                                                        "duplicates": 5}


def test_conflicting_duplicates_refuse_the_import_and_store_nothing(tmp_path, broker):
    path = day_file(tmp_path, "000123,2026-06-01T08:00:00Z,2026-06-01T09:00:00Z,9.9,export,actual")
    with pytest.raises(MeterDataError) as caught:
        import_meter_data(broker, path)
    assert [(e.row, e.code) for e in caught.value.errors] == [(2, "conflicting-duplicate"),
                                                              (6, "conflicting-duplicate")]
    assert "rows 2, 6" in caught.value.errors[0].message
    assert broker.repo.readings(["000123"]) == []


def test_a_refusal_for_one_meter_stores_nothing_from_the_others(tmp_path, broker):
    path = day_file(tmp_path, "UNKNOWN,2026-06-01T08:00:00Z,2026-06-01T09:00:00Z,1.0,export,actual")
    with pytest.raises(MeterDataError) as caught:
        import_meter_data(broker, path)
    assert [(e.row, e.column, e.code) for e in caught.value.errors] == [(6, "meter_id", "unknown-meter")]
    assert broker.repo.readings(["000123"]) == []  # submitted first, rolled back with the rest


def test_a_conflict_with_a_held_reading_names_the_file_row(tmp_path, broker):
    broker.submit_readings("000123", [reading("2026-06-01T10:00:00Z", "2026-06-01T11:00:00Z", 5.0)])
    with pytest.raises(MeterDataError) as caught:
        import_meter_data(broker, day_file(tmp_path))
    assert [(e.row, e.code) for e in caught.value.errors] == [(4, "conflicting-reading")]
    assert len(broker.repo.readings(["000123"])) == 1


def test_import_joins_the_callers_transaction(tmp_path, broker):
    with pytest.raises(RuntimeError):
        with broker.repo.transaction():
            import_meter_data(broker, day_file(tmp_path))
            raise RuntimeError("the caller's own step fails after the import")
    assert broker.repo.readings(["000123"]) == []
