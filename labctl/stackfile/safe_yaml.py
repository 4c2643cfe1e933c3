"""YAML with limits: the event stream is checked first (no recursion, no expansion), then the node graph (aliases
counted, not expanded; duplicate keys), then plain data is built the way the Pulumi CLI's decoder sees it."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from labctl.stackfile.problems import (
    Encrypted,
    Problem,
    StackFileError,
    event_mark,
    kind,
    mark,
    syntax_problem,
)

# Limits far above any real lab file (a 100-participant stack file is ~7 KB, ~700 nodes, depth 4), low enough
# that the pure-Python parser answers within a fraction of a second on the worst input that fits.
MAX_FILE_BYTES = 128 * 1024
MAX_DEPTH = 20
MAX_ALIASES = 100
# Nodes after expanding every alias, counted on the node graph without expanding it.
MAX_EXPANDED_NODES = 50_000

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)


class _Loader(yaml.SafeLoader):
    """The pure-Python loader: its marks are exact, and its parser keeps a state stack rather than recursing."""


# libyaml, where PyYAML was built with it: about ten times faster, which is most of a big class's plan time spent
# reading its stack file. It reads a file that is right; any problem is worked out again with the pure-Python
# loader, whose marks and words the messages are made of.
_FAST_LOADER: type | None = getattr(yaml, "CSafeLoader", None)


def load(data: bytes | str, path: Path) -> tuple[Any, Node | None]:
    """(plain data, node graph) of a YAML file, or StackFileError naming every problem it finds first.

    A command reads Pulumi.yaml and its stack file several times: the parse is kept per (text, path), the data copied for each caller (so a caller that changes
    it never changes the next one's). Nothing is kept for a file that fails: its error is raised again."""
    root, node = _parsed(_decode(data, path), path)
    return copy.deepcopy(root), node


@functools.lru_cache(maxsize=16)
def _parsed(text: str, path: Path) -> tuple[Any, Node | None]:
    if _FAST_LOADER is not None:
        try:
            return _parse(text, path, _FAST_LOADER)
        except Exception:
            pass
    return _parse(text, path, _Loader)


def _parse(text: str, path: Path, loader: type) -> tuple[Any, Node | None]:
    _check_events(text, path, loader)
    try:
        node = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise StackFileError(path, [syntax_problem(exc, text)]) from None
    if node is None:
        return None, None
    _check_expansion(node, path)
    _check_duplicates(node, path)
    return construct(node, path), node


def _decode(data: bytes | str, path: Path) -> str:
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > MAX_FILE_BYTES:
        raise StackFileError(
            path,
            [
                Problem(
                    None,
                    None,
                    f"is {size:,} bytes; a stack file above {MAX_FILE_BYTES // 1024} KiB is not a lab's config",
                    "check it is the right file; keep large data (rosters) out of the stack file",
                )
            ],
        )
    if isinstance(data, str):
        return data
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise StackFileError(
            path, [Problem(line, column, "is not UTF-8 text", "save the file as UTF-8 (without this byte)")]
        ) from None
    return text


def _check_events(text: str, path: Path, loader: type) -> None:
    """Depth and alias count from the parser's event stream: nothing is built yet, so a bomb costs nothing."""
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    _refuse_at(
                        event,
                        path,
                        f"values are nested more than {MAX_DEPTH} levels deep",
                        "a lab's config is at most a list of mappings: flatten this value",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    _refuse_at(
                        event,
                        path,
                        f"more than {MAX_ALIASES} aliases (`*name`)",
                        "write the values out instead of referring to anchors",
                    )
    except yaml.YAMLError as exc:
        raise StackFileError(path, [syntax_problem(exc, text)]) from None


def _refuse_at(event: yaml.Event, path: Path, problem: str, fix: str) -> NoReturn:
    line, column = event_mark(event)
    raise StackFileError(path, [Problem(line, column, problem, fix)])


def _check_expansion(root: Node, path: Path) -> None:
    """Count the nodes the document would have with every alias expanded, memoised per node (linear in the
    graph), and refuse self-referencing anchors, which have no finite expansion."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            line, column = mark(node)
            raise StackFileError(
                path,
                [
                    Problem(
                        line, column, "an anchor refers to itself", "remove the alias inside its own anchor"
                    )
                ],
            )
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = total
        if total > MAX_EXPANDED_NODES:
            line, column = mark(node)
            raise StackFileError(
                path,
                [
                    Problem(
                        line,
                        column,
                        f"aliases here expand to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?)",
                        "write the values out instead of nesting aliases",
                    )
                ],
            )
        return total

    size(root)


def _check_duplicates(root: Node, path: Path) -> None:
    problems: list[Problem] = []
    seen_nodes: set[int] = set()

    def visit(node: Node) -> None:
        if id(node) in seen_nodes:  # an alias: already checked where its anchor is
            return
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, Node] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE:
                    name = str(key_node.value)
                    if name in first:
                        line, column = mark(key_node)
                        problems.append(
                            Problem(
                                line,
                                column,
                                f"key '{name}' appears twice: line {mark(first[name])[0]} and line {line}",
                                "keep one of them (YAML keys are unique; otherwise the last one would win silently)",
                            )
                        )
                    else:
                        first[name] = key_node
                visit(key_node)
                visit(value_node)
        elif isinstance(node, SequenceNode):
            for child in node.value:
                visit(child)

    visit(root)
    if problems:
        raise StackFileError(path, problems)


def items(node: MappingNode, path: Path) -> Iterator[tuple[ScalarNode, Node]]:
    """A mapping's entries with `<<` merges applied (explicit keys win, as YAML says)."""
    explicit: list[tuple[ScalarNode, Node]] = []
    merged: list[tuple[ScalarNode, Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    line, column = mark(source)
                    raise StackFileError(
                        path,
                        [Problem(line, column, "`<<:` merges only mappings", "merge an anchored mapping")],
                    )
                merged.extend(items(source, path))
        elif isinstance(key_node, ScalarNode):
            explicit.append((key_node, value_node))
        else:
            line, column = mark(key_node)
            raise StackFileError(
                path, [Problem(line, column, f"a {kind(key_node)} used as a key", "use a plain text key")]
            )
    names = {str(k.value) for k, _ in explicit}
    seen: set[str] = set()
    for key_node, value_node in merged:
        name = str(key_node.value)
        if name not in names and name not in seen:
            seen.add(name)
            yield key_node, value_node
    yield from explicit


_SCALARS = yaml.constructor.SafeConstructor()


def construct(node: Node, path: Path) -> Any:
    """Plain data the way the CLI's decoder sees a structured value: YAML 1.2 booleans only (`yes` stays text),
    dates as text, `{secure: <text>}` as Encrypted."""
    if node.tag not in _PLAIN_TAGS:
        line, column = mark(node)
        raise StackFileError(
            path,
            [
                Problem(
                    line,
                    column,
                    f"the YAML tag '{node.tag}' has no meaning in a stack file",
                    "remove the tag",
                )
            ],
        )
    if isinstance(node, ScalarNode):
        if node.tag in (_TIMESTAMP, _STR) or (
            node.tag == _BOOL and node.value.lower() not in ("true", "false")
        ):
            return str(node.value)
        try:
            value = _SCALARS.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            line, column = mark(node)
            raise StackFileError(
                path,
                [
                    Problem(
                        line, column, f"cannot read this value ({getattr(exc, 'problem', exc)})", "quote it"
                    )
                ],
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            line, column = mark(node)
            raise StackFileError(
                path,
                [
                    Problem(
                        line,
                        column,
                        f"'{node.value}' is not a number Pulumi can pass on",
                        "use a finite number",
                    )
                ],
            )
        if not isinstance(value, str | int | float | bool | type(None)):
            line, column = mark(node)
            raise StackFileError(
                path,
                [Problem(line, column, f"unsupported value type {node.tag}", "use plain text or a number")],
            )
        return value
    if isinstance(node, SequenceNode):
        return [construct(child, path) for child in node.value]
    if isinstance(node, MappingNode):
        out = {str(k.value): construct(v, path) for k, v in items(node, path)}
        secure = out.get("secure")
        if len(out) == 1 and isinstance(secure, str):
            return Encrypted(secure)
        return out
    raise StackFileError(path, [Problem(*mark(node), "unsupported YAML node", "use plain YAML")])
