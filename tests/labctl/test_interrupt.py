"""Ctrl+C at any moment, start-up included: one line on stderr and exit code 130, never a traceback.

Played with a real process and a real SIGINT: `python -m labctl plan` (the console script's entry point,
labctl/entry.py), interrupted while it imports its modules, while click parses, and while the command runs. The
process runs with `-X importtime`, so the test sees on stderr which module has just been imported and sends the
signal then, not after a fixed delay: the dev plan takes about a second, so a delay that once fell inside the
command now falls in the interpreter's shutdown, where Python has put back the default handler. Before labctl's
entry module is in place the interpreter itself is starting, which no program can guard; the timing lines are left
out of the check.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest

from labctl.errors import EXIT_INTERRUPTED
from labctl.project import PROJECT_DIR


def _interrupt_after(module: str, delay_s: float) -> tuple[int, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-m", "labctl", "plan", "--quiet"],
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    entered = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip("\n"))
            if line.startswith("import time:") and line.split("|")[-1].strip() == module:
                entered.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert entered.wait(60), f"labctl never imported {module}"
        time.sleep(delay_s)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, [line for line in lines if not line.startswith("import time:")]


@pytest.mark.parametrize(
    ("module", "delay_s"),
    [
        ("labctl.entry", 0.02),  # importing the CLI
        ("labctl.cli", 0.0),  # click parsing the command line
        (
            "stacks.program",
            0.0,
        ),  # the command running: the program declaring resources under the mock runtime
    ],
)
def test_ctrl_c_prints_one_line_and_exits_130(module: str, delay_s: float) -> None:
    code, stderr = _interrupt_after(module, delay_s)
    assert (code, stderr) == (EXIT_INTERRUPTED, ["interrupted"])
