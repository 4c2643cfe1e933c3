"""Ctrl+C during `labctl diff`, in a real process with a real SIGINT: the base's git worktree and the temporary
folders go with it (the command's `finally` blocks run), and the user sees one line and exit code 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from labctl.errors import EXIT_INTERRUPTED
from tests.labctl.review.test_diff_git import _git, _new_repo


def test_ctrl_c_in_a_diff_removes_its_worktree_and_temporary_folders(tmp_path: Path) -> None:
    repo, tmp = tmp_path / "lab", tmp_path / "tmp"
    repo.mkdir()
    tmp.mkdir()
    _new_repo(repo)
    _git(repo, "add", ".")
    _git(repo, "commit", "--quiet", "-m", "base lab")
    worktrees_before = _git(repo, "worktree", "list")
    process = subprocess.Popen(
        [sys.executable, "-m", "labctl", "diff", "--base", "HEAD", "--stack", "dev"],
        cwd=repo,
        env={**os.environ, "TMPDIR": str(tmp)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # Interrupt once the base's worktree is in git's list: what a Ctrl+C used to leave behind.
        deadline = time.monotonic() + 60
        while "labctl-diff-" not in _git(repo, "worktree", "list"):
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the diff never added its worktree"
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        _stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert (process.returncode, stderr.strip().splitlines()) == (EXIT_INTERRUPTED, ["interrupted"])
    assert _git(repo, "worktree", "list") == worktrees_before
    assert sorted(p.name for p in tmp.iterdir()) == []
