"""The security policy a platform declares in its profile (``security_policy:`` of a
`harness run --profile FILE` declaration), which Y2072-10-02 holds it to.

ITU-T Y.2072 clause 10 (second item) asks that the adequacy of the platform's security
requirements be determined and that the platform be shown to keep to the security policy and
procedures it has set. A policy in prose cannot be tested; this module owns the few statements
of it a certification lab can check on the wire, and the baseline the harness judges their
adequacy against:

    security_policy:
      tls_min_version: "1.2"        # TLS versions below this are refused at the handshake
      client_certificate: required  # nothing is served without a valid certificate of the platform's CA
      signed_requests:              # optional: a party's changes are signed (README, "Signed requests")
        freshness_window_s: 300     # a request signed longer ago than this is refused
        max_clock_skew_s: 300       # a request dated further ahead of the platform's clock is refused
      log_identifiers: pseudonymised  # optional: pseudonymised | none | in-clear (its request log)

Rules:
- Every key is checked; an unknown key or a bad value is a usage error naming the field
  (``/security_policy/tls_min_version``), never a silently ignored statement.
- `ADEQUATE_TLS_MIN` and `client_certificate: required` are the adequacy baseline: the OpenADR
  2.0b profile (its security clause) authenticates both ends with X.509 certificates over TLS
  1.2 or later. A weaker declaration parses, and the adequacy scenario fails on it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import HarnessError

TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
ADEQUATE_TLS_MIN = "1.2"
CLIENT_CERTIFICATE = ("required", "not-required")
LOG_IDENTIFIERS = ("pseudonymised", "none", "in-clear")
_KEYS = {"tls_min_version", "client_certificate", "signed_requests", "log_identifiers"}
_SIGNED_KEYS = {"freshness_window_s", "max_clock_skew_s"}
_ROOT = "/security_policy"


@dataclass(frozen=True)
class SignedRequestPolicy:
    """How old (and how far ahead) a signed request may be dated, in seconds."""

    freshness_window_s: int
    max_clock_skew_s: int


@dataclass(frozen=True)
class SecurityPolicy:
    """What the platform declares it enforces (see the module docstring)."""

    tls_min_version: str
    client_certificate: str
    signed_requests: SignedRequestPolicy | None = None
    log_identifiers: str | None = None   # how participant ids appear in its request log

    @property
    def keeps_identifiers_out_of_log(self) -> bool:
        return self.log_identifiers in ("pseudonymised", "none")

    @property
    def version_below_minimum(self) -> str | None:
        """The TLS version just below the declared minimum (None below 1.0: nothing to offer)."""
        index = TLS_VERSIONS.index(self.tls_min_version)
        return TLS_VERSIONS[index - 1] if index else None

    def to_record(self) -> dict:
        record = {"tls_min_version": self.tls_min_version, "client_certificate": self.client_certificate}
        if self.signed_requests is not None:
            record["signed_requests"] = {"freshness_window_s": self.signed_requests.freshness_window_s,
                                         "max_clock_skew_s": self.signed_requests.max_clock_skew_s}
        if self.log_identifiers is not None:
            record["log_identifiers"] = self.log_identifiers
        return record


def _fail(where: str, message: str, field: str, actual, expected=None) -> HarnessError:
    return HarnessError(f"{where}: {message}", code="bad-profile", field=field, expected=expected, actual=actual)


def _seconds(data: dict, key: str, where: str) -> int:
    field = f"{_ROOT}/signed_requests/{key}"
    if key not in data:
        raise _fail(where, f"signed_requests needs {key} (seconds)", field, None)
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 86_400:
        raise _fail(where, f"{key} must be whole seconds from 1 to 86400", field, value)
    return value


def parse(data, where: str) -> SecurityPolicy:
    """Read the ``security_policy`` mapping of a declaration.

    Args:
        data: the mapping as read from YAML or JSON.
        where: the file, for messages.
    Returns:
        the declared policy.
    Raises:
        HarnessError: ``bad-profile``, with ``field`` the JSON pointer of the bad entry.
    """
    if not isinstance(data, dict):
        raise _fail(where, "security_policy must be a mapping", _ROOT, type(data).__name__)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r} in security_policy", f"{_ROOT}/{unknown[0]}", unknown,
                    sorted(_KEYS))
    version = data.get("tls_min_version")
    version = f"{version:.1f}" if isinstance(version, float) else version   # YAML reads 1.2 as a number
    if version not in TLS_VERSIONS:
        raise _fail(where, "tls_min_version must be one of " + ", ".join(TLS_VERSIONS),
                    f"{_ROOT}/tls_min_version", data.get("tls_min_version"), list(TLS_VERSIONS))
    certificate = data.get("client_certificate")
    if certificate not in CLIENT_CERTIFICATE:
        raise _fail(where, "client_certificate must be 'required' or 'not-required'",
                    f"{_ROOT}/client_certificate", certificate, list(CLIENT_CERTIFICATE))
    signed = None
    if "signed_requests" in data:
        raw = data["signed_requests"]
        if not isinstance(raw, dict):
            raise _fail(where, "signed_requests must be a mapping", f"{_ROOT}/signed_requests", raw)
        extra = sorted(set(raw) - _SIGNED_KEYS)
        if extra:
            raise _fail(where, f"unknown key {extra[0]!r} in signed_requests", f"{_ROOT}/signed_requests/{extra[0]}",
                        extra, sorted(_SIGNED_KEYS))
        signed = SignedRequestPolicy(_seconds(raw, "freshness_window_s", where),
                                     _seconds(raw, "max_clock_skew_s", where))
    log = data.get("log_identifiers")
    if log is not None and log not in LOG_IDENTIFIERS:
        raise _fail(where, "log_identifiers must be one of " + ", ".join(LOG_IDENTIFIERS),
                    f"{_ROOT}/log_identifiers", log, list(LOG_IDENTIFIERS))
    return SecurityPolicy(version, certificate, signed, log)
