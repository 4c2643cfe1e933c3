"""Reading `Pulumi.<stack>.yaml` as the Pulumi CLI does, with a precise answer for every broken file.

The Pulumi CLI (sdk/go/common/resource/config/value.go, `unmarshalValue`) turns each `config:` entry into either
the scalar's own text (a top-level `capacity: 010` reaches the program as "010", `owner:` as "") or, for a list or
mapping, JSON of the decoded YAML; a mapping that is exactly `{secure: <text>}` is a secret. Keys are
`<namespace>:<name>` (config/key.go `ParseKey`; `<namespace>:config:<name>` is the old spelling of the same key).
This module gives offline tools the same data, and refuses what would mislead them, each problem with its file,
line, column and fix:

- YAML syntax (tabs, bad indentation, unclosed quotes), a top level or `config:` that is not a mapping;
- size, nesting depth and aliases are checked on the event stream and the composed node graph *before* anything
  is expanded: an alias bomb ("billion laughs") is refused in milliseconds instead of eating memory;
- duplicate keys (YAML says keys are unique; the CLI's decoder refuses them too), with both line numbers;
- keys whose namespace is a near miss of the project's or a provider's (`aoai_lab:gatewayTier`), which the
  program would silently ignore.

`secure:` values become `Encrypted` markers: offline commands never decrypt, so they validate everything else and
say which checks they skipped.

This module lives in labctl/ and imports nothing from stacks/: `labctl diff` plans older revisions with today's
labctl and that revision's stacks/.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Limits far above any real lab file (a 100-participant stack file is ~7 KB, ~700 nodes, depth 4), low enough
# that the pure-Python parser answers within a fraction of a second on the worst input that fits.
MAX_FILE_BYTES = 128 * 1024
MAX_DEPTH = 20
MAX_ALIASES = 100
# Nodes after expanding every alias, counted on the node graph without expanding it.
MAX_EXPANDED_NODES = 50_000

SECRET_PLACEHOLDER = "[secret]"
# Namespaces a key of this project may use besides the project's own; a near miss of one of them is a typo.
PROVIDER_NAMESPACES = ("azure-native", "pulumi", "random")
# The classic Azure provider's keys look right but configure nothing in an azure-native program.
FOREIGN_NAMESPACES = {"azure": "azure-native"}
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based
    column: int | None  # 1-based
    message: str
    fix: str

    def render(self, name: str) -> str:
        where = name if self.line is None else f"{name}, line {self.line}, column {self.column}"
        return f"{where}: {self.message}. Fix: {self.fix}"


class StackFileError(Exception):
    """The stack file cannot be used; every problem found, each with file, line, column and the fix."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p.render(path.name)}" for p in problems)
        super().__init__(
            f"{path.name} cannot be used ({len(problems)} problem(s)); nothing was run:\n{lines}"
        )


@dataclass(frozen=True)
class Encrypted:
    """A `secure:` value: ciphertext only the stack's secrets provider opens. Offline tools never decrypt it."""

    ciphertext: str = field(repr=False)

    def __str__(self) -> str:
        return SECRET_PLACEHOLDER


@dataclass(frozen=True)
class StackConfig:
    """A stack file's `config:`, keyed `<namespace>:<name>`, values as the program would see them (scalars as
    text, lists and mappings as data) with `Encrypted` where the file holds ciphertext."""

    path: Path
    project: str
    values: dict[str, Any]
    # Key paths of encrypted values, e.g. "aoai-lab:owner", "aoai-lab:participants[1].email".
    secrets: tuple[str, ...] = ()
    # Key path -> (line, column) of its value, for messages about valid YAML with invalid content.
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    # The other top-level entries (secretsprovider, encryptedkey, environment, ...).
    settings: dict[str, Any] = field(default_factory=dict)

    def namespace(self, namespace: str) -> dict[str, Any]:
        """Keys of one namespace, without the prefix (what `pulumi.Config(namespace)` reads)."""
        prefix = f"{namespace}:"
        return {k.removeprefix(prefix): v for k, v in self.values.items() if k.startswith(prefix)}

    def secret_keys(self) -> list[str]:
        """Top-level keys holding any encrypted value (what the CLI marks secret for the program)."""
        return list(dict.fromkeys(re.split(r"[.\[]", path, maxsplit=1)[0] for path in self.secrets))

    def flat(self) -> dict[str, str]:
        """The config as the CLI hands it to the program: strings, structures as JSON; encrypted values as
        SECRET_PLACEHOLDER (the plaintext exists only where the secrets provider is)."""
        return {key: _flat_value(value) for key, value in self.values.items()}

    def where(self, key_path: str) -> str:
        """`Pulumi.dev.yaml, line 7, column 20` for a key path (its nearest known parent), else the file name."""
        path = key_path
        while path:
            if path in self.positions:
                line, column = self.positions[path]
                return f"{self.path.name}, line {line}, column {column}"
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
        return self.path.name


