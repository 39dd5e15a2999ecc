"""harness.catalog: the Y.2072 requirement catalog and the profiles a conformance claim uses."""
from __future__ import annotations

import pytest

from harness import catalog
from harness.errors import HarnessError

RECOMMENDED_IN_CLAUSE_7 = {"Y2072-7.1-04", "Y2072-7.2-02", "Y2072-7.3-02", "Y2072-7.4-03"}


def y2072():
    return [r for r in catalog.requirements() if r.id.startswith("Y2072-")]


def test_all_61_y2072_entries_load():
    entries = y2072()
    assert len(entries) == 61
    assert len({r.id for r in entries}) == 61
    assert all(catalog.ID_PATTERN.match(r.id) and r.level in catalog.LEVELS for r in entries)
    assert all(r.source.startswith("ITU-T Y.2072 ") and r.title and r.paraphrase for r in entries)


def test_clause_7_has_21_entries_four_of_them_recommended():
    clause_7 = [r for r in y2072() if r.id.startswith("Y2072-7.")]
    assert len(clause_7) == 21
    assert {r.id for r in clause_7 if r.level == "recommended"} == RECOMMENDED_IN_CLAUSE_7
    assert sum(r.level == "required" for r in clause_7) == 17


def test_by_id_finds_an_entry():
    entry = catalog.by_id()["Y2072-7.1-04"]
    assert (entry.level, entry.source, entry.domain) == ("recommended", "ITU-T Y.2072 7.1", "customer")


def test_profiles_exist_and_select_their_clauses():
    profiles = catalog.profiles()
    assert {"all", "y2072", "y2072-markets", "messages", "billing", "hil"} <= set(profiles)
    full, markets = catalog.profile("y2072"), catalog.profile("y2072-markets")
    assert all(full.covers(r.id) for r in y2072())
    assert markets.covers("Y2072-7.5-01") and not markets.covers("Y2072-7.1-01")
    assert not markets.covers("Y2072-8.2.1-01")
    assert sum(markets.covers(r.id) for r in y2072()) == sum(r.id.startswith("Y2072-7.5-") for r in y2072()) > 0


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(HarnessError) as caught:
        catalog.profile("y9999")
    error = caught.value
    assert (error.code, error.field, error.actual) == ("unknown-profile", "--profile", "y9999")
    known = ", ".join(sorted(catalog.profiles()))
    assert f"known profiles: {known}" in str(error)
    assert "y2072" in known and "y2072-markets" in known
