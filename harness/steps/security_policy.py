"""Steps for Y2072-10-02, security policy compliance (ITU-T Y.2072 clause 10, second item):
first judge the adequacy of the policy the platform declares in its profile
(harness/catalog/security_policy.py), then check on the wire that the platform keeps to it:
connections it must refuse (TLS below its minimum, no certificate, an untrusted CA, an expired
certificate: harness/sut/transport_probe.py) and signed requests dated outside its declared
window (harness/sut/parties.py, ``sign_next_at``).

Nothing here passes without evidence: no declared policy, no transport to probe (the
in-process SUT) or no party credentials make a scenario not-tested, with the message saying
what to pass; a policy that does not state a rule makes that rule's scenario not-applicable.
"""
from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, then, when

from .. import measurements as m
from ..catalog.security_policy import ADEQUATE_TLS_MIN, TLS_VERSIONS, SecurityPolicy
from ..errors import HarnessError
from ..plugin import PLUGIN
from ..sut.transport_probe import TransportProbe
from .security import _WHO, SecurityAttempt, _caller, _submit_reading

POLICY_TLS = m.declare("declared_tls_min_version", unit=None,
                       description="the minimum TLS version the platform's policy declares")
POLICY_CERTIFICATE = m.declare("declared_client_certificate", unit=None,
                               description="whether the platform's policy requires a client certificate")
HANDSHAKE = m.declare("tls_handshake_completed", unit=None,
                      description="a TLS handshake the declared policy excludes completed")
NEGOTIATED = m.declare("tls_version_negotiated", unit=None, description="the TLS version the connection agreed")
CONNECTION_SERVED = m.declare("connection_served", unit=None,
                              description="the platform answered a request on a connection its policy excludes")
PROBE_SERVED = m.declare("probe_connection_served", unit=None,
                         description="the platform served a connection its policy allows (control)")

NO_POLICY = ("not-tested: no declared security policy; give harness run --profile FILE whose security_policy "
             "states tls_min_version, client_certificate and signed_requests (profiles/reference-broker.yaml)")
NO_TRANSPORT = ("not-tested: the security-policy checks need the platform's TLS transport: run an https:// SUT "
                "with --credentials DIR (harness pki init); an in-process SUT has none")


@pytest.fixture
def declared_policy(request) -> SecurityPolicy | None:
    """The security policy of the profile this run judges (None for a named profile)."""
    plugin = request.config.stash.get(PLUGIN, None)
    return getattr(getattr(plugin, "profile", None), "security_policy", None)


def _policy(declared_policy) -> SecurityPolicy:
    if declared_policy is None:
        pytest.skip(NO_POLICY)
    return declared_policy


def _transport(sut) -> TransportProbe:
    if not isinstance(sut, TransportProbe) or not sut.probes_transport:
        pytest.skip(NO_TRANSPORT)
    return sut


def _needs_certificates(policy: SecurityPolicy) -> None:
    if policy.client_certificate != "required":
        pytest.skip("not-applicable: the declared policy does not require client certificates")


def _probe(sut, attempt: SecurityAttempt, what: str, **options) -> None:
    # attempt.probe: the ConnectionProbe the Then steps judge
    try:
        attempt.probe = _transport(sut).probe_connection(**options)
    except HarnessError as exc:
        if exc.code in ("no-ca-key", "tls-version-unavailable"):
            pytest.skip(f"not-tested: {exc}")
        raise
    attempt.what = what


# -- adequacy of the declared policy -----------------------------------------------------------
@then("the declared policy sets TLS 1.2 or later as the minimum")
def _(declared_policy, evidence):
    policy = _policy(declared_policy)
    adequate = TLS_VERSIONS[TLS_VERSIONS.index(ADEQUATE_TLS_MIN):]
    evidence.measure(POLICY_TLS, policy.tls_min_version, m.one_of(*adequate),
                     field="/security_policy/tls_min_version", subject="the declared policy")


@then("the declared policy requires a client certificate of every caller")
def _(declared_policy, evidence):
    policy = _policy(declared_policy)
    evidence.measure(POLICY_CERTIFICATE, policy.client_certificate, m.equals("required"),
                     field="/security_policy/client_certificate", subject="the declared policy")


# -- connections -------------------------------------------------------------------------------
@when(parsers.parse(_WHO + " connects offering only the declared minimum TLS version"))
def _(sut, declared_policy, attempt, who):
    policy = _policy(declared_policy)
    _probe(sut, attempt, f"TLS {policy.tls_min_version} with {who}'s certificate",
           tls_version=policy.tls_min_version, certificate="valid", party=who.strip('"'))


