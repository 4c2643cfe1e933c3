"""One error type, one place that prints it, one exit-code table (labctl/errors.py, labctl/cli.py)."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from labctl import errors
from labctl.cli import app
from labctl.project import PROJECT_DIR


def test_the_exit_code_table():
    assert (
        errors.EXIT_OK,
        errors.EXIT_PROBLEMS,
        errors.EXIT_USAGE,
        errors.EXIT_CONFIG,
        errors.EXIT_AZURE,
        errors.EXIT_NO_FIT,
        errors.EXIT_INTERRUPTED,
    ) == (0, 1, 2, 3, 4, 5, 130)
    assert errors.ConfigError("x").exit_code == 3
    assert errors.AzureError("x").exit_code == 4
    assert errors.UsageError("x").exit_code == 2
    assert errors.LabctlError("x").exit_code == 1
    assert errors.LabctlError("x", errors.EXIT_NO_FIT).exit_code == 5


def test_help_lists_the_exit_codes():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    assert result.exit_code == 0
    assert (
        "Exit codes: 0 success; 1 problems found" in text
        and "5 preflight: nothing fits; 130 interrupted" in text
    )


def test_an_error_is_printed_once_without_markup_and_without_a_traceback(tmp_path):
    # The stack name comes from the user: rich must print it as it is, not as markup.
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labctl.cli",
            "plan",
            "--stack",
            "[red]x[/red]",
            "--project-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        timeout=120,
    )
    assert done.returncode == errors.EXIT_CONFIG
    assert done.stderr.count("error: ") == 1
    assert "stack '[red]x[/red]'" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_usage_error_of_a_command_is_exit_2():
    result = CliRunner().invoke(app, ["diff", "--max-chars", "5000"], env={"COLUMNS": "200"})
    assert result.exit_code == errors.EXIT_USAGE
    assert "go with --format markdown" in result.output


def test_an_unknown_option_is_exit_2_as_click_reports_it():
    result = CliRunner().invoke(app, ["plan", "--no-such-option"], env={"COLUMNS": "200"})
    assert result.exit_code == errors.EXIT_USAGE
