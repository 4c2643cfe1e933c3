"""Which stacks a change concerns, for CI: `labctl stacks [--changed-since REV] [--json]`.

The deploy workflow runs `pulumi up` for each stack this lists (a matrix), the pull-request workflow checks and
previews each: never a hard-coded `dev`. A stack is concerned when its `Pulumi.<stack>.yaml` was added or modified
since REV, or, when anything else in the project changed (the program: stacks/, components/, Pulumi.yaml,
dependencies), every stack is. A deleted stack file is reported, never deployed: tearing a stack down is a
decision (`labctl down`), not a side effect of a merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labctl.errors import EXIT_USAGE
from labctl.review.revisions import RevisionError, git, has_commit, repo_root, stacks_in

# Changes outside the project folder that do not change what any stack deploys.
NOT_THE_PROGRAM = (".github/", "docs/", "tests/", "scripts/", "README.md", "policy/", ".ci/")


@dataclass
class StackSelection:
    stacks: list[str]
    deleted: list[str] = field(default_factory=list)
    reason: str = ""


def select_stacks(project_dir: Path, changed_since: str | None = None) -> StackSelection:
    project_dir = project_dir.resolve()
    current = sorted(stacks_in(project_dir))
    if changed_since is None or set(changed_since) <= {"0"}:  # no base: a new branch's first push
        return StackSelection(current, reason="every stack")
    repo = repo_root(
        project_dir,
        fix="Fix: run it inside the project's git checkout, or leave out --changed-since (every stack)",
    )
    relative = project_dir.relative_to(repo).as_posix()
    prefix = "" if relative == "." else relative + "/"
    if not has_commit(repo, changed_since):
        # Listing every stack here would have CI deploy every class on a typo or a shallow clone; a force-push
        # that dropped the base is a decision for a person (exit 2, README's exit codes).
        raise RevisionError(
            f"--changed-since {changed_since}: not a commit in {repo} (a typo, a shallow clone, or a force-push "
            "dropped it). Fix: fetch the history (`git fetch --unshallow`, or `fetch-depth: 0` in CI), pass a "
            "commit that exists, or pass --changed-since 0 (or leave it out) for every stack",
            EXIT_USAGE,
        )
    lines = git(repo, "diff", "--name-status", "--no-renames", changed_since, "HEAD", "--", relative)
    stacks: set[str] = set()
    deleted: list[str] = []
    program_changed = False
    for line in lines.splitlines():
        status, _, path = line.partition("\t")
        name = path[len(prefix) :] if path.startswith(prefix) else path
        if (
            "/" not in name
            and name.startswith("Pulumi.")
            and name.endswith(".yaml")
            and name != "Pulumi.yaml"
        ):
            stack = name[len("Pulumi.") : -len(".yaml")]
            if status.startswith("D"):
                deleted.append(stack)
            else:
                stacks.add(stack)
        elif not name.startswith(NOT_THE_PROGRAM):
            program_changed = True
    if program_changed:
        return StackSelection(current, sorted(deleted), "the program changed: every stack")
    return StackSelection(sorted(stacks & set(current)), sorted(deleted), "stack files changed")
