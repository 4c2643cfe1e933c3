"""A stand-in `pulumi` executable for tests: the real Automation API and `labctl smoke` drive it as a subprocess.

It records every invocation (argv, cwd) as a JSON line and answers the few commands labctl uses:
`version`, `stack select`, `stack output --json`, `destroy`, `stack history --json`. Behaviour comes from
environment variables, so a test sets them with monkeypatch and puts the folder first on PATH.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = r"""#!{python}
import json, os, sys
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.environ["FAKE_PULUMI_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"args": args, "cwd": os.getcwd()}}) + "\n")
if args[:1] == ["version"]:
    print("v3.200.0")
elif args[:2] == ["stack", "select"]:
    pass
elif args[:2] == ["stack", "output"]:
    if os.environ.get("FAKE_PULUMI_OUTPUT_SLEEP"):
        import time
        time.sleep(float(os.environ["FAKE_PULUMI_OUTPUT_SLEEP"]))
    path = os.environ.get("FAKE_PULUMI_OUTPUTS")
    if os.environ.get("FAKE_PULUMI_OUTPUT_FAIL"):
        # What a half-failed run can look like: the secrets on stdout, the error on stderr.
        sys.stdout.write(open(path, encoding="utf-8").read() if path else "")
        sys.stderr.write(os.environ["FAKE_PULUMI_OUTPUT_FAIL"] + "\n")
        sys.exit(255)
    if not path:
        sys.stderr.write("error: no stack named 'dev' found\n")
        sys.exit(255)
    text = open(path, encoding="utf-8").read()
    if "--show-secrets" not in args:
        # What the real CLI prints for a secret output without --show-secrets.
        data = json.loads(text)
        text = json.dumps({{k: "[secret]" if k == "participantKeys" else v for k, v in data.items()}})
    sys.stdout.write(text)
elif args[:1] == ["destroy"]:
    if os.environ.get("FAKE_PULUMI_DESTROY_FAIL"):
        sys.stderr.write("error: " + os.environ["FAKE_PULUMI_DESTROY_FAIL"] + "\n")
        sys.exit(255)
    print("Destroying (dev)")
    print("Resources:\n    - 42 deleted")
elif args[:2] == ["stack", "history"]:
    print(json.dumps([{{
        "version": 7, "kind": "destroy", "result": "succeeded", "message": "",
        "startTime": "2026-11-20T10:00:00.000Z", "endTime": "2026-11-20T10:09:00.000Z",
        "environment": {{}}, "config": {{}}, "resourceChanges": {{"delete": 42}},
    }}]))
else:
    sys.stderr.write("fake pulumi: unexpected command " + " ".join(args) + "\n")
    sys.exit(2)
"""


@dataclass
class FakePulumi:
    bin_dir: Path
    log: Path

    def invocations(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def commands(self) -> list[list[str]]:
        return [i["args"] for i in self.invocations()]


@pytest.fixture
def fake_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    bin_dir = tmp_path / "fake-pulumi-bin"
    bin_dir.mkdir()
    exe = bin_dir / "pulumi"
    exe.write_text(SCRIPT.format(python=sys.executable), encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    log = tmp_path / "pulumi-calls.jsonl"
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("PULUMI_SKIP_UPDATE_CHECK", "true")
    return FakePulumi(bin_dir=bin_dir, log=log)


@pytest.fixture
def no_pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without any `pulumi` (the machine may have one; the test must not see it)."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
