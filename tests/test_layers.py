"""The dependency rule of ``app/`` (docs/ARCHITECTURE.md, "Layers"), checked from the code itself.

Two kinds of check:

* **Pure cores** are imported in a fresh interpreter, and the modules that import loaded are
  listed: no web or database framework may be among them (and, for the cost model, no numpy).
* **The import graph** of ``app/`` is read from the source (every ``import``, including those
  inside functions and ``TYPE_CHECKING`` blocks: an arrow is an arrow) and held against the
  layers: foundation < cores < shared < features < assembly, no cycle between features, web
  modules (``pages.py``, ``api.py``) that import no other web module. The rule functions are
  also run on made-up graphs, so a test shows that each one fails when it should.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"

WEB_AND_DB = ("fastapi", "starlette", "uvicorn", "jinja2", "sqlalchemy", "sqlmodel", "alembic")
PURE_CORES: dict[str, tuple[str, ...]] = {
    "app.errors": WEB_AND_DB,
    "app.clock": WEB_AND_DB,
    "app.quiz.grading": WEB_AND_DB,
    "app.quiz.judge": WEB_AND_DB,
    "app.quiz.scheduling": WEB_AND_DB,
    "app.quiz.practice": WEB_AND_DB,
    "app.progress.stats": WEB_AND_DB,
    "app.interview.plan": WEB_AND_DB,
    "app.encoders.cost": (*WEB_AND_DB, "numpy"),
}

# The layers, lowest first. A module may import its own layer's modules and those below, with
# the limits the checks spell out; features may import one another only without a cycle.
FOUNDATION = {"app", "app.errors", "app.clock", "app.forms"}
CORES = {"content", "encoders"}  # packages: the content parser, the numpy models
SHARED = {
    "app.config",
    "app.db",
    "app.capacity",
    "app.web",
    "app.deps",
    "app.api",
    "app.pagination",
    "app.migrate",
    "app.handlers",
    "app.middleware",
}
FEATURES = {
    "accounts",
    "quiz",
    "progress",
    "lessons",
    "lab",
    "search",
    "health",
    "interview",
    "apiguide",
}
ASSEMBLY = {"app.main", "app.cli", "app.tables", "app.__main__"}
WEB_MODULES = {"pages", "api"}  # a feature's routers

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60


# --- reading the graph ------------------------------------------------------------------------


def module_names(app_dir: Path = APP) -> dict[str, Path]:
    names = {}
    for path in app_dir.rglob("*.py"):
        parts = list(path.relative_to(app_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the ``app`` modules it imports (``from app.x import y`` names ``app.x.y`` when
    that is a module, else ``app.x``)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                if target == "app" or target.startswith("app."):
                    found = _resolve(target, modules)
                    if found and found != name:
                        graph[name].add(found)
    return graph


# --- the rule ---------------------------------------------------------------------------------


def layer_of(module: str) -> tuple[str, str | None]:
    """(layer, package) of a module: the package is the feature's or core's folder name."""
    parts = module.split(".")
    if module in FOUNDATION:
        return "foundation", None
    if module in SHARED:
        return "shared", None
    if module in ASSEMBLY:
        return "assembly", None
    if len(parts) >= 2 and parts[1] in CORES:
        return "core", parts[1]
    if len(parts) >= 2 and parts[1] in FEATURES:
        return "feature", parts[1]
    return "unplaced", None


def layer_problems(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Every arrow that breaks the rule, as a sentence naming both ends."""
    problems = [
        f"{m} is in no layer: add it to one in tests/test_layers.py and docs/ARCHITECTURE.md"
        for m in graph
        if layer_of(m)[0] == "unplaced"
    ]
    for source, targets in graph.items():
        (layer, package) = layer_of(source)
        for target in targets:
            (t_layer, t_package) = layer_of(target)
            if layer == "foundation" and t_layer != "foundation":
                problems.append(
                    f"{source} (foundation) imports {target}: foundation imports no app module"
                )
            elif layer == "core" and t_layer not in ("foundation",) and t_package != package:
                problems.append(
                    f"{source} ({package}/, a core) imports {target}: cores import only the foundation"
                )
            elif layer == "shared" and t_layer in ("feature", "assembly"):
                problems.append(
                    f"{source} (shared) imports {target}: shared modules import no feature"
                )
            elif layer == "feature" and t_layer == "assembly":
                problems.append(
                    f"{source} imports {target}: only the assembly imports the assembly"
                )
            elif (
                layer == t_layer == "feature"
                and source.rpartition(".")[2] in WEB_MODULES
                and target.rpartition(".")[2] in WEB_MODULES
            ):
                problems.append(
                    f"{source} imports {target}: a router imports services, not another router"
                )
    return problems + feature_cycles(graph)


