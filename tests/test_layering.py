"""The package's layers only point down, and no module imports itself back through others.

Every module under mi_migrate/ is parsed with `ast` (nothing is imported) and every import of mi_migrate is
collected, wherever it sits: at module level, inside functions, under `if TYPE_CHECKING:`, and
`importlib.import_module("mi_migrate....")` with a literal or an f-string prefix (a registry that loads its
modules by name depends on all of them). Relative imports are resolved. `from pkg import name` counts as an
import of `pkg.name` when that is a module, else of `pkg`.

TYPE_CHECKING imports count like any other: a cycle that exists only for the type checker is still two modules
that cannot be read apart. What is not counted is the implicit import of parent packages (importing
`mi_migrate.scan.files` runs `mi_migrate/scan/__init__.py`): every package `__init__` under mi_migrate imports
only its own package's modules or nothing, so those edges add no cycle.

Contract (see docs/design.md), lowest first:

    core      mi_migrate.core.*, and the root package (it only holds __version__)
    scan      mi_migrate.scan.*                        may import core
    baseline  mi_migrate.baseline                      may import core, scan
    fix       mi_migrate.fix.*                         may import core, scan
    output    mi_migrate.output.*                      may import core, scan
    report    mi_migrate.report.*                      may import core, scan, fix (it describes a fix's changes)
    api       mi_migrate.api                           may import everything above except cli and testing
    cli       mi_migrate.cli, mi_migrate.__main__      may import api, output, core
    testing   mi_migrate.testing.*                     may import core, scan; nothing may import it

A layer may always import its own modules (as long as no cycle forms).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "mi_migrate"

# layer -> the layers it may import (besides itself)
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "scan": frozenset({"core"}),
    "baseline": frozenset({"core", "scan"}),
    "fix": frozenset({"core", "scan"}),
    "output": frozenset({"core", "scan"}),
    "report": frozenset({"core", "scan", "fix"}),
    "api": frozenset({"core", "scan", "baseline", "fix", "output", "report"}),
    "cli": frozenset({"core", "api", "output"}),
    "testing": frozenset({"core", "scan"}),
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if parts == [PACKAGE]:
        return "core"
    top = parts[1]
    if top == "__main__":
        return "cli"
    if top not in ALLOWED:
        raise AssertionError(f"{module}: not in any layer; add it to ALLOWED and docs/design.md")
    return top


def modules(root: Path = ROOT) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package __init__) for every module under mi_migrate/."""
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        found[".".join(parts)] = (path, is_package)
    return found


