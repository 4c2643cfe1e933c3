"""Talking to the Pulumi CLI: whether it is there, and the stack outputs it holds.

Everything that needs the CLI (smoke's outputs, the class commands' outputs, down's destroy) goes through here, so
"not installed", "not logged in" and "timed out" read the same everywhere. Outputs hold secrets (participant keys):
they are parsed, never printed, not even on failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from labctl.errors import AzureError, UsageError
from labctl.processes import run_tool

OUTPUTS_TIMEOUT_S = 120.0
INSTALL_URL = "https://www.pulumi.com/docs/install/"


class PulumiCliError(AzureError):
    """The Pulumi CLI is missing or failed: the command could not finish (exit 4)."""


def require_pulumi_cli(why: str) -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise PulumiCliError(
            f"the Pulumi CLI is not installed (or not on PATH); {why}. "
            "Fix: install it (`curl -fsSL https://get.pulumi.com | sh` on Linux/macOS, `brew install pulumi/tap/pulumi`, "
            f"or `winget install pulumi`; see {INSTALL_URL}), open a new shell, log in to the "
            "stack's backend (`pulumi login`), then run the command again"
        )
    return path


def read_stack_outputs(
    stack: str, outputs_file: Path | None, project_dir: Path, *, show_secrets: bool = True
) -> dict[str, Any]:
    """`--outputs FILE` when given, else `pulumi stack output --json` for the stack. `show_secrets=False` for a
    command that needs no secret output (`labctl usage` reads only the workspace id): the participants' keys then
    stay "[secret]" and never enter labctl's memory."""
    if outputs_file is not None:
        return _read_outputs_file(outputs_file)
    secrets = " --show-secrets" if show_secrets else ""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise PulumiCliError(
            "the Pulumi CLI is not on PATH, so the stack outputs cannot be read. Fix: pass --outputs FILE, "
            f"written on a machine with the CLI by `pulumi stack output --json{secrets} --stack "
            f"{stack} > outputs.json`, or install the CLI ({INSTALL_URL})"
        )
    argv = [
        pulumi,
        "stack",
        "output",
        "--json",
        *(["--show-secrets"] if show_secrets else []),
        "--stack",
        stack,
    ]
    command = f"`pulumi stack output --json{secrets} --stack {stack}`"
    try:
        proc = run_tool(
            argv,
            cwd=project_dir,
            timeout=OUTPUTS_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        raise PulumiCliError(
            f"{command} did not answer within {OUTPUTS_TIMEOUT_S:.0f} s (a backend that is unreachable or asks "
            "for a login or passphrase?). Fix: check `pulumi whoami`, or pass --outputs FILE"
        ) from None
    except OSError as exc:
        raise PulumiCliError(f"{command} could not run: {exc}") from None
    # Its standard output holds every participant's key: it is parsed, never printed, not even on failure.
    if proc.returncode != 0:
        detail = _first_lines(proc.stderr) or f"exit code {proc.returncode}"
        raise PulumiCliError(f"{command} failed: {detail}")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise PulumiCliError(f"{command} did not print JSON") from None


def _read_outputs_file(path: Path) -> Any:
    """The JSON in an --outputs file. Read as bytes: json detects UTF-8 with or without a BOM and UTF-16, which is
    what Windows PowerShell 5.1's `pulumi stack output --json --show-secrets > outputs.json` writes."""
    fix = "Fix: write it with `pulumi stack output --json --show-secrets --stack <stack> > outputs.json`"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"--outputs {path} not found. {fix}") from None
    except OSError as exc:  # a folder, no permission
        raise UsageError(f"--outputs {path} cannot be read: {exc.strerror or exc}. {fix}") from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON ({exc.msg} at line {exc.lineno}). {fix}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not JSON text (neither UTF-8 nor UTF-16). {fix}") from None


def parse_outputs(data: dict[str, Any], *, need_keys: bool = True) -> Any:
    """The typed outputs (stacks/outputs.py); outputs of a stack that is not deployed: exit 4."""
    from stacks.outputs import LabOutputs, OutputsError

    try:
        return LabOutputs.parse(data, need_keys=need_keys)
    except OutputsError as exc:
        raise AzureError(str(exc)) from None


def _first_lines(text: str, n: int = 5) -> str:
    return "\n".join(line for line in text.strip().splitlines()[:n])
