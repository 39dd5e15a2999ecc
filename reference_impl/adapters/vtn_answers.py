"""What the reference VTN answers in its EiResponse: a broker refusal (`MarketError`) mapped
to its EI application code (OpenADR 2.0b status codes) with the field and message, or 200 OK.
Shared by the VTN's services (`openadr_vtn`, `vtn_reports`).
"""
from __future__ import annotations

from harness.protocols.oadr_codec import EiResponse

from ..core.errors import FieldError, MarketError, NotFound

# EI application codes (OpenADR 2.0b; openleadr.enums.STATUS_CODES)
EI_BY_CODE = {"unknown-ven": "463", "stale-modification": "450", "not-targeted": "462",
              "unknown-meter": "452", "unknown-opt": "452", "unknown-report": "452"}
EI_BY_STATUS = {"rejected": "454", "not-found": "452", "conflict": "451"}


def _ei(request_id: str | None, refusal: MarketError | None = None) -> EiResponse:
    if refusal is None:
        return EiResponse(request_id or "", "200", "OK")
    first = refusal.errors[0]
    code = EI_BY_CODE.get(first.code, EI_BY_STATUS[refusal.status])
    return EiResponse(request_id or "", code, f"{first.code} at {first.field or '/'}: {first.message}"[:500])


def _require_ven_id(ven_id: str | None) -> None:
    if ven_id is None:  # ei:venID is optional in these messages, but this VTN needs to know
        raise NotFound(FieldError("unknown-ven", "/ven_id", "the message names no venID"))
