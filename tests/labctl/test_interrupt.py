"""Ctrl+C at any moment, start-up included: one line on stderr and exit code 130, never a traceback.

Played with a real process and a real SIGINT: `python -m labctl plan` (the console script's entry point,
labctl/entry.py), interrupted while it imports its modules, while click parses, and while the command runs. The
process runs with `-X importtime`, so the test sees on stderr when labctl's entry module is in place (before that,
the interpreter itself is starting, which no program can guard); those timing lines are left out of the check.
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


def _interrupt_after(delay_s: float) -> tuple[int, list[str]]:
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
            if line.rstrip().endswith("labctl.entry"):
                entered.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert entered.wait(60), "labctl never started"
        time.sleep(delay_s)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, [line for line in lines if not line.startswith("import time:")]


@pytest.mark.parametrize("delay_s", [0.02, 0.3, 1.0])
def test_ctrl_c_prints_one_line_and_exits_130(delay_s):
    code, stderr = _interrupt_after(delay_s)
    assert (code, stderr) == (EXIT_INTERRUPTED, ["interrupted"])
