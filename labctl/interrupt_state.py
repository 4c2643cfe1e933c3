"""What the console script's SIGINT handler (labctl/entry.py) and the command runner (labctl/cli.py) share: whether
the one "interrupted" line was printed. Its own module, importing nothing, so the CLI
does not import the entry point that imports it."""

from __future__ import annotations

INTERRUPTED_LINE = "interrupted"
_state = {"interrupted": False}


def interrupt_reported() -> bool:
    """Whether the line was printed (by the CLI, for an interrupt inside a command)."""
    return _state["interrupted"]


def mark_reported() -> None:
    _state["interrupted"] = True
