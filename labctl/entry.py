"""The `labctl` console script (and `python -m labctl`): Ctrl+C at any moment, start-up included, prints one line
and exits 130.

Importing the CLI (typer, rich, the command modules) takes a moment, and click parses the command line before a
command runs: an interrupt then would end in a traceback, or in typer's silent exit. So the first thing labctl does
is take SIGINT, and the handler prints the line and exits at once, in a command too: a KeyboardInterrupt raised
inside Pulumi's mock runtime (labctl plan) can be held by its event loop and never end the process. Nothing is left
half-written by that: files are written whole or not at all (labctl/files.py); a temporary file may stay behind.
labctl/cli.py's LabctlGroup turns a KeyboardInterrupt into the same line where labctl runs without this entry
point (in-process, as the tests' CliRunner does), and for a command that asks for it (labctl diff, whose plans run
in child processes and whose git worktree would otherwise stay behind), where the handler raises one.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType

from labctl.interrupt_state import INTERRUPTED_LINE, interrupt_cleans_up, interrupt_reported, mark_one_shot

EXIT_INTERRUPTED = 130  # labctl/errors.py; not imported, so nothing runs before the handler is in place


def _exit_now() -> None:
    try:
        if not interrupt_reported():
            # To file descriptor 2 itself: a command may have redirected sys.stderr (labctl plan captures output).
            os.write(2, (INTERRUPTED_LINE + "\n").encode())
    finally:
        os._exit(EXIT_INTERRUPTED)


def _on_sigint(_signum: int, _frame: FrameType | None) -> None:
    # Exit at once, in a command too: a KeyboardInterrupt inside Pulumi's mock runtime (labctl plan) can be held by
    # its event loop and never end the process. Files are written whole or not at all (labctl/files.py); a hidden
    # terminal cursor (a progress display) is shown again. A command that asked for it (labctl diff: its git
    # worktree) gets a KeyboardInterrupt once, so its `finally` blocks clean up; labctl/cli.py prints the line.
    if interrupt_cleans_up():
        raise KeyboardInterrupt
    if sys.stderr.isatty():
        sys.stderr.write("\x1b[?25h")
    _exit_now()


def main() -> None:
    signal.signal(signal.SIGINT, _on_sigint)
    mark_one_shot()
    try:
        from labctl.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        _exit_now()
    finally:
        # The interpreter's exit runs the cyclic collector over every object, gc.disable() or not: a fifth of a
        # dev plan's CPU (pulumi-azure-native's classes, the plan's futures). The process ends here; what is
        # left is freed with it. Frozen objects are not walked. (Files are closed by their `with` blocks, and
        # stdout and stderr are flushed at exit as before.)
        gc.freeze()


if __name__ == "__main__":
    main()
