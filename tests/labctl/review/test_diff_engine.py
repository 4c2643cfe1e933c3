"""`labctl diff`'s engine on pairs of plans: every kind of change a pull request can make, as a reviewer reads it."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner

from labctl.cli import app
from labctl.plan.runtime import run_program
from labctl.review.changes import REPLACE_RULES, replace_reason
from labctl.review.engine import diff_snapshots, diff_values, secret_config_changes
from labctl.review.report import COMMENT_LIMIT, render_markdown, render_text
from stacks import lab
from tests.support.plans import ACCOUNT, API_POLICY, BACKEND, DEPLOYMENT, PASSWORD, SAVED_SEARCH, SUBSCRIPTION

SUMMARY_RE = re.compile(r"^\+ \d+ to create, ~ \d+ to update, \+- \d+ to replace, - \d+ to delete$", re.M)


@pytest.fixture(scope="module")
def dev_snapshot(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.getfixturevalue("dev_plan").snapshot()


def _deployments(dev_config: dict[str, Any]) -> list[dict[str, Any]]:
    return copy.deepcopy(dev_config["aoai-lab:deployments"])


def _resource(snapshot: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in snapshot["deployment"]["resources"] if r["urn"].endswith("::" + name))


def _changes(diff, name: str):
    return next(r for r in diff.resources if r.name == name)


def test_same_plan_has_no_changes_and_says_so(dev_snapshot):
    diff = diff_snapshots(dev_snapshot, copy.deepcopy(dev_snapshot))
    assert not diff.has_changes
    text = render_text(diff)
    assert "No changes." in text
    assert text.rstrip().endswith("+ 0 to create, ~ 0 to update, +- 0 to replace, - 0 to delete")


def test_new_participant_is_one_create(dev_snapshot, plan_with, dev_config):
    people = [*dev_config["aoai-lab:participants"], {"name": "student03", "email": "student03@contoso.edu"}]
    head = plan_with(participants=people).snapshot()
    diff = diff_snapshots(dev_snapshot, head)
    # Their key (generated in the program) and their subscription, nothing else.
    assert [(r.op, r.type, r.name) for r in diff.resources] == [
        ("create", PASSWORD, "gateway-key-student03"),
        ("create", SUBSCRIPTION, "gateway-sub-student03"),
    ]
    text = render_text(diff)
    assert "+ azure-native:apimanagement:Subscription gateway-sub-student03 (create)" in text
    assert '+ sid: "student03"' in text
    assert "+ primaryKey: [secret]" in text
    assert text.rstrip().endswith("+ 2 to create, ~ 0 to update, +- 0 to replace, - 0 to delete")


def test_removed_participant_is_one_delete_and_a_warning(dev_snapshot, plan_with, dev_config):
    head = plan_with(participants=dev_config["aoai-lab:participants"][:1]).snapshot()
    diff = diff_snapshots(dev_snapshot, head)
    assert [(r.op, r.name) for r in diff.resources] == [
        ("delete", "gateway-key-student02"),
        ("delete", "gateway-sub-student02"),
    ]
    assert diff.summary() == "+ 0 to create, ~ 0 to update, +- 0 to replace, - 2 to delete"
    md = render_markdown(diff)
    assert "> [!WARNING]" in md
    assert "**gateway-sub-student02**" in md


def test_capacity_and_version_are_nested_in_place_updates(dev_snapshot, plan_with, dev_config):
    deployments = _deployments(dev_config)
    deployments[0]["capacity"] = 80
    deployments[0]["version"] = "2025-09-01"
    diff = diff_snapshots(dev_snapshot, plan_with(deployments=deployments).snapshot())
    chat = _changes(diff, "openai-chat")
    assert chat.op == "update" and chat.type == DEPLOYMENT
    by_path = {c.path: c for c in chat.properties}
    assert set(by_path) == {"sku.capacity", "properties.model.version"}
    assert (by_path["sku.capacity"].old, by_path["sku.capacity"].new) == (50, 80)
    assert not any(c.replace_reason for c in chat.properties)
    text = render_text(diff)
    assert "~ sku.capacity: 50 => 80" in text
    assert '~ properties.model.version: "2025-08-07" => "2025-09-01"' in text
    # The stack output that lists deployments changes too, and is reported apart from resources.
    assert "Outputs:" in text and "~ deployments.chat.capacity: 50 => 80" in text
    assert diff.summary() == "+ 0 to create, ~ 1 to update, +- 0 to replace, - 0 to delete"


def test_account_kind_change_is_a_replace_with_its_reason(dev_snapshot, plan_with):
    diff = diff_snapshots(dev_snapshot, plan_with(accountKind="AIServices").snapshot())
    account = next(r for r in diff.resources if r.type == ACCOUNT)
    assert account.op == "replace"
    kind = next(c for c in account.properties if c.path == "kind")
    assert (kind.old, kind.new) == ("OpenAI", "AIServices")
    assert kind.replace_reason == "an account's kind can't change in place"
    # Foundry accounts also allow project management: an in-place part of the same replace.
    assert any(c.path == "properties.allowProjectManagement" and c.kind == "add" for c in account.properties)
    # The new endpoint domain reaches the gateway's backend, which is only updated: a URL is not a parent.
    backend = next(r for r in diff.resources if r.type == BACKEND)
    assert backend.op == "update" and [c.path for c in backend.properties] == ["url"]
    text = render_text(diff)
    assert (
        '+- kind: "OpenAI" => "AIServices"  [forces replacement: an account\'s kind can\'t change in place]'
        in text
    )


def test_a_replaced_account_takes_its_deployments_diagnostics_and_role_assignments_with_it(
    dev_snapshot, plan_with
):
    # No Foundry project (an AIServices lab gets one by default): this is about what the account takes with it.
    diff = diff_snapshots(dev_snapshot, plan_with(accountKind="AIServices", foundryProjects=[]).snapshot())
    replaced = {r.name: r for r in diff.resources if r.op == "replace"}
    on_the_account = {
        "openai-chat": "accountName",
        "openai-embeddings": "accountName",
        "openai-diagnostics": "resourceUri",
        "access-ana-garcia-cognitive-services-contributor": "scope",
        "access-ana-garcia-cognitive-services-openai-contributor": "scope",
        "access-ana-garcia-cognitive-services-openai-user": "scope",
        "access-gateway-openai-user": "scope",
    }
    assert set(replaced) == {"openai-account", *on_the_account}
    for name, key in on_the_account.items():
        # Their inputs are the same (same account name), but Azure deletes them with the account.
        assert replaced[name].properties == ()
        assert replaced[name].causes == (f"replaced with openai-account, which its {key} refers to",)
    # Not under the account: the subscription-scope role, the workspace's role, the gateway and its children.
    assert diff.summary() == "+ 0 to create, ~ 1 to update, +- 8 to replace, - 0 to delete"
    text = render_text(diff)
    assert (
        "+- azure-native:cognitiveservices:Deployment openai-chat (replace)\n"
        "    +- replaced with openai-account, which its accountName refers to  [forces replacement]\n"
    ) in text
    md = render_markdown(diff)
    assert "> [!WARNING]" in md and "**8 to replace, 0 to delete.**" in md
    assert (
        "> - `+-` **openai-chat** `azure-native:cognitiveservices:Deployment`: replaced with openai-account, "
        "which its accountName refers to"
    ) in md.splitlines()
    assert sum(line.startswith("> - `+-`") for line in md.splitlines()) == 8


def test_a_new_name_suffix_replaces_account_gateway_workspace_and_everything_under_them(
    dev_snapshot, plan_with, monkeypatch
):
    # A pull request that only changes how the suffix is generated: the provider makes a new one.
    real = lab.random.RandomString
    monkeypatch.setattr(lab.random, "RandomString", lambda *a, **k: real(*a, **{**k, "min_numeric": 2}))
    diff = diff_snapshots(dev_snapshot, plan_with().snapshot())
    ops = {r.name: r.op for r in diff.resources}
    everything = {
        _name(r["urn"])
        for r in dev_snapshot["deployment"]["resources"]
        if r["custom"] and r["type"] != "pulumi:pulumi:Stack"
    }
    # Only the resource group (named without the suffix), the subscription-scope role assignment and the
    # participants' keys survive: the new gateway's subscriptions get the same keys, so students keep theirs.
    assert set(ops) == everything - {
        "lab-rg",
        "access-ana-garcia-cognitive-services-usages-reader",
        "gateway-key-student01",
        "gateway-key-student02",
    }
    # The ARM deployment that puts the gateway's logger is re-run in place with the new service's name.
    assert ops.pop("gateway-azuremonitor-logger") == "update"
    assert set(ops.values()) == {"replace"}
    by_name = {r.name: r for r in diff.resources}
    assert by_name["name-suffix"].reasons == ("every input of a random resource forces a new value",)
    assert "the account name is its ARM id" in by_name["openai-account"].reasons
    assert (
        "replaced with gateway-service, which its serviceName refers to"
        in by_name["gateway-api-policy"].reasons
    )
    assert (
        "replaced with monitoring-workspace, which its workspaceName refers to"
        in by_name["monitoring-query-throttling-rate"].reasons
    )
    assert "replaced with openai-account, which its accountName refers to" in by_name["openai-chat"].reasons


def test_a_gateway_tier_across_families_replaces_the_gateway_its_children_and_its_identitys_roles(
    dev_snapshot, plan_with
):
    diff = diff_snapshots(dev_snapshot, plan_with(gatewayTier="Developer").snapshot())
    by_name = {r.name: r for r in diff.resources}
    service = by_name["gateway-service"]
    assert service.op == "replace"
    assert service.reasons == (
        "API Management can't move between the classic, v2 and Consumption tiers in place",
    )
    children = {n for n, r in by_name.items() if r.op == "replace" and n.startswith("gateway-")} - {
        "gateway-service"
    }
    assert children == {
        "gateway-api",
        "gateway-api-diagnostic",
        "gateway-api-policy",
        "gateway-backend",
        "gateway-class-paused",
        "gateway-diagnostics",
        "gateway-product",
        "gateway-product-api",
        "gateway-sub-student01",
        "gateway-sub-student02",
    }
    # The gateway's role on the account is for its managed identity, which the new gateway doesn't have.
    role = by_name["access-gateway-openai-user"]
    assert role.op == "replace" and role.causes == (
        "its principal is the managed identity of gateway-service, which is new after the replacement",
    )
    # The API's children name the API by its id; the backend shares that id but is not their parent.
    assert by_name["gateway-api-policy"].causes == (
        "replaced with gateway-service, which its serviceName refers to",
        "replaced with gateway-api, which its apiId refers to",
    )
    assert not any(r.type == ACCOUNT or r.type == DEPLOYMENT for r in diff.resources)


def test_a_replaced_resource_only_cascades_to_what_names_it(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    # A new backend id replaces the backend. The API policy depends on the backend (its XML routes to it) and its
    # apiId has the same value as the old backend id, but it lives under the API, not under the backend.
    _resource(head, "gateway-backend")["inputs"]["backendId"] = "azure-openai-2"
    diff = diff_snapshots(dev_snapshot, head)
    assert [(r.op, r.name) for r in diff.resources] == [("replace", "gateway-backend")]
    # An in-place update of a parent reaches no child.
    head = copy.deepcopy(dev_snapshot)
    _resource(head, "openai-account")["inputs"]["properties"]["publicNetworkAccess"] = "Disabled"
    assert [(r.op, r.name) for r in diff_snapshots(dev_snapshot, head).resources] == [
        ("update", "openai-account")
    ]


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def test_model_name_change_replaces_the_deployment(dev_snapshot, plan_with, dev_config):
    deployments = _deployments(dev_config)
    deployments[0]["model"] = "gpt-5"
    diff = diff_snapshots(dev_snapshot, plan_with(deployments=deployments).snapshot())
    chat = _changes(diff, "openai-chat")
    assert chat.op == "replace"
    assert [c.path for c in chat.properties if c.replace_reason] == ["properties.model.name"]


def test_list_order_change_is_one_reorder_not_a_change_per_index(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    search = _resource(head, "monitoring-query-latency-by-operation")
    search["inputs"]["tags"] = list(reversed(search["inputs"]["tags"]))
    diff = diff_snapshots(dev_snapshot, head)
    (change,) = diff.resources
    assert change.type == SAVED_SEARCH and change.op == "update"
    (prop,) = change.properties
    assert (prop.path, prop.kind) == ("tags", "reorder")
    assert "~ tags: order changed:" in render_text(diff)


def test_list_insertions_are_reported_by_index():
    changes = diff_values({"protocols": ["https"]}, {"protocols": ["http", "https"]})
    assert [(c.path, c.kind, c.new) for c in changes] == [("protocols[0]", "add", "http")]
    changes = diff_values({"logs": [{"enabled": True}]}, {"logs": [{"enabled": False}]})
    assert [(c.path, c.old, c.new) for c in changes] == [("logs[0].enabled", True, False)]


def test_removed_keys_and_type_changes_are_changes():
    changes = diff_values({"a": {"b": 1, "c": True}}, {"a": {"c": 1}})
    assert [(c.path, c.kind) for c in changes] == [("a.b", "remove"), ("a.c", "update")]


def test_keys_that_are_not_identifiers_are_quoted_in_paths():
    (change,) = diff_values({"tags": {"expires-on": "2026-12-18"}}, {"tags": {"expires-on": "2027-01-31"}})
    assert change.path == 'tags["expires-on"]'


def test_secret_changes_are_reported_without_either_value(dev_snapshot):
    base, head = copy.deepcopy(dev_snapshot), copy.deepcopy(dev_snapshot)
    _resource(base, "gateway-backend")["inputs"]["description"] = "hunter2-plaintext"
    _resource(head, "gateway-backend")["inputs"]["description"] = "[secret]"
    diff = diff_snapshots(base, head)
    (change,) = _changes(diff, "gateway-backend").properties
    assert change.secret and change.path == "description"
    for render in (render_text, render_markdown):
        out = render(diff)
        assert "hunter2" not in out
        assert "~ description: [secret] changed (values hidden)" in out
    # Two masked values can't be told apart offline: no change is claimed.
    assert diff_values({"key": "[secret]"}, {"key": "[secret]"}) == []


def test_secret_config_changes_are_reported_by_key_never_by_ciphertext():
    base = {
        "aoai-lab:owner": "a@b.c",
        "azure-native:clientSecret": {"secure": "v1:AAAA"},
        "x:gone": {"secure": "v1:G"},
    }
    head = {
        "aoai-lab:owner": "a@b.c",
        "azure-native:clientSecret": {"secure": "v1:BBBB"},
        "x:new": {"secure": "v1:N"},
    }
    changes = secret_config_changes(base, head)
    assert [(c.path, c.kind) for c in changes] == [
        ("azure-native:clientSecret", "update"),
        ("x:gone", "remove"),
        ("x:new", "add"),
    ]
    diff = diff_snapshots(None, None, secret_config=changes)
    text = render_text(diff)
    assert "~ azure-native:clientSecret: [secret] re-encrypted or changed (values hidden)" in text
    assert "v1:" not in text and "v1:" not in render_markdown(diff)
    assert secret_config_changes(base, base) == []


def test_policy_xml_is_compared_as_xml_and_shown_as_a_unified_diff(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    policy = _resource(head, "gateway-api-policy")["inputs"]
    policy["value"] = policy["value"].replace('<set-header name="api-key" exists-action="delete" />', "")
    diff = diff_snapshots(dev_snapshot, head)
    (change,) = _changes(diff, "gateway-api-policy").properties
    assert change.path == "value" and change.note.startswith("XML")
    removed = [line for line in change.text_diff if line.startswith("-") and not line.startswith("---")]
    # Canonical XML: attributes sorted, comments gone, so only the real change shows.
    assert removed == ['-    <set-header exists-action="delete" name="api-key" />']
    assert not [line for line in change.text_diff if line.startswith("+") and not line.startswith("+++")]
    md = render_markdown(diff)
    assert '-    <set-header exists-action="delete" name="api-key" />' in md.splitlines()


def test_policy_comment_and_whitespace_edits_are_the_same_xml(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    policy = _resource(head, "gateway-api-policy")["inputs"]
    policy["value"] = (
        policy["value"]
        .replace("never forward it", "never forward it (see README)")
        .replace("<base />", "<base/>")
    )
    diff = diff_snapshots(dev_snapshot, head)
    (change,) = _changes(diff, "gateway-api-policy").properties
    assert change.text_diff == ()
    assert "same XML: only comments or formatting changed" in render_text(diff)


def test_multiline_text_that_is_not_xml_gets_a_text_diff(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    query = _resource(head, "monitoring-query-throttling-rate")["inputs"]
    query["query"] = query["query"].rstrip("\n") + "\n| take 10\n"
    (change,) = _changes(diff_snapshots(dev_snapshot, head), "monitoring-query-throttling-rate").properties
    assert "+| take 10" in change.text_diff


def test_every_resource_is_created_when_the_base_has_no_such_stack(dev_snapshot):
    diff = diff_snapshots(None, dev_snapshot)
    resources = [r for r in dev_snapshot["deployment"]["resources"] if r["type"] != "pulumi:pulumi:Stack"]
    assert diff.count("create") == len(resources) and diff.count("update") == 0


def test_markdown_has_one_collapsible_section_per_resource_and_no_banner_without_danger(
    dev_snapshot, plan_with
):
    diff = diff_snapshots(dev_snapshot, plan_with(logRetentionDays=60).snapshot())
    md = render_markdown(diff)
    assert md.count("<details><summary>") == len(diff.resources) + (1 if diff.outputs else 0)
    assert md.count("</details>") == md.count("<details>")
    assert "[!WARNING]" not in md
    assert f"**`{diff.summary()}`**" in md
    assert SUMMARY_RE.search(render_text(diff))


def test_output_is_deterministic(dev_snapshot, plan_with):
    head = plan_with(accountKind="AIServices", logRetentionDays=60).snapshot()
    first = diff_snapshots(dev_snapshot, head)
    again = diff_snapshots(copy.deepcopy(dev_snapshot), json.loads(json.dumps(head)))
    assert render_text(first) == render_text(again)
    assert render_markdown(first) == render_markdown(again)


def test_fences_outgrow_backticks_in_values(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    _resource(head, "gateway-backend")["inputs"]["description"] = "uses ``` fences"
    md = render_markdown(diff_snapshots(dev_snapshot, head))
    assert "````diff" in md


@pytest.mark.parametrize(
    ("resource_type", "path", "forces"),
    [
        (ACCOUNT, "location", True),
        (ACCOUNT, "properties.customSubDomainName", True),
        (ACCOUNT, "properties.disableLocalAuth", False),
        (DEPLOYMENT, "properties.model.format", True),
        (DEPLOYMENT, "properties.model.version", False),
        (DEPLOYMENT, "sku.capacity", False),
        ("azure-native:apimanagement:ApiManagementService", "serviceName", True),
        ("azure-native:apimanagement:ApiManagementService", "sku.capacity", False),
        (API_POLICY, "value", False),
        # Tier changes: in place within a family, a new service across classic, v2 and Consumption.
        ("azure-native:apimanagement:ApiManagementService", "sku.name", False),
        ("azure-native:authorization:RoleAssignment", "principalId", True),
        ("azure-native:resources:ResourceGroup", "tags.owner", False),
        ("random:index/randomString:RandomString", "length", True),
    ],
)
def test_replace_rules(resource_type, path, forces):
    assert (replace_reason(resource_type, path) is not None) is forces


@pytest.mark.parametrize(
    ("old", "new", "forces"),
    [
        ("BasicV2", "StandardV2", False),
        ("StandardV2", "BasicV2", False),
        ("Developer", "Premium", False),
        ("Basic", "Standard", False),
        ("BasicV2", "Developer", True),
        ("Standard", "StandardV2", True),
        ("Consumption", "BasicV2", True),
        ("Premium", "Consumption", True),
        ("BasicV2", "SomeFutureTier", True),
    ],
)
def test_gateway_tier_changes_across_families_force_a_replace(old, new, forces):
    reason = replace_reason("azure-native:apimanagement:ApiManagementService", "sku.name", old, new)
    assert (reason is not None) is forces
    if forces:
        assert "classic, v2 and Consumption" in reason


def test_every_replace_rule_says_why():
    assert all(rule.reason and rule.path and rule.type for rule in REPLACE_RULES)


def _write(tmp_path, name: str, snapshot: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    return str(path)


def test_cli_exit_codes_on_saved_snapshots(tmp_path, dev_snapshot, plan_with):
    base = _write(tmp_path, "base.json", dev_snapshot)
    same = _write(tmp_path, "same.json", dev_snapshot)
    changed = _write(tmp_path, "changed.json", plan_with(logRetentionDays=60).snapshot())
    runner = CliRunner()
    args = ["diff", "--base-snapshot", base]
    assert runner.invoke(app, [*args, "--head-snapshot", same, "--exit-code"]).exit_code == 0
    result = runner.invoke(app, [*args, "--head-snapshot", changed])
    assert result.exit_code == 0, result.output
    assert "~ retentionInDays: 30 => 60" in result.output
    assert runner.invoke(app, [*args, "--head-snapshot", changed, "--exit-code"]).exit_code == 1
    out = tmp_path / "diff.md"
    result = runner.invoke(
        app, [*args, "--head-snapshot", changed, "--format", "markdown", "--output", str(out)]
    )
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8").startswith("### Infrastructure diff for stack `dev`")


def test_cli_refuses_half_a_snapshot_pair_and_unknown_revisions(tmp_path, dev_snapshot):
    runner = CliRunner()
    result = runner.invoke(app, ["diff", "--base-snapshot", _write(tmp_path, "b.json", dev_snapshot)])
    assert result.exit_code == 2 and "both --base-snapshot and --head-snapshot" in result.output
    result = runner.invoke(app, ["diff", "--base", "no-such-revision-anywhere"])
    assert result.exit_code == 2 and "is not a commit" in result.output


# ---- new multi-line values and the size of a pull request comment ----


def _without(snapshot: dict[str, Any], *names: str) -> dict[str, Any]:
    base = copy.deepcopy(snapshot)
    resources = base["deployment"]["resources"]
    base["deployment"]["resources"] = [r for r in resources if _name(r["urn"]) not in names]
    return base


def test_a_created_policy_and_query_are_shown_in_full(dev_snapshot):
    base = _without(dev_snapshot, "gateway-api-policy", "monitoring-query-throttling-rate")
    diff = diff_snapshots(base, dev_snapshot)
    policy_xml = _resource(dev_snapshot, "gateway-api-policy")["inputs"]["value"]
    query = _resource(dev_snapshot, "monitoring-query-throttling-rate")["inputs"]["query"]
    assert policy_xml.count("\n") > 20 and query.count("\n") > 3
    text = render_text(diff)
    lines = policy_xml.strip("\n").count("\n") + 1
    assert f"+ value: <{lines} lines of XML, in full below>" in text
    assert f"<{lines} lines>" not in text
    # Every line of the new policy, as written (comments too), indented under its property.
    for line in policy_xml.strip("\n").splitlines():
        assert ("        | " + line).rstrip() in text.splitlines()
    for line in query.strip("\n").splitlines():
        assert ("        | " + line).rstrip() in text.splitlines()

    md = render_markdown(diff)
    lines = md.splitlines()
    start = lines.index("```xml")
    assert (
        lines[start + 1 : start + 1 + policy_xml.strip("\n").count("\n") + 1]
        == policy_xml.strip("\n").splitlines()
    )
    assert '    <set-header name="api-key" exists-action="delete" />' in lines
    start = lines.index("```kusto")
    assert lines[start + 1 : lines.index("```", start + 1)] == query.strip("\n").splitlines()
    assert md.count("<details>") == md.count("</details>")


def test_a_changed_policy_still_shows_only_its_diff(dev_snapshot):
    head = copy.deepcopy(dev_snapshot)
    policy = _resource(head, "gateway-api-policy")["inputs"]
    policy["value"] = policy["value"].replace("<base />", "<base/>")
    md = render_markdown(diff_snapshots(dev_snapshot, head))
    assert "```xml" not in md and "<policies>" not in md


def _participants(count: int) -> list[dict[str, str]]:
    return [{"name": f"student{i:03d}", "email": f"student{i:03d}@contoso.edu"} for i in range(count)]


@pytest.fixture(scope="module")
def hundred_head(dev_config) -> dict[str, Any]:
    """The plan of a pull request that replaces the 2 participants with a hundred (planned once for the module)."""
    from stacks.program import run
    from tests.conftest import _flatten

    config = {**copy.deepcopy(dev_config), "aoai-lab:participants": _participants(100)}
    return run_program(run, project="aoai-lab", stack="dev", config=_flatten(config)).snapshot()


@pytest.fixture
def hundred_participants(dev_snapshot, hundred_head):
    return diff_snapshots(dev_snapshot, hundred_head)


def test_a_hundred_new_participants_fit_in_a_pull_request_comment(hundred_participants):
    diff = hundred_participants
    assert diff.count("create") == 200  # a key and a subscription each
    full = render_markdown(diff)
    assert full.count("<details><summary><code>+ create</code>") == 200  # the full report keeps every section
    capped = render_markdown(diff, max_chars=COMMENT_LIMIT, full_report_url="https://example.test/runs/7")
    assert len(capped) <= COMMENT_LIMIT < 65_536
    assert f"**`{diff.summary()}`**" in capped and "> [!WARNING]" in capped
    # The deletes keep their sections; the creates are one line each, all of them.
    assert capped.count("<details><summary><code>- delete</code>") == 4
    assert "<code>+ create</code> <b>200 resources</b>" in capped
    for participant in _participants(100):
        assert f"+ gateway-sub-{participant['name']} {SUBSCRIPTION}" in capped.splitlines()
    assert '+ sid: "student000"' not in capped
    assert (
        "The full report is in the job summary and the `labctl-diff` artifact of [this workflow run]"
        in capped
    )
    assert "(https://example.test/runs/7)" in capped
    assert capped.count("<details") == capped.count("</details>")
    # Without a cap nothing is shortened; a small diff under a cap is the full report.
    assert render_markdown(diff) == full


def test_a_report_over_the_cap_leaves_out_sections_and_says_so(hundred_participants, dev_snapshot, plan_with):
    diff = hundred_participants
    capped = render_markdown(diff, max_chars=4_000)
    assert len(capped) <= 4_000
    assert "… and " in capped and "more to create" in capped
    assert "The full report is in the job summary" in capped
    assert capped.count("```") % 2 == 0 and capped.count("<details") == capped.count("</details>")
    small = diff_snapshots(dev_snapshot, plan_with(logRetentionDays=60).snapshot())
    assert render_markdown(small, max_chars=COMMENT_LIMIT) == render_markdown(small)


def test_cli_caps_the_comment_and_writes_the_full_report(tmp_path, dev_snapshot, hundred_head):
    base = _write(tmp_path, "base.json", dev_snapshot)
    head = _write(tmp_path, "head.json", hundred_head)
    comment, full = tmp_path / "diff.md", tmp_path / "diff-full.md"
    args = ["diff", "--base-snapshot", base, "--head-snapshot", head, "--format", "markdown"]
    cap = [
        "--max-chars",
        "60000",
        "--full-output",
        str(full),
        "--full-report-url",
        "https://example.test/run",
    ]
    result = CliRunner().invoke(app, [*args, "--output", str(comment), *cap])
    assert result.exit_code == 0, result.output
    whole = full.read_text(encoding="utf-8")
    assert whole.count("<details><summary><code>+ create</code>") == 200 and "[!NOTE]" not in whole
    capped = comment.read_text(encoding="utf-8")
    assert len(capped) <= 60_000 and "[this workflow run](https://example.test/run)" in capped
    assert "<b>200 resources</b>" in capped
    # The cap belongs to the markdown report, and the extra files to the cap.
    result = CliRunner().invoke(
        app, ["diff", "--base-snapshot", base, "--head-snapshot", head, "--max-chars", "60000"]
    )
    assert result.exit_code == 2 and "go with --format markdown" in " ".join(result.output.split())
    result = CliRunner().invoke(app, [*args, "--full-output", str(full)])
    assert result.exit_code == 2 and "go with --max-chars" in " ".join(result.output.split())
