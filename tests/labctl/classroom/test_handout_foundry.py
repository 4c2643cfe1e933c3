"""Handouts of a Foundry lab: each project's endpoint (AIProjectClient) and the speech deployments, apart from chat."""

from __future__ import annotations

from labctl.classroom.handout import class_info
from labctl.classroom.handout_render import html_page, markdown
from stacks.outputs import LabOutputs
from tests.labctl.classroom.test_handout import OUTPUTS, students

FOUNDRY_OUTPUTS = {
    **OUTPUTS,
    "deployments": {
        **OUTPUTS["deployments"],
        "deepseek": {"model": "DeepSeek-R1", "version": "1"},
        "speech": {"model": "gpt-4o-mini-tts", "version": "2025-12-15"},
    },
    "foundryProjects": {
        "agents": {
            "endpoint": "https://aif-lab.services.ai.azure.com/api/projects/agents",
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/aif-lab/projects/agents",
        }
    },
}


def test_a_foundry_handout_names_the_project_endpoint_and_the_speech_deployment():
    info = class_info(LabOutputs.parse(FOUNDRY_OUTPUTS))
    assert info.projects == (("agents", "https://aif-lab.services.ai.azure.com/api/projects/agents"),)
    assert info.chat == ("chat", "deepseek") and info.speech == ("speech",)
    student = students()[0]
    md = markdown(info, student)
    assert (
        "| Foundry project agents (AIProjectClient, your Entra ID sign-in) | "
        "`https://aif-lab.services.ai.azure.com/api/projects/agents` |"
    ) in md
    assert "| Speech deployments (your Entra ID sign-in) | `speech` |" in md
    assert "https://aif-lab.services.ai.azure.com/api/projects/agents" in html_page(info, student)


def test_an_openai_lab_handout_has_no_project_line():
    info = class_info(LabOutputs.parse(OUTPUTS))
    assert info.projects == () and info.speech == ()
    assert "Foundry project" not in markdown(info, students()[0])
