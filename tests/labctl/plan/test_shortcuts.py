"""The plan's garbage-collector shortcut (labctl/plan/shortcuts.py): off during a run, back on after it where the
process goes on, left off where the process ends with the command (the console script, labctl/entry.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from labctl import interrupt_state
from labctl.plan.runtime import plan_stack
from labctl.plan.shortcuts import without_cyclic_gc
from labctl.project import PROJECT_DIR


@pytest.fixture
def gc_restored() -> Iterator[None]:
    enabled, one_shot = gc.isenabled(), interrupt_state._state["one_shot"]
    yield
    interrupt_state._state["one_shot"] = one_shot
    if enabled:
        gc.enable()


def test_the_collector_is_off_during_a_run_and_back_on_after_it(gc_restored: None) -> None:
    gc.enable()
    with without_cyclic_gc():
        assert not gc.isenabled()
    assert gc.isenabled()  # a process that goes on (these tests) collects again
    plan_stack("dev")
    assert gc.isenabled()


def test_in_a_one_command_process_it_stays_off_for_the_exit(gc_restored: None) -> None:
    gc.enable()
    interrupt_state.mark_one_shot()
    with without_cyclic_gc():
        pass
    assert not gc.isenabled()


def test_the_console_script_freezes_what_is_left_before_the_exit() -> None:
    # The console script's path, in a real process: the plan's output is whole and the exit code is the command's.
    probe = (
        "import gc, sys\n"
        "from labctl import entry\n"
        "sys.argv = ['labctl', 'plan', '--quiet']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit as exit:\n"
        "    print('frozen', gc.get_freeze_count() > 100_000, 'enabled', gc.isenabled(), 'code', exit.code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Azure resources would be created for stack dev" in done.stdout
    assert done.stdout.strip().endswith("frozen True enabled False code 0"), done.stdout + done.stderr
