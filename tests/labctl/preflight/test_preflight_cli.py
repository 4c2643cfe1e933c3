"""`labctl preflight` end to end: the CLI, the real ARM client against the fake ARM, and the stack file."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from labctl import files
from labctl.azure import signin as azure_clients
from labctl.cli import app
from labctl.errors import EXIT_AZURE, EXIT_CONFIG, EXIT_NO_FIT, EXIT_USAGE
from labctl.preflight import pin
from labctl.preflight.offers.subscription import needed_providers
from labctl.project import PROJECT_DIR
from tests.support.fake_arm import SUBSCRIPTION, TOKEN, FakeArm, catalog, quotas
from tests.support.fake_arm_validation import (
    FakeArmValidation,
    apim_sku,
    disallowed_by_azure,
    invalid_template,
    special_feature,
)

REGIONS = ("eastus2", "eastus", "canadaeast", "swedencentral")
FULL = {
    "OpenAI.GlobalStandard.gpt-5-mini": (448, 450),
    "OpenAI.DataZoneStandard.gpt-5-mini": (295, 300),
}


@pytest.fixture
def azure(fake_azure) -> FakeArmValidation:
    """Deployment validation, the subscription, providers and API Management SKUs (registered before FakeArm's
    catch-all, so they answer first)."""
    fake = FakeArmValidation(fake_azure.server)
    fake.providers = {ns.lower(): "Registered" for ns in needed_providers(with_budget=True)}
    fake.apim_skus = [apim_sku("BasicV2", list(REGIONS))]
    return fake


@pytest.fixture
def arm(azure, fake_azure) -> FakeArm:
    fake = FakeArm(fake_azure.server)
    for r in REGIONS:
        fake.region(r, catalog(), quotas())
    return fake


@pytest.fixture
def signed_in(monkeypatch, fake_credential):
    monkeypatch.setattr(azure_clients, "default_credential", lambda environment="public": fake_credential)
    return fake_credential


def preflight(project: Path, arm: FakeArm | None, *args: str, subscription: bool = True):
    argv = ["preflight", "--project-dir", str(project)]
    if arm is not None:
        argv += ["--arm-endpoint", arm.base_url]
    if subscription:
        argv += ["--subscription", SUBSCRIPTION]
    return CliRunner().invoke(app, [*argv, *args], env={"COLUMNS": "240"})


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b), "lines were added or removed"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_first_region_full_second_fits_and_write_pins_it(project, arm, signed_in):
    arm.region("eastus2", catalog(), quotas(FULL))
    before = (project / "Pulumi.dev.yaml").read_text()

    result = preflight(project, arm, "--write", "--move")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 of 450 left (needs 10)" in out  # eastus2, GlobalStandard
    assert "5 of 300 left (needs 10)" in out  # eastus2, DataZoneStandard fallback
    assert "fits: chosen" in out
    assert "eastus fits: chat GlobalStandard 50, embeddings GlobalStandard 50." in out
    assert "the stack is pinned to eastus2" in out  # the move is called out
    after = (project / "Pulumi.dev.yaml").read_text()
    assert _changed_lines(before, after) == [("  aoai-lab:location: eastus2", "  aoai-lab:location: eastus")]


def test_moving_a_pinned_lab_needs_move(project, arm, signed_in):
    arm.region("eastus2", catalog(), quotas(FULL))
    before = (project / "Pulumi.dev.yaml").read_text()

    result = preflight(project, arm, "--write")

    assert result.exit_code == 1, result.output
    assert (
        "not writing Pulumi.dev.yaml: the lab is pinned to eastus2 and eastus would move it" in result.output
    )
    assert "Moving replaces the account: new endpoint and keys" in result.output
    assert "--move" in result.output
    assert (project / "Pulumi.dev.yaml").read_text() == before


def test_an_unknown_preferred_region_never_moves_the_lab(project, arm, signed_in):
    # eastus2 (pinned, first choice) keeps answering 500: eastus fits, but pinning it would move the lab because
    # of a transient failure.
    arm.fail("eastus2", 500, "InternalServerError", headers={"x-ms-retry-after-ms": "10"})
    before = (project / "Pulumi.dev.yaml").read_text()

    refused = preflight(project, arm, "--write", "--move")

    assert refused.exit_code == 4, refused.output
    assert "not writing Pulumi.dev.yaml: eastus2 could not be checked (unknown)" in refused.output
    assert "re-run, or pass --allow-unknown" in refused.output
    assert (project / "Pulumi.dev.yaml").read_text() == before

    allowed = preflight(project, arm, "--write", "--move", "--allow-unknown")
    assert allowed.exit_code == 0, allowed.output
    assert "  aoai-lab:location: eastus\n" in (project / "Pulumi.dev.yaml").read_text()


def test_an_unknown_region_ranked_first_blocks_the_first_pin(project, arm, signed_in):
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("  aoai-lab:location: eastus2\n", ""))
    arm.fail("eastus2", 503, "ServiceUnavailable", headers={"x-ms-retry-after-ms": "10"})
    before = path.read_text()

    refused = preflight(project, arm, "--write")
    assert refused.exit_code == 4, refused.output
    assert "eastus2 could not be checked (unknown)" in refused.output
    assert path.read_text() == before

    # Nothing is pinned yet, so nothing moves: --allow-unknown alone is enough.
    allowed = preflight(project, arm, "--write", "--allow-unknown")
    assert allowed.exit_code == 0, allowed.output
    assert "  aoai-lab:location: eastus\n" in path.read_text()


def test_an_unknown_pinned_region_ranked_after_the_winner_still_blocks(project, arm, signed_in):
    path = project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace("  aoai-lab:location: eastus2\n", "  aoai-lab:location: canadaeast\n")
    )
    arm.fail("canadaeast", 429, "TooManyRequests", headers={"x-ms-retry-after-ms": "10"})
    before = path.read_text()

    refused = preflight(project, arm, "--write", "--move")

    assert refused.exit_code == 4, refused.output
    assert "canadaeast could not be checked (unknown)" in refused.output
    assert path.read_text() == before


def test_a_region_that_fits_is_written_without_flags_when_the_pin_stays(project, arm, signed_in):
    result = preflight(project, arm, "--write")
    assert result.exit_code == 0, result.output
    assert "already pins this" in result.output


def test_no_fit_with_an_unknown_region_is_not_a_no(project, arm, signed_in):
    # Three regions checked and full, one unknown: that is not "nothing fits" (exit 2) but "not known" (exit 1).
    tight = {**FULL, "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300)}
    for r in REGIONS:
        arm.region(r, catalog(), quotas(tight))
    arm.fail("swedencentral", 500, "InternalServerError", headers={"x-ms-retry-after-ms": "10"})

    result = preflight(project, arm)

    assert result.exit_code == 4, result.output
    assert (
        "No checked region fits the whole lab (3 of 4 candidate regions checked, 1 unknown: swedencentral)"
        in (result.output)
    )
    assert "re-run preflight in a few minutes" in result.output
    assert "Closest:" in result.output


def test_a_region_without_the_gateway_tier_is_not_chosen(project, arm, azure, signed_in):
    azure.apim_skus = [apim_sku("BasicV2", ["East US", "Sweden Central"])]
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "no fit: API Management BasicV2 is not offered in eastus2" in text
    assert "eastus fits: chat GlobalStandard 50, embeddings GlobalStandard 50." in text
    assert "could not be checked" not in text


def test_an_unreadable_tier_list_is_called_out(project, arm, azure, signed_in):
    azure.apim_skus = []
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # A warning, not a verdict: the region still fits.
    assert (
        "warning: gateway tier not checked: API Management lists no BasicV2 SKU for this subscription" in text
    )
    assert "eastus2 fits" in text


def test_a_region_azure_refuses_is_never_chosen(project, arm, azure, signed_in):
    azure.answer("eastus2", 403, disallowed_by_azure("aoai-lab-dev-pf000"))
    azure.answer("eastus", 400, invalid_template("d", special_feature()))
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "region not allowed for this subscription [RequestDisallowedByAzure]" in text
    assert "this subscription's offer cannot use the service [SpecialFeatureOrQuotaIdRequired]" in text
    assert "canadaeast fits: chat GlobalStandard 50" in text
    # What Azure received for the chosen region: the lab's account, deployments and gateway there.
    inner = azure.bodies["canadaeast"]["properties"]["template"]["resources"][1]["properties"]["template"]
    types = [r["type"] for r in inner["resources"]]
    assert types == [
        "Microsoft.CognitiveServices/accounts",
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.CognitiveServices/accounts/deployments",
        "Microsoft.ApiManagement/service",
    ]


def test_a_region_azure_could_not_validate_is_unknown_and_never_pinned(project, arm, azure, signed_in):
    azure.answer(
        "eastus2", 400, invalid_template("d", {"code": "InvalidTemplate", "message": "Bad template."})
    )
    result = preflight(project, arm, "--write", "--move")
    assert result.exit_code == EXIT_AZURE, result.output
    text = " ".join(result.output.split())
    assert (
        "eastus2 could not be checked (could not validate with Azure: the template was not accepted" in text
    )
    assert "not writing Pulumi.dev.yaml: eastus2 could not be checked (unknown)" in text


def test_without_validation_the_quota_decides(project, arm, azure, signed_in):
    azure.answer("eastus2", 403, disallowed_by_azure("x"))
    result = preflight(project, arm, "--no-validate")
    assert result.exit_code == 0, result.output
    assert azure.count("validate") == 0
    assert "eastus2 fits" in " ".join(result.output.split())


def test_offer_and_unregistered_providers_are_shown_and_register_registers(project, arm, azure, signed_in):
    azure.providers = {"microsoft.cognitiveservices": "Registered"}
    azure.registering_reads = 0
    result = preflight(project, arm)
    text = " ".join(result.output.split())
    assert "Offer: Pay-As-You-Go (quotaId PayAsYouGo_2014-09-01; no spending limit)" in text
    assert (
        "not registered in this subscription: Microsoft.ApiManagement, Microsoft.OperationalInsights, "
        in text
    )
    assert "labctl preflight --register" in text
    assert azure.count("register") == 0

    result = preflight(project, arm, "--register")
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert (
        "Registered resource providers: Microsoft.ApiManagement, Microsoft.OperationalInsights, Microsoft.Insights"
        in text
    )
    assert azure.count("register") == 3


def _with_budget(project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text() + "  aoai-lab:budget:\n    amount: 50\n    contactEmails: [ana.garcia@contoso.edu]\n"
    )


def test_a_budget_on_a_student_offer_is_refused_with_the_alternative(
    project, arm, azure, signed_in, tmp_path
):
    _with_budget(project)
    azure.quota_id, azure.spending_limit = "AzureForStudents_2018-01-01", "On"
    snapshot = tmp_path / "availability.json"
    result = preflight(project, arm, "--save-availability", str(snapshot))
    assert result.exit_code == EXIT_CONFIG, result.output
    text = " ".join(result.output.split())
    assert "aoai-lab:budget: this subscription's offer, Azure for Students (MS-AZR-0170P)" in text
    assert "Fix: remove aoai-lab:budget" in text
    # The offer is kept with the snapshot, and a re-run from it refuses the same way.
    assert json.loads(snapshot.read_text())["subscription"]["quotaId"] == "AzureForStudents_2018-01-01"
    again = preflight(project, None, "--availability", str(snapshot), subscription=False)
    assert again.exit_code == EXIT_CONFIG, again.output
    assert "does not support Cost Management budgets" in " ".join(again.output.split())


def _without_participant_limits(project) -> None:
    """The dev stack sets aoai-lab:participantLimits, which class sizing prefers to --class-tpm: drop it here."""
    import re

    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    path.write_text(re.sub(r"  aoai-lab:participantLimits:\n(    .*\n)+", "", text))


def test_class_sizing_raises_the_chat_capacity_and_write_pins_it(project, arm, azure, signed_in):
    _without_participant_limits(project)
    before = (project / "Pulumi.dev.yaml").read_text()
    result = preflight(project, arm, "--class-tpm", "60000", "--class-share", "1", "--write")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Class: 2 participants x 60,000 tokens/min x share 1 = 120,000 tokens/min -> capacity 120" in text
    assert "chat: capacity raised from 50 for the class" in text
    assert "eastus2 fits: chat GlobalStandard 120, embeddings GlobalStandard 50." in text
    changed = _changed_lines(before, (project / "Pulumi.dev.yaml").read_text())
    assert changed == [("      capacity: 50", "      capacity: 120")]


def test_class_sizing_settles_for_less_and_says_what_it_means(project, arm, azure, signed_in):
    _without_participant_limits(project)
    arm.region("eastus2", catalog(), quotas({"OpenAI.GlobalStandard.gpt-5-mini": (420, 500)}))
    result = preflight(project, arm, "--class-tpm", "60000", "--class-share", "1")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "chat: capacity lowered from 120 to 80 to fit the quota left." in text
    assert "chat: settles for capacity 80 of the 120 aimed for" in text


def test_a_bad_class_share_is_a_usage_error(project, arm, azure, signed_in):
    result = preflight(project, arm, "--class-tpm", "1000", "--class-share", "2")
    assert result.exit_code == EXIT_USAGE
    assert "--class-share must be more than 0 and at most 1" in result.output


def test_a_deployed_lab_does_not_count_its_own_usage_against_itself(project, arm, signed_in):
    from tests.support.fake_arm import account, deployment

    # eastus2 is pinned and the lab runs there: 450 of 450 gpt-5-mini used, 50 of it by the lab's chat; 30 of
    # 30 accounts, one of them the lab's. Without the credit the lab would have to leave its own region.
    arm.region(
        "eastus2",
        catalog(),
        quotas(
            {
                "OpenAI.GlobalStandard.gpt-5-mini": (450, 450),
                "OpenAI.GlobalStandard.text-embedding-3-small": (450, 450),
                "OpenAI.S0.AccountCount": (30, 30),
            }
        ),
    )
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"),
        [
            deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 50),
            deployment("embeddings", "text-embedding-3-small", "1", "GlobalStandard", 50),
        ],
    )

    result = preflight(project, arm, "--write")

    assert result.exit_code == 0, result.output
    assert "eastus2 fits: chat GlobalStandard 50, embeddings GlobalStandard 50." in result.output
    assert "eastus2: the lab is already deployed there; its own usage counts as available" in " ".join(
        result.output.split()
    )
    assert "already pins this" in result.output


def test_sku_fallback_and_lowered_capacity_are_pinned_keeping_comments(project, arm, signed_in):
    # eastus2: chat's GlobalStandard quota is gone (DataZoneStandard has 30 left); embeddings get 37 of 50.
    arm.region(
        "eastus2",
        catalog(),
        quotas(
            {
                "OpenAI.GlobalStandard.gpt-5-mini": (450, 450),
                "OpenAI.DataZoneStandard.gpt-5-mini": (270, 300),
                "OpenAI.GlobalStandard.text-embedding-3-small": (413, 450),
            }
        ),
    )
    before = (project / "Pulumi.dev.yaml").read_text()

    result = preflight(project, arm, "--write")

    assert result.exit_code == 0, result.output
    assert "DataZoneStandard 30 (asked 50)" in result.output
    assert "GlobalStandard 37 (asked 50)" in result.output
    after = (project / "Pulumi.dev.yaml").read_text()
    assert _changed_lines(before, after) == [
        ("      sku: GlobalStandard", "      sku: DataZoneStandard"),
        ("      capacity: 50", "      capacity: 30"),
        ("      capacity: 50", "      capacity: 37"),
    ]
    # Every comment line is still there, in place.
    assert [line for line in after.splitlines() if line.lstrip().startswith("#")] == [
        line for line in before.splitlines() if line.lstrip().startswith("#")
    ]
    # And the pinned file is still a valid stack: a second run finds the pin in place.
    again = preflight(project, arm, "--write")
    assert again.exit_code == 0, again.output
    assert "already pins this" in again.output


def test_write_is_atomic_when_the_rename_fails(project, arm, signed_in, monkeypatch):
    arm.region("eastus2", catalog(), quotas(FULL))
    path = project / "Pulumi.dev.yaml"
    before = path.read_bytes()
    renames: list[tuple[Path, Path]] = []

    def crash(src, dst):
        renames.append((Path(src), Path(dst)))
        # The new content is complete on disk in the temporary file when the rename comes.
        assert "aoai-lab:location: eastus\n" in Path(src).read_text()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", crash)
    result = preflight(project, arm, "--write", "--move")

    assert result.exit_code == 3
    assert "could not pin the choice in Pulumi.dev.yaml" in result.output
    assert path.read_bytes() == before
    assert renames and renames[0][0].parent == path.parent and renames[0][1] == path
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml"]


def test_write_keeps_the_file_when_writing_is_interrupted(project, arm, signed_in, monkeypatch):
    arm.region("eastus2", catalog(), quotas(FULL))
    path = project / "Pulumi.dev.yaml"
    before = path.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt  # Ctrl-C (or a kill) between writing and renaming

    monkeypatch.setattr(files.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pin.pin_choice(path, project="aoai-lab", location="eastus", deployments={})
    assert path.read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.dev.yaml", "Pulumi.yaml"]


def test_nothing_fits_exits_5_with_the_closest_region_and_what_to_lower(project, arm, signed_in):
    # No room for chat anywhere but canadaeast's 6: not even a spread over every region reaches its minimum of 10.
    tight = {"OpenAI.GlobalStandard.gpt-5-mini": (450, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300)}
    for r in REGIONS:
        arm.region(r, catalog(), quotas(tight))
    arm.region("canadaeast", catalog(), quotas({**tight, "OpenAI.GlobalStandard.gpt-5-mini": (444, 450)}))
    before = (project / "Pulumi.dev.yaml").read_text()

    result = preflight(project, arm, "--write")

    assert result.exit_code == 5, result.output
    assert "does not hold it either (chat 4 short of its minimum)" in " ".join(result.output.split())
    assert "No candidate region fits the whole lab (4 of 4 candidate regions checked)." in result.output
    assert "Closest: canadaeast" in result.output
    assert "chat: lower minCapacity to 6 (GlobalStandard has 6 of 450 left in canadaeast)" in result.output
    assert (project / "Pulumi.dev.yaml").read_text() == before  # nothing pinned


def test_zero_quota_subscription_gets_its_own_message(project, arm, signed_in):
    zero = {u["name"]["value"]: (0, 0) for u in quotas()}
    for r in REGIONS:
        arm.region(r, catalog(), quotas(zero))
    result = preflight(project, arm)
    assert result.exit_code == 5
    assert "no Azure OpenAI quota in any candidate region" in result.output
    assert "Free, trial and Azure Pass subscriptions" in result.output


def test_region_that_keeps_failing_is_reported_unknown(project, arm, signed_in):
    arm.fail("eastus2", 500, "InternalServerError", headers={"x-ms-retry-after-ms": "10"})
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    assert "unknown: Azure error 500 InternalServerError" in result.output
    assert "eastus2 could not be checked" in result.output
    assert "eastus fits:" in result.output


def test_no_access_to_the_subscription_exits_4(project, arm, signed_in):
    for r in REGIONS:
        arm.fail(r, 403, "AuthorizationFailed", "The client does not have authorization to perform action.")
    result = preflight(project, arm)
    assert result.exit_code == 4
    assert f"no access to subscription {SUBSCRIPTION}" in result.output


def test_unknown_region_name_in_the_stack_exits_3(project, arm, signed_in):
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("    - canadaeast\n", "    - canada-east\n"))
    result = preflight(project, arm)
    assert result.exit_code == 3
    assert "aoai-lab:regions[2]: unknown region 'canada-east'" in result.output
    assert "did you mean 'canadaeast'" in result.output
    assert arm.calls == []


def test_sovereign_cloud_token_audience_follows_the_stack(project, arm, azure, signed_in):
    azure.apim_skus.append(apim_sku("BasicV2", ["USGov Virginia"]))
    path = project / "Pulumi.gov.yaml"
    text = (project / "Pulumi.dev.yaml").read_text()
    text = text.replace(
        "  azure-native:location: eastus2\n",
        "  azure-native:location: usgovvirginia\n  azure-native:environment: usgovernment\n",
    )
    text = text.replace(
        "    - eastus2\n    - eastus\n    - canadaeast\n    - swedencentral\n", "    - usgovvirginia\n"
    )
    text = text.replace("  aoai-lab:location: eastus2\n", "")
    path.write_text(text)
    arm.region("usgovvirginia", catalog(), quotas())

    result = preflight(project, arm, "--stack", "gov", "--write")

    assert result.exit_code == 0, result.output
    assert signed_in.scopes[0] == ("https://management.usgovcloudapi.net/.default",)
    assert "  aoai-lab:location: usgovvirginia\n" in path.read_text()


def test_snapshot_saved_then_replayed_without_azure(project, arm, signed_in, tmp_path):
    arm.region("eastus2", catalog(), quotas(FULL))
    snapshot = tmp_path / "availability.json"
    live = preflight(project, arm, "--save-availability", str(snapshot))
    assert live.exit_code == 0, live.output
    assert json.loads(snapshot.read_text())["format"] == "aoai-lab/availability/v1"
    calls = len(arm.calls)

    replay = preflight(project, None, "--availability", str(snapshot), subscription=False)

    assert replay.exit_code == 0, replay.output
    assert len(arm.calls) == calls  # Azure was not asked again
    table = lambda text: text[text.index("Does the lab fit?") :]  # noqa: E731
    assert table(replay.output) == table(live.output)


def test_broken_snapshot_exits_2(project, tmp_path):
    bad = tmp_path / "availability.json"
    bad.write_text('{"regions": []}')
    result = preflight(project, None, "--availability", str(bad), subscription=False)
    assert result.exit_code == 2
    assert "not an availability snapshot" in result.output


# ---- the real credential chain, with a fake `az` on PATH ----

FAKE_AZ = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_AZ_LOG"], "a", encoding="utf-8") as log:
    log.write(" ".join(args[:2]) + "\\n")
signed_in = os.environ.get("FAKE_AZ_STATE") == "signed-in"
if not signed_in and args[:1] == ["account"]:
    sys.stderr.write("ERROR: Please run 'az login' to setup account.\\n")
    sys.exit(1)
if args[:2] == ["account", "get-access-token"]:
    print(json.dumps({{"accessToken": "{token}", "expires_on": int(time.time()) + 3600,
                      "subscription": "{subscription}", "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
                      "tokenType": "Bearer"}}))
elif args[:2] == ["account", "show"]:
    print("{subscription}")
else:
    sys.exit(2)
"""


