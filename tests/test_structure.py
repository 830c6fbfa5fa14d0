"""The code's structure, read from its own source (nothing is imported): the
layers keep their direction, no modules import each other in a circle (an
import inside a function counts: it ties the two files all the same), an
import inside a function says on its line why it cannot sit at the top, and a
module stays small enough to read. The cases are generated from the files of
the tree, so a new module is checked the day it is written."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("admin_app", "models", "views", "seeds")
MAX_LINES = 400

# Modules allowed past MAX_LINES because they are declarations (data, not logic).
DECLARATIONS = {
    "seeds.demo": "the demo data set: one literal per record",
}

# Issue 20 in progress: what still waits to be moved. Empty when it is done.
STILL_IN_A_CIRCLE: set[str] = set()
STILL_LONG: set[str] = set()
STILL_LAZY: set[str] = set()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}


def _targets(module: str, node) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = module.split(".")
            if MODULES[module].name != "__init__.py":
                here = here[:-1]
            here = here[: len(here) - (node.level - 1)]
            base = ".".join([*here, base] if base else here)
        names = [f"{base}.{alias.name}" for alias in node.names] + [base]
    found = []
    for name in names:
        while name and name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            found.append(name)
    return found


def _imports(module: str, outside_too: bool = False):
    """(target, line, at_top) for every import of a module of the tree (of any
    module with ``outside_too``: the target is then None for one outside it)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = set()
    for node in tree.body:  # an import under a top-level if/try is at the top all the same
        for inner in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else (node,):
            top.add(id(inner))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = _targets(module, node)
            if not targets and outside_too:
                targets = [None]
            for target in targets:
                yield target, node.lineno, id(node) in top


GRAPH = {module: {target for target, _, _ in _imports(module)} for module in MODULES}


def circles() -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


CIRCLES = circles()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_in_no_import_circle(module):
    circle = next((c for c in CIRCLES if module in c), None)
    if module in STILL_IN_A_CIRCLE:
        assert circle, f"{module} is in no circle any more: take it off STILL_IN_A_CIRCLE"
        return
    assert circle is None, f"{module} imports itself through {sorted(circle)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_an_import_inside_a_function_says_why(module):
    lines = MODULES[module].read_text(encoding="utf-8").splitlines()
    unexplained = [number for _, number, at_top in _imports(module, outside_too=True)
                   if not at_top and "#" not in lines[number - 1]]
    if module in STILL_LAZY:
        assert unexplained, f"{module} has no unexplained late import: take it off STILL_LAZY"
        return
    assert not unexplained, f"{module}: imports inside functions at lines {unexplained} say no reason"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small_enough_to_read(module):
    count = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    if module in DECLARATIONS:
        return
    if module in STILL_LONG:
        assert count > MAX_LINES, f"{module} is {count} lines now: take it off STILL_LONG"
        return
    assert count <= MAX_LINES, f"{module} is {count} lines (at most {MAX_LINES})"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith(("models", "seeds"))))
def test_the_domain_imports_no_web_layer(module):
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and not node.level}
    assert not names & {"flask", "flask_admin", "flask_login", "flask_wtf", "views", "admin_app"}, module


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "models.loading"))
def test_records_with_their_references_are_built_in_one_place(module):
    """``select_related()`` builds each record through mongoengine's descriptors (an export
    of 5,000 archives spent two seconds there): ``models.loading.related`` builds the same."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "select_related"]
    assert not calls, f"{module}: select_related() at lines {calls}; use models.loading.related"