def _flat_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Encrypted):
        return SECRET_PLACEHOLDER
    return json.dumps(value, default=lambda v: SECRET_PLACEHOLDER if isinstance(v, Encrypted) else str(v))


def plain(value: Any) -> Any:
    """`value` with every Encrypted marker replaced by SECRET_PLACEHOLDER (for JSON, or code that wants text)."""
    if isinstance(value, Encrypted):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------------------
# Reading


def read_stack_file(path: Path, *, project: str) -> StackConfig:
    """Read and check `path` (a Pulumi.<stack>.yaml); raise StackFileError naming every problem, or
    FileNotFoundError when it is not there."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise StackFileError(
            path, [Problem(None, None, "is a folder, not a file", "remove or rename it")]
        ) from None
    return parse_stack_text(data, path=path, project=project)


def read_project_name(project_dir: Path) -> str:
    """`name:` from Pulumi.yaml, checked like a stack file."""
    path = project_dir / "Pulumi.yaml"
    if not path.exists():
        raise StackFileError(
            path,
            [
                Problem(
                    None,
                    None,
                    f"not found in {project_dir}",
                    "run labctl in the project folder or pass --project-dir",
                )
            ],
        )
    root, _ = _load(path.read_bytes(), path)
    name = root.get("name") if isinstance(root, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise StackFileError(
            path, [Problem(1, 1, "has no project `name:`", "add `name: aoai-lab` at the top")]
        )
    return name.strip()


def parse_stack_text(data: bytes | str, *, path: Path, project: str) -> StackConfig:
    root, root_node = _load(data, path)
    problems: list[Problem] = []
    if root is None:
        return StackConfig(path=path, project=project, values={})
    if not isinstance(root, dict):
        line, column = _mark(root_node)
        raise StackFileError(
            path,
            [
                Problem(
                    line,
                    column,
                    f"the top level is a {_kind(root_node)}, not a mapping",
                    "start the file with `config:` and put each setting under it, indented, as `aoai-lab:<key>: <value>`",
                )
            ],
        )
    assert isinstance(root_node, MappingNode)
    config_node: Node | None = None
    settings: dict[str, Any] = {}
    for key_node, value_node in root_node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key == "config":
            config_node = value_node
        elif isinstance(key, str):
            settings[key] = _construct(value_node, path)
            if key not in STACK_FILE_KEYS:
                hint = difflib.get_close_matches(key.lower(), STACK_FILE_KEYS, n=1, cutoff=0.75)
                if hint:
                    line, column = _mark(key_node)
                    problems.append(
                        Problem(line, column, f"unknown top-level key '{key}'", f"did you mean '{hint[0]}:'?")
                    )
    if config_node is None or (
        isinstance(config_node, ScalarNode) and config_node.tag == "tag:yaml.org,2002:null"
    ):
        if problems:
            raise StackFileError(path, problems)
        return StackConfig(path=path, project=project, values={}, settings=settings)
    if not isinstance(config_node, MappingNode):
        line, column = _mark(config_node)
        problems.append(
            Problem(
                line,
                column,
                f"`config:` is a {_kind(config_node)}, not a mapping",
                "write each setting under `config:` as `aoai-lab:<key>: <value>` (no leading `- `)",
            )
        )
        raise StackFileError(path, problems)

    values: dict[str, Any] = {}
    secrets: list[str] = []
    positions: dict[str, tuple[int, int]] = {}
    for key_node, value_node in _items(config_node, path):
        line, column = _mark(key_node)
        raw_key = str(key_node.value)
        key, problem = _config_key(raw_key, project, line, column)
        if problem is not None:
            problems.append(problem)
            continue
        positions[key] = _mark(value_node)
        if isinstance(value_node, ScalarNode):
            # The CLI passes a scalar as its text (null -> ""), whatever YAML type it looks like.
            values[key] = "" if value_node.tag == "tag:yaml.org,2002:null" else str(value_node.value)
            continue
        value = _construct(value_node, path)
        _find_secrets(value, key, value_node, secrets, positions)
        values[key] = value
    if problems:
        raise StackFileError(path, problems)
    return StackConfig(
        path=path,
        project=project,
        values=values,
        secrets=tuple(secrets),
        positions=positions,
        settings=settings,
    )


def _config_key(raw: str, project: str, line: int, column: int) -> tuple[str, Problem | None]:
    parts = raw.split(":")
    if len(parts) == 1:
        # An unqualified key belongs to the project (what `pulumi config set <name>` means).
        return f"{project}:{raw}", None
    if len(parts) == 3 and parts[1] == "config":
        parts = [parts[0], parts[2]]
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return raw, Problem(
            line,
            column,
            f"'{raw}' is not a config key",
            f"write it as `<namespace>:<name>`, e.g. `{project}:owner`",
        )
    namespace, name = parts
    if namespace == project or namespace in PROVIDER_NAMESPACES:
        return f"{namespace}:{name}", None
    if namespace in FOREIGN_NAMESPACES:
        right = FOREIGN_NAMESPACES[namespace]
        return raw, Problem(
            line,
            column,
            f"'{raw}' belongs to a provider this project does not use, so it would be ignored",
            f"use `{right}:{name}`",
        )
    known = (project, *PROVIDER_NAMESPACES)
    hint = _near_namespace(namespace, known)
    if hint is not None:
        return raw, Problem(
            line,
            column,
            f"unknown namespace '{namespace}' in '{raw}': the program reads only `{project}:` keys, so this one "
            "would be silently ignored",
            f"did you mean `{hint}:{name}`?",
        )
    return f"{namespace}:{name}", None


def _near_namespace(namespace: str, known: tuple[str, ...]) -> str | None:
    def squash(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    for candidate in known:
        if squash(namespace) == squash(candidate):
            return candidate
    hint = difflib.get_close_matches(namespace.lower(), known, n=1, cutoff=0.75)
    return hint[0] if hint else None


def _find_secrets(
    value: Any, path: str, node: Node, secrets: list[str], positions: dict[str, tuple[int, int]]
) -> None:
    """Record the key path and position of every Encrypted value (and of every nested value, for messages)."""
    positions[path] = _mark(node)
    if isinstance(value, Encrypted):
        secrets.append(path)
        return
    if isinstance(value, dict) and isinstance(node, MappingNode):
        by_key = {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}
        for key, item in value.items():
            child = by_key.get(key, node)
            _find_secrets(item, f"{path}.{key}", child, secrets, positions)
    elif isinstance(value, list) and isinstance(node, SequenceNode):
        for i, (item, child) in enumerate(zip(value, node.value, strict=False)):
            _find_secrets(item, f"{path}[{i}]", child, secrets, positions)


# ---------------------------------------------------------------------------------------------------------------
# YAML with limits: events first (no recursion, no expansion), then the node graph, then plain data.


class _Loader(yaml.SafeLoader):
    """The pure-Python loader: its marks are exact, and its parser keeps a state stack rather than recursing."""


def _load(data: bytes | str, path: Path) -> tuple[Any, Node | None]:
    text = _decode(data, path)
    _check_events(text, path)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise StackFileError(path, [_syntax_problem(exc, text)]) from None
    if node is None:
        return None, None
    _check_expansion(node, path)
    _check_duplicates(node, path)
    return _construct(node, path), node


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


def _check_events(text: str, path: Path) -> None:
    """Depth and alias count from the parser's event stream: nothing is built yet, so a bomb costs nothing."""
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line, column = _event_mark(event)
                    raise StackFileError(
                        path,
                        [
                            Problem(
                                line,
                                column,
                                f"values are nested more than {MAX_DEPTH} levels deep",
                                "a lab's config is at most a list of mappings: flatten this value",
                            )
                        ],
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    line, column = _event_mark(event)
                    raise StackFileError(
                        path,
                        [
                            Problem(
                                line,
                                column,
                                f"more than {MAX_ALIASES} aliases (`*name`)",
                                "write the values out instead of referring to anchors",
                            )
                        ],
                    )
    except yaml.YAMLError as exc:
        raise StackFileError(path, [_syntax_problem(exc, text)]) from None


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
            line, column = _mark(node)
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
            line, column = _mark(node)
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
                        line, column = _mark(key_node)
                        problems.append(
                            Problem(
                                line,
                                column,
                                f"key '{name}' appears twice: line {_mark(first[name])[0]} and line {line}",
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


def _items(node: MappingNode, path: Path) -> Iterator[tuple[ScalarNode, Node]]:
    """A mapping's entries with `<<` merges applied (explicit keys win, as YAML says)."""
    explicit: list[tuple[ScalarNode, Node]] = []
    merged: list[tuple[ScalarNode, Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    line, column = _mark(source)
                    raise StackFileError(
                        path,
                        [Problem(line, column, "`<<:` merges only mappings", "merge an anchored mapping")],
                    )
                merged.extend(_items(source, path))
        elif isinstance(key_node, ScalarNode):
            explicit.append((key_node, value_node))
        else:
            line, column = _mark(key_node)
            raise StackFileError(
                path, [Problem(line, column, f"a {_kind(key_node)} used as a key", "use a plain text key")]
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


def _construct(node: Node, path: Path) -> Any:
    """Plain data the way the CLI's decoder sees a structured value: YAML 1.2 booleans only (`yes` stays text),
    dates as text, `{secure: <text>}` as Encrypted."""
    if node.tag not in _PLAIN_TAGS:
        line, column = _mark(node)
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
            line, column = _mark(node)
            raise StackFileError(
                path,
                [
                    Problem(
                        line, column, f"cannot read this value ({getattr(exc, 'problem', exc)})", "quote it"
                    )
                ],
            ) from None
        if isinstance(value, float) and not math.isfinite(value):
            line, column = _mark(node)
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
            line, column = _mark(node)
            raise StackFileError(
                path,
                [Problem(line, column, f"unsupported value type {node.tag}", "use plain text or a number")],
            )
        return value
    if isinstance(node, SequenceNode):
        return [_construct(child, path) for child in node.value]
    if isinstance(node, MappingNode):
        out = {str(k.value): _construct(v, path) for k, v in _items(node, path)}
        secure = out.get("secure")
        if len(out) == 1 and isinstance(secure, str):
            return Encrypted(secure)
        return out
    raise StackFileError(path, [Problem(*_mark(node), "unsupported YAML node", "use plain YAML")])


# ---------------------------------------------------------------------------------------------------------------
# Messages


def _mark(node: Node | None) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _event_mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _kind(node: Node | None) -> str:
    if isinstance(node, SequenceNode):
        return "list"
    if isinstance(node, MappingNode):
        return "mapping"
    return "single value"


# PyYAML's words -> what the user did and how to fix it.
_SYNTAX_HINTS: tuple[tuple[str, str, str], ...] = (
    ("'\\t'", "a tab character where YAML expects indentation or a value", "indent with spaces, never tabs"),
    (
        "mapping values are not allowed",
        "a `: ` where no key can start (a value containing `: ` without quotes, or a key indented deeper than "
        "the key above it)",
        "quote the value, or align the key with the keys above it",
    ),
    (
        "expected <block end>",
        "this line is indented differently from the lines above it",
        "indent keys of the same mapping, and `- ` items of the same list, by the same number of spaces",
    ),
    (
        "could not find expected ':'",
        "a key without its `:`, or a line indented as if it continued the one above",
        "write `key: value` (a space after the colon) or fix the indentation",
    ),
    (
        "did not find expected key",
        "this line is indented differently from the lines above it",
        "indent keys of the same mapping by the same number of spaces",
    ),
    (
        "did not find expected '-' indicator",
        "a list item without its `- `, or a line indented as if it continued the list",
        "start each list item with `- ` at the list's indentation",
    ),
    (
        "found unexpected end of stream",
        "a quote or bracket is opened but never closed",
        "close the quote (or the `[`/`{`)",
    ),
    (
        "found undefined alias",
        "an alias (`*name`) with no anchor (`&name`) before it",
        "define the anchor first",
    ),
    ("found duplicate anchor", "the same anchor (`&name`) is defined twice", "give each anchor its own name"),
    ("but found another document", "more than one YAML document (`---`)", "keep one document per stack file"),
    ("special characters are not allowed", "a control character in the text", "delete it"),
    (
        "unacceptable character",
        "a character YAML does not allow (a control character or a stray byte)",
        "delete it, or save the file as plain UTF-8 text",
    ),
)


def _syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    if mark is None and isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    elif mark is not None:
        line, column = mark.line + 1, mark.column + 1
    else:
        line = column = None  # type: ignore[assignment]
    words = f"{getattr(exc, 'context', '') or ''} {getattr(exc, 'problem', '') or ''} {exc}"
    for needle, message, fix in _SYNTAX_HINTS:
        if needle in words:
            return Problem(line, column, f"YAML syntax: {message}", fix)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(line, column, f"YAML syntax: {problem}", "correct the YAML at this position")


__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_EXPANDED_NODES",
    "MAX_FILE_BYTES",
    "SECRET_PLACEHOLDER",
    "Encrypted",
    "Problem",
    "StackConfig",
    "StackFileError",
    "parse_stack_text",
    "plain",
    "read_project_name",
    "read_stack_file",
]
