"""Options several commands share, so they read and behave the same everywhere."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labctl.project import PROJECT_DIR

StackOption = Annotated[
    str | None,
    typer.Option(
        "--stack",
        "-s",
        help="Stack name: reads Pulumi.<stack>.yaml. Default: LABCTL_STACK, else the Pulumi CLI's selected stack, "
        "else the only stack file.",
        show_default=False,
    ),
]
ProjectDirOption = Annotated[
    Path, typer.Option("--project-dir", help="Folder holding Pulumi.yaml.", show_default=False)
]
ArmEndpointOption = Annotated[
    str | None,
    typer.Option("--arm-endpoint", help="Resource Manager URL (default: from azure-native:environment)."),
]
DeletingSubscriptionOption = Annotated[
    str | None,
    typer.Option(
        "--subscription",
        help="Subscription id of the lab. Default: AZURE_SUBSCRIPTION_ID (never a guess: this command deletes).",
    ),
]
DEFAULT_PROJECT_DIR = PROJECT_DIR


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


class ReportFormat(StrEnum):
    """Commands whose report is a terminal table: text, or json for machines."""

    text = "text"
    json = "json"


# Enum values are matched without regard to case everywhere (`--format JSON` works), and printed lower-case.
FormatOption = Annotated[
    Format,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        help="text for a terminal, markdown for a pull request comment, json for machines.",
    ),
]
ReportFormatOption = Annotated[
    ReportFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="text for a terminal, json for machines."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write the report to this file instead of stdout (`-`: stdout)."),
]


DEFAULT_TIMEOUT_S = 120.0
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--timeout",
        min=1,
        help="Seconds the whole command may spend talking to Azure; what is not done by then is reported as not "
        "checked (exit 4).",
    ),
]