@pytest.fixture
def fake_az(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    az = folder / "az"
    az.write_text(FAKE_AZ.format(python=sys.executable, token=TOKEN, subscription=SUBSCRIPTION))
    az.chmod(az.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_AZ_LOG", str(tmp_path / "az-calls.log"))
    # Only the Azure CLI credential: DefaultAzureCredential must not try managed identity (169.254.169.254).
    monkeypatch.setenv("AZURE_TOKEN_CREDENTIALS", "AzureCliCredential")
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    return az


def test_not_signed_in_exits_4_before_calling_azure(project, arm, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_STATE", "signed-out")
    result = preflight(project, arm)
    assert result.exit_code == 4
    assert "not signed in to Azure" in result.output
    assert "az login" in result.output
    assert arm.calls == []


def test_not_signed_in_and_no_subscription_says_how_to_choose_one(project, arm, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_STATE", "signed-out")
    result = preflight(project, arm, subscription=False)
    assert result.exit_code == 4
    assert "no subscription chosen" in result.output and "--subscription" in result.output


def test_az_login_session_and_subscription_are_used(project, arm, fake_az, monkeypatch):
    monkeypatch.setenv("FAKE_AZ_STATE", "signed-in")
    result = preflight(project, arm, subscription=False)
    assert result.exit_code == 0, result.output
    assert f"Subscription {SUBSCRIPTION} (from az account show)" in result.output
    assert set(arm.tokens) == {f"Bearer {TOKEN}"}
    # One `az` sign-in shared by every region's calls (not one process per call), and one subscription lookup.
    calls = (fake_az.parent.parent / "az-calls.log").read_text().splitlines()
    assert sorted(calls) == ["account get-access-token", "account show"]


def test_process_exit_code_from_a_hand_written_snapshot(project, tmp_path):
    # The real entry point in its own process: exit status 2 reaches the shell (CI scripts branch on it).
    import subprocess

    tight = quotas(
        {"OpenAI.GlobalStandard.gpt-5-mini": (450, 450), "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300)}
    )
    snapshot = tmp_path / "availability.json"
    snapshot.write_text(
        json.dumps(
            {
                "format": "aoai-lab/availability/v1",
                "capturedAt": "2026-11-22T09:30:00Z",
                "regions": {r: {"models": catalog(), "usages": tight} for r in REGIONS},
            }
        )
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labctl.cli",
            "preflight",
            "--project-dir",
            str(project),
            "--availability",
            str(snapshot),
        ],
        capture_output=True,
        text=True,
        cwd=PROJECT_DIR,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )
    assert done.returncode == 5, done.stderr
    assert "0 of 450 left (needs 10)" in done.stdout
    assert "No candidate region fits the whole lab (4 of 4 candidate regions checked)." in done.stderr


def test_a_new_location_pin_goes_right_after_the_candidate_regions(project):
    # Not appended at the end of the file (after people and participants), but where a reader looks for it:
    # in the config mapping, the line after the `aoai-lab:regions` list, at the config keys' indentation.
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("  aoai-lab:location: eastus2\n", ""))
    before = path.read_text().splitlines()

    changes = pin.pin_choice(path, project="aoai-lab", location="eastus", deployments={})

    assert changes == ["aoai-lab:location: (unset) -> eastus"]
    after = path.read_text().splitlines()
    regions = before.index("  aoai-lab:regions:")
    assert before[regions + 1 : regions + 5] == [
        "    - eastus2",
        "    - eastus",
        "    - canadaeast",
        "    - swedencentral",
    ]
    assert after[: regions + 5] == before[: regions + 5]
    assert after[regions + 5] == "  aoai-lab:location: eastus"
    assert after[regions + 6 :] == before[regions + 5 :]


def test_a_snapshot_with_a_bad_value_is_an_error_not_a_traceback(project, tmp_path):
    models = catalog()
    models[2]["model"]["skus"][1]["capacity"]["maximum"] = "350 or so"
    snapshot = tmp_path / "availability.json"
    snapshot.write_text(
        json.dumps(
            {
                "format": "aoai-lab/availability/v1",
                "capturedAt": "2026-11-22T09:30:00Z",
                "regions": {r: {"models": models, "usages": quotas()} for r in REGIONS},
            }
        )
    )

    result = preflight(project, None, "--availability", str(snapshot), subscription=False)

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a crash
    assert (
        "region 'eastus2', model text-embedding-3-small 1: skus[Standard].capacity.maximum" in result.output
    )
    assert "'350 or so' is not a whole number" in result.output


@pytest.mark.parametrize("signed_in_ok", [True, False])
def test_checking_the_sign_in_puts_the_identity_log_level_back(signed_in_ok):
    import logging

    from azure.identity import CredentialUnavailableError

    from labctl.azure.signin import arm_target, check_signed_in
    from labctl.errors import AzureError
    from tests.support.fake_azure import FakeCredential

    class SignedOut:
        def get_token(self, *scopes, **kwargs):
            assert logging.getLogger("azure.identity").level == logging.ERROR  # quiet while signing in
            raise CredentialUnavailableError("DefaultAzureCredential failed to retrieve a token")

    log = logging.getLogger("azure.identity")
    original = log.level
    log.setLevel(logging.DEBUG)  # someone debugging sign-in
    try:
        if signed_in_ok:
            check_signed_in(FakeCredential(), arm_target())
        else:
            with pytest.raises(AzureError, match="not signed in"):
                check_signed_in(SignedOut(), arm_target())  # type: ignore[arg-type]
        assert log.level == logging.DEBUG
    finally:
        log.setLevel(original)


# ---- spillover: no single region holds the lab ----

SPILL = {
    "OpenAI.GlobalStandard.gpt-5-mini": (492, 500),  # 8 left: below chat's minCapacity 10 in every region
    "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300),
}


def test_no_single_region_fits_so_the_lab_spreads_and_write_pins_the_list(project, arm, signed_in):
    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    result = preflight(project, arm, "--write")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "No single region holds the lab; spread over 4 regions (eastus2 primary):" in text
    assert "eastus2: chat 8, embeddings 50" in text
    assert "swedencentral: chat 8" in text
    assert "chat: 32 in total of the 50 asked (minimum 10)." in text

    from labctl.project import load_stack_settings

    settings = load_stack_settings("dev", project)
    assert [(p.region, p.capacity) for p in settings.placements] == [
        ("eastus2", {"chat": 8, "embeddings": 50}),
        ("eastus", {"chat": 8}),
        ("canadaeast", {"chat": 8}),
        ("swedencentral", {"chat": 8}),
    ]


def test_a_region_azure_refuses_takes_no_share_of_the_spread(project, arm, azure, signed_in):
    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    azure.answer("canadaeast", 403, disallowed_by_azure("aoai-lab-dev-pf000"))
    result = preflight(project, arm)
    text = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "spread over 3 regions" in text
    assert "not used: canadaeast (Azure refuses it: region not allowed for this subscription" in text


def test_a_pooled_quota_is_counted_once_so_spreading_does_not_help(project, arm, signed_in):
    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    result = preflight(project, arm, "--pooled-quota", "OpenAI.GlobalStandard.gpt-5-mini")
    assert result.exit_code == EXIT_NO_FIT, result.output
    text = " ".join(result.output.split())
    assert "does not hold it either (chat 2 short of its minimum)" in text
    assert (
        "OpenAI.GlobalStandard.gpt-5-mini is pooled per subscription across all regions: 8 left in the pool"
        in text
    )


def test_a_region_without_the_gateway_tier_can_hold_a_secondary_account(project, arm, azure, signed_in):
    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    # BasicV2 only in eastus: eastus hosts the gateway (primary); the others still hold chat capacity.
    azure.apim_skus = [apim_sku("BasicV2", ["East US"])]
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "spread over 4 regions (eastus primary)" in text
    assert "eastus2: chat 8" in text


def test_a_region_azure_could_not_validate_takes_no_share(project, arm, azure, signed_in):
    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    azure.answer("swedencentral", 400, invalid_template("d", {"code": "InvalidTemplate", "message": "Bad."}))
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "spread over 3 regions" in text
    assert "not used: swedencentral (Azure could not validate it)" in text


def test_a_usage_that_looks_pooled_is_hinted_and_a_declared_pool_is_said_once(project, arm, signed_in):
    # The same 120 of 500 used in every region: maybe one pool (never assumed).
    for r in REGIONS:
        arm.region(r, catalog(), quotas({"OpenAI.GlobalStandard.gpt-5-mini": (120, 500)}))
    result = preflight(project, arm)
    text = " ".join(result.output.split())
    assert "OpenAI.GlobalStandard.gpt-5-mini report(s) the same use and limit in every region read" in text
    result = preflight(project, arm, "--pooled-quota", "OpenAI.GlobalStandard.gpt-5-mini")
    text = " ".join(result.output.split())
    assert (
        text.count("OpenAI.GlobalStandard.gpt-5-mini is pooled per subscription across all regions: 380 left")
        == 1
    )
    assert "report(s) the same use" not in text


def test_the_spread_is_validated_as_it_would_be_deployed(project, arm, azure, signed_in):
    from tests.support.fake_arm_validation import Answer, insufficient_quota

    for r in REGIONS:
        arm.region(r, catalog(), quotas(SPILL))
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    assert "Resource Manager accepts the spread in eastus2, eastus, canadaeast, swedencentral." in " ".join(
        result.output.split()
    )
    body = azure.bodies["aoai-lab-preflight-spread-swedencentral"]
    inner = body["properties"]["template"]["resources"][1]["properties"]["template"]["resources"]
    # A secondary region: its account and its share of chat only; the gateway stays in the primary region.
    assert [(r["type"].rsplit("/", 1)[-1], r.get("sku", {}).get("capacity")) for r in inner] == [
        ("accounts", None),
        ("deployments", 8),
    ]
    primary = azure.bodies["aoai-lab-preflight-spread-eastus2"]["properties"]["template"]["resources"][1]
    assert "Microsoft.ApiManagement/service" in [
        r["type"] for r in primary["properties"]["template"]["resources"]
    ]

    azure.answers_by_name["aoai-lab-preflight-spread-swedencentral"] = Answer(
        400, invalid_template("d", insufficient_quota("gpt-5-mini", 8, 0))
    )
    refused = preflight(project, arm, "--write")
    assert refused.exit_code == EXIT_NO_FIT, refused.output
    assert (
        "Azure refuses the spread in swedencentral: not enough model quota [InsufficientQuota]"
        in " ".join(refused.output.split())
    )
    from labctl.project import load_stack_settings

    assert not load_stack_settings("dev", project).spills_over  # nothing pinned


def test_a_deployed_spread_lab_does_not_count_its_own_usage_in_any_of_its_regions(project, arm, signed_in):
    from tests.support.fake_arm import account, deployment

    # The lab is spread over eastus2 and swedencentral, its chat using all that is left there (8 of 500 each).
    path = project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace(
            "  aoai-lab:location: eastus2\n",
            "  aoai-lab:location:\n    - region: eastus2\n      capacity: {chat: 8, embeddings: 50}\n"
            "    - region: swedencentral\n      capacity: {chat: 8}\n",
        )
    )
    full = {"OpenAI.GlobalStandard.gpt-5-mini": (500, 500), "OpenAI.DataZoneStandard.gpt-5-mini": (300, 300)}
    for r in REGIONS:
        arm.region(r, catalog(), quotas(full))
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-x7k2q", "eastus2", "rg-aoai-lab-dev"),
        [
            deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 8),
            deployment("embeddings", "text-embedding-3-small", "1", "GlobalStandard", 50),
        ],
    )
    arm.deployed(
        "rg-aoai-lab-dev",
        account("aoai-lab-dev-x7k2q-swedencentral", "swedencentral", "rg-aoai-lab-dev"),
        [deployment("chat", "gpt-5-mini", "2025-08-07", "GlobalStandard", 8)],
    )
    result = preflight(project, arm)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "swedencentral: the lab is already deployed there; its own usage counts as available (chat GlobalStandard 8"
        in text
    )
    assert "eastus2: chat 8, embeddings 50" in text
    assert "swedencentral: chat 8" in text
