"""`--outputs FILE` as instructors write it: on Windows PowerShell `>` writes UTF-16 (5.1) or UTF-8 with a BOM;
a folder or a typo instead of the file. Each is read or refused with a message (exit 2), never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.errors import EXIT_USAGE, UsageError
from labctl.pulumi_cli import read_stack_outputs

OUTPUTS = {"gatewayRoot": "https://apim-x.azure-api.net", "participantKeys": {"ana": "k" * 40}}


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"), id="utf-8 with BOM"),
        pytest.param(
            lambda text: "\ufeff".encode("utf-16-le") + text.encode("utf-16-le"), id="utf-16 (PowerShell 5.1)"
        ),
    ],
)
def test_outputs_file_in_the_encodings_windows_writes(tmp_path: Path, encode) -> None:
    path = tmp_path / "outputs.json"
    path.write_bytes(encode(json.dumps(OUTPUTS, indent=2)))
    assert read_stack_outputs("dev", path, tmp_path) == OUTPUTS


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.mkdir(), "cannot be read: Is a directory"),
        (lambda p: None, "not found"),
        (lambda p: p.write_bytes(b"\x81\xff\xfe\x00{"), "is not JSON"),
        (lambda p: p.write_text("Warning: stack not found\n"), "is not JSON (Expecting value at line 1)"),
    ],
)
def test_an_unusable_outputs_file_is_a_usage_error_with_the_fix(tmp_path: Path, make, words: str) -> None:
    path = tmp_path / "outputs.json"
    make(path)
    with pytest.raises(UsageError) as raised:
        read_stack_outputs("dev", path, tmp_path)
    assert words in str(raised.value)
    assert "Fix: write it with `pulumi stack output --json --show-secrets" in str(raised.value)


@pytest.mark.parametrize("command", [["smoke"], ["handout", "--out", "HANDOUTS"], ["usage"]])
def test_a_folder_given_as_outputs_exits_2_from_every_command(tmp_path: Path, command: list[str]) -> None:
    from labctl.project import PROJECT_DIR

    argv = [part.replace("HANDOUTS", str(tmp_path / "h")) for part in command]
    result = CliRunner().invoke(
        app,
        [*argv, "--stack", "dev", "--project-dir", str(PROJECT_DIR), "--outputs", str(tmp_path)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == EXIT_USAGE, result.output
    assert "cannot be read: Is a directory" in result.output
    assert "bug in labctl" not in result.output
