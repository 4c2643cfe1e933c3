"""The stack outputs contract: the keys `stacks/lab.py` exports and one typed parser the tools share.

`labctl smoke` (and the class commands: handout, usage) read `pulumi stack output --json --show-secrets` through
`LabOutputs.parse`, never by key lookups of their own. Keys only ever get added; a renamed key keeps its old name
exported too, so tools of either age read either stack.

Keys:
  resourceGroup, accountName, accountRegion, regionPinned, accountEndpoint (the account's own endpoint),
  deployments ({name: {model, version, sku, capacity}}), gatewayName,
  gatewayRoot  the gateway's root URL (https://<service>.azure-api.net), what `AzureOpenAI(azure_endpoint=...)` takes,
  gatewayUrl   the inference API's URL (gatewayRoot + "/openai"),
  participantKeys (secret: {participant: subscription key}), workspaceId, workspaceCustomerId,
  openaiEnv    ({AZURE_OPENAI_ENDPOINT, OPENAI_API_VERSION, AZURE_OPENAI_CHAT_DEPLOYMENT,
                 AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT}), openaiEnvShell (the same as `export K=V` lines),
  expiresOn (YYYY-MM-DD),
  gatewayV1Url the v1 API's base URL (gatewayRoot + "/openai/v1/"), what `OpenAI(base_url=...)` takes (also in
               openaiEnv as OPENAI_BASE_URL); send the key in the `api-key` header (docs/gateway.md),
  participantLimits ({participant: {tokensPerMinute?, tokenQuota?, tokenQuotaPeriod?} or null for unlimited}).
  foundryProjects ({project: {endpoint, id}}, the Foundry projects students build agents in; {} on an OpenAI account),
  contentFilter ({name, deployments} of the lab's own content filter, or {}).
  stack, labName  the stack and the lab (`lab` tag) the outputs belong to: `labctl handout` refuses the outputs of
               another stack (an older deployment has neither; it cannot be checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from facts.openai_api import API_PATH, v1_base_url
from stacks.facts.models import model_facts

RESOURCE_GROUP = "resourceGroup"
ACCOUNT_NAME = "accountName"
ACCOUNT_REGION = "accountRegion"
REGION_PINNED = "regionPinned"
ACCOUNT_ENDPOINT = "accountEndpoint"
DEPLOYMENTS = "deployments"
GATEWAY_NAME = "gatewayName"
GATEWAY_ROOT = "gatewayRoot"
GATEWAY_URL = "gatewayUrl"
PARTICIPANT_KEYS = "participantKeys"
WORKSPACE_ID = "workspaceId"
WORKSPACE_CUSTOMER_ID = "workspaceCustomerId"
OPENAI_ENV = "openaiEnv"
OPENAI_ENV_SHELL = "openaiEnvShell"
EXPIRES_ON = "expiresOn"
# A spread lab's regions (primary first): region -> {account, deployments: {name: capacity}}.
ACCOUNT_REGIONS = "accountRegions"
GATEWAY_V1_URL = "gatewayV1Url"
PARTICIPANT_LIMITS = "participantLimits"
# {project name: {endpoint (what AIProjectClient takes), id}}; {} when the account is kind OpenAI.
FOUNDRY_PROJECTS = "foundryProjects"
# {name, deployments: [names that use it]}, or {} without one: the lab's own content filter.
CONTENT_FILTER = "contentFilter"
# The stack and lab name the outputs belong to (tools refuse another stack's outputs).
STACK = "stack"
LAB_NAME = "labName"

SECRET_MASK = "[secret]"
# What a stack hands out unless it sets aoai-lab:inferenceApiVersion (stacks/facts/models.yaml); outputs of
# stacks deployed before it existed say which version they hand out themselves.
DEFAULT_API_VERSION = model_facts().default_api_version


def openai_env(*, endpoint: str, api_version: str, chat: str, embeddings: str) -> dict[str, str]:
    """The variables the openai SDK reads, the v1 API first: the plain `OpenAI` client reads OPENAI_BASE_URL (the
    gateway's /openai/v1/, no api-version: the API Microsoft documents for the GPT-5 family, reasoning.md), then the
    deployments, then the dated `AzureOpenAI` client's endpoint (the gateway's root: the SDK appends /openai) and
    api version. A participant key goes in the `api-key` header (docs/gateway.md)."""
    return {
        "OPENAI_BASE_URL": v1_base_url(endpoint),
        "AZURE_OPENAI_CHAT_DEPLOYMENT": chat,
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": embeddings,
        "AZURE_OPENAI_ENDPOINT": endpoint,
        "OPENAI_API_VERSION": api_version,
    }


def shell_lines(env: Mapping[str, str]) -> str:
    """`openaiEnv` as lines to paste into a POSIX shell."""
    return "".join(f"export {k}={v}\n" for k, v in env.items())


class OutputsError(ValueError):
    """The outputs are not those of a deployed lab (or their secrets are masked); the message says what to do."""


@dataclass(frozen=True)
class Deployment:
    model: str
    version: str | None = None
    sku: str | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class LabOutputs:
    """A deployed lab as the tools see it."""

    gateway_root: str | None
    account_endpoint: str | None
    api_version: str
    deployments: Mapping[str, Deployment]
    participant_keys: Mapping[str, str]
    resource_group: str | None = None
    account_name: str | None = None
    gateway_name: str | None = None
    workspace_customer_id: str | None = None
    expires_on: str | None = None
    # {participant: {tokensPerMinute?, tokenQuota?, tokenQuotaPeriod?} or None (unlimited)}; empty for old stacks.
    participant_limits: Mapping[str, Mapping[str, Any] | None] = field(default_factory=dict)
    # The stack and lab these outputs belong to; None for outputs of a deployment older than these keys.
    stack: str | None = None
    lab_name: str | None = None

    @property
    def v1_base_url(self) -> str | None:
        """The OpenAI client's base_url (the v1 API through the gateway)."""
        return v1_base_url(self.gateway_root) if self.gateway_root else None

    # Foundry project name -> its endpoint (https://<account>.services.ai.azure.com/api/projects/<name>).
    project_endpoints: Mapping[str, str] = field(default_factory=dict)

    @property
    def deployment_models(self) -> dict[str, str]:
        return {name: d.model for name, d in self.deployments.items()}

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, need_keys: bool = True) -> LabOutputs:
        """`need_keys`: the participant keys must be present in plain text (written with --show-secrets). Values
        of the wrong type are an OutputsError naming the output, never an AttributeError later."""
        if not isinstance(data, Mapping):
            raise OutputsError(
                f"the stack outputs are a JSON {type(data).__name__}, not an object of outputs. Fix: write them "
                "with `pulumi stack output --json --show-secrets`"
            )
        _check_types(data)
        deployments = data.get(DEPLOYMENTS)
        if not isinstance(deployments, dict) or not deployments:
            raise OutputsError(
                "the stack outputs have no 'deployments': has `pulumi up` completed for this stack?"
            )
        env = data.get(OPENAI_ENV) if isinstance(data.get(OPENAI_ENV), dict) else {}
        root = data.get(GATEWAY_ROOT) or env.get("AZURE_OPENAI_ENDPOINT") or _root_of(data.get(GATEWAY_URL))
        keys = data.get(PARTICIPANT_KEYS, {})
        if need_keys and (
            not isinstance(keys, dict)
            or any(not isinstance(v, str) or v == SECRET_MASK for v in keys.values())
        ):
            raise OutputsError(
                "the participant keys in the outputs are masked. Fix: write the outputs with "
                "`pulumi stack output --json --show-secrets > outputs.json` (and keep that file private)"
            )
        return cls(
            gateway_root=root or None,
            account_endpoint=data.get(ACCOUNT_ENDPOINT) or None,
            api_version=env.get("OPENAI_API_VERSION") or DEFAULT_API_VERSION,
            deployments={name: _deployment(spec) for name, spec in deployments.items()},
            participant_keys=dict(keys) if isinstance(keys, dict) else {},
            resource_group=_text(data.get(RESOURCE_GROUP)),
            account_name=_text(data.get(ACCOUNT_NAME)),
            gateway_name=_text(data.get(GATEWAY_NAME)),
            workspace_customer_id=_text(data.get(WORKSPACE_CUSTOMER_ID)),
            expires_on=_text(data.get(EXPIRES_ON)),
            participant_limits=_limits(data.get(PARTICIPANT_LIMITS)),
            project_endpoints=_project_endpoints(data.get(FOUNDRY_PROJECTS)),
            stack=_text(data.get(STACK)),
            lab_name=_text(data.get(LAB_NAME)),
        )


