"""The package's import graph, from its source (``ast``): no module may take part in an import cycle.

Usage: ``python tools/import_graph.py [--show]``. Every import counts, at the top of a module or inside a
function (a lazy import is still a dependency), except those under ``if TYPE_CHECKING:``, which only the type
checker follows. Besides cycles, the layering rules below are checked. Exit code 1 and what breaks them when
something does; with ``--show``, every module's imports.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "hokusai_acceptance"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports at run time."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return {m for m in found if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    sys.setrecursionlimit(10000)
    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found


STACK = f"{PACKAGE}.stack"
DIAGNOSIS = f"{PACKAGE}.diagnosis"
#: what any part may use: errors, paths, ports and redaction carry no knowledge of the product
PLUMBING = {f"{PACKAGE}.{name}" for name in ("errors", "paths", "ports", "redaction")}
#: the only modules that start the reference stack (and so import it)
STARTERS = {f"{PACKAGE}.{name}" for name in ("behave_support", "field_checks", "perf.bench", "perf.generators")}
#: what the diagnosis must never read: the run, the world, the steps' capabilities, the stack, the reports' adapters
NOT_FOR_THE_DIAGNOSIS = (
    f"{PACKAGE}.run",
    f"{PACKAGE}.world",
    f"{PACKAGE}.capabilities",
    f"{PACKAGE}.behave_support",
    STACK,
    f"{PACKAGE}.allure_results",
    f"{PACKAGE}.verdict",
)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layering(edges: dict[str, set[str]]) -> list[str]:
    """Imports that break a layering rule, each as a sentence."""
    broken = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if _under(source, STACK) and not (_under(target, STACK) or target in PLUMBING):
                broken.append(f"{source} imports {target}: the reference stack uses only itself and the plumbing")
            if not _under(source, STACK) and _under(target, STACK) and source not in STARTERS:
                broken.append(f"{source} imports {target}: only what starts the reference stack imports it")
            if _under(source, DIAGNOSIS) and any(_under(target, p) for p in NOT_FOR_THE_DIAGNOSIS):
                broken.append(f"{source} imports {target}: the diagnosis reads evidence only")
    return broken


def main(argv: list[str]) -> int:
    edges = graph()
    if "--show" in argv:
        for module, targets in sorted(edges.items()):
            print(f"{module} -> {', '.join(sorted(targets)) or '(nothing of the package)'}")
    found = cycles(edges)
    broken = layering(edges)
    count = sum(len(t) for t in edges.values())
    for component in found:
        print("import cycle: " + " <-> ".join(component), file=sys.stderr)
    for sentence in broken:
        print("layering: " + sentence, file=sys.stderr)
    if found or broken:
        return 1
    print(f"import graph: {len(edges)} modules, {count} imports, no cycle, layering kept")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
