"""Plan the AiGateway component alone, with typed arguments, under the same mock runtime as `labctl plan`."""

from __future__ import annotations

from typing import Any

from components.ai_gateway import AiGateway, AiGatewayArgs, GatewayParticipant
from labctl.plan.runtime import Plan, run_program

GENERIC_RESOURCE = "azure-native:resources:Resource"
PARTICIPANTS = (
    GatewayParticipant("student01", "student01@contoso.edu"),
    GatewayParticipant("student02", "student02@contoso.edu"),
    GatewayParticipant("student03", "student03@contoso.edu"),
)
WORKSPACE_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-lab"


def plan_gateway(**changes: Any) -> Plan:
    args: dict[str, Any] = {
        "resource_group_name": "rg-lab",
        "location": "eastus2",
        "service_name": "apim-lab",
        "publisher_email": "ana.garcia@contoso.edu",
        "publisher_name": "aoai-lab",
        "openai_endpoint": "https://aoai-lab.openai.azure.com/",
        "participants": PARTICIPANTS,
        "diagnostics_workspace_id": WORKSPACE_ID,
        **changes,
    }

    def program() -> None:
        AiGateway("gateway", AiGatewayArgs(**args))

    return run_program(program, project="aoai-lab", stack="unit", config={})
