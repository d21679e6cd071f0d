"""The apps of ketamine_clinic import one another in layers, never in a circle.

The graph is built from the source with `ast`: an import at module level (or in a class body)
of another package of ketamine_clinic is an edge between the two packages. Imports inside a
function run when it is called, not when the module loads, and those under `TYPE_CHECKING`
never run: both are left out, which is how a lower app reaches a higher one when it must
(accounts writes to the audit trail; the audit trail looks up patients by MRN).

Reading from the bottom: `clinical` (the pure core) and `common` (shared helpers) import no
app; `accounts` builds on `common`; `audit` on `accounts`; `patients` on `audit`; the
capabilities on `patients`; `web`, `api` and the URLs on everything.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import ketamine_clinic

PACKAGE = Path(ketamine_clinic.__file__).parent

# (importer, imported): why this upward edge is allowed. Empty: no app needs one today.
ALLOWED_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(body: list[ast.stmt], module: str, is_package: bool) -> list[str]:
    """Return the modules imported when `module` loads (not in functions, not for typing)."""
    found: list[str] = []
    for node in body:
        if isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                found += _imported_modules(node.body, module, is_package)
            found += _imported_modules(node.orelse, module, is_package)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                found += _imported_modules(block, module, is_package)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            found += _imported_modules(node.body, module, is_package)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".") if is_package else module.split(".")[:-1]
                parts = parts[: len(parts) - node.level + 1]
                found.append(".".join([*parts, node.module] if node.module else parts))
            else:
                found.append(node.module or "")
    return found


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "ketamine_clinic" or len(parts) < 2:
        return None
    return parts[1]


def package_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Return {package: packages it imports at load time} for the packages under `root`."""
    graph: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        importer = _package_of(module)
        if importer is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for imported in _imported_modules(tree.body, module, is_package):
            target = _package_of(imported)
            if target is not None and target != importer:
                graph[importer].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of `graph` as [a, b, …, a], or None when it has none."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if (node, target) in ALLOWED_CYCLE_EDGES:
                continue
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_apps_import_one_another_without_a_cycle() -> None:
    assert find_cycle(package_graph()) is None


def test_the_pure_core_and_the_shared_helpers_import_no_app() -> None:
    graph = package_graph()
    assert graph.get("clinical", set()) == set()
    assert graph.get("common", set()) == set()
    assert graph["accounts"] == {"common"}


def test_the_graph_sees_module_level_imports_and_skips_lazy_and_typing_ones(
    tmp_path: Path,
) -> None:
    root = tmp_path / "ketamine_clinic"
    for app in ("alpha", "beta", "gamma"):
        (root / app).mkdir(parents=True)
        (root / app / "__init__.py").write_text("")
    (root / "alpha" / "models.py").write_text("from ketamine_clinic.beta import services\n")
    (root / "beta" / "services.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from ketamine_clinic.alpha import models\n"
        "def later():\n    from ketamine_clinic.alpha import models\n"
        "from ..gamma import selectors\n"
    )
    (root / "gamma" / "selectors.py").write_text("")
    graph = package_graph(root)
    assert dict(graph) == {"alpha": {"beta"}, "beta": {"gamma"}}
    assert find_cycle(graph) is None

    (root / "gamma" / "selectors.py").write_text("import ketamine_clinic.alpha.models\n")
    assert find_cycle(package_graph(root)) == ["alpha", "beta", "gamma", "alpha"]
