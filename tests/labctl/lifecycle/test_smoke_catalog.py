"""`labctl smoke` on a Foundry lab: catalog models of other publishers are called like any chat model; speech
models are listed as not called (they answer on /audio/, which the gateway does not declare)."""

from __future__ import annotations

from rich.console import Console

from labctl.lifecycle.smoke import plan_probes, run_smoke, smoke_command, unprobed
from stacks.config.deployment_kinds import is_audio_model
from stacks.outputs import LabOutputs
from tests.support.fake_gateway import FakeGateway
from tests.support.smoke_lab import KEYS, stack_outputs, write_outputs

FOUNDRY = {
    "chat": "gpt-5-mini",
    "deepseek": "DeepSeek-R1",
    "embeddings": "text-embedding-3-small",
    "speech": "gpt-4o-mini-tts",
}


def test_speech_models_are_recognised():
    assert [
        m for m in ("gpt-4o-mini-tts", "tts", "tts-hd", "whisper", "gpt-4o-transcribe") if is_audio_model(m)
    ] == [
        "gpt-4o-mini-tts",
        "tts",
        "tts-hd",
        "whisper",
        "gpt-4o-transcribe",
    ]
    assert not any(
        is_audio_model(m) for m in ("gpt-5-mini", "DeepSeek-R1", "text-embedding-3-small", "gpt-audio")
    )


def test_catalog_models_are_probed_and_speech_is_listed_apart(fake_azure):
    FakeGateway(
        server=fake_azure.server, keys={k: n for n, k in KEYS.items()}, deployments=dict(FOUNDRY)
    ).install()
    outputs = LabOutputs.parse(stack_outputs(fake_azure.base_url, deployments=FOUNDRY))
    assert {(p.deployment, p.kind) for p in plan_probes(outputs, False)} == {
        ("chat", "chat"),
        ("deepseek", "chat"),
        ("embeddings", "embeddings"),
    }
    assert unprobed(outputs) == ["speech"]
    results = run_smoke(outputs)
    assert all(r.ok for r in results) and {r.probe.deployment for r in results} == {
        "chat",
        "deepseek",
        "embeddings",
    }


def test_the_command_says_which_deployments_it_did_not_call(fake_azure, tmp_path):
    from labctl.project import PROJECT_DIR

    FakeGateway(
        server=fake_azure.server, keys={k: n for n, k in KEYS.items()}, deployments=dict(FOUNDRY)
    ).install()
    outputs_file = write_outputs(
        tmp_path / "outputs.json", stack_outputs(fake_azure.base_url, deployments=FOUNDRY)
    )
    console = Console(record=True, width=200)
    code = smoke_command(
        stack="dev",
        outputs_file=outputs_file,
        direct=False,
        concurrency=4,
        retries=0,
        timeout=5,
        project_dir=PROJECT_DIR,
        console=console,
        err_console=console,
    )
    text = console.export_text()
    assert code == 0, text
    assert "speech: not called (a speech model: it answers on /audio/, not chat)" in text
