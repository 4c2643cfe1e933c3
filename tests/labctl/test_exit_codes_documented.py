"""Each command's documented failure exits with the code README's command table gives it (issue 18).

The README's table is read, not copied: a row that says "3 unknown participant" while the command exits 2 fails
here, whichever of the two changed.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.project import PROJECT_DIR
from tests.labctl.review.test_diff_git import _git
from tests.support.smoke_lab import stack_outputs, write_outputs

README = PROJECT_DIR / "README.md"
ENV = {"COLUMNS": "200"}


def documented_codes(command: str) -> str:
    """The exit-code cell of `labctl <command> ...`'s row in README's command table."""
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| `labctl {command}"):
            return line.rstrip(" |").rsplit("|", 1)[-1].strip()
    raise AssertionError(f"README.md has no row for labctl {command}")


def closed_loopback_port() -> int:
    """A loopback port nobody listens on: every call to it is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _participant(tmp_path: Path, project: Path) -> list[str]:
    return ["participant", "suspend", "nobody-here", "--project-dir", str(project)]


def _stacks(tmp_path: Path, project: Path) -> list[str]:
    _git(project, "init", "--quiet", "--initial-branch", "main")
    _git(project, "add", ".")
    _git(project, "commit", "--quiet", "-m", "base")
    return ["stacks", "--changed-since", "no-such-revision", "--project-dir", str(project)]


def _smoke(tmp_path: Path, project: Path) -> list[str]:
    outputs = stack_outputs(f"https://127.0.0.1:{closed_loopback_port()}")
    path = write_outputs(tmp_path / "outputs.json", outputs)
    return ["smoke", "--outputs", str(path), "--retries", "0", "--project-dir", str(project)]


def _handout(tmp_path: Path, project: Path) -> list[str]:
    return [
        "handout",
        "-o",
        str(tmp_path / "handouts"),
        "--outputs",
        str(tmp_path / "missing.json"),
        "--project-dir",
        str(project),
    ]


CASES: dict[str, tuple[Callable[[Path, Path], list[str]], str]] = {
    "participant": (_participant, "unknown participant"),
    "stacks": (_stacks, "bad revision"),
    "smoke": (_smoke, "could not call"),
    "handout": (_handout, "`--outputs` file missing"),
}


@pytest.mark.parametrize("command", sorted(CASES))
def test_the_documented_failure_exits_with_the_documented_code(
    command: str, tmp_path: Path, project: Path
) -> None:
    make_argv, failure = CASES[command]
    result = CliRunner().invoke(app, make_argv(tmp_path, project), env=ENV)
    codes = documented_codes(command)
    assert re.search(rf"\b{result.exit_code} {re.escape(failure)}", codes), (
        f"labctl {command} exited {result.exit_code} for '{failure}'; README says: {codes}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert "Fix:" in " ".join(result.output.split()) or command == "smoke"
