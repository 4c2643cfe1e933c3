"""Config validation: every rule fails with its key path and a fix, all problems in one message."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from labctl.project import PROJECT_DIR, read_stack_config
from stacks.config.load import ConfigError, load_settings
from stacks.config.sections import CONFIG_KEYS, LabSettings
from stacks.config.source import settings_from_flat_config
from tests.support.config_load import config_problems


def _with(raw: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set `deployments[1].capacity`-style paths in a copy of the config."""
    out = copy.deepcopy(raw)
    target: Any = out
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    if value is _DELETE:
        del target[last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return out


_DELETE = object()

# (what is wrong, the config change, the key path the message must name, a word of the fix)
BAD_CONFIGS = [
    ("unknown region", "regions[1]", "east-us", "aoai-lab:regions[1]", "did you mean 'eastus'"),
    ("empty region list", "regions", [], "aoai-lab:regions", "at least one candidate region"),
    ("pinned region unknown", "location", "westeurope2", "aoai-lab:location", "ARM region name"),
    ("pinned region not a candidate", "location", "westeurope", "aoai-lab:location", "add it to the regions"),
    ("duplicate deployment names", "deployments[1].name", "chat", "aoai-lab:deployments", "its own name"),
    ("capacity zero", "deployments[0].capacity", 0, "aoai-lab:deployments[0].capacity", "positive"),
    ("capacity text", "deployments[0].capacity", "lots", "aoai-lab:deployments[0].capacity", "whole number"),
    ("capacity fraction", "deployments[0].capacity", 2.5, "aoai-lab:deployments[0].capacity", "whole number"),
    ("unknown sku", "deployments[0].sku", "Globalstandrd", "aoai-lab:deployments[0].sku", "GlobalStandard"),
    (
        "unknown fallback sku",
        "deployments[0].fallbackSkus",
        ["Cheap"],
        "aoai-lab:deployments[0].fallbackSkus",
        "one of",
    ),
    (
        "minCapacity above capacity",
        "deployments[0].minCapacity",
        500,
        "aoai-lab:deployments[0].minCapacity",
        "<= capacity",
    ),
    ("missing model version", "deployments[0].version", _DELETE, "aoai-lab:deployments[0].version", "set it"),
    (
        "unknown upgrade option",
        "deployments[0].versionUpgradeOption",
        "Always",
        "aoai-lab:deployments[0].versionUpgradeOption",
        "NoAutoUpgrade",
    ),
    ("unknown role set", "people[0].roleSet", "teacher", "aoai-lab:people[0].roleSet", "instructor"),
    (
        "malformed principal id",
        "people[1].principalId",
        "workshop-students",
        "aoai-lab:people[1].principalId",
        "object id",
    ),
    (
        "unknown principal type",
        "people[0].principalType",
        "Person",
        "aoai-lab:people[0].principalType",
        "User",
    ),
    (
        "bad participant e-mail",
        "participants[0].email",
        "student01-at-contoso",
        "aoai-lab:participants[0].email",
        "name@domain",
    ),
    ("bad owner e-mail", "owner", "ana", "aoai-lab:owner", "name@domain"),
    (
        "unknown participant state",
        "participants[0].state",
        "paused",
        "aoai-lab:participants[0].state",
        "'suspended'",
    ),
    (
        "negative rotation",
        "participants[0].rotation",
        -1,
        "aoai-lab:participants[0].rotation",
        "greater than or equal",
    ),
    (
        "class starts after it ends",
        "startsOn",
        "2027-01-04",
        "aoai-lab:startsOn",
        "is after expiresOn (2026-12-18)",
    ),
    (
        "same e-mail twice",
        "participants[1].email",
        "STUDENT01@contoso.edu",
        "aoai-lab:participants",
        "listed 2 times",
    ),
    (
        "negative price",
        "prices",
        {"gpt-5-mini": {"input": -1}},
        "aoai-lab:prices.gpt-5-mini.input",
        "greater than or equal",
    ),
    (
        "participant name not a slug",
        "participants[0].name",
        "Student One",
        "aoai-lab:participants[0].name",
        "Fix: use 'student-one'",
    ),
    (
        "participant name with a dot gets a suggestion",
        "participants[0].name",
        "ana.garcia",
        "aoai-lab:participants[0].name",
        "'ana.garcia' is not a valid participant name (it becomes the gateway subscription id). Fix: use 'ana-garcia'",
    ),
    ("duplicate participants", "participants[1].name", "student01", "aoai-lab:participants", "unique name"),
    ("retention too short", "logRetentionDays", 7, "aoai-lab:logRetentionDays", "30 to 730"),
    ("retention too long", "logRetentionDays", 4000, "aoai-lab:logRetentionDays", "30 to 730"),
    ("daily cap negative", "logDailyCapGb", -1, "aoai-lab:logDailyCapGb", ""),
    ("tier cannot log", "gatewayTier", "Consumption", "aoai-lab:gatewayTier", "gatewayLogs to false"),
    ("unknown tier", "gatewayTier", "Premiumv2", "aoai-lab:gatewayTier", "one of"),
    ("expires-on not a date", "expiresOn", "end of term", "aoai-lab:expiresOn", "YYYY-MM-DD"),
    ("expires-on impossible date", "expiresOn", "2026-02-30", "aoai-lab:expiresOn", "YYYY-MM-DD"),
    ("unknown account kind", "accountKind", "Foundry", "aoai-lab:accountKind", "AIServices"),
    ("misspelt key", "logRetentionDay", 30, "aoai-lab:logRetentionDay", "did you mean 'logRetentionDays'"),
    (
        "misspelt nested key",
        "deployments[0].capacty",
        5,
        "aoai-lab:deployments[0].capacty",
        "did you mean 'capacity'",
    ),
    ("body bytes over the maximum", "logBodyBytes", 65536, "aoai-lab:logBodyBytes", ""),
    ("missing owner", "owner", _DELETE, "aoai-lab:owner", "set it in Pulumi.dev.yaml"),
    ("no deployments", "deployments", [], "aoai-lab:deployments", "at least one model deployment"),
]


@pytest.mark.parametrize(
    ("path", "value", "key", "fix"), [c[1:] for c in BAD_CONFIGS], ids=[c[0] for c in BAD_CONFIGS]
)
def test_bad_config_names_key_and_fix(raw_dev, path, value, key, fix):
    problems = config_problems(_with(raw_dev, path, value))
    matching = [p for p in problems if p.startswith(key + ":")]
    assert matching, f"no problem names {key}: {problems}"
    assert any(fix in p for p in matching), matching
    assert all("Fix:" in p for p in matching), matching


def test_unknown_resource_group_region(raw_dev):
    problems = config_problems(raw_dev, resource_group_location="eastus3")
    assert any(p.startswith("azure-native:location: unknown region 'eastus3'") for p in problems)


def test_missing_resource_group_region(raw_dev):
    problems = config_problems(raw_dev, resource_group_location="")
    assert any("azure-native:location: not set" in p for p in problems)


def test_all_problems_reported_at_once(raw_dev):
    raw = _with(raw_dev, "owner", "ana")
    raw = _with(raw, "deployments[0].capacity", -5)
    raw = _with(raw, "people[0].roleSet", "boss")
    raw = _with(raw, "regions[1]", "mars")
    with pytest.raises(ConfigError) as info:
        load_settings(raw, resource_group_location="eastus2")
    message = str(info.value)
    assert "4 config problem(s)" in message
    for key in (
        "aoai-lab:owner",
        "aoai-lab:deployments[0].capacity",
        "aoai-lab:people[0].roleSet",
        "aoai-lab:regions[1]",
    ):
        assert key in message


def test_sovereign_cloud_regions_validate_against_their_cloud(raw_dev):
    raw = _with(raw_dev, "regions", ["usgovvirginia"])
    raw.pop("location")
    settings = load_settings(raw, resource_group_location="usgovvirginia", environment="usgovernment")
    assert settings.account_location == "usgovvirginia"
    problems = config_problems(raw, resource_group_location="usgovvirginia", environment="public")
    assert any("unknown region 'usgovvirginia'" in p for p in problems)


def test_stack_name_must_fit_resource_names(raw_dev):
    problems = config_problems(raw_dev, stack="Production_Stack_With_A_Very_Long_Name")
    assert any(p.startswith("stack name") for p in problems)


def test_program_set_fields_cannot_be_overridden_from_config(raw_dev):
    problems = config_problems({**raw_dev, "project": "other"})
    assert any(p.startswith("aoai-lab:project: unknown key") for p in problems)


def test_case_insensitive_enums_are_normalised(raw_dev):
    raw = _with(raw_dev, "deployments[0].sku", "globalstandard")
    raw = _with(raw, "gatewayTier", "basicv2")
    settings = load_settings(raw, resource_group_location="eastus2")
    assert settings.deployments[0].sku == "GlobalStandard"
    assert settings.gateway_tier == "BasicV2"


def test_dev_stack_is_valid_and_complete():
    flat, _ = read_stack_config("dev")
    settings = settings_from_flat_config(flat, project="aoai-lab", stack="dev")
    assert settings.region_is_pinned and settings.account_location in settings.regions
    models = {d.model for d in settings.deployments}
    assert any(d.is_embedding for d in settings.deployments)
    assert any(not d.is_embedding for d in settings.deployments)
    # gpt-35-turbo is retired (ServiceModelDeprecated): the dev stack must not deploy it.
    assert not any(m.startswith("gpt-35") for m in models)
    assert len(settings.participants) >= 1
    assert {p.role_set for p in settings.people} >= {"instructor", "student"}


def test_unset_optional_keys_from_pulumi_defaults(raw_dev):
    """The CLI passes a declared default of "" for optional keys: they mean unset, not an empty region."""
    raw = {**raw_dev, "location": "", "labName": "", "publisherEmail": ""}
    settings = load_settings(raw, resource_group_location="eastus2")
    assert settings.location is None
    assert settings.account_location == raw_dev["regions"][0]
    assert settings.gateway_publisher_email == raw_dev["owner"]


def test_pulumi_yaml_declares_every_simple_key_with_the_settings_default():
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    assert project["name"] == "aoai-lab"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    declared = project["config"]
    structured = {
        "regions",
        "deployments",
        "people",
        "participants",
        "budget",
        "participantLimits",
        "prices",
        "contentFilter",
        "foundryProjects",
        "responses",
    }
    simple = [k for k in CONFIG_KEYS if k not in structured]
    assert sorted(declared) == sorted(simple)
    fields = {f.alias or n: f for n, f in LabSettings.model_fields.items()}
    for key, spec in declared.items():
        assert spec.get("description"), key
        assert spec["type"] in ("string", "integer", "boolean"), key
        if "default" not in spec:
            assert fields[key].is_required(), f"{key} has no default in Pulumi.yaml but is optional"
            continue
        default = fields[key].default
        declared_default = spec["default"]
        if default is None:
            assert declared_default == "", key
        elif isinstance(default, float):
            assert float(declared_default) == default, key
        else:
            assert declared_default == default, key


WRONG_TYPES = [None, 5, 2.5, True, [], ["eastus2"], {}, {"a": 1}, "x", ""]


@pytest.mark.parametrize("key", [*CONFIG_KEYS])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_types_never_crash(raw_dev, key, value):
    """Any value for any key ends in settings or in a ConfigError naming the key: never a traceback."""
    try:
        load_settings({**raw_dev, key: value}, resource_group_location="eastus2")
    except ConfigError as exc:
        assert any(f"aoai-lab:{key}" in p for p in exc.problems) or value in (None, ""), exc.problems


# The wrong-type values a field may take: anything else must be refused with the entry's key.
# (field, value given, value the settings hold)
_ACCEPTED_IN_PEOPLE = [
    # `name` is optional (the key falls back to the principal id): no name, or any text, is a name.
    ("name", None, None),
    ("name", "x", "x"),
    ("name", "", ""),
]
_ACCEPTED_IN_DEPLOYMENTS = [
    # Any text is a model name or version to config (model-facts warns about unknown ones at `labctl check`).
    ("model", "x", "x"),
    ("version", "x", "x"),
    # minCapacity is optional, and 5 is below the capacity of 50.
    ("minCapacity", None, None),
    ("minCapacity", 5, 5),
    # No fallback SKUs.
    ("fallbackSkus", [], ()),
]
_ATTRIBUTES = {"principalId": "principal_id", "principalType": "principal_type", "roleSet": "role_set"}


def _accepted_or_refused(
    raw: dict[str, Any], section: str, field: str, value: Any, accepted: list[tuple[str, Any, Any]]
) -> None:
    """The value is either one the field takes (and arrives as expected) or refused naming this entry: a wrong
    value silently accepted fails here."""
    changed = _with(raw, f"{section}[0].{field}", value)
    expected = next(
        (held for f, given, held in accepted if f == field and type(given) is type(value) and given == value),
        _DELETE,
    )
    if expected is _DELETE:
        problems = config_problems(changed)
        assert any(p.startswith(f"aoai-lab:{section}[0].") for p in problems), problems
        return
    settings = load_settings(changed, resource_group_location="eastus2")
    entry = getattr(settings, section)[0]
    attribute = _ATTRIBUTES.get(field) or "".join("_" + c.lower() if c.isupper() else c for c in field)
    assert getattr(entry, attribute) == expected


@pytest.mark.parametrize("field", ["name", "principalId", "principalType", "roleSet"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_types_in_people_never_crash(raw_dev, field, value):
    _accepted_or_refused(raw_dev, "people", field, value, _ACCEPTED_IN_PEOPLE)


@pytest.mark.parametrize(
    "field", ["name", "model", "version", "sku", "capacity", "minCapacity", "fallbackSkus"]
)
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_types_in_deployments_never_crash(raw_dev, field, value):
    _accepted_or_refused(raw_dev, "deployments", field, value, _ACCEPTED_IN_DEPLOYMENTS)


def test_people_whose_names_collide_in_resource_names(raw_dev):
    raw = _with(raw_dev, "people[0].name", "Ana Garcia")
    raw = _with(raw, "people[1].name", "ana-garcia")
    problems = config_problems(raw)
    assert any("named 'ana-garcia'" in p and p.startswith("aoai-lab:people") for p in problems), problems
