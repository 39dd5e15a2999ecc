"""The HTTP adapter: a platform that exposes the JSON-over-HTTP binding of the MarketSUT
operations (README, "HTTP binding"). In Y.2072 Appendix I terms the platform is the server
(the VTN) and this adapter is its client (a VEN), speaking only the documented routes.

Rules:
- stdlib only (`urllib.request`); one request per operation, 30 s timeout each; no redirects
  followed (a binding answers at its own URL); loopback URLs never go through a proxy.
- 2xx is ``Response("ok", body)``; list answers (``{"products": [...]}``,
  ``{"notifications": [...]}``, ``{"entries": [...]}``) are unwrapped so ``body`` has the shape
  the in-process adapter returns.
- 404, 409 and 422 with the error body ``{"status", "errors": [{"code", "field", "message"}]}``
  are refusals: ``Response(status, None, errors)`` (without ``status`` in the body it is taken
  from the HTTP code). These are findings about the SUT, judged by the steps.
- Everything else means the platform or its transport broke, and raises `SUTError` (verdict
  ``error``, never ``fail``), with ``field`` the request path and one of these codes:
  ``sut-unreachable`` (connection failed), ``sut-timeout``, ``sut-http-5xx``, ``sut-http-status``
  (any other unexpected status), ``sut-bad-json`` (not JSON, or not the binding's shape),
  ``sut-unknown-route`` (404 ``unknown-route``: the platform lacks a route of the binding),
  ``sut-test-route-refused`` (``/test/reset`` or ``/test/clock`` refused).
"""
from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlsplit
from urllib.request import HTTPRedirectHandler, HTTPSHandler, OpenerDirector, ProxyHandler, Request, build_opener

from ..errors import HarnessError, SUTError
from . import Response, SUTDescription
from .domains import HttpDomainOps
from .http_parties import OPERATOR, HttpPartyViews, client_context
from .http_vtn import HttpVtnClient
from .transport_probe import HttpTransportProbe

DEFAULT_TIMEOUT_S = 30.0
_REFUSALS = {404: "not-found", 409: "conflict", 422: "rejected",
             401: "unauthenticated", 403: "forbidden"}  # Y.2072 clause 10 (harness/sut/parties.py)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


def _q(identifier: str) -> str:
    return quote(str(identifier), safe="")


