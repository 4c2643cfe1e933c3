"""`labctl down`: `pulumi destroy` through the Automation API, then `labctl purge`, so one command leaves nothing
billable and nothing blocking the next `pulumi up` of the same lab."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from labctl.azure.transport import AzureAccessError

INSTALL_HINT = (
    "the Pulumi CLI is not installed (or not on PATH); `labctl down` drives it through the Automation API. "
    "Fix: install it (`curl -fsSL https://get.pulumi.com | sh` on Linux/macOS, `brew install pulumi/tap/pulumi`, "
    "or `winget install pulumi`; see https://www.pulumi.com/docs/install/), open a new shell, log in to the "
    "stack's backend (`pulumi login`), then run `labctl down` again"
)


class DownError(Exception):
    """`labctl down` cannot go on; the message says why and what to do."""


def require_pulumi_cli() -> str:
    path = shutil.which("pulumi")
    if path is None:
        raise DownError(INSTALL_HINT)
    return path


def destroy_with_automation_api(stack: str, project_dir: Path, on_output: Callable[[str], None]) -> None:
    """`pulumi destroy --yes` for the stack of the project in `project_dir` (its own program, not an inline one)."""
    from pulumi import automation as auto

    try:
        selected = auto.select_stack(stack_name=stack, work_dir=str(project_dir))
        selected.destroy(on_output=on_output, color="never")
    except auto.CommandError as exc:
        raise DownError(f"`pulumi destroy` of stack {stack} failed; nothing was purged.\n{exc}") from None


def down_command(
    *,
    stack: str,
    project_dir: Path,
    yes: bool,
    console: Console,
    err_console: Console,
    confirm: Callable[[str], bool],
    prepare_purge: Callable[[], Callable[[], int]],
    destroy: Callable[[str, Path, Callable[[str], None]], None] = destroy_with_automation_api,
) -> int:
    """Destroy, then purge; returns the exit code. The purge runs only after a successful destroy, but is
    prepared (subscription, cloud, sign-in) before it, so a teardown never stops half-way for a missing setting
    or an expired `az login`."""
    try:
        require_pulumi_cli()
        purge = prepare_purge()
    except (DownError, AzureAccessError) as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return 1
    if not yes and not confirm(
        f"Destroy every resource of stack {stack} and then purge its soft-deleted account and gateway? "
        "Participants lose access and nothing can be restored"
    ):
        console.print("Nothing destroyed.")
        return 1
    console.rule(f"pulumi destroy --stack {stack}")
    try:
        destroy(stack, project_dir, lambda line: console.out(line.rstrip("\n"), highlight=False))
    except DownError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return 1
    console.rule("purge soft-deleted resources")
    code = purge()
    if code != 0:
        err_console.print(
            f"The stack is destroyed, but the purge did not finish. Run `labctl purge --stack {stack}` again "
            "(it is idempotent) once the problem above is fixed.",
            highlight=False,
        )
    return code
