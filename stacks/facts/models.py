"""Azure OpenAI model facts (stacks/facts/models.yaml) and the checks a stack's deployments must pass.

The data file names a source for every fact. These checks run offline (`labctl plan`, `pulumi up`, `labctl check`);
`labctl preflight` reads the region's live model list when signed in and stays the authority where they differ.
Nothing here knows the stack's config layout: callers pass the key paths to name in messages.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

FACTS_FILE = Path(__file__).with_name("models.yaml")
CAPABILITIES = frozenset({"chat", "embeddings", "responses", "reasoning", "speech"})
_DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})(-preview)?$")
# A fine-tuned model id: `<base>-<YYYY-MM-DD>.ft-<hex>` (or `<base>.ft-<hex>`).
_FINE_TUNED = re.compile(r"^(?P<base>.+?)(?:-(?P<date>\d{4}-\d{2}-\d{2}))?\.ft-[0-9a-zA-Z]+$")


class ModelFactsError(ValueError):
    """The data file itself is wrong (a maintainer's error, caught by the tests)."""


@dataclass(frozen=True)
class ModelFamily:
    name: str
    capabilities: frozenset[str]
    min_api_version: str
    skus: tuple[str, ...]
    # version -> retirement date (None: no announced date)
    retirements: dict[str, dt.date | None]
    source: str
    retired: bool = False
    limited_access: bool = False

    @property
    def is_chat(self) -> bool:
        return "chat" in self.capabilities

    @property
    def is_embeddings(self) -> bool:
        return "embeddings" in self.capabilities


@dataclass(frozen=True)
class ModelFacts:
    families: dict[str, ModelFamily]
    known_api_versions: tuple[str, ...]
    default_api_version: str
    developer_tier_sku: str
    developer_tier_hours: int

    def family(self, model: str) -> tuple[ModelFamily | None, bool]:
        """(family, is fine-tuned) for a deployment's model name."""
        fine_tuned = _FINE_TUNED.fullmatch(model)
        name = fine_tuned["base"] if fine_tuned else model
        return self.families.get(name.lower()), fine_tuned is not None

    def api_version_for(self, models: list[str]) -> str:
        """The oldest dated API version every one of `models` answers on, never older than the default."""
        wanted = [self.default_api_version]
        for model in models:
            fam, _ = self.family(model)
            if fam is not None:
                wanted.append(fam.min_api_version)
        return max(wanted, key=api_version_key)


def api_version_key(version: str) -> tuple[str, int]:
    """Dated API versions sort by date; a preview sorts after the GA version of the same date."""
    m = _DATED.fullmatch(version)
    if not m:
        raise ValueError(f"'{version}' is not a dated API version such as 2024-10-21 or 2025-04-01-preview")
    return m[1], 1 if m[2] else 0


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ModelFactsError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from None


def load_facts(path: Path = FACTS_FILE) -> ModelFacts:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    families: dict[str, ModelFamily] = {}
    for name, spec in raw["families"].items():
        where = f"{path.name}: families.{name}"
        caps = frozenset(spec["capabilities"])
        if not caps or not caps <= CAPABILITIES:
            raise ModelFactsError(f"{where}.capabilities: use some of {sorted(CAPABILITIES)}")
        for key in ("source", "skus_source"):
            if not str(spec.get(key) or "").strip():
                raise ModelFactsError(f"{where}: every fact needs a source ({key})")
        retirements: dict[str, dt.date | None] = {}
        for version, info in (spec.get("versions") or {}).items():
            info = info or {}
            if "retires" in info:
                if not info.get("source"):
                    raise ModelFactsError(f"{where}.versions.{version}: a retirement date needs a source")
                retirements[str(version)] = _date(info["retires"], f"{where}.versions.{version}.retires")
            else:
                retirements[str(version)] = None
        api_version_key(spec["min_api_version"])  # validates the spelling
        families[name.lower()] = ModelFamily(
            name=name,
            capabilities=caps,
            min_api_version=spec["min_api_version"],
            skus=tuple(spec["skus"]),
            retirements=retirements,
            source=spec["source"],
            retired=bool(spec.get("retired", False)),
            limited_access=bool(spec.get("limited_access", False)),
        )
    versions = raw["api_versions"]
    known = tuple(versions["known"])
    if sorted(known, key=api_version_key) != list(known) or versions["default"] not in known:
        raise ModelFactsError(f"{path.name}: api_versions.known must be oldest first and hold the default")
    tuning = raw["fine_tuning"]
    return ModelFacts(
        families=families,
        known_api_versions=known,
        default_api_version=versions["default"],
        developer_tier_sku=tuning["developer_tier_sku"],
        developer_tier_hours=int(tuning["developer_tier_lifetime_hours"]),
    )


@cache
def model_facts() -> ModelFacts:
    return load_facts()


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


@dataclass(frozen=True)
class DeploymentFacts:
    """What the checks need of one deployment, and the config key that names it (e.g. `aoai-lab:deployments[0]`)."""

    key: str
    name: str
    model: str
    version: str
    sku: str
    extra: dict[str, str] = field(default_factory=dict)


def check_deployments(
    deployments: list[DeploymentFacts],
    *,
    api_version: str,
    api_version_key_path: str,
    expires_on: dt.date,
    today: dt.date | None = None,
    facts: ModelFacts | None = None,
) -> list[Finding]:
    """Errors (the stack cannot work) and warnings (it may not, or not for long) for the stack's deployments."""
    facts = facts or model_facts()
    today = today or dt.datetime.now(dt.UTC).date()
    findings: list[Finding] = []
    for d in deployments:
        fam, fine_tuned = facts.family(d.model)
        if fam is None:
            hint = difflib.get_close_matches(d.model.lower(), list(facts.families), n=1, cutoff=0.6)
            suggestion = f" Did you mean '{facts.families[hint[0]].name}'?" if hint else ""
            findings.append(
                Finding(
                    "warning",
                    f"{d.key}.model",
                    f"'{d.model}' is not a model the lab knows (stacks/facts/models.yaml), so its API version, "
                    f"deployment types and retirement are not checked.{suggestion} `labctl preflight` checks the "
                    "region's live model list.",
                )
            )
        else:
            findings.extend(
                _check_known(d, fam, fine_tuned, api_version, api_version_key_path, expires_on, today)
            )
        if d.sku == facts.developer_tier_sku:
            findings.append(
                Finding(
                    "warning",
                    f"{d.key}.sku",
                    f"{facts.developer_tier_sku} deployments are deleted by Azure {facts.developer_tier_hours} hours "
                    "after they are created (Azure OpenAI fine-tuning docs): fine for a quick evaluation, not for a "
                    "lab that runs longer; use Standard or GlobalStandard for the class",
                )
            )
    return findings


def _check_known(
    d: DeploymentFacts,
    fam: ModelFamily,
    fine_tuned: bool,
    api_version: str,
    api_version_key_path: str,
    expires_on: dt.date,
    today: dt.date,
) -> list[Finding]:
    out: list[Finding] = []
    if fam.retired:
        out.append(
            Finding(
                "error",
                f"{d.key}.model",
                f"{fam.name} is retired: Azure answers every call with ServiceModelDeprecated ({fam.source}). "
                "Fix: deploy a current model such as gpt-5-mini or gpt-5.1 (stacks/facts/models.yaml)",
            )
        )
        return out
    if (fam.is_chat or "responses" in fam.capabilities) and api_version_key(api_version) < api_version_key(
        fam.min_api_version
    ):
        out.append(
            Finding(
                "error",
                f"{d.key}.model",
                f"{fam.name} answers only on api-version {fam.min_api_version} or later (or the v1 API), but the "
                f"stack hands out {api_version} ({api_version_key_path}); calls would fail with 400 "
                f"(source: {fam.source}). Fix: set {api_version_key_path} to {fam.min_api_version}",
            )
        )
    if d.sku not in fam.skus and not fine_tuned:
        out.append(
            Finding(
                "warning",
                f"{d.key}.sku",
                f"{fam.name} is not listed for deployment type '{d.sku}' (offered: {', '.join(fam.skus)}); "
                "`labctl preflight` checks the region's live list",
            )
        )
    retires = fam.retirements.get(d.version)
    if not fine_tuned and d.version not in fam.retirements and fam.retirements:
        out.append(
            Finding(
                "warning",
                f"{d.key}.version",
                f"{fam.name} version '{d.version}' is not one the lab knows ({', '.join(fam.retirements)}); "
                "`labctl preflight` checks the region's live list",
            )
        )
    if retires is not None and retires <= expires_on:
        when = "retired on" if retires <= today else "retires on"
        out.append(
            Finding(
                "warning",
                f"{d.key}.version",
                f"{fam.name} {d.version} {when} {retires.isoformat()}, before the lab's expiresOn "
                f"({expires_on.isoformat()}); after that date calls fail (model retirements page). Fix: pin a "
                "newer model or version, or end the lab earlier",
            )
        )
    return out
