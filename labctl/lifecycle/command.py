"""`labctl smoke`, `labctl purge` and `labctl down`: the deployed lab after `pulumi up`.

purge and down delete for good: they print the stack, subscription and resource group they act on and ask for
the stack's name to be typed; `--yes` skips that only together with an explicit `--stack`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labctl.context import CommandContext
from labctl.options import (
    DEFAULT_PROJECT_DIR,
    ArmEndpointOption,
    DeletingSubscriptionOption,
    OutputOption,
    ProjectDirOption,
    ReportFormat,
    ReportFormatOption,
    StackOption,
)


def smoke(
    stack: StackOption = None,
    outputs: Annotated[
        Path | None,
        typer.Option(
            "--outputs",
            help="Stack outputs from `pulumi stack output --json --show-secrets` (default: ask the Pulumi CLI).",
        ),
    ] = None,
    direct: Annotated[
        bool,
        typer.Option("--direct", help="Call the account with your Entra ID sign-in instead of the gateway."),
    ] = False,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Calls in flight at once.")
    ] = 20,
    retries: Annotated[
        int,
        typer.Option("--retries", min=0, max=10, help="Retries per call on 429/503 (honours Retry-After)."),
    ] = 3,
    call_timeout: Annotated[float, typer.Option("--call-timeout", min=1, help="Seconds per call.")] = 60.0,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=1,
            help="Seconds one round of calls may take (each --wait round gets its own); calls not started by then "
            "are reported as not run.",
        ),
    ] = 600.0,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            metavar="MINUTES",
            min=0,
            max=120,
            help="Keep retrying up to MINUTES while the gateway's identity is still denied (role assignments take "
            "minutes to propagate after `pulumi up`); report how long it took.",
        ),
    ] = 0.0,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Call every deployment with every participant's key through the gateway; exit 1 if any call fails."""
    from labctl.lifecycle.smoke import smoke_command

    # The outputs come from Pulumi's state (or --outputs), so the stack file need not be here.
    ctx = CommandContext.create(stack, project_dir, need_file=False)
    raise typer.Exit(
        smoke_command(
            stack=ctx.stack,
            outputs_file=outputs,
            direct=direct,
            concurrency=concurrency,
            retries=retries,
            timeout=min(call_timeout, timeout),
            deadline_s=timeout,
            project_dir=ctx.project_dir,
            console=ctx.console,
            err_console=ctx.err_console,
            wait_minutes=wait,
            report_format=fmt.value,
            report_output=output,
        )
    )


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (needs an explicit --stack).")]
PurgeTimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        help="Seconds the purge may spend talking to Azure (listing, purging, polling, --wait retries); a purge "
        "Azure has not finished by then is reported as not finished (exit 4).",
    ),
]


def purge(
    stack: StackOption = None,
    yes: YesOption = False,
    subscription: DeletingSubscriptionOption = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to keep retrying items Azure is still deleting (409)."),
    ] = 0.0,
    arm_endpoint: ArmEndpointOption = None,
    timeout: PurgeTimeoutOption = 900.0,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """Purge the lab's soft-deleted Azure OpenAI accounts and API Management services (after `pulumi destroy`)."""
    from labctl.lifecycle.purge import prepare_purge, run_purge

    # After `pulumi stack rm` the stack file is gone; the lab is still known by project and stack.
    ctx = CommandContext.create(stack, project_dir, need_file=False)
    if fmt is ReportFormat.json and not yes:
        from labctl.errors import UsageError

        raise UsageError("--format json goes with --yes (the confirmation question would mix with the JSON)")
    if yes:
        ctx.require_explicit_stack_for_yes("purge")
    session = prepare_purge(ctx.identity, subscription, arm_endpoint)
    raise typer.Exit(
        run_purge(
            session,
            yes=yes,
            console=ctx.console,
            err_console=ctx.err_console,
            confirm=ctx.confirm_by_stack_name,
            conflict_wait_s=wait,
            timeout=timeout,
            report_format=fmt.value,
            report_output=output,
        )
    )


def down(
    stack: StackOption = None,
    yes: YesOption = False,
    subscription: DeletingSubscriptionOption = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to keep retrying purges Azure is still deleting (409)."),
    ] = 300.0,
    arm_endpoint: ArmEndpointOption = None,
    timeout: PurgeTimeoutOption = 900.0,
    fmt: ReportFormatOption = ReportFormat.text,
    output: OutputOption = None,
    project_dir: ProjectDirOption = DEFAULT_PROJECT_DIR,
) -> None:
    """`pulumi destroy` the stack (Automation API; needs the Pulumi CLI), then purge what it soft-deleted (the
    --timeout bounds the purge; `pulumi destroy` runs as long as Pulumi needs)."""
    from labctl.lifecycle.down import down_command

    ctx = CommandContext.create(stack, project_dir)
    if fmt is ReportFormat.json and not yes:
        from labctl.errors import UsageError

        raise UsageError("--format json goes with --yes (the confirmation question would mix with the JSON)")
    if yes:
        ctx.require_explicit_stack_for_yes("down")
    raise typer.Exit(
        down_command(
            identity=ctx.identity,
            project_dir=ctx.project_dir,
            subscription=subscription,
            arm_endpoint=arm_endpoint,
            yes=yes,
            wait=wait,
            console=ctx.console,
            err_console=ctx.err_console,
            confirm=ctx.confirm_by_stack_name,
            timeout=timeout,
            report_format=fmt.value,
            report_output=output,
        )
    )
