"""The requirement catalog: every requirement the harness knows, whether or not a scenario
encodes it yet, and the profiles that select requirements for a conformance claim.

Data lives in YAML beside this module (one file per source document, plus `profiles.yaml`);
paraphrases are the project's own words with the clause cited.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import HarnessError

_HERE = Path(__file__).parent
# docs/contracts.md: Y2072-<clause>-<nn>, SC38-<NAME>, GDPR-<NAME>, MSG-<NAME>, SEC-<NAME>, HIL-<NAME>
ID_PATTERN = re.compile(r"^(Y2072-\d+(\.\d+)*-\d\d|(SC38|GDPR|MSG|SEC|HIL|MKT)-[A-Z0-9-]+)$")
LEVELS = ("required", "recommended")


@dataclass(frozen=True)
class Requirement:
    id: str
    source: str
    level: str
    title: str
    paraphrase: str
    domain: str


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    include: tuple[str, ...]
    # the security policy a declared profile states (catalog/security_policy.py; Y2072-10-02)
    security_policy: object | None = None

    def covers(self, requirement_id: str) -> bool:
        return any(fnmatch.fnmatchcase(requirement_id, pattern) for pattern in self.include)


@lru_cache(maxsize=1)
def requirements() -> tuple[Requirement, ...]:
    """All catalogued requirements, in document order.

    Raises:
        HarnessError: a catalog file is malformed (the entry and field are named).
    """
    found: list[Requirement] = []
    seen: set[str] = set()
    for path in sorted(_HERE.glob("*.yaml")):
        if path.name == "profiles.yaml":
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, entry in enumerate(data.get("requirements", [])):
            where = f"{path.name}: requirements[{index}]"
            try:
                req = Requirement(**{k: entry[k] for k in Requirement.__dataclass_fields__})
            except KeyError as missing:
                raise HarnessError(f"{where} lacks {missing}", code="catalog-malformed", field=str(missing)) from None
            if not ID_PATTERN.match(req.id):
                raise HarnessError(f"{where}: bad id", code="catalog-malformed", field="id", actual=req.id)
            if req.level not in LEVELS:
                raise HarnessError(f"{where}: bad level", code="catalog-malformed", field="level",
                                   expected=LEVELS, actual=req.level)
            if req.id in seen:
                raise HarnessError(f"{where}: duplicate id", code="catalog-malformed", field="id", actual=req.id)
            seen.add(req.id)
            found.append(req)
    return tuple(found)


def by_id() -> dict[str, Requirement]:
    return {r.id: r for r in requirements()}


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    data = yaml.safe_load((_HERE / "profiles.yaml").read_text(encoding="utf-8"))
    return {name: Profile(name, spec["description"], tuple(spec["include"]))
            for name, spec in data["profiles"].items()}


def profile(name: str) -> Profile:
    """Raises HarnessError naming the known profiles when `name` is not one of them.

    A name ending in .yaml/.yml/.json, or holding a '/', is a SUT's own declaration of what it
    claims (`declared.load_declared`)."""
    from .declared import load_declared, looks_like_file
    if looks_like_file(name):
        return load_declared(name, requirements(), Profile)
    known = profiles()
    if name not in known:
        raise HarnessError(f"unknown profile {name!r}; known profiles: {', '.join(sorted(known))}",
                           code="unknown-profile", field="--profile", actual=name)
    return known[name]
