"""Handouts: what a student gets, owner-only files, escaping, and keys only where they belong."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest

from labctl.classroom.handout import (
    ClassInfo,
    HandoutError,
    Student,
    class_info,
    students_from,
)
from labctl.classroom.handout_files import write_handouts
from labctl.classroom.handout_render import python_snippet
from stacks.outputs import LabOutputs, OutputsError
from tests.support.class_settings import class_settings
from tests.support.fake_gateway import FakeGateway

OUTPUTS = {
    "gatewayUrl": "https://gw-class.azure-api.net/openai",
    "openaiEnv": {
        "AZURE_OPENAI_ENDPOINT": "https://gw-class.azure-api.net",
        "OPENAI_API_VERSION": "2024-10-21",
        "AZURE_OPENAI_CHAT_DEPLOYMENT": "chat",
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT": "embeddings",
    },
    "deployments": {
        "chat": {"model": "gpt-5-mini", "version": "2025-08-07"},
        "embeddings": {"model": "text-embedding-3-small", "version": "1"},
    },
    "participantKeys": {"ana-garcia": "k-ana-0123456789abcdef", "bob": "k-bob-fedcba9876543210"},
    "expiresOn": "2026-12-18",
}
PARTICIPANTS = [
    {
        "name": "ana-garcia",
        "email": "ana@uni.es",
        "displayName": 'Ana <García> & "Co"',
        "limits": {"tokensPerMinute": 2000},
    },
    {"name": "bob", "email": "bob@uni.es"},
    {"name": "late", "email": "late@uni.es"},
]


@pytest.fixture
def info() -> ClassInfo:
    return class_info(LabOutputs.parse(OUTPUTS), starts_on="2026-12-01")


def students(**participant_limits: object) -> list[Student]:
    """The handouts' students of PARTICIPANTS, with the class's `participantLimits` (camelCase keys) if given."""
    settings = class_settings(PARTICIPANTS, participant_limits=participant_limits or None)
    found, missing = students_from(settings.participants, OUTPUTS["participantKeys"], settings.limits_of)
    assert missing == ["late"]
    return found


def test_class_info_from_the_stack_outputs(info: ClassInfo) -> None:
    assert info == ClassInfo(
        gateway="https://gw-class.azure-api.net",
        api_version="2024-10-21",
        chat=("chat",),
        embeddings=("embeddings",),
        ends_on="2026-12-18",
        starts_on="2026-12-01",
    )
    assert info.v1_base_url == "https://gw-class.azure-api.net/openai/v1/"
    # Without openaiEnv, the endpoint is the gateway URL minus the API path.
    assert (
        class_info(LabOutputs.parse({**OUTPUTS, "openaiEnv": None})).gateway
        == "https://gw-class.azure-api.net"
    )


def test_masked_or_missing_outputs_are_explained() -> None:
    with pytest.raises(OutputsError, match="masked"):
        LabOutputs.parse({**OUTPUTS, "participantKeys": {"a": "[secret]"}})
    with pytest.raises(HandoutError, match="no gateway endpoint"):
        class_info(LabOutputs.parse({"deployments": OUTPUTS["deployments"]}))


def test_markdown_handouts_hold_everything_and_are_owner_only(tmp_path: Path, info: ClassInfo) -> None:
    out = tmp_path / "handouts"
    written = write_handouts(out, info, students(tokenQuota=100000, tokenQuotaPeriod="Daily"), "md")
    assert sorted(p.name for p in written) == ["ana-garcia.env", "ana-garcia.md", "bob.env", "bob.md"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert sorted(os.listdir(out)) == sorted(p.name for p in written)  # no temporary files left

    page = (out / "ana-garcia.md").read_text(encoding="utf-8")
    assert page.startswith('# Azure OpenAI lab: Ana \\<García\\> & "Co"\n')
    for line in (
        "| Endpoint (AzureOpenAI client) | `https://gw-class.azure-api.net` |",
        "| API version (AzureOpenAI client) | `2024-10-21` |",
        "| Base URL (OpenAI client, v1 API) | `https://gw-class.azure-api.net/openai/v1/` |",
        "| Key | `k-ana-0123456789abcdef` |",
        "| Chat deployments | `chat` |",
        "| Embedding deployments | `embeddings` |",
        "| Token limits | `2,000 tokens per minute; 100,000 tokens per day` |",
        "| Class window | `from 2026-12-01 00:00 UTC until 2026-12-19 00:00 UTC (your key works only in this window)` |",
        "| Participant | `ana-garcia <ana@uni.es>` |",
    ):
        assert line in page.splitlines()
    assert "k-bob" not in page  # each file holds its own key only

    env = (out / "bob.env").read_text(encoding="utf-8").splitlines()
    assert env == [  # the v1 API's variables first, what the plain OpenAI() client reads by itself
        "OPENAI_BASE_URL=https://gw-class.azure-api.net/openai/v1/",
        "OPENAI_API_KEY=k-bob-fedcba9876543210",
        "AZURE_OPENAI_ENDPOINT=https://gw-class.azure-api.net",
        "AZURE_OPENAI_API_KEY=k-bob-fedcba9876543210",
        "OPENAI_API_VERSION=2024-10-21",
        "AZURE_OPENAI_CHAT_DEPLOYMENT=chat",
        "AZURE_OPENAI_EMBEDDINGS_DEPLOYMENT=embeddings",
    ]


def test_files_are_private_even_with_a_permissive_umask_and_an_open_folder(
    tmp_path: Path, info: ClassInfo
) -> None:
    out = tmp_path / "open"
    out.mkdir(mode=0o777)
    os.chmod(out, 0o777)
    old = os.umask(0)
    try:
        written = write_handouts(out, info, students(), "html")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}


def test_html_escapes_names_and_keeps_the_snippet_runnable(tmp_path: Path, info: ClassInfo) -> None:
    write_handouts(tmp_path, info, students(), "html")
    page = (tmp_path / "ana-garcia.html").read_text(encoding="utf-8")
    assert "<title>Azure OpenAI lab: Ana &lt;García&gt; &amp; &quot;Co&quot;</title>" in page
    assert "<García>" not in page
    assert "azure_endpoint=&quot;https://gw-class.azure-api.net&quot;," in page


def test_the_snippet_is_valid_python_for_both_clients(info: ClassInfo) -> None:
    snippet = python_snippet(info, students()[0])
    compile(snippet, "snippet.py", "exec")
    assert 'azure_endpoint="https://gw-class.azure-api.net",' in snippet
    assert 'api_version="2024-10-21",' in snippet
    assert 'base_url="https://gw-class.azure-api.net/openai/v1/",' in snippet
    assert 'default_headers={"api-key": API_KEY},' in snippet
    assert 'model="chat",  # the deployment name' in snippet


def test_the_snippet_really_calls_the_gateway_with_both_clients(fake_azure) -> None:
    """Run the snippet as a student would, against the loopback fake gateway: the AzureOpenAI client reaches
    the deployment route, the OpenAI client the v1 route (first, as issue 17 asks), both with the participant's key in `api-key`."""
    key = "k-student01-0123456789"
    gateway = FakeGateway(
        server=fake_azure.server,
        keys={key: "student01"},
        deployments={"chat": "gpt-5-mini", "embeddings": "text-embedding-3-small"},
    ).install()
    # The fake gateway answers the v1 API too (tests/support/fake_gateway.py); GPT-5 needs 2025-04-01-preview.
    info = ClassInfo(fake_azure.base_url, "2025-04-01-preview", ("chat",), ("embeddings",), "2026-12-18")
    exec(compile(python_snippet(info, Student("student01", "s@x.edu", "", key)), "snippet.py", "exec"), {})
    assert [(c.caller, c.deployment, c.op, c.api_version) for c in gateway.calls] == [
        ("student01", "chat", "chat/completions", None),  # first: the OpenAI client on the v1 API
        (
            "student01",
            "chat",
            "chat/completions",
            "2025-04-01-preview",
        ),  # second: the dated AzureOpenAI client
        ("student01", "embeddings", "embeddings", None),
    ]
    assert gateway.calls[0].path == "/openai/v1/chat/completions" and gateway.calls[0].api_key == key


