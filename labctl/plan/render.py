"""Terminal rendering of a plan: the resource tree with each resource's key properties."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from labctl.plan.runtime import Plan
from labctl.resource_types import KEY_PROPERTIES
from labctl.snapshot import STACK_TYPE


def _get(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _short(value: Any) -> str:
    text = str(value)
    if text.startswith("/subscriptions/") and text.count("/") > 4:
        text = "…/" + "/".join(text.rsplit("/", 2)[-2:])
    return text


def describe(resource: dict[str, Any]) -> str:
    typ = resource["type"]
    name = resource["urn"].rsplit("::", 1)[-1]
    props = []
    for path in KEY_PROPERTIES.get(typ, ()):
        value = _get(resource["inputs"], path)
        if value is not None:
            props.append(f"[dim]{escape(path)}=[/dim]{escape(_short(value))}")
    # Names and values come from the stack file: escaped, never read as markup.
    label = f"[bold]{escape(typ)}[/bold] [cyan]{escape(name)}[/cyan]"
    return label + ("  " + " ".join(props) if props else "")


def render_plan(plan: Plan, console: Console) -> None:
    stack = next(r for r in plan.resources if r["type"] == STACK_TYPE)
    root = Tree(f"[bold]{escape(plan.project)}[/bold] / [bold]{escape(plan.stack)}[/bold]")
    nodes: dict[str, Tree] = {stack["urn"]: root}
    for r in plan.resources:
        if r["type"] == STACK_TYPE:
            continue
        parent = nodes.get(r.get("parent", ""), root)
        nodes[r["urn"]] = parent.add(describe(r))
    console.print(root)
    for warning in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
    counts = Counter(r["type"] for r in plan.resources if r["custom"])
    components = sum(1 for r in plan.resources if not r["custom"] and r["type"] != STACK_TYPE)
    azure_types = [t for t in counts if t.startswith("azure-native:")]
    azure = sum(counts[t] for t in azure_types)
    console.print(
        f"\n[bold]{azure} Azure resources[/bold] ({len(azure_types)} types) and "
        f"{sum(counts.values()) - azure} helper resource(s), in {components} components, would be created."
    )
