"""The lab's Log Analytics workspace and its saved Kusto queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from pulumi_azure_native import operationalinsights

QUERY_DIR = Path(__file__).parent / "queries"
QUERY_CATEGORY = "aoai-lab"


@dataclass(frozen=True)
class SavedQuery:
    id: str
    title: str
    query: str


def load_queries(directory: Path = QUERY_DIR) -> list[SavedQuery]:
    """Each `.kql` file is one saved search; its `// title:` line is the display name."""
    queries = []
    for path in sorted(directory.glob("*.kql")):
        text = path.read_text(encoding="utf-8")
        title = next(
            (ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("// title:")), path.stem
        )
        queries.append(SavedQuery(id=path.stem, title=title, query=text.strip() + "\n"))
    return queries


@dataclass
class LabMonitoringArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_name: pulumi.Input[str]
    retention_in_days: int = 30
    # Ingestion stops for the day at the cap: labs run on student credits.
    daily_quota_gb: float = 1.0
    queries: list[SavedQuery] = field(default_factory=load_queries)
    tags: Mapping[str, str] = field(default_factory=dict)


class LabMonitoring(pulumi.ComponentResource):
    workspace: operationalinsights.Workspace
    saved_searches: dict[str, operationalinsights.SavedSearch]

    def __init__(
        self, name: str, args: LabMonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("aoai-lab:components:LabMonitoring", name, None, opts)
        self.workspace = operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=args.retention_in_days,
            workspace_capping=operationalinsights.WorkspaceCappingArgs(daily_quota_gb=args.daily_quota_gb),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        tag_list = [operationalinsights.TagArgs(name=k, value=v) for k, v in args.tags.items()]
        self.saved_searches = {}
        for q in args.queries:
            self.saved_searches[q.id] = operationalinsights.SavedSearch(
                f"{name}-query-{q.id}",
                saved_search_id=f"aoai-lab-{q.id}",
                workspace_name=self.workspace.name,
                resource_group_name=args.resource_group_name,
                category=QUERY_CATEGORY,
                display_name=q.title,
                query=q.query,
                version=2,
                tags=tag_list,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"workspaceId": self.workspace.id, "customerId": self.workspace.customer_id})
