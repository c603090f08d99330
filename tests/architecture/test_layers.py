"""The package's imports point one way: no cycle, no lower layer importing a higher one, and no CDK in
the rule book or the fleet description (so `patch-fleet` checks a file without the jsii runtime)."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import ROOT

PACKAGE = ROOT / "constructs_lib"
# Lowest first: a module may import its own layer or a lower one, never a higher one.
LAYERS = ("_internal", "core", "hooks", "operations", "fleet", "cli")
# Modules that must not reach the CDK, directly or through anything they import.
CDK_FREE = (
    "constructs_lib._internal.constants",
    "constructs_lib._internal.defaults",
    "constructs_lib._internal.options",
    "constructs_lib._internal.paths",
    "constructs_lib._internal.rules",
    "constructs_lib._internal.schedule_expressions",
    "constructs_lib._internal.tokens",
    "constructs_lib._internal.vocabulary",
    "constructs_lib.operations.estimate",
    "constructs_lib.fleet.description",
    "constructs_lib.cli.fleet",
)
CDK_PACKAGES = ("aws_cdk", "constructs", "jsii")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[str]:
    """Every module ``path`` imports (relative imports resolved), at any depth, except TYPE_CHECKING blocks."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    type_checking = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges[name] = {
            target for target in imports_of(path) if target in modules or target.split(".")[0] in CDK_PACKAGES
        }
        edges[name] = {t if t in modules else t.split(".")[0] for t in edges[name]} - {name}
    return edges


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], dict.fromkeys(edges, 0)  # 0 new, 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(edges.get(node, ())):
            if target not in state:
                continue
            if state[target] == 1:
                found.append([*path[path.index(target) :], target])
            elif state[target] == 0:
                visit(target, [*path, target])
        state[node] = 2

    for node in sorted(edges):
        if state[node] == 0:
            visit(node, [node])
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_no_layer_imports_a_higher_one() -> None:
    wrong = [
        f"{source} ({LAYERS[low]}) imports {target} ({LAYERS[high]})"
        for source, targets in graph().items()
        if (low := layer(source)) is not None
        for target in targets
        if (high := layer(target)) is not None and high > low
    ]
    assert wrong == []


@pytest.mark.parametrize("module", CDK_FREE)
def test_the_rule_book_and_the_fleet_description_reach_no_cdk(module: str) -> None:
    edges, reached, todo = graph(), set(), [module]
    while todo:
        current = todo.pop()
        if current not in reached:
            reached.add(current)
            todo.extend(edges.get(current, ()))
    assert sorted(reached & set(CDK_PACKAGES)) == [], f"{module} reaches the CDK"


def test_patch_fleet_loads_no_jsii_runtime() -> None:
    probe = (
        "import sys; from constructs_lib.cli import fleet; "
        "fleet.main(['examples/organization/fleet.yaml', '--after', '2026-12-01T00:00:00+00:00']); "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(CDK_PACKAGES)!r}), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stderr.strip() == "[]"
    assert "## Wave 1 of 2: dev" in result.stdout


def test_the_checker_sees_a_cycle_and_a_layer_breach() -> None:
    edges = {"constructs_lib.core.a": {"constructs_lib.hooks.b"}, "constructs_lib.hooks.b": {"constructs_lib.core.a"}}
    assert cycles(edges) == [["constructs_lib.core.a", "constructs_lib.hooks.b", "constructs_lib.core.a"]]
    assert layer("constructs_lib.hooks.b") > layer("constructs_lib.core.a")  # type: ignore[operator]
