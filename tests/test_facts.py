"""Each fact of facts/ has one home: its literal appears nowhere else in the code (components, stacks, labctl, the
policy pack), so a change of the fact is one edit.

String facts are checked as Python string constants (prose in comments and docstrings may name them): a distinctive
literal anywhere inside a constant, the names of a set (harm categories, quota periods) as whole constants, a set
itself as a literal collection of the same strings. The distinctive literals are also looked for in the data files
(policy XML, ARM and workbook JSON, KQL, YAML), outside their comments. Numbers (log limits, tokens per capacity unit) are too common
to scan: the imports hold them, and the modules that used to restate them import them now (Consumption's capacity 0
is facts/apim_tiers.py's, which preflight reads; the class window's rule is a function, facts/class_window.py).

The resource type tokens live in labctl/type_tokens.py, not facts/: `labctl diff` plans an older revision, which
may have no facts/, with today's planner (labctl/review/revisions.py).
"""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest
import yaml

from facts import apim_logs, capacity, content_filter, openai_api, roles, token_limits
from labctl import type_tokens
from labctl.project import PROJECT_DIR

CODE = ("components", "stacks", "labctl", "policy")

# Literals distinctive enough to find inside any string constant.
STRING_FACTS = {
    "facts.apim_logs.LLM_DIAGNOSTIC_API_VERSION": apim_logs.LLM_DIAGNOSTIC_API_VERSION,
    "facts.openai_api.v1_base_url": f"/{openai_api.API_PATH}/v1",
    **{f"facts.roles.{name}": role.id for name, role in vars(roles).items() if isinstance(role, roles.Role)},
}
# Names that are facts one by one: each may not be a whole string constant elsewhere.
NAME_FACTS = {
    "facts.token_limits.QUOTA_PERIODS": token_limits.QUOTA_PERIODS,
    "facts.content_filter.POLICY_NAMES": content_filter.POLICY_NAMES,
    "facts.content_filter.RESULT_KEYS": content_filter.RESULT_KEYS,
    "facts.content_filter.BUILT_IN_POLICIES": content_filter.BUILT_IN_POLICIES,
    # "Default" alone is a common word; the asynchronous mode's name is not.
    "facts.content_filter.STREAMING_MODES": content_filter.STREAMING_MODES[1:],
    # The dated API's path as code appends it to an endpoint (`endpoint + "/openai"`).
    "facts.openai_api.API_PATH": (f"/{openai_api.API_PATH}",),
}
# Pulumi type tokens, each a whole constant, in their own home.
TYPE_TOKENS_HOME = Path("labctl", "type_tokens.py")
TYPE_TOKENS = {value for name, value in vars(type_tokens).items() if name.isupper()}
# Sets whose members are common words elsewhere ("Standard" is also a tier): the set itself may not be restated.
SET_FACTS = {"facts.capacity.TPM_SKUS": capacity.TPM_SKUS}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


@cache  # every test scans the same files
def _string_constants(path: Path) -> frozenset[str]:
    tree = _tree(path)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return frozenset(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    )


def _string_collections(path: Path) -> list[frozenset[str]]:
    """Every literal tuple, list or set of two or more strings (`{"a", "b"}`, `frozenset({...})`'s argument)."""
    found = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Tuple | ast.List | ast.Set) and len(node.elts) > 1:
            values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(values) == len(node.elts):
                found.append(frozenset(values))
    return found


def _code_files() -> Iterable[Path]:
    for folder in CODE:
        yield from (PROJECT_DIR / folder).rglob("*.py")


# Data the program and the tools read besides Python: policy XML, ARM and workbook JSON, KQL, YAML.
DATA_SUFFIXES = (".xml", ".json", ".kql", ".yaml")
# A literal these files may hold as a value of their own, and why it is not the fact's restatement.
DATA_ALLOWED = {
    # The logger's own resource version (any version with loggers would do), not the diagnostic's LLM-logs one.
    ("components/arm/azuremonitor-logger.json", apim_logs.LLM_DIAGNOSTIC_API_VERSION),
}


@cache
def _data_values(path: Path) -> tuple[str, ...]:
    """The text of a data file without its comments (prose, like a docstring, may name a fact)."""
    return tuple(_uncommented(path))


