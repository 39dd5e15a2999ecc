"""Where the Gherkin features are, and what they cover, read without running them."""
from __future__ import annotations

from pathlib import Path

from pytest_bdd.parser import FeatureParser

from .errors import HarnessError


def default_features_dir() -> Path:
    """The repository's features/ (the project is installed editable from its checkout)."""
    return Path(__file__).resolve().parent.parent / "features"


def coverage(features_dir: Path) -> dict[str, list[str]]:
    """Requirement id -> ["feature file: scenario name", ...] for every tagged scenario.

    Raises:
        HarnessError: the directory holds no feature files.
    """
    files = sorted(features_dir.rglob("*.feature"))
    if not files:
        raise HarnessError(f"no .feature files under {features_dir}", code="no-features",
                           field="--features", actual=str(features_dir))
    covered: dict[str, list[str]] = {}
    for path in files:
        feature = FeatureParser(str(features_dir), str(path.relative_to(features_dir))).parse()
        for scenario in feature.scenarios.values():
            for tag in sorted(scenario.tags | feature.tags):
                covered.setdefault(tag, []).append(f"{path.name}: {scenario.name}")
    return covered
