"""Dependencies point one way: exports → rankings → safety → labeler → ranklab, and no module imports
itself back through others. Read from the source (every import, including those inside functions), so a
lazy import cannot hide a cycle."""

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: a package may import from its own layer and the layers below it.
LAYERS = ["ranklab", "labeler", "safety", "privacy", "rankings", "exports", "config"]
TASK_NAME = re.compile(r"\"(\w+\.tasks\.\w+)\"")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in LAYERS
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `path` imports, anywhere in the file."""
    found = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, neighbours = work[-1]
            for neighbour in neighbours:
                if neighbour not in index:
                    index[neighbour] = low[neighbour] = counter[0]
                    counter[0] += 1
                    stack.append(neighbour)
                    on_stack.add(neighbour)
                    work.append((neighbour, iter(sorted(graph[neighbour]))))
                    break
                if neighbour in on_stack:
                    low[node] = min(low[node], index[neighbour])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_package_imports_from_a_layer_above_it():
    upward = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in import_graph().items()
        for imported in imported_modules
        if layer(imported) > layer(module)
    )
    assert upward == []


def test_no_module_imports_itself_through_others():
    assert cycles(import_graph()) == []


def test_the_checks_see_a_cycle_and_an_upward_import():
    graph = {"labeler.a": {"labeler.b"}, "labeler.b": {"labeler.a"}, "labeler.c": {"rankings.d"}, "rankings.d": set()}
    assert cycles(graph) == [["labeler.a", "labeler.b"]]
    assert layer("rankings.d") > layer("labeler.c")


def test_the_graph_holds_the_lazy_and_relative_imports_too(tmp_path):
    graph = import_graph()
    assert "labeler.models" in graph["labeler.queue"]
    assert "rankings.signals" in graph["exports.apps"]  # imported inside ready()


def named_tasks() -> set[str]:
    """Every task the code names as text ("app.tasks.function"): what services hand to `enqueue_after_commit`."""
    return {
        name
        for path in project_modules().values()
        if "tests" not in path.parts
        for name in TASK_NAME.findall(path.read_text())
    }


def test_every_task_a_service_enqueues_by_name_is_a_task_of_its_app():
    from django.conf import settings

    names = named_tasks() | {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert len(names) >= 6
    for name in names:
        module, _, function = name.rpartition(".")
        assert module.endswith(".tasks"), f"{name} is not declared in a tasks module"
        task = getattr(importlib.import_module(module), function)
        assert task.name == name


def test_privacy_and_safety_know_nothing_of_each_other():
    graph = import_graph()
    crossing = sorted(
        f"{module} imports {imported}"
        for module, imported_modules in graph.items()
        for imported in imported_modules
        if {module.split(".")[0], imported.split(".")[0]} == {"privacy", "safety"}
    )
    assert crossing == []
