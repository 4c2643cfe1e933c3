"""The stack file's two parsers: libyaml reads a file that is right, the pure-Python loader explains one that is
not. Both must read the same file to the same data and the same positions, or a message would point elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from labctl.project import PROJECT_DIR
from labctl.stackfile import StackFileError, safe_yaml

STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi*.yaml")) + sorted(
    (PROJECT_DIR / "tests" / "data").glob("Pulumi*.yaml")
)


def _positions(node: Node) -> list[tuple[str, int, int]]:
    out = [(node.tag, node.start_mark.line, node.start_mark.column)]
    if isinstance(node, SequenceNode):
        for child in node.value:
            out += _positions(child)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            out += _positions(key) + _positions(value)
    return out


def test_libyaml_is_there_so_a_big_class_is_read_fast() -> None:
    assert safe_yaml._FAST_LOADER is yaml.CSafeLoader  # the locked PyYAML wheel is built with libyaml


@pytest.mark.parametrize("path", STACK_FILES, ids=lambda p: p.name)
def test_both_parsers_read_a_stack_file_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast_data, fast_node = safe_yaml._parse(text, path, yaml.CSafeLoader)
    slow_data, slow_node = safe_yaml._parse(text, path, safe_yaml._Loader)
    assert fast_data == slow_data and fast_data
    assert fast_node is not None and slow_node is not None
    assert _positions(fast_node) == _positions(slow_node)


def test_a_broken_file_is_explained_in_the_pure_python_parsers_words(tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    text = "config:\n  aoai-lab:location: swedencentral\n\tx: 1\n"
    with pytest.raises(StackFileError) as fast:
        safe_yaml.load(text, path)
    with pytest.raises(StackFileError) as slow:
        safe_yaml._parse(text, path, safe_yaml._Loader)
    assert str(fast.value) == str(slow.value) and "tab" in str(fast.value)
