"""The pytest plugin behind `harness run`: options, the `sut` and `evidence` fixtures, the
mapping from pytest-bdd scenarios to requirement IDs, per-scenario outcomes, and the run record
handed to the report writers when the session ends.

Outcome of a scenario: ``pass``; ``fail`` when a step raised ConformanceViolation or
AssertionError during the call; ``error`` for anything else (set-up failures, SUT crashes,
harness bugs); ``not-applicable`` when every requirement it covers is outside the profile.
Every scenario must carry at least one requirement tag; an untagged one is a collection error.
"""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import allure
import pytest
from pytest_bdd.scenario import scenario_wrapper_template_registry

from . import __version__, catalog
from .errors import ConformanceViolation, HarnessError, SUTLacksFeature
from .measurements import ScenarioEvidence
from .reports import write_all
from .sut import load_sut
from .verdicts import ScenarioResult, aggregate
from .wirelog import RecordingSUT, WireLog

_INFO = pytest.StashKey[dict]()
_EVIDENCE = pytest.StashKey[ScenarioEvidence]()
_WIRE = pytest.StashKey[str]()
PLUGIN = pytest.StashKey["HarnessPlugin"]()


def marker_name(requirement_id: str) -> str:
    """Requirement IDs hold '-' and '.', which `-m` expressions cannot; Y2072-7.5-01 -> Y2072_7_5_01."""
    return requirement_id.replace("-", "_").replace(".", "_")


