"""The workflow modules passed through Temporal's sandbox (runtime/worker.PASSTHROUGH)
run without its guard: a call to the system clock, randomness, the environment or a file
there would not be stopped, and replay would diverge. This holds our own passed-through
modules to what the sandbox would have enforced."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from runtime.worker import PASSTHROUGH

ROOT = Path(__file__).resolve().parents[2]
# Calls that read the world instead of the workflow's history.
FORBIDDEN_CALLS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "time_ns"), ("time", "monotonic"), ("time", "perf_counter"),
    ("time", "sleep"), ("uuid", "uuid1"), ("uuid", "uuid4"), ("os", "getenv"),
    ("os", "urandom"), ("random", "random"), ("random", "randint"), ("random", "choice"),
    ("random", "shuffle"), ("secrets", "token_hex"),
}
FORBIDDEN_NAMES = {"open", "input", "breakpoint"}
FORBIDDEN_IMPORTS = {"socket", "subprocess", "requests", "httpx", "sqlite3", "sqlmodel",
                     "sqlalchemy", "asyncpg", "psycopg"}
# The engine's clock (bpmn/clock.py) is where Spiff's own reads are redirected to the
# workflow; outside a workflow it falls back to the system clock on purpose. rerun.py is
# the what-if replayer, which runs outside workflows.
OUTSIDE_WORKFLOWS = {"bpmn/clock.py", "bpmn/rerun.py", "bpmn/whatif.py"}


def _our_files() -> list[Path]:
    files: list[Path] = []
    for name in PASSTHROUGH:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None or not spec.origin.startswith(str(ROOT)) \
                or "site-packages" in spec.origin:
            continue  # a library (SpiffWorkflow, lxml): not ours to check
        origin = Path(spec.origin)
        files += sorted(origin.parent.glob("*.py")) if origin.name == "__init__.py" \
            else [origin]
    return files


def _violations(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                    and (f.value.id, f.attr) in FORBIDDEN_CALLS:
                out.append(f"{path.name}:{node.lineno} {f.value.id}.{f.attr}()")
            elif isinstance(f, ast.Attribute) and f.attr in {"now", "utcnow"} \
                    and isinstance(f.value, ast.Attribute) and f.value.attr == "datetime":
                out.append(f"{path.name}:{node.lineno} datetime.{f.attr}()")
            elif isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
                out.append(f"{path.name}:{node.lineno} {f.id}()")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""]
            out += [f"{path.name}:{node.lineno} imports {n}" for n in names
                    if n.split(".")[0] in FORBIDDEN_IMPORTS]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and (node.value.id, node.attr) == ("os", "environ"):
            out.append(f"{path.name}:{node.lineno} os.environ")
    return out


def test_passed_through_modules_read_nothing_but_the_workflow():
    files = _our_files()
    names = {str(p.relative_to(ROOT)) for p in files}
    assert {"workflows/loan_process.py", "workflows/loan_flow.py", "workflows/native.py",
            "bpmn/engine.py"} <= names
    found = {n: v for p in files
             if (n := str(p.relative_to(ROOT))) not in OUTSIDE_WORKFLOWS
             and (v := _violations(p))}
    assert found == {}


def test_the_check_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import datetime, os, sqlite3\n"
                   "def f():\n    return datetime.datetime.now(), os.environ, open('x')\n")
    got = _violations(bad)
    assert any("datetime.now()" in v for v in got)
    assert any("os.environ" in v for v in got)
    assert any("open()" in v for v in got)
    assert any("imports sqlite3" in v for v in got)
