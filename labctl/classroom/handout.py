"""`labctl handout`: one private file per participant with everything they need to call the lab.

Contents: the gateway endpoint for both clients (`AzureOpenAI` with its api version; `OpenAI` on the v1 API at
`<gateway>/openai/v1/`), the participant's key, the deployment names, their token limits, the class window and
a ready-to-run Python snippet; plus `<name>.env`. The keys are written to files only: never printed, never
logged. Files are created 0600 inside a 0700 folder, each written to a temporary file and renamed into place.
"""

from __future__ import annotations

import html
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from labctl.errors import LabctlError
from labctl.files import atomic_write_text
from labctl.spreadsheet import formula_safe_writer
from stacks.config.values import is_audio_model, is_embedding_model
from stacks.outputs import LabOutputs

Format = Literal["md", "html", "csv"]
FORMATS: tuple[str, ...] = ("md", "html", "csv")
CSV_NAME = "handout.csv"


class HandoutError(LabctlError):
    """The handouts cannot be written; the message says why and what to do (exit 1)."""


@dataclass(frozen=True)
class Limits:
    tokens_per_minute: int | None = None
    token_quota: int | None = None
    token_quota_period: str | None = None

    def describe(self) -> str:
        parts = []
        if self.tokens_per_minute:
            parts.append(f"{self.tokens_per_minute:,} tokens per minute")
        if self.token_quota:
            parts.append(
                f"{self.token_quota:,} tokens per {_PERIOD_NOUN.get(self.token_quota_period or '', 'period')}"
            )
        return "; ".join(parts) or "no per-participant token limit"


_PERIOD_NOUN = {"Hourly": "hour", "Daily": "day", "Weekly": "week", "Monthly": "month", "Yearly": "year"}


@dataclass(frozen=True)
class Student:
    name: str
    email: str
    display_name: str
    key: str
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class ClassInfo:
    gateway: str  # the gateway's root URL: AzureOpenAI appends /openai itself
    api_version: str
    chat: tuple[str, ...]
    embeddings: tuple[str, ...]
    ends_on: str | None
    starts_on: str | None = None
    # The Foundry track: (project, endpoint) where students build agents (AIProjectClient, Entra ID sign-in),
    # and the speech deployments (they answer on /audio/, not chat).
    projects: tuple[tuple[str, str], ...] = ()
    speech: tuple[str, ...] = ()

    @property
    def v1_base_url(self) -> str:
        return f"{self.gateway.rstrip('/')}/openai/v1/"


def class_info(outputs: LabOutputs, *, starts_on: str | None = None) -> ClassInfo:
    """What every handout shares, from the stack outputs (stacks/outputs.py, parsed by labctl.pulumi_cli)."""
    if not outputs.gateway_root:
        raise HandoutError(
            "the stack outputs have no gateway endpoint (gatewayRoot / gatewayUrl): has `pulumi up` completed "
            "for this stack?"
        )
    models = outputs.deployment_models
    return ClassInfo(
        gateway=outputs.gateway_root.rstrip("/"),
        api_version=outputs.api_version,
        chat=tuple(
            sorted(n for n, m in models.items() if not is_embedding_model(m) and not is_audio_model(m))
        ),
        embeddings=tuple(sorted(n for n, m in models.items() if is_embedding_model(m))),
        ends_on=outputs.expires_on,
        starts_on=starts_on,
        projects=tuple(sorted(outputs.project_endpoints.items())),
        speech=tuple(sorted(n for n, m in models.items() if is_audio_model(m))),
    )


# ---- rendering ----


def env_text(info: ClassInfo, student: Student) -> str:
    """A .env both SDK clients read (python-dotenv, VS Code, `set -a; . ./name.env`)."""
    values = {
        "AZURE_OPENAI_ENDPOINT": info.gateway,
        "AZURE_OPENAI_API_KEY": student.key,
        "OPENAI_API_VERSION": info.api_version,
        "AZURE_OPENAI_CHAT_DEPLOYMENT": info.chat[0] if info.chat else "",
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": info.embeddings[0] if info.embeddings else "",
        "OPENAI_BASE_URL": info.v1_base_url,
        "OPENAI_API_KEY": student.key,
    }
    return "".join(f"{k}={_env_quote(v)}\n" for k, v in values.items())


def _env_quote(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_./:@+-]*", value) else '"' + value.replace('"', '\\"') + '"'


