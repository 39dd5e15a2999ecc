"""Report registrations and the mapping of metering report data to meter readings
(reference_impl.core.dr_reports). Pure data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_impl.core.dr_reports import (DataInterval, DataPoint, ReportData,
                                            ReportRegistration, locate, meter_id_for, plan_requests,
                                            readings_from_update)
from reference_impl.core.errors import FieldError, NotFound, Rejected

T0 = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
Q15 = timedelta(minutes=15)


def registration(*points: DataPoint) -> ReportRegistration:
    return ReportRegistration(ven_id="VEN-1", report_specifier_id="spec-1",
                              report_name="METADATA_TELEMETRY_USAGE", registered_at=T0,
                              data_points=points or (DataPoint(r_id="r1", resource_ids=("meter-A",),
                                                               unit="energyReal", scale="k"),))


def test_the_meter_is_the_single_data_source_else_ven_and_rid():
    assert meter_id_for("VEN-1", DataPoint(r_id="r1", resource_ids=("meter-A",))) == "meter-A"
    assert meter_id_for("VEN-1", DataPoint(r_id="r1")) == "VEN-1:r1"
    assert meter_id_for("VEN-1", DataPoint(r_id="r1", resource_ids=("a", "b"))) == "VEN-1:r1"


def test_only_energy_points_are_requested_at_a_granularity_their_sampling_allows():
    energy = DataPoint(r_id="e", unit="energyReal", scale="k", min_period=Q15, max_period=timedelta(hours=1))
    power = DataPoint(r_id="p", unit="powerReal", scale="k")
    planned = plan_requests(registration(energy, power))
    assert planned.report_request_id == "VEN-1:spec-1"
    assert planned.requested_r_ids == ("e",) and planned.granularity == Q15
    coarse = DataPoint(r_id="e", unit="energyReal", scale="k", min_period=timedelta(hours=1),
                       max_period=timedelta(hours=2))
    assert plan_requests(registration(coarse)).granularity == timedelta(hours=1)
    fine = DataPoint(r_id="e", unit="energyReal", scale="k", max_period=timedelta(minutes=5))
    assert plan_requests(registration(fine)).granularity == timedelta(minutes=5)
    assert plan_requests(registration(power)).report_request_id is None
    assert ReportRegistration.from_record(planned.to_record()) == planned


def test_report_intervals_become_import_readings_in_kwh():
    regs = {"spec-1": plan_requests(registration(
        DataPoint(r_id="r1", resource_ids=("meter-A",), unit="energyReal", scale="k"),
        DataPoint(r_id="r2", unit="energyReal", scale="none"),
        DataPoint(r_id="st", unit=None)))}
    data = ReportData("spec-1", (
        DataInterval(T0, Q15, (("r1", 1.25), ("r2", 500.0), ("st", 1.0))),
        DataInterval(T0 + Q15, None, (("r1", 2.0),))))  # no duration: the requested granularity
    batches, ignored = readings_from_update("VEN-1", regs, [data])
    assert ignored == 1
    assert [b.meter_id for b in batches] == ["meter-A", "VEN-1:r2"]
    assert batches[0].readings == [
        {"interval_start": T0.isoformat(), "interval_end": (T0 + Q15).isoformat(),
         "energy_kwh": 1.25, "direction": "import"},
        {"interval_start": (T0 + Q15).isoformat(), "interval_end": (T0 + 2 * Q15).isoformat(),
         "energy_kwh": 2.0, "direction": "import"}]
    assert batches[1].readings[0]["energy_kwh"] == 0.5  # 500 Wh
    assert batches[0].origins == ["/reports/0/intervals/0/payloads/0", "/reports/0/intervals/1/payloads/0"]


@pytest.mark.parametrize("data, error, code, field", [
    (ReportData("spec-9", (DataInterval(T0, Q15, (("r1", 1.0),)),)), NotFound, "unknown-report",
     "/reports/0/report_specifier_id"),
    (ReportData("spec-1", (DataInterval(T0, Q15, (("r1", 1.0), ("zz", 1.0))),)), NotFound, "unknown-rid",
     "/reports/0/intervals/0/payloads/1/r_id"),
])
def test_unknown_reports_and_data_points_are_refused(data, error, code, field):
    with pytest.raises(error) as refused:
        readings_from_update("VEN-1", {"spec-1": registration()}, [data])
    assert (refused.value.code, refused.value.errors[0].field) == (code, field)


def test_energy_without_any_duration_is_refused():
    data = ReportData("spec-1", (DataInterval(T0, None, (("r1", 1.0),)),))
    with pytest.raises(Rejected) as refused:
        readings_from_update("VEN-1", {"spec-1": registration()}, [data])  # not planned: no granularity
    assert refused.value.code == "missing-duration"


def test_submit_readings_errors_are_pointed_back_into_the_update():
    regs = {"spec-1": registration()}
    data = ReportData("spec-1", tuple(DataInterval(T0 + i * Q15, Q15, (("r1", 1.0),)) for i in range(3)))
    [batch], _ = readings_from_update("VEN-1", regs, [data])
    assert locate(FieldError("x", "/readings/2/energy_kwh", "m"), batch).field == \
        "/reports/0/intervals/2/payloads/0/value"
    assert locate(FieldError("x", "/readings/1", "m"), batch).field == "/reports/0/intervals/1/payloads/0"
    assert locate(FieldError("x", "/meter_id", "m"), batch).field == "/reports/0/intervals/0/payloads/0/r_id"
    assert locate(FieldError("x", "/readings", "m"), batch).field == "/readings"


def test_an_unknown_scale_is_refused():
    with pytest.raises(Rejected):
        DataPoint(r_id="r", unit="energyReal", scale="kilo")
