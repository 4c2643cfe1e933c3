"""Class sizing: participants x tokens-per-minute x concurrency share -> capacity."""

from __future__ import annotations

import pytest

from labctl.preflight.sizing import DEFAULT_SHARE, SizingError, class_size, settle_note, sized_capacity


def test_thirty_students_at_10k_tpm_with_the_default_share():
    size = class_size(30, 10_000)
    assert DEFAULT_SHARE == 0.5
    assert size.tokens_needed == 150_000
    assert size.capacity == 150
    assert (
        size.explanation
        == "30 participants x 10,000 tokens/min x share 0.5 = 150,000 tokens/min -> capacity 150"
    )


def test_capacity_rounds_up_to_whole_units():
    assert class_size(3, 1_000, 0.3).capacity == 1  # 900 tokens -> 1 unit
    assert class_size(7, 3_000, 0.5).capacity == 11  # 10,500 -> 11


def test_sizing_raises_a_too_small_capacity_but_never_lowers_one():
    size = class_size(40, 5_000, 0.5)  # 100 units
    assert sized_capacity(50, size, "GlobalStandard") == (
        100,
        "raised from 50 for the class: " + size.explanation,
    )
    assert sized_capacity(200, size, "GlobalStandard") == (200, None)
    # Provisioned SKUs are not counted in thousands of TPM.
    assert sized_capacity(15, size, "ProvisionedManaged") == (15, None)


def test_settling_for_less_says_what_a_participant_gets():
    size = class_size(40, 5_000, 0.5)
    note = settle_note("chat", 100, 60, size)
    assert note is not None
    assert note.startswith("chat: settles for capacity 60 of the 100 aimed for")
    assert "3,000 tokens/min per active participant" in note
    assert settle_note("chat", 100, 100, size) is None


@pytest.mark.parametrize(
    ("p", "tpm", "share", "match"),
    [
        (-1, 1000, 0.5, "participants"),
        (3, 0, 0.5, "tokens-per-minute"),
        (3, 10, 0, "--class-share"),
        (3, 10, 1.5, "--class-share"),
    ],
)
def test_bad_input_names_the_option(p, tpm, share, match):
    with pytest.raises(SizingError, match=match):
        class_size(p, tpm, share)


def test_class_from_settings_uses_each_participants_effective_limit():
    from types import SimpleNamespace

    from labctl.preflight.sizing import class_size_from_settings

    people = [SimpleNamespace(name=f"s{i}") for i in range(4)]
    own = {"s0": 20_000}
    settings = SimpleNamespace(
        participants=people,
        limits_of=lambda p: SimpleNamespace(tokens_per_minute=own.get(p.name, 10_000)),
    )
    size = class_size_from_settings(settings, share=0.5)
    assert size is not None
    assert size.tokens_needed == 25_000  # (20k + 3 x 10k) x 0.5
    assert size.capacity == 25
    # No limits known and no default: nothing to size; with a default, it sizes.
    bare = SimpleNamespace(participants=people)
    assert class_size_from_settings(bare) is None
    assert class_size_from_settings(bare, default_tpm=1_000).capacity == 2
    assert class_size_from_settings(SimpleNamespace(participants=())) is None
