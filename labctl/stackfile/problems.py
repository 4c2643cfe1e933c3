"""What is wrong with a stack file, where, and how to fix it; the marker for encrypted values."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from labctl.errors import ConfigError

SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class Problem:
    line: int | None  # 1-based
    column: int | None  # 1-based
    message: str
    fix: str

    def render(self, name: str) -> str:
        where = name if self.line is None else f"{name}, line {self.line}, column {self.column}"
        return f"{where}: {self.message}. Fix: {self.fix}"


class StackFileError(ConfigError):
    """The stack file cannot be used; every problem found, each with file, line, column and the fix (exit 3)."""

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


def mark(node: Node | None) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def event_mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def kind(node: Node | None) -> str:
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


def syntax_problem(exc: yaml.YAMLError, text: str) -> Problem:
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
