"""The EiReport service of the reference VTN (OpenADR 2.0b report registration, updates, the
VTN's own report requests and their cancellation), mixed into `openadr_vtn.Vtn`. Each handler
takes the broker and a decoded message and returns the answer message; the broker call and its
refusal mapping are the same as for the VTN's other services.
"""
from __future__ import annotations

from datetime import timedelta

from harness.protocols import oadr_codec as oc

from ..core.dr_reports import DataInterval, DataPoint, ReportData, ReportRegistration
from ..core.errors import FieldError, MarketError, NotFound
from .vtn_answers import _ei, _require_ven_id


class ReportServices:
    """Needs ``self.settings`` (`openadr_vtn.VtnSettings`)."""

    def _register_report(self, broker, m: oc.RegisterReport):
        registrations = [ReportRegistration(
            ven_id=m.ven_id or "", report_specifier_id=r.report_specifier_id, report_name=r.report_name,
            data_points=tuple(DataPoint(
                r_id=d.r_id, resource_ids=d.data_source.resource_ids if d.data_source else (),
                unit=("energyReal" if isinstance(d.unit, oc.EnergyReal)
                      else "powerReal" if isinstance(d.unit, oc.PowerReal) else None),
                scale=getattr(d.unit, "scale", None),
                min_period=d.sampling_rate.min_period if d.sampling_rate else None,
                max_period=d.sampling_rate.max_period if d.sampling_rate else None)
                for d in r.descriptions),
            registered_at=r.created)
            for r in m.reports]
        try:
            _require_ven_id(m.ven_id)
            planned = broker.register_ven_reports(m.ven_id, registrations, self.settings.report_granularity)
        except MarketError as refusal:
            return oc.RegisteredReport(_ei(m.request_id, refusal), ven_id=m.ven_id)
        requests = tuple(oc.ReportRequest(
            p["report_request_id"], p["report_specifier_id"],
            tuple(oc.SpecifierPayload(r_id) for r_id in p["requested_r_ids"]),
            granularity=timedelta(seconds=p["granularity_s"]),
            report_back_duration=self.settings.report_back_duration)
            for p in planned if p["report_request_id"])
        return oc.RegisteredReport(_ei(m.request_id), requests, ven_id=m.ven_id)

    def _update_report(self, broker, m: oc.UpdateReport):
        data = [ReportData(r.report_specifier_id, tuple(
            DataInterval(i.dtstart, i.duration, tuple((p.r_id, p.value) for p in i.payloads))
            for i in r.intervals)) for r in m.reports]
        try:
            _require_ven_id(m.ven_id)
            broker.store_ven_report(m.ven_id, m.request_id, data)
        except MarketError as refusal:
            return oc.UpdatedReport(_ei(m.request_id, refusal), ven_id=m.ven_id)
        return oc.UpdatedReport(_ei(m.request_id), ven_id=m.ven_id)

    def _created_report(self, broker, m: oc.CreatedReport):
        try:
            if m.ven_id is not None:
                broker._ven(m.ven_id)
                broker.acknowledge_outbound(m.ven_id, "create-report", m.response.code)
        except MarketError as refusal:
            return oc.Response(_ei(m.response.request_id, refusal), ven_id=m.ven_id)
        return oc.Response(_ei(m.response.request_id), ven_id=m.ven_id)

    def _canceled_report(self, broker, m: oc.CanceledReport):
        try:
            _require_ven_id(m.ven_id)
            broker.acknowledge_outbound(m.ven_id, "cancel-report", m.response.code)
        except MarketError as refusal:
            return oc.Response(_ei(m.response.request_id, refusal), ven_id=m.ven_id)
        return oc.Response(_ei(m.response.request_id), ven_id=m.ven_id)

    def _cancel_report(self, broker, m: oc.CancelReport):
        # A report is cancelled by the party that requested it; this VTN requests reports of
        # VENs and offers none of its own, so there is nothing a VEN can cancel here.
        refusal = NotFound(FieldError("unknown-report", "/report_request_ids",
                                      "this VTN offers no reports; it has no report request of yours"))
        return oc.CanceledReport(_ei(m.request_id, refusal), (), m.ven_id)
