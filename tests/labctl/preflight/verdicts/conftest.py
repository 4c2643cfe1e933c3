"""Validation through the real azure-mgmt-resource-deployments client against a loopback fake: the fake, the TLS
transport and the call, shared by this folder's tests (no fixture crosses test modules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from labctl.azure.signin import arm_target, client_kwargs
from labctl.azure.transport import shared_tls_transport
from labctl.preflight.verdicts.template import RegionPlan
from labctl.preflight.verdicts.validation import RegionValidation, validate_regions
from tests.support.fake_arm import SUBSCRIPTION
from tests.support.fake_arm_validation import FakeArmValidation


@pytest.fixture
def arm(fake_azure) -> FakeArmValidation:
    return FakeArmValidation(fake_azure.server)


@pytest.fixture
def transport() -> Iterator[object]:
    with shared_tls_transport(pool_size=8, connection_timeout=5, read_timeout=10) as t:
        yield t


@pytest.fixture
def validate(
    arm: FakeArmValidation, fake_credential, transport
) -> Callable[..., dict[str, RegionValidation]]:
    """Validate `plans` against the fake, without retries and polling every 10 ms."""

    def run(plans: Sequence[RegionPlan], **kw: Any) -> dict[str, RegionValidation]:
        options = {**client_kwargs(arm_target("public", arm.base_url)), "retry_total": 0}
        return validate_regions(
            plans,
            subscription_id=SUBSCRIPTION,
            credential=fake_credential,
            client_options=options,
            transport=transport,
            poll_s=0.01,
            **kw,
        )

    return run
