"""How a deployment's capacity counts: on the standard deployment types one unit is 1,000 tokens per minute.

Source: learn.microsoft.com/azure/ai-foundry/openai/how-to/quota ("Tokens-per-Minute (TPM) ... each unit of capacity
is 1,000 TPM" on the Standard, GlobalStandard and DataZoneStandard types); provisioned types count provisioned
throughput units (PTUs) and batch types enqueued tokens, so the same number means something else there
(learn.microsoft.com/azure/ai-foundry/openai/concepts/provisioned-throughput).
"""

from __future__ import annotations

# Tokens per minute one capacity unit gives on a TPM SKU.
TPM_PER_UNIT = 1000
# Deployment types (`sku.name`) whose capacity is counted in units of TPM_PER_UNIT tokens per minute.
TPM_SKUS: frozenset[str] = frozenset({"Standard", "GlobalStandard", "DataZoneStandard"})
