"""Reading regions through the real azure-mgmt-cognitiveservices client against a fake ARM on loopback HTTPS."""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import pytest

from labctl.azure.signin import SharedTokenCredential, arm_target, resolve_subscription
from labctl.errors import AzureError
from labctl.preflight.model import Verdict
from labctl.preflight.offers.arm_data import load_snapshot, parse_all, parse_region, save_snapshot
from labctl.preflight.offers.availability import read_live
from labctl.preflight.quota.decisions import decide
from labctl.project import read_stack_config
from stacks.config.source import settings_from_flat_config
from tests.support.fake_arm import SUBSCRIPTION, TOKEN, FakeArm, catalog, model, quotas, sku

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def arm(fake_azure) -> FakeArm:
    return FakeArm(fake_azure.server)


@pytest.fixture
def dev_settings():
    flat, _ = read_stack_config("dev")
    return settings_from_flat_config(flat, project="aoai-lab", stack="dev")


def _read(arm: FakeArm, regions: list[str], credential, **kw):
    return read_live(
        regions,
        subscription_id=SUBSCRIPTION,
        credential=credential,
        target=arm_target("public", arm.base_url),
        **kw,
    )


def test_reads_every_page_with_the_bearer_token_and_keeps_arm_usage_names(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    data = _read(arm, ["eastus2"], fake_credential)

    region = parse_region("eastus2", data["eastus2"])
    assert {(m.name, m.kind) for m in region.models} == {
        ("gpt-5-mini", "OpenAI"),
        ("gpt-5-mini", "AIServices"),
        ("text-embedding-3-small", "OpenAI"),
        ("gpt-4.1", "OpenAI"),
    }
    assert len(region.usages) == 8
    # Two models and two usages per page: every nextLink was followed.
    assert arm.count("eastus2", "models") == 2
    assert arm.count("eastus2", "usages") == 4
    gpt41 = next(m for m in region.models if m.name == "gpt-4.1")
    assert [s.usage_name for s in gpt41.skus] == [
        "OpenAI.GlobalStandard.gpt4.1",
        "OpenAI.Standard.gpt-4.1-finetune",
        "OpenAI.Standard.gpt4.1",
    ]
    assert set(arm.tokens) == {f"Bearer {TOKEN}"}
    # The token audience follows the cloud (public ARM), not the test endpoint's address.
    assert fake_credential.scopes[0] == ("https://management.azure.com/.default",)


def test_regions_are_queried_concurrently(arm, fake_credential):
    arm.delay_s = 0.2
    regions = ["eastus2", "eastus", "canadaeast", "swedencentral"]
    for r in regions:
        arm.region(r, catalog()[:2], quotas()[:2])
    arm.page_size = 10
    data = _read(arm, regions, SharedTokenCredential(fake_credential))

    assert set(data) == set(regions)
    # Observed at the fake: the regions' calls overlapped (one at a time would never exceed 1). The wall time
    # this buys is measured by scripts/bench_preflight.py, not asserted here.
    assert arm.max_in_flight >= 4
    # One sign-in shared by every region client.
    assert len(fake_credential.scopes) == 1


def test_throttled_call_is_retried_after_retry_after(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    arm.fail(
        "eastus2",
        429,
        "TooManyRequests",
        "Rate limit exceeded",
        times=1,
        headers={"Retry-After": "0.4"},
        what=("models",),
    )
    started = time.perf_counter()
    data = _read(arm, ["eastus2"], fake_credential)

    assert "error" not in data["eastus2"]
    assert arm.count("eastus2", "models") == 3  # the 429, then both pages
    # A lower bound only (a slow machine cannot break it): without honouring Retry-After, azure-core retries a
    # first 429 at once.
    assert time.perf_counter() - started >= 0.38


def test_a_region_that_keeps_failing_is_unknown_not_fit(arm, fake_credential, dev_settings):
    arm.region("eastus", catalog(), quotas())
    arm.region("eastus2", catalog(), quotas())
    arm.fail(
        "eastus2",
        503,
        "ServiceUnavailable",
        "The service is unavailable.",
        headers={"x-ms-retry-after-ms": "10"},
    )
    data = _read(arm, ["eastus2", "eastus"], fake_credential)

    assert data["eastus2"]["error"]["status"] == 503
    assert arm.count("eastus2", "models") == 4  # the first call and three retries
    availability = parse_all(data)
    result = decide(dev_settings, availability, TODAY)
    first, second = result.regions[0], result.regions[1]
    assert first.verdict is Verdict.UNKNOWN
    assert "503" in first.summary
    assert second.verdict is Verdict.FITS
    assert result.chosen is second
    assert result.skipped_unknown == ["eastus2"]


def test_throttling_that_never_ends_is_unknown(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    arm.fail("eastus2", 429, "TooManyRequests", headers={"x-ms-retry-after-ms": "10"}, what=("usages",))
    data = _read(arm, ["eastus2"], fake_credential)
    failure = parse_region("eastus2", data["eastus2"]).failure
    assert failure is not None and not failure.definitive
    assert "throttled" in failure.message


def test_no_access_to_the_subscription_stops_with_a_fix(arm, fake_credential):
    for r in ("eastus2", "eastus"):
        arm.region(r, catalog(), quotas())
        arm.fail(
            r,
            403,
            "AuthorizationFailed",
            "The client 'ana@contoso.edu' with object id '...' does not have authorization to perform action "
            "'Microsoft.CognitiveServices/locations/models/read' over scope '/subscriptions/...'.",
        )
    with pytest.raises(AzureError) as info:
        _read(arm, ["eastus2", "eastus"], fake_credential)
    message = str(info.value)
    assert f"no access to subscription {SUBSCRIPTION}" in message
    assert "Reader" in message and "--subscription" in message


def test_unknown_subscription_is_reported(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    with pytest.raises(AzureError, match="not found"):
        read_live(
            ["eastus2"],
            subscription_id="11111111-2222-3333-4444-555555555555",
            credential=fake_credential,
            target=arm_target("public", arm.base_url),
        )


def test_region_without_the_provider_is_a_definite_no(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    data = _read(arm, ["eastus2", "westindia"], fake_credential)  # westindia not registered in the fake
    failure = parse_region("westindia", data["westindia"]).failure
    assert failure is not None and failure.definitive
    assert "not offered in westindia" in failure.message


def test_snapshot_round_trip_reproduces_the_decision(arm, fake_credential, dev_settings, tmp_path: Path):
    arm.region("eastus2", catalog(), quotas({"OpenAI.GlobalStandard.gpt-5-mini": (498, 500)}))
    arm.region("eastus", catalog(), quotas())
    data = _read(arm, ["eastus2", "eastus"], fake_credential)
    path = tmp_path / "availability.json"
    save_snapshot(
        path, data, arm_endpoint=arm.base_url, captured_at=dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)
    )

    loaded, header = load_snapshot(path)
    assert header["capturedAt"] == "2026-11-22T09:30:00Z"
    assert SUBSCRIPTION not in path.read_text()
    live = decide(dev_settings, parse_all(data), TODAY)
    assert live.regions[0].cells["chat"].text.startswith("DataZoneStandard 50")
    replay = decide(dev_settings, parse_all(loaded), TODAY)
    assert [(r.region, r.verdict, {k: c.text for k, c in r.cells.items()}) for r in live.regions] == [
        (r.region, r.verdict, {k: c.text for k, c in r.cells.items()}) for r in replay.regions
    ]


def test_subscription_comes_from_the_flag_then_the_environment(monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", SUBSCRIPTION.upper())
    assert resolve_subscription(None) == (SUBSCRIPTION, "AZURE_SUBSCRIPTION_ID")
    other = "11111111-2222-3333-4444-555555555555"
    assert resolve_subscription(other) == (other, "--subscription")
    with pytest.raises(AzureError, match="not a subscription id"):
        resolve_subscription("my-subscription")


def test_deprecated_fields_survive_the_trim(arm, fake_credential):
    arm.region(
        "eastus2",
        [
            model(
                "gpt-4o",
                "2024-05-13",
                [sku("Standard", "OpenAI.Standard.gpt-4o", deprecation="2025-06-30T09:00:00+09:00")],
                inference_deprecation="2025-10-15T00:00:00Z",
                replacement=("gpt-4.1", "2025-04-14"),
                lifecycle="Deprecated",
                default=False,
            )
        ],
        quotas(),
    )
    region = parse_region("eastus2", _read(arm, ["eastus2"], fake_credential)["eastus2"])
    (m,) = region.models
    assert m.inference_retires_on == dt.date(2025, 10, 15)
    assert m.replacement == "gpt-4.1 2025-04-14"
    assert m.lifecycle == "Deprecated"
    assert m.skus[0].retires_on == dt.date(2025, 6, 30)  # 09:00 in UTC+9 is midnight UTC


def test_server_certificate_is_still_verified(arm, fake_credential, monkeypatch):
    # Without the test CA in REQUESTS_CA_BUNDLE the loopback certificate is untrusted: the shared TLS context
    # must refuse it, and the region is unknown rather than read.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")
    arm.region("eastus2", catalog(), quotas())
    data = _read(arm, ["eastus2"], fake_credential, client_options={"retry_total": 0})
    failure = parse_region("eastus2", data["eastus2"]).failure
    assert failure is not None and not failure.definitive
    assert "CERTIFICATE_VERIFY_FAILED" in failure.message, failure.message
    assert arm.calls == []


def test_a_refused_token_is_a_sign_in_problem(arm):
    from tests.support.fake_azure import FakeCredential

    arm.region("eastus2", catalog(), quotas())
    with pytest.raises(AzureError, match="refused the sign-in token"):
        _read(arm, ["eastus2"], FakeCredential(token="expired-token"))


def test_unregistered_provider_says_how_to_register_it(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    arm.fail(
        "eastus2",
        409,
        "MissingSubscriptionRegistration",
        "The subscription is not registered to use namespace 'Microsoft.CognitiveServices'.",
    )
    # The SDK first tries to register the provider itself; the fake ARM refuses, as it would for a Reader.
    with pytest.raises(AzureError, match=r"az provider register --namespace Microsoft\.CognitiveServices"):
        _read(arm, ["eastus2"], fake_credential)


def test_a_region_whose_calls_time_out_is_unknown(arm, fake_credential, dev_settings):
    # eastus2 answers only after 1.5 s; the client gives up after 0.3 s (no retries) and the region is unknown.
    for r in ("eastus2", "eastus"):
        arm.region(r, catalog(), quotas())
    arm.slow["eastus2"] = 1.5
    data = _read(
        arm, ["eastus2", "eastus"], fake_credential, client_options={"read_timeout": 0.3, "retry_total": 0}
    )

    failure = parse_region("eastus2", data["eastus2"]).failure
    assert failure is not None and not failure.definitive
    assert "no answer from Azure" in failure.message and "Timeout" in failure.message, failure.message
    result = decide(dev_settings, parse_all(data), TODAY)
    assert [r.verdict for r in result.regions[:2]] == [Verdict.UNKNOWN, Verdict.FITS]
    assert result.skipped_unknown == ["eastus2"]


# ---- a lab already deployed in its pinned region ----


def _deployed_lab(region: str = "eastus2"):
    from labctl.preflight.offers.availability import DeployedLab
    from stacks.naming import LabIdentity

    return DeployedLab(LabIdentity("aoai-lab", "dev"), region)


def test_the_labs_own_deployments_are_read_in_the_pinned_region(arm, fake_credential):
    from tests.support.fake_arm import account, deployment

    arm.region("eastus2", catalog(), quotas())
    arm.region("eastus", catalog(), quotas())
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"),
        [
            deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 50),
            deployment("embeddings", "text-embedding-3-small", "1", "GlobalStandard", 40),
        ],
    )
    # In the lab's resource group but not the lab's account (another name, another region): not the lab's.
    arm.deployed(
        "rg-aoai-lab-dev",
        account("scratch-openai", "eastus2", "rg-aoai-lab-dev"),
        [deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 300)],
    )
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-old00", "swedencentral", "rg-aoai-lab-dev"),
        [deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 300)],
    )
    # Stack `dev-teams`'s account, whose name begins with the lab's: not the lab's, its usage is not credited.
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-teams-k3m9p", "eastus2", "rg-aoai-lab-dev"),
        [deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 300)],
    )

    data = _read(arm, ["eastus2", "eastus"], fake_credential, deployed=_deployed_lab())

    assert "lab" not in data["eastus"]
    region = parse_region("eastus2", data["eastus2"])
    assert region.lab_accounts == ("aoai-lab-dev-x7k2q",)
    assert [(d.name, d.model, d.version, d.sku, d.capacity) for d in region.lab_deployments] == [
        ("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 50),
        ("embeddings", "text-embedding-3-small", "1", "GlobalStandard", 40),
    ]
    assert ("rg-aoai-lab-dev", "deployments") in arm.calls
    assert arm.count("rg-aoai-lab-dev", "deployments") == 1  # only the lab's own account is read


def test_a_missing_resource_group_means_nothing_is_deployed(arm, fake_credential):
    arm.region("eastus2", catalog(), quotas())
    data = _read(arm, ["eastus2"], fake_credential, deployed=_deployed_lab())
    assert data["eastus2"]["lab"] == {"accounts": [], "deployments": []}
    assert parse_region("eastus2", data["eastus2"]).failure is None


def test_failing_to_read_the_labs_own_deployments_leaves_the_region_unknown(arm, fake_credential):
    from tests.support.fake_arm import account

    arm.region("eastus2", catalog(), quotas())
    arm.deployed("rg-aoai-lab-dev", account("aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"), [])
    arm.fail("rg-aoai-lab-dev", 503, "ServiceUnavailable", headers={"x-ms-retry-after-ms": "10"})
    data = _read(arm, ["eastus2"], fake_credential, deployed=_deployed_lab())
    failure = parse_region("eastus2", data["eastus2"]).failure
    assert failure is not None and not failure.definitive
    assert failure.message.startswith("the lab's own deployments could not be read")


# ---- TLS trust: the system store plus REQUESTS_CA_BUNDLE ----


def test_a_ca_only_in_requests_ca_bundle_is_trusted(arm, fake_credential, fake_azure, monkeypatch, tmp_path):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))  # an empty "system" folder: the CA is nowhere else
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake_azure.ca_file))
    arm.region("eastus2", catalog(), quotas())

    data = _read(arm, ["eastus2"], fake_credential, client_options={"retry_total": 0})

    assert "error" not in data["eastus2"], data["eastus2"]
    assert arm.count("eastus2") > 0


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="OpenSSL's system store layout (SSL_CERT_DIR)"
)
def test_the_system_store_is_trusted_next_to_requests_ca_bundle(
    arm, fake_credential, fake_azure, monkeypatch, tmp_path
):
    # The test CA only in the system store (OpenSSL's hashed certificate folder, which SSL_CERT_DIR points to),
    # and REQUESTS_CA_BUNDLE naming an unrelated CA: adding a CA bundle must never drop the system store.
    import shutil
    import subprocess

    import trustme

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to name the certificate by its subject hash")
    subject_hash = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(fake_azure.ca_file)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    system = tmp_path / "system-certs"
    system.mkdir()
    shutil.copy(fake_azure.ca_file, system / f"{subject_hash}.0")
    unrelated = tmp_path / "corporate-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(unrelated))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(system))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(unrelated))
    arm.region("eastus2", catalog(), quotas())

    data = _read(arm, ["eastus2"], fake_credential, client_options={"retry_total": 0})

    assert "error" not in data["eastus2"], data["eastus2"]


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_windows_and_macos_verify_with_the_platform_store_through_truststore(
    platform, arm, fake_credential, fake_azure, monkeypatch, tmp_path
):
    import ssl

    import truststore

    from labctl.azure import transport as azure_clients

    monkeypatch.setattr(azure_clients.sys, "platform", platform)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake_azure.ca_file))
    context = azure_clients.tls_context()
    assert isinstance(context, truststore.SSLContext)  # the OS verifier: Windows' or macOS' certificate store
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    # REQUESTS_CA_BUNDLE on top of it, through the whole requests/urllib3 path of the ARM client (here, on
    # Linux, truststore verifies with OpenSSL).
    arm.region("eastus2", catalog(), quotas())
    data = _read(arm, ["eastus2"], fake_credential, client_options={"retry_total": 0})
    assert "error" not in data["eastus2"], data["eastus2"]