class HarnessPlugin:
    """Args:
        sut_spec: ``reference`` or ``module:factory``.
        profile: a profile name from the catalog.
        report_dir: where reports go; created if missing.
        requirements: if given, run only scenarios covering one of these IDs.
    """

    # defaults for subclasses that set their own state (bench_plugin.BenchPlugin)
    city_scale = False
    left_out = 0

    def __init__(self, sut_spec: str, profile: str, report_dir: Path, requirements: tuple[str, ...] = (),
                 *, city_scale: bool = False, credentials: Path | None = None, sut_log: Path | None = None):
        self.sut_spec = sut_spec
        self.credentials = credentials  # `--credentials DIR`: party certificates (harness/sut/credentials.py)
        self.city_scale = city_scale   # run the @city_scale example rows (issue 7)
        self.left_out = 0
        self.profile = catalog.profile(profile)
        self.report_dir = report_dir
        self.selected = set(requirements)
        unknown = self.selected - set(catalog.by_id())
        if unknown:
            raise HarnessError("unknown requirement id", code="unknown-requirement", field="--requirement",
                               actual=sorted(unknown))
        self.results: dict[str, ScenarioResult] = {}
        self.record: dict | None = None
        self.started_at = datetime.now(timezone.utc)
        self.collection_failed = False
        # Resolve the SUT before anything runs, so a wrong --sut is a usage error (exit 2), not
        # one error per scenario. Its working files (the reference's SQLite databases) are kept
        # under the report directory for inspection.
        workdir = report_dir / "sut-work"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self.sut = load_sut(sut_spec, workdir=str(workdir), credentials=credentials)
        self.description = self.sut.description
        if sut_log is not None:  # `--sut-log FILE` (harness/sut/service_log.py)
            from .sut.service_log import LogFileView
            self.sut.service_log = LogFileView(sut_log)
        self.wire = WireLog(report_dir / "wire")
        if hasattr(self.sut, "wire_tap"):
            self.sut.wire_tap = self.wire.record

    # -- collection ------------------------------------------------------------------------
    def pytest_configure(self, config):
        config.stash[PLUGIN] = self
        for req in catalog.requirements():
            config.addinivalue_line("markers", f"{marker_name(req.id)}: {req.source} - {req.title}")
        # Examples tagged @city_scale hold the large instances (issue 7); they run only with
        # `harness run --city-scale` (as `make run` does).
        config.addinivalue_line("markers", "city_scale: example rows with city-scale instances")

    @pytest.hookimpl(tryfirst=True)
    def pytest_bdd_apply_tag(self, tag, function):
        if tag in catalog.by_id():
            pytest.mark.__getattr__(marker_name(tag))(function)
            return True
        return None

    def pytest_collection_modifyitems(self, config, items):
        if not self.city_scale:  # large instances only on request: not collected, counted
            kept = [item for item in items if item.get_closest_marker("city_scale") is None]
            self.left_out = len(items) - len(kept)
            items[:] = kept
        keep, dropped = [], []
        for item in items:
            template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
            if template is None:
                continue
            tags = template.tags | template.feature.tags
            ids = tuple(sorted(t for t in tags if t in catalog.by_id()))
            if not ids:
                raise HarnessError(f"scenario {template.name!r} in {template.feature.rel_filename} has no "
                                   "requirement tag; tag it with the IDs it covers", code="untagged-scenario")
            example = getattr(getattr(item, "callspec", None), "params", {}).get("_pytest_bdd_example") or {}
            name = template.name + (f" [{example['case']}]" if "case" in example else
                                    (f" [{', '.join(example.values())}]" if example else ""))
            info = {"feature": template.feature.name, "name": name, "ids": ids,
                    "key": f"{template.feature.rel_filename}::{name}"}
            item.stash[_INFO] = info
            if self.selected and not self.selected.intersection(ids):
                dropped.append(item)
                self.results[info["key"]] = ScenarioResult(info["feature"], name, ids, "not-tested",
                                                           message="deselected by --requirement")
                continue
            if not any(self.profile.covers(i) for i in ids):
                item.add_marker(pytest.mark.skip(reason=f"not-applicable: outside profile {self.profile.name}"))
            keep.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    def pytest_deselected(self, items):
        for item in items:  # -k / -m deselection: the scenario exists but did not run
            info = item.stash.get(_INFO, None)
            if info and info["key"] not in self.results:
                self.results[info["key"]] = ScenarioResult(info["feature"], info["name"], info["ids"],
                                                           "not-tested", message="deselected")

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_failed = True

    @pytest.hookimpl(trylast=True)  # after allure-pytest-bdd has opened the scenario's result
    def pytest_bdd_before_scenario(self, request, feature, scenario):
        """Label the Allure result with the requirement IDs as the catalog writes them
        (pytest marks can only carry the underscored form)."""
        info = request.node.stash.get(_INFO, None)
        if info:
            allure.dynamic.tag(*info["ids"])
            for rid in info["ids"]:
                allure.dynamic.label("requirement", rid)

    # -- outcomes -----------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        info = item.stash.get(_INFO, None)
        if info is None:
            return
        previous = self.results.get(info["key"])
        verdict, message = None, None
        if report.skipped and call.when in ("setup", "call"):  # a step may find a check moot
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            verdict = "not-applicable" if "not-applicable" in reason else "not-tested"
            message = reason.removeprefix("Skipped: ")
        elif report.failed and call.excinfo is not None and call.excinfo.errisinstance(SUTLacksFeature):
            # the SUT lacks what the scenario needs (harness.errors.SUTLacksFeature): not a finding,
            # so pytest (and JUnit) show it skipped with the reason, not failed
            verdict, message = "not-applicable", str(call.excinfo.value)
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, message)
        elif report.failed:
            excinfo = call.excinfo
            is_finding = call.when == "call" and excinfo is not None and excinfo.errisinstance(
                (ConformanceViolation, AssertionError)) and not excinfo.errisinstance(HarnessError)
            verdict = "fail" if is_finding else "error"
            message = str(excinfo.value) if excinfo is not None else report.longreprtext[-2000:]
            if previous is not None and previous.outcome in ("fail", "error") and call.when == "teardown":
                return
        elif call.when == "call" and report.passed:
            verdict = "pass"
        if verdict is None:
            return
        evidence = item.stash.get(_EVIDENCE, None)
        self.results[info["key"]] = ScenarioResult(
            info["feature"], info["name"], info["ids"], verdict,
            duration_s=report.duration + (previous.duration_s if previous else 0.0), message=message,
            measurements=tuple(evidence.records) if evidence else (),
            wire_log=item.stash.get(_WIRE, None))

    def pytest_sessionfinish(self, session, exitstatus):
        self.wire.end()
        requirements, summary = aggregate(catalog.requirements(), self.profile, self.results.values())
        description = self.description
        self.record = {
            "harness_version": __version__,
            "sut": {"name": description.name if description else self.sut_spec,
                    "adapter": description.adapter if description else self.sut_spec,
                    "endpoint": description.endpoint if description else ""},
            "profile": self.profile.name,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "requirements": requirements,
            "summary": summary,
        }
        self.report_dir.mkdir(parents=True, exist_ok=True)
        write_all(self.record, self.report_dir)



# -- fixtures (module level: pytest deprecates fixtures that are plugin instance methods) --------
@pytest.fixture(scope="session")
def sut_session(request):
    plugin = request.config.stash[PLUGIN]
    yield plugin.sut
    plugin.sut.close()


@pytest.fixture
def sut(sut_session, request):
    """The system under test, reset to an empty market for each scenario, behind a proxy that
    writes every exchange to the scenario's wire log."""
    plugin = request.config.stash[PLUGIN]
    info = request.node.stash.get(_INFO, None)
    request.node.stash[_WIRE] = plugin.wire.begin(info["name"] if info else request.node.name)
    sut_session.reset()
    yield RecordingSUT(sut_session, plugin.wire.record)
    plugin.wire.end()


@pytest.fixture
def evidence(request) -> ScenarioEvidence:
    """Where a scenario's declared measurements are recorded."""
    recorded = ScenarioEvidence()
    request.node.stash[_EVIDENCE] = recorded
    return recorded

