"""The suite's own rule: no test module takes a fixture from another test module. A fixture imported across
modules runs with the importer's other fixtures and breaks when its home module changes; shared fixtures live in
tests/support/ (registered in tests/conftest.py) or are declared where they are used."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _fixtures(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(target) in ("pytest.fixture", "fixture"):
                    names.add(node.name)
    return names


def _fixtures_imported_across_modules() -> list[str]:
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            parts = node.module.split(".")
            if parts[0] != "tests" or not parts[-1].startswith("test_"):
                continue
            source = TESTS.parent.joinpath(*parts).with_suffix(".py")
            shared = {alias.name for alias in node.names} & _fixtures(source)
            found += [
                f"{path.relative_to(TESTS.parent)} imports fixture {name} from {node.module}"
                for name in sorted(shared)
            ]
    return found


def test_no_test_module_takes_a_fixture_from_another():
    assert _fixtures_imported_across_modules() == []
