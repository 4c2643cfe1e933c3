"""`labctl preflight --class-tpm N` sizes the class with N tokens per minute only for participants without a limit
in config: aoai-lab:participantLimits and a participant's own `limits:` win (the option's help says so). Played
through the CLI against the fake Resource Manager."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from labctl.cli import app
from tests.support.fake_arm import SUBSCRIPTION, FakeArm


def _edit(project: Path, change) -> None:
    path = project / "Pulumi.dev.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["config"])
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _class_line(project: Path, arm: FakeArm) -> str:
    argv = [
        "preflight",
        "--project-dir",
        str(project),
        "--arm-endpoint",
        arm.base_url,
        "--subscription",
        SUBSCRIPTION,
    ]
    result = CliRunner().invoke(
        app, [*argv, "--class-tpm", "60000", "--class-share", "1"], env={"COLUMNS": "300"}
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    return text[text.index("Class: ") :].split(" per chat deployment")[0]


def _student02_limit(config: dict) -> None:
    config["aoai-lab:participants"][1]["limits"] = {"tokensPerMinute": 4000}


def test_configured_limits_win_over_class_tpm(project, preflight_arm, preflight_signed_in):
    # participantLimits gives student01 10,000; student02 has 4,000 of its own: --class-tpm 60000 counts for neither.
    _edit(project, _student02_limit)
    assert _class_line(project, preflight_arm).startswith(
        "Class: 2 participants x 7,000 tokens/min x share 1 = 14,000 tokens/min"
    )


def test_class_tpm_counts_only_for_participants_without_a_limit(project, preflight_arm, preflight_signed_in):
    # No participantLimits: student01 has no limit (60,000 from --class-tpm), student02 keeps its own 4,000.
    _edit(project, lambda c: (c.pop("aoai-lab:participantLimits"), _student02_limit(c)))
    assert _class_line(project, preflight_arm).startswith(
        "Class: 2 participants x 32,000 tokens/min x share 1 = 64,000 tokens/min"
    )
