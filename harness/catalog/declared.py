"""SUT-declared profiles: what a platform claims, in a small YAML or JSON file, turned into the
profile `harness run --profile FILE` judges it against.

A declaration names the Y.2072 roles the platform plays and the optional (recommended)
requirements it implements; every required requirement of a claimed role is in the claim, a
recommended one only when listed. Other requirement families (MSG-*, SC38-*...) and the
descriptive clauses 8-10 are claimed by pattern under ``include``. Requirements outside the claim
are reported ``not-applicable`` (their scenarios skipped and listed, never dropped silently).

    name: market-only            # what the reports call the profile
    description: a trading venue without aggregation or customer sites
    roles: [market]              # market, prosumer, distribution, operation, aggregator, decisions
    optional: []                 # recommended requirement ids implemented, or "all"
    include: ["MSG-*", "MKT-*"]  # further patterns claimed as they are
    security_policy: {...}       # optional: what Y2072-10-02 holds it to (catalog/security_policy.py)

Roles map to the catalog's domains: ``market`` (7.5, 8.2.1), ``prosumer`` (7.1 customer domain,
8.2.3), ``distribution`` (7.2, 8.2.4 utility grid), ``operation`` (7.3), ``aggregator`` (7.4
service provider, 8.2.2).
"""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import yaml

from ..errors import HarnessError

ROLE_DOMAINS = {
    "market": ("markets", "market-functions"),
    "prosumer": ("customer", "prosumer-functions"),
    "distribution": ("distribution", "utility-grid-functions"),
    "operation": ("operation",),
    "aggregator": ("service-provider", "aggregator-functions"),
    # the harness's own MKT-* checks of decision services (optimal clearing, EV assignment,
    # retailer selection, signed trade records): claimed by a platform that offers them
    "decisions": ("market-decisions",),
}
_KEYS = {"name", "description", "roles", "optional", "include", "security_policy"}


def looks_like_file(name: str) -> bool:
    return name.endswith((".yaml", ".yml", ".json")) or "/" in name


def _list(data: dict, key: str, where: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise HarnessError(f"{where}: '{key}' must be a list of strings", code="bad-profile", field=f"/{key}",
                           actual=value)
    return value


def load_declared(path_text: str, requirements, profile_class):
    """Read a declaration and build the profile it claims.

    Args:
        path_text: the file given to ``--profile``.
        requirements: the catalog's requirements; profile_class: `catalog.Profile`.
    Returns:
        a Profile whose ``include`` lists the claimed requirement ids.
    Raises:
        HarnessError: missing or unreadable file, unknown key or role, or an optional id that is
            not a recommended requirement of a claimed role (the field is named).
    """
    path = Path(path_text)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise HarnessError(f"cannot read the profile declaration {where}: {exc.strerror}", code="bad-profile",
                           field="--profile", actual=where) from None
    except (ValueError, yaml.YAMLError) as exc:
        raise HarnessError(f"{where} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}",
                           code="bad-profile", field="--profile", actual=where) from None
    if not isinstance(data, dict):
        raise HarnessError(f"{where}: expected a mapping", code="bad-profile", field="", actual=type(data).__name__)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise HarnessError(f"{where}: unknown key {unknown[0]!r}", code="bad-profile", field=f"/{unknown[0]}",
                           expected=sorted(_KEYS), actual=unknown)
    roles = _list(data, "roles", where)
    for index, role in enumerate(roles):
        if role not in ROLE_DOMAINS:
            raise HarnessError(f"{where}: unknown role {role!r}", code="bad-profile", field=f"/roles/{index}",
                               expected=sorted(ROLE_DOMAINS), actual=role)
    domains = {d for role in roles for d in ROLE_DOMAINS[role]}
    in_roles = [r for r in requirements if r.domain in domains]
    optional_raw = data.get("optional", [])
    if optional_raw == "all":
        optional = {r.id for r in in_roles if r.level == "recommended"}
    else:
        optional = set(_list(data, "optional", where))
        recommended = {r.id for r in in_roles if r.level == "recommended"}
        for index, rid in enumerate(_list(data, "optional", where)):
            if rid not in recommended:
                raise HarnessError(f"{where}: {rid} is not a recommended requirement of the roles claimed",
                                   code="bad-profile", field=f"/optional/{index}", actual=rid)
    include = _list(data, "include", where)
    claimed = [r.id for r in in_roles if r.level == "required" or r.id in optional]
    claimed += [r.id for r in requirements if r.id not in claimed
                and any(fnmatch.fnmatchcase(r.id, pattern) for pattern in include)]
    name = data.get("name") or path.stem
    description = data.get("description") or f"declared by {path.name}: roles {', '.join(roles) or 'none'}"
    policy = None
    if "security_policy" in data:
        from .security_policy import parse
        policy = parse(data["security_policy"], where)
    return profile_class(str(name), str(description), tuple(claimed), security_policy=policy)
