"""Plans of two revisions for `labctl diff`: the base from a clean git worktree, the head from the working tree.

Each side runs `labctl plan --json` in its own Python process. The base's *program* is the base's own (its
`stacks/`, `components/`, Pulumi.yaml and stack file, from the worktree), but the *planner* is the head's `labctl`:
a base revision may predate `labctl plan --project-dir --json --quiet`, or have a broken labctl, and both sides
must be planned by the same mock cloud, or every mock-derived value (the random name suffix, ids) would differ
for no reason. So the base runs from a small folder of symlinks: `labctl` -> the head's, `stacks`, `components` and `facts`
-> the worktree's. Both plans run at once (each takes a few seconds). The worktree lives in a temporary folder and
only it is removed afterwards (never `git worktree prune`: the user's other worktrees are theirs); the working tree
is never touched.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.errors import EXIT_AZURE, EXIT_CONFIG, EXIT_USAGE, LabctlError

# A revision's plan may take a while on a slow runner, but never forever.
PLAN_TIMEOUT_S = 300


class RevisionError(LabctlError):
    """A git or planning failure, with a message for the user: a revision whose program does not plan is a config
    error (3); git missing or failing is 4 (could not check); a bad --base is a usage error (2)."""

    exit_code = EXIT_CONFIG


@dataclass(frozen=True)
class Side:
    label: str
    snapshot: dict[str, Any] | None  # None: the stack does not exist at that revision
    stack_config: dict[str, Any]


def git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError:
        raise RevisionError("git is not installed", EXIT_AZURE) from None
    if done.returncode != 0:
        raise RevisionError(f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}", EXIT_AZURE)
    return done.stdout.strip()


NOT_A_CHECKOUT_FIX = (
    "Fix: run it inside the project's git checkout (or pass --project-dir <the checkout>), or compare two "
    "`labctl plan --json` files with --base-snapshot and --head-snapshot"
)


def repo_root(path: Path, fix: str = NOT_A_CHECKOUT_FIX) -> Path:
    """The git checkout holding `path`; a folder outside any checkout is a usage error naming `fix`."""
    try:
        return Path(git(path, "rev-parse", "--show-toplevel")).resolve()
    except RevisionError as exc:
        if "not a git repository" not in str(exc):
            raise
    raise RevisionError(
        f"{path} is not inside a git checkout, so there is no revision to compare. {fix}", EXIT_USAGE
    )


def has_commit(repo: Path, ref: str) -> bool:
    try:
        git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except RevisionError:
        return False
    return True


def default_base(repo: Path) -> tuple[str, str]:
    """(commit, label): the merge base of HEAD with origin/main, else with main."""
    for ref in ("origin/main", "main"):
        if has_commit(repo, ref):
            return git(repo, "merge-base", "HEAD", ref), f"merge base with {ref}"
    raise RevisionError(
        "neither origin/main nor main exists here. Fix: pass --base REV (a commit, tag or branch)", EXIT_USAGE
    )


def resolve(repo: Path, rev: str) -> str:
    if not has_commit(repo, rev):
        raise RevisionError(
            f"'{rev}' is not a commit in {repo}. Fix: fetch it, or pass another --base", EXIT_USAGE
        )
    return git(repo, "rev-parse", "--verify", f"{rev}^{{commit}}")


@contextlib.contextmanager
def worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached, clean checkout of `commit` in a temporary folder; on exit that worktree, and only it, is removed
    (its folder and its entry in git's worktree list; other worktrees, stale or not, are left alone)."""
    tmp = Path(tempfile.mkdtemp(prefix="labctl-diff-"))
    path = tmp / "base"
    try:
        git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        # `remove --force` also drops the entry of a worktree whose folder is already gone.
        with contextlib.suppress(RevisionError):
            git(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(tmp, ignore_errors=True)


# What the planner takes from a revision: the program's packages. Pulumi.yaml and the stack file are read from the
# --project-dir given to `labctl plan`.
PROGRAM_PACKAGES = ("stacks", "components", "facts")


def planner_code(head_dir: Path) -> Path:
    """The labctl package that plans both sides: the working tree's, else the one running this code."""
    candidate = head_dir / "labctl"
    if (candidate / "cli.py").is_file() and (candidate / "plan" / "runtime.py").is_file():
        return candidate.resolve()
    return Path(__file__).resolve().parent


def _link(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target, target_is_directory=True)
    except OSError:  # no symlinks (some Windows setups): a copy does the same, only slower
        shutil.copytree(target, link, ignore=shutil.ignore_patterns("__pycache__"))


def base_code_dir(folder: Path, labctl_dir: Path, base_dir: Path) -> Path:
    """A folder to import the base's program with the head's labctl: `labctl` from the head, the program's
    packages from the base (a package the base lacks stays missing, so the plan fails on it)."""
    folder.mkdir(parents=True, exist_ok=True)
    _link(folder / "labctl", labctl_dir)
    for name in PROGRAM_PACKAGES:
        if (base_dir / name).is_dir():
            _link(folder / name, base_dir / name)
    return folder


def _stack_config(project_dir: Path, stack: str) -> dict[str, Any]:
    """The stack file's encrypted entries as `{key path: {"secure": ciphertext}}` (what the diff compares; values
    are never shown). Read with labctl/stackfile, so a broken file is a precise error, never a traceback."""
    from labctl.project import read_stack

    if not (project_dir / f"Pulumi.{stack}.yaml").exists():
        return {}
    config = read_stack(stack, project_dir)
    return {path: {"secure": value.ciphertext} for path, value in config.encrypted().items()}


def _start_plan(project_dir: Path, stack: str, out: Path, code_dir: Path) -> subprocess.Popen[str]:
    # `code_dir` first on sys.path (and as the working directory, which `-m` puts first too): its labctl, stacks
    # and components are imported, never an installed copy's.
    # `-m labctl`: the console script's entry (labctl/entry.py), a process that plans once and ends, so it skips
    # the collector's passes after the plan and at exit (labctl/plan/shortcuts.py).
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    cmd = [sys.executable, "-m", "labctl", "plan", "--stack", stack]
    cmd += ["--project-dir", str(project_dir), "--json", str(out), "--quiet"]
    return subprocess.Popen(
        cmd, cwd=code_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(proc: subprocess.Popen[str], out: Path, label: str, fix: str) -> dict[str, Any]:
    try:
        _stdout, stderr = proc.communicate(timeout=PLAN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RevisionError(f"planning {label} took longer than {PLAN_TIMEOUT_S} s") from None
    if proc.returncode != 0 or not out.exists():
        detail = (stderr or "").strip().splitlines()
        reason = "\n".join(detail[-15:]) or f"exit {proc.returncode}"
        raise RevisionError(f"planning {label} failed:\n{reason}\nFix: {fix}")
    return json.loads(out.read_text(encoding="utf-8"))


def stacks_in(folder: Path) -> set[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` in `folder`."""
    return {p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml") if p.is_file()}


@dataclass(frozen=True)
class StackSides:
    stack: str
    base: Side
    head: Side

    @property
    def change(self) -> str:
        """ "added", "deleted" or "kept": what the change does to the stack file."""
        if self.base.snapshot is None:
            return "added"
        if self.head.snapshot is None:
            return "deleted"
        return "kept"


def plan_stack_revisions(
    project_dir: Path, stacks: list[str] | None, base: str | None = None
) -> list[StackSides]:
    """Both sides of each stack, from one worktree of `base`. `stacks=None`: every stack with a stack file on
    either side, so a change that adds a stack shows everything it creates and one that deletes a stack file
    everything that stack's resources would lose. A side without the stack file has no snapshot."""
    project_dir = project_dir.resolve()
    repo = repo_root(project_dir)
    relative = project_dir.relative_to(repo)
    if base is None:
        commit, why = default_base(repo)
    else:
        commit, why = resolve(repo, base), base
    base_label = f"{why} ({commit[:7]})"
    results: list[StackSides] = []
    with tempfile.TemporaryDirectory(prefix="labctl-diff-json-") as tmp, worktree(repo, commit) as tree:
        base_dir = tree / relative
        names = sorted(stacks_in(project_dir) | stacks_in(base_dir)) if stacks is None else stacks
        if not names:
            raise RevisionError(
                f"no Pulumi.<stack>.yaml in {project_dir} or at {base_label}: nothing to compare"
            )
        code = base_code_dir(Path(tmp) / "base-code", planner_code(project_dir), base_dir)
        for stack in names:
            results.append(_plan_pair(project_dir, base_dir, stack, base_label, code, Path(tmp)))
    return results


def _plan_pair(
    project_dir: Path, base_dir: Path, stack: str, base_label: str, code: Path, tmp: Path
) -> StackSides:
    head_exists = (project_dir / f"Pulumi.{stack}.yaml").exists()
    base_exists = (base_dir / f"Pulumi.{stack}.yaml").exists()
    # The working tree's stack file first: its problems, with line and column, before any planning work.
    head_config = _stack_config(project_dir, stack) if head_exists else {}
    base_json, head_json = tmp / f"base-{stack}.json", tmp / f"head-{stack}.json"
    base_proc = _start_plan(base_dir, stack, base_json, code) if base_exists else None
    head_proc = _start_plan(project_dir, stack, head_json, project_dir) if head_exists else None
    try:
        head = (
            _finish(
                head_proc,
                head_json,
                f"stack {stack} in the working tree",
                "make `labctl plan` pass in the working tree",
            )
            if head_proc
            else None
        )
        base_snapshot = (
            _finish(
                base_proc,
                base_json,
                f"{base_label} (stack {stack})",
                "that revision's program (its stacks/, components/ and stack file, planned by the working "
                "tree's labctl) must plan: pass another --base, or compare saved plans with --base-snapshot "
                "and --head-snapshot",
            )
            if base_proc
            else None
        )
    finally:
        for proc in (base_proc, head_proc):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
    base_config = _stack_config(base_dir, stack) if base_exists else {}
    missing = f", without Pulumi.{stack}.yaml"
    return StackSides(
        stack,
        Side(base_label + ("" if base_exists else missing), base_snapshot, base_config),
        Side("the working tree" + ("" if head_exists else missing), head, head_config),
    )
