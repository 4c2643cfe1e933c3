"""The lab's Log Analytics workspace and its saved Kusto queries."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from pulumi_azure_native import applicationinsights, operationalinsights

QUERY_DIR = Path(__file__).parent / "queries"
WORKBOOK_FILE = Path(__file__).parent / "workbooks" / "instructor-live-view.json"
# Workbook resource names must be GUIDs: derived from the workspace id, stable for the life of the workspace.
_WORKBOOK_NAMESPACE = uuid.UUID("0c0b9f7e-2d4a-4b8e-9a57-6d1f3e2a4c11")
QUERY_CATEGORY = "aoai-lab"
# A parameter line: `let <name> = <KQL expression>;` alone on its line, before the query's body.
_PARAMETER = re.compile(r"^let (?P<name>[A-Za-z_][A-Za-z0-9_]*) = (?P<expr>.+);\s*$")


@dataclass(frozen=True)
class SavedQuery:
    id: str
    title: str
    query: str
    # Parameter name -> default expression (the `let` lines after the comment header), e.g. startTime -> ago(1d).
    parameters: Mapping[str, str] = field(default_factory=dict)

    def bind(self, **values: str) -> str:
        return bind_parameters(self.query, **values)


def query_parameters(query: str) -> dict[str, str]:
    """The query's parameters: the `let` lines that follow its leading comment lines."""
    params: dict[str, str] = {}
    for line in query.splitlines():
        stripped = line.strip()
        if not params and (not stripped or stripped.startswith("//")):
            continue
        match = _PARAMETER.match(stripped)
        if match is None:
            break
        params[match["name"]] = match["expr"]
    return params


def bind_parameters(query: str, **values: str) -> str:
    """The query with the given parameters' default expressions replaced (KQL expressions, e.g. `ago(7d)` or
    `kql_datetime(...)`); the rest of the query is untouched. An unknown name is an error, not a silent no-op."""
    known = query_parameters(query)
    unknown = set(values) - set(known)
    if unknown:
        raise KeyError(
            f"the query has no parameter {', '.join(sorted(unknown))} (it has {', '.join(known) or 'none'})"
        )
    lines = query.splitlines(keepends=True)
    for i, line in enumerate(lines):
        match = _PARAMETER.match(line.strip())
        if match and match["name"] in values:
            ending = "\n" if line.endswith("\n") else ""
            lines[i] = f"let {match['name']} = {values[match['name']]};{ending}"
            values = {k: v for k, v in values.items() if k != match["name"]}
    return "".join(lines)


def kql_datetime(moment: dt.datetime) -> str:
    """A KQL datetime literal in UTC (naive datetimes are taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return f"datetime({moment.isoformat(timespec='seconds')}Z)"


def load_queries(directory: Path = QUERY_DIR) -> list[SavedQuery]:
    """Each `.kql` file is one saved search; its `// title:` line is the display name."""
    queries = []
    for path in sorted(directory.glob("*.kql")):
        text = path.read_text(encoding="utf-8")
        title = next(
            (ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("// title:")), path.stem
        )
        query = text.strip() + "\n"
        queries.append(SavedQuery(id=path.stem, title=title, query=query, parameters=query_parameters(query)))
    return queries


def workbook_json(workspace_id: str, path: Path = WORKBOOK_FILE) -> str:
    """The workbook's serialized data: the JSON data file, bound to the lab's workspace."""
    workbook = json.loads(path.read_text(encoding="utf-8"))
    workbook["fallbackResourceIds"] = [workspace_id]
    return json.dumps(workbook)


def workbook_name(workspace_id: str) -> str:
    return str(uuid.uuid5(_WORKBOOK_NAMESPACE, workspace_id.lower()))


@dataclass
class LabMonitoringArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_name: pulumi.Input[str]
    retention_in_days: int = 30
    # Ingestion stops for the day at the cap: labs run on student credits.
    daily_quota_gb: float = 1.0
    queries: list[SavedQuery] = field(default_factory=load_queries)
    # The instructor's live view (Azure Monitor workbook) over the gateway's logs.
    workbook: bool = True
    workbook_title: str = "aoai-lab: the class, live"
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
        self.workbook: applicationinsights.Workbook | None = None
        if args.workbook:
            self.workbook = applicationinsights.Workbook(
                f"{name}-workbook",
                resource_name_=self.workspace.id.apply(workbook_name),
                resource_group_name=args.resource_group_name,
                location=args.location,
                kind="shared",
                category="workbook",
                display_name=args.workbook_title,
                serialized_data=self.workspace.id.apply(workbook_json),
                source_id=self.workspace.id,
                version="Notebook/1.0",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"workspaceId": self.workspace.id, "customerId": self.workspace.customer_id})
