"""The system-under-test boundary (house rule 6). Steps talk only to a `MarketSUT`; the
in-process reference broker, the reference over HTTP and a vendor's platform are adapters
behind this one protocol.

Requests and answers are JSON-like dicts in the shapes documented in README ("SUT contract").
An operation the SUT refuses is a normal answer (`Response.accepted` False, with field errors);
a broken SUT or transport raises `SUTError` (verdict ``error``, not ``fail``).

`load_sut(spec)` resolves ``--sut``: ``reference`` for the bundled broker in-process, or
``package.module:factory`` naming a callable importable from PYTHONPATH that returns a MarketSUT,
or ``http://host:port`` for a platform exposing the HTTP binding (`harness.sut.http`), or
``openadr+http://host:port/OpenADR2/Simple/2.0b`` for an OpenADR 2.0b VTN known by its URL only
(`harness.sut.url_vtn`: the harness as its VEN, messaging profile).
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ..errors import HarnessError

STATUSES = ("ok", "rejected", "not-found", "conflict",
            "unauthenticated", "forbidden")  # Y.2072 clause 10 (harness/sut/parties.py)


@dataclass(frozen=True)
class Response:
    """One answer from the SUT.

    Attributes:
        status: ``ok``, ``rejected`` (bad input or broken rule), ``not-found``, ``conflict``
            (not allowed in the current state).
        body: the entity or result (dict or list) when ``ok``.
        errors: ``{"code", "field", "message"}`` dicts when refused.
    """

    status: str
    body: Any = None
    errors: tuple[Mapping, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise HarnessError("adapter returned an unknown status", code="bad-adapter",
                               field="status", expected=STATUSES, actual=self.status)

    @property
    def accepted(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class SUTDescription:
    name: str
    adapter: str
    endpoint: str


@runtime_checkable
class MarketSUT(Protocol):
    """What a platform must offer for the Y.2072 7.5 features (markets domain).

    ``set_clock`` is the test-mode clock every certification run needs: scenarios state market
    times explicitly, so no result depends on the wall clock.
    """

    description: SUTDescription

    def reset(self) -> None: ...
    def set_clock(self, now: datetime) -> None: ...
    def register_participant(self, participant: Mapping) -> Response: ...
    def register_resource(self, resource: Mapping) -> Response: ...
    def register_product(self, product: Mapping) -> Response: ...
    def get_product(self, product_id: str) -> Response: ...
    def list_products(self) -> Response: ...
    def submit_bid(self, bid: Mapping) -> Response: ...
    def get_bid(self, bid_id: str) -> Response: ...
    def clear_market(self, product_id: str) -> Response: ...
    def get_contract(self, contract_id: str) -> Response: ...
    def contract_event(self, contract_id: str, event: str, by: str,
                       changes: Mapping | None = None) -> Response: ...
    def notifications(self, participant_id: str) -> Response: ...
    def submit_readings(self, meter_id: str, readings: Sequence[Mapping]) -> Response: ...
    def verify_delivery(self, contract_id: str) -> Response: ...
    def settle_contract(self, contract_id: str) -> Response: ...
    def ledger(self) -> Response: ...
    def close(self) -> None: ...


def load_sut(spec: str, *, workdir: str, credentials=None) -> MarketSUT:
    """Build the SUT named by ``--sut``.

    Args:
        spec: ``reference`` (in process), ``reference+https`` (the bundled broker served over HTTPS
            with client certificates, harness/sut/served_reference.py), ``module:factory`` or
            ``http(s)://host:port`` (the HTTP binding).
        workdir: a directory the adapter may keep files in (the reference's SQLite database).
        credentials: a `harness pki init` folder for an ``https://`` SUT: the harness is its
            ``operator`` and the security features act as the other parties (harness/sut/parties.py).
    Raises:
        HarnessError: the spec cannot be resolved, the object is not a MarketSUT, or the URL does
            not answer ``GET /test/info`` (or answers that it is not in test mode).
    """
    if spec == "reference":
        from .reference import ReferenceSUT
        return ReferenceSUT(workdir=workdir)
    if spec == "reference+https":  # the bundled broker behind `harness serve --pki`, over the wire
        from .served_reference import ServedReferenceSUT
        return ServedReferenceSUT(workdir)
    if spec.startswith(("openadr+http://", "openadr+https://")):  # a VTN known by its URL only
        from .url_vtn import UrlVtnSUT
        return UrlVtnSUT(spec, workdir=workdir)
    if spec.startswith(("http://", "https://")):
        from ..errors import SUTError
        from .http import HttpSUT
        sut = HttpSUT(spec, workdir=workdir, credentials=credentials)
        try:  # reachability, once: a wrong URL is a usage error (exit 2), not one error per scenario
            info = sut.identify()
        except SUTError as exc:
            raise HarnessError(f"the SUT at {spec} did not answer GET /test/info ({exc.code}: {exc.actual}); "
                               "start the reference broker with `harness serve --test-mode --port 8080`, "
                               "or check the URL", code=exc.code, field="--sut") from exc
        if info.get("test_mode") is False:
            raise HarnessError(f"the SUT at {spec} is not in test mode, and a certification run needs its "
                               "test clock; start it with `harness serve --test-mode`",
                               code="sut-not-test-mode", field="--sut", actual=spec)
        return sut
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise HarnessError("--sut takes 'reference', 'reference+https', a URL or 'package.module:factory'", code="bad-sut-spec",
                           field="--sut", actual=spec)
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise HarnessError(f"cannot load SUT factory {spec!r}: {exc}; is its package on PYTHONPATH?",
                           code="bad-sut-spec", field="--sut", actual=spec) from exc
    try:
        sut = factory(workdir=workdir)
    except Exception as exc:
        raise HarnessError(f"SUT factory {spec!r} failed: {type(exc).__name__}: {exc}",
                           code="sut-start-failed", field="--sut", actual=spec) from exc
    from .vtn import DemandResponseVTN  # a VTN-only SUT (e.g. openleadr's) runs the messaging profile
    if not isinstance(sut, MarketSUT) and not isinstance(sut, DemandResponseVTN):
        raise HarnessError(f"{spec} returned {type(sut).__name__}, which does not implement MarketSUT "
                           "(nor harness.sut.vtn.DemandResponseVTN)",
                           code="bad-sut-spec", field="--sut", actual=spec)
    return sut
