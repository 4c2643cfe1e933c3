"""`labctl down`: `pulumi destroy` through the Automation API, then `labctl purge`, so one command leaves nothing
billable and nothing blocking the next `pulumi up` of the same lab."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from labctl.errors import EXIT_OK, EXIT_PROBLEMS, LabctlError
from labctl.lifecycle import purge
from labctl.pulumi_cli import PulumiCliError, require_pulumi_cli
from stacks.naming import LabIdentity

__all__ = ["DownError", "destroy_with_automation_api", "down_command"]

# A failed destroy or a missing CLI: the command could not finish.
DownError = PulumiCliError


# What destroy reports back: Pulumi's resource changes by operation ({"delete": 42}); counts only, never values.
Destroy = Callable[[str, Path, Callable[[str], None]], Mapping[str, int] | None]


def destroy_with_automation_api(
    stack: str, project_dir: Path, on_output: Callable[[str], None]
) -> Mapping[str, int] | None:
    """`pulumi destroy --yes` for the stack of the project in `project_dir` (its own program, not an inline one);
    returns the update summary's resource changes."""
    from pulumi import automation as auto

    try:
        selected = auto.select_stack(stack_name=stack, work_dir=str(project_dir))
        result = selected.destroy(on_output=on_output, color="never")
    except auto.CommandError as exc:
        raise DownError(f"`pulumi destroy` of stack {stack} failed; nothing was purged.\n{exc}") from None
    summary = getattr(result, "summary", None)
    return dict(getattr(summary, "resource_changes", None) or {})


def down_command(
    *,
    identity: LabIdentity,
    project_dir: Path,
    subscription: str | None,
    arm_endpoint: str | None,
    yes: bool,
    wait: float,
    console: Console,
    err_console: Console,
    confirm: Callable[[str], bool],
    destroy: Destroy = destroy_with_automation_api,
    timeout: float = purge.DEFAULT_PURGE_TIMEOUT_S,
    report_format: str = "text",
    report_output: Path | None = None,
) -> int:
    """Destroy, then purge; returns the exit code. The purge runs only after a successful destroy, but is
    prepared (subscription, cloud, sign-in) before it, so a teardown never stops half-way for a missing setting
    or an expired `az login`."""
    stack = identity.stack
    require_pulumi_cli("`labctl down` drives it through the Automation API")
    session = purge.prepare_purge(identity, subscription, arm_endpoint)
    as_json = report_format == "json"
    if as_json:
        console = err_console  # pulumi's output and the tables to stderr; stdout (or --output) gets the JSON
    if not yes and not confirm(
        f"Destroy every resource of stack {stack} (subscription {session.subscription_id}, resource group "
        f"{identity.resource_group}) and then purge its soft-deleted account and gateway? Participants lose access "
        "and nothing can be restored"
    ):
        console.print("Nothing destroyed.")
        return EXIT_PROBLEMS
    console.rule(f"pulumi destroy --stack {stack}")
    changes = destroy(stack, project_dir, lambda line: console.out(line.rstrip("\n"), highlight=False))
    console.rule("purge soft-deleted resources")
    purged: dict[str, Any] = {}
    try:
        code = purge.run_purge(
            session,
            yes=True,
            console=console,
            err_console=err_console,
            confirm=confirm,
            conflict_wait_s=wait,
            timeout=timeout,
            report_sink=purged,
        )
    except LabctlError as exc:
        raise type(exc)(f"{exc}\n{_purge_again(stack)}", exc.exit_code) from None
    if code != EXIT_OK:
        err_console.print(_purge_again(stack), highlight=False, markup=False)
    if as_json:
        from labctl.output import emit_json

        # Names, counts and outcomes only: nothing of the stack's outputs or config (no secrets) is in it.
        emit_json(
            {
                "stack": stack,
                "subscription": session.subscription_id,
                "resourceGroup": identity.resource_group,
                "destroyed": {"resourceChanges": dict(changes or {})},
                "purge": {"found": purged.get("found", []), "results": purged.get("results", [])},
                "exitCode": code,
            },
            report_output,
        )
    return code


def _purge_again(stack: str) -> str:
    return (
        f"The stack is destroyed, but the purge did not finish. Run `labctl purge --stack {stack}` again "
        "(it is idempotent) once the problem above is fixed."
    )
