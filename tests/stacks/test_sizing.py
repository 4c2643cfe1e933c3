"""Class sizing, one module for plan, check and preflight (stacks/sizing.py): the same class gets the same figure
from all three, suspended participants draw nothing, `--class-tpm` only fills in where config has no limit, and
embeddings, speech and catalog deployments are not sized as chat."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from labctl.project import read_stack_config
from stacks.config.load import load_settings
from stacks.config.source import split_config
from stacks.sizing import (
    DEFAULT_SHARE,
    SizingError,
    class_size,
    class_sizing_warnings,
    is_sized,
    settle_note,
    sized_capacity,
)
from tests.support.catalog_model import FOUNDRY_MODEL


def _settings(participants: int = 30, tpm: int | None = 10_000, **changes: Any):
    raw, _ = split_config(read_stack_config("dev")[0])
    raw = copy.deepcopy(raw)
    raw["participants"] = [{"name": f"s{i:02d}", "email": f"s{i:02d}@uni.edu"} for i in range(participants)]
    raw["participantLimits"] = {"tokensPerMinute": tpm} if tpm else None
    raw.update(changes)
    raw = {k: v for k, v in raw.items() if v is not None}
    return load_settings(raw, resource_group_location="eastus2")


def test_thirty_students_at_10k_need_150_units_with_the_default_share():
    size = class_size(_settings())
    assert DEFAULT_SHARE == 0.5
    assert (size.participants, size.total_tpm, size.tokens_needed, size.capacity) == (
        30,
        300_000,
        150_000,
        150,
    )
    assert (
        size.explanation
        == "30 participants x 10,000 tokens/min x share 0.5 = 150,000 tokens/min -> capacity 150"
    )


def test_plan_check_and_preflight_say_the_same_figure():
    """The bug: check said 290 (share 1) while preflight said 145 (share 0.5) for one class."""
    from labctl.preflight.azure_step import size_class

    settings = _settings()
    (warning,) = [w for w in class_sizing_warnings(settings) if "class needs" in w]
    assert "has capacity 50 (50,000 tokens/min) but the class needs 150" in warning
    assert "aoai-lab:deployments[chat].capacity to 150" in warning
    sized, size, notes = size_class(settings, DEFAULT_SHARE, None)
    assert size == class_size(settings)
    assert {d.name: d.capacity for d in sized.deployments} == {"chat": 150, "embeddings": 50}
    assert notes[0] == f"Class: {size.explanation} per chat deployment."


def test_suspended_participants_draw_nothing():
    settings = _settings(participants=4)
    raw_participants = [
        p.model_copy(update={"state": "suspended"}) if p.name == "s00" else p for p in settings.participants
    ]
    size = class_size(settings.model_copy(update={"participants": tuple(raw_participants)}))
    assert (size.participants, size.total_tpm) == (3, 30_000)


def test_class_tpm_only_fills_in_where_config_has_no_limit():
    limited = _settings(participants=4, tpm=10_000)
    assert class_size(limited, class_tpm=99_000).total_tpm == 40_000  # what the gateway enforces wins
    unlimited = _settings(participants=4, tpm=None)
    assert class_size(unlimited) is None  # nothing to size without a budget
    assert class_size(unlimited, class_tpm=5_000).total_tpm == 20_000
    with pytest.raises(SizingError, match="--class-tpm"):
        class_size(unlimited, class_tpm=0)
    with pytest.raises(SizingError, match="--class-share"):
        class_size(limited, share=1.5)


def test_embeddings_speech_and_catalog_models_are_not_sized_as_chat():
    extra = [
        {
            "name": "speech",
            "model": "gpt-4o-mini-tts",
            "version": "2025-12-15",
            "sku": "GlobalStandard",
            "capacity": 1,
        },
        FOUNDRY_MODEL,
    ]
    raw, _ = split_config(read_stack_config("dev")[0])
    settings = _settings(deployments=[*copy.deepcopy(raw["deployments"]), *extra], accountKind="AIServices")
    assert [d.name for d in settings.deployments if is_sized(d)] == ["chat"]
    warned = [w for w in class_sizing_warnings(settings) if "class needs" in w]
    assert [w.split("'")[1] for w in warned] == ["chat"]


def test_no_limit_at_all_is_a_warning_of_its_own():
    (warning,) = class_sizing_warnings(_settings(participants=10, tpm=None))
    assert warning.startswith(
        "10 participant(s) and no tokens-per-minute limit: one participant can use all of"
    )
    assert warning.endswith(
        "Fix: set aoai-lab:participantLimits.tokensPerMinute (e.g. 5,000, its capacity / participants)"
    )


def test_a_class_that_fits_gets_no_warning():
    assert class_sizing_warnings(_settings(participants=10, tpm=10_000)) == []  # needs 50, has 50


def test_preflight_raises_but_never_lowers_and_says_what_settling_means():
    size = class_size(_settings(participants=40, tpm=5_000))  # 100 units
    assert sized_capacity(50, size, "GlobalStandard") == (
        100,
        "raised from 50 for the class: " + size.explanation,
    )
    assert sized_capacity(200, size, "GlobalStandard") == (200, None)
    assert sized_capacity(15, size, "ProvisionedManaged") == (15, None)
    note = settle_note("chat", 100, 60, size)
    assert note is not None and note.startswith("chat: settles for capacity 60 of the 100 aimed for")
    assert "3,000 tokens/min per active participant" in note


def test_plan_and_check_print_it(project, no_pulumi) -> None:
    import yaml
    from typer.testing import CliRunner

    from labctl.cli import app

    path = project / "Pulumi.dev.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["config"]["aoai-lab:participants"] = [
        {"name": f"s{i:02d}", "email": f"s{i:02d}@uni.edu"} for i in range(30)
    ]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    for command in (["plan", "--quiet"], ["check"]):
        result = CliRunner().invoke(app, [*command, "--project-dir", str(project)])
        text = " ".join(result.output.split())
        # 30 x 10,000 (the dev stack's participantLimits) x 0.5 against 50 units.
        assert "but the class needs 150: 30 participants x 10,000 tokens/min x share 0.5" in text, (
            command,
            text,
        )
