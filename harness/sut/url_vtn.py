"""Any OpenADR 2.0b VTN reached only by its URL: ``--sut openadr+http://HOST:PORT[/prefix]``.

What this module owns: `UrlVtnSUT`, the `harness.sut.vtn.DemandResponseVTN` of a VTN the
harness knows nothing about but its address (a vendor's VTN, a test VTN of a certification
lab). The harness plays the VEN against it; there is no operator interface, so a scenario that
needs an event published, modified or cancelled is not-applicable (`SUTLacksFeature`), and the
scenarios that need only the VEN's own messages (registration, polling, cancellation) judge it.

Rules:
- ``set_clock`` cannot move another party's clock: it is accepted and ignored, so only
  scenarios whose verdict does not depend on market time run against such a VTN.
- ``reset`` forgets the VEN's registration; it cannot empty the VTN, which may keep what
  earlier scenarios did (each scenario registers under its own VEN name).
- The URL is checked once, with an ``oadrQueryRegistration``, before the run: a VTN that does
  not answer is a usage error (exit 2), not an error per scenario.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..errors import HarnessError, SUTError, SUTLacksFeature
from . import Response, SUTDescription
from .openadr_ven import OpenAdrVen

SCHEME_PREFIX = "openadr+"
_NO_OPERATOR = ("the VTN was given by URL only, so the harness cannot publish, modify or cancel its events "
                "(use a SUT adapter with an operator side, harness.sut.vtn.DemandResponseVTN)")


class UrlVtnSUT:
    """Args:
        url: ``openadr+http(s)://host:port[/OpenADR2/Simple/2.0b]``.
    Raises:
        HarnessError: not such a URL, or the VTN does not answer an oadrQueryRegistration.
    """

    wire_tap = None

    def __init__(self, url: str, workdir: str | None = None):
        if not url.startswith(SCHEME_PREFIX):
            raise HarnessError("a VTN URL starts with openadr+http:// or openadr+https://", code="bad-sut-spec",
                               field="--sut", actual=url)
        self._ven = OpenAdrVen(url[len(SCHEME_PREFIX):], tap=lambda entry: self.wire_tap and self.wire_tap(entry))
        self.description = SUTDescription(name=f"OpenADR 2.0b VTN at {self._ven.vtn_url}", adapter="openadr-vtn",
                                          endpoint=self._ven.vtn_url)
        try:
            probe = self._ven.query_registration()
        except SUTError as exc:
            raise HarnessError(f"the VTN at {self._ven.vtn_url} did not answer an oadrQueryRegistration "
                               f"({exc.code}: {exc})", code=exc.code, field="--sut", actual=url) from exc
        if probe.http_status == 404:
            raise HarnessError(f"no EiRegisterParty service at {self._ven.vtn_url} (HTTP 404); give the VTN's "
                               "base URL, e.g. openadr+http://host:port/OpenADR2/Simple/2.0b",
                               code="bad-sut-spec", field="--sut", actual=url)
        self._ven.reset()

    @property
    def ven(self) -> OpenAdrVen:
        return self._ven

    def reset(self) -> None:
        self._ven.reset()

    def set_clock(self, now: datetime) -> None:
        pass  # another party's clock (module rules)

    def publish_dr_event(self, event: Mapping) -> Response:
        raise SUTLacksFeature(_NO_OPERATOR, feature="vtn-operator")

    def dr_event_action(self, event_id: str, action: str, changes: Mapping | None = None) -> Response:
        raise SUTLacksFeature(_NO_OPERATOR, feature="vtn-operator")

    def close(self) -> None:
        pass
