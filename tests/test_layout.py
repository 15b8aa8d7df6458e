"""The module graph of the project's packages: no import cycle, and the parts
of `transport` import each other only downwards (the map in
`transport/__init__.py`'s docstring)."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("divergences", "transport", "benchmarks")


def _module_name(path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path, name):
    """Project modules imported by the module `name` at `path`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if node.module:  # "from . import x" imports x, not the package
                found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


#: The parts of `transport`, lowest first: a part may import the parts of a
#: lower rank (and `divergences`), never one of the same or a higher rank.
LAYERS = {
    "_core": 0,
    "_line": 1,
    "_simplex": 1,
    "_graphs": 2,
    "_clouds": 2,
    "_dual": 3,
    "_pairs": 3,
    "_samples": 4,
}


def _graph():
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            modules[_module_name(path)] = path
    return {
        name: {dep for dep in _imports(path, name) if dep in modules and dep != name}
        for name, path in modules.items()
    }


def _part(module):
    """The part of `transport` a module belongs to (None outside the parts)."""
    parts = module.split(".")
    if parts[0] != "transport" or len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return parts[1]


def layering_violations(graph):
    """Imports that go against `LAYERS`: (importer, imported) pairs."""
    bad = []
    for name, deps in graph.items():
        if name.startswith("divergences"):
            bad += [(name, dep) for dep in deps if dep.startswith("transport")]
            continue
        here = _part(name)
        for dep in deps:
            there = _part(dep)
            if here is None or there is None or there == here:
                continue
            if LAYERS[there] >= LAYERS[here]:
                bad.append((name, dep))
    return sorted(bad)


def test_parts_import_only_lower_parts():
    graph = _graph()
    parts = {_part(name) for name in graph} - {None}
    assert parts == set(LAYERS), "every folder of transport/ has a rank, every rank a folder"
    loose = sorted(name for name in graph if name.startswith("transport._")
                   and _part(name) is None)
    assert loose == [], f"private modules outside the parts: {loose}"
    assert layering_violations(graph) == []


def test_layering_check_sees_an_upward_import():
    graph = _graph()
    graph["transport._core._metrics"] = graph["transport._core._metrics"] | {
        "transport._clouds._solve"}
    graph["transport._line._circle"] = graph["transport._line._circle"] | {
        "transport._simplex._emd"}
    graph["divergences._align"] = graph["divergences._align"] | {"transport._core._results"}
    assert layering_violations(graph) == [
        ("divergences._align", "transport._core._results"),
        ("transport._core._metrics", "transport._clouds._solve"),
        ("transport._line._circle", "transport._simplex._emd"),
    ]


def test_no_import_cycles():
    graph = _graph()
    assert graph["transport._simplex._emd"], "the import graph was not read"
    state = {}
    cycles = []

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, cycles
