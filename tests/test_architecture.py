"""The shape of the tree, read from the source: no import cycle, the layering holds, statuses are named once.

Imports are read with `ast` from every module, function-level (lazy) imports included, so a cycle hidden
behind an import inside a function counts as much as one at the top of a file.
"""

from __future__ import annotations

import ast
from pathlib import Path

from models.lifecycle import Status

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "transcribe", "voice", "web")
LAYER = {package: rank for rank, package in enumerate(PACKAGES)}
"""models <- transcribe <- voice <- web: a package may import only packages to its left (lower rank)."""


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of ours that `name` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            # `from models import analytics` imports the module models.analytics
            targets.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return {_own(t) for t in targets if _own(t)}


def _own(target: str) -> str | None:
    """The module of ours a dotted import target names (its nearest existing parent), None for third-party ones."""
    parts = target.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


GRAPH = {name: _imports(name, path) - {name} for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_walker_sees_lazy_imports():
    """A function-level import is an edge like any other (models.backup imports models.all inside a function)."""
    assert "models.all" in GRAPH["models.backup"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle():
    """No two modules of ours import each other, directly or through others, at module or function level."""
    # Package __init__ modules are left out: `import models.x` runs models/__init__ first by necessity.
    graph = {n: {t for t in ts if t not in PACKAGES} for n, ts in GRAPH.items() if n not in PACKAGES}
    assert _cycles(graph) == []


def test_layering():
    """models <- transcribe <- voice <- web: every import points to the same package or one to its left."""
    wrong = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if LAYER[target.split(".")[0]] > LAYER[name.split(".")[0]]
    ]
    assert wrong == []


# -- statuses are named once ---------------------------------------------------------------------

STATUS_HOME = ROOT / "models" / "status.py"
"""The one module that writes complaint statuses as strings (models.lifecycle imports them from there)."""
NOT_A_STATUS = {
    ("models/radio.py", "selesai"): "a radio show's Indonesian label (finished), not a complaint status",
    ("web/dashboard.py", "ditindaklanjuti"): "a CSV column: complaints ever answered, whatever their status now",
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (of a module, class or function, or an attribute's)."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                    found.add(id(stmt.value))
    return found


def status_literals(paths: list[Path]) -> list[str]:
    """`file:line 'value'` for every string constant that is a complaint status, docstrings left out."""
    statuses = {status.value for status in Status}
    found = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = _docstrings(tree)
        rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in statuses
                    and id(node) not in skip and (rel, node.value) not in NOT_A_STATUS):
                found.append(f"{rel}:{node.lineno} {node.value!r}")
    return found


def test_the_scanner_finds_status_literals(tmp_path):
    source = tmp_path / "x.py"
    source.write_text('"""tunda: a docstring may say it."""\nOPEN = ("terverifikasi", "tunda")\nx = s == "selesai"\n')
    assert status_literals([source]) == ["x.py:2 'terverifikasi'", "x.py:2 'tunda'", "x.py:3 'selesai'"]


def test_no_status_string_outside_its_module():
    """Every rule about statuses reads `Status` and its sets; a status written as a string anywhere else is a
    second definition waiting to disagree (the console's "Masih berjalan" once left out tunda)."""
    paths = [p for p in MODULES.values() if p != STATUS_HOME] + sorted((ROOT / "scripts").glob("*.py"))
    assert status_literals(paths) == []


# -- writes only the lifecycle makes -------------------------------------------------------------

LIFECYCLE = ROOT / "models" / "lifecycle.py"


def _writes(path: Path) -> list[str]:
    """Assignments to `.lapor_tracking_id` and constructions of `StatusChange(...)` in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        found += [f"{path.name}:{node.lineno} .lapor_tracking_id =" for t in targets
                  if isinstance(t, ast.Attribute) and t.attr == "lapor_tracking_id"]
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "StatusChange":
            found.append(f"{path.name}:{node.lineno} StatusChange(...)")
    return found


def test_status_changes_and_lapor_numbers_are_written_only_by_the_lifecycle():
    """Every status change gets its StatusChange and audit entry, every LAPOR! number its check and audit entry,
    because nothing but models/lifecycle.py writes either."""
    assert [w for p in MODULES.values() if p != LIFECYCLE for w in _writes(p)] == []
    assert _writes(LIFECYCLE)  # the scan sees them where they are


# -- no dead code where the review found it --------------------------------------------------------

SWEPT = ("models/errors.py", "models/search.py", "models/satisfaction.py", "models/analytics.py", "web/handover.py")
"""Modules the whole-tree review found dead code in; they stay clean."""


def _defined(tree: ast.Module) -> dict[str, int]:
    """Top-level functions, classes and constants a module defines (views, with their decorators, left out)."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.decorator_list:
            names[node.name] = node.lineno
        elif isinstance(node, ast.Assign):
            names.update({t.id: node.lineno for t in node.targets if isinstance(t, ast.Name) and t.id != "__all__"})
    return names


def _used_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}


def test_no_unused_definitions_in_the_swept_modules():
    sources = [*MODULES.values(), *sorted((ROOT / "scripts").glob("*.py")), *sorted((ROOT / "tests").glob("*.py")),
               *sorted((ROOT / "migrations").rglob("*.py"))]
    used: set[str] = set().union(*(_used_names(p) for p in sources))
    templates = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "web" / "templates").rglob("*.html"))
    dead = [
        f"{rel}:{line} {name}"
        for rel in SWEPT
        for name, line in _defined(ast.parse((ROOT / rel).read_text(encoding="utf-8"))).items()
        if name not in used and name not in templates and not name.startswith("__")
    ]
    assert dead == []
