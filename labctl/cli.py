"""labctl: offline and operational commands for aoai-lab."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stacks.config_source import PROJECT_DIR

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
    from labctl.plan import PlanError, plan_stack
    from labctl.render import render_plan

    try:
        result = plan_stack(stack, project_dir)
    except (PlanError, FileNotFoundError) as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(result.to_json(), encoding="utf-8")
    if quiet:
        custom = sum(1 for r in result.resources if r["custom"])
        console.print(f"{custom} Azure resources would be created for stack {stack}.")
    else:
        render_plan(result, console)
    if json_file is not None:
        console.print(f"Snapshot written to {json_file}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
