"""The stack-file reader: what the Pulumi CLI would pass to the program, or a problem with line, column and fix."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from labctl.stackfile import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    MAX_FILE_BYTES,
    Encrypted,
    StackFileError,
    parse_stack_text,
    plain,
    read_project_name,
    read_stack_file,
)

PROJECT_DIR = Path(__file__).resolve().parents[3]
NAME = Path("Pulumi.dev.yaml")


def parse(text: str | bytes):
    return parse_stack_text(text, path=NAME, project="aoai-lab")


def problems(text: str | bytes) -> list[str]:
    with pytest.raises(StackFileError) as info:
        parse(text)
    return [p.render(NAME.name) for p in info.value.problems]


def only_problem(text: str | bytes) -> str:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


# ---- what valid files give -------------------------------------------------------------------------------------


def test_the_dev_stack_reads_as_the_cli_passes_it() -> None:
    config = read_stack_file(PROJECT_DIR / "Pulumi.dev.yaml", project=read_project_name(PROJECT_DIR))
    flat = config.flat()
    assert flat["azure-native:location"] == "eastus2"
    assert flat["aoai-lab:owner"] == "ana.garcia@contoso.edu"
    # Scalars reach the program as their text; structures as JSON.
    assert flat["aoai-lab:logRetentionDays"] == "30"
    assert json.loads(flat["aoai-lab:deployments"])[0]["capacity"] == 50
    assert config.secrets == ()


def test_scalars_keep_their_text_and_structures_follow_yaml_1_2() -> None:
    config = parse(
        "config:\n"
        "  aoai-lab:capacity: 010\n"  # the CLI passes "010", not 8
        "  aoai-lab:expiresOn: 2026-12-1\n"
        "  aoai-lab:empty:\n"
        "  aoai-lab:flag: yes\n"
        "  aoai-lab:nested: {a: yes, b: 12, c: 2026-01-02, d: true, e: null}\n"
    )
    assert config.values["aoai-lab:capacity"] == "010"
    assert config.values["aoai-lab:expiresOn"] == "2026-12-1"
    assert config.values["aoai-lab:empty"] == ""
    assert config.values["aoai-lab:flag"] == "yes"
    # `yes` is text in YAML 1.2 (the CLI's decoder); dates inside structures stay text.
    assert config.values["aoai-lab:nested"] == {"a": "yes", "b": 12, "c": "2026-01-02", "d": True, "e": None}


def test_unqualified_and_legacy_keys_belong_to_the_project() -> None:
    config = parse("config:\n  owner: a@b.co\n  aoai-lab:config:labName: x\n")
    assert config.namespace("aoai-lab") == {"owner": "a@b.co", "labName": "x"}


def test_an_empty_file_or_config_is_an_empty_config() -> None:
    assert parse("").values == {}
    assert parse("config:\n").values == {}
    assert parse("# only a comment\n").values == {}


def test_merge_keys_apply_with_explicit_keys_winning() -> None:
    config = parse(
        "config:\n"
        "  aoai-lab:deployments:\n"
        "    - &chat {name: chat, sku: GlobalStandard, capacity: 10}\n"
        "    - <<: *chat\n"
        "      name: chat2\n"
    )
    assert config.values["aoai-lab:deployments"][1] == {
        "sku": "GlobalStandard",
        "capacity": 10,
        "name": "chat2",
    }


def test_positions_point_at_values_for_later_messages() -> None:
    config = parse("config:\n  aoai-lab:participants:\n    - name: a\n      email: bad\n")
    assert config.where("aoai-lab:participants[0].email") == "Pulumi.dev.yaml, line 4, column 14"
    # A path below a scalar falls back to the nearest known parent.
    assert config.where("aoai-lab:participants[0].email.x") == "Pulumi.dev.yaml, line 4, column 14"
    assert config.where("aoai-lab:missing") == "Pulumi.dev.yaml"


# ---- secrets ---------------------------------------------------------------------------------------------------


def test_secure_values_become_encrypted_markers_top_level_and_nested() -> None:
    # What `pulumi config set --secret` and `--path --secret` write.
    config = parse(
        "config:\n"
        "  aoai-lab:owner:\n"
        "    secure: v1:AAABAKxq0sFJ\n"
        "  aoai-lab:participants:\n"
        "    - name: student01\n"
        "      email:\n"
        "        secure: v1:Zm9vYmFy\n"
    )
    assert config.values["aoai-lab:owner"] == Encrypted("v1:AAABAKxq0sFJ")
    assert isinstance(config.values["aoai-lab:participants"][0]["email"], Encrypted)
    assert config.secrets == ("aoai-lab:owner", "aoai-lab:participants[0].email")
    assert config.secret_keys() == ["aoai-lab:owner", "aoai-lab:participants"]
    flat = config.flat()
    assert flat["aoai-lab:owner"] == "[secret]"
    assert json.loads(flat["aoai-lab:participants"]) == [{"name": "student01", "email": "[secret]"}]
    # The ciphertext never shows up in text meant for people.
    assert "Zm9v" not in repr(config.values) and "AAAB" not in str(plain(config.values))


def test_secure_with_a_non_text_value_or_extra_keys_is_an_ordinary_mapping() -> None:
    # The CLI's isSecureValue: exactly one key `secure` whose value is a string.
    config = parse("config:\n  aoai-lab:a: {secure: 12}\n  aoai-lab:b: {secure: x, other: y}\n")
    assert config.values["aoai-lab:a"] == {"secure": 12}
    assert config.values["aoai-lab:b"] == {"secure": "x", "other": "y"}
    assert config.secrets == ()


# ---- syntax ----------------------------------------------------------------------------------------------------


def test_a_tab_is_named_with_its_position() -> None:
    assert only_problem("config:\n\taoai-lab:owner: x\n") == (
        "Pulumi.dev.yaml, line 2, column 1: YAML syntax: a tab character where YAML expects indentation or a "
        "value. Fix: indent with spaces, never tabs"
    )


def test_a_key_indented_less_than_its_siblings() -> None:
    message = only_problem("config:\n  aoai-lab:owner: a\n aoai-lab:labName: b\n")
    assert message.startswith(
        "Pulumi.dev.yaml, line 3, column 2: YAML syntax: this line is indented differently"
    )
    assert "Fix: indent keys of the same mapping" in message


def test_a_key_indented_deeper_than_its_siblings() -> None:
    message = only_problem("config:\n  aoai-lab:owner: a\n    aoai-lab:labName: b\n")
    assert "line 3" in message and "Fix: quote the value, or align the key" in message


def test_an_unclosed_quote() -> None:
    message = only_problem('config:\n  aoai-lab:owner: "ana@contoso.edu\n')
    assert "a quote or bracket is opened but never closed" in message and "Fix: close the quote" in message


def test_two_documents_and_undefined_aliases() -> None:
    assert "more than one YAML document" in only_problem("config: {}\n---\nconfig: {}\n")
    assert "line 2, column 15" in only_problem("config:\n  aoai-lab:x: *nowhere\n")


def test_not_utf8_names_the_position() -> None:
    message = only_problem(b"config:\n  aoai-lab:owner: caf\xe9\n")
    assert message == (
        "Pulumi.dev.yaml, line 2, column 22: is not UTF-8 text. Fix: save the file as UTF-8 (without this byte)"
    )


def test_a_control_character() -> None:
    assert "line 2, column 20" in only_problem("config:\n  aoai-lab:owner: a\x07b\n")


def test_python_tags_are_refused_not_executed() -> None:
    message = only_problem("config:\n  aoai-lab:x: [!!python/object/apply:os.system [echo hi]]\n")
    assert "line 2" in message


# ---- shape -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("just text\n", "single value")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    message = only_problem(text)
    assert message.startswith(f"Pulumi.dev.yaml, line 1, column 1: the top level is a {kind}, not a mapping.")
    assert "Fix: start the file with `config:`" in message


@pytest.mark.parametrize(
    ("text", "kind"), [("config:\n  - aoai-lab:owner: a\n", "list"), ("config: 3\n", "single value")]
)
def test_config_must_be_a_mapping(text: str, kind: str) -> None:
    message = only_problem(text)
    assert f"`config:` is a {kind}, not a mapping" in message and "line " in message


def test_a_misspelled_config_section() -> None:
    assert only_problem("confg:\n  aoai-lab:owner: a\n") == (
        "Pulumi.dev.yaml, line 1, column 1: unknown top-level key 'confg'. Fix: did you mean 'config:'?"
    )


def test_pulumi_stack_settings_are_kept_apart() -> None:
    config = parse("secretsprovider: passphrase\nencryptionsalt: v1:abc\nconfig:\n  aoai-lab:owner: a\n")
    assert config.settings == {"secretsprovider": "passphrase", "encryptionsalt": "v1:abc"}
    assert config.values == {"aoai-lab:owner": "a"}


# ---- duplicate keys --------------------------------------------------------------------------------------------


def test_duplicate_top_level_keys_name_both_lines() -> None:
    assert only_problem("config:\n  aoai-lab:owner: a\n  aoai-lab:labName: x\n  aoai-lab:owner: b\n") == (
        "Pulumi.dev.yaml, line 4, column 3: key 'aoai-lab:owner' appears twice: line 2 and line 4. "
        "Fix: keep one of them (YAML keys are unique; otherwise the last one would win silently)"
    )


def test_duplicate_keys_inside_a_list_entry_and_every_one_reported() -> None:
    found = problems(
        "config:\n"
        "  aoai-lab:deployments:\n"
        "    - name: chat\n"
        "      capacity: 10\n"
        "      capacity: 50\n"
        "  aoai-lab:owner: a\n"
        "  aoai-lab:owner: b\n"
    )
    assert len(found) == 2
    assert "key 'capacity' appears twice: line 4 and line 5" in found[0]
    assert "key 'aoai-lab:owner' appears twice: line 6 and line 7" in found[1]


# ---- namespaces ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["aoai_lab", "aoailab", "AOAI-Lab", "aoai-labs", "aio-lab"])
def test_a_near_miss_of_the_project_namespace_is_refused(namespace: str) -> None:
    message = only_problem(f"config:\n  azure-native:location: eastus2\n  {namespace}:gatewayTier: BasicV2\n")
    assert message.startswith(f"Pulumi.dev.yaml, line 3, column 3: unknown namespace '{namespace}'")
    assert message.endswith("Fix: did you mean `aoai-lab:gatewayTier`?")


def test_provider_near_misses_and_the_classic_provider() -> None:
    found = problems("config:\n  azure_native:location: eastus2\n  azure:location: eastus2\n")
    assert found[0].endswith("Fix: did you mean `azure-native:location`?")
    assert found[1].endswith("Fix: use `azure-native:location`")


def test_unrelated_namespaces_and_malformed_keys() -> None:
    # Another tool's config is none of our business.
    assert parse("config:\n  github:token: x\n").values == {"github:token": "x"}
    assert "'a:b:c' is not a config key" in only_problem("config:\n  a:b:c: x\n")


# ---- limits, checked before anything is expanded ----------------------------------------------------------------


def _billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = [
        "config:",
        "  aoai-lab:x:",
        '    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for i in range(1, levels + 1):
        lines.append(f"    l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(20)
def test_an_alias_bomb_fails_fast() -> None:
    text = _billion_laughs()
    # 81 aliases: under the alias cap, so the expansion check is what stops it (9**10 values expanded).
    assert text.count("*") < MAX_ALIASES
    started = time.perf_counter()
    message = only_problem(text)
    elapsed = time.perf_counter() - started
    assert f"expand to more than {MAX_EXPANDED_NODES:,} values" in message and "line 7" in message
    # A naive loader would take minutes and gigabytes; the check walks the 100-node graph once.
    assert elapsed < 2.0, elapsed


def test_a_small_alias_fan_out_is_fine_and_too_many_aliases_are_not() -> None:
    config = parse("config:\n  aoai-lab:x:\n    a: &a [1, 2]\n    b: [*a, *a]\n")
    assert config.values["aoai-lab:x"]["b"] == [[1, 2], [1, 2]]
    many = "config:\n  aoai-lab:x:\n    a: &a 1\n    b: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert f"more than {MAX_ALIASES} aliases" in only_problem(many)


def test_a_self_referencing_anchor() -> None:
    assert "an anchor refers to itself" in only_problem("config:\n  aoai-lab:x: &a [*a]\n")


@pytest.mark.timeout(20)
def test_deep_nesting_is_refused_from_the_event_stream() -> None:
    # Deep enough to overflow a recursive loader's stack; the event check stops at the cap.
    started = time.perf_counter()
    message = only_problem("config:\n  aoai-lab:x: " + "[" * 20_000 + "]" * 20_000 + "\n")
    assert f"nested more than {MAX_DEPTH} levels deep" in message
    assert time.perf_counter() - started < 2.0


def test_a_file_over_the_size_cap_is_not_parsed() -> None:
    message = only_problem("config:\n  aoai-lab:x: '" + "a" * MAX_FILE_BYTES + "'\n")
    assert f"above {MAX_FILE_BYTES // 1024} KiB" in message


def test_nan_inside_a_structure_is_refused() -> None:
    # The CLI cannot turn NaN into JSON for the program.
    assert "'.nan' is not a number" in only_problem("config:\n  aoai-lab:x: {a: .nan}\n")


# ---- Pulumi.yaml -----------------------------------------------------------------------------------------------


def test_project_name(tmp_path: Path) -> None:
    assert read_project_name(PROJECT_DIR) == yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["name"]
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n")
    with pytest.raises(StackFileError, match="has no project `name:`"):
        read_project_name(tmp_path)
    with pytest.raises(StackFileError, match="not found in"):
        read_project_name(tmp_path / "nowhere")