def python_snippet(info: ClassInfo, student: Student) -> str:
    chat = info.chat[0] if info.chat else "<chat deployment>"
    lines = [
        "# pip install openai",
        "from openai import AzureOpenAI, OpenAI",
        "",
        f'API_KEY = "{student.key}"  # yours alone: do not share or commit it',
        "",
        "# The Azure OpenAI client: the gateway's root URL and an api-version.",
        "client = AzureOpenAI(",
        f'    azure_endpoint="{info.gateway}",',
        "    api_key=API_KEY,",
        f'    api_version="{info.api_version}",',
        ")",
        "reply = client.chat.completions.create(",
        f'    model="{chat}",  # the deployment name',
        '    messages=[{"role": "user", "content": "Say hello in Spanish."}],',
        ")",
        "print(reply.choices[0].message.content)",
        "",
        "# The plain OpenAI client on the v1 API (no api-version). The gateway reads the key from the",
        "# api-key header, which this client does not send by itself.",
        "v1 = OpenAI(",
        f'    base_url="{info.v1_base_url}",',
        "    api_key=API_KEY,",
        '    default_headers={"api-key": API_KEY},',
        ")",
        "reply = v1.chat.completions.create(",
        f'    model="{chat}",',
        '    messages=[{"role": "user", "content": "Say hello in Spanish."}],',
        ")",
        "print(reply.choices[0].message.content)",
    ]
    if info.embeddings:
        lines += [
            "",
            f'vector = client.embeddings.create(model="{info.embeddings[0]}", input="hola").data[0].embedding',
            "print(len(vector))",
        ]
    return "\n".join(lines) + "\n"


def _window(info: ClassInfo) -> str:
    if info.starts_on and info.ends_on:
        return f"from {info.starts_on} to {info.ends_on} (your key works only in this window)"
    if info.ends_on:
        return f"until {info.ends_on} (your key stops working after that day)"
    return "no end date set"


def _facts(info: ClassInfo, student: Student) -> list[tuple[str, str]]:
    return [
        ("Participant", student.name),
        ("Endpoint (AzureOpenAI client)", info.gateway),
        ("API version (AzureOpenAI client)", info.api_version),
        ("Base URL (OpenAI client, v1 API)", info.v1_base_url),
        ("Key", student.key),
        ("Chat deployments", ", ".join(info.chat) or "(none)"),
        ("Embedding deployments", ", ".join(info.embeddings) or "(none)"),
        ("Token limits", student.limits.describe()),
        ("Class window", _window(info)),
        *([("Speech deployments (your Entra ID sign-in)", ", ".join(info.speech))] if info.speech else []),
        *(
            (f"Foundry project {name} (AIProjectClient, your Entra ID sign-in)", endpoint)
            for name, endpoint in info.projects
        ),
    ]


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~-])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown(info: ClassInfo, student: Student) -> str:
    title = student.display_name or student.name
    out = [
        f"# Azure OpenAI lab: {_md(title)}",
        "",
        "Keep this file private: the key below is yours alone.",
        "",
    ]
    out += ["| | |", "|---|---|"]
    out += [f"| {label} | `{value}` |" for label, value in _facts(info, student)]
    out += ["", "## Try it", "", "```python", python_snippet(info, student).rstrip("\n"), "```", ""]
    out += [f"The same settings are in `{student.name}.env`, for tools that read a .env file.", ""]
    return "\n".join(out)


def html_page(info: ClassInfo, student: Student) -> str:
    e = html.escape
    title = e(student.display_name or student.name)
    rows = "\n".join(
        f"<tr><th>{e(label)}</th><td><code>{e(value)}</code></td></tr>"
        for label, value in _facts(info, student)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Azure OpenAI lab: {title}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto}th{text-align:left;"
        "padding-right:1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style>\n</head>\n<body>\n"
        f"<h1>Azure OpenAI lab: {title}</h1>\n<p>Keep this page private: the key below is yours alone.</p>\n"
        f"<table>\n{rows}\n</table>\n<h2>Try it</h2>\n"
        f"<pre><code>{e(python_snippet(info, student))}</code></pre>\n"
        f"<p>The same settings are in <code>{e(student.name)}.env</code>.</p>\n</body>\n</html>\n"
    )