def test_csv_is_one_row_per_student_for_a_mail_merge(tmp_path: Path, info: ClassInfo) -> None:
    written = write_handouts(tmp_path, info, students(), "csv")
    assert sorted(p.name for p in written) == ["ana-garcia.env", "bob.env", "handout.csv"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "handout.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["participant"], r["email"], r["key"]) for r in rows] == [
        ("ana-garcia", "ana@uni.es", "k-ana-0123456789abcdef"),
        ("bob", "bob@uni.es", "k-bob-fedcba9876543210"),
    ]
    assert rows[0]["v1_base_url"] == "https://gw-class.azure-api.net/openai/v1/"
    assert rows[1]["token_limits"] == "no per-participant token limit"


def test_unknown_format_and_unwritable_folder(tmp_path: Path, info: ClassInfo) -> None:
    with pytest.raises(HandoutError, match="unknown format 'pdf'"):
        write_handouts(tmp_path, info, students(), "pdf")  # type: ignore[arg-type]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HandoutError, match="cannot write to"):
        write_handouts(blocker / "sub", info, students(), "md")


def test_a_quota_period_in_any_case_reads_as_the_settings_spell_it() -> None:
    # The config accepts `tokenQuotaPeriod: daily` (stacks/config/section_base.py); the handout must still say "per day".
    settings = class_settings(
        [
            {
                "name": "ana",
                "email": "ana@uni.es",
                "limits": {"tokenQuota": 5000, "tokenQuotaPeriod": "WEEKLY"},
            },
            {"name": "bob", "email": "bob@uni.es"},
        ],
        participant_limits={"tokenQuota": 100000, "tokenQuotaPeriod": "daily"},
    )
    people, _ = students_from(settings.participants, {"ana": "k1", "bob": "k2"}, settings.limits_of)
    assert [p.limits.describe() for p in people] == ["5,000 tokens per week", "100,000 tokens per day"]


def test_outputs_without_an_api_version_hand_out_the_programs_default() -> None:
    from stacks.facts.models import model_facts

    env = {k: v for k, v in OUTPUTS["openaiEnv"].items() if k != "OPENAI_API_VERSION"}
    info = class_info(LabOutputs.parse({**OUTPUTS, "openaiEnv": env}))
    # The one place the default is defined (stacks/facts/models.yaml), the same the program deploys with.
    assert info.api_version == model_facts().default_api_version
    assert info.api_version in python_snippet(info, students()[0])
