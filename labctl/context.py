"""What every command starts from: the project folder, the stack, its settings, the cloud, consoles, confirmation.

A command builds one `CommandContext` (`CommandContext.create(...)`) from its --stack and --project-dir options and
passes it down; nothing below the command reads options, the environment or the terminal on its own.

Which stack (`resolve_stack`): --stack, else LABCTL_STACK, else the stack the Pulumi CLI has selected for this
project (when `pulumi` is on PATH), else the only Pulumi.<stack>.yaml, else a config error listing the stacks.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from labctl.errors import ConfigError, UsageError
from labctl.processes import run_tool
from labctl.project import PROJECT_DIR, lab_identity, load_stack_settings, stack_file, stack_names

if TYPE_CHECKING:
    from stacks.config.sections import LabSettings
    from stacks.facts.clouds import Cloud
    from stacks.naming import LabIdentity

STACK_ENV = "LABCTL_STACK"
PULUMI_SELECTED_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class StackChoice:
    name: str
    source: str  # "--stack", "LABCTL_STACK", "the Pulumi CLI's selected stack", "the only stack file"

    @property
    def explicit(self) -> bool:
        return self.source == "--stack"


def _listing(project_dir: Path) -> str:
    names = stack_names(project_dir)
    return ", ".join(names) if names else f"none (no Pulumi.<stack>.yaml in {project_dir})"


def pulumi_selected_stack(project_dir: Path) -> str | None:
    """The stack `pulumi stack select` chose for this project, or None when it is not known (no CLI, no
    selection, no backend login, a timeout: any failure)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        return None
    try:
        proc = run_tool(
            [pulumi, "stack", "--show-name", "--non-interactive"],
            cwd=project_dir,
            timeout=PULUMI_SELECTED_TIMEOUT_S,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    name = proc.stdout.strip().splitlines()[-1].strip() if proc.stdout.strip() else ""
    # A fully qualified name (org/project/stack) ends with the stack's own name.
    name = name.rsplit("/", 1)[-1]
    return name if proc.returncode == 0 and name else None


def resolve_stack(explicit: str | None, project_dir: Path, *, need_file: bool = True) -> StackChoice:
    """The stack a command acts on (see the module docstring). `need_file=False` accepts a named stack whose
    file is gone (`labctl purge` after `pulumi stack rm`)."""
    named = [(explicit, "--stack"), (os.environ.get(STACK_ENV, "").strip() or None, STACK_ENV)]
    for value, source in named:
        if value:
            if need_file and not stack_file(value, project_dir).exists():
                raise ConfigError(
                    f"stack '{value}' (from {source}) has no Pulumi.{value}.yaml in {project_dir}. "
                    f"Fix: use one of the stacks there: {_listing(project_dir)}"
                )
            return StackChoice(value, source)
    selected = pulumi_selected_stack(project_dir)
    if selected and (not need_file or stack_file(selected, project_dir).exists()):
        return StackChoice(selected, "the Pulumi CLI's selected stack")
    names = stack_names(project_dir)
    if len(names) == 1:
        return StackChoice(names[0], "the only stack file")
    raise ConfigError(
        f"which stack? Fix: pass --stack <name> (or set {STACK_ENV}, or `pulumi stack select <name>`); "
        f"stacks here: {_listing(project_dir)}"
    )


def ask(question: str) -> str:
    return typer.prompt(question, default="", show_default=False)


@dataclass
class CommandContext:
    project_dir: Path
    stack: str
    stack_source: str
    console: Console = field(default_factory=Console)
    err_console: Console = field(default_factory=lambda: Console(stderr=True))
    # Reads an answer from the user (tests pass their own).
    prompt: Any = ask

    @classmethod
    def create(
        cls,
        stack: str | None,
        project_dir: Path = PROJECT_DIR,
        *,
        need_file: bool = True,
        console: Console | None = None,
        err_console: Console | None = None,
    ) -> CommandContext:
        choice = resolve_stack(stack, project_dir, need_file=need_file)
        return cls(
            project_dir=project_dir,
            stack=choice.name,
            stack_source=choice.source,
            console=console or Console(),
            err_console=err_console or Console(stderr=True),
        )

    @property
    def stack_explicit(self) -> bool:
        return self.stack_source == "--stack"

    @functools.cached_property
    def settings(self) -> LabSettings:
        """The stack's validated settings, what commands read (never raw `ns:key` values): a ConfigError, exit 3,
        lists every problem; a StackFileError names file, line, column and fix when the file cannot be read.
        Read once per command: a command that edits the stack file reads it again through a new context."""
        from stacks.config.load import ConfigError as SettingsError

        try:
            settings = load_stack_settings(self.stack, self.project_dir)
        except FileNotFoundError as exc:
            raise ConfigError(str(exc)) from None
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
        from labctl.output import print_note

        for skipped in settings.skipped_checks:
            print_note(self.err_console, skipped)
        return settings

    @functools.cached_property
    def identity(self) -> LabIdentity:
        """Project, stack and cloud: readable even when the stack file is gone."""
        return lab_identity(self.stack, self.project_dir)

    @property
    def environment(self) -> str:
        return self.identity.environment

    @property
    def cloud(self) -> Cloud:
        from labctl.azure.signin import cloud

        return cloud(self.environment)

    def confirm(self, question: str) -> bool:
        """Yes/no (default no)."""
        return typer.confirm(question, default=False)

    def require_explicit_stack_for_yes(self, command: str) -> None:
        if not self.stack_explicit:
            raise UsageError(
                f"`labctl {command} --yes` acts without asking, so it needs the stack named on the command line. "
                f"Fix: add --stack {self.stack} (the stack it would act on, from {self.stack_source})"
            )

    def confirm_by_stack_name(self, action: str) -> bool:
        """Ask for the stack's name to be typed: the answer must be exactly the stack's name."""
        answer = self.prompt(f"{action}\nType the stack name ({self.stack}) to go on, anything else to stop")
        return str(answer).strip() == self.stack
