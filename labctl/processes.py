"""Running another CLI (az, pulumi) from a command: never attached to the terminal, always with a deadline."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def run_tool(
    argv: Sequence[str], *, timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Output captured as text; no stdin, so a CLI that would prompt (a login, a passphrase) fails instead of
    waiting; raises subprocess.TimeoutExpired after `timeout` seconds and OSError when it cannot start."""
    return subprocess.run(
        list(argv),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )
