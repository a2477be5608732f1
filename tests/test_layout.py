"""The package's layout: no import cycle, eager re-exports, the command line kept in analysis.cli."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import analysis

SRC = Path(analysis.__file__).resolve().parent
PACKAGES = ("analysis.networks", "analysis.shifts", "analysis.funding", "analysis.qdpx", "analysis.runner")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in SRC.rglob("*.py")}


def imported_modules(name: str, path: Path) -> set[str]:
    """The package's own modules that ``name`` imports anywhere in its source (functions included).

    ``from analysis.x import y`` depends on ``analysis.x.y`` when that is a module, else on
    ``analysis.x``; relative imports are resolved against the importing module's package.
    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                if full in MODULES:
                    found.add(full)
                elif base in MODULES:
                    found.add(base)
    found.discard(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as the list of modules around it, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_names_the_modules_around_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_package_has_no_import_cycle():
    graph = {name: imported_modules(name, path) for name, path in MODULES.items()}
    assert graph["analysis.networks.change"] >= {"analysis.networks.measures", "analysis.networks.text"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_shows_in_dir_and_helpers_do_not(package):
    module = importlib.import_module(package)
    assert not hasattr(module, "__getattr__"), f"{package} resolves names lazily"
    missing = [n for n in module.__all__ if n not in dir(module)]
    assert not missing, f"{package}.__all__ names missing from dir(): {missing}"
    assert len(module.__all__) == len(set(module.__all__)), f"{package}.__all__ names a name twice"
    assert not {"np", "pd", "nx", "importlib", "plt"} & set(module.__all__)


def test_networks_completes_describe_network_and_compare_phases():
    from analysis import networks

    assert {"describe_network", "compare_phases", "ei_index", "trust_network", "network_map"} <= set(dir(networks))


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("analysis.cli")
                                        and n not in ("analysis.__main__",)))
def test_library_modules_neither_parse_arguments_nor_print(name):
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imports = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    imports |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "argparse" not in imports, f"{name} imports argparse: the command line belongs in analysis.cli"
    prints = [node.lineno for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]
    assert not prints, f"{name} prints on line(s) {prints}: return text and let analysis.cli print it"


def test_every_subcommand_follows_the_cli_convention():
    from analysis.cli import COMMANDS

    for command, (module_name, _) in COMMANDS.items():
        module = importlib.import_module(f"analysis.cli.{module_name}")
        assert callable(module.add_arguments) and callable(module.main), command
