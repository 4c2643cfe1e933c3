"""Pulumi mocks that answer like Azure: ARM ids, endpoints, principal ids. Deterministic by construction."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from pulumi.runtime import mocks

from labctl import resource_types, type_tokens

FAKE_SUBSCRIPTION_ID = "6b1f3c2e-8a4d-4c3b-9e2f-0d5a7b9c1e24"
FAKE_TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
FAKE_CLIENT_OBJECT_ID = "0f7d2b4c-3e5a-4b6c-8d9e-1a2b3c4d5e6f"
_NS = uuid.UUID("4a0f6f43-5f8b-4f0e-8f42-3c0f6e7d9a10")


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))


def stable_hex(length: int, *parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:length]


def arm_id(typ: str, name: str, inputs: dict[str, Any]) -> str:
    return resource_types.arm_id(typ, name, inputs, FAKE_SUBSCRIPTION_ID)


class AzureMocks(mocks.Mocks):
    """Outputs Azure would return, derived only from the inputs, so two runs give the same plan."""

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = dict(args.inputs)
        typ = args.typ
        if typ in ("random:index/randomString:RandomString", "random:index/randomPassword:RandomPassword"):
            alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
            if inputs.get("upper", True) and typ.endswith("RandomPassword"):
                alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
            # Like the provider, a change to any input (length, character classes) gives a new value: a plan
            # that changes them must show every name built on the suffix changing.
            seed = json.dumps([args.name, inputs], sort_keys=True, default=str).encode()
            # As many bytes as the length asks for (a key is 40 characters, one digest 32 bytes).
            digest = hashlib.sha256(seed).digest() + hashlib.sha256(seed + b"+").digest()
            length = int(inputs.get("length", 8))
            result = "".join(alphabet[b % len(alphabet)] for b in digest[:length])
            # Honour minNumeric the way the provider does: at least one digit.
            if inputs.get("minNumeric") and not any(c.isdigit() for c in result):
                result = result[:-1] + str(digest[-1] % 10)
            return f"{args.name}-id", {**inputs, "result": result}

        name = str(inputs.get(resource_types.NAME_INPUTS.get(typ, ""), "") or args.name)
        state: dict[str, Any] = {**inputs, "name": name, "azureApiVersion": "mock"}
        if typ == type_tokens.ACCOUNT:
            props = dict(inputs.get("properties") or {})
            sub = props.get("customSubDomainName", name)
            domain = (
                "cognitiveservices.azure.com" if inputs.get("kind") == "AIServices" else "openai.azure.com"
            )
            state["properties"] = {
                **props,
                "endpoint": f"https://{sub}.{domain}/",
                "provisioningState": "Succeeded",
            }
            state["identity"] = {
                **(inputs.get("identity") or {}),
                "principalId": stable_uuid(typ, name, "principal"),
                "tenantId": FAKE_TENANT_ID,
            }
        elif typ == type_tokens.PROJECT:
            # A Foundry project's endpoint, the one AIProjectClient takes (stacks/facts/foundry.yaml).
            account = str(inputs.get("accountName", ""))
            state["properties"] = {
                **dict(inputs.get("properties") or {}),
                "endpoints": {
                    "AI Foundry API": f"https://{account}.services.ai.azure.com/api/projects/{name}",
                    "OpenAI Language Model Instance API": f"https://{account}.openai.azure.com/",
                },
                "isDefault": False,
                "provisioningState": "Succeeded",
            }
            state["identity"] = {
                **(inputs.get("identity") or {}),
                "principalId": stable_uuid(typ, account, name, "principal"),
                "tenantId": FAKE_TENANT_ID,
            }
        elif typ == type_tokens.GATEWAY:
            state["gatewayUrl"] = f"https://{name}.azure-api.net"
            state["identity"] = {
                **(inputs.get("identity") or {}),
                "principalId": stable_uuid(typ, name, "principal"),
                "tenantId": FAKE_TENANT_ID,
            }
        elif typ == type_tokens.SUBSCRIPTION:
            # Azure does not return keys when a subscription is created: they come from listSecrets.
            state.pop("primaryKey", None)
            state.pop("secondaryKey", None)
        elif typ == type_tokens.WORKSPACE:
            state["customerId"] = stable_uuid(typ, name, "customer")
        return arm_id(typ, name, inputs), state

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "objectId": FAKE_CLIENT_OBJECT_ID,
                "subscriptionId": FAKE_SUBSCRIPTION_ID,
                "tenantId": FAKE_TENANT_ID,
            }
        if args.token == "azure-native:apimanagement:listSubscriptionSecrets":
            sid = str(args.args.get("sid", ""))
            return {
                "primaryKey": stable_hex(32, sid, "primary"),
                "secondaryKey": stable_hex(32, sid, "secondary"),
            }
        return {}
