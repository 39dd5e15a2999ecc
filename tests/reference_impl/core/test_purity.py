"""The sans-IO rule of reference_impl.core: no module there may import an I/O, clock or
randomness module, nor read the wall clock through ``.now()`` / ``.utcnow()`` / ``.today()``.
Callers pass time and identifiers in (see reference_impl/core/__init__.py).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import reference_impl.core

CORE_DIR = Path(reference_impl.core.__file__).parent
CORE_MODULES = sorted(CORE_DIR.glob("*.py"))

# Top-level module names whose import breaks the rule (submodules such as os.path,
# http.client or urllib.request are caught through their top-level name).
FORBIDDEN_MODULES = frozenset({
    "socket", "sqlite3", "os", "io", "pathlib", "time", "random", "secrets", "uuid",
    "subprocess", "threading", "asyncio", "http", "urllib", "requests", "logging",
    "tempfile", "shutil",
})
# Methods that read the wall clock: datetime.now(), datetime.utcnow(), date.today(), ...
CLOCK_METHODS = frozenset({"now", "utcnow", "today"})
_DYNAMIC_IMPORTS = frozenset({"__import__", "import_module"})


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def sans_io_violations(source: str, filename: str = "<snippet>") -> list[str]:
    """Every breach of the sans-IO rule in ``source``, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names if _top(a.name) in FORBIDDEN_MODULES]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and _top(node.module) in FORBIDDEN_MODULES:
                found.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_METHODS:
                found.append(f"{where}: wall-clock call .{func.attr}()")
            elif name in _DYNAMIC_IMPORTS and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and _top(node.args[0].value) in FORBIDDEN_MODULES:
                found.append(f"{where}: dynamic import of {node.args[0].value}")
    return found


def test_the_core_package_is_where_we_look():
    names = {path.name for path in CORE_MODULES}
    # guards against the parametrised check below silently running over nothing
    assert {"bids.py", "clearing.py", "contracts.py", "delivery.py", "ledger.py",
            "products.py", "settlement.py", "trading.py"} <= names


@pytest.mark.parametrize("module", CORE_MODULES, ids=lambda path: path.name)
def test_core_module_is_sans_io(module: Path):
    violations = sans_io_violations(module.read_text(encoding="utf-8"), module.name)
    assert violations == [], "the sans-IO core must not do I/O or read clocks:\n" + "\n".join(violations)


# --- the checker itself must be able to fail ------------------------------------------------

def test_checker_flags_a_forbidden_import():
    assert sans_io_violations("import sqlite3\n") == ["<snippet>:1: import sqlite3"]


@pytest.mark.parametrize("snippet, expected", [
    ("from os import path", "<snippet>:1: from os import ..."),
    ("import http.client as hc", "<snippet>:1: import http.client"),
    ("from urllib.request import urlopen", "<snippet>:1: from urllib.request import ..."),
    ("from datetime import datetime\nx = datetime.now()", "<snippet>:2: wall-clock call .now()"),
    ("import datetime\nx = datetime.datetime.utcnow()", "<snippet>:2: wall-clock call .utcnow()"),
    ("from datetime import date\nx = date.today()", "<snippet>:2: wall-clock call .today()"),
    ("m = __import__('socket')", "<snippet>:1: dynamic import of socket"),
])
def test_checker_flags_other_breaches(snippet, expected):
    assert sans_io_violations(snippet) == [expected]


def test_checker_passes_pure_code():
    clean = ("from __future__ import annotations\nimport json, hashlib, math\n"
             "from datetime import datetime, timedelta\nfrom . import parsing\n"
             "def f(now: datetime):\n    return now + timedelta(hours=1)\n")
    assert sans_io_violations(clean) == []
