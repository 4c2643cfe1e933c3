"""Output conventions every command follows.

- Results go to stdout (`ctx.console`), errors and warnings to stderr (`ctx.err_console`).
- Text that comes from the user, the stack file or Azure is never read as rich markup: print it with
  `markup=False`, inside a `rich.text.Text`, or through `rich.markup.escape`.
- Reports meant for files or pull requests (diff, check --format markdown) are written byte for byte with `emit`,
  never through rich, so they are the same on every terminal and in CI.
- A command that cannot go on raises a `labctl.errors.LabctlError` (never prints and exits on its own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from labctl.errors import UsageError


def emit(text: str, output: Path | None) -> None:
    """The report to stdout, or to `output` (its folder created); `-` is stdout, as elsewhere on the command line."""
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")


def load_json_file(path: Path, what: str = "snapshot") -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8 text
        raise UsageError(f"can't read {what} {path}: {exc}") from None


def emit_json(data: Any, output: Path | None) -> None:
    """A machine-readable report: JSON, keys sorted, one trailing newline; to stdout, `-`, or a file."""
    emit(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", output)


def print_error(console: Console, message: str) -> None:
    console.print(Text("error: ", style="red") + Text(message), highlight=False)


def print_note(console: Console, message: str) -> None:
    console.print(Text("note: ", style="cyan") + Text(message), highlight=False)


def print_warning(console: Console, message: str) -> None:
    console.print(Text("warning: ", style="yellow") + Text(message), highlight=False)


def load_plan_snapshot(path: Path, what: str = "snapshot") -> dict[str, Any]:
    """A `labctl plan --json` file, or a UsageError (exit 2) saying what is wrong with it and how to make one."""
    from labctl.snapshot import plan_problem

    data = load_json_file(path, what)
    problem = plan_problem(data)
    if problem:
        raise UsageError(
            f"{what} {path} is not a plan snapshot: {problem}. Fix: write one with `labctl plan --stack <name> "
            "--json FILE`"
        )
    return dict(data)