class HttpSUT(HttpDomainOps, HttpVtnClient, HttpPartyViews, HttpTransportProbe):
    """A MarketSUT reached over the HTTP binding.

    Args:
        base_url: ``http(s)://host:port`` plus an optional path prefix; routes are appended.
        workdir: unused (the platform keeps its own data); accepted like every adapter's.
        timeout: seconds per request.
        credentials: a `harness pki init` folder (``https://`` only): trust its CA and present
            ``identity``'s client certificate (harness/sut/http_parties.py).
        identity: whose certificate to present; the operator by default, None for none.
    Raises:
        HarnessError: ``base_url`` is not an http(s) URL with a host, or a credential is missing.
    """

    def __init__(self, base_url: str, workdir: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S,
                 credentials: str | Path | None = None, identity: str | None = OPERATOR):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise HarnessError("the SUT URL must be http(s)://host:port", code="bad-sut-spec",
                               field="--sut", actual=base_url)
        self.base_url = base_url.rstrip("/")
        self.workdir = workdir
        self.timeout = timeout
        self.description = SUTDescription(name=self.base_url, adapter="http", endpoint=self.base_url)
        self.wire_tap: Callable[[dict], None] | None = None  # set by the run's wire log
        handlers = [_NoRedirects()]
        if parts.hostname in _LOOPBACK or parts.hostname.startswith("127."):
            handlers.append(ProxyHandler({}))
        self.credentials = Path(credentials) if credentials is not None else None
        self.ssl_context = None
        self.identity = identity if self.credentials is not None else None
        if self.credentials is not None and parts.scheme == "https":
            self.ssl_context = client_context(self.credentials, identity)
            handlers.append(HTTPSHandler(context=self.ssl_context))
        self._opener: OpenerDirector = build_opener(*handlers)

    # -- transport ------------------------------------------------------------------------------
    def _exchange(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send one request; returns (HTTP status, raw body). Raises SUTError when no answer came."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            try:
                data = json.dumps(body, allow_nan=False).encode("utf-8")
            except (TypeError, ValueError) as exc:
                raise HarnessError(f"{method} {path}: the request cannot be sent as JSON: {exc}",
                                   code="unencodable-request", field=path) from exc
            headers["Content-Type"] = "application/json"
        data, headers = self._prepare_request(method, path, data, headers)  # a party signs (http_parties.py)
        request = Request(self.base_url + path, data=data, method=method, headers=headers)
        started = time.perf_counter()
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                status, raw = answer.status, answer.read()
        except HTTPError as exc:
            try:
                raw = exc.read()
            except (OSError, http.client.HTTPException):
                raw = b""
            status = exc.code
        except (TimeoutError, socket.timeout) as exc:
            raise SUTError(f"{method} {self.base_url}{path} got no answer within {self.timeout:g} s",
                           code="sut-timeout", field=path, expected=f"an answer within {self.timeout:g} s",
                           actual=str(exc) or "timeout") from exc
        except (URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise SUTError(f"{method} {self.base_url}{path} got no answer within {self.timeout:g} s",
                               code="sut-timeout", field=path, expected=f"an answer within {self.timeout:g} s",
                               actual=str(reason) or "timeout") from exc
            raise SUTError(f"{method} {self.base_url}{path} failed: {reason}", code="sut-unreachable",
                           field=path, expected="an HTTP answer", actual=str(reason)) from exc
        if self.wire_tap is not None:
            self.wire_tap({"layer": "http", "method": method, "url": self.base_url + path,
                           "request": data, "status": status, "response": raw,
                           "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
        return status, raw

    @staticmethod
    def _json(method: str, path: str, status: int, raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SUTError(f"{method} {path} answered HTTP {status} with a body that is not JSON",
                           code="sut-bad-json", field=path, expected="a UTF-8 JSON body",
                           actual=raw[:120].decode("utf-8", "replace")) from exc

    @staticmethod
    def _server_message(raw: bytes) -> str:
        try:
            errors = json.loads(raw.decode("utf-8")).get("errors")
            return "; ".join(str(e.get("message", e.get("code"))) for e in errors)
        except Exception:
            return raw[:120].decode("utf-8", "replace").strip()

    def _call(self, method: str, path: str, body: Any = None, *, unwrap: str | None = None) -> Response:
        status, raw = self._exchange(method, path, body)
        if 200 <= status < 300:
            payload = self._json(method, path, status, raw)
            if unwrap is not None:
                if not isinstance(payload, Mapping) or not isinstance(payload.get(unwrap), list):
                    raise SUTError(f"{method} {path} must answer an object with a list {unwrap!r}",
                                   code="sut-bad-json", field=path, expected=f'{{"{unwrap}": [...]}}',
                                   actual=type(payload).__name__)
                payload = payload[unwrap]
            return Response("ok", payload)
        if status in _REFUSALS:
            return self._refusal(method, path, status, self._json(method, path, status, raw))
        detail = self._server_message(raw)
        if status >= 500:
            raise SUTError(f"{method} {path} answered HTTP {status}" + (f": {detail}" if detail else ""),
                           code="sut-http-5xx", field=path, expected="2xx, 404, 409 or 422", actual=status)
        raise SUTError(f"{method} {path} answered HTTP {status}" + (f": {detail}" if detail else ""),
                       code="sut-http-status", field=path, expected="2xx, 404, 409 or 422", actual=status)

    @staticmethod
    def _refusal(method: str, path: str, status: int, payload: Any) -> Response:
        errors = payload.get("errors") if isinstance(payload, Mapping) else None
        if not isinstance(errors, list) or not all(isinstance(e, Mapping) for e in errors):
            raise SUTError(f"{method} {path} answered HTTP {status} without the error body",
                           code="sut-bad-json", field=path,
                           expected='{"status", "errors": [{"code", "field", "message"}]}', actual=payload)
        if status == 404 and any(e.get("code") == "unknown-route" for e in errors):
            raise SUTError(f"the SUT has no route {method} {path}; does it implement the HTTP binding?",
                           code="sut-unknown-route", field=path, expected="a route of the binding",
                           actual="unknown-route")
        refusal = payload.get("status", _REFUSALS[status])
        if refusal not in _REFUSALS.values():
            raise SUTError(f"{method} {path} answered an unknown refusal status", code="sut-bad-json",
                           field=path, expected=sorted(_REFUSALS.values()), actual=refusal)
        return Response(refusal, None, tuple(errors))

    def _test_route(self, path: str, body: Mapping) -> dict:
        answer = self._call("POST", path, body)
        if not answer.accepted:
            raise SUTError(f"the SUT refused POST {path}; is it running in test mode?",
                           code="sut-test-route-refused", field=path, expected="ok",
                           actual=f"{answer.status} {list(answer.errors)}")
        return answer.body

    # -- identification and test control --------------------------------------------------------
    def identify(self) -> dict:
        """``GET /test/info``; names the SUT in the reports after it.

        Returns:
            the info object (``name``, ``version``, ``test_mode``), or ``{}`` when the platform
            has no such route.
        Raises:
            SUTError: unreachable, or an answer that is neither 2xx nor 404.
        """
        status, raw = self._exchange("GET", "/test/info")
        if status == 404:
            return {}
        if not 200 <= status < 300:
            raise SUTError(f"GET /test/info answered HTTP {status}: {self._server_message(raw)}",
                           code="sut-http-5xx" if status >= 500 else "sut-http-status",
                           field="/test/info", expected=200, actual=status)
        info = self._json("GET", "/test/info", status, raw)
        if not isinstance(info, Mapping):
            raise SUTError("GET /test/info must answer a JSON object", code="sut-bad-json",
                           field="/test/info", expected="an object", actual=info)
        name = info.get("name")
        if isinstance(name, str) and name.strip():
            self.description = SUTDescription(name=name, adapter="http", endpoint=self.base_url)
        return dict(info)

    def reset(self) -> None:
        self._test_route("/test/reset", {})
        self.reset_ven()  # the harness's VEN forgets its registration (harness.sut.http_vtn)

    def set_clock(self, now: datetime) -> None:
        self._test_route("/test/clock", {"now": now.isoformat()})

    def close(self) -> None:
        pass  # one connection per request; nothing held open

    # -- MarketSUT operations --------------------------------------------------------------------
    def register_participant(self, participant: Mapping) -> Response:
        return self._call("POST", "/participants", participant)

    def register_resource(self, resource: Mapping) -> Response:
        return self._call("POST", "/resources", resource)

    def register_product(self, product: Mapping) -> Response:
        return self._call("POST", "/products", product)

    def get_product(self, product_id: str) -> Response:
        return self._call("GET", f"/products/{_q(product_id)}")

    def list_products(self) -> Response:
        return self._call("GET", "/products", unwrap="products")

    def submit_bid(self, bid: Mapping) -> Response:
        return self._call("POST", "/bids", bid)

    def get_bid(self, bid_id: str) -> Response:
        return self._call("GET", f"/bids/{_q(bid_id)}")

    def clear_market(self, product_id: str) -> Response:
        return self._call("POST", f"/products/{_q(product_id)}/clearing", {})

    def get_contract(self, contract_id: str) -> Response:
        return self._call("GET", f"/contracts/{_q(contract_id)}")

    def contract_event(self, contract_id: str, event: str, by: str, changes: Mapping | None = None) -> Response:
        body: dict[str, Any] = {"event": event, "by": by}
        if changes is not None:
            body["changes"] = changes
        return self._call("POST", f"/contracts/{_q(contract_id)}/events", body)

    def notifications(self, participant_id: str) -> Response:
        return self._call("GET", f"/participants/{_q(participant_id)}/notifications", unwrap="notifications")

    def submit_readings(self, meter_id: str, readings: Sequence[Mapping]) -> Response:
        return self._call("POST", f"/meters/{_q(meter_id)}/readings", {"readings": list(readings)})

    # demand response (harness.sut.demand_response.DemandResponseSUT; issue 6, signal to bill)
    def create_dr_event(self, event: Mapping) -> Response:
        return self._call("POST", "/dr-events", dict(event))

    def get_dr_event(self, event_id: str) -> Response:
        return self._call("GET", f"/dr-events/{_q(event_id)}")

    def verify_delivery(self, contract_id: str) -> Response:
        return self._call("POST", f"/contracts/{_q(contract_id)}/delivery", {})

    def settle_contract(self, contract_id: str) -> Response:
        return self._call("POST", f"/contracts/{_q(contract_id)}/settlement", {})

    def ledger(self) -> Response:
        return self._call("GET", "/ledger", unwrap="entries")

    # -- BillingSUT (harness/sut/billing.py; README "Billing routes") -------------------------------
    def register_tariff(self, tariff: Mapping) -> Response:
        return self._call("POST", "/tariffs", tariff)

    def list_tariffs(self) -> Response:
        return self._call("GET", "/tariffs", unwrap="tariffs")

    def register_supply(self, supply: Mapping) -> Response:
        return self._call("POST", "/supplies", supply)

    def issue_bill(self, request: Mapping) -> Response:
        return self._call("POST", "/bills", request)

    def get_bill(self, bill_id: str) -> Response:
        return self._call("GET", f"/bills/{_q(bill_id)}")

    def signer_key(self) -> Response:
        return self._call("GET", "/billing/signer-key")

    def meter_readings(self, meter_id: str) -> Response:
        return self._call("GET", f"/meters/{_q(meter_id)}/readings")

    # -- decision services (harness.sut.decisions.DecisionSUT; issue 7) ------------------------
    def clear_trading(self, instance: Mapping) -> Response:
        return self._call("POST", "/decisions/trading", instance)

    def assign_ev(self, instance: Mapping) -> Response:
        return self._call("POST", "/decisions/ev-charging", instance)

    def select_retailers(self, request: Mapping) -> Response:
        return self._call("POST", "/decisions/retailer-selection", request)

    def trade_signing_key(self) -> Response:
        return self._call("GET", "/trade-records/key")