_URL_OUTPUTS = (GATEWAY_ROOT, GATEWAY_URL, ACCOUNT_ENDPOINT)
_TEXT_OUTPUTS = (
    RESOURCE_GROUP,
    ACCOUNT_NAME,
    GATEWAY_NAME,
    WORKSPACE_CUSTOMER_ID,
    EXPIRES_ON,
    STACK,
    LAB_NAME,
)


def _check_types(data: Mapping[str, Any]) -> None:
    """The outputs the tools read, each of the type `pulumi stack output --json` gives it."""
    fix = "Fix: write the outputs again with `pulumi stack output --json --show-secrets`"

    def wrong(key: str, value: Any, what: str) -> OutputsError:
        # The type only, never the value: this file holds every participant's key.
        kind = {
            str: "text",
            bool: "true/false",
            int: "a number",
            float: "a number",
            list: "a list",
            dict: "an object",
        }
        return OutputsError(f"the stack output '{key}' is {kind.get(type(value), 'null')}, not {what}. {fix}")

    for key in _URL_OUTPUTS:
        value = data.get(key)
        if value is not None and not (isinstance(value, str) and value.startswith(("https://", "http://"))):
            raise wrong(key, value, "a URL")
    for key in _TEXT_OUTPUTS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise wrong(key, value, "text")
    env = data.get(OPENAI_ENV)
    if env is not None and (not isinstance(env, dict) or any(not isinstance(v, str) for v in env.values())):
        raise wrong(OPENAI_ENV, env, "an object of text values")
    keys = data.get(PARTICIPANT_KEYS)
    # Without --show-secrets the CLI prints the whole secret output as "[secret]" (what `labctl usage` asks for).
    if keys is not None and keys != SECRET_MASK and not isinstance(keys, dict):
        raise wrong(PARTICIPANT_KEYS, keys, "an object of participant -> key")
    endpoint = (env or {}).get("AZURE_OPENAI_ENDPOINT")
    if endpoint is not None and not endpoint.startswith(("https://", "http://")):
        raise OutputsError(f"the stack output '{OPENAI_ENV}.AZURE_OPENAI_ENDPOINT' is not a URL. {fix}")


def _deployment(spec: Any) -> Deployment:
    if not isinstance(spec, dict):
        return Deployment(model=str(spec))
    capacity = spec.get("capacity")
    return Deployment(
        model=str(spec.get("model", "")),
        version=_text(spec.get("version")),
        sku=_text(spec.get("sku")),
        capacity=capacity if isinstance(capacity, int) and not isinstance(capacity, bool) else None,
    )


def _limits(value: Any) -> dict[str, Mapping[str, Any] | None]:
    if not isinstance(value, dict):
        return {}
    return {str(k): (v if isinstance(v, dict) else None) for k, v in value.items()}


def _project_endpoints(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {
        name: spec["endpoint"]
        for name, spec in value.items()
        if isinstance(spec, dict) and isinstance(spec.get("endpoint"), str) and spec["endpoint"]
    }


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _root_of(url: object) -> str | None:
    """Stacks deployed before `gatewayRoot` existed: the API URL without its /openai path."""
    if not isinstance(url, str) or not url:
        return None
    url = url.rstrip("/")
    suffix = "/" + API_PATH
    return url[: -len(suffix)] if url.endswith(suffix) else url
