"""The indicators modules import one way: leaves (vocabulary, parsing) under the models, the
models under everything else, and no module-level cycle anywhere."""

import ast
from pathlib import Path

import indicators

ROOT = Path(indicators.__file__).parent
LEAVES = {"indicators.vocabulary", "indicators.parsing", "indicators.statcan.members",
          "indicators.statcan.wds"}


def _modules():
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text())


def _imports(tree):
    """Return (module-level imports, imports inside functions) of indicators modules."""
    top, inner = set(), set()

    def visit(node, nested):
        for child in ast.iter_child_nodes(node):
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and (child.module or "").startswith(
                    "indicators"):
                names = {child.module}
                if child.module == "indicators":
                    names = {f"indicators.{alias.name}" for alias in child.names}
                (inner if nested else top).update(names)
            visit(child, nested or is_function)

    visit(tree, False)
    return top, inner


GRAPH = {name: _imports(tree) for name, tree in _modules()}


def test_models_import_only_the_leaves():
    top, inner = GRAPH["indicators.models"]
    assert top | inner <= LEAVES


def test_leaves_import_nothing_above_them():
    for name in LEAVES:
        top, inner = GRAPH[name]
        assert top | inner <= {"indicators.vocabulary"}, name


def test_imports_inside_functions_only_reach_the_tasks():
    # Queueing a task from a service is the one way up (the tasks module calls the services).
    for name, (_top, inner) in GRAPH.items():
        assert inner <= {"indicators.tasks"}, (name, inner)


def test_there_is_no_import_cycle():
    def walk(name, path):
        assert name not in path, " -> ".join([*path, name])
        for target in GRAPH.get(name, (set(), set()))[0]:
            if target in GRAPH:
                walk(target, [*path, name])

    for name in GRAPH:
        walk(name, [])
