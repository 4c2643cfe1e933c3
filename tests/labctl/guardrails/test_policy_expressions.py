"""Policy expressions are checked offline: every `@(...)`/`@{...}` of every policy the program renders parses as
C# and uses only what API Management allows (labctl/guardrails/policy_expressions.yaml, from
learn.microsoft.com/azure/api-management/api-management-policy-expressions); a broken one fails with the policy,
the expression and the problem named."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from typer.testing import CliRunner

from components.gateway_routing import DEPLOYMENT_EXPRESSION
from labctl.cli import app
from labctl.errors import EXIT_PROBLEMS
from labctl.guardrails.csharp_expressions import expression_problems, load_table
from labctl.guardrails.policy_expressions import check_policy_expressions, policy_expressions
from labctl.guardrails.policy_xml import policy_root
from labctl.plan.runtime import Plan
from tests.support.catalog_model import FOUNDRY_MODEL

SPREAD = [
    {"region": "eastus2", "capacity": {"chat": 60, "embeddings": 50}},
    {"region": "swedencentral", "capacity": {"chat": 90}},
]


def _participants(dev_config: dict[str, Any]) -> list[dict[str, Any]]:
    people = [dict(p) for p in dev_config["aoai-lab:participants"]]
    people[1]["limits"] = {"tokensPerMinute": 4000}
    people.append(
        {"name": "student03", "email": "student03@contoso.edu", "limits": {"tokensPerMinute": 4000}}
    )
    return people


# Stack configurations whose policies differ: what each adds to the policy is asserted to be there, so a
# configuration that stopped rendering its part would not pass vacuously.
STACKS: dict[str, tuple[dict[str, Any], str]] = {
    "dev": ({}, "context.Subscription.Id"),
    "spread": ({"location": SPREAD}, DEPLOYMENT_EXPRESSION),
    "foundry": ({"accountKind": "AIServices"}, "context.Subscription.Id"),
    "participant-limits": ({"participants": "per-participant"}, 'context.Subscription.Id == "student02"'),
    "class-window": (
        {"startsOn": "2026-12-02", "expiresOn": "2026-12-20", "timeZone": "Europe/Madrid"},
        'DateTime.UtcNow.ToString("s"), (string)context.Variables["classOpensAtUtc"]',
    ),
}


def _policies(plan: Plan) -> dict[str, tuple[str, str]]:
    """Every policy document the plan sends to API Management: resource name -> (value, format)."""
    found = {}
    for r in plan.resources:
        inputs = r.get("inputs") or {}
        if (
            r["type"].startswith("azure-native:apimanagement:")
            and isinstance(inputs.get("value"), str)
            and str(inputs.get("format", "")).lower() in ("xml", "rawxml")
        ):
            found[r["urn"].rsplit("::", 1)[-1]] = (inputs["value"], inputs["format"])
    return found


@pytest.mark.parametrize("stack", list(STACKS))
def test_every_rendered_expression_parses_and_uses_allowed_types(plan_with, dev_config, stack):
    changes, expected = STACKS[stack]
    changes = dict(changes)
    if changes.get("participants") == "per-participant":
        changes["participants"] = _participants(dev_config)
    if changes.get("accountKind"):
        changes["deployments"] = [*dev_config["aoai-lab:deployments"], FOUNDRY_MODEL]
    policies = _policies(plan_with(**changes))
    assert policies, "the plan declares no policy document"
    expressions = [
        e for value, fmt in policies.values() for _, e in policy_expressions(policy_root(value, fmt))
    ]
    # The token limit's counter key, the bearer header, the content filter's and the on-error conditions at least.
    assert len(expressions) >= 8
    assert any(expected in e for e in expressions), f"{stack}: no expression with {expected!r}"
    problems = [
        str(p) for name, (value, fmt) in policies.items() for p in check_policy_expressions(value, name, fmt)
    ]
    assert problems == []


def _dev_policy(dev_plan: Plan) -> str:
    return next(
        r["inputs"]["value"]
        for r in dev_plan.resources
        if r["type"] == "azure-native:apimanagement:ApiPolicy"
    )


def _plant(policy: str, old: str, new: str) -> str:
    assert old in policy, f"{old!r} is not in the policy any more: the test must plant its bug elsewhere"
    return policy.replace(old, new, 1)


def test_a_syntax_error_names_the_policy_the_expression_and_the_problem(dev_plan):
    broken = _plant(
        _dev_policy(dev_plan),
        'counter-key="@(context.Subscription.Id)" tokens-per-minute',
        'counter-key="@(context.Subscription.Id +)" tokens-per-minute',
    )
    problems = check_policy_expressions(broken, "openai-api-policy")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.where == "inbound/azure-openai-token-limit/@counter-key"
    assert problem.expression == "@(context.Subscription.Id +)"
    assert problem.problem.startswith("C# syntax error")
    message = str(problem)
    assert message.startswith(
        "openai-api-policy: inbound/azure-openai-token-limit/@counter-key: C# syntax error"
    )
    assert "the expression: @(context.Subscription.Id +)" in message


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ('@(System.IO.File.ReadAllText("/home/site/secrets"))', "'System.IO.File'"),
        ('@(Process.Start("curl").Id.ToString())', "'Process'"),
        ("@{ var p = new System.Diagnostics.Process(); return p.Id; }", "'System.Diagnostics.Process'"),
        ('@(Environment.GetEnvironmentVariable("MSI_SECRET"))', "'Environment'"),
        ('@(new System.Net.WebClient().DownloadString("http://x"))', "'System.Net.WebClient'"),
    ],
)
def test_a_type_outside_the_table_is_refused_by_name(dev_plan, expression, named):
    root = ET.fromstring(_dev_policy(dev_plan))
    bearer = root.find("./inbound/set-header/value")
    assert (
        bearer is not None and bearer.text == '@("Bearer " + (string)context.Variables["msi-access-token"])'
    )
    bearer.text = expression
    broken = ET.tostring(root, encoding="unicode")
    problems = check_policy_expressions(broken, "openai-api-policy")
    assert [p.where for p in problems] == ["inbound/set-header/value (text)"]
    assert (
        named in problems[0].problem
        and "is neither a local variable nor a type policy expressions may use" in problems[0].problem
    )
    assert problems[0].expression == expression


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("@(DateTime.UtcNow.AddDays(1) > DateTime.Foo)", "System.DateTime.Foo is not a member"),
        ('@(Regex.Escape("a"))', "System.Text.RegularExpressions.Regex.Escape is not a member"),
        ("@(DateTimeKind.Local)", "System.DateTimeKind.Local is not a member"),
        ('@(XDocument.Load("https://example.org/a.xml"))', "System.Xml.Linq.XDocument.Load is not a member"),
        ("@(context.Request.Bdy)", "context.Request has no member 'Bdy'"),
        ("@(context.Subscription.Key.Length > 0 && context.Usr.Id != null)", "context has no member 'Usr'"),
        ("@(context.Request.Body.As<Stream>())", "context.Request.Body.As<Stream> is not allowed"),
        ('@(context.Variables["n"] switch { _ => 1 })', "a switch expression (C# 8)"),
        ("@{ var n = 1; }", "must end with a return statement"),
        ("@(a) + (b)", "C# syntax error"),
        ("@(1 +", "must end with )"),
        ("@(dynamic)", "'dynamic' is neither a local variable nor a type"),
    ],
)
def test_members_context_and_syntax_outside_the_page_are_refused(expression, problem):
    found = expression_problems(expression)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    "expression",
    [  # the page's own examples, and shapes the lab's policies use
        "@(true)",
        "@((1+1).ToString())",
        '@("Hi There".Length)',
        '@(Regex.Match(context.Response.Headers.GetValueOrDefault("Cache-Control",""), @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value)',
        '@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)',
        '@{ string[] value; if (context.Request.Headers.TryGetValue("Authorization", out value)) { if(value != null && value.Length > 0) { return Encoding.UTF8.GetString(Convert.FromBase64String(value[0])); } } return null; }',
        '@(new JObject(new JProperty("a", 1)).ToString(Newtonsoft.Json.Formatting.None))',
        "@(new[] { 1, 2 }.Where(v => v > 1).Select(v => new { A = v }).Count())",
        '@{ var hits = new List<string>(); foreach (var item in new JObject().Properties()) { hits.Add(item.Name); } return string.Join(", ", hits); }',
        "@(DateTime.UtcNow < new DateTime(2026, 12, 2))",
    ],
)
def test_what_the_page_allows_passes(expression):
    assert expression_problems(expression) == []


def test_the_table_keeps_its_source_and_the_rows_that_limit_members():
    table = load_table()
    assert (
        table.source == "https://learn.microsoft.com/azure/api-management/api-management-policy-expressions"
    )
    assert table.types["System.Text.RegularExpressions.Regex"] == [
        "(Constructor)",
        "IsMatch",
        "Match",
        "Matches",
        "Replace",
        "Unescape",
        "Split",
    ]
    assert table.types["System.Xml.Linq.XDocument"] == {"members": "All", "except": ["Load"]}
    assert "System.IO.File" not in table.types and "System.Diagnostics.Process" not in table.types


def test_labctl_check_refuses_a_plan_with_a_broken_expression(dev_plan, tmp_path):
    snapshot = copy.deepcopy(dev_plan.snapshot())  # the session's plan is shared: never edit it in place
    for r in snapshot["deployment"]["resources"]:
        if r["type"] == "azure-native:apimanagement:ApiPolicy":
            root = ET.fromstring(r["inputs"]["value"])
            limit = root.find("./inbound/azure-openai-token-limit")
            assert limit is not None and limit.get("counter-key") == "@(context.Subscription.Id)"
            limit.set("counter-key", '@(System.IO.File.ReadAllText("/etc/hostname"))')
            r["inputs"]["value"] = ET.tostring(root, encoding="unicode")
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["check", "--snapshot", str(path), "--format", "json", "--today", "2026-11-01"]
    )
    assert result.exit_code == EXIT_PROBLEMS, result.output
    report = json.loads(result.output)
    found = [v for v in report["violations"] if v["rule"] == "policy-expressions"]
    assert len(found) == 1
    assert "inbound/azure-openai-token-limit/@counter-key: 'System.IO.File' is neither" in found[0]["problem"]