def test_linux_context_holds_the_system_store_and_the_extra_bundle(fake_azure, monkeypatch):
    import ssl

    from labctl.azure import transport as azure_clients

    monkeypatch.setattr(azure_clients.sys, "platform", "linux")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    extra = ssl.PEM_cert_to_DER_cert(fake_azure.ca_file.read_text())
    context = azure_clients.tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert extra in context.get_ca_certs(binary_form=True)
    system_file = ssl.get_default_verify_paths().cafile
    if system_file:  # the machine has a system bundle: every one of its CAs is in the context too
        system = ssl.create_default_context(cafile=system_file).get_ca_certs(binary_form=True)
        assert system and set(system) <= set(context.get_ca_certs(binary_form=True))


def test_no_ca_file_is_written_anywhere(arm, fake_credential, monkeypatch, tmp_path):
    # The old merged bundle lived at a predictable /tmp/labctl-ca-<hash>.pem that another local user could
    # plant first; the trust is now built in memory only.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    arm.region("eastus2", catalog(), quotas())
    _read(arm, ["eastus2"], fake_credential)
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_requests_ca_bundle_is_a_clear_error(arm, fake_credential, monkeypatch, tmp_path):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(AzureError, match=r"REQUESTS_CA_BUNDLE=.*missing\.pem cannot be used as a CA bundle"):
        _read(arm, ["eastus2"], fake_credential)


