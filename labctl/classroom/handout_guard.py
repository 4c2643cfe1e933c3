"""What `labctl handout` refuses before it writes a key anywhere: a folder git would track (the keys would be one
`git add -A` away from a commit), the outputs of another stack (the other class's endpoint and dates), and a plan
snapshot given as outputs (it has no keys)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from labctl.errors import UsageError
from labctl.processes import run_tool

GIT_TIMEOUT_S = 15.0


def _existing_ancestor(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path if path.is_dir() else path.parent


def _git(argv: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str] | None:
    git = shutil.which("git")
    if git is None:
        return None  # no git, no repository to commit to from here
    try:
        if stdin is None:
            return run_tool([git, *argv], cwd=cwd, timeout=GIT_TIMEOUT_S)
        return subprocess.run(
            [git, *argv],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def tracked_by_git(out_dir: Path, names: Iterable[str]) -> list[str]:
    """The files of `names` (to be written in `out_dir`) that git would track: inside a work tree and neither
    ignored (`git check-ignore`) nor excepted from being already tracked (`git ls-files`). [] outside any
    repository, or when git is not installed."""
    where = _existing_ancestor(out_dir)
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top is None or top.returncode != 0 or not top.stdout.strip():
        return []
    root = Path(top.stdout.strip())
    folder = out_dir.absolute().resolve()
    paths = [str((folder / name).relative_to(root.resolve())) for name in names]
    if not paths:
        return []
    ignored = _git(["check-ignore", "--stdin"], root, "\n".join(paths) + "\n")
    ignored_set = (
        set(ignored.stdout.splitlines()) if ignored is not None and ignored.returncode in (0, 1) else set()
    )
    listed = _git(["ls-files", "--", *paths], root)
    tracked = set(listed.stdout.splitlines()) if listed is not None and listed.returncode == 0 else set()
    return [p for p in paths if p not in ignored_set or p in tracked]


def refuse_tracked_folder(out_dir: Path, names: Iterable[str]) -> None:
    exposed = tracked_by_git(out_dir, names)
    if exposed:
        shown = ", ".join(exposed[:3]) + (f" and {len(exposed) - 3} more" if len(exposed) > 3 else "")
        raise UsageError(
            f"{out_dir} is inside a git repository and git would track the handouts ({shown}): the keys would be "
            f"one `git add -A` away from a commit. Fix: add the folder to .gitignore (`echo '{out_dir.name}/' >> "
            ".gitignore`; `git rm -r --cached` what is already tracked), or write the handouts outside the "
            "repository (e.g. -o ~/handouts)"
        )


def refuse_plan_snapshot(data: Any, source: str, *, preview: bool) -> bool:
    """True when `data` is a plan snapshot (`labctl plan --json`). Without --preview that is a usage error: a
    plan has no keys, and handing out its placeholder endpoint would mislead."""
    from labctl.snapshot import plan_problem

    if not isinstance(data, Mapping) or "deployment" not in data or plan_problem(data) is not None:
        return False
    if not preview:
        raise UsageError(
            f"{source} is a plan snapshot (`labctl plan --json`), not the outputs of a deployed stack: it has no "
            "keys and no real endpoint. Fix: for the real handouts, `pulumi stack output --json --show-secrets "
            "--stack <stack> > outputs.json` after `pulumi up`; to see what students will get before deploying, "
            f"add --preview (`labctl handout --preview --outputs {source} -o DIR`)"
        )
    return True


def refuse_other_stack(
    outputs_stack: str | None, outputs_lab: str | None, stack: str, lab: str | None
) -> None:
    """Outputs carry the stack and lab they were deployed from (stacks/outputs.py: stack, labName); outputs of
    another one are refused. Outputs of an older deployment carry neither and cannot be checked."""
    if outputs_stack and outputs_stack != stack:
        raise UsageError(
            f"the outputs are those of stack {outputs_stack}, not of stack {stack}: its handouts would give this "
            f"class the other class's endpoint and dates. Fix: `pulumi stack output --json --show-secrets --stack "
            f"{stack} > outputs.json`, or pass --stack {outputs_stack} if that is the class you meant"
        )
    if outputs_lab and lab and outputs_lab != lab:
        raise UsageError(
            f"the outputs are those of lab {outputs_lab}, but stack {stack} is lab {lab} (aoai-lab:labName). "
            f"Fix: write the outputs of this stack again after `pulumi up --stack {stack}`"
        )
