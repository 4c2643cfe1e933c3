"""The handouts' languages: the text a student reads, as data (labctl/classroom/locales/<code>.yaml), never as
if/else in code. `aoai-lab:classLanguage` picks one per class; `labctl handout --lang` overrides it."""

from __future__ import annotations

import functools
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LOCALES = Path(__file__).with_name("locales")
REFUSALS_FILE = Path(__file__).with_name("refusals.yaml")
DEFAULT_LANGUAGE = "en"


def languages() -> tuple[str, ...]:
    """The languages a handout can be written in: one file each."""
    return tuple(sorted(p.stem for p in LOCALES.glob("*.yaml")))


@dataclass(frozen=True)
class Refusal:
    """One way the lab says no: the HTTP status, the `error.code` the student sees (None: none) and the key of
    its explanation in the locale files."""

    status: int
    code: str | None
    key: str
    from_azure: bool = False
    # May arrive with API Management's own short body (statusCode, message) instead of the code.
    short_body: bool = False


@functools.cache
def refusals() -> tuple[Refusal, ...]:
    data = yaml.safe_load(REFUSALS_FILE.read_text(encoding="utf-8"))
    return tuple(
        Refusal(
            int(r["status"]),
            r.get("code"),
            str(r["key"]),
            r.get("from") == "azure",
            bool(r.get("short_body")),
        )
        for r in data
    )


class Texts:
    """One language's texts: `t("facts.key")`, `t("title", name=...)`; numbers with its thousands separator."""

    def __init__(self, code: str, data: dict[str, Any]) -> None:
        self.code = code
        self._data = data

    def t(self, path: str, **fields: Any) -> str:
        node: Any = self._data
        for part in path.split("."):
            node = node[part]
        if not isinstance(node, str):
            raise KeyError(f"{self.code}: {path} is not a text")
        return node.format(**fields) if fields else node

    def has(self, path: str) -> bool:
        try:
            self.t(path)
        except KeyError:
            return False
        return True

    def number(self, n: int) -> str:
        return f"{n:,}".replace(",", self.t("number.thousands"))


@functools.cache
def texts(code: str = DEFAULT_LANGUAGE) -> Texts:
    """The texts of `code`; a language without a file is a LookupError naming the ones there are."""
    path = LOCALES / f"{code}.yaml"
    if code not in languages():
        raise LookupError(f"no handout language '{code}'. Fix: use one of {', '.join(languages())}")
    return Texts(code, yaml.safe_load(path.read_text(encoding="utf-8")))


def flat_keys(data: Any, prefix: str = "") -> dict[str, str]:
    """{dotted key: text} of a locale file: what the test compares across languages."""
    if isinstance(data, dict):
        found: dict[str, str] = {}
        for key, value in data.items():
            found.update(flat_keys(value, f"{prefix}{key}."))
        return found
    return {prefix.rstrip("."): str(data)}


def fields_of(text: str) -> set[str]:
    """The `{name}` fields a text expects."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}
