"""A model of another publisher, as a stack file's `aoai-lab:deployments` entry: the Foundry track's catalog example
(Pulumi.dev.yaml, README), for tests that add one to the dev stack. Its `format` is what sets it apart from an
Azure OpenAI model (the gateway's role, its routes); copy before changing (`{**FOUNDRY_MODEL, ...}`)."""

from __future__ import annotations

FOUNDRY_MODEL = {
    "name": "deepseek",
    "model": "DeepSeek-R1",
    "version": "1",
    "format": "DeepSeek",
    "sku": "GlobalStandard",
    "capacity": 1,
}
