"""The smoke tests' fake gateway and the lab's outputs, shared by the lifecycle test modules (a module that needs
another gateway, e.g. one without Entra ID tokens, declares its own)."""

from __future__ import annotations

import pytest

from stacks.outputs import LabOutputs
from tests.support.fake_gateway import FakeGateway
from tests.support.smoke_lab import DEPLOYMENTS, KEYS, stack_outputs


@pytest.fixture
def gateway(fake_azure) -> FakeGateway:
    return FakeGateway(
        server=fake_azure.server,
        keys={key: name for name, key in KEYS.items()},
        deployments=dict(DEPLOYMENTS),
        bearer_tokens={"fake-arm-token"},
    ).install()


@pytest.fixture
def outputs(fake_azure) -> LabOutputs:
    return LabOutputs.parse(stack_outputs(fake_azure.base_url))
