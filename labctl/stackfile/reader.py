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
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from labctl.stackfile.problems import SECRET_PLACEHOLDER, Encrypted, Problem, StackFileError, kind, mark
from labctl.stackfile.safe_yaml import construct, items, load

# Namespaces a key of this project may use besides the project's own; a near miss of one of them is a typo.
PROVIDER_NAMESPACES = ("azure-native", "pulumi", "random")
# The classic Azure provider's keys look right but configure nothing in an azure-native program.
FOREIGN_NAMESPACES = {"azure": "azure-native"}
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


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

    def encrypted(self) -> dict[str, Encrypted]:
        """Key path -> Encrypted, for every `secure:` value (top-level or nested)."""
        found: dict[str, Encrypted] = {}

        def walk(value: Any, path: str) -> None:
            if isinstance(value, Encrypted):
                found[path] = value
            elif isinstance(value, dict):
                for key, item in value.items():
                    walk(item, f"{path}.{key}")
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, f"{path}[{i}]")

        for key, value in self.values.items():
            walk(value, key)
        return found

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
    root, _ = load(path.read_bytes(), path)
    name = root.get("name") if isinstance(root, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise StackFileError(
            path, [Problem(1, 1, "has no project `name:`", "add `name: aoai-lab` at the top")]
        )
    return name.strip()


def parse_stack_text(data: bytes | str, *, path: Path, project: str) -> StackConfig:
    """A stack file's text as the Pulumi CLI reads it; StackFileError naming every problem it finds."""
    root, root_node = load(data, path)
    if root is None:
        return StackConfig(path=path, project=project, values={})
    if not isinstance(root, dict):
        line, column = mark(root_node)
        raise StackFileError(
            path,
            [
                Problem(
                    line,
                    column,
                    f"the top level is a {kind(root_node)}, not a mapping",
                    "start the file with `config:` and put each setting under it, indented, as `aoai-lab:<key>: <value>`",
                )
            ],
        )
    assert isinstance(root_node, MappingNode)
    config_node, settings, problems = _top_level(root_node, path)
    if config_node is None or (
        isinstance(config_node, ScalarNode) and config_node.tag == "tag:yaml.org,2002:null"
    ):
        if problems:
            raise StackFileError(path, problems)
        return StackConfig(path=path, project=project, values={}, settings=settings)
    if not isinstance(config_node, MappingNode):
        line, column = mark(config_node)
        problems.append(
            Problem(
                line,
                column,
                f"`config:` is a {kind(config_node)}, not a mapping",
                "write each setting under `config:` as `aoai-lab:<key>: <value>` (no leading `- `)",
            )
        )
        raise StackFileError(path, problems)
    config = _config(config_node, path, project, problems)
    if problems:
        raise StackFileError(path, problems)
    return replace(config, settings=settings)


def _top_level(root_node: MappingNode, path: Path) -> tuple[Node | None, dict[str, Any], list[Problem]]:
    """(the `config:` node, the other top-level entries, near misses of the keys a stack file may have)."""
    config_node: Node | None = None
    settings: dict[str, Any] = {}
    problems: list[Problem] = []
    for key_node, value_node in root_node.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key == "config":
            config_node = value_node
        elif isinstance(key, str):
            settings[key] = construct(value_node, path)
            if key not in STACK_FILE_KEYS:
                hint = difflib.get_close_matches(key.lower(), STACK_FILE_KEYS, n=1, cutoff=0.75)
                if hint:
                    line, column = mark(key_node)
                    problems.append(
                        Problem(line, column, f"unknown top-level key '{key}'", f"did you mean '{hint[0]}:'?")
                    )
    return config_node, settings, problems


def _config(config_node: MappingNode, path: Path, project: str, problems: list[Problem]) -> StackConfig:
    """The `config:` entries as the program sees them; a key's problem goes to `problems`, the key is skipped."""
    values: dict[str, Any] = {}
    secrets: list[str] = []
    positions: dict[str, tuple[int, int]] = {}
    for key_node, value_node in items(config_node, path):
        line, column = mark(key_node)
        key, problem = _config_key(str(key_node.value), project, line, column)
        if problem is not None:
            problems.append(problem)
            continue
        positions[key] = mark(value_node)
        if isinstance(value_node, ScalarNode):
            # The CLI passes a scalar as its text (null -> ""), whatever YAML type it looks like.
            values[key] = "" if value_node.tag == "tag:yaml.org,2002:null" else str(value_node.value)
            continue
        value = construct(value_node, path)
        _find_secrets(value, key, value_node, secrets, positions)
        values[key] = value
    return StackConfig(path=path, project=project, values=values, secrets=tuple(secrets), positions=positions)


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
    positions[path] = mark(node)
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