def feature_cycles(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Cycles between feature folders, each as 'a -> b -> a'."""
    arrows: dict[str, set[str]] = {}
    for source, targets in graph.items():
        (layer, package) = layer_of(source)
        for target in targets:
            (t_layer, t_package) = layer_of(target)
            if layer == t_layer == "feature" and package != t_package:
                assert package and t_package
                arrows.setdefault(package, set()).add(t_package)
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        for following in sorted(arrows.get(node, ())):
            if following == path[0]:
                cycle = " -> ".join([*path, following])
                if min(path) == path[0]:  # report each cycle once, from its smallest member
                    cycles.append(f"feature cycle: {cycle}")
            elif following not in path and following > path[0]:
                visit(following, [*path, following])

    for start in sorted(arrows):
        visit(start, [start])
    return cycles


# --- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("module", sorted(PURE_CORES))
def test_a_pure_core_loads_no_framework(module: str) -> None:
    probe = f"import importlib, json, sys; importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
    )
    banned = PURE_CORES[module]
    found = sorted({name.split(".")[0] for name in loaded} & set(banned))
    assert found == [], f"importing {module} loaded {', '.join(found)}"


def test_the_app_keeps_the_dependency_rule() -> None:
    problems = layer_problems(import_graph(module_names()))
    assert problems == [], "\n".join(problems)


def test_every_feature_and_core_folder_is_placed() -> None:
    folders = {p.name for p in APP.iterdir() if (p / "__init__.py").exists()}
    assert folders == CORES | FEATURES, (
        "a new folder in app/ needs a layer (see docs/ARCHITECTURE.md)"
    )


def test_the_checks_catch_each_kind_of_wrong_arrow() -> None:
    good = import_graph(module_names())
    wrong = {
        "app.content.loader": "app.quiz.calculated",  # content importing a feature
        "app.encoders.cost": "app.config",  # a core importing a shared module
        "app.web": "app.accounts.identity",  # a shared module importing a feature
        "app.errors": "app.db",  # the foundation importing anything
        "app.quiz.service": "app.main",  # a feature importing the assembly
        "app.lessons.pages": "app.quiz.pages",  # a router importing a router
    }
    for source, target in wrong.items():
        graph = {**good, source: {*good.get(source, ()), target}}
        found = [p for p in layer_problems(graph) if source in p and target in p]
        assert found, f"adding {source} -> {target} went unnoticed"
    cyclic = {**good, "app.accounts.service": {*good["app.accounts.service"], "app.lab.service"}}
    cyclic["app.lab.service"] = {*good["app.lab.service"], "app.accounts.service"}
    assert any("accounts -> lab -> accounts" in p for p in feature_cycles(cyclic))
    assert layer_problems({**good, "app.newthing": set()})  # an unplaced module


def test_no_file_or_function_is_too_long() -> None:
    long: list[str] = []
    for path in sorted(APP.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if text.count("\n") > MAX_FILE_LINES:
            long.append(f"{where}: {text.count(chr(10))} lines (at most {MAX_FILE_LINES})")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long.append(
                        f"{where}:{node.lineno} {node.name}: {size} lines (at most {MAX_FUNCTION_LINES})"
                    )
    assert long == [], "\n".join(long)