@when(parsers.parse(_WHO + " connects offering only the TLS version below the declared minimum"))
def _(sut, declared_policy, attempt, who):
    policy = _policy(declared_policy)
    below = policy.version_below_minimum
    if below is None:
        pytest.skip(f"not-tested: no TLS version below the declared {policy.tls_min_version} to offer")
    _probe(sut, attempt, f"TLS {below} (below the declared {policy.tls_min_version})",
           tls_version=below, certificate="valid", party=who.strip('"'))


@when(parsers.parse(_WHO + " connects with a certificate from a CA the platform does not trust"))
def _(sut, declared_policy, attempt, who):
    _needs_certificates(_policy(declared_policy))
    _probe(sut, attempt, f"a certificate for {who} from an untrusted CA", certificate="untrusted-ca",
           party=who.strip('"'))


@when(parsers.parse(_WHO + " connects with an expired certificate of the platform's CA"))
def _(sut, declared_policy, attempt, who):
    _needs_certificates(_policy(declared_policy))
    _probe(sut, attempt, f"an expired certificate for {who}", certificate="expired", party=who.strip('"'))


@when("a caller connects without a client certificate")
def _(sut, declared_policy, attempt):
    _needs_certificates(_policy(declared_policy))
    _probe(sut, attempt, "a connection without a client certificate", certificate="none")


def _probed(attempt: SecurityAttempt):
    probe = attempt.probe
    if probe is None:
        raise HarnessError("no connection was probed in this scenario", code="feature-error")
    return probe


@then("the platform refuses the handshake")
def _(attempt, evidence):
    probe = _probed(attempt)
    evidence.measure(NEGOTIATED, probe.tls_version, m.equals(None), field="/tls/version", subject=attempt.what)
    evidence.measure(HANDSHAKE, probe.established, m.equals(False), field="/tls", subject=attempt.what)


@then("the platform serves nothing on the connection")
def _(attempt, evidence):
    probe = _probed(attempt)
    evidence.measure(CONNECTION_SERVED, probe.served, m.equals(False), field="/http/status",
                     subject=f"{attempt.what}: {probe.refusal or f'HTTP {probe.http_status}'}")


@then("the platform serves the connection")
def _(attempt, evidence):
    probe = _probed(attempt)
    evidence.measure(PROBE_SERVED, probe.served, m.equals(True), field="/http/status",
                     subject=f"{attempt.what}: {probe.refusal or f'HTTP {probe.http_status}'}")


# -- the request log ---------------------------------------------------------------------------
@given("the declared policy keeps participant identifiers out of the platform's log")
def _(declared_policy):
    policy = _policy(declared_policy)
    if not policy.keeps_identifiers_out_of_log:
        pytest.skip("not-applicable: the declared policy does not promise a log without identifiers in clear")


# -- signed requests ---------------------------------------------------------------------------
def _signed_policy(declared_policy):
    policy = _policy(declared_policy)
    if policy.signed_requests is None:
        pytest.skip("not-applicable: the declared policy has no signed requests")
    return policy.signed_requests


_READING = ' sends a reading of {kwh:g} kWh imported by meter "{meter}" from {start} to {end}, '


@when(parsers.parse(_WHO + _READING + "signed {margin:d} s longer ago than the declared freshness window"))
def _(sut, declared_policy, attempt, who, kwh, meter, start, end, margin):
    window = _signed_policy(declared_policy).freshness_window_s
    _caller(sut, who, attempt).sign_next_at(-(window + margin))
    _submit_reading(sut, attempt, who, kwh, meter, start, end)


@when(parsers.parse(_WHO + _READING + "dated {margin:d} s further ahead than the declared clock skew"))
def _(sut, declared_policy, attempt, who, kwh, meter, start, end, margin):
    skew = _signed_policy(declared_policy).max_clock_skew_s
    _caller(sut, who, attempt).sign_next_at(skew + margin)
    _submit_reading(sut, attempt, who, kwh, meter, start, end)


@when(parsers.parse(_WHO + _READING + "signed half the declared freshness window ago"))
def _(sut, declared_policy, attempt, who, kwh, meter, start, end):
    window = _signed_policy(declared_policy).freshness_window_s
    _caller(sut, who, attempt).sign_next_at(-(window // 2))
    _submit_reading(sut, attempt, who, kwh, meter, start, end)
