"""The handout's "when the lab says no" section covers every refusal the gateway policy sends, with its exact code."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from components.gateway_policy import ClassWindow, GatewayPolicyArgs, TokenLimits, render_policy
from labctl.classroom.handout import class_info
from labctl.classroom.handout_render import error_rows, html_page, markdown
from labctl.classroom.i18n import refusals, texts
from stacks.outputs import LabOutputs
from tests.labctl.classroom.test_handout import OUTPUTS, students

POLICIES = Path(__file__).resolve().parents[3] / "components" / "policies"
# `"code": "X"` in a JSON body, as written in the XML (plain or entity-escaped quotes).
_CODE = re.compile(r'(?:"|&quot;)code(?:"|&quot;)\s*:\s*(?:"|&quot;)([A-Za-z_][A-Za-z0-9_]*)(?:"|&quot;)')


def policy_codes() -> set[str]:
    """Every error code the gateway can answer with: the rendered policy with every feature on (class window,
    limits), plus any fragment file beside the template."""
    args = GatewayPolicyArgs(
        token_limits=TokenLimits(tokens_per_minute=1000, token_quota=10000, token_quota_period="Daily"),
        class_window=ClassWindow.utc_days(dt.date(2026, 12, 1), dt.date(2026, 12, 18)),
    )
    text = render_policy(args)
    for fragment in POLICIES.rglob("*.xml"):
        text += fragment.read_text(encoding="utf-8")
    return set(_CODE.findall(text))


def test_every_code_the_policy_sends_is_explained() -> None:
    codes = policy_codes()
    assert {"ClassNotStarted", "ClassEnded", "ParticipantTokensPerMinuteExceeded"} <= codes  # the scan works
    listed = {r.code for r in refusals()}
    assert codes - listed == set(), "add these codes to labctl/classroom/refusals.yaml and the locales"


def test_the_section_names_each_answer_with_its_status_and_code() -> None:
    rows = error_rows(texts("en"))
    answers = [a for a, _, _ in rows]
    short = " (or API Management's short body: statusCode and message)"
    assert answers[:8] == [
        "401",
        "403 ClassNotStarted",
        "403 ClassEnded",
        "503 ClassPaused",
        "403 ParticipantTokenQuotaExceeded" + short,
        "403 DeploymentNotAllowed",
        "403 StoredResponsesOff",
        "429 ParticipantTokensPerMinuteExceeded" + short,
    ]
    assert "429 429 (from Azure)" in answers and "400 content_filter (from Azure)" in answers
    assert answers[-1] == "200 finish_reason=content_filter"
    # Their own limit and the class's full deployment are told apart.
    own = rows[answers.index("429 ParticipantTokensPerMinuteExceeded" + short)]
    full = rows[answers.index("429 429 (from Azure)")]
    assert "your own" in own[1] and "nobody else" in own[1]
    assert "whole class" in full[1]


def test_every_handout_carries_the_section_in_its_language() -> None:
    info = class_info(LabOutputs.parse(OUTPUTS))
    ana = students()[0]
    en = markdown(info, ana, texts("en"))
    assert "## When the lab says no" in en
    assert (
        "| `403 ClassEnded` | The class is over; keys no longer work. | Ask your instructor if you still need access. |"
        in en
    )
    es = html_page(info, ana, texts("es"))
    assert "<h2>Cuando el laboratorio dice que no</h2>" in es
    assert (
        "<td><code>403 ClassEnded</code></td><td>El curso ha terminado; las claves ya no funcionan.</td>"
        in es
    )
