"""What a handout says, in the class's language (labctl/classroom/i18n.py): the page (Markdown or HTML), the
.env, the Python snippet (the v1 API's `OpenAI` client first, the dated `AzureOpenAI` client second), the errors
explained, and the CSV for a mail merge. Text from people (names) is escaped for each format."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Sequence

from labctl.classroom.handout import ClassInfo, Limits, Student
from labctl.classroom.i18n import Texts, refusals, texts
from labctl.spreadsheet import formula_safe_writer

# ---- the parts every format shares ----


def describe_limits(limits: Limits, tx: Texts) -> str:
    parts = []
    if limits.tokens_per_minute:
        parts.append(tx.t("limits.per_minute", n=tx.number(limits.tokens_per_minute)))
    if limits.token_quota:
        period = limits.token_quota_period or "other"
        noun = (
            tx.t(f"limits.periods.{period}")
            if tx.has(f"limits.periods.{period}")
            else tx.t("limits.periods.other")
        )
        parts.append(tx.t("limits.quota", n=tx.number(limits.token_quota), period=noun))
    return "; ".join(parts) or tx.t("limits.none")


def window(info: ClassInfo, tx: Texts) -> str:
    """When the key works, in the class's time zone (aoai-lab:timeZone; UTC when unset, and the text says UTC):
    the gateway opens at 00:00 of startsOn and closes at the end of expiresOn there (stacks/config/class_times.py,
    the same function the policy's instants come from)."""
    from stacks.config.class_times import class_times

    if not info.ends_on:
        return tx.t("window.none")
    starts = dt.date.fromisoformat(info.starts_on) if info.starts_on else None
    times = class_times(starts, dt.date.fromisoformat(info.ends_on), info.time_zone)
    end = times.label(times.closes) if times.closes else info.ends_on
    if times.opens is not None:
        return tx.t("window.from_to", start=times.label(times.opens), end=end)
    return tx.t("window.until", end=end)


def facts(info: ClassInfo, student: Student, tx: Texts) -> list[tuple[str, str]]:
    none = tx.t("facts.none")
    return [
        (tx.t("facts.participant"), f"{student.name} <{student.email}>" if student.email else student.name),
        (tx.t("facts.base_url"), info.v1_base_url),
        (tx.t("facts.key"), student.key),
        (tx.t("facts.chat"), ", ".join(info.chat) or none),
        (tx.t("facts.embeddings"), ", ".join(info.embeddings) or none),
        (tx.t("facts.limits"), describe_limits(student.limits, tx)),
        (tx.t("facts.window"), window(info, tx)),
        (tx.t("facts.endpoint"), info.gateway),
        (tx.t("facts.api_version"), info.api_version),
        *([(tx.t("facts.speech"), ", ".join(info.speech))] if info.speech else []),
        *((tx.t("facts.project", name=name), endpoint) for name, endpoint in info.projects),
    ]


def error_rows(tx: Texts) -> list[tuple[str, str, str]]:
    """(answer, what it means, what to do) for every way the lab says no (labctl/classroom/refusals.yaml)."""
    rows = []
    for r in refusals():
        answer = f"{r.status} {r.code}" if r.code else str(r.status)
        if r.key == "CompletionFiltered":
            answer = f"{r.status} finish_reason=content_filter"
        if r.from_azure:
            answer = f"{answer} {tx.t('errors.from_azure')}"
        if r.short_body:
            answer = f"{answer} {tx.t('errors.short_body')}"
        rows.append((answer, tx.t(f"errors.codes.{r.key}.meaning"), tx.t(f"errors.codes.{r.key}.todo")))
    return rows


def env_text(info: ClassInfo, student: Student) -> str:
    """A .env both SDK clients read (python-dotenv, VS Code, `set -a; . ./name.env`)."""
    values = {
        "OPENAI_BASE_URL": info.v1_base_url,
        "OPENAI_API_KEY": student.key,
        "AZURE_OPENAI_ENDPOINT": info.gateway,
        "AZURE_OPENAI_API_KEY": student.key,
        "OPENAI_API_VERSION": info.api_version,
        "AZURE_OPENAI_CHAT_DEPLOYMENT": info.chat[0] if info.chat else "",
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": info.embeddings[0] if info.embeddings else "",
    }
    return "".join(f"{k}={_env_quote(v)}\n" for k, v in values.items())


def _env_quote(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_./:@+-]*", value) else '"' + value.replace('"', '\\"') + '"'


def _py(text: str) -> str:
    """A Python string literal (names and keys never break the snippet)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def python_snippet(info: ClassInfo, student: Student, tx: Texts | None = None) -> str:
    tx = tx or texts()
    chat = _py(info.chat[0] if info.chat else "<chat deployment>")
    prompt = _py(tx.t("snippet.prompt"))
    lines = [
        "# pip install openai",
        "from openai import AzureOpenAI, OpenAI",
        "",
        f"API_KEY = {_py(student.key)}  # {tx.t('snippet.secret')}",
        "",
        f"# {tx.t('snippet.v1')}",
        "client = OpenAI(",
        f"    base_url={_py(info.v1_base_url)},",
        "    api_key=API_KEY,",
        '    default_headers={"api-key": API_KEY},',
        ")",
        "reply = client.chat.completions.create(",
        f"    model={chat},  # {tx.t('snippet.deployment')}",
        f'    messages=[{{"role": "user", "content": {prompt}}}],',
        ")",
        "print(reply.choices[0].message.content)",
        "",
        f"# {tx.t('snippet.dated')}",
        "azure = AzureOpenAI(",
        f"    azure_endpoint={_py(info.gateway)},",
        "    api_key=API_KEY,",
        f"    api_version={_py(info.api_version)},",
        ")",
        "reply = azure.chat.completions.create(",
        f"    model={chat},",
        f'    messages=[{{"role": "user", "content": {prompt}}}],',
        ")",
        "print(reply.choices[0].message.content)",
    ]
    if info.embeddings:
        lines += [
            "",
            f"# {tx.t('snippet.embeddings')}",
            f'vector = client.embeddings.create(model={_py(info.embeddings[0])}, input="hola").data[0].embedding',
            "print(len(vector))",
        ]
    return "\n".join(lines) + "\n"


# ---- Markdown ----

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~-])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_cell(text: str) -> str:
    # Inside a table cell only the pipe breaks the row; backticks stay code.
    return text.replace("|", "\\|")


def markdown(info: ClassInfo, student: Student, tx: Texts | None = None) -> str:
    tx = tx or texts()
    out = [f"# {tx.t('title', name=_md(student.title))}", ""]
    if info.preview:
        out += [f"**{tx.t('preview')}**", ""]
    out += [tx.t("private"), "", "| | |", "|---|---|"]
    out += [f"| {_md_cell(label)} | `{value}` |" for label, value in facts(info, student, tx)]
    out += [
        "",
        f"## {tx.t('try_it')}",
        "",
        "```python",
        python_snippet(info, student, tx).rstrip("\n"),
        "```",
        "",
    ]
    out += [tx.t("env_note", env=f"{student.name}.env"), ""]
    out += [f"## {tx.t('errors.heading')}", "", tx.t("errors.intro"), ""]
    out += [
        f"| {tx.t('errors.answer')} | {tx.t('errors.meaning')} | {tx.t('errors.todo')} |",
        "|---|---|---|",
    ]
    out += [f"| `{a}` | {_md_cell(m)} | {_md_cell(d)} |" for a, m, d in error_rows(tx)]
    return "\n".join(out) + "\n"


# ---- HTML ----


def html_page(info: ClassInfo, student: Student, tx: Texts | None = None) -> str:
    tx = tx or texts()
    e = html.escape
    title = e(tx.t("title", name=student.title))
    rows = "\n".join(
        f"<tr><th>{e(label)}</th><td><code>{e(value)}</code></td></tr>"
        for label, value in facts(info, student, tx)
    )
    errors = "\n".join(
        f"<tr><td><code>{e(a)}</code></td><td>{e(m)}</td><td>{e(d)}</td></tr>" for a, m, d in error_rows(tx)
    )
    preview = f"<p><strong>{e(tx.t('preview'))}</strong></p>\n" if info.preview else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{e(tx.code)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n"
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto}th{text-align:left;"
        "padding-right:1rem}td{vertical-align:top}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style>\n"
        f"</head>\n<body>\n<h1>{title}</h1>\n{preview}<p>{e(tx.t('private'))}</p>\n"
        f"<table>\n{rows}\n</table>\n<h2>{e(tx.t('try_it'))}</h2>\n"
        f"<pre><code>{e(python_snippet(info, student, tx))}</code></pre>\n"
        f"<p>{e(tx.t('env_note', env=student.name + '.env'))}</p>\n"
        f"<h2>{e(tx.t('errors.heading'))}</h2>\n<p>{e(tx.t('errors.intro'))}</p>\n"
        f"<table>\n<tr><th>{e(tx.t('errors.answer'))}</th><th>{e(tx.t('errors.meaning'))}</th>"
        f"<th>{e(tx.t('errors.todo'))}</th></tr>\n{errors}\n</table>\n</body>\n</html>\n"
    )


# ---- CSV, for a mail merge ----

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


def csv_text(
    info: ClassInfo, students: Sequence[Student], tx: Texts | None = None, delimiter: str = ","
) -> str:
    """One row per student. `delimiter` ';' for a spreadsheet in a locale whose decimal mark is a comma (Spanish
    Excel opens a ',' file as one column)."""
    tx = tx or texts()
    buffer = io.StringIO()
    writer = formula_safe_writer(buffer, lineterminator="\r\n", delimiter=delimiter)  # labctl/spreadsheet.py
    writer.writerow(CSV_COLUMNS)
    for s in students:
        writer.writerow(
            [
                s.name,
                _defuse(s.display_name),
                _defuse(s.email),
                info.gateway,
                info.api_version,
                info.v1_base_url,
                s.key,
                " ".join(info.chat),
                " ".join(info.embeddings),
                describe_limits(s.limits, tx),
                info.starts_on or "",
                info.ends_on or "",
            ]
        )
    return buffer.getvalue()


def _defuse(text: str) -> str:
    # A cell starting with =, +, -, @, tab or CR is a formula to a spreadsheet (CSV injection, OWASP).
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
