"""Each fact of facts/ has one home: its literal appears nowhere else in the code (components, stacks, labctl, the
policy pack), so a change of the fact is one edit. String facts are checked as Python string constants (prose in
comments and docstrings may name them); numbers are too common to scan and are held by the imports instead."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from facts import apim_logs
from labctl.project import PROJECT_DIR

# Facts whose literal is distinctive enough to find anywhere.
STRING_FACTS = {"facts.apim_logs.LLM_DIAGNOSTIC_API_VERSION": apim_logs.LLM_DIAGNOSTIC_API_VERSION}
CODE = ("components", "stacks", "labctl", "policy")


def _string_constants(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


@pytest.mark.parametrize("fact", sorted(STRING_FACTS))
def test_a_facts_literal_lives_only_in_its_home(fact: str) -> None:
    literal = STRING_FACTS[fact]
    found = sorted(
        str(path.relative_to(PROJECT_DIR))
        for folder in CODE
        for path in (PROJECT_DIR / folder).rglob("*.py")
        if any(literal in text for text in _string_constants(path))
    )
    assert found == [], f"{literal!r} ({fact}) restated in {found}: import it from facts/"


def test_the_scan_finds_a_restated_fact_but_not_prose(tmp_path: Path) -> None:
    version = apim_logs.LLM_DIAGNOSTIC_API_VERSION
    prose = tmp_path / "prose.py"
    prose.write_text(f'"""Needs API version {version} or later."""\n# {version}\nX = 1\n', encoding="utf-8")
    restated = tmp_path / "restated.py"
    restated.write_text(f'"""A module."""\nMESSAGE = f"at {version} or later: {{1}}"\n', encoding="utf-8")
    assert not any(version in text for text in _string_constants(prose))
    assert any(version in text for text in _string_constants(restated))