def _owner(name: str, known: Iterable[str]) -> str | None:
    """The module `name` refers to: itself, or its nearest parent that is a module."""
    known = set(known)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _dynamic_target(node: ast.Call) -> tuple[str, bool] | None:
    """`importlib.import_module("a.b")` -> ("a.b", False); with an f-string "a.b.{x}" -> ("a.b", True)."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name != "import_module" or not node.args:
        return None
    arg = node.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value, False
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        prefix = str(arg.values[0].value)
        return prefix.rstrip("."), True
    return None


def imports_of(module: str, source: str, is_package: bool, known: Mapping[str, object]) -> set[str]:
    """Every mi_migrate module `module` imports, anywhere in its source."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    out.add(_owner(alias.name, known) or alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target != PACKAGE and not target.startswith(PACKAGE + "."):
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                out.add(full if full in known else _owner(target, known) or target)
        elif isinstance(node, ast.Call) and (dynamic := _dynamic_target(node)):
            target, is_prefix = dynamic
            if not target.startswith(PACKAGE):
                continue
            if is_prefix:
                out.update(m for m in known if m.rpartition(".")[0] == target)
            else:
                out.add(_owner(target, known) or target)
    out.discard(module)
    return out


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    found = modules(root)
    return {name: imports_of(name, path.read_text(encoding="utf-8"), is_package, found)
            for name, (path, is_package) in found.items()}


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, ..., a], or None when the graph is acyclic (iterative DFS)."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if color[start] != WHITE:
            continue
        path: list[str] = [start]
        stack = [iter(sorted(graph[start]))]
        color[start] = GREY
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                color[path.pop()] = BLACK
                stack.pop()
                continue
            state = color.get(nxt, BLACK)  # imports of names outside the graph end there
            if state == GREY:
                return [*path[path.index(nxt):], nxt]
            if state == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that break the layer contract, as 'importer -> imported (layer -> layer)'."""
    bad = []
    for importer, targets in sorted(graph.items()):
        source = layer_of(importer)
        for target in sorted(targets):
            dest = layer_of(target)
            if dest == "testing" and source != "testing":
                bad.append(f"{importer} -> {target} (nothing in the package may import mi_migrate.testing)")
            elif dest != source and dest not in ALLOWED[source]:
                bad.append(f"{importer} -> {target} ({source} may not import {dest})")
    return bad


# -- the package -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_import_graph_has_no_cycle(graph: dict[str, set[str]]) -> None:
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layers_only_point_down(graph: dict[str, set[str]]) -> None:
    assert violations(graph) == []


def test_every_module_was_seen(graph: dict[str, set[str]]) -> None:
    """The walk found the package (a wrong root would make the two tests above pass on nothing)."""
    assert {"mi_migrate.api", "mi_migrate.core.finding", "mi_migrate.scan.engine", "mi_migrate.cli"} <= set(graph)
    assert "mi_migrate.core.finding" in graph["mi_migrate.core.rules"]
    assert graph["mi_migrate.scan.validators"] >= {"mi_migrate.scan.validators.keys"}  # import_module(f"...")


def test_layer_packages_import_nothing_on_their_own(graph: dict[str, set[str]]) -> None:
    """Importing one core or scan module loads that module and what it needs, not the whole layer."""
    for package in ("mi_migrate.core", "mi_migrate.scan", "mi_migrate.scan.python", "mi_migrate.scan.history",
                    "mi_migrate.testing"):
        assert graph[package] == set(), package


def test_core_and_scan_stay_below(graph: dict[str, set[str]]) -> None:
    """The two facts the layering exists for, spelled out."""
    assert not any(layer_of(t) != "core" for m, ts in graph.items() if layer_of(m) == "core" for t in ts)
    assert not any(layer_of(t) not in ("core", "scan") for m, ts in graph.items() if layer_of(m) == "scan" for t in ts)


# -- the checks themselves can fail --------------------------------------------------------------------------


def test_find_cycle_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_violations_report_an_upward_import() -> None:
    graph = {
        "mi_migrate.core.finding": {"mi_migrate.scan.engine"},
        "mi_migrate.scan.engine": {"mi_migrate.core.finding"},
        "mi_migrate.fix.runner": {"mi_migrate.testing.fakes", "mi_migrate.report.model"},
        "mi_migrate.cli": {"mi_migrate.fix.runner"},
    }
    assert violations(graph) == [
        "mi_migrate.cli -> mi_migrate.fix.runner (cli may not import fix)",
        "mi_migrate.core.finding -> mi_migrate.scan.engine (core may not import scan)",
        "mi_migrate.fix.runner -> mi_migrate.report.model (fix may not import report)",
        "mi_migrate.fix.runner -> mi_migrate.testing.fakes (nothing in the package may import mi_migrate.testing)",
    ]


def test_imports_inside_functions_and_type_checking_are_collected() -> None:
    source = '''
from __future__ import annotations
from typing import TYPE_CHECKING
from . import sibling
from ..core import finding
if TYPE_CHECKING:
    from mi_migrate.api import ScanOptions

def late():
    import mi_migrate.report.model
    from mi_migrate.scan import engine
    importlib.import_module(f"mi_migrate.fix.{name}")
'''
    known = dict.fromkeys(["mi_migrate.scan.files", "mi_migrate.scan.sibling", "mi_migrate.core.finding",
                           "mi_migrate.api", "mi_migrate.report.model", "mi_migrate.scan.engine",
                           "mi_migrate.fix.runner", "mi_migrate.fix"])
    assert imports_of("mi_migrate.scan.files", source, False, known) == {
        "mi_migrate.scan.sibling", "mi_migrate.core.finding", "mi_migrate.api", "mi_migrate.report.model",
        "mi_migrate.scan.engine", "mi_migrate.fix.runner",
    }
