"""Diagnostic settings: every resource log and all metrics to the lab's Log Analytics workspace."""

from __future__ import annotations

import pulumi
from pulumi_azure_native import monitor


def diagnostic_setting(
    name: str,
    *,
    resource_uri: pulumi.Input[str],
    workspace_id: pulumi.Input[str],
    dedicated_tables: bool,
    parent: pulumi.Resource,
) -> monitor.DiagnosticSetting:
    """All log categories (the `allLogs` group follows new categories as Azure adds them) and AllMetrics.

    `dedicated_tables` sends logs to resource-specific tables (e.g. ApiManagementGatewayLogs) instead of
    AzureDiagnostics; only resources that define such tables accept it.
    """
    return monitor.DiagnosticSetting(
        name,
        name="to-lab-workspace",
        resource_uri=resource_uri,
        workspace_id=workspace_id,
        log_analytics_destination_type="Dedicated" if dedicated_tables else None,
        logs=[monitor.DiagnosticsLogSettingsArgs(category_group="allLogs", enabled=True)],
        metrics=[monitor.DiagnosticsMetricSettingsArgs(category="AllMetrics", enabled=True)],
        opts=pulumi.ResourceOptions(parent=parent),
    )
