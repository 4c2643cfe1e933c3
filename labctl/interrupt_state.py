"""What the console script (labctl/entry.py) tells the rest of labctl: whether the one "interrupted" line was
printed (its SIGINT handler and the command runner, labctl/cli.py), and that the process runs one command and ends.
Its own module, importing nothing, so the CLI does not import the entry point that imports it."""

from __future__ import annotations

INTERRUPTED_LINE = "interrupted"
_state = {"interrupted": False, "one_shot": False, "cleanup": False, "cleaning": False}


def interrupt_reported() -> bool:
    """Whether the line was printed (by the CLI, for an interrupt inside a command)."""
    return _state["interrupted"]


def mark_reported() -> None:
    _state["interrupted"] = True


def mark_one_shot() -> None:
    """Called by the console script: this process runs one command and exits (not so in the tests' CliRunner)."""
    _state["one_shot"] = True


def one_shot() -> bool:
    """Whether tidying up for a next command in the same process (a plan's final garbage collection) can be left
    to the process's end."""
    return _state["one_shot"]


def clean_up_on_interrupt() -> None:
    """Called by a command that leaves something outside its own files until it ends (labctl diff's git worktree
    and temporary folders) and runs nothing that could hold a KeyboardInterrupt (its plans run in child
    processes): Ctrl+C then raises KeyboardInterrupt, so its `finally` blocks remove them; a second Ctrl+C
    exits at once."""
    _state["cleanup"] = True


def interrupt_cleans_up() -> bool:
    """True once per command that asked for it: the first Ctrl+C goes through its cleanup."""
    if _state["cleanup"] and not _state["cleaning"]:
        _state["cleaning"] = True
        return True
    return False