# ---- snapshots ----


def test_a_bad_snapshot_value_names_region_model_and_field():
    from labctl.preflight.offers.arm_data import SnapshotError

    entry = catalog()[0]
    entry["model"]["skus"][0]["capacity"]["step"] = "five"
    with pytest.raises(SnapshotError) as info:
        parse_region("eastus2", {"models": [entry], "usages": quotas()})
    message = str(info.value)
    assert "region 'eastus2'" in message and "gpt-5-mini 2025-08-07" in message
    assert "skus[GlobalStandard].capacity.step: 'five' is not a whole number" in message

    usages = quotas()
    usages[1]["limit"] = "lots"
    with pytest.raises(
        SnapshotError, match=r"usage OpenAI.GlobalStandard.gpt-5-mini: limit: 'lots' is not a number"
    ):
        parse_region("eastus2", {"models": catalog(), "usages": usages})

    entry = catalog()[0]
    entry["model"]["deprecation"]["inference"] = "someday"
    with pytest.raises(SnapshotError, match=r"deprecation.inference: 'someday' is not a date"):
        parse_region("eastus2", {"models": [entry], "usages": quotas()})


def test_saving_a_snapshot_is_atomic(tmp_path: Path, monkeypatch):
    from labctl import files

    path = tmp_path / "availability.json"
    path.write_text("previous snapshot\n")

    def crash(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", crash)
    with pytest.raises(OSError):
        save_snapshot(
            path,
            {"eastus2": {"models": [], "usages": []}},
            arm_endpoint="https://management.azure.com",
            captured_at=dt.datetime(2026, 11, 22, tzinfo=dt.UTC),
        )
    assert path.read_text() == "previous snapshot\n"
    assert [p.name for p in tmp_path.iterdir()] == ["availability.json"]