CSV_COLUMNS = (
    "participant",
    "name",
    "email",
    "endpoint",
    "api_version",
    "v1_base_url",
    "key",
    "chat_deployments",
    "embedding_deployments",
    "token_limits",
    "starts_on",
    "ends_on",
)


def csv_text(info: ClassInfo, students: Sequence[Student]) -> str:
    """One row per student, for a mail merge."""
    buffer = io.StringIO()
    writer = formula_safe_writer(buffer, lineterminator="\r\n")  # every cell: labctl/spreadsheet.py
    writer.writerow(CSV_COLUMNS)
    for s in students:
        writer.writerow(
            [
                s.name,
                _defuse(s.display_name),
                s.email,
                info.gateway,
                info.api_version,
                info.v1_base_url,
                s.key,
                " ".join(info.chat),
                " ".join(info.embeddings),
                s.limits.describe(),
                info.starts_on or "",
                info.ends_on or "",
            ]
        )
    return buffer.getvalue()


def _defuse(text: str) -> str:
    # A cell starting with =, +, - or @ is a formula to a spreadsheet (CSV injection).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


# ---- writing, owner-only ----


def private_dir(path: Path) -> None:
    """Create `path` (and parents) readable by the owner only; tighten it if it already exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix" and (path.stat().st_mode & 0o077):
        os.chmod(path, 0o700)


def write_private(path: Path, text: str) -> None:
    """The file 0600 from the first byte (never world-readable, whatever the umask), renamed over `path` whole."""
    atomic_write_text(path, text, mode=0o600)


def write_handouts(out_dir: Path, info: ClassInfo, students: Sequence[Student], fmt: Format) -> list[Path]:
    """Write the handouts; returns the files written (the caller prints their names, never their contents)."""
    if fmt not in FORMATS:
        raise HandoutError(f"unknown format '{fmt}'. Fix: use one of {', '.join(FORMATS)}")
    try:
        private_dir(out_dir)
        written: list[Path] = []
        for student in students:
            env_path = out_dir / f"{student.name}.env"
            write_private(env_path, env_text(info, student))
            written.append(env_path)
            if fmt == "md":
                page = out_dir / f"{student.name}.md"
                write_private(page, markdown(info, student))
                written.append(page)
            elif fmt == "html":
                page = out_dir / f"{student.name}.html"
                write_private(page, html_page(info, student))
                written.append(page)
        if fmt == "csv":
            sheet = out_dir / CSV_NAME
            # A BOM so Excel opens names with accents correctly.
            write_private(sheet, "\ufeff" + csv_text(info, students))
            written.append(sheet)
    except OSError as exc:
        raise HandoutError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    return written


def canonical_limits(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """A `limits` / `participantLimits` mapping with its fixed choices spelled as the settings spell them (the
    config accepts `tokenQuotaPeriod: daily`; the settings keep `Daily`): the same function the settings use."""
    from stacks.config.sections import TokenLimitSettings
    from stacks.config.values import choices_in_any_case

    return choices_in_any_case(TokenLimitSettings, dict(entry or {}))


def limits_of(entry: Mapping[str, Any] | None) -> Limits:
    """A `limits` / `participantLimits` mapping of the stack file as Limits (missing: no limit)."""
    entry = canonical_limits(entry)
    return Limits(
        tokens_per_minute=entry.get("tokensPerMinute"),
        token_quota=entry.get("tokenQuota"),
        token_quota_period=entry.get("tokenQuotaPeriod"),
    )


def students_from(
    participants: Sequence[Mapping[str, Any]], keys: Mapping[str, str], defaults: Limits = Limits()
) -> tuple[list[Student], list[str]]:
    """(students with a key, names of participants the outputs have no key for yet). A participant's own
    `limits` win over the class's `participantLimits` (`defaults`), key by key, as in the gateway policy."""
    students: list[Student] = []
    missing: list[str] = []
    for p in participants:
        name = str(p.get("name"))
        key = keys.get(name)
        if key is None:
            missing.append(name)
            continue
        own = limits_of(p.get("limits"))
        limits = Limits(
            tokens_per_minute=own.tokens_per_minute or defaults.tokens_per_minute,
            token_quota=own.token_quota or defaults.token_quota,
            token_quota_period=own.token_quota_period or defaults.token_quota_period,
        )
        students.append(Student(name, str(p.get("email", "")), str(p.get("displayName") or ""), key, limits))
    return students, missing