def _uncommented(path: Path) -> Iterable[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        root = ET.fromstring(text)  # drops <!-- comments -->
        for element in root.iter():
            yield from element.attrib.values()
            yield from (t for t in (element.text, element.tail) if t)
    elif path.suffix == ".json":
        yield from _strings(json.loads(text))
    elif path.suffix == ".yaml":
        yield from _strings(yaml.safe_load(text))
    else:
        yield from (line for line in text.splitlines() if not line.lstrip().startswith("//"))


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _data_files() -> Iterable[Path]:
    for folder in CODE:
        yield from (p for p in (PROJECT_DIR / folder).rglob("*") if p.suffix in DATA_SUFFIXES)


def _where(found: Iterable[Path]) -> list[str]:
    return sorted(str(path.relative_to(PROJECT_DIR)) for path in found)


@pytest.mark.parametrize("fact", sorted(STRING_FACTS))
def test_a_facts_literal_lives_only_in_its_home(fact: str) -> None:
    literal = STRING_FACTS[fact]
    found = _where(p for p in _code_files() if any(literal in text for text in _string_constants(p)))
    assert found == [], f"{literal!r} ({fact}) restated in {found}: import it from facts/"


def test_the_scans_read_every_folder():
    # A scan that reads nothing passes everything.
    for found in (_code_files(), _data_files()):
        assert {p.relative_to(PROJECT_DIR).parts[0] for p in found} >= {"components", "stacks", "labctl"}


@pytest.mark.parametrize("fact", sorted(STRING_FACTS))
def test_a_facts_literal_is_not_restated_in_data_files(fact: str) -> None:
    literal = STRING_FACTS[fact]
    found = sorted(
        where
        for path in _data_files()
        if (where := str(path.relative_to(PROJECT_DIR).as_posix()), literal) not in DATA_ALLOWED
        and any(literal in text for text in _data_values(path))
    )
    assert found == [], f"{literal!r} ({fact}) restated in {found}: fill it in from facts/"


def test_the_data_scan_skips_comments_but_not_values(tmp_path: Path) -> None:
    version = apim_logs.LLM_DIAGNOSTIC_API_VERSION
    prose = tmp_path / "prose.xml"
    prose.write_text(f'<!-- needs {version} --><a x="1" />', encoding="utf-8")
    value = tmp_path / "value.xml"
    value.write_text(f'<a api-version="{version}" />', encoding="utf-8")
    template = tmp_path / "template.json"
    template.write_text(json.dumps({"resources": [{"apiVersion": version}]}), encoding="utf-8")
    assert not any(version in t for t in _data_values(prose))
    assert any(version in t for t in _data_values(value)) and any(
        version in t for t in _data_values(template)
    )


@pytest.mark.parametrize("fact", sorted(NAME_FACTS))
def test_a_facts_names_live_only_in_its_home(fact: str) -> None:
    names = set(NAME_FACTS[fact])
    found = {name: path for path in _code_files() for name in _string_constants(path) & names}
    assert _where(found.values()) == [], f"{sorted(found)} ({fact}) restated: import them from facts/"


@pytest.mark.parametrize("fact", sorted(SET_FACTS))
def test_a_facts_set_lives_only_in_its_home(fact: str) -> None:
    members = frozenset(SET_FACTS[fact])
    found = _where(p for p in _code_files() if members in _string_collections(p))
    assert found == [], f"{sorted(members)} ({fact}) restated in {found}: import it from facts/"


def test_a_type_token_lives_only_in_labctl_type_tokens() -> None:
    assert len(TYPE_TOKENS) > 20  # every resource type the lab declares
    found = {
        token: path.relative_to(PROJECT_DIR)
        for path in _code_files()
        if path.relative_to(PROJECT_DIR) != TYPE_TOKENS_HOME
        for token in _string_constants(path) & TYPE_TOKENS
    }
    assert found == {}, "restated type tokens: import them from labctl/type_tokens.py"


def test_the_scan_finds_a_restated_fact_but_not_prose(tmp_path: Path) -> None:
    version = apim_logs.LLM_DIAGNOSTIC_API_VERSION
    prose = tmp_path / "prose.py"
    prose.write_text(f'"""Needs API version {version} or later."""\n# {version}\nX = 1\n', encoding="utf-8")
    restated = tmp_path / "restated.py"
    restated.write_text(f'"""A module."""\nMESSAGE = f"at {version} or later: {{1}}"\n', encoding="utf-8")
    assert not any(version in text for text in _string_constants(prose))
    assert any(version in text for text in _string_constants(restated))


def test_the_scan_finds_a_restated_set_in_any_order(tmp_path: Path) -> None:
    restated = tmp_path / "restated.py"
    restated.write_text(
        'SKUS = frozenset({"DataZoneStandard", "Standard", "GlobalStandard"})\n', encoding="utf-8"
    )
    wider = tmp_path / "wider.py"
    wider.write_text(
        'SKUS = ("DataZoneStandard", "Standard", "GlobalStandard", "GlobalBatch")\n', encoding="utf-8"
    )
    assert frozenset(capacity.TPM_SKUS) in _string_collections(restated)
    assert frozenset(capacity.TPM_SKUS) not in _string_collections(wider)
