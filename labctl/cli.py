"""labctl: the entry point. It assembles the commands (each lives in its package's command.py) and is the one
place a `LabctlError` is caught, printed and turned into the process's exit code (see labctl/errors.py).

Contract with `labctl diff` (labctl/review/revisions.py): to plan an older revision, today's labctl runs
`python -m labctl.cli plan --stack S --project-dir D --json F --quiet` with that revision's stacks/ and components/
on the path. So importing this module and running `plan` must import nothing from stacks/ except
`stacks.program.run` (which every revision has); command modules import their implementations inside the command
function. tests/labctl/review/test_revision_contract.py plans a revision from before this layout (aef20ce).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer._click.exceptions import ClickException
from typer.core import TyperGroup

from labctl import interrupt_state
from labctl.errors import EXIT_CODES_HELP, EXIT_INTERRUPTED, EXIT_PROBLEMS, LabctlError
from labctl.output import print_error


class LabctlGroup(TyperGroup):
    """Runs a command and turns what it raises into a message and an exit code: never a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:
        err = Console(stderr=True)
        try:
            return super().invoke(ctx)
        except LabctlError as exc:
            print_error(err, str(exc))
            if exc.details and ctx.params.get("verbose"):
                err.print(Text(exc.details), highlight=False)
            elif exc.details:
                err.print(Text("(`labctl --verbose ...` shows the details.)", style="dim"), highlight=False)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, typer.Abort):
            if not interrupt_state.interrupt_reported():
                interrupt_state.mark_reported()
                err.print(interrupt_state.INTERRUPTED_LINE, markup=False, highlight=False)
            ctx.exit(EXIT_INTERRUPTED)
        except (typer.Exit, ClickException):
            raise
        except Exception as exc:  # a bug: say so in one line, not with a traceback
            print_error(
                err,
                f"unexpected {type(exc).__name__}: {exc}. This is a bug in labctl; please report it with the "
                "command you ran.",
            )
            ctx.exit(EXIT_PROBLEMS)


app = typer.Typer(
    cls=LabctlGroup,
    help="Offline and operational commands for the aoai-lab Pulumi project.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    # `labctl --install-completion` / `--show-completion` (bash, zsh, fish, PowerShell).
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("aoai-lab")
        except PackageNotFoundError:  # run from a checkout that is not installed
            number = "unknown"
        typer.echo(f"labctl {number}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print labctl's version and exit."),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="On an error, also print what a library said at length (e.g. each sign-in method), and the "
            "Azure SDKs' own log messages (warnings, with tracebacks).",
        ),
    ] = False,
) -> None:
    """Offline and operational commands for the aoai-lab Pulumi project."""
    from labctl import sdk_logs

    sdk_logs.configure(verbose)


def _register() -> None:
    from labctl.classroom import command as classroom
    from labctl.classroom import handout_command
    from labctl.guardrails import command as guardrails
    from labctl.lifecycle import command as lifecycle
    from labctl.plan import command as plan
    from labctl.preflight import command as preflight
    from labctl.review import command as review

    app.command("plan", epilog=EXIT_CODES_HELP)(plan.plan)
    app.command("preflight", epilog=EXIT_CODES_HELP)(preflight.preflight)
    app.command("diff", epilog=EXIT_CODES_HELP)(review.diff)
    app.command("stacks", epilog=EXIT_CODES_HELP)(review.stacks)
    app.command("check", epilog=EXIT_CODES_HELP)(guardrails.check)
    app.command("smoke", epilog=EXIT_CODES_HELP)(lifecycle.smoke)
    app.command("purge", epilog=EXIT_CODES_HELP)(lifecycle.purge)
    app.command("down", epilog=EXIT_CODES_HELP)(lifecycle.down)
    app.add_typer(classroom.roster_app, name="roster")
    app.command("handout", epilog=EXIT_CODES_HELP)(handout_command.handout)
    app.add_typer(classroom.participant_app, name="participant")
    app.add_typer(classroom.class_app, name="class")
    app.command("usage", epilog=EXIT_CODES_HELP)(classroom.usage)


_register()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
