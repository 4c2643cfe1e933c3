"""What an instructor reads during and after class: `labctl usage` at 80 columns (names never cut), biggest consumers
first, spend against the cost cap, times in the class's zone, `--watch` refreshes, and the HTML report (parsed)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from labctl.azure import signin
from labctl.cli import app
from labctl.errors import EXIT_OK, EXIT_USAGE
from tests.support.fake_log_analytics import Call, FakeLogAnalytics

LONG = "maria-jose-fernandez-de-la-fuente-garcia"  # 40 characters: the longest participant name there is


@pytest.fixture
def stack(project: Path) -> Path:
    """The dev stack with a long-named participant, a class zone and a cost cap."""
    path = project / "Pulumi.dev.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "    - name: student02\n      email: student02@contoso.edu\n",
        f"    - name: student02\n      email: student02@contoso.edu\n    - name: {LONG}\n"
        "      email: mj@contoso.edu\n",
    )
    text = text.replace(
        "    tokenQuotaPeriod: Daily\n", "    tokenQuotaPeriod: Daily\n    costCap: 0.01\n", 1
    )
    text += "  aoai-lab:timeZone: Europe/Madrid\n"
    path.write_text(text, encoding="utf-8")
    return project


@pytest.fixture
def logs(fake_azure, fake_credential, monkeypatch) -> FakeLogAnalytics:
    monkeypatch.setattr(signin, "default_credential", lambda environment="public": fake_credential)
    fake = FakeLogAnalytics(server=fake_azure.server).install()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    calls = []
    for day in range(3):
        at = now - dt.timedelta(days=day, hours=1)
        calls.append(
            Call(at, "student01", "chat", "gpt-5-mini-2025-08-07", prompt_tokens=100, completion_tokens=50)
        )
        calls.append(
            Call(at, LONG, "chat", "gpt-5-mini-2025-08-07", prompt_tokens=2000, completion_tokens=1000)
        )
        calls.append(Call(at, LONG, "embeddings", "text-embedding-3-small", prompt_tokens=500))
    fake.add_calls(calls)
    return fake


def _usage(stack: Path, tmp_path: Path, fake_azure, *extra: str, columns: int = 80):
    saved = tmp_path / "outputs.json"
    saved.write_text(
        json.dumps(
            {
                "deployments": {"chat": {"model": "gpt-5-mini"}},
                "gatewayRoot": "https://gw.azure-api.net",
                "workspaceCustomerId": "11111111-2222-3333-4444-555555555555",
            }
        ),
        encoding="utf-8",
    )
    args = [
        "usage",
        "--outputs",
        str(saved),
        "--logs-endpoint",
        fake_azure.base_url,
        "--project-dir",
        str(stack),
    ]
    return CliRunner().invoke(app, [*args, *extra], env={"COLUMNS": str(columns)})


def test_80_columns_keep_every_name_whole_and_the_biggest_consumer_first(
    stack, tmp_path, fake_azure, logs
) -> None:
    result = _usage(stack, tmp_path, fake_azure, "--since", "7d")
    assert result.exit_code == EXIT_OK, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.output
    # The long name is whole (on one line, or folded onto the next ones), in the first row: the biggest consumer.
    table = result.output.split("Per deployment")[0]
    assert LONG in re.sub(r"[│\s]+", "", table.replace("-\n", "-"))
    rows = [line for line in table.splitlines() if line.startswith("│") and "participant" not in line]
    assert rows[0].split("│")[1].strip().startswith("maria-jose")
    assert table.index("maria-jose") < table.index("student01") < table.index("student02")
    # The window in the class's zone.
    assert "Europe/Madrid" in result.output


def test_spend_is_shown_against_the_cost_cap(stack, tmp_path, fake_azure, logs) -> None:
    result = _usage(stack, tmp_path, fake_azure, "--since", "7d", columns=160)
    assert result.exit_code == EXIT_OK, result.output
    # 3 x (2000 x 0.25 + 1000 x 2.00 + 500 x 0.02) / 1e6 = 0.00753 USD of a 0.01 cap.
    assert "0.0075 USD of 0.01 (75%)" in result.output
    data = json.loads(_usage(stack, tmp_path, fake_azure, "--since", "7d", "--format", "json").output)
    first = data["participants"][0]
    assert (first["participant"], first["costCap"]) == (LONG, 0.01)


def test_watch_refreshes_a_bounded_number_of_times(stack, tmp_path, fake_azure, logs, monkeypatch) -> None:
    from labctl.classroom import usage_run

    waits: list[float] = []
    monkeypatch.setattr(usage_run, "pause", waits.append)
    before = len(logs.requests)
    result = _usage(stack, tmp_path, fake_azure, "--watch", "5", "--refreshes", "3")
    assert result.exit_code == EXIT_OK, result.output
    assert len(logs.requests) - before == 3  # one query per table
    assert waits == [5, 5]
    assert "Ctrl+C to stop" in result.output


def test_watch_ends_cleanly_on_ctrl_c(stack, tmp_path, fake_azure, logs, monkeypatch) -> None:
    from labctl.classroom import usage_run

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(usage_run, "pause", interrupted)
    result = _usage(stack, tmp_path, fake_azure, "--watch", "5")
    assert result.exit_code == EXIT_OK, result.output
    assert "Stopped watching." in result.output
    assert "Traceback" not in result.output


def test_watch_and_html_need_what_they_need(stack, tmp_path, fake_azure, logs) -> None:
    assert _usage(stack, tmp_path, fake_azure, "--watch", "5", "--format", "json").exit_code == EXIT_USAGE
    result = _usage(stack, tmp_path, fake_azure, "--format", "html")
    assert result.exit_code == EXIT_USAGE and "--output FILE" in result.output


def test_the_html_report_has_a_chart_per_participant_and_deployment(
    stack, tmp_path, fake_azure, logs
) -> None:
    out = tmp_path / "report.html"
    result = _usage(stack, tmp_path, fake_azure, "--since", "7d", "--format", "html", "-o", str(out))
    assert result.exit_code == EXIT_OK, result.output
    # The standard library's parser: html5lib is pure Python and takes minutes over 4.8 MB of inline script.
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    # Self-contained: plotly.js inline, nothing fetched from elsewhere.
    assert not [s for s in soup.find_all("script") if s.get("src")]
    assert any("Plotly" in (s.string or "")[:5000] for s in soup.find_all("script"))
    summary = [[td.get_text() for td in tr.find_all("td")] for tr in soup.select("#summary tbody tr")]
    assert [row[0] for row in summary] == [LONG, "student01", "student02"]
    assert summary[0][5:7] == ["0.01", "75%"]
    sections = {s["id"]: s for s in soup.select("section.participant")}
    assert set(sections) == {f"participant-{LONG}", "participant-student01", "participant-student02"}
    chart = sections[f"participant-{LONG}"].find("div", id=f"chart-{LONG}")
    assert chart is not None
    # The figure's data: one bar series per deployment, three days.
    script = sections[f"participant-{LONG}"].find("script").string
    assert '"name":"chat"' in script and '"name":"embeddings"' in script
    assert "No calls in this window." in sections["participant-student02"].get_text()
