"""labctl: offline and operational commands for aoai-lab."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from labctl.review.command import register as register_review
from labctl.project import PROJECT_DIR

app = typer.Typer(
    help="Offline and operational commands for the aoai-lab Pulumi project.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

StackOption = Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")]
ProjectDirOption = Annotated[
    Path, typer.Option("--project-dir", help="Folder holding Pulumi.yaml.", show_default=False)
]


@app.callback()
def _root() -> None:
    """Offline and operational commands for the aoai-lab Pulumi project."""


@app.command()
def plan(
    stack: StackOption = "dev",
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Write a deterministic snapshot (pulumi stack export shape)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
    project_dir: ProjectDirOption = PROJECT_DIR,
) -> None:
    """Render what `pulumi up` would declare, offline: the real program under Pulumi's mock runtime."""
    from labctl.plan.runtime import PlanError, plan_stack
    from labctl.plan.render import render_plan

    try:
        result = plan_stack(stack, project_dir)
    except (PlanError, FileNotFoundError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(result.to_json(), encoding="utf-8")
    if quiet:
        azure = sum(1 for r in result.resources if r["type"].startswith("azure-native:"))
        console.print(f"{azure} Azure resources would be created for stack {stack}.")
        for warning in result.warnings:
            err_console.print(f"warning: {warning}", markup=False, highlight=False)
    else:
        render_plan(result, console)
    if json_file is not None:
        console.print(f"Snapshot written to {json_file}")


@app.command()
def preflight(
    stack: StackOption = "dev",
    subscription: Annotated[
        str | None,
        typer.Option(
            "--subscription",
            help="Subscription id. Default: AZURE_SUBSCRIPTION_ID, else the Azure CLI's (`az account show`).",
        ),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Pin the region, SKUs and capacities in Pulumi.<stack>.yaml.")
    ] = False,
    allow_unknown: Annotated[
        bool,
        typer.Option(
            "--allow-unknown",
            help="With --write: pin even though a preferred (or the pinned) region could not be checked.",
        ),
    ] = False,
    move: Annotated[
        bool,
        typer.Option(
            "--move",
            help="With --write: pin a region other than the pinned one (replaces the account: new endpoint, keys).",
        ),
    ] = False,
    availability: Annotated[
        Path | None, typer.Option("--availability", help="Read a saved snapshot instead of Azure.")
    ] = None,
    save_availability: Annotated[
        Path | None, typer.Option("--save-availability", help="Save what was read, for review or a re-run.")
    ] = None,
    arm_endpoint: Annotated[
        str | None,
        typer.Option("--arm-endpoint", help="Resource Manager URL (default: from azure-native:environment)."),
    ] = None,
    project_dir: ProjectDirOption = PROJECT_DIR,
) -> None:
    """Find the first candidate region where the whole lab fits the quota; exit 0 fits, 2 none fits, 1 error or
    not known (a region could not be checked)."""
    from labctl.preflight.command import run_preflight

    raise typer.Exit(
        run_preflight(
            stack,
            project_dir=project_dir,
            subscription=subscription,
            write=write,
            allow_unknown=allow_unknown,
            move=move,
            availability_file=availability,
            save_availability=save_availability,
            arm_endpoint=arm_endpoint,
        )
    )


# ---- lab lifecycle: smoke, purge, down (labctl/smoke.py, labctl/purge.py, labctl/down.py) ----

SubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Subscription id of the lab. Default: AZURE_SUBSCRIPTION_ID (never a guess: this command purges).",
    ),
]
ArmEndpointOption = Annotated[
    str | None,
    typer.Option("--arm-endpoint", help="Resource Manager URL (default: from azure-native:environment)."),
]


def _confirm(question: str) -> bool:
    return typer.confirm(question, default=False)


@app.command()
def smoke(
    stack: StackOption = "dev",
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
    timeout: Annotated[float, typer.Option("--timeout", min=1, help="Seconds per call.")] = 60.0,
    project_dir: ProjectDirOption = PROJECT_DIR,
) -> None:
    """Call every deployment with every participant's key through the gateway; exit 1 if any call fails."""
    from labctl.lifecycle.smoke import smoke_command

    raise typer.Exit(
        smoke_command(
            stack=stack,
            outputs_file=outputs,
            direct=direct,
            concurrency=concurrency,
            retries=retries,
            timeout=timeout,
            project_dir=project_dir,
            console=console,
            err_console=err_console,
        )
    )


@app.command()
def purge(
    stack: StackOption = "dev",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Purge without asking.")] = False,
    subscription: SubscriptionOption = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to keep retrying items Azure is still deleting (409)."),
    ] = 0.0,
    arm_endpoint: ArmEndpointOption = None,
    project_dir: ProjectDirOption = PROJECT_DIR,
) -> None:
    """Purge the lab's soft-deleted Azure OpenAI accounts and API Management services (after `pulumi destroy`)."""
    from rich.markup import escape

    from labctl.azure.transport import AzureAccessError
    from labctl.lifecycle.purge import purge_runner

    try:
        run = purge_runner(
            stack, project_dir, subscription, arm_endpoint, yes, console, err_console, _confirm
        )
        code = run(wait)
    except AzureAccessError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def down(
    stack: StackOption = "dev",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Destroy and purge without asking.")] = False,
    subscription: SubscriptionOption = None,
    wait: Annotated[
        float,
        typer.Option("--wait", min=0, help="Seconds to keep retrying purges Azure is still deleting (409)."),
    ] = 300.0,
    arm_endpoint: ArmEndpointOption = None,
    project_dir: ProjectDirOption = PROJECT_DIR,
) -> None:
    """`pulumi destroy` the stack (Automation API; needs the Pulumi CLI), then purge what it soft-deleted."""
    from labctl.lifecycle.down import down_command
    from labctl.lifecycle.purge import purge_runner

    def prepare_purge():
        run = purge_runner(
            stack, project_dir, subscription, arm_endpoint, True, console, err_console, _confirm
        )
        return lambda: run(wait)

    raise typer.Exit(
        down_command(
            stack=stack,
            project_dir=project_dir,
            yes=yes,
            console=console,
            err_console=err_console,
            confirm=_confirm,
            prepare_purge=prepare_purge,
        )
    )


# `labctl diff` and `labctl check` (reviewing changes) live in labctl/review.py.
register_review(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
