"""The billing capability of a SUT (billing certification: ISO/IEC TR 23613 billing modes,
SC 38 metering and billing indicators, GDPR minimisation of bills). A platform that bills
retail customers offers these operations besides `MarketSUT`; the billing features need both
(participants, resources and meter readings come through `MarketSUT`).

Shapes (JSON, as the HTTP binding carries them; README "Billing routes"):
- tariff: the record of `reference_impl.core.tariffs.Tariff.to_record` (``tariff_id``,
  ``currency``, ``billing_mode``, ``local_tz``, ``energy`` {``kind``...}, extras);
- supply agreement: ``{"supply_point_id", "customer_id", "tariff_id", "retailer_domain"?,
  "interval_curve_consent"?}``;
- bill request: ``{"supply_point_id", "period_start", "period_end"}``; a bill answer is
  ``{"bill_id", "supply_point_id", "period_start", "period_end", "total", "currency",
  "document"}`` where ``document`` is the signed bill XML (schemas/bill.xsd) as text;
- signer key: ``{"algorithm": "ecdsa-p256-sha256", "public_key_pem"}``;
- meter readings (the metering service's read side): ``{"meter_id", "readings": [...]}``.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from . import Response


@runtime_checkable
class BillingSUT(Protocol):
    def register_tariff(self, tariff: Mapping) -> Response: ...
    def list_tariffs(self) -> Response: ...
    def register_supply(self, supply: Mapping) -> Response: ...
    def issue_bill(self, request: Mapping) -> Response: ...
    def get_bill(self, bill_id: str) -> Response: ...
    def signer_key(self) -> Response: ...
    def meter_readings(self, meter_id: str) -> Response: ...
