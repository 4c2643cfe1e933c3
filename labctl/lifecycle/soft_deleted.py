"""Finding a lab's soft-deleted Azure OpenAI accounts and API Management services after `pulumi destroy`: by
name pattern (stacks/naming.py), then proven by tags or resource group; lookalikes are listed, never purged."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from stacks.naming import LabIdentity

Kind = Literal["account", "gateway"]


KIND_LABEL: dict[Kind, str] = {"account": "Azure OpenAI account", "gateway": "API Management service"}


_ACCOUNT_ID_RE = re.compile(
    r"/locations/(?P<location>[^/]+)/resourceGroups/(?P<rg>[^/]+)/deletedAccounts/(?P<name>[^/]+)$", re.I
)


_SERVICE_ID_RE = re.compile(r"/locations/(?P<location>[^/]+)/deletedservices/(?P<name>[^/]+)$", re.I)


_RG_RE = re.compile(r"/resourceGroups/(?P<rg>[^/]+)/", re.I)


@dataclass(frozen=True)
class SoftDeleted:
    kind: Kind
    name: str
    location: str
    resource_group: str | None
    deleted_on: str | None = None
    purge_on: str | None = None

    @property
    def label(self) -> str:
        return KIND_LABEL[self.kind]


@dataclass(frozen=True)
class Findings:
    ours: list[SoftDeleted]
    # Same name pattern, but not provably this lab's (other tags or resource group): listed, never purged.
    lookalikes: list[tuple[SoftDeleted, str]]


def _location(value: str | None) -> str:
    # Lists may give display names ("West US"); purge paths take ARM names ("westus").
    return (value or "").replace(" ", "").lower()


def _when(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16].replace("T", " ")


def _account(raw: Any) -> SoftDeleted:
    match = _ACCOUNT_ID_RE.search(raw.id or "")
    props = raw.properties
    return SoftDeleted(
        kind="account",
        name=raw.name or (match["name"] if match else ""),
        location=match["location"] if match else _location(raw.location),
        resource_group=match["rg"] if match else None,
        deleted_on=_when(getattr(props, "deletion_date", None)),
        purge_on=_when(getattr(props, "scheduled_purge_date", None)),
    )


def _service(raw: Any) -> SoftDeleted:
    match = _SERVICE_ID_RE.search(raw.id or "")
    rg = _RG_RE.search((raw.service_id or "") + "/")
    return SoftDeleted(
        kind="gateway",
        name=raw.name or (match["name"] if match else ""),
        location=match["location"] if match else _location(raw.location),
        resource_group=rg["rg"] if rg else None,
        deleted_on=_when(raw.deletion_date),
        purge_on=_when(raw.scheduled_purge_date),
    )


def _tags(raw: Any) -> dict[str, str]:
    """The item's tags as the list gives them, or {} when it gives none. Models without a `tags` attribute (API
    Management's deleted services) keep any the API sends among their additional properties."""
    tags = getattr(raw, "tags", None)
    if tags is None:
        tags = (getattr(raw, "additional_properties", None) or {}).get("tags")
    return dict(tags) if isinstance(tags, dict) else {}


def _in_lab_group(item: SoftDeleted, identity: LabIdentity) -> bool:
    return bool(item.resource_group) and str(item.resource_group).lower() == identity.resource_group.lower()


def find_soft_deleted(identity: LabIdentity, cs_client: Any, apim_client: Any) -> Findings:
    ours: list[SoftDeleted] = []
    lookalikes: list[tuple[SoftDeleted, str]] = []
    for raw in cs_client.deleted_accounts.list():
        item = _account(raw)
        if not identity.account_name_re.fullmatch(item.name):
            continue
        tags = _tags(raw)
        theirs = {k: tags.get(k) for k in identity.tags}
        if tags:
            # Tags are there: they decide, whatever the resource group.
            if theirs == identity.tags:
                ours.append(item)
            else:
                shown = ", ".join(f"{k}={v}" for k, v in theirs.items() if v) or "none of the lab's tags"
                lookalikes.append((item, f"tags say {shown}"))
        elif _in_lab_group(item, identity):
            # ARM's deletedAccounts list may omit tags: the resource group in the id stands in for them.
            ours.append(item)
        else:
            lookalikes.append(
                (item, f"it lists no tags and was in resource group {item.resource_group or '?'}")
            )
    for raw in apim_client.deleted_services.list_by_subscription():
        item = _service(raw)
        if not identity.gateway_name_re.fullmatch(item.name):
            continue
        tags = _tags(raw)
        tags_differ = bool(tags) and {k: tags.get(k) for k in identity.tags} != identity.tags
        if tags_differ:
            shown = (
                ", ".join(f"{k}={tags[k]}" for k in identity.tags if tags.get(k)) or "none of the lab's tags"
            )
            lookalikes.append((item, f"tags say {shown}"))
        elif _in_lab_group(item, identity):
            ours.append(item)
        else:
            lookalikes.append((item, f"it was in resource group {item.resource_group or '?'}"))
    ours.sort(key=lambda i: (i.kind, i.name))
    return Findings(ours=ours, lookalikes=lookalikes)
