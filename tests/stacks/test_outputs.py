"""The stack outputs contract (stacks/outputs.py): what the program exports and how the tools read it."""

from __future__ import annotations

import pytest

from stacks import outputs as out
from stacks.outputs import LabOutputs, OutputsError


def test_the_program_exports_every_contract_key(dev_plan):
    exported = dev_plan.outputs
    not_keys = ("SECRET_MASK", "DEFAULT_API_VERSION", "API_PATH")
    keys = {v for k, v in vars(out).items() if k.isupper() and isinstance(v, str) and k not in not_keys}
    assert keys <= set(exported), sorted(keys - set(exported))


def test_gateway_root_and_url_agree_and_the_env_is_one_dict(dev_plan):
    o = dev_plan.outputs
    assert o["gatewayUrl"] == o["gatewayRoot"] + "/openai"
    env = o["openaiEnv"]
    assert env["AZURE_OPENAI_ENDPOINT"] == o["gatewayRoot"]
    # (the snapshot sorts the dict's keys; the shell lines keep the program's order)
    assert sorted(o["openaiEnvShell"].splitlines()) == sorted(f"export {k}={v}" for k, v in env.items())


def test_the_parser_reads_a_deployed_lab(dev_plan):
    data = {**dev_plan.outputs, "participantKeys": {"student01": "k1"}}
    lab = LabOutputs.parse(data)
    assert lab.gateway_root == data["gatewayRoot"]
    assert lab.deployment_models == {n: d["model"] for n, d in data["deployments"].items()}
    assert lab.participant_keys == {"student01": "k1"}
    assert lab.resource_group == "rg-aoai-lab-dev"
    # The v1 API's base URL and each participant's token budget (the dev stack's participantLimits).
    assert lab.v1_base_url == data["gatewayV1Url"] == data["gatewayRoot"] + "/openai/v1/"
    budget = {"tokensPerMinute": 10000, "tokenQuota": 500000, "tokenQuotaPeriod": "Daily"}
    assert lab.participant_limits == {"student01": budget, "student02": budget}
    assert lab.api_version == "2025-04-01-preview"


def test_stacks_deployed_before_gateway_root_still_parse():
    old = {"deployments": {"chat": {"model": "gpt-5-mini"}}, "gatewayUrl": "https://gw.example/openai/"}
    lab = LabOutputs.parse(old, need_keys=False)
    assert lab.gateway_root == "https://gw.example" and lab.participant_limits == {}
    assert lab.v1_base_url == "https://gw.example/openai/v1/"


def test_masked_keys_and_missing_deployments_are_refused():
    with pytest.raises(OutputsError, match="pulumi up"):
        LabOutputs.parse({})
    with pytest.raises(OutputsError, match="--show-secrets"):
        LabOutputs.parse({"deployments": {"chat": "gpt"}, "participantKeys": {"a": "[secret]"}})
    assert LabOutputs.parse(
        {"deployments": {"chat": "gpt"}, "participantKeys": {"a": "[secret]"}}, need_keys=False
    )
