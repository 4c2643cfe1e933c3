"""`labctl purge` within its --timeout: a purge Azure never finishes, an hour-long Retry-After on its polls, or
a list that never ends stop at the deadline, and the command says what did not finish (exit 4)."""

from __future__ import annotations

import time

import pytest
from rich.console import Console

from labctl.azure.signin import arm_target
from labctl.errors import EXIT_AZURE, AzureError
from labctl.lifecycle.purge import purge_command
from tests.labctl.lifecycle.test_purge import LAB, lab_account, lab_gateway
from tests.support.fake_arm_deleted import SUBSCRIPTION, FakeDeletedArm

pytestmark = pytest.mark.timeout(60)

# Long enough for what must finish (the gateway's purge) to finish on a busy machine, short enough that the tests
# that wait for it to pass cost little.
DEADLINE_S = 2.0


@pytest.fixture
def arm(fake_azure) -> FakeDeletedArm:
    return FakeDeletedArm(server=fake_azure.server).install()


def purge(arm: FakeDeletedArm, credential, timeout: float, **options: float) -> tuple[int, str, float]:
    console = Console(record=True, width=220)
    started = time.monotonic()
    code = purge_command(
        identity=LAB,
        subscription_id=SUBSCRIPTION,
        credential=credential,
        target=arm_target(override=arm.base),
        yes=True,
        console=console,
        err_console=console,
        confirm=lambda _q: True,
        timeout=timeout,
        **{"polling_interval": 0.05, "conflict_retry_s": 0.05, **options},
    )
    return code, console.export_text(), time.monotonic() - started


def test_a_purge_that_never_completes_is_reported_not_finished(arm, fake_credential):
    # The account's operation says "in progress" forever; the gateway's finishes.
    arm.items = [lab_account(polls=10**6), lab_gateway()]
    # The gateway's purge (a DELETE and one poll, ~0.1 s) fits in the deadline many times over on a loaded machine.
    code, text, elapsed = purge(arm, fake_credential, timeout=DEADLINE_S)
    assert code == EXIT_AZURE
    assert DEADLINE_S - 0.5 < elapsed < DEADLINE_S + 8
    assert "not finished" in text and "aoai-lab-dev-x7k2q" in text
    assert "Not finished before the deadline (--timeout)" in text
    assert "deadline (--timeout) passed before the purge of aoai-lab-dev-x7k2q finished" in " ".join(
        text.split()
    )
    # The gateway was purged all the same.
    assert [i.name for i in arm.items] == ["aoai-lab-dev-x7k2q"]


def test_an_hour_long_retry_after_on_the_polls_is_capped(arm, fake_credential):
    arm.retry_after = "3600"
    arm.items = [lab_account(polls=2)]
    code, text, elapsed = purge(arm, fake_credential, timeout=4)
    # The capped wait (30 s) does not fit in the 4 s left: the command stops at once and says so.
    assert code == EXIT_AZURE
    assert elapsed < 10
    assert "not finished" in text


def test_409_retries_stop_at_the_deadline(arm, fake_credential):
    arm.items = [lab_account(behaviour="conflict")]
    code, text, elapsed = purge(arm, fake_credential, timeout=1.5, conflict_retry_s=0.2, conflict_wait_s=600)
    assert elapsed < 10
    assert code in (1, EXIT_AZURE)
    assert "still deleting" in text


def test_a_listing_that_is_not_arm_json_is_an_azure_error(arm, fake_credential):
    arm.server.expect_oneshot_request(
        f"/subscriptions/{SUBSCRIPTION}/providers/Microsoft.CognitiveServices/deletedAccounts"
    ).respond_with_data("<html><title>Sign in</title></html>", content_type="text/html")
    with pytest.raises(AzureError) as info:
        purge(arm, fake_credential, timeout=10)
    assert info.value.exit_code == EXIT_AZURE
    assert "is an HTML page ('Sign in')" in str(info.value)


def test_purge_json_report(arm, fake_credential, tmp_path):
    import json

    arm.items = [lab_account(polls=10**6), lab_gateway()]
    out = tmp_path / "purge.json"
    console = Console(record=True, width=220)
    code = purge_command(
        identity=LAB,
        subscription_id=SUBSCRIPTION,
        credential=fake_credential,
        target=arm_target(override=arm.base),
        yes=True,
        console=console,
        err_console=console,
        confirm=lambda _q: True,
        polling_interval=0.05,
        timeout=DEADLINE_S,
        report_format="json",
        report_output=out,
    )
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["exitCode"] == code == EXIT_AZURE
    assert {(r["name"], r["outcome"]) for r in report["results"]} == {
        ("aoai-lab-dev-x7k2q", "not finished"),
        ("apim-aoai-lab-dev-x7k2q", "purged"),
    }
    assert len(report["found"]) == 2
